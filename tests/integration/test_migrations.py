from __future__ import annotations

import asyncio
from dataclasses import replace

import asyncpg
import pytest

from registry import migrate
from tests.conftest import _with_db as with_database


async def test_applied_once_and_recorded_with_checksums(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        assert await migrate.migrate(conn) == []
        rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    on_disk = migrate.discover()
    assert [(r["version"], r["name"], r["checksum"]) for r in rows] == [
        (m.version, m.name, m.checksum) for m in on_disk]


async def test_edited_applied_migration_is_refused(pool: asyncpg.Pool) -> None:
    edited = [replace(m, sql=m.sql + "\n-- edited") if m.version == 1 else m for m in migrate.discover()]
    async with pool.acquire() as conn:
        with pytest.raises(migrate.MigrationError, match="edited after it was applied"):
            await migrate.migrate(conn, edited)


async def test_migration_missing_from_disk_is_refused(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(migrate.MigrationError, match="not on disk"):
            await migrate.pending(conn, migrate.discover()[:-1])


async def test_fresh_database_concurrent_migrators(database_url: str) -> None:
    """Two processes migrating a new database at once: the advisory lock makes one wait."""
    admin = await asyncpg.connect(database_url)
    await admin.execute('CREATE DATABASE "migr_race"')
    url = with_database(database_url, "migr_race")
    try:
        conns = [await asyncpg.connect(url) for _ in range(2)]
        results = await asyncio.gather(*(migrate.migrate(c) for c in conns))
        assert sorted(len(r) for r in results) == [0, len(migrate.discover())]
        for c in conns:
            await c.close()
    finally:
        await admin.execute('DROP DATABASE IF EXISTS "migr_race" WITH (FORCE)')
        await admin.close()


async def test_failed_migration_leaves_nothing(pool: asyncpg.Pool) -> None:
    bad = [*migrate.discover(), migrate.Migration(9999, "9999_broken.sql", "CREATE TABLE half (x int); SELECT 1/0;")]
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrate.migrate(conn, bad)
        assert await conn.fetchval("SELECT to_regclass('half')") is None
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations WHERE version = 9999") == 0
