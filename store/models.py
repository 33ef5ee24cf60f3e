"""Plain rows as the rest of the code sees them; the policy reads these, never SQL results."""

from __future__ import annotations

import dataclasses
import operator
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

import asyncpg


class NameRow(NamedTuple):
    """One name of an officer. (A named tuple: identity matching builds a few hundred per search, a third the cost of
    a frozen dataclass's.)"""

    kind: str
    given_name: str
    middle_name: str | None
    family_name: str
    suffix: str | None


@dataclass(frozen=True, slots=True)
class OfficerRow:
    id: str
    date_of_birth: date | None
    names: tuple[NameRow, ...]
    # Publishers that have published anything about this officer: their "jurisdiction" over it.
    publisher_ids: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class CertificationRow:
    id: str
    officer_id: str
    publisher_id: str
    source_id: str
    state: str
    number: str
    kind: str
    status: str
    issued_on: date
    expires_on: date | None
    status_reason: str | None
    updated_at: datetime
    refresher_months: int | None = None


@dataclass(frozen=True, slots=True)
class EmploymentRow:
    id: str
    officer_id: str
    publisher_id: str
    source_id: str
    agency_ori: str
    position: str | None
    start_date: date
    end_date: date | None
    separation_reason: str | None


@dataclass(frozen=True, slots=True)
class RecordRow:
    id: str
    officer_id: str
    publisher_id: str
    source_id: str
    kind: str
    state: str
    agency_ori: str | None
    reason_category: str | None
    action_date: date | None
    narrative: str | None
    case_reference: str | None
    status: str
    fair_process_attested: bool
    disputed: bool
    subject_statement: str | None
    statement_at: datetime | None
    expunged_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StatusChangeRow:
    id: int
    record_id: str
    from_status: str | None
    to_status: str
    fair_process_attested: bool
    reason: str | None
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class DisputeRow:
    id: int
    record_id: str
    officer_id: str
    publisher_id: str     # the record's publisher: whose inbox it is in
    reason: str
    opened_at: datetime
    resolution: str | None
    resolution_reason: str | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class AgencyRow:
    ori: str
    name: str
    state: str
    level: str


@dataclass(frozen=True, slots=True)
class PublisherRow:
    id: str
    kind: str
    name: str
    state: str | None
    agency_ori: str | None


@dataclass(frozen=True, slots=True)
class QueryLogRow:
    id: int
    officer_id: str
    actor_role: str
    actor_subject: str
    actor_org: str | None
    purpose: str
    returned: dict[str, Any]
    queried_at: datetime


def row_to(cls: type[Any], row: asyncpg.Record) -> Any:
    """Build a dataclass from a record, taking only the columns the dataclass declares."""
    columns = _COLUMNS.get(cls) or _columns_of(cls)
    return cls(*columns(row))


_COLUMNS: dict[type[Any], Callable[[asyncpg.Record], tuple[Any, ...]]] = {}


def _columns_of(cls: type[Any]) -> Callable[[asyncpg.Record], tuple[Any, ...]]:
    """The record's values of ``cls``'s fields, in their order: one C call per row (a lookup builds a few dozen
    rows; by keyword it cost twice as many instructions)."""
    fields = dataclasses.fields(cls)
    if any(f.kw_only or not f.init for f in fields):
        raise TypeError(f"{cls.__name__}: row_to builds by position, every field must be positional")
    names = [f.name for f in fields]
    columns = (lambda row: (row[names[0]],)) if len(names) == 1 else operator.itemgetter(*names)
    _COLUMNS[cls] = columns
    return columns


async def fetch_grouped(
    conn: asyncpg.Connection | asyncpg.Pool, cls: type[Any], sql: str, keys: Sequence[Any], key: str = "officer_id",
    build: Callable[[asyncpg.Record], Any] | None = None,
) -> list[list[Any]]:
    """Run ``sql`` with ``$1 = keys`` and return one list of ``cls`` rows per key, in key order (DataLoader shape).

    ``build`` turns a record into a row when a plain column copy is not enough.
    """
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for r in await conn.fetch(sql, list(keys)):
        grouped[r[key]].append(build(r) if build is not None else row_to(cls, r))
    return [grouped.get(k, []) for k in keys]
