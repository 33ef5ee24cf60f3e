"""The transparency log end to end: records fetched through GraphQL verify offline (with our verifier and
with one written here from the RFCs), proofs from the API verify, parallel publishers never fork the log,
the audit names every tampering, and expungement keeps every other proof valid."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger import checkpointer, proofs
from ledger.audit import audit
from ledger.bundle import verify_bundle
from ledger.checkpoint import NoteVerifier, open_checkpoint
from ledger.merkle import range_nodes, verify_consistency, verify_inclusion
from registry import database
from tests.support import (
    SETUP_ENTRIES,
    World,
    cert_issued,
    employment_started,
    record_published,
    second_database,
    status_changed,
    subject,
)


@pytest.fixture
async def world(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    """These tests follow the log batch by batch: every committed batch signs a checkpoint (interval 0;
    coalescing is tested in test_concurrent_duplicates.py)."""
    w = World(pool, tmp_path, checkpoint_seconds=0)
    await w.setup()
    return w

ROOT = Path(__file__).resolve().parents[2]
CONSISTENCY = "query($a: Int!, $b: Int!) { consistencyProof(oldSize: $a, newSize: $b) { proof } }"
RECORD = """query($id: ID!) { record(id: $id, purpose: OVERSIGHT_AUDIT) { id narrative bundle
  proof { logIndex leafHash treeSize inclusionProof checkpoint }
  events { jws logIndex acceptedAt type expunged } } }"""


# --- an independent verifier, written from RFC 9162, C2SP signed-note and RFC 7515/8037 only -----------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rfc9162_root(leaf: bytes, m: int, n: int, path: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.3.2, literally."""
    assert m < n
    fn, sn, r = m, n - 1, leaf
    for p in path:
        assert sn != 0, "proof too long"
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = sha256(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0, "proof too short"
    return r


def open_note_independently(note: str, vkey: str) -> tuple[str, int, bytes]:
    """Check the note's Ed25519 signature with the sumdb-style verifier key; return (origin, size, root)."""
    name, key_id, key_b64 = vkey.split("+", 2)
    raw_key = base64.b64decode(key_b64)
    assert raw_key[0] == 1 and sha256(name.encode() + b"\n" + raw_key)[:4].hex() == key_id
    text, _, sigs = note.rpartition("\n\n")
    text += "\n"
    verified = False
    for line in sigs.splitlines():
        signer, blob_b64 = line.removeprefix("\u2014 ").split(" ")
        blob = base64.b64decode(blob_b64)
        if signer == name and blob[:4].hex() == key_id:
            Ed25519PublicKey.from_public_bytes(raw_key[1:]).verify(blob[4:], text.encode())
            verified = True
    assert verified
    origin, size, root = text.splitlines()[:3]
    return origin, int(size), base64.b64decode(root)


def verify_independently(bundle: dict[str, Any], vkey: str, origin: str) -> None:
    jws: str = bundle["event"]
    header_b64, payload_b64, sig_b64 = jws.split(".")
    kid = json.loads(b64url(header_b64))["kid"]
    [jwk] = [k for k in bundle["publisher_keys"]["keys"] if k["kid"] == kid]
    Ed25519PublicKey.from_public_bytes(b64url(jwk["x"])).verify(b64url(sig_b64), f"{header_b64}.{payload_b64}".encode())
    cp_origin, size, root = open_note_independently(bundle["checkpoint"], vkey)
    assert cp_origin == origin
    leaf = sha256(b"\x00" + jws.encode("ascii"))
    assert leaf.hex() == bundle["leaf_hash"]
    path = [bytes.fromhex(h) for h in bundle["inclusion_proof"]]
    assert rfc9162_root(leaf, bundle["log_index"], size, path) == root


# --- helpers --------------------------------------------------------------------------------------------


def vkey(world: World) -> str:
    return world.services.log_signer.verifier_key_string()


def origin(world: World) -> str:
    return world.settings.log_origin


async def fetch_record(world: World, record_id: str) -> dict[str, Any]:
    data = await world.ok(RECORD, {"id": record_id}, as_="auditor")
    record: dict[str, Any] = data["record"]
    return record


async def populate(world: World) -> dict[str, str]:
    """Nine events over three batches (three checkpoints), after the SETUP_ENTRIES registrations World.setup logged
    (log indexes SETUP_ENTRIES to SETUP_ENTRIES + 8): certifications, two records, a status change."""
    people = [("Ann", "Lee"), ("Ben", "Moss"), ("Cara", "Nunez"), ("Dale", "Ortiz")]
    await world.publish_ok(
        "ca-post",
        *[cert_issued(number=f"30000{i}", subj=subject(given, family)) for i, (given, family) in enumerate(people)],
    )
    rec = await world.publish_ok(
        "ca-post",
        record_published(source="rec-1"),
        record_published(
            source="rec-2", subj=subject("Bob", "Stone", "1979-02-03"), narrative="Struck a handcuffed man."
        ),
    )
    await world.publish_ok(
        "ca-post",
        status_changed(source="rec-1", status="FINAL", attested=True),
        cert_issued(number="300009", subj=subject("Cy", "Ray")),
        cert_issued(number="300010", subj=subject("Di", "Fox")),
    )
    return {"rec1": rec[0]["entityId"], "rec2": rec[1]["entityId"]}


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "registry.cli",
        *args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


# --- records verify offline -----------------------------------------------------------------------------


async def test_record_bundle_from_graphql_verifies_offline_two_ways(world: World) -> None:
    ids = await populate(world)
    record = await fetch_record(world, ids["rec1"])
    bundle = record["bundle"]

    report = verify_bundle(bundle, vkey(world), origin(world))
    assert report.ok, report.as_dict()
    assert [c.status for c in report.checks] == ["ok", "ok", "ok", "ok", "skipped"]
    verify_independently(bundle, vkey(world), origin(world))

    # the bundle is the record's latest event, in log order with the rest of its events
    events = record["events"]
    assert [e["type"] for e in events] == ["record.published", "record.status_changed"]
    assert [e["logIndex"] for e in events] == sorted(e["logIndex"] for e in events)
    assert bundle["event"] == events[-1]["jws"] and bundle["log_index"] == events[-1]["logIndex"]
    assert json.loads(b64url(bundle["event"].split(".")[1]))["recordSourceId"] == "rec-1"
    assert bundle["publisher_keys"]["keys"][0]["valid_from"].startswith("2015-01-01")

    proof = record["proof"]
    assert proof["checkpoint"] == bundle["checkpoint"] and proof["leafHash"] == bundle["leaf_hash"]
    cp = open_checkpoint(proof["checkpoint"], NoteVerifier.from_vkey(vkey(world)), origin(world))
    assert cp.size == proof["treeSize"] == SETUP_ENTRIES + 9
    verify_inclusion(
        bytes.fromhex(proof["leafHash"]),
        proof["logIndex"],
        cp.size,
        [bytes.fromhex(h) for h in proof["inclusionProof"]],
        cp.root_hash,
    )


async def test_proofs_and_checkpoints_from_the_api_verify(world: World, database_url: str, tmp_path: Path) -> None:
    # an empty log has no checkpoint (shown on another, empty registry: this one's log opens with registrations)
    async with second_database(database_url) as empty_pool:
        (tmp_path / "empty").mkdir()
        empty = await World(empty_pool, tmp_path / "empty").ok("{ checkpoint }")
    assert empty["checkpoint"] is None
    # before any event, anyone gets the checkpoint of the registrations World.setup logged
    anonymous = await world.ok("{ checkpoint registryLogKey }")
    assert anonymous["registryLogKey"] == vkey(world)
    registered = open_checkpoint(anonymous["checkpoint"], NoteVerifier.from_vkey(vkey(world)), origin(world))
    assert registered.size == SETUP_ENTRIES

    await world.publish_ok(
        "ca-post",
        cert_issued(number="1"),
        cert_issued(number="2", subj=subject("Al", "Bo")),
        cert_issued(number="3", subj=subject("Ed", "Fa")),
    )
    old_note = (await world.ok("{ checkpoint }"))["checkpoint"]
    ids = await populate(world)
    new_note = (await world.ok("{ checkpoint }"))["checkpoint"]
    verifier = NoteVerifier.from_vkey((await world.ok("{ registryLogKey }"))["registryLogKey"])
    old, new = open_checkpoint(old_note, verifier, origin(world)), open_checkpoint(new_note, verifier, origin(world))
    assert (old.size, new.size) == (SETUP_ENTRIES + 3, SETUP_ENTRIES + 12)

    q = (
        "query($a: Int!, $b: Int!) { consistencyProof(oldSize: $a, newSize: $b) "
        "{ oldSize newSize proof oldRoot newRoot } }"
    )
    c = (await world.ok(q, {"a": old.size, "b": new.size}))["consistencyProof"]
    assert (c["oldRoot"], c["newRoot"]) == (old.root_hash.hex(), new.root_hash.hex())
    verify_consistency(old.size, new.size, [bytes.fromhex(h) for h in c["proof"]], old.root_hash, new.root_hash)

    # every stored checkpoint extends the one before it
    stored = await world.pool.fetch("SELECT size, root_hash FROM checkpoints ORDER BY size")
    assert [r["size"] for r in stored] == [SETUP_ENTRIES + n for n in (0, 3, 7, 9, 12)]
    for a, b in itertools.pairwise(stored):
        c = (await world.ok(q, {"a": a["size"], "b": b["size"]}))["consistencyProof"]
        verify_consistency(
            a["size"], b["size"], [bytes.fromhex(h) for h in c["proof"]], bytes(a["root_hash"]), bytes(b["root_hash"])
        )

    # the record bundle plus the older checkpoint and the consistency proof: all five checks pass
    bundle = (await fetch_record(world, ids["rec2"]))["bundle"]
    c = (await world.ok(q, {"a": old.size, "b": new.size}))["consistencyProof"]
    report = verify_bundle(bundle, vkey(world), origin(world), old_note, c["proof"])
    assert report.ok and report.check("consistency").status == "ok", report.as_dict()

    for a, b in [(5, 3), (0, SETUP_ENTRIES + 13), (-1, 2)]:
        body = await world.gql(q, {"a": a, "b": b})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        assert "size" in body["errors"][0]["message"]


async def test_record_proof_fields_follow_the_record_policy(world: World) -> None:
    ids = await populate(world)
    q = "query($id: ID!) { record(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { bundle proof { logIndex } } }"
    # rec-2 is NOTICE_PENDING: a hiring agency may not see it at all; rec-1 is FINAL and attested
    hidden = await world.gql(q, {"id": ids["rec2"]}, as_="hiring_agency", agency_ori="CA0010000")
    assert hidden["data"]["record"] is None
    seen = await world.ok(q, {"id": ids["rec1"]}, as_="hiring_agency", agency_ori="CA0010000")
    assert seen["record"]["bundle"]["event"] and seen["record"]["proof"]["logIndex"] >= 0
    other = await world.gql(
        q.replace("PRE_EMPLOYMENT_BACKGROUND_CHECK", "OVERSIGHT_AUDIT"),
        {"id": ids["rec1"]},
        as_="publisher",
        publisher_id="tx-tcole",
    )
    assert other["data"]["record"] is None


# --- HTTP endpoints -------------------------------------------------------------------------------------


async def test_checkpoint_endpoint_serves_a_note_the_published_key_opens(
    world: World, database_url: str, tmp_path: Path
) -> None:
    # an empty log has no checkpoint to serve (another, empty registry: this one's log opens with registrations)
    async with second_database(database_url) as empty_pool:
        (tmp_path / "empty").mkdir()
        missing = await World(empty_pool, tmp_path / "empty").http.get("/checkpoint")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")
    await populate(world)
    key = await world.http.get("/.well-known/registry-log-key")
    note = await world.http.get("/checkpoint")
    assert key.status_code == note.status_code == 200
    assert note.headers["content-type"].startswith("text/plain")
    cp = open_checkpoint(note.text, NoteVerifier.from_vkey(key.text), origin(world))
    assert cp.size == await world.pool.fetchval("SELECT size FROM log_state")
    assert cp.root_hash == await proofs.root_at(world.pool, cp.size)
    assert open_note_independently(note.text, key.text)[1] == cp.size


# --- concurrency ----------------------------------------------------------------------------------------

GIVEN = ["Alan", "Brent", "Carla", "Dmitri", "Elena"]
FAMILY = ["Hughes", "Ingram", "Jarvis", "Kowalski", "Lindqvist", "Moreno", "Nakamura", "Okafor"]


async def test_parallel_publishers_never_fork_gap_or_duplicate(world: World) -> None:
    def batch(publisher: str, k: int) -> tuple[str, list[dict[str, Any]]]:
        people = [subject(GIVEN[i], FAMILY[k], f"19{60 + k}-0{1 + i}-1{i}") for i in range(5)]
        if publisher in ("ca-post", "tx-tcole"):
            state = "CA" if publisher == "ca-post" else "TX"
            return publisher, [
                cert_issued(publisher, f"{k}{i}77", state, subj=p, source=f"c-{k}-{i}") for i, p in enumerate(people)
            ]
        ori = "CA0010000" if publisher == "sunnyvale-dps" else "TX2270000"
        return publisher, [employment_started(publisher, f"e-{k}-{i}", ori, subj=p) for i, p in enumerate(people)]

    batches = [batch(p, k) for k, p in enumerate(["ca-post", "tx-tcole", "sunnyvale-dps", "austin-pd"] * 2)]
    results = await asyncio.gather(*(world.publish(p, *events) for p, events in batches))
    assert all(r["committed"] for r in results), results
    indexes = sorted(row["logIndex"] for r in results for row in r["results"])
    assert indexes == list(range(SETUP_ENTRIES, SETUP_ENTRIES + 40))  # right after the registrations
    assert await world.pool.fetchval("SELECT size FROM log_state") == SETUP_ENTRIES + 40
    assert await world.pool.fetchval("SELECT count(*) FROM events") == 40
    latest = await checkpointer.latest(world.pool)
    assert latest is not None and latest.size == SETUP_ENTRIES + 40
    async with world.pool.acquire() as conn:
        report = await audit(conn, verifier=NoteVerifier.from_vkey(vkey(world)), origin=origin(world))
    assert report.ok, report.findings
    # the leaves are the 40 events and the registrations before them
    assert report.leaves == report.events + report.registrations == SETUP_ENTRIES + 40
    assert (report.events, report.registrations) == (40, SETUP_ENTRIES)
    assert report.checkpoints_checked >= 1


# --- tamper audit ---------------------------------------------------------------------------------------


async def _audit(world: World) -> Any:
    async with world.pool.acquire() as conn:
        return await audit(conn, verifier=NoteVerifier.from_vkey(vkey(world)), origin=origin(world))


async def _event_id(world: World, index: int) -> int:
    value: int = await world.pool.fetchval("SELECT id FROM events WHERE log_index = $1", index)
    return value


async def test_audit_of_an_untouched_log_is_clean(world: World) -> None:
    await populate(world)
    report = await _audit(world)
    assert report.ok, report.findings
    size = SETUP_ENTRIES + 9  # the registrations, then populate's nine events
    assert (report.log_size, report.leaves, report.events, report.expunged) == (size, size, 9, 0)
    assert report.registrations == SETUP_ENTRIES
    assert report.nodes_checked == sum(size >> level for level in range(1, size.bit_length()))  # 10 + 5 + 2 + 1
    assert report.checkpoints_checked == 3 and report.signatures_checked
    assert report.root == await proofs.root_at(world.pool, size)


async def test_audit_names_an_edited_event(world: World) -> None:
    await populate(world)
    forged = world.sign("ca-post", cert_issued(number="999999", subj=subject("Zed", "Zero")))
    index = SETUP_ENTRIES + 2  # populate's third event
    target = await _event_id(world, index)
    await world.pool.execute("UPDATE events SET jws = $1 WHERE log_index = $2", forged, index)
    report = await _audit(world)
    assert [(f.code, f.table, f.where) for f in report.findings] == [
        ("EVENT_CHANGED", "events", f"id={target} log_index={index}")
    ]


async def test_audit_names_edited_payloads_and_expunged_content(world: World) -> None:
    await populate(world)
    edited, emptied, expunged = SETUP_ENTRIES + 4, SETUP_ENTRIES + 6, SETUP_ENTRIES + 7  # populate's events
    await world.pool.execute(
        'UPDATE events SET payload = payload || \'{"narrative": "nothing"}\' WHERE log_index = $1', edited
    )
    await world.pool.execute("UPDATE events SET jws = NULL, payload = NULL WHERE log_index = $1", emptied)
    await world.pool.execute("UPDATE events SET expunged_at = now() WHERE log_index = $1", expunged)  # content kept
    report = await _audit(world)
    assert [(f.code, f.where) for f in report.findings] == [
        ("PAYLOAD_MISMATCH", f"id={await _event_id(world, edited)} log_index={edited}"),
        ("CONTENT_REMOVED", f"id={await _event_id(world, emptied)} log_index={emptied}"),
        ("EXPUNGED_CONTENT_PRESENT", f"id={await _event_id(world, expunged)} log_index={expunged}"),
    ]


async def test_audit_names_an_edited_interior_node(world: World) -> None:
    await populate(world)
    node = (SETUP_ENTRIES + 4) // 4  # a level-2 node over four of populate's events
    await world.pool.execute("UPDATE log_nodes SET hash = $1 WHERE level = 2 AND idx = $2", sha256(b"forged"), node)
    report = await _audit(world)
    assert [(f.code, f.table, f.where) for f in report.findings] == [
        ("NODE_CHANGED", "log_nodes", f"level=2 idx={node}")
    ]


async def test_audit_names_an_edited_leaf(world: World) -> None:
    await populate(world)
    leaf = SETUP_ENTRIES + 5  # populate's sixth event
    await world.pool.execute("UPDATE log_nodes SET hash = $1 WHERE level = 0 AND idx = $2", sha256(b"forged"), leaf)
    report = await _audit(world)
    assert [(f.code, f.where) for f in report.findings] == [("LEAF_CHANGED", f"level=0 idx={leaf}")]


async def test_audit_names_an_edited_last_leaf_through_the_checkpoint(world: World) -> None:
    await populate(world)  # an odd number of leaves: the last one has no stored parent, only the checkpoint covers it
    last = SETUP_ENTRIES + 8
    assert last % 2 == 0 and (await checkpointer.latest(world.pool)).size == last + 1  # type: ignore[union-attr]
    await world.pool.execute("UPDATE log_nodes SET hash = $1 WHERE level = 0 AND idx = $2", sha256(b"forged"), last)
    report = await _audit(world)
    assert [(f.code, f.where) for f in report.findings] == [("LEAF_CHANGED", f"level=0 idx={last}")]


async def test_audit_names_a_deleted_event_row(world: World) -> None:
    await populate(world)
    index = SETUP_ENTRIES + 3  # populate's fourth event
    assert await world.pool.execute("DELETE FROM events WHERE log_index = $1", index) == "DELETE 1"
    report = await _audit(world)
    assert [(f.code, f.table, f.where) for f in report.findings] == [
        ("LEAF_WITHOUT_EVENT", "log_nodes", f"level=0 idx={index}")
    ]


async def test_audit_names_an_inserted_leaf_and_an_inserted_event(world: World) -> None:
    await populate(world)
    size = SETUP_ENTRIES + 9
    await world.pool.execute("INSERT INTO log_nodes (level, idx, hash) VALUES (0, $1, $2)", size, sha256(b"extra"))
    await world.pool.execute(
        """INSERT INTO events (publisher_id, event_id, type, kid, jws, payload, content_digest, log_index)
           SELECT publisher_id, 'forged', type, kid, jws, payload, content_digest, $1
           FROM events WHERE log_index = $2""",
        size + 1, SETUP_ENTRIES,  # a copy of the first event, past the inserted leaf
    )
    forged = await world.pool.fetchval("SELECT id FROM events WHERE event_id = 'forged'")
    report = await _audit(world)
    found = [(f.code, f.table, f.where) for f in report.findings]
    assert ("UNEXPECTED_NODE", "log_nodes", f"level=0 idx={size}") in found
    assert ("SIZE_MISMATCH", "log_state", f"size={size}") in found
    assert ("EVENT_WITHOUT_LEAF", "events", f"id={forged} log_index={size + 1}") in found
    assert len(found) == 3, found


async def test_audit_names_a_deleted_node_and_a_truncated_log(world: World) -> None:
    await populate(world)
    node = (SETUP_ENTRIES + 4) // 2  # the level-1 node over two of populate's events
    await world.pool.execute("DELETE FROM log_nodes WHERE level = 1 AND idx = $1", node)
    report = await _audit(world)
    assert [(f.code, f.where) for f in report.findings] == [("NODE_MISSING", f"level=1 idx={node}")]
    last = SETUP_ENTRIES + 8  # the last event goes, under the size-(last + 1) checkpoint
    await world.pool.execute("UPDATE log_state SET size = $1", last)
    assert await world.pool.execute("DELETE FROM events WHERE log_index = $1", last) == "DELETE 1"
    await world.pool.execute("DELETE FROM log_nodes WHERE level = 0 AND idx = $1", last)
    codes = (await _audit(world)).codes()
    assert "CHECKPOINT_BEYOND_LOG" in codes


async def test_audit_names_an_edited_checkpoint(world: World) -> None:
    await populate(world)
    size = SETUP_ENTRIES + 9  # the latest checkpoint
    await world.pool.execute("UPDATE checkpoints SET root_hash = $1 WHERE size = $2", sha256(b"forged"), size)
    report = await _audit(world)
    assert [(f.code, f.table, f.where) for f in report.findings] == [
        ("CHECKPOINT_ROW_CHANGED", "checkpoints", f"size={size}")
    ]

    # rewriting the note's root too breaks its signature
    forged_root = base64.b64encode(sha256(b"forged")).decode()
    note = await world.pool.fetchval("SELECT note FROM checkpoints WHERE size = $1", size)
    lines = note.split("\n")
    lines[2] = forged_root
    await world.pool.execute("UPDATE checkpoints SET note = $1 WHERE size = $2", "\n".join(lines), size)
    report = await _audit(world)
    assert [(f.code, f.where) for f in report.findings] == [("CHECKPOINT_SIGNATURE", f"size={size}")]


async def test_audit_catches_a_checkpoint_signed_over_another_tree(world: World) -> None:
    from ledger.checkpoint import Checkpoint, sign_checkpoint

    await populate(world)
    size = SETUP_ENTRIES + 9  # the latest checkpoint
    note = sign_checkpoint(Checkpoint(origin(world), size, sha256(b"fork")), world.services.log_signer.key)
    await world.pool.execute(
        "UPDATE checkpoints SET note = $1, root_hash = $2 WHERE size = $3", note, sha256(b"fork"), size
    )
    report = await _audit(world)
    assert [(f.code, f.where) for f in report.findings] == [("CHECKPOINT_ROOT_MISMATCH", f"size={size}")]


async def test_checkpointer_refuses_to_sign_a_rewritten_history(world: World) -> None:
    await populate(world)
    size = SETUP_ENTRIES + 9  # the latest checkpoint: rewrite the largest stored subtree it signed
    level, idx = range_nodes(0, size)[0]
    await world.pool.execute(
        "UPDATE log_nodes SET hash = $1 WHERE level = $2 AND idx = $3", sha256(b"rewrite"), level, idx
    )
    await world.publish_ok("ca-post", cert_issued(number="after-rewrite", subj=subject("Rae", "Vo")))  # size + 1
    with pytest.raises(checkpointer.CheckpointRefused, match="does not extend"):
        await checkpointer.publish_checkpoint(world.pool, world.services.log_signer, origin(world))
    assert (await checkpointer.latest(world.pool)).size == size  # type: ignore[union-attr]


async def test_registry_audit_cli(world: World, database_url: str, tmp_path: Path) -> None:
    await populate(world)
    env = {
        "DATABASE_URL": database_url,
        "REGISTRY_DATA_DIR": str(tmp_path),
        "REGISTRY_LOG_SIGNER_KEY": world.services.log_signer.key.signer_key_string(),
    }
    code, out, err = await run_cli("audit", env=env)
    assert code == 0, out + err
    assert "audit clean" in out and "checkpoint signatures checked" in out
    # the data directory's admin key checks the registrations: every signature verifies, events' and theirs
    assert (f"{SETUP_ENTRIES} registrations; {SETUP_ENTRIES + 9} signatures verified (admin signatures checked)"
            in out), out
    node = (SETUP_ENTRIES + 2) // 2  # the level-1 node over two of populate's events
    await world.pool.execute("UPDATE log_nodes SET hash = $1 WHERE level = 1 AND idx = $2", sha256(b"x"), node)
    code, out, err = await run_cli("audit", "--json", env=env)
    assert code == 1 and "Traceback" not in err
    assert [(f["code"], f["where"]) for f in json.loads(out)["findings"]] == [("NODE_CHANGED", f"level=1 idx={node}")]


# --- expungement ----------------------------------------------------------------------------------------


async def test_expungement_keeps_the_leaf_and_every_other_proof(world: World) -> None:
    ids = await populate(world)
    before = await fetch_record(world, ids["rec2"])
    old_note = before["bundle"]["checkpoint"]
    rec1_events = await world.pool.fetch(
        "SELECT id, log_index FROM events WHERE entity_id = $1 ORDER BY log_index", ids["rec1"]
    )
    assert len(rec1_events) == 2

    await world.publish_ok("ca-post", status_changed(source="rec-1", status="EXPUNGED"))
    rows = await world.pool.fetch(
        "SELECT jws, payload, expunged_at FROM events WHERE entity_id = $1 ORDER BY log_index", ids["rec1"]
    )
    assert [(r["jws"] is None, r["payload"] is None, r["expunged_at"] is not None) for r in rows] == [
        (True, True, True),
        (True, True, True),
        (False, False, False),
    ]

    record = await fetch_record(world, ids["rec1"])
    assert record["narrative"] is None
    assert [(e["expunged"], e["jws"] is None) for e in record["events"]] == [(True, True), (True, True), (False, False)]
    assert "handcuffed" not in json.dumps(record) and "Falsified" not in json.dumps(record)
    # the expunging event itself is signed and provable
    assert verify_bundle(record["bundle"], vkey(world), origin(world)).ok

    # the expunged events' leaves are still in the tree
    latest = await checkpointer.latest(world.pool)
    assert latest is not None and latest.size == SETUP_ENTRIES + 10
    for inc in await proofs.inclusion_proofs(world.pool, [(r["log_index"], latest.size) for r in rec1_events]):
        verify_inclusion(inc.leaf_hash, inc.index, latest.size, inc.proof, latest.root_hash)

    # another record's bundle verifies now, and its old bundle is consistent with the new checkpoint
    after = await fetch_record(world, ids["rec2"])
    report = verify_bundle(after["bundle"], vkey(world), origin(world))
    assert report.ok, report.as_dict()
    verify_independently(after["bundle"], vkey(world), origin(world))
    c = (await world.ok(CONSISTENCY, {"a": SETUP_ENTRIES + 9, "b": SETUP_ENTRIES + 10}))["consistencyProof"]
    report = verify_bundle(after["bundle"], vkey(world), origin(world), old_note, c["proof"])
    assert report.check("consistency").status == "ok", report.as_dict()

    result = await _audit(world)
    assert result.ok, result.findings
    assert result.expunged == 2 and result.events == 10 and result.registrations == SETUP_ENTRIES


# --- the offline verifier CLI ---------------------------------------------------------------------------


async def test_registry_verify_cli_passes_then_fails_after_tampering(world: World, tmp_path: Path) -> None:
    ids = await populate(world)
    old_note = (await world.ok("{ checkpoint }"))["checkpoint"]
    await world.publish_ok("tx-tcole", cert_issued("tx-tcole", "T1", "TX", subj=subject("Tex", "Ranger")))
    bundle = (await fetch_record(world, ids["rec2"]))["bundle"]
    c = (await world.ok(CONSISTENCY, {"a": SETUP_ENTRIES + 9, "b": SETUP_ENTRIES + 10}))["consistencyProof"]
    (tmp_path / "bundle.json").write_text(json.dumps({"data": {"record": {"bundle": bundle}}}))  # as saved
    (tmp_path / "old.note").write_text(old_note)
    (tmp_path / "consistency.json").write_text(json.dumps(c))
    (tmp_path / "log.key").write_text(vkey(world) + "\n")

    code, out, err = await run_cli(
        "verify",
        str(tmp_path / "bundle.json"),
        "--log-key",
        vkey(world),
        "--origin",
        origin(world),
        "--previous-checkpoint",
        str(tmp_path / "old.note"),
        "--consistency-proof",
        str(tmp_path / "consistency.json"),
    )
    assert code == 0, out + err
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines[:5]] == [
        ["ok", "publisher_signature"],
        ["ok", "leaf_hash"],
        ["ok", "inclusion"],
        ["ok", "checkpoint_signature"],
        ["ok", "consistency"],
    ]
    assert lines[-1] == "bundle verifies"

    tampered = dict(bundle, log_index=bundle["log_index"] - 1)
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    code, out, err = await run_cli("verify", str(tmp_path / "tampered.json"), "--log-key", str(tmp_path / "log.key"))
    assert code == 1 and "Traceback" not in err
    assert out.splitlines()[2].startswith("failed") and "inclusion" in out.splitlines()[2]
    assert out.splitlines()[-1] == "bundle does NOT verify"

    code, out, err = await run_cli("verify", str(tmp_path / "nope.json"), "--log-key", vkey(world))
    assert code == 2 and "no such file" in err and "Traceback" not in err


