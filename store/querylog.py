"""The disclosure log: who read an officer's history, when, why, and what they got."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from store.models import QueryLogRow, fetch_grouped, row_to

_COLS = "id, officer_id, actor_role, actor_subject, actor_org, purpose, returned, queried_at"


async def append_many(conn: asyncpg.Connection | asyncpg.Pool, entries: Sequence[tuple[Any, ...]]) -> None:
    """entries: (officer_id, role, subject, org, purpose, returned-dict)."""
    await conn.executemany(
        """INSERT INTO query_log (officer_id, actor_role, actor_subject, actor_org, purpose, returned)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        entries,
    )


async def count_recent(conn: asyncpg.Connection | asyncpg.Pool, role: str, org: str, kind: str,
                       hours: int) -> int:
    """How many entries an organisation's ``role`` wrote with ``kind`` in ``returned`` in the last hours."""
    n: int = await conn.fetchval(
        """SELECT count(*) FROM query_log WHERE actor_role = $1 AND actor_org = $2 AND returned ? $3
             AND queried_at > now() - make_interval(hours => $4)""",
        role, org, kind, hours,
    )
    return n


async def by_officer_ids(
    conn: asyncpg.Connection | asyncpg.Pool, officer_ids: Sequence[str]
) -> list[list[QueryLogRow]]:
    # Reads of an officer later merged into this one stay in the log under the old ID; show them here too.
    cols = ", ".join("coalesce(o.merged_into, q.officer_id) AS officer_id" if c == "officer_id" else f"q.{c}"
                     for c in QueryLogRow.__dataclass_fields__)
    return await fetch_grouped(
        conn, QueryLogRow,
        f"""SELECT {cols} FROM query_log q JOIN officers o ON o.id = q.officer_id
            WHERE q.officer_id = ANY($1::text[])
               OR q.officer_id IN (SELECT id FROM officers WHERE merged_into = ANY($1::text[]))
            ORDER BY q.id DESC""",
        officer_ids,
    )


async def page(conn: asyncpg.Connection | asyncpg.Pool, *, after: int | None, limit: int) -> list[QueryLogRow]:
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM query_log WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
        after, limit,
    )
    return [row_to(QueryLogRow, r) for r in rows]


async def earlier_record_readers(conn: asyncpg.Connection | asyncpg.Pool, officer_id: str,
                                 record_id: str) -> list[tuple[str, str, str]]:
    """The hiring agencies that were shown a record: (ORI, subject and purpose of the latest such read).

    A revised report goes to each of them (NPDB-style), with what the agency may read now."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (actor_org) actor_org, actor_subject, purpose::text AS purpose
             FROM query_log
            WHERE officer_id = $1 AND actor_role = 'hiring_agency' AND actor_org IS NOT NULL
              AND returned -> 'MisconductRecord' ? $2
            ORDER BY actor_org, id DESC""",
        officer_id, record_id,
    )
    return [(r["actor_org"], r["actor_subject"], r["purpose"]) for r in rows]
