"""Misconduct records, their due-process history and disputes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from store.models import DisputeRow, RecordRow, StatusChangeRow, fetch_grouped, row_to

__all__ = ["RecordRow"]

_COLS = ", ".join(RecordRow.__dataclass_fields__)
# An officer's records, and a record's status steps, in this order wherever they are read (also
# store.officer_tree).
ORDER = "officer_id, action_date DESC NULLS LAST, id"
HISTORY_ORDER = "record_id, id"


async def by_ids(conn: asyncpg.Connection | asyncpg.Pool, ids: Sequence[str]) -> list[RecordRow | None]:
    rows = await conn.fetch(f"SELECT {_COLS} FROM misconduct_records WHERE id = ANY($1::text[])", list(ids))
    found = {r["id"]: row_to(RecordRow, r) for r in rows}
    return [found.get(i) for i in ids]


async def by_officer_ids(
    conn: asyncpg.Connection | asyncpg.Pool, officer_ids: Sequence[str]
) -> list[list[RecordRow]]:
    return await fetch_grouped(
        conn, RecordRow,
        f"SELECT {_COLS} FROM misconduct_records WHERE officer_id = ANY($1::text[]) ORDER BY {ORDER}",
        officer_ids,
    )


async def by_source(conn: asyncpg.Connection, publisher_id: str, source_id: str) -> RecordRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLS} FROM misconduct_records WHERE publisher_id = $1 AND source_id = $2 FOR UPDATE",
        publisher_id,
        source_id,
    )
    return None if row is None else row_to(RecordRow, row)


async def by_sources(conn: asyncpg.Connection, publisher_id: str, source_ids: Sequence[str]) -> dict[str, RecordRow]:
    """A publisher's records among ``source_ids``, locked as ``by_source`` locks one (absent ones left out)."""
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM misconduct_records WHERE publisher_id = $1 AND source_id = ANY($2::text[]) FOR UPDATE",
        publisher_id, list(source_ids),
    )
    return {r["source_id"]: row_to(RecordRow, r) for r in rows}


async def for_update(conn: asyncpg.Connection, record_id: str) -> RecordRow | None:
    row = await conn.fetchrow(f"SELECT {_COLS} FROM misconduct_records WHERE id = $1 FOR UPDATE", record_id)
    return None if row is None else row_to(RecordRow, row)


async def history_by_record_ids(
    conn: asyncpg.Connection | asyncpg.Pool, record_ids: Sequence[str]
) -> list[list[StatusChangeRow]]:
    return await fetch_grouped(
        conn, StatusChangeRow,
        f"""SELECT id, record_id, from_status, to_status, fair_process_attested, reason, changed_at
           FROM record_status_history WHERE record_id = ANY($1::text[]) ORDER BY {HISTORY_ORDER}""",
        record_ids, key="record_id",
    )


async def insert(conn: asyncpg.Connection, row: RecordRow) -> None:
    await conn.execute(
        """INSERT INTO misconduct_records (id, officer_id, publisher_id, source_id, kind, state, agency_ori,
               reason_category, action_date, narrative, case_reference, status, fair_process_attested)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
        row.id,
        row.officer_id,
        row.publisher_id,
        row.source_id,
        row.kind,
        row.state,
        row.agency_ori,
        row.reason_category,
        row.action_date,
        row.narrative,
        row.case_reference,
        row.status,
        row.fair_process_attested,
    )


async def insert_many(conn: asyncpg.Connection, rows: Sequence[RecordRow]) -> None:
    """New records in one statement (the set-based publishing path); the same columns as ``insert``."""
    await conn.execute(
        """INSERT INTO misconduct_records (id, officer_id, publisher_id, source_id, kind, state, agency_ori,
               reason_category, action_date, narrative, case_reference, status, fair_process_attested)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::record_kind[], $6::text[],
                                $7::text[], $8::reason_category[], $9::date[], $10::text[], $11::text[],
                                $12::due_process_status[], $13::boolean[])""",
        *(list(col) for col in zip(*(
            (r.id, r.officer_id, r.publisher_id, r.source_id, r.kind, r.state, r.agency_ori, r.reason_category,
             r.action_date, r.narrative, r.case_reference, r.status, r.fair_process_attested) for r in rows),
            strict=True)),
    )


async def add_history_many(conn: asyncpg.Connection,
                           steps: Sequence[tuple[str, str | None, str, bool, str | None, int | None]]) -> None:
    """History steps (record, from, to, attested, reason, event) in one statement, in the order given."""
    await conn.execute(
        """INSERT INTO record_status_history (record_id, from_status, to_status, fair_process_attested, reason,
                                              event_id)
           SELECT r, f, t, a, why, e FROM unnest($1::text[], $2::due_process_status[], $3::due_process_status[],
                                                 $4::boolean[], $5::text[], $6::bigint[])
                                     WITH ORDINALITY AS s(r, f, t, a, why, e, n) ORDER BY n""",
        *(list(col) for col in zip(*steps, strict=True)),
    )


async def add_history(
    conn: asyncpg.Connection,
    record_id: str,
    from_status: str | None,
    to_status: str,
    attested: bool,
    reason: str | None,
    event_id: int | None,
) -> None:
    await conn.execute(
        """INSERT INTO record_status_history (record_id, from_status, to_status, fair_process_attested,
                                              reason, event_id)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        record_id,
        from_status,
        to_status,
        attested,
        reason,
        event_id,
    )


