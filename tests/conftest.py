"""Shared fixtures: one real PostgreSQL per test session (embedded unless DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import urllib.parse
from collections.abc import AsyncIterator, Iterator, Sequence
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


_EMPTYING: dict[tuple[str, tuple[str, ...]], str] = {}  # (database, tables): the script that empties them


async def empty_tables(conn: asyncpg.Connection, tables: Sequence[str]) -> None:
    """What ``TRUNCATE tables RESTART IDENTITY CASCADE`` leaves, in the caller's transaction (or one of its own):
    every row of the tables and of the tables referring to them (transitively, by foreign key) deleted, and their
    sequences restarted.

    With DELETE rather than TRUNCATE when the role may skip triggers (``session_replication_role``; the append-only
    guards and foreign keys are triggers): TRUNCATE gives each of some thirty tables new files, 100-140 ms per test on
    this machine, against a few ms to delete the rows a test leaves. A role that may not falls back to TRUNCATE."""
    if not conn.is_in_transaction():  # (SET LOCAL holds only inside one)
        async with conn.transaction():
            await empty_tables(conn, tables)
        return
    database = await conn.fetchval("SELECT current_database()")
    key = (database, tuple(tables))
    script = _EMPTYING.get(key)
    if script is None:
        script = _EMPTYING[key] = await _emptying_script(conn, tables)
    await conn.execute(script)


async def empty_registry(conn: asyncpg.Connection, extra: Sequence[str] = ()) -> None:
    """An empty registry: ``DOMAIN_TABLES`` (and ``extra``) emptied and the log's size back to 0, in one transaction
    (the caller's or one of its own)."""
    async with conn.transaction():
        await empty_tables(conn, (*DOMAIN_TABLES, *extra))
        await conn.execute("UPDATE log_state SET size = 0")


async def _emptying_script(conn: asyncpg.Connection, tables: Sequence[str]) -> str:
    if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        return f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
    closure = [r["name"] for r in await conn.fetch(
        """WITH RECURSIVE closure(oid) AS (
             SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
             UNION
             SELECT k.conrelid FROM pg_constraint k JOIN closure ON k.confrelid = closure.oid WHERE k.contype = 'f')
           SELECT c.relname AS name FROM closure JOIN pg_class c ON c.oid = closure.oid ORDER BY 1""", list(tables))]
    if len(closure) < len(set(tables)):
        raise RuntimeError(f"not every table of {sorted(tables)} exists")
    sequences = [(r["seq"], r["start"]) for r in await conn.fetch(
        """SELECT DISTINCT s.oid::regclass::text AS seq, q.seqstart AS start
             FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
             JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype IN ('a', 'i')
             JOIN pg_class t ON t.oid = d.refobjid
            WHERE s.relkind = 'S' AND t.relname = ANY($1::text[]) ORDER BY 1""", closure)]
    return "; ".join(["SET LOCAL session_replication_role = replica",
                      *(f'DELETE FROM "{t}"' for t in closure),
                      *(f"SELECT setval('{seq}', {start}, false)" for seq, start in sequences),
                      "SET LOCAL session_replication_role = origin"])


@pytest.fixture
async def clean(pool: asyncpg.Pool) -> None:
    """Every test starts from empty tables (the query log's delete guard is skipped: ``empty_tables``)."""
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                # a session some earlier test left inside a transaction would make emptying wait forever (a
                # hang seen in CI): fail naming it instead
                await conn.execute("SET LOCAL lock_timeout = '20s'")
                await empty_registry(conn)
        except asyncpg.LockNotAvailableError:
            holders = await conn.fetch(
                "SELECT pid, state, wait_event, xact_start, left(query, 120) AS query FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
            pytest.fail("an earlier test left a session holding a transaction open: "
                        + "; ".join(f"pid {r['pid']} {r['state']} since {r['xact_start']:%H:%M:%S}: {r['query']}"
                                    for r in holders))
