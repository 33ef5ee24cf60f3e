"""GraphQL types of EO 13929 Sec. 2 and 3(c)-(d): credentialing bodies, agency credentials, grant
eligibility and the public statistics. Who reads which field is in ``auth.policy`` like everything else."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from registry.errors import BadInput
from reporting import suppression, training_coverage
from reporting.eligibility import Eligibility
from reporting.statistics import MAX_BREAKDOWN
from schema import enums
from schema.training_types import AgencyTrainingCoverage
from schema.types import Agency, Publisher, load_agency, load_publisher
from store.accreditation import BodyDecisionRow, CredentialChangeRow, CredentialRow
from store.models import PublisherRow


@strawberry.enum(description="The Attorney General's certification of a credentialing body on a given day.")
class CredentialingBodyStatus(Enum):
    CERTIFIED = "CERTIFIED"
    SUSPENDED = "SUSPENDED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"  # certified, but past the certification's validUntil


@strawberry.enum
class AgencyCredentialStatus(Enum):
    APPLIED = "APPLIED"
    IN_PROCESS = "IN_PROCESS"
    GRANTED = "GRANTED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@strawberry.enum(description="Topics a credentialing body reviewed (EO 13929 Sec. 2(b)).")
class AccreditationTopic(Enum):
    DE_ESCALATION_TRAINING = "DE_ESCALATION_TRAINING"
    EARLY_WARNING_SYSTEMS = "EARLY_WARNING_SYSTEMS"
    COMMUNITY_ENGAGEMENT = "COMMUNITY_ENGAGEMENT"


@strawberry.enum(description="A dimension the public statistics break counts down by.")
class StatisticsDimension(Enum):
    STATE = 0
    YEAR = 1
    RECORD_KIND = 2
    REASON_CATEGORY = 3


@strawberry.type(description="A certification decision of the Attorney General about a credentialing body, "
                             "signed with the certifying authority's key and logged.")
class CredentialingBodyDecision:
    status: CredentialingBodyStatus
    standards_version: str = strawberry.field(description="The standards the body was certified against.")
    effective_on: date
    valid_until: date | None
    reason: str | None
    certifying_authority: str = strawberry.field(description="The publisher whose key signed the decision.")
    submitted_by: str | None = strawberry.field(description="The auditor (token subject) who submitted it.")
    recorded_at: datetime
    log_index: int = strawberry.field(description="The signed event's position in the transparency log.")

    @classmethod
    def from_row(cls, row: BodyDecisionRow) -> CredentialingBodyDecision:
        return cls(status=CredentialingBodyStatus(row.status), standards_version=row.standards_version,
                   effective_on=row.effective_on, valid_until=row.valid_until, reason=row.reason,
                   certifying_authority=row.authority_id, submitted_by=row.submitted_by,
                   recorded_at=row.recorded_at, log_index=row.log_index)


def status_on(decisions: list[BodyDecisionRow], day: date) -> CredentialingBodyDecision | None:
    """The decision in force on ``day``, as its status (EXPIRED once a certification's validUntil passed)."""
    current = [d for d in decisions if d.effective_on <= day]
    if not current:
        return None
    decision = CredentialingBodyDecision.from_row(current[-1])
    if decision.status is CredentialingBodyStatus.CERTIFIED and decision.valid_until and decision.valid_until < day:
        decision.status = CredentialingBodyStatus.EXPIRED
    return decision


@strawberry.type(description="A credentialing body and the Attorney General's certification of it "
                             "(EO 13929 Sec. 2(a)).")
class CredentialingBody:
    id: strawberry.ID
    name: str
    row: strawberry.Private[PublisherRow]
    decisions: strawberry.Private[list[BodyDecisionRow]]

    @strawberry.field(description="Its certification status on a day (default today); null if never decided.")
    def status(self, on: date | None = None) -> CredentialingBodyStatus | None:
        decision = status_on(self.decisions, on or datetime.now(UTC).date())
        return None if decision is None else decision.status

    @strawberry.field(description="The standards version of the decision in force on a day (default today).")
    def standards_version(self, on: date | None = None) -> str | None:
        decision = status_on(self.decisions, on or datetime.now(UTC).date())
        return None if decision is None else decision.standards_version

    @strawberry.field(description="Every certification decision, in effect order.")
    def history(self) -> list[CredentialingBodyDecision]:
        return [CredentialingBodyDecision.from_row(d) for d in self.decisions]

    @strawberry.field(description="The body as a publisher, with its signing keys.")
    async def publisher(self, info: Info) -> Publisher | None:
        return await load_publisher(info, self.row.id)

    @classmethod
    def from_row(cls, row: PublisherRow, decisions: list[BodyDecisionRow]) -> CredentialingBody:
        return cls(id=strawberry.ID(row.id), name=row.name, row=row, decisions=decisions)


async def load_body(info: Info, body_id: str) -> CredentialingBody | None:
    loaders = info.context.loaders
    row = await loaders.publisher.load(body_id)
    if row is None or row.kind != "CREDENTIALING_BODY":
        return None
    return CredentialingBody.from_row(row, await loaders.body_decisions.load(body_id))


@strawberry.type(description="One status of an agency credential, as the credentialing body signed it.")
class AgencyCredentialChange:
    status: AgencyCredentialStatus
    status_date: date
    expires_on: date | None
    policy_adheres_to_law: bool
    chokeholds_prohibited_except_where_deadly_force_allowed: bool
    topics_reviewed: list[AccreditationTopic]
    standards_version: str
    reason: str | None
    recorded_at: datetime
    log_index: int

    @classmethod
    def from_row(cls, row: CredentialChangeRow) -> AgencyCredentialChange:
        return cls(status=AgencyCredentialStatus(row.status), status_date=row.status_date,
                   expires_on=row.expires_on, policy_adheres_to_law=row.policy_adheres_to_law,
                   chokeholds_prohibited_except_where_deadly_force_allowed=row.chokeholds_prohibited,
                   topics_reviewed=[AccreditationTopic(t) for t in row.topics_reviewed],
                   standards_version=row.standards_version, reason=row.reason, recorded_at=row.recorded_at,
                   log_index=row.log_index)


@strawberry.type(description="An agency's credential from a certified credentialing body (EO 13929 Sec. 2(b)-(c)).")
class AgencyCredential:
    id: strawberry.ID
    agency_ori: str
    status: AgencyCredentialStatus
    status_date: date
    expires_on: date | None
    policy_adheres_to_law: bool = strawberry.field(
        description="Sec. 2(c)(i): the agency's use-of-force policies adhere to applicable law.")
    chokeholds_prohibited_except_where_deadly_force_allowed: bool = strawberry.field(
        description="Sec. 2(c)(ii): they prohibit chokeholds except where the use of deadly force is allowed by law.")
    topics_reviewed: list[AccreditationTopic]
    standards_version: str = strawberry.field(
        description="The standards the body was certified against when this status was set.")
    updated_at: datetime
    row: strawberry.Private[CredentialRow]

    @strawberry.field
    async def agency(self, info: Info) -> Agency | None:
        return await load_agency(info, self.row.agency_ori)

    @strawberry.field(description="The credentialing body that published it.")
    async def body(self, info: Info) -> CredentialingBody | None:
        return await load_body(info, self.row.body_id)

    @strawberry.field(description="Every status, in effect order.")
    async def history(self, info: Info) -> list[AgencyCredentialChange]:
        rows = await info.context.loaders.credential_history.load(self.row.id)
        return [AgencyCredentialChange.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: CredentialRow) -> AgencyCredential:
        return cls(id=strawberry.ID(row.id), agency_ori=row.agency_ori, status=AgencyCredentialStatus(row.status),
                   status_date=row.status_date, expires_on=row.expires_on,
                   policy_adheres_to_law=row.policy_adheres_to_law,
                   chokeholds_prohibited_except_where_deadly_force_allowed=row.chokeholds_prohibited,
                   topics_reviewed=[AccreditationTopic(t) for t in row.topics_reviewed],
                   standards_version=row.standards_version, updated_at=row.updated_at, row=row)


@strawberry.type(description="Whether an agency may receive discretionary grants for a calendar year "
                             "(EO 13929 Sec. 2(b) and 3(d)), and why.")
class GrantEligibility:
    ori: str
    year: int
    period_start: date
    period_end: date
    eligible: bool
    credential_requirement_met: bool = strawberry.field(
        description="Sought or held a credential from a body the Attorney General had certified at that time.")
    submission_requirement_met: bool = strawberry.field(
        description="Signed its Sec. 3(d) statement for the period: reporting.submitted or reporting.nothing_to_report "
                    "(by the agency or its state's POST board). Records alone do not count: some are in due process.")
    reasons: list[str]
    records_submitted: int | None = strawberry.field(
        description="Misconduct records naming the agency with an action date in the period (auditors).")
    nothing_to_report_attested_by: list[str] | None = strawberry.field(
        description="Publishers that signed a nothing-to-report attestation for the period (auditors).")
    submission_attested_by: list[str] | None = strawberry.field(
        description="Publishers that signed a submission statement for the period (auditors; compare with "
                    "recordsSubmitted).")
    informational_reasons: list[str] = strawberry.field(
        description="Crisis-response programs that ran during the year (EO 13929 Sec. 4(b)): informational, not a "
                    "condition of eligibility.")
    result: strawberry.Private[Eligibility]

    @strawberry.field
    async def agency(self, info: Info) -> Agency | None:
        return await load_agency(info, self.ori)

    @strawberry.field(description="The agency's crisis-intervention training coverage on the period's last day (or "
                                  "today): informational. Null unless you are the agency, its credentialing body or "
                                  "an auditor.")
    async def training_coverage(self, info: Info) -> AgencyTrainingCoverage | None:
        from resolvers import fetch

        today = datetime.now(UTC).date()
        if self.year > today.year:
            return None
        found = await fetch.agency_coverage(info.context, self.ori, training_coverage.reference_day(self.year, today))
        return AgencyTrainingCoverage.from_found(found)

    @strawberry.field(description="The credential that meets the requirement, if any.")
    async def qualifying_credential(self, info: Info) -> AgencyCredential | None:
        cid = self.result.qualifying_credential_id
        row = None if cid is None else await info.context.loaders.agency_credential.load(cid)
        return None if row is None else AgencyCredential.from_row(row)

    @classmethod
    def from_result(cls, r: Eligibility) -> GrantEligibility:
        return cls(ori=r.agency.ori, year=r.year, period_start=r.period_start, period_end=r.period_end,
                   eligible=r.eligible, credential_requirement_met=r.credential_met,
                   submission_requirement_met=r.submission_met, reasons=r.reasons,
                   records_submitted=r.records_submitted,
                   nothing_to_report_attested_by=[a.publisher_id for a in r.attestations
                                                  if a.kind == "NOTHING_TO_REPORT"],
                   submission_attested_by=[a.publisher_id for a in r.attestations if a.kind == "SUBMITTED"],
                   informational_reasons=r.informational_reasons, result=r)


@strawberry.type(description="One published count. A null dimension means all values of it (a total).")
class StatisticsCell:
    state: str | None
    year: int | None
    kind: enums.RecordKind | None
    reason_category: enums.ReasonCategory | None
    count: int | None = strawberry.field(description="Null when suppressed.")
    suppressed: bool

    @classmethod
    def from_cell(cls, cell: suppression.Cell) -> StatisticsCell:
        state, year, kind, reason = cell.key
        return cls(state=state, year=year, kind=None if kind is None else enums.RecordKind(kind),
                   reason_category=None if reason is None else enums.ReasonCategory(reason),
                   count=cell.published, suppressed=cell.suppressed)


@strawberry.type(description="Aggregated, anonymized counts of misconduct records (EO 13929 Sec. 3(c)). Counts "
                             "below minimumCellSize are suppressed, and so are enough others that no suppressed "
                             "count can be worked out from the totals (docs/eo13929.md).")
class PublicStatistics:
    basis: str = strawberry.field(description="Which records are counted.")
    minimum_cell_size: int
    generated_at: datetime
    all_cells: strawberry.Private[list[suppression.Cell]]

    @strawberry.field(description="The published cells: every one- and two-way table and the grand total. Give "
                                  "breakdown to get one table, e.g. [STATE, YEAR] for counts by state and year "
                                  "(other dimensions summed), [] for the grand total. Combinations not listed "
                                  "are 0.")
    def cells(self, breakdown: list[StatisticsDimension] | None = None) -> list[StatisticsCell]:
        cells = self.all_cells
        if breakdown is not None:
            wanted = {d.value for d in breakdown}
            if len(wanted) > MAX_BREAKDOWN:
                raise BadInput(f"the statistics are published by at most {MAX_BREAKDOWN} dimensions at a time")
            cells = [c for c in cells if {i for i, v in enumerate(c.key) if v is not None} == wanted]
        return [StatisticsCell.from_cell(c) for c in cells]