# --- publishing from a file -----------------------------------------------------------------------------


async def test_registry_publish_signs_uploads_and_reports_each_row(world: World, tmp_path: Path) -> None:
    import httpx

    from registry.cli import ledger as cli_ledger
    from registry.cli.common import CliError

    key, kid = world.keys["ca-post"]
    events = [cert_issued(number=f"55{i}", subj=subject(GIVEN[i], "Quill"), event_id=f"nd-{i}") for i in range(5)]
    for e in events:
        del e["issuedAt"]  # the CLI adds it
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n\n")
    token = world.token("publisher", publisher_id="ca-post")
    transport = httpx.ASGITransport(app=world.app)

    items = cli_ledger._read_events(str(path), key, kid, fmt="ndjson", publisher=None)
    reports = await cli_ledger.publish_events(
        items, url="http://registry", token=token, batch_size=2, dry_run=False, transport=transport, progress=False
    )
    assert [(r.line, r.event_id, r.status) for r in reports] == [(i + 1, f"nd-{i}", "ACCEPTED") for i in range(5)]
    assert sorted(r.log_index for r in reports if r.log_index is not None) == list(
        range(SETUP_ENTRIES, SETUP_ENTRIES + 5)  # right after the registrations
    )
    assert (await checkpointer.latest(world.pool)).size == SETUP_ENTRIES + 5  # type: ignore[union-attr]

    again = await cli_ledger.publish_events(
        cli_ledger._read_events(str(path), key, kid, fmt="ndjson", publisher=None),
        url="http://registry/graphql",
        token=token,
        batch_size=500,
        dry_run=False,
        transport=transport,
        progress=False,
    )
    assert {r.status for r in again} == {"DUPLICATE"}

    bad = [cert_issued(number="77", subj=subject("Ok", "Row")), cert_issued(number="78", state="TX")]
    path.write_text("\n".join(json.dumps(e) for e in bad))
    reports = await cli_ledger.publish_events(
        cli_ledger._read_events(str(path), key, kid, fmt="ndjson", publisher=None),
        url="http://registry",
        token=token,
        batch_size=10,
        dry_run=False,
        transport=transport,
        progress=False,
    )
    assert [(r.status, r.code) for r in reports] == [("NOT_APPLIED", None), ("REJECTED", "FORBIDDEN")]
    assert "atomic" in (reports[0].message or "") and "CA only" in (reports[1].message or "")

    with pytest.raises(cli_ledger.UploadStopped) as stopped:  # a refused caller: the upload stops at once
        await cli_ledger.publish_events(
            cli_ledger._read_events(str(path), key, kid, fmt="ndjson", publisher=None),
            url="http://registry",
            token=world.token("auditor"),
            batch_size=1,
            dry_run=False,
            transport=transport,
            progress=False,
        )
    assert (stopped.value.failed.status, stopped.value.failed.code) == ("FAILED", "FORBIDDEN")
    assert stopped.value.reports == []

    path.write_text(json.dumps(events[0]) + "\n{not json\n[1]\n")
    with pytest.raises(CliError, match="2 bad row") as err:
        cli_ledger._read_events(str(path), key, kid, fmt="ndjson", publisher=None)
    assert "line 2" in str(err.value) and "line 3" in str(err.value)


