"""Streaming replicas for reads (``DATABASE_REPLICA_URLS``): which replica may answer, and how far behind each is.

A replica answers a read only while its lag is within ``max_lag`` seconds; a caller that has just written
(its commit's WAL position, an LSN) gets a replica only once that replica has replayed the LSN, waiting at
most ``wait_seconds``, else the primary answers. Lag is measured against the primary, not against the
replica's last replayed transaction time (which grows on an idle primary): every ``poll_seconds`` the
primary's WAL position is sampled, and a replica's lag is how long ago the primary first passed the position
the replica has replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from registry import database

__all__ = ["CURRENT_LSN", "Replica", "Replicas", "format_lsn", "parse_lsn"]

log = logging.getLogger(__name__)

# Where the primary's WAL ends, the commit records of every transaction committed so far included: the insert position,
# not pg_current_wal_lsn() (the write position), which under synchronous_commit = off can still be before a commit
# the caller has seen return (a replica that replayed "up to it" would not have the write yet).
CURRENT_LSN = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"
REPLAY_LSN = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, pg_is_in_recovery()"
_HISTORY = 3600  # primary positions kept (an hour at one sample a second)


def parse_lsn(text: str) -> int:
    """``16/B374D848`` (PostgreSQL's pg_lsn text) or a plain byte position, as an integer; ValueError if neither."""
    hi, sep, lo = text.strip().partition("/")
    value = (int(hi, 16) << 32) + int(lo, 16) if sep else int(hi)
    if value < 0 or value >= 1 << 64:
        raise ValueError(text)
    return value


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


@dataclass
class Replica:
    name: str          # what metrics and /readyz call it: the host and port, never the password
    url: str
    pool: asyncpg.Pool | None = None
    up: bool = False
    replay_lsn: int | None = None
    lag_seconds: float | None = None
    lag_bytes: int | None = None

    def status(self) -> dict[str, Any]:
        return {"name": self.name, "up": self.up, "lagSeconds": self.lag_seconds, "lagBytes": self.lag_bytes}


def _name(url: str, index: int) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "local"
    return f"{host}:{parts.port}" if parts.port else f"replica-{index}" if host == "local" else host


class Replicas:
    def __init__(self, urls: tuple[str, ...], *, max_lag: float = 5.0, wait_seconds: float = 0.5,
                 poll_seconds: float = 1.0, pool_size: int = 10) -> None:
        self.replicas = [Replica(_name(u, i), u) for i, u in enumerate(urls)]
        self.max_lag = max_lag
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.pool_size = pool_size
        self._primary: asyncpg.Pool | None = None
        self._history: deque[tuple[float, int]] = deque(maxlen=_HISTORY)
        self._turn = itertools.count()
        self._task: asyncio.Task[None] | None = None

    async def start(self, primary: asyncpg.Pool) -> None:
        """Connect lazily (a replica that is down at start-up is retried by the monitor) and start measuring."""
        self._primary = primary
        await self.measure()
        self._task = asyncio.create_task(self._monitor())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for r in self.replicas:
            if r.pool is not None:
                await r.pool.close()
                r.pool = None

    async def _monitor(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.measure()
            except Exception as err:  # the primary is away: replicas are judged again on the next round
                log.warning("replica lag: cannot read the primary's position: %s", err)

    async def measure(self) -> None:
        assert self._primary is not None
        now = time.monotonic()
        self._history.append((now, int(await self._primary.fetchval(CURRENT_LSN))))
        await asyncio.gather(*(self._measure(r, now) for r in self.replicas))

    async def _measure(self, r: Replica, now: float) -> None:
        try:
            if r.pool is None:
                r.pool = await database.create_pool(r.url, min_size=1, max_size=self.pool_size)
            row = await r.pool.fetchrow(REPLAY_LSN)
        except (*database.OUTAGES, asyncpg.PostgresError) as err:
            if r.up:
                log.warning("replica %s is unavailable: %s", r.name, err)
            r.up = False
            return
        assert row is not None
        replay, recovering = row
        if not recovering or replay is None:  # promoted, or not a streaming standby: never read from it
            if r.up or r.replay_lsn is None:
                log.warning("replica %s is not a standby in recovery; reads stay on the primary", r.name)
            r.up, r.replay_lsn = False, None
            return
        r.up, r.replay_lsn = True, int(replay)
        self._lag(r, now)

    def _lag(self, r: Replica, now: float) -> None:
        newest = self._history[-1][1]
        assert r.replay_lsn is not None
        r.lag_bytes = max(0, newest - r.replay_lsn)
        behind = next((t for t, lsn in self._history if lsn > r.replay_lsn), None)
        r.lag_seconds = 0.0 if behind is None else round(now - behind, 3)

    def status(self) -> list[dict[str, Any]]:
        return [r.status() for r in self.replicas]

    async def read_pool(self, min_lsn: int | None = None) -> asyncpg.Pool | None:
        """A replica's pool for a read, or None: read the primary."""
        usable = [r for r in self.replicas if r.up and r.pool is not None and r.lag_seconds is not None
                  and r.lag_seconds <= self.max_lag]
        if not usable:
            return None
        first = next(self._turn) % len(usable)
        ordered = usable[first:] + usable[:first]
        if min_lsn is None:
            return ordered[0].pool
        for r in ordered:
            if r.replay_lsn is not None and r.replay_lsn >= min_lsn:
                return r.pool
        return await self._wait_for(ordered[0], min_lsn)

    async def _wait_for(self, r: Replica, min_lsn: int) -> asyncpg.Pool | None:
        """Read-your-writes: wait (at most ``wait_seconds``) until ``r`` has replayed ``min_lsn``."""
        deadline = time.monotonic() + self.wait_seconds
        pool = r.pool
        assert pool is not None
        while True:
            try:
                replay = await pool.fetchval(REPLAY_LSN)
            except (*database.OUTAGES, asyncpg.PostgresError):
                return None
            if replay is not None and int(replay) >= min_lsn:
                r.replay_lsn = max(r.replay_lsn or 0, int(replay))
                return pool
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.01)
