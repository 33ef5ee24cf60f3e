"""Publishers (POST boards, agencies, credentialing bodies) and their signing keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from store.models import PublisherRow, row_to

_COLS = "id, kind, name, state, agency_ori"


@dataclass(frozen=True, slots=True)
class PublisherKeyRow:
    publisher_id: str
    kid: str
    public_jwk: dict[str, Any]
    valid_from: datetime
    revoked_at: datetime | None


async def by_ids(conn: asyncpg.Connection | asyncpg.Pool, ids: Sequence[str]) -> list[PublisherRow | None]:
    rows = await conn.fetch(f"SELECT {_COLS} FROM publishers WHERE id = ANY($1::text[])", list(ids))
    found = {r["id"]: row_to(PublisherRow, r) for r in rows}
    return [found.get(i) for i in ids]


async def all_publishers(conn: asyncpg.Connection | asyncpg.Pool) -> list[PublisherRow]:
    return [row_to(PublisherRow, r) for r in await conn.fetch(f"SELECT {_COLS} FROM publishers ORDER BY id")]


async def insert(conn: asyncpg.Connection, row: PublisherRow) -> None:
    await conn.execute(
        "INSERT INTO publishers (id, kind, name, state, agency_ori) VALUES ($1, $2, $3, $4, $5)",
        row.id, row.kind, row.name, row.state, row.agency_ori,
    )


async def keys_for(conn: asyncpg.Connection | asyncpg.Pool, publisher_id: str) -> list[PublisherKeyRow]:
    rows = await conn.fetch(
        "SELECT publisher_id, kid, public_jwk, valid_from, revoked_at FROM publisher_keys"
        " WHERE publisher_id = $1 ORDER BY valid_from",
        publisher_id,
    )
    return [row_to(PublisherKeyRow, r) for r in rows]


async def all_keys(conn: asyncpg.Connection | asyncpg.Pool) -> dict[str, PublisherKeyRow]:
    """Every registered key by kid (the audit checks each logged event against the key it names)."""
    rows = await conn.fetch("SELECT publisher_id, kid, public_jwk, valid_from, revoked_at FROM publisher_keys")
    return {r["kid"]: row_to(PublisherKeyRow, r) for r in rows}


async def key_by_kid(conn: asyncpg.Connection | asyncpg.Pool, kid: str) -> PublisherKeyRow | None:
    row = await conn.fetchrow(
        "SELECT publisher_id, kid, public_jwk, valid_from, revoked_at FROM publisher_keys WHERE kid = $1", kid
    )
    return None if row is None else row_to(PublisherKeyRow, row)


async def add_key(conn: asyncpg.Connection, publisher_id: str, kid: str, jwk: dict[str, Any],
                  valid_from: datetime | None) -> None:
    await conn.execute(
        "INSERT INTO publisher_keys (publisher_id, kid, public_jwk, valid_from)"
        " VALUES ($1, $2, $3, coalesce($4, now()))",
        publisher_id, kid, jwk, valid_from,
    )


async def revoke_key(conn: asyncpg.Connection, kid: str, at: datetime | None) -> bool:
    done = await conn.fetchval(
        "UPDATE publisher_keys SET revoked_at = coalesce($2, now()) WHERE kid = $1 AND revoked_at IS NULL"
        " RETURNING kid",
        kid, at,
    )
    return done is not None
