"""Connection pool on an external PostgreSQL (DATABASE_URL) or an embedded one (pgserver)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

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
        self._server = pgserver.get_server(  # type: ignore[attr-defined,unused-ignore]
            self.pgdata, cleanup_mode="delete" if self._delete else "stop")
        uri: str = self._server.get_uri()
        log.info("embedded PostgreSQL running in %s", self.pgdata)
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, on_query: Callable[[Any], None] | None = None
) -> asyncpg.Pool:
    """``on_query`` sees every statement sent (used to prove query counts stay constant)."""

    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn)
        if on_query is not None:
            conn.add_query_logger(on_query)

    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=init)
    assert pool is not None
    return pool


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """One atomic unit of work: everything inside commits together or not at all."""
    async with pool.acquire() as conn, conn.transaction():
        yield conn