async def test_append_outside_a_transaction_is_refused(pool: asyncpg.Pool, clean: None) -> None:
    from ledger import log_store

    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await log_store.append_leaves(conn, [b"x"])


# --- the server's checkpoint timer ----------------------------------------------------------------------


async def test_server_lifespan_runs_and_stops_the_checkpoint_timer(
    pool: asyncpg.Pool, clean: None, database_url: str, tmp_path: Path
) -> None:
    from auth.principal import Principal, Role
    from publishing.apply import Publisher, Submission
    from server import create_app

    world = World(pool, tmp_path, checkpoint_seconds=0.05)  # its verifier and settings; the app connects on its own
    await world.setup()

    async def append(number: str) -> None:  # a real, signed event, appended without signing a checkpoint
        caller = Principal(role=Role.PUBLISHER, subject="t", publisher_id="ca-post")
        async with pool.acquire() as conn:
            result = await Publisher(conn, caller, world.services.ssn_key,
                                     admin_keys=world.services.admin_keys.public()).run(
                [Submission(world.sign("ca-post", cert_issued(number=number, subj=subject("Tim", number))))],
                dry_run=False)
        assert result.committed

    app = create_app(world.settings, services=world.services, database_url=database_url)
    async with app.router.lifespan_context(app):
        await append("T-1")
        for _ in range(100):
            latest = await checkpointer.latest(pool)
            if latest is not None and latest.size == SETUP_ENTRIES + 1:  # the registrations and T-1
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the server's timer did not checkpoint")
        # the lifespan runs in this event loop: its timer is a task here, the one running ledger.checkpointer.run_timer
        timers = [t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__qualname__", None) == "run_timer"]
        assert len(timers) == 1 and not timers[0].done()
    # stopped, shown without waiting: the timer task has ended (the lifespan awaits database.while_leader, which
    # cancels and awaits its jobs before unlocking), and the leader lock it ran under is held by no session
    assert timers[0].done()
    held = await pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 "
                               "AND objid = $2 AND objsubid = 2 AND granted", *database.LEADER_LOCK)
    assert held == 0
    await append("T-2")  # so nothing signs it: the latest checkpoint stays at the registrations and T-1
    assert (await checkpointer.latest(pool)).size == SETUP_ENTRIES + 1  # type: ignore[union-attr]
