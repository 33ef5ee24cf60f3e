"""Witnesses (c2sp.org/tlog-witness, tlog-cosignature): two `registry witness` processes cosign the registry's
consistent checkpoints, refuse a fork made from a restored backup, and `registry verify` can require them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from ledger.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from ledger.cosignature import Cosigner, cosigned_by, signed_message
from ledger.merkle import EMPTY_ROOT
from ledger.signer_guard import LogSigner, SignerState
from ledger.witness import Witness
from ledger.witnessing import WitnessEndpoint
from registry.cli import main
from tests.support import SETUP_ENTRIES, World, cert_issued, free_port, signing_world, subject

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "officer-registry.example/log"


def test_cosignature_format_follows_the_spec() -> None:
    w = Cosigner.generate("witness.example/w1")
    raw = base64.b64decode(w.verifier_key_string().split("+", 2)[2])
    assert raw[0] == 0x04 and len(raw) == 33  # algorithm byte of cosignature/v1
    expected_id = hashlib.sha256(b"witness.example/w1\n" + raw).digest()[:4]
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    line = w.cosign(text, timestamp=1679315147)
    blob = base64.b64decode(line.split(" ", 2)[2])
    assert line.startswith("\u2014 witness.example/w1 ") and blob[:4] == expected_id
    assert int.from_bytes(blob[4:12], "big") == 1679315147 and len(blob) == 76
    assert signed_message(text, 1679315147) == b"cosignature/v1\ntime 1679315147\n" + text.encode()
    w.public_key.verify(blob[12:], signed_message(text, 1679315147))
    assert w.verifier().timestamp_of(text, line.strip()) == 1679315147
    assert w.verifier().timestamp_of(text.replace("20852163", "20852164"), line.strip()) is None
    assert Cosigner.from_skey(w.signer_key_string()).verifier_key_string() == w.verifier_key_string()


def _request(old: int, proof: list[bytes], note: str) -> bytes:
    return (f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n" + note).encode()


def test_the_witness_answers_as_the_protocol_says(tmp_path: Path) -> None:
    log = NoteSigner.generate(ORIGIN)
    witness = Witness(Cosigner.generate("w.example/1"), {ORIGIN: log.verifier()}, tmp_path / "state.json")
    leaf = hashlib.sha256(b"\x00a").digest()
    one = sign_checkpoint(Checkpoint(ORIGIN, 1, leaf), log)
    assert witness.add_checkpoint(_request(0, [], one)).status == 200
    again = witness.add_checkpoint(_request(0, [], one))
    assert (again.status, again.body, again.content_type) == (409, "1\n", "text/x.tlog.size")
    other = sign_checkpoint(Checkpoint(ORIGIN, 1, hashlib.sha256(b"\x00b").digest()), log)
    assert witness.add_checkpoint(_request(1, [], other)).status == 409  # same size, another root: a fork
    two_root = hashlib.sha256(b"\x01" + leaf + hashlib.sha256(b"\x00c").digest()).digest()
    two = sign_checkpoint(Checkpoint(ORIGIN, 2, two_root), log)
    assert witness.add_checkpoint(_request(1, [hashlib.sha256(b"\x00zz").digest()], two)).status == 422
    assert witness.add_checkpoint(_request(1, [hashlib.sha256(b"\x00c").digest()], two)).status == 200
    assert json.loads((tmp_path / "state.json").read_text()) == {ORIGIN: {"size": 2, "root": two_root.hex()}}
    stranger = sign_checkpoint(Checkpoint(ORIGIN, 3, EMPTY_ROOT), NoteSigner.generate(ORIGIN))
    assert witness.add_checkpoint(_request(2, [], stranger)).status == 403
    unknown = sign_checkpoint(Checkpoint("other.example/log", 1, leaf), NoteSigner.generate("other.example/log"))
    assert witness.add_checkpoint(_request(0, [], unknown)).status == 404
    assert witness.add_checkpoint(b"old 01\n\n" + one.encode()).status == 400
    assert witness.add_checkpoint(_request(5, [], one)).status == 400  # old larger than the checkpoint



@pytest.fixture
async def witnesses(log_world: World, tmp_path: Path) -> AsyncIterator[list[tuple[str, Cosigner]]]:
    """Two `registry witness` processes that cosign for the world's log key."""
    running: list[asyncio.subprocess.Process] = []
    out: list[tuple[str, Cosigner]] = []
    log_key = log_world.services.log_signer.verifier_key_string()
    for n in (1, 2):
        cosigner = Cosigner.generate(f"witness.test/w{n}")
        key_file = tmp_path / f"w{n}.key"
        key_file.write_text(cosigner.signer_key_string() + "\n")
        key_file.chmod(0o600)
        port = free_port()
        running.append(await asyncio.create_subprocess_exec(
            sys.executable, "-m", "registry.cli", "witness", "--name", cosigner.name, "--key", str(key_file),
            "--state", str(tmp_path / f"w{n}.state"), "--log", log_key, "--port", str(port),
            cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL))
        out.append((f"http://127.0.0.1:{port}", cosigner))
    for url, _ in out:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                async with httpx.AsyncClient() as client:
                    if (await client.get(url + "/key", timeout=1)).status_code == 200:
                        break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        else:
            pytest.fail(f"witness at {url} did not start")
    yield out
    for proc in running:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)


