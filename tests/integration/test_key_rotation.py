"""Key rotation with an overlap (`registry rotate-key`, `registry retire-key`): the registry's keys are files in
its data directory, read by `Services.build` at each (re)start, as `registry serve` does; during the overlap a
verifier holding only the OLD public key keeps verifying and one holding the NEW key verifies too.

- attestation: new attestations are signed by the new key; the JWKS and the SD-JWT VC issuer metadata publish
  both; after retirement the old key's public half stays unless dropped, and then its tokens fail naming the kid;
- webhook: every delivery carries a v1a signature by each key (the server's worker and `deliver-webhooks`);
- log: every checkpoint is signed by both keys; audit, bundles, `registry verify`, the monitor, witnesses and
  the attestations' log anchors keep verifying across the rotation; the signer still refuses a fork.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from credentials import attestation
from ledger import admin_key, checkpointer
from ledger import keys as log_keys
from ledger.checkpoint import CheckpointError, NoteVerifier, open_checkpoint
from ledger.cosignature import Cosigner, cosigned_by
from ledger.monitor import MonitorError
from ledger.witness import Witness
from monitoring import signing as webhook_signing
from registry.cli import main
from registry.cli.log_monitor import monitor
from registry.services import Services
from server import create_app
from tests.integration.monitoring_support import (
    TEST_CONFIG,
    Receiver,
    agency_token,
    receiving,
    register,
    serve,
    truncate_monitoring,
    wait_for_state,
)
from tests.integration.test_monitoring_readme import _blocks
from tests.support import ISSUER, SETUP_ENTRIES, World, cert_issued, record_published, subject
from web.witness import create_witness_app

ROOT = Path(__file__).resolve().parents[2]
ENV_KEYS = (attestation.ENV_VAR, webhook_signing.ENV_VAR, log_keys.ENV_VAR, admin_key.ENV_VAR,
            "REGISTRY_LOG_SIGNER_STATE", "REGISTRY_WITNESSES", "REGISTRY_LOG_ORIGIN", "REGISTRY_ENV")
VERIFY = """query($s: String!, $n: String!) { verifyCredential(state: $s, number: $n) { kid jws sdJwt } }"""
CHECKING = {"Registry-Purpose": "CREDENTIAL_VERIFICATION"}
PRESENTED = """query($t: String!) { verifyPresentation(token: $t) { valid error kid logIndex } }"""


# --- the registry as `registry serve` runs it: keys from the data directory, read at start-up -----------------
async def restart(world: World) -> World:
    """Stop and start the registry on the world's data directory: ``Services.build`` reads the key files."""
    issuers = world.settings.data_dir / "issuers.json"
    if not issuers.exists():
        issuers.write_text(json.dumps([{
            "issuer": ISSUER, "jwks_file": str(world.settings.data_dir / "jwks.json"),
            "roles": ["officer", "hiring_agency", "partner", "publisher", "credentialing_body", "auditor", "admin"],
            "officer_ids": ["*"], "agency_oris": ["*"], "publisher_ids": ["*"], "partner_ids": ["*"]}]))
    world.settings = replace(world.settings, issuers_file=issuers)
    services = Services.build(world.settings)
    services.ssn_key = world.services.ssn_key
    world.services = services
    await world.http.aclose()
    world.app = create_app(world.settings, pool=world.pool, services=services)
    world.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=world.app), base_url="http://registry")
    return world


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ENV_KEYS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))  # where `registry rotate-key` finds the keys
    return tmp_path


@pytest.fixture
async def served(pool: asyncpg.Pool, clean: None, data_dir: Path) -> World:
    world = World(pool, data_dir, checkpoint_seconds=0)  # every publish signs a checkpoint
    await restart(world)
    await world.setup()
    return world


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


async def acli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """A command that runs its own event loop (audit, deliver-webhooks, verify-credential with a URL)."""
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _private_files(secrets: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in secrets.iterdir() if not p.name.endswith(".lock")}


