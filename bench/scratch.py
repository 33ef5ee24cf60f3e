"""A throw-away database for a benchmark: never the registry's own data."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from registry import database


@asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """A new database on DATABASE_URL's server (dropped after), or an embedded server in a temp dir (removed)."""
    external = os.environ.get("DATABASE_URL")
    if external:
        name = f"{prefix}_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(external)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
            parts = urllib.parse.urlsplit(external)
            yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        return
    where = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    embedded = database.EmbeddedPostgres(where, delete_on_close=True)
    try:
        yield embedded.start()
    finally:
        embedded.stop()
        shutil.rmtree(where, ignore_errors=True)
