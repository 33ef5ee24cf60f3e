"""Record bundles: a real log of signed events, a bundle per event, and tampering with each part."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc.jwk import OKPKey

from ledger.bundle import (
    CHECK_CHECKPOINT,
    CHECK_CONSISTENCY,
    CHECK_INCLUSION,
    CHECK_LEAF_HASH,
    CHECK_PUBLISHER_SIGNATURE,
    BundleReport,
    build_bundle,
    key_valid_at,
    verify_bundle,
)
from ledger.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from ledger.events import generate_ed25519_jwk, public_jwk_dict, sign_event
from ledger.merkle import CompactRange, consistency_proof, inclusion_proof, leaf_hash

ORIGIN = "registry.example.gov/log"
KID = "post-board-tx/2025-01"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Log:
    registry: NoteSigner
    publisher: OKPKey
    events: list[str]
    nodes: dict[tuple[int, int], bytes]
    checkpoints: dict[int, str]

    def get_node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def keys(self, **validity: str) -> dict[str, Any]:
        return {"keys": [{**public_jwk_dict(self.publisher), **validity}]}

    def bundle(self, index: int, size: int, **validity: str) -> dict[str, Any]:
        return build_bundle(
            self.events[index],
            self.keys(**validity),
            T0 + timedelta(minutes=index),
            index,
            inclusion_proof(index, size, self.get_node),
            self.checkpoints[size],
        )


@pytest.fixture(scope="module")
def log() -> Log:
    registry = NoteSigner.generate(ORIGIN)
    publisher = generate_ed25519_jwk(KID)
    events = [sign_event({"type": "CERTIFIED", "officer": f"OFC-{i}"}, publisher, KID) for i in range(7)]
    cr = CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    checkpoints: dict[int, str] = {}
    for event in events:
        for level, index, value in cr.append(leaf_hash(event.encode("ascii"))):
            nodes[(level, index)] = value
        checkpoints[cr.size] = sign_checkpoint(Checkpoint(ORIGIN, cr.size, cr.root()), registry)
    return Log(registry, publisher, events, nodes, checkpoints)


def verify(log: Log, bundle: Any, **kwargs: Any) -> BundleReport:
    return verify_bundle(bundle, log.registry.verifier_key_string(), ORIGIN, **kwargs)


def failed(report: BundleReport) -> set[str]:
    return {c.name for c in report.checks if c.status == "failed"}


def test_valid_bundle(log: Log) -> None:
    report = verify(log, log.bundle(2, 7))
    assert report.ok, report.as_dict()
    assert [c.name for c in report.checks] == [
        CHECK_PUBLISHER_SIGNATURE,
        CHECK_LEAF_HASH,
        CHECK_INCLUSION,
        CHECK_CHECKPOINT,
        CHECK_CONSISTENCY,
    ]
    assert report.check(CHECK_CONSISTENCY).status == "skipped"
    assert report.event is not None and report.event.payload["officer"] == "OFC-2"
    assert report.checkpoint == Checkpoint(ORIGIN, 7, CompactRange.load(7, log.get_node).root())
    json.dumps(report.as_dict())


def test_every_leaf_and_size(log: Log) -> None:
    for size in range(1, 8):
        for index in range(size):
            assert verify(log, log.bundle(index, size)).ok


def test_bundle_as_json_text(log: Log) -> None:
    assert verify(log, json.dumps(log.bundle(0, 3))).ok
    assert verify(log, json.dumps(log.bundle(0, 3)).encode()).ok
    for junk in ("not json", "[1]", b"\xff", "null"):
        report = verify(log, junk)
        assert not report.ok and failed(report) == {
            CHECK_PUBLISHER_SIGNATURE,
            CHECK_LEAF_HASH,
            CHECK_INCLUSION,
            CHECK_CHECKPOINT,
        }


# --- the event -----------------------------------------------------------------------------


def test_tampered_event_payload(log: Log) -> None:
    bundle = log.bundle(2, 7)
    h, _, s = bundle["event"].split(".")
    _, other_payload, _ = log.events[3].split(".")
    bundle["event"] = f"{h}.{other_payload}.{s}"
    assert failed(verify(log, bundle)) == {CHECK_PUBLISHER_SIGNATURE, CHECK_LEAF_HASH, CHECK_INCLUSION}


def test_swapped_for_another_signed_event(log: Log) -> None:
    bundle = log.bundle(2, 7)
    bundle["event"] = sign_event({"type": "DECERTIFIED", "officer": "OFC-2"}, log.publisher, KID)
    assert failed(verify(log, bundle)) == {CHECK_LEAF_HASH, CHECK_INCLUSION}
    bundle["leaf_hash"] = leaf_hash(bundle["event"].encode()).hex()  # consistent, but not in the log
    assert failed(verify(log, bundle)) == {CHECK_INCLUSION}


def test_leaf_hash_tampered_or_malformed(log: Log) -> None:
    for value in ("00" * 32, log.bundle(3, 7)["leaf_hash"], "zz", 5, None, "AB" * 32):
        bundle = log.bundle(2, 7)
        bundle["leaf_hash"] = value
        assert failed(verify(log, bundle)) == {CHECK_LEAF_HASH}, value


# --- publisher keys and time ------------------------------------------------------------------


def test_key_validity_window(log: Log) -> None:
    signed_at = T0 + timedelta(minutes=2)
    before, after = (signed_at - timedelta(days=1)).isoformat(), (signed_at + timedelta(days=1)).isoformat()
    assert verify(log, log.bundle(2, 7, valid_from=before, revoked_at=after)).ok
    assert not verify(log, log.bundle(2, 7, revoked_at=signed_at.isoformat())).ok  # revoked that instant
    revoked = verify(log, log.bundle(2, 7, revoked_at=before))
    assert failed(revoked) == {CHECK_PUBLISHER_SIGNATURE}
    assert "revoked" in revoked.check(CHECK_PUBLISHER_SIGNATURE).reason
    assert failed(verify(log, log.bundle(2, 7, valid_from=after))) == {CHECK_PUBLISHER_SIGNATURE}
    naive = verify(log, log.bundle(2, 7, revoked_at="2030-01-01T00:00:00"))
    assert failed(naive) == {CHECK_PUBLISHER_SIGNATURE}
    assert "time zone" in naive.check(CHECK_PUBLISHER_SIGNATURE).reason


def test_signed_at_moved_past_revocation(log: Log) -> None:
    bundle = log.bundle(2, 7, revoked_at=(T0 + timedelta(hours=1)).isoformat())
    assert verify(log, bundle).ok
    bundle["signed_at"] = (T0 + timedelta(hours=2)).isoformat()
    assert failed(verify(log, bundle)) == {CHECK_PUBLISHER_SIGNATURE}
    for junk in ("yesterday", "2025-03-01T12:00:00", None):
        bundle["signed_at"] = junk
        assert failed(verify(log, bundle)) == {CHECK_PUBLISHER_SIGNATURE}


def test_publisher_keys_tampered(log: Log) -> None:
    other = generate_ed25519_jwk(KID)
    cases: list[Any] = [
        {"keys": [public_jwk_dict(other)]},  # another key under the same kid
        {"keys": []},
        {"keys": [public_jwk_dict(log.publisher), public_jwk_dict(log.publisher)]},  # ambiguous kid
        {"keys": [other.as_dict(private=True)]},  # a private JWK is refused outright
        {"keys": [{**public_jwk_dict(log.publisher), "x": "AAAA"}]},
        [public_jwk_dict(log.publisher)],  # not a JWKS
        None,
    ]
    for keys in cases:
        bundle = log.bundle(2, 7)
        bundle["publisher_keys"] = keys
        assert failed(verify(log, bundle)) == {CHECK_PUBLISHER_SIGNATURE}, keys


def test_trusted_publisher_keys_override(log: Log) -> None:
    bundle = log.bundle(2, 7)
    bundle["publisher_keys"] = {"keys": [public_jwk_dict(generate_ed25519_jwk(KID))]}
    assert verify(log, bundle, trusted_publisher_keys=log.keys()).ok
    assert not verify(log, log.bundle(2, 7), trusted_publisher_keys={"keys": []}).ok


def test_key_valid_at() -> None:
    jwk = {"kid": "k", "valid_from": "2025-01-01T00:00:00Z", "revoked_at": "2025-02-01T00:00:00+00:00"}
    assert key_valid_at(jwk, datetime(2025, 1, 1, tzinfo=UTC))[0]
    assert not key_valid_at(jwk, datetime(2024, 12, 31, 23, 59, tzinfo=UTC))[0]
    assert not key_valid_at(jwk, datetime(2025, 2, 1, tzinfo=UTC))[0]
    assert key_valid_at({"kid": "k"}, datetime(1999, 1, 1, tzinfo=UTC))[0]


# --- log position and proof -------------------------------------------------------------------


def test_log_index_tampered(log: Log) -> None:
    for index in (1, 3, 7, -1, True, "2", None):
        bundle = log.bundle(2, 7)
        bundle["log_index"] = index
        assert failed(verify(log, bundle)) == {CHECK_INCLUSION}, index


def test_inclusion_proof_tampered(log: Log) -> None:
    good = log.bundle(2, 7)["inclusion_proof"]
    flipped = [("1" if p[0] == "0" else "0") + p[1:] if i == 1 else p for i, p in enumerate(good)]
    for proof in (flipped, good[:-1], [*good, good[0]], [], list(reversed(good)), "ab", [good[0][:-2]]):
        bundle = log.bundle(2, 7)
        bundle["inclusion_proof"] = proof
        assert failed(verify(log, bundle)) == {CHECK_INCLUSION}, proof


def test_proof_for_another_size(log: Log) -> None:
    bundle = log.bundle(2, 7)
    bundle["inclusion_proof"] = log.bundle(2, 5)["inclusion_proof"]
    assert failed(verify(log, bundle)) == {CHECK_INCLUSION}


# --- checkpoint ---------------------------------------------------------------------------------


def test_checkpoint_tampered(log: Log) -> None:
    bundle = log.bundle(2, 7)
    bundle["checkpoint"] = bundle["checkpoint"].replace(f"{ORIGIN}\n7\n", f"{ORIGIN}\n8\n", 1)
    assert failed(verify(log, bundle)) == {CHECK_CHECKPOINT, CHECK_INCLUSION}


def test_checkpoint_signed_by_another_key(log: Log) -> None:
    bundle = log.bundle(2, 7)
    cp = Checkpoint(ORIGIN, 7, CompactRange.load(7, log.get_node).root())
    bundle["checkpoint"] = sign_checkpoint(cp, NoteSigner.generate(ORIGIN))
    report = verify(log, bundle)
    assert failed(report) == {CHECK_CHECKPOINT, CHECK_INCLUSION}
    assert "trusted key" in report.check(CHECK_CHECKPOINT).reason


def test_checkpoint_of_another_log(log: Log) -> None:
    other_origin = "elsewhere.example/log"
    bundle = log.bundle(2, 7)
    cp = Checkpoint(other_origin, 7, CompactRange.load(7, log.get_node).root())
    bundle["checkpoint"] = sign_checkpoint(cp, log.registry)
    assert failed(verify(log, bundle)) == {CHECK_CHECKPOINT, CHECK_INCLUSION}


def test_wrong_or_broken_registry_key(log: Log) -> None:
    other = NoteSigner.generate(ORIGIN).verifier_key_string()
    for vkey in (other, "garbage", ""):
        report = verify_bundle(log.bundle(2, 7), vkey, ORIGIN)
        assert failed(report) == {CHECK_CHECKPOINT, CHECK_INCLUSION}
    report = verify_bundle(log.bundle(2, 7), log.registry.verifier_key_string(), "wrong.example/log")
    assert failed(report) == {CHECK_CHECKPOINT, CHECK_INCLUSION}


def test_missing_fields(log: Log) -> None:
    expected = {
        "event": {CHECK_PUBLISHER_SIGNATURE, CHECK_LEAF_HASH, CHECK_INCLUSION},
        "publisher_keys": {CHECK_PUBLISHER_SIGNATURE},
        "signed_at": {CHECK_PUBLISHER_SIGNATURE},
        "log_index": {CHECK_INCLUSION},
        "leaf_hash": {CHECK_LEAF_HASH},
        "inclusion_proof": {CHECK_INCLUSION},
        "checkpoint": {CHECK_CHECKPOINT, CHECK_INCLUSION},
    }
    for name, checks in expected.items():
        bundle = log.bundle(2, 7)
        del bundle[name]
        assert failed(verify(log, bundle)) == checks, name


# --- consistency with an earlier checkpoint -------------------------------------------------


def test_consistency_ok(log: Log) -> None:
    for old in range(1, 8):
        proof = [h.hex() for h in consistency_proof(old, 7, log.get_node)]
        report = verify(log, log.bundle(2, 7), previous_checkpoint=log.checkpoints[old], consistency_proof=proof)
        assert report.ok and report.check(CHECK_CONSISTENCY).ok, (old, report.as_dict())


def test_consistency_failures(log: Log) -> None:
    proof = [h.hex() for h in consistency_proof(3, 7, log.get_node)]
    bad_proof = [proof[0][:-1] + ("0" if proof[0][-1] != "0" else "1"), *proof[1:]]
    foreign = sign_checkpoint(Checkpoint(ORIGIN, 3, leaf_hash(b"forked")), NoteSigner.generate(ORIGIN))
    forked = sign_checkpoint(Checkpoint(ORIGIN, 3, leaf_hash(b"forked")), log.registry)
    cases: list[tuple[str, list[str] | None]] = [
        (log.checkpoints[3], bad_proof),
        (log.checkpoints[3], None),
        (log.checkpoints[3], proof[:-1]),
        (log.checkpoints[4], proof),  # proof for another size
        (foreign, proof),  # not signed by the registry
        (forked, proof),  # signed, but a different history: the registry forked its log
        ("not a note", proof),
    ]
    for previous, cproof in cases:
        report = verify(log, log.bundle(2, 7), previous_checkpoint=previous, consistency_proof=cproof)
        assert failed(report) == {CHECK_CONSISTENCY}, (previous, cproof)
    bigger = copy.deepcopy(log.bundle(2, 5))
    report = verify(log, bigger, previous_checkpoint=log.checkpoints[7], consistency_proof=[])
    assert failed(report) == {CHECK_CONSISTENCY}
    assert "larger" in report.check(CHECK_CONSISTENCY).reason


# --- the worked example of docs/ledger-formats.md ----------------------------------------

DOC = Path(__file__).resolve().parents[3] / "docs" / "ledger-formats.md"
EX_KID = "example-publisher/2025-01"
EX_ORIGIN = "registry.example.gov/log"
EX_X = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"
EX_VKEY = "registry.example.gov/log+07f01f92+ASmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X"
EX_EVENT0 = (
    "eyJhbGciOiJFZDI1NTE5Iiwia2lkIjoiZXhhbXBsZS1wdWJsaXNoZXIvMjAyNS0wMSIsInR5cCI6InJlZ2lzdHJ5LWV2ZW50K2p3cyJ9"
    ".eyJvZmZpY2VyX2lkIjoiT0ZDLTAwMDAwMSIsInNhbHQiOiJBQUVDQXdRRkJnY0lDUW9MREEwT0R3Iiwic3RhdGUiOiJUWCIsInR5cGUi"
    "OiJDRVJUSUZJQ0FUSU9OIn0"
    ".QPFwVemHiU0rY7vvKYTPtAVCTBgBWNDgtf6L58qUOJYgC8oNkylIKH1qjwXgYD7qqk8P78iMfOwpd1j1WHZYCw"
)
EX_LEAVES = [
    "41b65550e822f1509b53c138f31f1cf9cd65d4ae6ee2fa6d596454ae11d5373e",
    "e09c4bd7242a11e743b286abc377432182c764913cfa5a70a44925a60c8f0dde",
    "a5e48c50898f2a3debe797ef32bc774b16ebe7c16be3fe87b4d3d4b51750316c",
]
EX_ROOT3 = "9155254f20b4183e48410f5d6119707d5c509f3b4ec35c04479fc6c9184e7f15"
EX_CP3 = (
    "registry.example.gov/log\n3\nkVUlTyC0GD5IQQ9dYRlwfVxQnztOw1wER5/GyRhOfxU=\n\n"
    "\u2014 registry.example.gov/log "
    "B/Afko9AkHaBI80WvGP3o3pmYi2rayokKm3L+qxo/rO0Ka7/9UewSExEV53ko9iGeTb4TIiIdbl+QZcmXvI+dH4lygU=\n"
)
EX_CP2 = (
    "registry.example.gov/log\n2\nUzh7IrvGAArLkQYNd6iHdD9rlIXwE9IK/waflevGyOs=\n\n"
    "\u2014 registry.example.gov/log "
    "B/Afko836Dxjpsjcxd0Jh5eehX0jFGzpEBO4o+f/h6rK68MxBE0lAvNOiJBe88bv2walc3dQL6pIDKwqmLzLvra8egA=\n"
)


def _b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_worked_example() -> None:
    seed = bytes(range(32))
    pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    publisher = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "d": _b64u(seed), "x": _b64u(pub), "kid": EX_KID})
    assert public_jwk_dict(publisher)["x"] == EX_X
    registry = NoteSigner(EX_ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64))))
    assert registry.verifier_key_string() == EX_VKEY

    events = [
        sign_event(
            {
                "type": "CERTIFICATION",
                "officer_id": f"OFC-00000{i + 1}",
                "state": "TX",
                "salt": _b64u(bytes(range(16 * i, 16 * i + 16))),
            },
            publisher,
            EX_KID,
        )
        for i in range(3)
    ]
    assert events[0] == EX_EVENT0
    assert [leaf_hash(e.encode()).hex() for e in events] == EX_LEAVES
    cr, nodes = CompactRange(), {}
    for e in events:
        nodes.update({(lvl, i): v for lvl, i, v in cr.append(leaf_hash(e.encode()))})
    assert cr.root().hex() == EX_ROOT3
    root2 = CompactRange.load(2, lambda lvl, i: nodes[(lvl, i)]).root()
    assert sign_checkpoint(Checkpoint(EX_ORIGIN, 3, cr.root()), registry) == EX_CP3
    assert sign_checkpoint(Checkpoint(EX_ORIGIN, 2, root2), registry) == EX_CP2
    proof = inclusion_proof(0, 3, lambda lvl, i: nodes[(lvl, i)])
    assert [p.hex() for p in proof] == EX_LEAVES[1:]
    cproof = [p.hex() for p in consistency_proof(2, 3, lambda lvl, i: nodes[(lvl, i)])]
    assert cproof == EX_LEAVES[2:]

    keys = {"keys": [{**public_jwk_dict(publisher), "valid_from": "2025-01-01T00:00:00Z"}]}
    bundle = build_bundle(events[0], keys, datetime(2025, 3, 1, 12, tzinfo=UTC), 0, proof, EX_CP3)
    report = verify_bundle(bundle, EX_VKEY, EX_ORIGIN, EX_CP2, cproof)
    assert report.ok and report.check(CHECK_CONSISTENCY).ok

    # The document shows these very values, and its bundle JSON verifies as printed.
    doc = DOC.read_text(encoding="utf-8")
    for value in (EX_X, EX_VKEY, EX_EVENT0, EX_ROOT3, *EX_LEAVES, *EX_CP3.split("\n"), *EX_CP2.split("\n")):
        assert value in doc, value
    printed = json.loads(doc.split("```json\n")[-1].split("\n```")[0])
    assert printed == bundle
    assert verify_bundle(printed, EX_VKEY, EX_ORIGIN).ok
