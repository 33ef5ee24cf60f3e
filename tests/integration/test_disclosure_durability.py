"""A disclosure is on the officer's query log before the answer leaves (auth.disclosure_log), even when concurrent
requests share one commit: with the log's table locked, no answer is sent; once it is released, every answer comes
with its entry, the requests that waited together written in one transaction. A write that fails refuses only
the requests whose entries could not be written. Each test runs with compiled plans (the default) and with
graphql-core alone: a plan whose write failed hands the request to graphql-core, which writes again."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from registry.config import Settings
from server import create_app
from tests.support import AUDIENCE, World, cert_issued, record_published, subject

HIRING: dict[str, Any] = {"agency_ori": "TX2270000"}
LOOKUP = """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  id names { familyName } records { edges { node { id status } } } } }"""


async def _officers(world: World, n: int) -> list[str]:
    rows = await world.publish_ok("ca-post", *[cert_issued(number=f"D-{i}", subj=subject(f"Ann{i}", f"Lee{i}",
                                                                                        "1980-01-0" + str(1 + i)))
                                               for i in range(n)])
    ids = [r["officerId"] for r in rows]
    await world.publish_ok("ca-post", *[record_published(source=f"d-{i}", subj={"registryId": oid}, status="FINAL",
                                                         attested=True) for i, oid in enumerate(ids)])
    return ids


@pytest.fixture(params=["plans", "graphql-core"])
def lookups(request: pytest.FixtureRequest, world: World) -> httpx.AsyncClient:
    """The registry as served, or a twin with compiled plans off (its own query-log writer, same database)."""
    if request.param == "plans":
        return world.http
    twin = create_app(Settings(data_dir=world.settings.data_dir, audience=AUDIENCE, compiled_plans=False),
                      pool=world.pool, services=world.services)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=twin), base_url="http://registry")


async def _lookup(world: World, http: httpx.AsyncClient, officer_id: str) -> httpx.Response:
    return await http.post("/graphql", json={"query": LOOKUP, "variables": {"id": officer_id}},
                           headers={"Authorization": f"Bearer {world.token('hiring_agency', **HIRING)}"})


async def _entries(pool: asyncpg.Pool, ids: list[str]) -> list[asyncpg.Record]:
    return list(await pool.fetch("SELECT officer_id, xmin::text AS tx FROM query_log WHERE officer_id = ANY($1) "
                                 "AND actor_role = 'hiring_agency' ORDER BY id", ids))


async def test_no_answer_leaves_before_its_entry_is_committed(world: World, lookups: httpx.AsyncClient) -> None:
    ids = await _officers(world, 6)
    async with world.pool.acquire() as blocker:
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("LOCK TABLE query_log IN SHARE MODE")  # inserts wait for it
        first = asyncio.create_task(_lookup(world, lookups, ids[0]))
        await asyncio.sleep(0.3)
        rest = [asyncio.create_task(_lookup(world, lookups, oid)) for oid in ids[1:]]
        await asyncio.sleep(0.7)
        assert not first.done() and not any(t.done() for t in rest), "an answer left before its disclosure was logged"
        assert await _entries(world.pool, ids) == []
        await tx.rollback()  # the lock goes
    answers = [await t for t in [first, *rest]]
    assert all(a.status_code == 200 and not a.json().get("errors") for a in answers)
    assert [a.json()["data"]["officer"]["id"] for a in answers] == ids
    entries = await _entries(world.pool, ids)
    assert sorted(e["officer_id"] for e in entries) == sorted(ids)
    # the first waited alone; the five that came while it waited were committed together
    by_tx: dict[str, set[str]] = {}
    for e in entries:
        by_tx.setdefault(e["tx"], set()).add(e["officer_id"])
    assert sorted(map(len, by_tx.values())) == [1, 5], by_tx


async def test_a_failed_write_refuses_only_the_requests_it_could_not_log(world: World,
                                                                       lookups: httpx.AsyncClient) -> None:
    ids = await _officers(world, 4)
    # a constraint that refuses one officer's entry stands in for any bad row
    await world.pool.execute(f"ALTER TABLE query_log ADD CONSTRAINT test_refuse CHECK (officer_id <> '{ids[0]}')")
    try:
        async with world.pool.acquire() as blocker:
            tx = blocker.transaction()
            await tx.start()
            await blocker.execute("LOCK TABLE query_log IN SHARE MODE")
            first = asyncio.create_task(_lookup(world, lookups, ids[1]))
            await asyncio.sleep(0.3)
            rest = [asyncio.create_task(_lookup(world, lookups, oid)) for oid in (ids[0], ids[2], ids[3])]
            await asyncio.sleep(0.5)
            await tx.rollback()
        answers = dict(zip([ids[1], ids[0], ids[2], ids[3]], [await t for t in [first, *rest]], strict=True))
    finally:
        await world.pool.execute("ALTER TABLE query_log DROP CONSTRAINT IF EXISTS test_refuse")
    refused = answers.pop(ids[0]).json()
    assert not (refused.get("data") or {}).get("officer"), refused
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "INTERNAL" and "query log" in error["message"], error
    assert "constraint" not in error["message"] and "DETAIL" not in error["message"]  # no database internals
    assert all(a.status_code == 200 and not a.json().get("errors") for a in answers.values())
    assert sorted(e["officer_id"] for e in await _entries(world.pool, ids)) == sorted(answers)


async def test_no_connection_refuses_every_waiting_request(database_url: str,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """A pool that gives no connection (closed here) refuses each waiting request's answer, none hangs, the writer
    says why and is ready for the next ones."""
    from auth.disclosure_log import DisclosureLog
    from registry import database
    from registry.errors import RegistryError

    closed = await database.create_pool(database_url, min_size=1, max_size=1)
    await closed.close()
    writer = DisclosureLog(closed)
    entry: tuple[Any, ...] = ("OFC-000000000000", "hiring_agency", "sub", "TX2270000",
                              "PRE_EMPLOYMENT_BACKGROUND_CHECK", {})
    results = await asyncio.wait_for(asyncio.gather(*(writer.write([entry]) for _ in range(3)),
                                                    return_exceptions=True), 10)
    assert all(isinstance(r, RegistryError) and "query log" in str(r) for r in results), results
    assert writer._writer is None and not writer._waiting
    assert "the query log's connection failed" in caplog.text
