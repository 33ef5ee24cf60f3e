"""The suite's emptying between tests (tests/conftest.py ``empty_tables``) must leave what ``TRUNCATE ... RESTART
IDENTITY CASCADE`` leaves, or tests would start from different worlds. The oracle is PostgreSQL itself: the same
TRUNCATE run in a transaction that is rolled back, whose tables and sequences are compared with the emptying's."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.conftest import DOMAIN_TABLES, empty_tables
from tests.support import World, cert_issued, record_published, subject


async def _state(conn: asyncpg.Connection) -> tuple[dict[str, int], dict[str, Any]]:
    """Every public table's row count, and every public sequence's (last value, called)."""
    tables = [r["t"] for r in await conn.fetch("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'")]
    counts = {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}
    sequences = {r["s"]: (r["v"], r["c"]) for r in await conn.fetch(
        "SELECT sequencename AS s, last_value AS v, last_value IS NOT NULL AS c FROM pg_sequences "
        "WHERE schemaname = 'public'")}
    return counts, sequences


async def test_emptying_leaves_what_truncate_cascade_leaves(world: World) -> None:
    [row] = await world.publish_ok("ca-post", cert_issued(number="EM-1", subj=subject("Ann", "Lee", "1980-01-02")))
    await world.publish_ok("ca-post", record_published(subj={"registryId": row["officerId"]}, status="FINAL",
                                                       attested=True))
    async with world.pool.acquire() as conn:
        before, _ = await _state(conn)
        assert before["events"] == 2 and before["misconduct_records"] == 1 and before["publishers"] > 0
        tx = conn.transaction()
        await tx.start()
        await conn.execute(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY CASCADE")
        truncated = await _state(conn)
        await tx.rollback()
        assert await _state(conn) != truncated  # (the rows are back)
        async with conn.transaction():
            await empty_tables(conn, DOMAIN_TABLES)
        emptied = await _state(conn)
    assert emptied == truncated
    assert any(n for t, n in before.items() if truncated[0][t] == 0 and t not in DOMAIN_TABLES)  # cascaded rows too
