"""Law-enforcement agencies, keyed by ORI."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from store.models import AgencyRow, row_to

_COLS = "ori, name, state, level"


async def by_oris(conn: asyncpg.Connection | asyncpg.Pool, oris: Sequence[str]) -> list[AgencyRow | None]:
    rows = await conn.fetch(f"SELECT {_COLS} FROM agencies WHERE ori = ANY($1::text[])", list(oris))
    found = {r["ori"]: row_to(AgencyRow, r) for r in rows}
    return [found.get(o) for o in oris]


async def page(
    conn: asyncpg.Connection | asyncpg.Pool, *, state: str | None, after: str | None, limit: int
) -> list[AgencyRow]:
    rows = await conn.fetch(
        f"""SELECT {_COLS} FROM agencies WHERE ($1::text IS NULL OR state = $1)
            AND ($2::text IS NULL OR ori > $2) ORDER BY ori LIMIT $3""",
        state, after, limit,
    )
    return [row_to(AgencyRow, r) for r in rows]


async def upsert(conn: asyncpg.Connection, row: AgencyRow) -> None:
    await conn.execute(
        """INSERT INTO agencies (ori, name, state, level) VALUES ($1, $2, $3, $4)
           ON CONFLICT (ori) DO UPDATE SET name = excluded.name, state = excluded.state, level = excluded.level""",
        row.ori, row.name, row.state, row.level,
    )


async def all_agencies(conn: asyncpg.Connection | asyncpg.Pool) -> list[AgencyRow]:
    return [row_to(AgencyRow, r) for r in await conn.fetch(f"SELECT {_COLS} FROM agencies ORDER BY ori")]
