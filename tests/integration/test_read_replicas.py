"""Read replicas, for real: a primary and a streaming replica made with pg_basebackup -R on loopback.

Reads of hiring agencies, partners and the public go to the replica; publishers and every mutation go to the
primary; a caller that sends back its write's LSN reads its write (from the replica once replayed, else from
the primary after a bounded wait); a replica behind the lag bound, or down, answers nothing; lag shows in
/readyz and /metrics. Replay is paused on the replica to make it lag on purpose: a paused replica is the
one place where "which database answered" is visible in the answer itself.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from registry import database, migrate
from registry.replicas import CURRENT_LSN, parse_lsn
from tests.replication import Cluster, replicated_cluster
from tests.support import World, cert_issued, subject

TOKEN = "replica-metrics-token-0123456789"
ORI = "CA0190000"
LOOKUP = "query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { id } }"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with replicated_cluster() as c:
        yield c


@pytest.fixture
async def primary(cluster: Cluster) -> AsyncIterator[asyncpg.Pool]:
    """A fresh database for each test (created on the primary, so the replica gets it too)."""
    name = f"registry_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(cluster.primary_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    cluster.database = name
    pool = await database.create_pool(cluster.url(cluster.primary_url), min_size=1, max_size=6)
    async with pool.acquire() as conn:
        await migrate.migrate(conn)
    yield pool
    await pool.close()


async def _replica_sql(cluster: Cluster, sql: str) -> Any:
    conn = await asyncpg.connect(cluster.url(cluster.replica_url))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _replayed(cluster: Cluster, primary: asyncpg.Pool) -> None:
    """Wait until the replica has replayed everything the primary has written (replay running)."""
    target = await primary.fetchval(CURRENT_LSN)  # (the cluster runs with synchronous_commit = off)
    for _ in range(500):
        if await _replica_sql(cluster, "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint") >= target:
            return
        await asyncio.sleep(0.02)
    pytest.fail("the replica never caught up")


async def _lookup(world: World, officer_id: str, headers: dict[str, str] | None = None) -> str | None:
    body = await world.gql(LOOKUP, {"id": officer_id}, as_="hiring_agency", agency_ori=ORI, headers=headers)
    data = body.get("data") or {}
    return (data.get("officer") or {}).get("id")


async def _new_officer(world: World, number: str) -> tuple[str, str]:
    """Publish one officer on the primary: (officer ID, the mutation's Registry-LSN)."""
    from tests.support import PUBLISH

    event = cert_issued(number=number, subj=subject(given="Rhea", family=f"Lag{number}"))
    subs = [{"jws": world.sign("ca-post", event), "ssn": None}]
    resp = await world.post(PUBLISH, {"e": subs, "d": False}, token=world.token("publisher", publisher_id="ca-post"))
    body = resp.json()
    assert body["data"]["publishEvents"]["committed"], body
    return body["data"]["publishEvents"]["results"][0]["officerId"], resp.headers["registry-lsn"]


async def test_reads_follow_the_replica_and_writes_are_read_back(cluster: Cluster, primary: asyncpg.Pool,
                                                                  tmp_path: Path) -> None:
    world = World(primary, tmp_path, replica_urls=(cluster.url(cluster.replica_url),), replica_max_lag=600,
                  replica_wait=0.3, metrics_token=TOKEN, checkpoint_seconds=0)
    await world.setup()
    async with world.app.router.lifespan_context(world.app):
        first, lsn = await _new_officer(world, "R1")
        # read-your-writes at once: the position the mutation gave is past its commit (under synchronous_commit =
        # off too, as this cluster runs), so the replica answers only once it has the officer
        assert await _lookup(world, first, {"Registry-Min-LSN": lsn}) == first
        await _replayed(cluster, primary)
        assert await _lookup(world, first) == first  # replay running: the replica has it

        await _replica_sql(cluster, "SELECT pg_wal_replay_pause()")
        try:
            officer, lsn = await _new_officer(world, "R2")
            parse_lsn(lsn)  # the mutation told its caller where its write is
            # the hiring agency reads the paused replica: the new officer is not there yet ...
            assert await _lookup(world, officer) is None
            # ... the publisher reads the primary, and so does any caller sending the write's LSN back after
            # the replica failed to replay it within REGISTRY_REPLICA_WAIT
            pub = await world.gql("query($id: ID!) { officer(id: $id) { id } }", {"id": officer},
                                  as_="publisher", publisher_id="ca-post")
            assert pub["data"]["officer"]["id"] == officer
            assert await _lookup(world, officer, {"Registry-Min-LSN": lsn}) == officer
            bad = await world.post(LOOKUP, {"id": officer}, token=world.token("hiring_agency", agency_ori=ORI),
                                   headers={"Registry-Min-LSN": "not-a-position"})
            assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
            # the public's page reads the replica too (statistics from the paused replica: one fewer officer)
            ready = (await world.http.get("/readyz")).json()
            assert ready["status"] == "ready" and ready["replicas"][0]["up"] is True
        finally:
            await _replica_sql(cluster, "SELECT pg_wal_replay_resume()")
        await _replayed(cluster, primary)
        assert await _lookup(world, officer) == officer  # replayed: the replica answers with it


async def test_a_replica_behind_the_bound_or_down_answers_nothing(cluster: Cluster, primary: asyncpg.Pool,
                                                                   tmp_path: Path) -> None:
    world = World(primary, tmp_path, replica_urls=(cluster.url(cluster.replica_url),), replica_max_lag=1.0,
                  replica_wait=0.1, metrics_token=TOKEN, checkpoint_seconds=0)
    await world.setup()
    async with world.app.router.lifespan_context(world.app):
        await _replica_sql(cluster, "SELECT pg_wal_replay_pause()")
        try:
            officer, _ = await _new_officer(world, "L1")
            state = world.app.state.registry

            async def lag() -> float:
                await state.replicas.measure()
                return float((await world.http.get("/readyz")).json()["replicas"][0]["lagSeconds"] or 0)

            for _ in range(100):  # lag grows while replay is paused (waiting for time to pass, not timing it)
                if await lag() > 1.0:
                    break
                await asyncio.sleep(0.05)
            assert await lag() > 1.0
            # beyond the bound the primary answers, so the hiring agency sees the new officer
            assert await _lookup(world, officer) == officer
            scrape = await world.http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            lines = {ln.split(" ")[0]: float(ln.split(" ")[1]) for ln in scrape.text.splitlines()
                     if ln.startswith("registry_replica_")}
            [name] = [k for k in lines if k.startswith("registry_replica_lag_seconds")]
            assert lines[name] > 1.0 and lines[name.replace("lag_seconds", "up")] == 1
            assert any(k.startswith("registry_replica_lag_bytes") and v > 0 for k, v in lines.items())
        finally:
            await _replica_sql(cluster, "SELECT pg_wal_replay_resume()")
        await _replayed(cluster, primary)

        cluster.stop_replica()
        try:
            await state.replicas.measure()
            ready = (await world.http.get("/readyz")).json()
            assert ready["status"] == "ready" and ready["replicas"][0]["up"] is False
            officer2, _ = await _new_officer(world, "L2")
            assert await _lookup(world, officer2) == officer2  # served by the primary
        finally:
            cluster.start_replica()
