"""The same events sent twice at once: one batch applies them, the other gets DUPLICATE for each, never an
error (issue: the loser used to be REJECTED by the unique constraint and its whole batch NOT_APPLIED)."""

from __future__ import annotations

import asyncio

from tests.support import SETUP_ENTRIES, World, cert_issued, subject


async def test_the_same_batch_sent_twice_at_once_is_applied_once(world: World) -> None:
    for round_ in range(3):
        events = [cert_issued(number=f"{round_}-{i:04d}", event_id=f"r{round_}-e{i}",
                              subj=subject("Kim", f"Ng{round_}x{i}", "1980-01-01")) for i in range(60)]
        first, second = await asyncio.gather(world.publish("ca-post", *events), world.publish("ca-post", *events))
        assert first["committed"] and second["committed"], (first, second)
        outcomes = sorted([{r["status"] for r in first["results"]}, {r["status"] for r in second["results"]}],
                          key=sorted)
        assert outcomes == [{"ACCEPTED"}, {"DUPLICATE"}], outcomes
        winner, loser = (first, second) if first["accepted"] else (second, first)
        assert [r["entityId"] for r in loser["results"]] == [r["entityId"] for r in winner["results"]]
        assert [r["logIndex"] for r in loser["results"]] == [r["logIndex"] for r in winner["results"]]


async def test_checkpoints_are_coalesced_and_signed_on_demand(world: World) -> None:
    """Many batches in one checkpoint interval sign one checkpoint; a reader still gets the current tree."""
    for i in range(8):
        await world.publish_ok("ca-post", cert_issued(number=f"CP-{i}", event_id=f"cp-{i}",
                                                      subj=subject("Ada", f"Quill{i}x", "1982-02-02")))
    count = await world.pool.fetchval("SELECT count(*) FROM checkpoints")
    assert count == 1, count  # the first batch signed; the next seven were inside the interval
    # (the setup's registrations sign no checkpoint: the first one covers them and the first event)
    assert await world.pool.fetchval("SELECT size FROM checkpoints") == SETUP_ENTRIES + 1
    data = await world.ok("{ checkpoint }")
    # signed on demand for the reader: the setup's registrations and all eight events
    assert data["checkpoint"].splitlines()[1] == str(SETUP_ENTRIES + 8)
    assert await world.pool.fetchval("SELECT count(*) FROM checkpoints") == 2
    resp = await world.http.get("/checkpoint")
    assert resp.status_code == 200 and resp.text.splitlines()[1] == str(SETUP_ENTRIES + 8)
    assert await world.pool.fetchval("SELECT count(*) FROM checkpoints") == 2  # nothing new: nothing signed
