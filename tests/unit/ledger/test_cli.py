"""`registry keygen / sign / verify / publish`: real keys and signatures, clear errors, no tracebacks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import OKPKey

from ledger.bundle import build_bundle
from ledger.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from ledger.events import verify_event
from ledger.merkle import inclusion_proof, leaf_hash, node_hash, root_from_leaves
from registry.cli import main

ORIGIN = "registry.test/log"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_keygen_then_sign_gives_a_verifiable_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "board.jwk"
    code, out, err = run(capsys, "keygen", "--publisher", "ca-post", "--out", str(key_file))
    assert code == 0 and "addPublisherKey" in err
    public = json.loads(out)
    assert public["kid"].startswith("ca-post-") and "d" not in public
    assert key_file.stat().st_mode & 0o777 == 0o600 and "d" in json.loads(key_file.read_text())

    event = tmp_path / "event.json"
    event.write_text(json.dumps({"type": "certification.issued", "eventId": "e-1", "publisher": "ca-post",
                                 "sourceId": "c-1", "state": "CA", "number": "1", "kind": "PEACE_OFFICER",
                                 "issuedOn": "2010-01-01", "subject": {"name": {"givenName": "A", "familyName": "B"},
                                                                      "dateOfBirth": "1980-01-01"}}))
    code, out, _ = run(capsys, "sign", "--key", str(key_file), str(event))
    assert code == 0
    verified = verify_event(out.strip(), lambda kid: OKPKey.import_key(public))
    assert verified.kid == public["kid"] and len(verified.payload["salt"]) >= 22
    assert datetime.fromisoformat(verified.payload["issuedAt"]).tzinfo is not None

    code, _, err = run(capsys, "keygen", "--publisher", "ca-post", "--out", str(key_file))
    assert code == 2 and "refusing to overwrite" in err


@pytest.mark.parametrize(("setup", "argv", "message"), [
    (None, ["sign", "--key", "{tmp}/missing.jwk", "{tmp}/e.json"], "no such file"),
    ("garbage", ["sign", "--key", "{tmp}/k.jwk", "{tmp}/e.json"], "not valid JSON"),
    ("public", ["sign", "--key", "{tmp}/k.jwk", "{tmp}/e.json"], "not a private JWK"),
    ("private", ["sign", "--key", "{tmp}/k.jwk", "{tmp}/bad.json"], "not valid JSON"),
    ("private", ["sign", "--key", "{tmp}/k.jwk", "{tmp}/list.json"], "must be a JSON object"),
    ("private", ["publish", "{tmp}/bad.ndjson", "--key", "{tmp}/k.jwk", "--url", "http://x", "--token", "t"],
     "line 2: not valid JSON"),
    ("private", ["publish", "{tmp}/e.json", "--key", "{tmp}/k.jwk", "--url", "http://x"], "REGISTRY_TOKEN"),
    ("private", ["publish", "{tmp}/e.json", "--key", "{tmp}/k.jwk", "--url", "http://x", "--token", "t",
                 "--batch-size", "5000"], "between 1 and 1000"),
    (None, ["verify", "{tmp}/bad.json", "--log-key", "x+y+z"], "not valid JSON"),
    (None, ["verify", "{tmp}/e.json", "--log-key", "x+y+z"], "not a record bundle"),
    (None, ["verify", "{tmp}/bundle.json", "--log-key", "x+y+z"], "not a verifier key"),
])
def test_input_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             setup: str | None, argv: list[str], message: str) -> None:
    key = OKPKey.generate_key("Ed25519", parameters={"kid": "k1"})
    if setup == "garbage":
        (tmp_path / "k.jwk").write_text("{{")
    elif setup == "public":
        (tmp_path / "k.jwk").write_text(json.dumps(key.as_dict(private=False)))
    elif setup == "private":
        (tmp_path / "k.jwk").write_text(json.dumps(key.as_dict(private=True)))
    (tmp_path / "e.json").write_text(json.dumps({"type": "x", "eventId": "1"}))
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "bad.ndjson").write_text('{"eventId": "1"}\n{nope\n')
    (tmp_path / "bundle.json").write_text(json.dumps({"event": "a.b.c", "checkpoint": "x"}))
    code, out, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 2, (out, err)
    assert err.startswith("error: ") and message in err


def test_verify_checks_a_bundle_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ledger.events import public_jwk_dict, sign_event

    key = OKPKey.generate_key("Ed25519", parameters={"kid": "k1"})
    events = [sign_event({"n": i}, key, "k1") for i in range(3)]
    leaves = [leaf_hash(e.encode()) for e in events]
    signer = NoteSigner.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, root_from_leaves(leaves)), signer)
    nodes = {(0, i): h for i, h in enumerate(leaves)}
    nodes[(1, 0)] = node_hash(leaves[0], leaves[1])
    proof = inclusion_proof(1, 3, lambda lv, i: nodes[(lv, i)])
    bundle: dict[str, Any] = build_bundle(events[1], {"keys": [public_jwk_dict(key)]}, datetime.now(UTC), 1, proof,
                                          note)
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    code, out, _ = run(capsys, "verify", str(path), "--log-key", signer.verifier_key_string())
    assert code == 0 and out.splitlines()[-1] == "bundle verifies"
    code, out, _ = run(capsys, "verify", str(path), "--log-key", NoteSigner.generate(ORIGIN).verifier_key_string())
    assert code == 1 and "failed   checkpoint_signature" in out
    code, out, _ = run(capsys, "verify", str(path), "--log-key", signer.verifier_key_string(), "--origin", "x/log")
    assert code == 1 and "is not 'x/log'" in out
