"""Root fields of EO 13929 Sec. 4(b): agencies' crisis-response programs, the public training-coverage tables
and an agency's own coverage. Reading only: programs and training arrive as signed events through
``publishEvents``. Who may read what is decided by ``auth.policy`` (rows through ``resolvers.fetch``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import strawberry
from strawberry.types import Info

from registry.errors import BadInput
from reporting import training_coverage
from resolvers import fetch
from schema.training_types import AgencyProgram, AgencyTrainingCoverage, TrainingCoverage
from store import programs as store


def check_day(day: date | None) -> date:
    today = datetime.now(UTC).date()
    if day is None:
        return today
    if not date(1900, 1, 1) <= day <= today:
        raise BadInput("on must be a day between 1900-01-01 and today")
    return day


@strawberry.type
class TrainingQuery:
    @strawberry.field(description="Crisis-encounter training coverage of active officers and agencies' crisis-response "
                                  "programs, by year, state and agency size band, with small counts suppressed "
                                  "(EO 13929 Sec. 4(b); also as CSV at /public/training-coverage.csv).")
    async def training_coverage(self, info: Info) -> TrainingCoverage:
        cov = await training_coverage.tabulate(info.context.reads, info.context.settings.stats_min_cell)
        return TrainingCoverage.from_coverage(cov)

    @strawberry.field(description="An agency's crisis-response programs, past and present (EO 13929 Sec. 4(b)).")
    async def agency_programs(self, info: Info, ori: str) -> list[AgencyProgram]:
        [rows] = await store.by_agency_oris(info.context.reads, [ori.strip().upper()])
        return [AgencyProgram.from_row(r) for r in rows]

    @strawberry.field(description="An agency's own training coverage on a day (default today), unsuppressed: for the "
                                  "agency itself, its credentialing bodies and auditors; null for anyone else.")
    async def agency_training_coverage(self, info: Info, ori: str, on: date | None = None
                                       ) -> AgencyTrainingCoverage | None:
        found = await fetch.agency_coverage(info.context, ori.strip().upper(), check_day(on))
        return AgencyTrainingCoverage.from_found(found)
