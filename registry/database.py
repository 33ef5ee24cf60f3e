"""Connection pool on an external PostgreSQL (DATABASE_URL) or an embedded one (pgserver)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from registry import jsonfast

log = logging.getLogger(__name__)

Pool = asyncpg.Pool

#: Failures of the database connection (not of a query): the client did nothing wrong and may retry.
OUTAGES: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError, asyncpg.AdminShutdownError, ConnectionError, TimeoutError, OSError,
)
UNAVAILABLE = "the database is unavailable; try again shortly"


class EmbeddedPostgres:
    """A private PostgreSQL server in ``data_dir/pgdata``, started on demand, stopped on close."""

    def __init__(self, data_dir: Path, *, delete_on_close: bool = False) -> None:
        self.pgdata = data_dir / "pgdata"
        self._delete = delete_on_close
        self._server: Any = None

    def start(self) -> str:
        import pgserver  # type: ignore[attr-defined,unused-ignore]

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(self.pgdata / ".handle_pids.json")
        self._server = pgserver.get_server(  # type: ignore[attr-defined,unused-ignore]
            self.pgdata, cleanup_mode="delete" if self._delete else "stop")
        uri: str = self._server.get_uri()
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def _forget_dead_handles(path: Path) -> None:
    """pgserver stops the server when its last user process lets go, counting users in this file; a process
    that was killed never lets go, and its stale PID would keep every later run from stopping the server."""
    import psutil

    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if not isinstance(pids, list):
        return
    alive = [p for p in pids if isinstance(p, int) and p != os.getpid() and psutil.pid_exists(p)]
    if alive != pids:
        log.info("embedded PostgreSQL: forgetting exited users %s", sorted(set(pids) - set(alive)))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(alive))
        os.replace(tmp, path)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=jsonfast.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=jsonfast.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, on_query: Callable[[Any], None] | None = None
) -> asyncpg.Pool:
    """``on_query`` sees every statement sent (used to prove query counts stay constant)."""

    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn)
        if on_query is not None:
            conn.add_query_logger(on_query)

    # No JIT: compiling a statement whose estimated cost crosses jit_above_cost took 15-20 ms (the identity lookup
    # of a batch's 500 new people: 17 of its 143 ms), more than it saves on the registry's short statements; set at
    # connection start-up (no extra round trip).
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=init, reset=_reset,
                                     server_settings={"jit": "off"})
    assert pool is not None
    return pool


async def _reset(_conn: asyncpg.Connection) -> None:
    """Nothing beyond what asyncpg always does on release (roll back an open transaction, drop listener
    callbacks).

    asyncpg's default reset also sends ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on every
    release: one more round trip for each statement run on the pool (7 of 13 statements of a history lookup).
    The registry leaves no session state behind: no ``SET`` (only ``SET LOCAL``), no session advisory locks
    (only ``pg_advisory_xact_lock``), no cursors outside transactions, and the one LISTEN connection
    (``monitoring.live``) unlistens before it is released (were it not to, its notifications would find no
    callback and be dropped).
    """


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """One atomic unit of work: everything inside commits together or not at all."""
    async with pool.acquire() as conn, conn.transaction():
        yield conn


#: The session advisory lock whose holder runs the registry's background jobs (checkpoint timer, webhook
#: delivery): one holder across every worker process and every server on the database.
LEADER_LOCK = (0x52454749, 1)  # ("REGI", 1)


async def while_leader(pool: asyncpg.Pool, jobs: Callable[[], list[Coroutine[Any, Any, None]]],
                       on_change: Callable[[bool], None], *, retry_seconds: float = 5.0) -> None:
    """Run ``jobs`` in this process only while it holds ``LEADER_LOCK``; until cancelled.

    The lock is a session lock on a connection held for the whole leadership (taken from the pool and kept
    out of it): when the process dies or loses the database, PostgreSQL releases it and another process
    takes over within ``retry_seconds``. The jobs are cancelled as soon as the connection stops answering.
    """
    while True:
        try:
            async with pool.acquire() as conn:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *LEADER_LOCK):
                    tasks = [asyncio.create_task(job) for job in jobs()]
                    on_change(True)
                    try:
                        while all(not t.done() for t in tasks):
                            await asyncio.sleep(retry_seconds)
                            await conn.fetchval("SELECT 1")  # still connected, so still holding the lock
                    finally:
                        on_change(False)
                        for t in tasks:
                            t.cancel()
                        for t in tasks:
                            with contextlib.suppress(asyncio.CancelledError, Exception):
                                await t
                        with contextlib.suppress(Exception):
                            await conn.fetchval("SELECT pg_advisory_unlock($1, $2)", *LEADER_LOCK)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # the database is away: try again
            log.warning("leader election: %s", err)
        await asyncio.sleep(retry_seconds)
