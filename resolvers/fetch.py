"""The one data-access path per entity: root fields, nested fields and ``_entities`` all come here.

Each function loads through the request's DataLoader and drops what the caller may not see,
by the row rules of ``auth.policy``; resolvers never filter on their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import date
from typing import Any

from auth import derived, policy
from auth.guards import agency_guard, officer_guard, owned_guard, record_guard
from auth.policy import AgencyGuard, Guard
from reporting import training_coverage
from resolvers.ready import Maybe, then
from store.models import (
    CertificationRow,
    DisputeRow,
    EmploymentRow,
    OfficerRow,
    QueryLogRow,
    RecordRow,
    StatusChangeRow,
)
from store.notifications import NotificationRow
from store.training import agency_readers


def _visible(ctx: Any, type_name: str, guard: Guard) -> bool:
    return policy.row_visible(type_name, ctx.principal, guard)


async def agency_coverage(ctx: Any, ori: str, day: date
                          ) -> tuple[training_coverage.AgencyCoverage, AgencyGuard] | None:
    """An agency's own training coverage on a day, with its guard, if the caller may see it (absent otherwise)."""
    guard = agency_guard(ori, await agency_readers(ctx.reads, ori))
    if not policy.row_visible("AgencyTrainingCoverage", ctx.principal, guard):
        return None
    return await training_coverage.agency_coverage(ctx.reads, ori, day), guard


async def officer(ctx: Any, officer_id: str, parts: frozenset[str] = frozenset()) -> OfficerRow | None:
    """``parts``: the officer's lists the document reads (``resolvers.lookahead``), read with the officer."""
    row: OfficerRow | None = await ctx.loaders.officer_with(officer_id, parts)
    if row is None or not _visible(ctx, "Officer", officer_guard(row)):
        return None
    return row


async def officers(ctx: Any, officer_ids: Iterable[str]) -> list[OfficerRow]:
    rows: list[OfficerRow | None] = await ctx.loaders.officer.load_many(list(officer_ids))
    return [r for r in rows if r is not None and _visible(ctx, "Officer", officer_guard(r))]


async def record(ctx: Any, record_id: str) -> RecordRow | None:
    row: RecordRow | None = await ctx.loaders.record.load(record_id)
    if row is None or not _visible(ctx, "MisconductRecord", record_guard(row)):
        return None
    return row


def records_of(ctx: Any, officer: OfficerRow) -> Maybe[list[RecordRow]]:
    def visible(rows: list[RecordRow]) -> list[RecordRow]:
        return [r for r in rows if _visible(ctx, "MisconductRecord", record_guard(r))]

    return then(ctx.loaders.records.load(officer.id), visible)


def certifications_of(ctx: Any, officer: OfficerRow) -> Maybe[list[CertificationRow]]:
    def visible(rows: list[CertificationRow]) -> list[CertificationRow]:
        return [r for r in rows
                if _visible(ctx, "Certification", owned_guard(r.officer_id, r.publisher_id, officer.publisher_ids))]

    return then(ctx.loaders.certifications.load(officer.id), visible)


def employment_of(ctx: Any, officer: OfficerRow) -> Maybe[list[EmploymentRow]]:
    """Visible employment, each as the caller may know it: a separation follows the records it reveals."""

    def visible(rows: list[EmploymentRow]) -> Maybe[list[EmploymentRow]]:
        seen = [(r, owned_guard(r.officer_id, r.publisher_id, officer.publisher_ids)) for r in rows]
        seen = [(r, g) for r, g in seen if _visible(ctx, "Employment", g)]
        if not any(derived.reveals_matter(r) for r, _ in seen):
            return [r for r, _ in seen]
        return then(ctx.loaders.records.load(officer.id), lambda records: [
            derived.employment_as_seen(ctx.principal, r, g, records) for r, g in seen])

    return then(ctx.loaders.employment.load(officer.id), visible)


def history_of(ctx: Any, rec: RecordRow) -> Maybe[list[StatusChangeRow]]:
    if not _visible(ctx, "MisconductRecord", record_guard(rec)):
        return []
    loaded: Awaitable[list[StatusChangeRow]] = ctx.loaders.history.load(rec.id)
    return loaded


async def disputes_of(ctx: Any, rec: RecordRow) -> list[DisputeRow]:
    if not _visible(ctx, "MisconductRecord", record_guard(rec)):
        return []
    rows: list[DisputeRow] = await ctx.loaders.disputes.load(rec.id)
    return [r for r in rows if _visible(ctx, "RecordDispute", Guard(officer_id=r.officer_id,
                                                                      publisher_id=r.publisher_id))]


async def query_log_of(ctx: Any, officer_id: str) -> list[QueryLogRow]:
    if not _visible(ctx, "QueryLogEntry", Guard(officer_id=officer_id)):
        return []
    rows: list[QueryLogRow] = await ctx.loaders.query_log.load(officer_id)
    return rows


async def notifications_of(ctx: Any, officer_id: str) -> list[NotificationRow]:
    if not _visible(ctx, "Notification", Guard(officer_id=officer_id)):
        return []
    rows: list[NotificationRow] = await ctx.loaders.notifications.load(officer_id)
    return rows
