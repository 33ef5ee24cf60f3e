"""The registry's state as gauges for /metrics: one statement, read when scraped."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Gauges:
    log_size: int
    checkpoint_size: int | None
    checkpoint_age_seconds: float | None
    outbox_pending: int
    dead_letters: int


async def read(pool: asyncpg.Pool) -> Gauges:
    row = await pool.fetchrow(
        """SELECT (SELECT size FROM log_state) AS log_size,
                  c.size AS checkpoint_size,
                  extract(epoch FROM now() - c.created_at)::float8 AS checkpoint_age_seconds,
                  (SELECT count(*) FROM webhook_outbox WHERE state = 'PENDING') AS outbox_pending,
                  (SELECT count(*) FROM webhook_outbox WHERE state = 'DEAD') AS dead_letters
             FROM (SELECT 1) AS one
             LEFT JOIN LATERAL (SELECT size, created_at FROM checkpoints ORDER BY size DESC LIMIT 1) AS c ON true"""
    )
    assert row is not None
    return Gauges(**dict(row))
