"""GraphQL types of EO 13929 Sec. 4(b): crisis-response programs, the public training-coverage tables and an
agency's own coverage. Who reads what: ``auth.policy``."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from auth.policy import AgencyGuard
from reporting import training_coverage
from store.programs import ProgramRow


@strawberry.enum(description="A crisis-response program an agency runs.")
class ProgramKind(Enum):
    CO_RESPONDER = "CO_RESPONDER"
    CRISIS_INTERVENTION_TEAM = "CRISIS_INTERVENTION_TEAM"
    MOBILE_CRISIS_PARTNERSHIP = "MOBILE_CRISIS_PARTNERSHIP"
    OTHER_CRISIS_RESPONSE = "OTHER_CRISIS_RESPONSE"


@strawberry.enum(description="Who works alongside the officers in a program.")
class ProgramPartner(Enum):
    MENTAL_HEALTH_PROFESSIONAL = "MENTAL_HEALTH_PROFESSIONAL"
    SOCIAL_WORKER = "SOCIAL_WORKER"
    PEER_SUPPORT_SPECIALIST = "PEER_SUPPORT_SPECIALIST"
    SUBSTANCE_USE_COUNSELOR = "SUBSTANCE_USE_COUNSELOR"
    MEDICAL = "MEDICAL"
    OTHER = "OTHER"
    NONE = "NONE"


@strawberry.enum(description="Which published coverage table to return.")
class CoverageBreakdown(Enum):
    TOTAL = "TOTAL"
    STATE = "STATE"
    SIZE_BAND = "SIZE_BAND"


@strawberry.type(description="A crisis-response program an agency runs or ran (EO 13929 Sec. 4(b)); a signed fact.")
class AgencyProgram:
    id: strawberry.ID
    agency_ori: str
    kind: ProgramKind
    partner_type: ProgramPartner
    start_date: date
    end_date: date | None
    end_reason: str | None
    publisher_id: str = strawberry.field(description="The agency's publisher or credentialing body that published it.")
    log_index: int = strawberry.field(description="The transparency-log leaf of the event that published it.")

    @classmethod
    def from_row(cls, row: ProgramRow) -> AgencyProgram:
        return cls(id=strawberry.ID(row.id), agency_ori=row.agency_ori, kind=ProgramKind(row.kind),
                   partner_type=ProgramPartner(row.partner_type), start_date=row.start_date, end_date=row.end_date,
                   end_reason=row.end_reason, publisher_id=row.publisher_id, log_index=row.log_index)


@strawberry.type(description="One published line of the coverage table; a null state or sizeBand means all.")
class TrainingCoverageRow:
    state: str | None
    size_band: str | None
    year: int
    active_officers: int | None = strawberry.field(description="Officers on agencies' rosters; null when suppressed.")
    current_crisis_training: int | None = strawberry.field(
        description="Of them, with current crisis-intervention training; null when suppressed.")
    share_current: float | None = strawberry.field(description="currentCrisisTraining / activeOfficers, when both "
                                                               "are published and activeOfficers > 0.")
    suppressed: bool
    co_responder_agencies: int = strawberry.field(description="Agencies running a co-responder program that year.")
    crisis_program_agencies: int = strawberry.field(description="Agencies running any crisis-response program.")

    @classmethod
    def from_row(cls, r: training_coverage.Row) -> TrainingCoverageRow:
        return cls(state=r.state, size_band=r.size_band, year=r.year, active_officers=r.active_officers,
                   current_crisis_training=r.current_training, share_current=r.share, suppressed=r.suppressed,
                   co_responder_agencies=r.co_responder_agencies, crisis_program_agencies=r.crisis_program_agencies)


@strawberry.type(description="Crisis-encounter training coverage of active officers and agencies' crisis-response "
                             "programs, by year (EO 13929 Sec. 4(b)); small counts suppressed as in publicStatistics.")
class TrainingCoverage:
    basis: str
    minimum_cell_size: int
    generated_at: datetime
    first_year: int
    last_year: int
    all_rows: strawberry.Private[list[training_coverage.Row]]

    @strawberry.field(description="One table: TOTAL (per year), STATE (by state and year) or SIZE_BAND (by agency "
                                  "size band and year).")
    def rows(self, breakdown: CoverageBreakdown = CoverageBreakdown.TOTAL) -> list[TrainingCoverageRow]:
        def wanted(r: training_coverage.Row) -> bool:
            if breakdown is CoverageBreakdown.STATE:
                return r.state is not None
            if breakdown is CoverageBreakdown.SIZE_BAND:
                return r.size_band is not None
            return r.state is None and r.size_band is None

        return [TrainingCoverageRow.from_row(r) for r in self.all_rows if wanted(r)]

    @classmethod
    def from_coverage(cls, c: training_coverage.Coverage) -> TrainingCoverage:
        return cls(basis=c.basis, minimum_cell_size=c.threshold, generated_at=c.generated_at, first_year=c.first_year,
                   last_year=c.last_year, all_rows=c.rows)


@strawberry.type(description="One agency's own crisis-encounter training coverage on a day, unsuppressed "
                             "(the agency itself, its credentialing bodies and auditors).")
class AgencyTrainingCoverage:
    ori: str
    on: date
    active_officers: int
    current_crisis_training: int
    share_current: float | None
    size_band: str
    programs: list[AgencyProgram] = strawberry.field(description="Its programs running that day.")
    reason: str = strawberry.field(description="The coverage in words, as eligibility cites it (informational).")
    guard: strawberry.Private[AgencyGuard]

    @classmethod
    def from_found(cls, found: tuple[training_coverage.AgencyCoverage, AgencyGuard] | None
                   ) -> AgencyTrainingCoverage | None:
        if found is None:
            return None
        c, guard = found
        return cls(ori=c.agency_ori, on=c.day, active_officers=c.active_officers,
                   current_crisis_training=c.current_training, share_current=c.share, size_band=c.size_band,
                   programs=[AgencyProgram.from_row(p) for p in c.programs], reason=c.reason, guard=guard)
