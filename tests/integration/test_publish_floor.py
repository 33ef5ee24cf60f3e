"""bench.publish_floor, the reference the publishing bench compares the registry with (issue 13): for the same kind of
events it must do no more than the registry must, or the floor would not bound the registry's rate. Checked against
the registry itself: the same rows in the same tables (events with their signed bytes and digests, the log's nodes,
records, their first status, the officers' notices), row for row, and a signature that does not verify is refused."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import asyncpg
import pytest

from bench.publish_floor import SCHEMA, PublishFloor, b64url
from ledger.events import canonical_bytes
from ledger.merkle import leaf_hash, root_from_leaves, root_hash
from tests.support import World, cert_issued, record_published, subject

N = 40  # events each way: several perfect subtrees, and a batch boundary at 16


def _events(prefix: str, officers: list[str]) -> list[dict[str, Any]]:
    return [record_published(source=f"{prefix}-{i}", event_id=f"{prefix}-{i}", subj={"registryId": officers[i % 3]},
                             kind=("DECERTIFICATION", "SUSPENSION")[i % 2], status=("FINAL", "NOTICE_PENDING")[i % 2],
                             attested=i % 2 == 0, narrative=f"Narrative {i}.") for i in range(N)]


def _nodes_for(start: int, count: int) -> int:
    """How many stored nodes appending ``count`` leaves to a log of ``start`` creates: the leaf and one perfect subtree
    per trailing 1-bit of the size before it."""
    return sum(1 + (len(bin(i)) - len(bin(i).rstrip("1"))) for i in range(start, start + count))


async def _rows(conn: asyncpg.Connection, events: str, notices: str, prefix: str) -> list[dict[str, Any]]:
    """Per event of ``prefix``, in order: what the registry's tables (or the floor's copies) hold about it."""
    rows = await conn.fetch(
        f"""SELECT e.event_id, e.type, e.kid, e.jws, e.payload::text AS payload, e.content_digest, e.officer_id,
                   e.entity_id, r.officer_id AS record_officer, r.kind::text, r.state, r.reason_category::text,
                   r.action_date, r.narrative, r.case_reference, r.status::text, r.fair_process_attested,
                   h.from_status::text AS from_status, h.to_status::text AS to_status,
                   h.fair_process_attested AS history_attested, h.reason, h.event_id = e.id AS history_names_event,
                   n.officer_id AS notice_officer, n.kind AS notice_kind, n.message
              FROM {events} e JOIN misconduct_records r ON r.id = e.entity_id
              JOIN record_status_history h ON h.record_id = r.id
              JOIN {notices} n ON n.record_id = r.id
             WHERE e.event_id LIKE $1 ORDER BY e.log_index""", f"{prefix}-%")
    return [dict(r) for r in rows]


async def test_the_floor_writes_the_rows_the_registry_writes(world: World, database_url: str) -> None:
    certified = await world.publish_ok("ca-post", *[
        cert_issued(number=f"PF-{i}", subj=subject(f"Given{i}", f"Family{i}", f"197{i}-02-1{i}")) for i in range(3)])
    officers = [r["officerId"] for r in certified]
    async with world.pool.acquire() as conn:
        size0 = await conn.fetchval("SELECT size FROM log_state")
        nodes0 = await conn.fetchval("SELECT count(*) FROM log_nodes")
    await world.publish_ok("ca-post", *_events("reg", officers))
    async with world.pool.acquire() as conn:
        registry = await _rows(conn, "events", "notifications", "reg")
        registry_nodes = await conn.fetchval("SELECT count(*) FROM log_nodes") - nodes0
    assert len(registry) == N and registry_nodes == _nodes_for(size0, N)

    signed = [world.sign("ca-post", p) for p in _events("flo", officers)]
    name = await world.pool.fetchval("SELECT name FROM publishers WHERE id = 'ca-post'")
    key = b64url(str(world.keys["ca-post"][0].as_dict()["x"]))
    async with PublishFloor(database_url, key, name, batch_size=16) as floor:
        await floor.publish(signed)
        floored = await _rows(floor.conn, f"{SCHEMA}.events", f"{SCHEMA}.notifications", "flo")
        stored = {(r["level"], r["idx"]): bytes(r["hash"])
                  for r in await floor.conn.fetch(f"SELECT level, idx, hash FROM {SCHEMA}.log_nodes")}
    assert len(floored) == N and len(stored) == _nodes_for(0, N)
    # the floor's nodes are a log of its events, in their order
    assert root_hash(N, lambda level, idx: stored[level, idx]) == root_from_leaves(
        leaf_hash(s.encode("ascii")) for s in signed)
    assert [r["jws"] for r in floored] == signed

    same = ("type", "kid", "officer_id", "record_officer", "kind", "state", "reason_category", "action_date",
            "narrative", "case_reference", "status", "fair_process_attested", "from_status", "to_status",
            "history_attested", "reason", "history_names_event", "notice_officer", "notice_kind", "message")
    for reg, flo in zip(registry, floored, strict=True):
        assert {k: reg[k] for k in same} == {k: flo[k] for k in same}
        for row in (reg, flo):
            payload = json.loads(row["payload"])  # the idempotency key: the content without salt and issuedAt
            content = {k: v for k, v in payload.items() if k not in ("salt", "issuedAt")}
            assert bytes(row["content_digest"]) == hashlib.sha256(canonical_bytes(content)).digest()


async def test_the_floor_refuses_a_signature_that_does_not_verify(world: World, database_url: str) -> None:
    good = world.sign("ca-post", record_published(source="bad-1", event_id="bad-1", subj={"registryId": "OFC-X"}))
    header, payload, signature = good.split(".")
    forged = f"{header}.{payload}.{('A' if signature[0] != 'A' else 'B') + signature[1:]}"
    key = b64url(str(world.keys["ca-post"][0].as_dict()["x"]))
    async with PublishFloor(database_url, key, "CA POST") as floor:
        with pytest.raises(ValueError, match="does not verify"):
            await floor.publish([forged])
        assert await floor.conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.events") == 0