def _cert(n: int) -> dict[str, Any]:
    return cert_issued(number=f"W-{n}", event_id=f"w-{n}", subj=subject("Lu", f"Chen{n}x", "1988-08-08"))


@pytest.fixture
async def log_world(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    return await signing_world(pool, tmp_path, state_file="signer.state")


async def test_two_witnesses_cosign_and_refuse_a_restored_fork(log_world: World, witnesses: list[tuple[str, Cosigner]],
                                                               tmp_path: Path) -> None:
    w = log_world
    w.services.log_signer.witnesses = tuple(WitnessEndpoint(url, c.verifier()) for url, c in witnesses)
    keys = [c.verifier() for _, c in witnesses]
    for n in range(4):
        await w.publish_ok("ca-post", _cert(n))  # four batches, four checkpoints, each cosigned
    note = (await w.http.get("/checkpoint")).text
    assert note.splitlines()[1] == str(SETUP_ENTRIES + 4)  # the setup's registrations, then the four events
    assert cosigned_by(note, keys) == ["witness.test/w1", "witness.test/w2"]
    await w.publish_ok("ca-post", _cert(4))
    assert cosigned_by((await w.http.get("/checkpoint")).text, keys) == ["witness.test/w1", "witness.test/w2"]

    # A backup taken after the first 2 events is restored and written to; a signer whose state was lost signs
    # the fork.
    backup = SETUP_ENTRIES + 2
    async with w.pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM events WHERE log_index >= $1", backup)
        await conn.execute("DELETE FROM log_nodes WHERE (idx + 1) * (1::bigint << level) > $1", backup)
        await conn.execute("DELETE FROM checkpoints WHERE size > $1", backup)
        await conn.execute("UPDATE log_state SET size = $1", backup)
    forgetful = LogSigner(w.services.log_signer.key, SignerState(tmp_path / "lost.state"),
                          witnesses=tuple(WitnessEndpoint(url, c.verifier()) for url, c in witnesses),
                          admin_keys=w.services.admin_keys.public())
    w.services.log_signer = forgetful
    for n in (50, 51, 52, 53):
        await w.publish_ok("ca-post", _cert(n))  # 6 events again, other entries
    forked = (await w.http.get("/checkpoint")).text
    assert forked.splitlines()[1] == str(SETUP_ENTRIES + 6) and forked.splitlines()[2] != note.splitlines()[2]
    assert cosigned_by(forked, keys) == []  # both witnesses refused the second history


async def test_registry_verify_can_require_witnesses(log_world: World, witnesses: list[tuple[str, Cosigner]],
                                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = log_world
    w.services.log_signer.witnesses = tuple(WitnessEndpoint(url, c.verifier()) for url, c in witnesses)
    ref = await w.publish_ok("ca-post", _cert(1))
    rec = await w.publish_ok("ca-post", {**_record(ref[0]["officerId"])})
    data = await w.ok("query($id: ID!) { record(id: $id) { bundle } }", {"id": rec[0]["entityId"]}, as_="auditor",
                      headers={"Registry-Purpose": "OVERSIGHT_AUDIT"})
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data["record"]["bundle"]))
    vkeys = [c.verifier_key_string() for _, c in witnesses]
    args = ["verify", str(path), "--log-key", w.services.log_signer.verifier_key_string()]
    assert await asyncio.to_thread(main, [*args, "--witness", vkeys[0], "--witness", vkeys[1],
                                          "--min-witnesses", "2"]) == 0
    assert "2 of 2 trusted witnesses cosigned" in capsys.readouterr().out
    stranger = Cosigner.generate("witness.test/w9").verifier_key_string()
    assert await asyncio.to_thread(main, [*args, "--witness", stranger, "--min-witnesses", "1"]) == 1
    assert "0 of 1 trusted witnesses" in capsys.readouterr().out


def _record(officer_id: str) -> dict[str, Any]:
    from tests.support import record_published

    return record_published(subj={"registryId": officer_id}, status="FINAL", attested=True)