async def set_status(conn: asyncpg.Connection, record_id: str, status: str, attested: bool) -> None:
    await conn.execute(
        "UPDATE misconduct_records SET status = $2, fair_process_attested = $3, updated_at = now() WHERE id = $1",
        record_id,
        status,
        attested,
    )


_CORRECTABLE = ("reason_category", "action_date", "narrative", "case_reference")


async def correct(conn: asyncpg.Connection, record_id: str, changes: dict[str, Any]) -> None:
    cols = [c for c in _CORRECTABLE if c in changes]
    if not cols:
        return
    sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
    await conn.execute(
        f"UPDATE misconduct_records SET {sets}, updated_at = now() WHERE id = $1",
        record_id,
        *[changes[c] for c in cols],
    )


async def expunge(conn: asyncpg.Connection, record_id: str) -> None:
    """Remove all content; only the identity and the log's hash commitment remain."""
    await conn.execute(
        """UPDATE misconduct_records SET status = 'EXPUNGED', narrative = NULL, case_reference = NULL,
               subject_statement = NULL, statement_at = NULL, reason_category = NULL, action_date = NULL,
               disputed = false, expunged_at = now(), updated_at = now() WHERE id = $1""",
        record_id,
    )
    await conn.execute("UPDATE record_status_history SET reason = NULL WHERE record_id = $1", record_id)
    await conn.execute(
        "UPDATE record_disputes SET reason = '[expunged]', resolution_reason = NULL WHERE record_id = $1",
        record_id,
    )


async def set_statement(conn: asyncpg.Connection, record_id: str, text: str | None) -> None:
    await conn.execute(
        "UPDATE misconduct_records SET subject_statement = $2, statement_at = now(), updated_at = now() WHERE id = $1",
        record_id,
        text,
    )


async def open_dispute(conn: asyncpg.Connection, record_id: str, officer_id: str, reason: str) -> bool:
    """Returns False when a dispute is already open."""
    inserted = await conn.fetchval(
        """INSERT INTO record_disputes (record_id, officer_id, reason) VALUES ($1, $2, $3)
           ON CONFLICT (record_id) WHERE resolved_at IS NULL DO NOTHING RETURNING id""",
        record_id,
        officer_id,
        reason,
    )
    if inserted is None:
        return False
    await conn.execute("UPDATE misconduct_records SET disputed = true, updated_at = now() WHERE id = $1", record_id)
    return True


async def resolve_dispute(
    conn: asyncpg.Connection, record_id: str, resolution: str, reason: str, event_id: int
) -> bool:
    done = await conn.fetchval(
        """UPDATE record_disputes SET resolution = $2, resolution_reason = $3, resolved_at = now(),
                  resolved_event_id = $4
           WHERE record_id = $1 AND resolved_at IS NULL RETURNING id""",
        record_id,
        resolution,
        reason,
        event_id,
    )
    await conn.execute("UPDATE misconduct_records SET disputed = false, updated_at = now() WHERE id = $1", record_id)
    return done is not None


_DISPUTE_COLS = """d.id, d.record_id, d.officer_id, r.publisher_id, d.reason, d.opened_at, d.resolution,
                   d.resolution_reason, d.resolved_at"""


async def disputes_by_record_ids(conn: asyncpg.Connection | asyncpg.Pool,
                                 record_ids: Sequence[str]) -> list[list[DisputeRow]]:
    return await fetch_grouped(
        conn, DisputeRow,
        f"""SELECT {_DISPUTE_COLS} FROM record_disputes d JOIN misconduct_records r ON r.id = d.record_id
            WHERE d.record_id = ANY($1::text[]) ORDER BY d.record_id, d.id""",
        record_ids, key="record_id",
    )


async def dispute_inbox(conn: asyncpg.Connection | asyncpg.Pool, publisher_id: str | None, *, open_only: bool,
                        after: int | None, limit: int) -> list[DisputeRow]:
    """Disputes on one publisher's records (all publishers' for None), oldest open first: the queue to work."""
    rows = await conn.fetch(
        f"""SELECT {_DISPUTE_COLS} FROM record_disputes d JOIN misconduct_records r ON r.id = d.record_id
            WHERE ($1::text IS NULL OR r.publisher_id = $1) AND (NOT $2 OR d.resolved_at IS NULL)
              AND ($3::bigint IS NULL OR d.id > $3)
            ORDER BY d.id LIMIT $4""",
        publisher_id, open_only, after, limit,
    )
    return [row_to(DisputeRow, r) for r in rows]


async def count_disputes(conn: asyncpg.Connection | asyncpg.Pool, publisher_id: str | None, *,
                         open_only: bool) -> int:
    n: int = await conn.fetchval(
        """SELECT count(*) FROM record_disputes d JOIN misconduct_records r ON r.id = d.record_id
           WHERE ($1::text IS NULL OR r.publisher_id = $1) AND (NOT $2 OR d.resolved_at IS NULL)""",
        publisher_id, open_only,
    )
    return n


async def open_dispute_of(conn: asyncpg.Connection, record_id: str) -> DisputeRow | None:
    row = await conn.fetchrow(
        f"""SELECT {_DISPUTE_COLS} FROM record_disputes d JOIN misconduct_records r ON r.id = d.record_id
            WHERE d.record_id = $1 AND d.resolved_at IS NULL""", record_id)
    return None if row is None else row_to(DisputeRow, row)
