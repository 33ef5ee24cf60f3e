"""State certifications (including training credentials)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from store.models import CertificationRow, fetch_grouped, row_to

_COLS = ", ".join(CertificationRow.__dataclass_fields__)


async def by_officer_ids(
    conn: asyncpg.Connection | asyncpg.Pool, officer_ids: Sequence[str]
) -> list[list[CertificationRow]]:
    return await fetch_grouped(
        conn, CertificationRow,
        f"SELECT {_COLS} FROM certifications WHERE officer_id = ANY($1::text[]) ORDER BY officer_id, id", officer_ids,
    )


async def by_number(
    conn: asyncpg.Connection | asyncpg.Pool, state: str, number: str
) -> list[CertificationRow]:
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM certifications WHERE state = $1 AND upper(number) = upper($2) ORDER BY id",
        state, number,
    )
    return [row_to(CertificationRow, r) for r in rows]


async def by_source(conn: asyncpg.Connection, publisher_id: str, source_id: str) -> CertificationRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLS} FROM certifications WHERE publisher_id = $1 AND source_id = $2 FOR UPDATE",
        publisher_id, source_id,
    )
    return None if row is None else row_to(CertificationRow, row)


async def insert(conn: asyncpg.Connection, row: CertificationRow) -> None:
    await conn.execute(
        """INSERT INTO certifications (id, officer_id, publisher_id, source_id, state, number, kind, status,
                                       issued_on, expires_on, status_reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        row.id, row.officer_id, row.publisher_id, row.source_id, row.state, row.number, row.kind,
        row.status, row.issued_on, row.expires_on, row.status_reason,
    )


async def set_status(
    conn: asyncpg.Connection, cert_id: str, status: str, reason: str | None, expires_on: object
) -> None:
    await conn.execute(
        """UPDATE certifications SET status = $2, status_reason = $3,
                  expires_on = coalesce($4, expires_on), updated_at = now() WHERE id = $1""",
        cert_id, status, reason, expires_on,
    )
