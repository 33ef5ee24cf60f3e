"""Readers that need a checkpoint at the same moment: each may try to sign one, only one signs, and every
reader gets its proof (losing the race to another signer is not a log failure)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from tests.support import World, cert_issued, record_published

PROOF = "query($id: ID!) { record(id: $id) { proof { logIndex treeSize } } }"


async def test_concurrent_readers_all_get_proofs(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> None:
    world = World(pool, tmp_path, checkpoint_seconds=3600)  # no timer; publishes do not sign either
    await world.setup()
    for round_ in range(3):
        oid = (await world.publish_ok("ca-post", cert_issued(number=f"RACE{round_}")))[0]["officerId"]
        rid = (await world.publish_ok("ca-post", record_published(source=f"race-{round_}",
                                                                  subj={"registryId": oid})))[0]["entityId"]
        token = world.token("publisher", publisher_id="ca-post")
        answers = await asyncio.gather(*(world.post(PROOF, {"id": rid}, token=token) for _ in range(12)))
        bodies = [a.json() for a in answers]
        assert all(not b.get("errors") for b in bodies), [b["errors"] for b in bodies if b.get("errors")][:2]
        assert {b["data"]["record"]["proof"]["logIndex"] for b in bodies} == {
            bodies[0]["data"]["record"]["proof"]["logIndex"]}
