"""An officer and the rows a history lookup shows of them, in one statement.

A history lookup reads an officer, their certifications, jobs and misconduct records, the records' status steps
and the publishers and agencies they name: seven statements through the DataLoaders, one here. The rows are the
same rows, in the same order, built by the same dataclasses as the loaders' own statements (``ORDER`` of each
store module; a test compares every officer both ways), so the request's loaders can be primed with them and every
field still reads through its one access path (``resolvers.fetch``), with the caller's row rules applied there.
Nothing here knows who asks: hidden rows are read and dropped by the same rules as when a loader reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import asyncpg

from store import certifications, employment, officers, records
from store.models import (
    AgencyRow,
    CertificationRow,
    EmploymentRow,
    OfficerRow,
    PublisherRow,
    RecordRow,
    StatusChangeRow,
    row_to,
)

T = TypeVar("T")

#: The officer's lists a lookup may read with the officer.
PARTS = frozenset({"certifications", "employment", "records"})


@dataclass(frozen=True, slots=True)
class OfficerTree:
    """``None`` for a list the statement did not read."""

    officer: OfficerRow
    certifications: list[CertificationRow] | None
    employment: list[EmploymentRow] | None
    records: list[RecordRow] | None
    history: dict[str, list[StatusChangeRow]] | None  # every record's status steps, by record ID
    publishers: list[PublisherRow]  # every publisher of the officer's rows
    agencies: list[AgencyRow] | None  # every agency the jobs and records name


@cache
def _sql(parts: frozenset[str]) -> str:
    """One row: the officer's columns, then each list as an array of whole rows.

    The publishers and agencies are looked up key by key (a LATERAL subquery the planner may not flatten, ``OFFSET
    0``): an officer names one to a few, and as a join or ``IN`` the planner hashed the whole agencies table on every
    lookup (0.2 ms of PostgreSQL's 0.4 at 1,000 agencies, growing with the table). The officer's own row is computed
    once (``OFFSET 0`` again), not once per column that reads its publisher IDs."""
    cols = ["t.*", "ARRAY(SELECT l.p FROM unnest(t.publisher_ids) k(id),"
                   " LATERAL (SELECT p FROM publishers p WHERE p.id = k.id OFFSET 0) l) AS tree_publishers"]
    if "certifications" in parts:
        cols.append(f"ARRAY(SELECT c FROM certifications c WHERE c.officer_id = t.id ORDER BY {certifications.ORDER})"
                    " AS tree_certifications")
    if "employment" in parts:
        cols.append(f"ARRAY(SELECT e FROM employment e WHERE e.officer_id = t.id ORDER BY {employment.ORDER})"
                    " AS tree_employment")
    if "records" in parts:
        cols.append(f"ARRAY(SELECT r FROM misconduct_records r WHERE r.officer_id = t.id ORDER BY {records.ORDER})"
                    " AS tree_records")
        cols.append("ARRAY(SELECT h FROM record_status_history h WHERE h.record_id IN"
                    f" (SELECT id FROM misconduct_records WHERE officer_id = t.id) ORDER BY {records.HISTORY_ORDER})"
                    " AS tree_history")
    if parts & {"employment", "records"}:
        cols.append("ARRAY(SELECT l.a FROM (SELECT agency_ori FROM employment WHERE officer_id = t.id"
                    "  UNION SELECT agency_ori FROM misconduct_records WHERE officer_id = t.id) k,"
                    " LATERAL (SELECT a FROM agencies a WHERE a.ori = k.agency_ori OFFSET 0) l) AS tree_agencies")
    inner = officers.BY_REQUESTED_ID + " WHERE req.id = $1 OFFSET 0"
    return f"SELECT {', '.join(cols)} FROM ({inner}) t"


async def by_id(conn: asyncpg.Connection | asyncpg.Pool, officer_id: str, parts: frozenset[str]
                ) -> OfficerTree | None:
    """The officer asked for by ``officer_id`` (a merged officer's old ID answers with the survivor, as
    ``officers.by_ids`` does) with the lists in ``parts``; ``None`` when there is no such officer."""
    row = await conn.fetchrow(_sql(parts & PARTS), officer_id)
    if row is None:
        return None
    recs = _rows(row, "tree_records", RecordRow)
    history: dict[str, list[StatusChangeRow]] | None = None
    if recs is not None:
        history = {r.id: [] for r in recs}
        for step in _rows(row, "tree_history", StatusChangeRow) or []:
            history[step.record_id].append(step)
    return OfficerTree(
        officer=officers.officer_from(row),
        certifications=_rows(row, "tree_certifications", CertificationRow),
        employment=_rows(row, "tree_employment", EmploymentRow),
        records=recs,
        history=history,
        publishers=_rows(row, "tree_publishers", PublisherRow) or [],
        agencies=_rows(row, "tree_agencies", AgencyRow),
    )


def _rows(row: asyncpg.Record, column: str, cls: type[T]) -> list[T] | None:
    """A column of rows (PostgreSQL composites, decoded by name) as dataclasses; ``None`` when not read."""
    found = row.get(column)
    return None if found is None else [row_to(cls, r) for r in found]
