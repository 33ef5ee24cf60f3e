"""Registrations logged under the registry's admin key (``ledger.admin_entries``): the rows that hold them."""

from __future__ import annotations

from typing import Any

import asyncpg

__all__ = ["any_logged", "by_log_range", "for_kid", "insert", "signed"]


async def insert(conn: asyncpg.Connection, *, log_index: int, type_: str, kid: str, jws: str,
                 payload: dict[str, Any]) -> None:
    await conn.execute("INSERT INTO registry_entries (log_index, type, kid, jws, payload) VALUES ($1, $2, $3, $4, $5)",
                       log_index, type_, kid, jws, payload)


async def signed(conn: asyncpg.Connection | asyncpg.Pool) -> list[str]:
    """Every logged registration's JWS in log order."""
    rows = await conn.fetch("SELECT jws FROM registry_entries ORDER BY log_index")
    return [r["jws"] for r in rows]


async def for_kid(conn: asyncpg.Connection | asyncpg.Pool, kid: str, below: int | None = None) -> list[str]:
    """The logged registration and revocations of one publisher key (JWS, in log order; those at indexes below
    ``below`` when given)."""
    rows = await conn.fetch(
        "SELECT jws FROM registry_entries WHERE payload ->> 'kid' = $1 "
        "AND type IN ('registry.key.registered', 'registry.key.revoked') "
        "AND ($2::bigint IS NULL OR log_index < $2) ORDER BY log_index", kid, below)
    return [r["jws"] for r in rows]


async def by_log_range(conn: asyncpg.Connection | asyncpg.Pool, start: int, end: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        "SELECT log_index, jws, kid FROM registry_entries WHERE log_index >= $1 AND log_index < $2 ORDER BY log_index",
        start, end))


async def any_logged(conn: asyncpg.Connection | asyncpg.Pool) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM registry_entries)"))
