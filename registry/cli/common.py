"""What every command group shares: the database it runs against, and one-line errors."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Iterator

import asyncpg

from registry import database
from registry.config import Settings

__all__ = ["CliError", "connected", "database_url", "fail"]


class CliError(Exception):
    """A problem with the command's input: printed as one line, exit code 2."""


def fail(err: Exception) -> int:
    print(f"error: {err}", file=sys.stderr)
    return 2


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """DATABASE_URL if set, else the embedded server in the data directory for the duration."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = database.EmbeddedPostgres(settings.data_dir)
    print(f"starting embedded PostgreSQL in {embedded.pgdata}", file=sys.stderr)
    try:
        yield embedded.start()
    finally:
        embedded.stop()


@contextlib.asynccontextmanager
async def connected(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn)
    try:
        await database._init_connection(conn)
        yield conn
    finally:
        await conn.close()
