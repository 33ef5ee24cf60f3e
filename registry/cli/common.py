"""What every command group shares: the database it runs against, one-line errors, the log keys it is given."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import asyncpg

from ledger.checkpoint import CheckpointError, NoteVerifier, verifiers_from
from registry import database
from registry.config import Settings

__all__ = ["CliError", "connected", "database_url", "fail", "log_verifiers"]


class CliError(Exception):
    """A problem with the command's input: printed as one line, exit code 2."""


def fail(err: Exception) -> int:
    print(f"error: {err}", file=sys.stderr)
    return 2


def log_verifiers(values: Sequence[str], option: str = "--log-key") -> list[NoteVerifier]:
    """The log verifier keys given as ``option`` (repeatable): each a key (name+keyid+base64) or a file holding
    one or several, one per line, as ``/.well-known/registry-log-keys`` serves them while the log rotates its key."""
    texts = []
    for value in values:
        if os.path.isfile(value):
            try:
                texts.append(Path(value).read_text(encoding="ascii"))
            except (OSError, UnicodeDecodeError) as err:
                raise CliError(f"cannot read {option} {value}: {err}") from None
        else:
            texts.append(value)
    try:
        return verifiers_from(texts)
    except CheckpointError as err:
        raise CliError(f"{option} is not a verifier key (name+keyid+base64): {err}") from None


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