def _cert(n: int) -> dict[str, Any]:
    return cert_issued(number=f"K-{n}", event_id=f"k-{n}", subj=subject("Ada", f"Kern{n}x", "1981-01-01"))


async def _attest(world: World, number: str) -> dict[str, Any]:
    data = await world.ok(VERIFY, {"s": "CA", "n": number}, as_="partner", partner_id="acme-hr", headers=CHECKING)
    [result] = data["verifyCredential"]
    return dict(result)


# --- attestation ------------------------------------------------------------------------------------------
async def test_attestation_keys_overlap_then_retire_keeping_or_dropping_the_old_public_key(
        served: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = served
    await w.publish_ok("ca-post", _cert(1))
    old_jwks = (await w.http.get("/.well-known/jwks.json")).json()  # what a verifier fetched before the rotation
    before = await _attest(w, "K-1")
    [old_kid] = [k["kid"] for k in old_jwks["keys"]]
    assert before["kid"] == old_kid

    code, out, _ = cli(capsys, "rotate-key", "attestation")
    assert code == 0 and "is retiring" in out and old_kid in out and "retire-key attestation" in out
    await restart(w)

    during = await _attest(w, "K-1")
    new_kid = during["kid"]
    assert new_kid != old_kid  # new attestations are signed by the new key
    jwks = (await w.http.get("/.well-known/jwks.json")).json()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]  # both published, the signing key first
    assert all("d" not in k for k in jwks["keys"])
    meta = (await w.http.get(attestation.issuer_metadata_path(w.settings.attestation_issuer))).json()
    assert meta == {"issuer": w.settings.attestation_issuer, "jwks": jwks}
    # the verifier holding only the OLD key keeps verifying what the old key signed; the NEW JWKS verifies both
    assert attestation.verify(before["jws"], old_jwks).kid == old_kid
    for token in (before["jws"], before["sdJwt"], during["jws"], during["sdJwt"]):
        attestation.verify(token, jwks, issuer=w.settings.attestation_issuer)
    with pytest.raises(attestation.AttestationError, match=f"kid '{new_kid}'"):
        attestation.verify(during["jws"], old_jwks)  # a verifier refetches the JWKS on an unknown kid
    (tmp_path / "jwks.pub.json").write_text(json.dumps(jwks))
    for token in (before["jws"], during["sdJwt"]):  # `registry verify-credential` with the JWKS
        code, _, err = cli(capsys, "verify-credential", token, "--jwks", str(tmp_path / "jwks.pub.json"))
        assert code == 0 and "valid" in err
    checked = await w.ok(PRESENTED, {"t": before["jws"]}, as_="partner", partner_id="acme-hr")
    assert checked["verifyPresentation"]["valid"] is True and checked["verifyPresentation"]["kid"] == old_kid
    secrets = w.settings.secrets_dir
    assert json.loads((secrets / "attestation.jwk.retiring").read_text()).keys() >= {"kid", "x"}
    assert "d" not in json.loads((secrets / "attestation.jwk.retiring").read_text())  # it never signs again

    # the overlap ends; the old public key is kept: old tokens still verify
    code, out, _ = cli(capsys, "retire-key", "attestation", "--", old_kid)  # a base64url kid may start with "-"
    assert code == 0 and "stays published" in out
    await restart(w)
    jwks = (await w.http.get("/.well-known/jwks.json")).json()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]
    (tmp_path / "jwks.pub.json").write_text(json.dumps(jwks))
    code, _, _ = cli(capsys, "verify-credential", before["jws"], "--jwks", str(tmp_path / "jwks.pub.json"))
    assert code == 0
    assert not (secrets / "attestation.jwk.retiring").exists()

    # compromised: the operator drops it, and what it signed fails, naming the kid
    code, out, _ = cli(capsys, "retire-key", "--drop", "attestation", "--", old_kid)
    assert code == 0 and "dropped" in out
    await restart(w)
    jwks = (await w.http.get("/.well-known/jwks.json")).json()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid]
    (tmp_path / "jwks.pub.json").write_text(json.dumps(jwks))
    code, _, err = cli(capsys, "verify-credential", before["jws"], "--jwks", str(tmp_path / "jwks.pub.json"))
    assert code == 1 and f"unknown key: kid '{old_kid}'" in err
    code, _, _ = cli(capsys, "verify-credential", during["jws"], "--jwks", str(tmp_path / "jwks.pub.json"))
    assert code == 0
    refused = await w.ok(PRESENTED, {"t": before["sdJwt"]}, as_="partner", partner_id="acme-hr")
    assert refused["verifyPresentation"]["valid"] is False and old_kid in refused["verifyPresentation"]["error"]
    assert set(_private_files(secrets).values()) == {0o600}


