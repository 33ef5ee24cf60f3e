"""Employment history: which agency employed an officer, when, and how it ended."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from store.models import EmploymentRow, fetch_grouped, row_to

_COLS = ", ".join(EmploymentRow.__dataclass_fields__)
# An officer's jobs in this order wherever they are read (also store.officer_tree).
ORDER = "officer_id, start_date DESC, id"


async def by_officer_ids(
    conn: asyncpg.Connection | asyncpg.Pool, officer_ids: Sequence[str]
) -> list[list[EmploymentRow]]:
    return await fetch_grouped(
        conn, EmploymentRow,
        f"SELECT {_COLS} FROM employment WHERE officer_id = ANY($1::text[]) ORDER BY {ORDER}",
        officer_ids,
    )


async def by_source(conn: asyncpg.Connection, publisher_id: str, source_id: str) -> EmploymentRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLS} FROM employment WHERE publisher_id = $1 AND source_id = $2 FOR UPDATE",
        publisher_id, source_id,
    )
    return None if row is None else row_to(EmploymentRow, row)


async def by_sources(conn: asyncpg.Connection, publisher_id: str,
                     source_ids: Sequence[str]) -> dict[str, EmploymentRow]:
    """A publisher's employment among ``source_ids``, locked as ``by_source`` locks one (absent ones left out)."""
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM employment WHERE publisher_id = $1 AND source_id = ANY($2::text[]) FOR UPDATE",
        publisher_id, list(source_ids),
    )
    return {r["source_id"]: row_to(EmploymentRow, r) for r in rows}


async def insert_many(conn: asyncpg.Connection, rows: Sequence[EmploymentRow]) -> None:
    """New employment in one statement (the set-based publishing path); the same columns as ``insert``."""
    await conn.execute(
        """INSERT INTO employment (id, officer_id, publisher_id, source_id, agency_ori, position, start_date,
                                   end_date, separation_reason)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[],
                                $8::date[], $9::separation_reason[])""",
        *(list(col) for col in zip(*((r.id, r.officer_id, r.publisher_id, r.source_id, r.agency_ori, r.position,
                                      r.start_date, r.end_date, r.separation_reason) for r in rows), strict=True)),
    )


async def insert(conn: asyncpg.Connection, row: EmploymentRow) -> None:
    await conn.execute(
        """INSERT INTO employment (id, officer_id, publisher_id, source_id, agency_ori, position,
                                   start_date, end_date, separation_reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        row.id, row.officer_id, row.publisher_id, row.source_id, row.agency_ori, row.position,
        row.start_date, row.end_date, row.separation_reason,
    )


async def end_many(conn: asyncpg.Connection, ends: Sequence[tuple[str, object, str]]) -> None:
    """(employment ID, end date, separation reason) for several rows in one statement (the set-based publishing
    path); the same change as ``end``."""
    await conn.execute(
        """UPDATE employment e SET end_date = x.end_date, separation_reason = x.reason
             FROM unnest($1::text[], $2::date[], $3::separation_reason[]) AS x(id, end_date, reason)
            WHERE e.id = x.id""",
        *(list(col) for col in zip(*ends, strict=True)),
    )


async def end(conn: asyncpg.Connection, employment_id: str, end_date: object, reason: str) -> None:
    await conn.execute(
        "UPDATE employment SET end_date = $2, separation_reason = $3 WHERE id = $1",
        employment_id, end_date, reason,
    )
