"""Shared fixtures: one real PostgreSQL per test session (embedded unless DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from registry import database, migrate


def _with_db(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh database: a new one on DATABASE_URL's server, or an embedded server in a temp dir."""
    external = os.environ.get("DATABASE_URL")
    if external:
        import asyncio

        name = "registry_test_" + secrets.token_hex(4)

        async def admin(sql: str) -> None:
            conn = await asyncpg.connect(external)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        try:
            yield _with_db(external, name)
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    tmp = Path(tempfile.mkdtemp(prefix="registry-test-"))
    embedded = database.EmbeddedPostgres(tmp, delete_on_close=True)
    try:
        yield embedded.start()
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=2) as setup_pool, setup_pool.acquire() as conn:
        await migrate.migrate(conn)
    p = await database.create_pool(database_url, min_size=2, max_size=8)
    yield p
    try:  # a connection never given back (a leak) would make close() wait forever: say so instead
        await asyncio.wait_for(p.close(), 30)
    except TimeoutError:
        p.terminate()
        pytest.fail("the test pool did not close within 30 s: some code never released a connection")


DOMAIN_TABLES = (
    "query_log", "notifications", "record_disputes", "record_status_history", "misconduct_records",
    "employment", "certifications", "officer_blocking_keys", "officer_names", "events", "log_nodes",
    "checkpoints", "officers", "publisher_keys", "publishers", "agencies", "registry_entries", "upload_batches",
)


@pytest.fixture
async def clean(pool: asyncpg.Pool) -> None:
    """Every test starts from empty tables (the query log's delete guard is bypassed by TRUNCATE)."""
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                # a session some earlier test left inside a transaction would make TRUNCATE wait forever (a
                # hang seen in CI): fail naming it instead
                await conn.execute("SET LOCAL lock_timeout = '20s'")
                await conn.execute(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY CASCADE")
        except asyncpg.LockNotAvailableError:
            holders = await conn.fetch(
                "SELECT pid, state, wait_event, xact_start, left(query, 120) AS query FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
            pytest.fail("an earlier test left a session holding a transaction open: "
                        + "; ".join(f"pid {r['pid']} {r['state']} since {r['xact_start']:%H:%M:%S}: {r['query']}"
                                    for r in holders))
        await conn.execute("UPDATE log_state SET size = 0")