# --- webhook ----------------------------------------------------------------------------------------------
async def _send_test_webhooks(world: World, token: str, endpoints: list[str]) -> None:
    for endpoint in endpoints:
        await world.ok("mutation($e: ID!) { sendTestWebhook(endpointId: $e) { state } }", {"e": endpoint},
                       token=token)


def _v1a_count(received: Any) -> int:
    return sum(s.startswith("v1a,") for s in received.headers["webhook-signature"].split(" "))


async def test_webhook_deliveries_carry_both_signatures_during_the_overlap(
        pool: asyncpg.Pool, clean: None, data_dir: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    await truncate_monitoring(pool)
    w = await restart(World(pool, data_dir, monitoring=TEST_CONFIG))
    await w.setup()
    monkeypatch.setenv("DATABASE_URL", database_url)  # for `registry deliver-webhooks`, a separate worker
    monkeypatch.setenv("REGISTRY_WEBHOOK_ALLOW_HTTP", "1")
    monkeypatch.setenv("REGISTRY_WEBHOOK_ALLOW_PRIVATE", "1")
    before = (await w.http.get("/.well-known/webhook-key")).json()
    old_public = before["publicKey"]
    assert before["keys"] == [{"publicKey": old_public, "kid": before["kid"], "jwk": before["jwk"],
                               "status": "current"}]

    code, out, _ = cli(capsys, "rotate-key", "webhook")
    assert code == 0 and before["kid"] in out
    await restart(w)
    during = (await w.http.get("/.well-known/webhook-key")).json()
    new_public = during["publicKey"]  # the top level is the current key, as before
    assert new_public != old_public
    assert [(k["publicKey"], k["status"]) for k in during["keys"]] == [(new_public, "current"),
                                                                        (old_public, "retiring")]
    assert during["keys"][0]["kid"] == during["kid"] and during["keys"][1]["kid"] == before["kid"]

    old_receiver, new_receiver = Receiver(public_key=old_public), Receiver(public_key=new_public)
    austin = agency_token(w)
    app = create_app(replace(w.settings, monitoring=replace(TEST_CONFIG, worker=True)), pool=w.pool,
                     services=w.services)  # the server with its delivery worker
    async with receiving(old_receiver) as old_url, receiving(new_receiver) as new_url:
        endpoints = [(await register(w, austin, url))["endpoint"]["id"] for url in (old_url, new_url)]
        async with serve(app, lifespan="on"):
            await _send_test_webhooks(w, austin, endpoints)
            await old_receiver.wait_for(1)
            await new_receiver.wait_for(1)
            await wait_for_state(w.pool, "DELIVERED")
        await _send_test_webhooks(w, austin, endpoints)
        code, out, _ = await acli(capsys, "deliver-webhooks", "--once")  # the separate worker reads the files
        assert code == 0 and "attempted 2" in out

        code, out, _ = cli(capsys, "retire-key", "webhook", "--finish")
        assert code == 0 and before["kid"] in out and "nothing of it is kept" in out
        await restart(w)
        await _send_test_webhooks(w, austin, endpoints)
        code, _, _ = await acli(capsys, "deliver-webhooks", "--once")
        assert code == 0

    for receiver in (old_receiver, new_receiver):
        assert [r.v1a for r in receiver.requests[:2]] == [True, True]  # each holds one key, and verifies
        assert [_v1a_count(r) for r in receiver.requests] == [2, 2, 1]
    # the old key's signature first, where it was before (webhook-signature: v1a,<old> v1a,<new>)
    first = old_receiver.requests[0]
    alone = {**first.headers, "webhook-signature": first.headers["webhook-signature"].split(" ")[0]}
    assert Receiver(public_key=old_public).verify_v1a(alone, first.body)
    assert not Receiver(public_key=new_public).verify_v1a(alone, first.body)
    ed25519_snippet = next(b for b in _blocks("python") if "def verify(" in b)
    for public in (old_public, new_public):  # the README's receiver code, holding either key
        scope: dict[str, Any] = {"WHPK": public}
        exec(ed25519_snippet, scope)
        scope["verify"](first.headers, first.body)  # raises if no signature verifies
    after = (await w.http.get("/.well-known/webhook-key")).json()
    assert [k["publicKey"] for k in after["keys"]] == [new_public]
    assert (old_receiver.requests[2].v1a, new_receiver.requests[2].v1a) == (False, True)  # the overlap is over
    assert not (w.settings.secrets_dir / "webhook-signing.key.retiring").exists()


# --- log --------------------------------------------------------------------------------------------------
def _signature_lines(note: str) -> list[str]:
    return [line for line in note[note.rfind("\n\n") + 2:].splitlines() if line]


async def _bundle(world: World, n: int) -> dict[str, Any]:
    officer = (await world.publish_ok("ca-post", _cert(n)))[0]["officerId"]
    rec = await world.publish_ok("ca-post", record_published(subj={"registryId": officer}, source=f"rec-{n}",
                                                             status="FINAL", attested=True))
    data = await world.ok("query($id: ID!) { record(id: $id) { bundle } }", {"id": rec[0]["entityId"]},
                          as_="auditor", headers={"Registry-Purpose": "OVERSIGHT_AUDIT"})
    bundle: dict[str, Any] = data["record"]["bundle"]
    return bundle


async def _monitor(world: World, key: NoteVerifier | list[NoteVerifier], tmp_path: Path, who: str) -> None:
    """A board's monitor (its journal is empty: entries not in it are listed, which is not the point here)."""
    journal = tmp_path / f"{who}.ndjson"
    journal.touch()
    await monitor("http://registry", world.token("publisher", publisher_id="ca-post"), "ca-post", key,
                  journal, tmp_path / f"{who}.seen.json", transport=httpx.ASGITransport(app=world.app))


async def test_log_checkpoints_are_signed_by_both_keys_and_every_verifier_keeps_working(
        pool: asyncpg.Pool, clean: None, data_dir: Path, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    origin = "officer-registry.example/log"
    early = Witness(Cosigner.generate("witness.test/early"), {}, tmp_path / "early.state")  # pinned the old key
    late = Witness(Cosigner.generate("witness.test/late"), {}, tmp_path / "late.state")  # got the new one
    cosigners = [early.cosigner.verifier(), late.cosigner.verifier()]
    async with serve(create_witness_app(early)) as early_url, serve(create_witness_app(late)) as late_url:
        witnesses = [{"url": early_url, "key": early.cosigner.verifier_key_string()}]
        monkeypatch.setenv("REGISTRY_WITNESSES", json.dumps(witnesses))
        monkeypatch.setenv("DATABASE_URL", database_url)  # for `registry audit`
        w = World(pool, data_dir, checkpoint_seconds=0)
        old = log_keys.load_or_create_log_signer(w.settings.secrets_dir / log_keys.DEFAULT_FILE, origin).verifier()
        early.logs = {origin: (old,)}
        await restart(w)
        await w.setup()
        old_bundle = await _bundle(w, 1)
        old_token = (await _attest(w, "K-1"))["jws"]
        await _monitor(w, old, tmp_path, "old-monitor")
        assert (await w.http.get("/.well-known/registry-log-key")).text == old.verifier_key_string()
        assert len(_signature_lines(old_bundle["checkpoint"])) == 2  # the log key's, the early witness's

        code, out, _ = cli(capsys, "rotate-key", "log")
        assert code == 0 and f"{old.key_id:08x} is retiring" in out
        new = log_keys.load_or_create_log_signer(w.settings.secrets_dir / log_keys.DEFAULT_FILE, origin).verifier()
        assert (new.name, new.key_id != old.key_id) == (origin, True)
        late.logs = {origin: (new,)}
        monkeypatch.setenv("REGISTRY_WITNESSES", json.dumps(
            [*witnesses, {"url": late_url, "key": late.cosigner.verifier_key_string()}]))
        await restart(w)

        assert (await w.http.get("/.well-known/registry-log-key")).text == new.verifier_key_string()
        listed = (await w.http.get("/.well-known/registry-log-keys")).text
        assert listed == f"{new.verifier_key_string()}\n{old.verifier_key_string()}\n"
        during_bundle = await _bundle(w, 2)
        note = during_bundle["checkpoint"]
        sigs = _signature_lines(note)
        assert [s.split(" ")[1] for s in sigs[:2]] == [origin, origin]  # same key name, two key IDs: old, new
        for verifier in (old, new):  # a verifier holding either key alone
            assert open_checkpoint(note, verifier, origin).size == int(note.splitlines()[1])
        assert cosigned_by(note, cosigners) == ["witness.test/early", "witness.test/late"]
        await _monitor(w, old, tmp_path, "old-monitor")  # grew consistently from what it saw before
        await _monitor(w, new, tmp_path, "new-monitor")

        (tmp_path / "old.vkey").write_text(old.verifier_key_string())
        (tmp_path / "new.vkey").write_text(new.verifier_key_string())
        (tmp_path / "all.vkeys").write_text(listed)
        (tmp_path / "old-bundle.json").write_text(json.dumps(old_bundle))
        (tmp_path / "during-bundle.json").write_text(json.dumps(during_bundle))
        for bundle, key, verdict in (("during", "old", 0), ("during", "new", 0), ("old", "old", 0),
                                     ("old", "all", 0), ("old", "new", 1)):  # signed before: old key only
            code, out, _ = cli(capsys, "verify", str(tmp_path / f"{bundle}-bundle.json"), "--log-key",
                               str(tmp_path / f"{key}.{'vkeys' if key == 'all' else 'vkey'}"))
            assert code == verdict, (bundle, key, out)
        code, out, _ = cli(capsys, "verify", str(tmp_path / "old-bundle.json"), "--log-key",
                           new.verifier_key_string(), "--log-key", old.verifier_key_string())
        assert code == 0, out

        # the attestation's log anchor: signed before the rotation (old key) and during (both)
        during_token = (await _attest(w, "K-2"))["jws"]
        jwks = (await w.http.get("/.well-known/jwks.json")).json()
        for token, keys in ((during_token, [old.verifier_key_string()]), (during_token, [new.verifier_key_string()]),
                            (old_token, listed.splitlines())):
            assert attestation.verify(token, jwks, log_key=keys).log is not None
        with pytest.raises(attestation.AttestationError, match="does not verify with the log key"):
            attestation.verify(old_token, jwks, log_key=new.verifier_key_string())
        checked = await w.ok(PRESENTED, {"t": old_token}, as_="partner", partner_id="acme-hr")
        assert checked["verifyPresentation"]["valid"] is True and checked["verifyPresentation"]["logIndex"] is not None
        (tmp_path / "jwks.pub.json").write_text(json.dumps(jwks))
        code, _, err = cli(capsys, "verify-credential", old_token, "--jwks", str(tmp_path / "jwks.pub.json"),
                           "--log-key", f"@{tmp_path / 'all.vkeys'}")
        assert code == 0 and "proven in" in err

        code, out, _ = await acli(capsys, "audit")  # the registry's own keys: checkpoints before and during
        assert code == 0 and "audit clean" in out and "checkpoint signatures checked" in out, out

        # the overlap ends: the new key alone signs; the old one's public half is kept for what it signed
        code, out, _ = cli(capsys, "retire-key", "log", f"{old.key_id:08x}")
        assert code == 0 and "stays published" in out
        await restart(w)
        assert (await w.http.get("/.well-known/registry-log-keys")).text == listed  # the old one kept, retired
        after = await _bundle(w, 3)
        assert [s.split(" ")[1] for s in _signature_lines(after["checkpoint"])] == [origin, "witness.test/late"]
        with pytest.raises(CheckpointError, match="no signature from a trusted key"):
            open_checkpoint(after["checkpoint"], old, origin)  # why old-key holders must get the new key first
        await _monitor(w, new, tmp_path, "new-monitor")
        with pytest.raises(MonitorError, match="does not verify with the log key"):
            await _monitor(w, old, tmp_path, "old-monitor")
        code, out, _ = await acli(capsys, "audit")
        assert code == 0 and "audit clean" in out, out
    assert set(_private_files(w.settings.secrets_dir).values()) == {0o600}


async def test_after_a_rotation_the_signer_still_refuses_to_fork(served: World,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The anti-fork memory (log-signer.state) belongs to the log, not to a key: the new key is held to every
    tree the old one signed."""
    from tests.support import restore_log_to

    w = served
    for n in range(8):
        await w.publish_ok("ca-post", _cert(n))
    signed_size = SETUP_ENTRIES + 8  # the setup's registrations, then the 8 events
    assert (await checkpointer.latest(w.pool)).size == signed_size  # type: ignore[union-attr]
    state = w.settings.secrets_dir / "log-signer.state"
    signed = json.loads(state.read_text())
    assert signed["size"] == signed_size

    # a backup taken after the 5th event, restored, then the key rotated and the registry restarted
    await restore_log_to(w.pool, SETUP_ENTRIES + 5)
    assert cli(capsys, "rotate-key", "log")[0] == 0
    await restart(w)
    assert w.services.log_signer.retiring is not None and len(w.services.log_signer.signing_keys()) == 2
    for n in (50, 51):
        await w.publish_ok("ca-post", _cert(n))
    with pytest.raises(checkpointer.CheckpointRefused, match=f"already signed a tree of size {signed_size}"):
        await checkpointer.publish_checkpoint(w.pool, w.services.log_signer, w.settings.log_origin)
    for n in (52, 53):
        await w.publish_ok("ca-post", _cert(n))  # 9 events now: past the signed head, with other entries
    with pytest.raises(checkpointer.CheckpointRefused, match=f"does not extend the tree of size {signed_size}"):
        await checkpointer.publish_checkpoint(w.pool, w.services.log_signer, w.settings.log_origin)

    assert cli(capsys, "retire-key", "log", "--finish")[0] == 0  # the new key alone: still refused
    await restart(w)
    with pytest.raises(checkpointer.CheckpointRefused, match=f"does not extend the tree of size {signed_size}"):
        await checkpointer.publish_checkpoint(w.pool, w.services.log_signer, w.settings.log_origin)
    assert (await checkpointer.latest(w.pool)).size == SETUP_ENTRIES + 5  # type: ignore[union-attr]
    assert json.loads(state.read_text()) == signed


# --- the commands' mistakes ---------------------------------------------------------------------------------
def _registry(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    return subprocess.run([sys.executable, "-m", "registry.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**clean_env, "REGISTRY_DATA_DIR": str(data_dir), **env}, timeout=120, check=False)


def _one_line_error(proc: subprocess.CompletedProcess[str], *says: str) -> None:
    assert proc.returncode == 2, proc
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    for text in says:
        assert text in proc.stderr, (text, proc.stderr)


def test_mistakes_are_one_line_and_exit_2(data_dir: Path) -> None:
    tmp_path = data_dir
    _one_line_error(_registry(tmp_path, "rotate-key", "attestation"), "no attestation key", "nothing to rotate")
    _one_line_error(_registry(tmp_path, "rotate-key", "admin"), "no admin key", "nothing to rotate")
    secrets = tmp_path / "secrets"
    kid = attestation.load_or_create_keys(secrets / attestation.DEFAULT_FILE)[0].kid
    webhook_signing.load_or_create(secrets)
    _one_line_error(_registry(tmp_path, "rotate-key", "signing"), "unknown key kind 'signing'",
                    "attestation, webhook, log or admin")
    _one_line_error(_registry(tmp_path, "retire-key", "webhook", "--finish"), "nothing to retire",
                    "no webhook key is retiring")
    _one_line_error(_registry(tmp_path, "retire-key", "attestation", "--", str(kid)), f"{kid} is the current",
                    "rotate first")
    _one_line_error(_registry(tmp_path, "retire-key", "attestation"), "give the kid")
    _one_line_error(_registry(tmp_path, "rotate-key", "log", REGISTRY_LOG_SIGNER_KEY="PRIVATE+KEY+x"),
                    "REGISTRY_LOG_SIGNER_KEY is set", "secret store")

    rotated = _registry(tmp_path, "rotate-key", "attestation")
    assert rotated.returncode == 0 and f"{kid} is retiring" in rotated.stdout, rotated
    _one_line_error(_registry(tmp_path, "rotate-key", "attestation"), f"key {kid} is still retiring",
                    f"registry retire-key attestation {'-- ' if str(kid).startswith('-') else ''}{kid}")
    _one_line_error(_registry(tmp_path, "retire-key", "attestation", "no-such-kid"),
                    "no attestation key has the kid no-such-kid", f"retiring {kid}")
    _one_line_error(_registry(tmp_path, "retire-key", "--finish", "attestation", "--", str(kid)), "not both")
    assert _registry(tmp_path, "retire-key", "attestation", "--", str(kid)).returncode == 0
    _one_line_error(_registry(tmp_path, "retire-key", "attestation", "--", str(kid)), "already retired", "--drop")
    _one_line_error(_registry(tmp_path, "retire-key", "attestation", "--finish"), "nothing to retire")

    # the admin key (it signs registrations) rotates like the others; its retired public half stays known
    admin_file = secrets / admin_key.DEFAULT_FILE
    admin_kid = admin_key.load_or_create_keys(admin_file).kid
    _one_line_error(_registry(tmp_path, "rotate-key", "admin",
                              REGISTRY_ADMIN_KEY=json.dumps(admin_key.new_key().as_dict(private=True))),
                    "REGISTRY_ADMIN_KEY is set", "secret store")
    rotated = _registry(tmp_path, "rotate-key", "admin")
    assert rotated.returncode == 0 and f"{admin_kid} is retiring" in rotated.stdout, rotated
    _one_line_error(_registry(tmp_path, "rotate-key", "admin"), f"key {admin_kid} is still retiring",
                    f"registry retire-key admin {'-- ' if admin_kid.startswith('-') else ''}{admin_kid}")
    during = admin_key.load_or_create_keys(admin_file)
    assert during.kid != admin_kid and set(during.public()) == {during.kid, admin_kid}
    assert "d" not in json.loads(admin_file.with_name(admin_file.name + ".retiring").read_text())
    retired = _registry(tmp_path, "retire-key", "admin", "--", admin_kid)
    assert retired.returncode == 0 and "stays published" in retired.stdout, retired
    assert set(admin_key.load_or_create_keys(admin_file).public()) == {during.kid, admin_kid}
    _one_line_error(_registry(tmp_path, "retire-key", "admin", "--", admin_kid), "already retired", "--drop")
    _one_line_error(_registry(tmp_path, "retire-key", "admin", "--finish"), "nothing to retire")

    for command in ("rotate-key", "retire-key"):
        helped = _registry(tmp_path, command, "--help")
        assert helped.returncode == 0 and "{attestation,webhook,log,admin}" in helped.stdout
        assert "restart" in helped.stdout and "overlap" in helped.stdout
