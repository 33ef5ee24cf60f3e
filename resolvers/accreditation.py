"""Root fields of EO 13929 Sec. 2 and 3(c)-(d): credentialing bodies, agency credentials, grant
eligibility and the public statistics. Reading only: every change arrives as a signed event through
``publishEvents`` (``publishing.accreditation``). Who may read what is decided by ``auth.policy``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from reporting import eligibility, statistics
from resolvers import search
from schema.accreditation_types import (
    AgencyCredential,
    CredentialingBody,
    GrantEligibility,
    PublicStatistics,
    load_body,
)
from store import accreditation as store
from store import agencies as agency_store


@strawberry.type
class AccreditationQuery:
    @strawberry.field(description="Every registered credentialing body and its certification by the Attorney "
                                  "General (EO 13929 Sec. 2(a)).")
    async def credentialing_bodies(self, info: Info) -> list[CredentialingBody]:
        rows = await store.bodies(info.context.reads)
        decisions = await info.context.loaders.body_decisions.load_many([r.id for r in rows])
        return [CredentialingBody.from_row(r, d) for r, d in zip(rows, decisions, strict=True)]

    @strawberry.field(description="A credentialing body by its publisher ID.")
    async def credentialing_body(self, info: Info, id: strawberry.ID) -> CredentialingBody | None:
        return await load_body(info, str(id))

    @strawberry.field(description="An agency's credentials from credentialing bodies (EO 13929 Sec. 2(b)-(c)).")
    async def agency_credentials(self, info: Info, ori: str) -> list[AgencyCredential]:
        [rows] = await store.credentials_by_agency_oris(info.context.reads, [ori.strip().upper()])
        return [AgencyCredential.from_row(r) for r in rows]

    @strawberry.field(description="Whether an agency is eligible for discretionary grants for a calendar year, "
                                  "and why (EO 13929 Sec. 2(b) and 3(d)). Null for an unknown ORI.")
    async def grant_eligibility(self, info: Info, ori: str, year: int) -> GrantEligibility | None:
        eligibility.check_year(year)
        agency = (await agency_store.by_oris(info.context.reads, [ori.strip().upper()]))[0]
        if agency is None:
            return None
        [result] = await eligibility.evaluate(info.context.reads, [agency], year)
        return GrantEligibility.from_result(result)

    @strawberry.field(description="Grant eligibility of every agency (optionally of one state) for a calendar "
                                  "year (auditors; also as CSV at /reports/grant-eligibility.csv).")
    async def grant_eligibility_report(self, info: Info, year: int, state: str | None = None) -> list[GrantEligibility]:
        eligibility.check_year(year)
        if state is not None:
            search.check_state(state)
        rows = await eligibility.agencies_in(info.context.reads, state.upper() if state else None)
        results = await eligibility.evaluate(info.context.reads, rows, year, all_agencies=state is None)
        return [GrantEligibility.from_result(r) for r in results]

    @strawberry.field(description="Aggregated, anonymized counts of misconduct records by state, year, record kind "
                                  "and reason category, with small cells suppressed (EO 13929 Sec. 3(c); also as "
                                  "CSV at /public/statistics.csv).")
    async def public_statistics(self, info: Info) -> PublicStatistics:
        tab = await statistics.tabulate(info.context.reads, info.context.settings.stats_min_cell)
        return PublicStatistics(basis=tab.basis, minimum_cell_size=tab.threshold, generated_at=tab.generated_at,
                                all_cells=tab.cells)
