"""Apply numbered SQL migrations in order, once, under an advisory lock, with checksums."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_LOCK_KEY = 0x0FF1CE12  # any constant shared by every migrating process
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    """A migration cannot be applied safely; the message says what an operator should do."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file {path.name} is not named NNNN_description.sql")
        found.append(Migration(int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)"""


async def pending(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[Migration]:
    """Migrations not yet applied; raises if an applied one was edited or is missing from disk."""
    migrations = discover() if migrations is None else migrations
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    applied: dict[int, tuple[str, str]] = {}
    if exists:
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
        applied = {r["version"]: (r["name"], r["checksum"]) for r in rows}
    by_version = {m.version: m for m in migrations}
    for version, (name, checksum) in sorted(applied.items()):
        mig = by_version.get(version)
        if mig is None:
            raise MigrationError(f"database has migration {name} which is not on disk; refusing to run")
        if mig.checksum != checksum:
            raise MigrationError(
                f"migration {mig.name} was edited after it was applied (checksum differs); "
                "write a new migration instead of changing an applied one"
            )
    return [m for m in migrations if m.version not in applied]


async def migrate(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[str]:
    """Apply every pending migration in one transaction; concurrent callers wait on the lock."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(_BOOKKEEPING)
        todo = await pending(conn, migrations)
        for mig in todo:
            await conn.execute(mig.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                mig.version, mig.name, mig.checksum,
            )
    return [m.name for m in todo]
