"""The incremental audit and its verified watermark (``registry audit --from-watermark | --follow``).

A clean audit records (size, root) in the auditor's own state file; the next one proves the log extends it and
verifies only what came after: a stranger-signed row appended behind the API is caught, a history rewritten
below the watermark (a restored backup written since) is one FORK line, and ``--follow`` does it every interval,
stopping with exit 1 at the first problem and 0 on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger import log_store, proofs
from ledger.events import generate_ed25519_jwk, sign_event
from registry.cli import main
from tests.support import SETUP_ENTRIES, World, cert_issued, restore_log_to, subject

ROOT = Path(__file__).resolve().parents[2]
#: The log entries before the first event: the setup's registrations (agencies, publishers, one key each).
B = SETUP_ENTRIES


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> dict[str, str]:
    """The CLI's environment, in this process (monkeypatched) and for a subprocess (returned)."""
    for name in [n for n in os.environ if n.startswith("REGISTRY_")]:
        monkeypatch.delenv(name)
    values = {"DATABASE_URL": database_url, "REGISTRY_DATA_DIR": str(tmp_path / "cli")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return {**{k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}, **values}


def _cert(n: int) -> dict[str, Any]:
    return cert_issued(number=f"W-{n}", event_id=f"w-{n}", subj=subject("Noor", f"Haddad{n}x", "1983-03-03"))


async def _publish(world: World, *numbers: int) -> None:
    for n in numbers:
        await world.publish_ok("ca-post", _cert(n))


def _key(world: World) -> str:
    return world.services.log_signer.verifier_key_string()


async def _audit(capsys: pytest.CaptureFixture[str], world: World, state: Path, *extra: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, ["audit", "--state", str(state), "--log-key", _key(world), *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def _state(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


async def _append_stranger_row(world: World, n: int) -> int:
    """An event signed by a stranger's key under the board's registered kid, appended behind the API with a
    consistent leaf and nodes (what an insider with database access can do)."""
    kid = world.keys["ca-post"][1]
    forged = sign_event(_cert(n), generate_ed25519_jwk(kid), kid)
    async with world.pool.acquire() as conn, conn.transaction():
        [(index, _)] = await log_store.append_leaves(conn, [forged.encode("ascii")])
        await conn.execute(
            """INSERT INTO events (publisher_id, event_id, type, kid, jws, payload, content_digest, log_index)
               VALUES ('ca-post', $1, 'certification.issued', $2, $3, $4, $5, $6)""",
            f"forged-{n}", kid, forged, _signed_payload(forged), b"\0" * 32, index)
    return index


def _signed_payload(jws: str) -> Any:
    part = jws.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# --- the watermark ---------------------------------------------------------------------------------------


async def test_a_clean_audit_records_the_watermark_and_a_dirty_one_does_not(
        world: World, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "auditor" / "audit.state"
    await _publish(world, 1, 2, 3)
    code, out, _ = await _audit(capsys, world, state)
    assert code == 0 and "audit clean" in out and f"watermark: size {B + 3} root " in out, out
    doc = _state(state)
    assert (doc["size"], doc["root"], doc["replay"]) == (B + 3, (await proofs.root_at(world.pool, B + 3)).hex(), False)
    assert doc["verified_at"].endswith("Z") and oct(state.stat().st_mode & 0o777) == "0o600"

    code, out, _ = await _audit(capsys, world, state, "--replay", "--json")
    report = json.loads(out)
    assert code == 0 and report["watermark"]["replay"] is True and report["watermark"]["replayed_size"] == B + 3
    assert _state(state)["replay"] is True

    await _publish(world, 4)  # the tree from the watermark, the state tables from the whole log
    code, out, _ = await _audit(capsys, world, state, "--from-watermark", "--replay", "--json")
    report = json.loads(out)
    assert code == 0 and (report["verified_from"], report["entries_verified"]) == (B + 3, 1), out
    assert report["replay"]["replayed"] == 4 and report["watermark"]["replayed_size"] == B + 4

    await _publish(world, 5)
    await world.pool.execute("UPDATE log_nodes SET hash = $1 WHERE level = 1 AND idx = 0", b"\1" * 32)
    code, out, _ = await _audit(capsys, world, state)
    assert code == 1 and "NODE_CHANGED" in out and "watermark:" not in out, out
    assert _state(state)["size"] == B + 4  # a dirty audit never moves the watermark


async def test_the_default_state_file_is_in_the_secrets_directory(
        world: World, env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    await _publish(world, 1)
    code = await asyncio.to_thread(main, ["audit", "--log-key", _key(world)])
    out, _ = capsys.readouterr()
    state = Path(env["REGISTRY_DATA_DIR"]) / "secrets" / "audit.state"
    assert code == 0 and f"in {state}" in out and _state(state)["size"] == B + 1, out


# --- the incremental audit --------------------------------------------------------------------------------


async def test_the_incremental_audit_verifies_only_the_new_entries(
        world: World, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "audit.state"
    await _publish(world, 1, 2, 3, 4, 5)
    assert (await _audit(capsys, world, state))[0] == 0
    await _publish(world, 6, 7)
    code, out, _ = await _audit(capsys, world, state, "--from-watermark", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"], out
    assert (report["verified_from"], report["entries_verified"], report["log_size"]) == (B + 5, 2, B + 7)
    assert (report["events"], report["leaves"], report["signatures_verified"]) == (2, 2, 2)
    assert report["root"] == (await proofs.root_at(world.pool, B + 7)).hex()
    assert _state(state)["size"] == B + 7

    code, out, _ = await _audit(capsys, world, state, "--from-watermark")  # nothing new: still proved consistent
    assert code == 0 and f"verified from the watermark at size {B + 7}: 0 new entries" in out, out


async def test_a_stranger_signed_row_after_the_watermark_is_caught(
        world: World, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "audit.state"
    await _publish(world, 1, 2, 3)
    assert (await _audit(capsys, world, state))[0] == 0
    index = await _append_stranger_row(world, 99)
    code, out, _ = await _audit(capsys, world, state, "--from-watermark", "--json")
    report = json.loads(out)
    assert code == 1 and report["verified_from"] == B + 3, out
    assert [(f["code"], f["where"].split()[-1]) for f in report["findings"]] == [
        ("BAD_SIGNATURE", f"log_index={index}")]
    assert report["watermark"] is None and _state(state)["size"] == B + 3


async def test_an_edited_node_above_the_watermark_is_named(
        world: World, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "audit.state"
    await _publish(world, 1, 2, 3, 4)
    assert (await _audit(capsys, world, state))[0] == 0
    await _publish(world, 5, 6)  # leaves B + 4 and B + 5 make the node (1, (B + 4) / 2): B is even
    await world.pool.execute("UPDATE log_nodes SET hash = $1 WHERE level = 1 AND idx = $2", b"\2" * 32, (B + 4) // 2)
    code, out, _ = await _audit(capsys, world, state, "--from-watermark")
    assert code == 1 and f"NODE_CHANGED log_nodes[level=1 idx={(B + 4) // 2}]" in out, out


async def test_a_history_rewritten_below_the_watermark_is_a_fork(
        world: World, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "audit.state"
    await _publish(world, 1, 2, 3, 4, 5)
    assert (await _audit(capsys, world, state))[0] == 0
    verified = _state(state)["root"]

    await restore_log_to(world.pool, B + 3)  # a backup taken at size B + 3 ...
    code, out, _ = await _audit(capsys, world, state, "--from-watermark")
    assert code == 1 and out.startswith(f"FORK log[size={B + 5}]: the log (size {B + 3}, root "), out
    assert "is smaller" in out, out

    await _publish(world, 30, 40, 50)  # ... written since with other entries: size B + 6, a second history
    rewritten = (await proofs.root_at(world.pool, B + 6)).hex()
    for extra in (["--from-watermark"], []):  # the whole-log audit finds the copy clean in itself, but a fork
        code, out, _ = await _audit(capsys, world, state, *extra)
        fork = [line for line in out.splitlines() if line.startswith("FORK")]
        assert code == 1 and len(fork) == 1, out
        assert f"the log (size {B + 6}, root {rewritten}) does not extend the tree the audit verified " \
               f"(size {B + 5}, root {verified})" in fork[0], fork
    assert _state(state)["root"] == verified  # never moved to the fork


# --- follow ---------------------------------------------------------------------------------------------


async def _follow(world: World, env: dict[str, str], state: Path, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "registry.cli", "audit", "--follow", "--interval", "0.2", "--state", str(state),
        "--log-key", _key(world), *extra, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


async def _line(proc: asyncio.subprocess.Process) -> str:
    """The follower's next line, within 30 s."""
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert line, "the follower stopped: " + (await proc.stderr.read()).decode()  # type: ignore[union-attr]
    return line.decode()


async def test_follow_picks_up_new_events_and_stops_at_the_first_problem(
        world: World, env: dict[str, str], tmp_path: Path) -> None:
    state = tmp_path / "audit.state"
    await _publish(world, 1, 2, 3)
    proc = await _follow(world, env, state)
    try:
        assert f" ok: {B + 3} new entries verified, size {B + 3}" in await _line(proc)  # the first round: the whole log
        await _publish(world, 4)
        line = await _line(proc)
        while f" ok: 0 new entries verified, size {B + 3}" in line:
            line = await _line(proc)
        assert f" ok: 1 new entries verified, size {B + 4}" in line, line
        index = await _append_stranger_row(world, 98)
        line = await _line(proc)
        while " ok: 0 new entries verified" in line:
            line = await _line(proc)
        assert f"PROBLEM at size {B + 5}: BAD_SIGNATURE" in line and f"log_index={index}" in line, line
        assert await asyncio.wait_for(proc.wait(), 30) == 1
        err = (await proc.stderr.read()).decode()  # type: ignore[union-attr]
        assert "Traceback" not in err, err
        assert _state(state)["size"] == B + 4
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.mark.parametrize("after", [0.0, 0.1, 0.2, 0.25])
async def test_follow_stops_cleanly_on_ctrl_c(world: World, env: dict[str, str], tmp_path: Path, after: float) -> None:
    """Between rounds (the interval is 0.2 s) or during one: a round Ctrl-C lands in finishes and the follower stops
    (once it was lost inside a round, and the follower went on)."""
    await _publish(world, 1)
    proc = await _follow(world, env, tmp_path / "audit.state")
    try:
        assert f" ok: {B + 1} new entries verified, size {B + 1}" in await _line(proc)
        await asyncio.sleep(after)
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
        err = (await proc.stderr.read()).decode()  # type: ignore[union-attr]
        assert "Traceback" not in err and "stopped" in err, err
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# --- usage and configuration mistakes: one line, exit 2 ------------------------------------------------------


async def test_mistakes_are_one_line_and_exit_2(world: World, env: dict[str, str], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "audit.state"
    for extra, says in ((["--replay"], "--follow does not replay"),
                        (["--interval", "0"], "--interval must be a positive number")):
        proc = await _follow(world, env, state, *extra)  # a follower that ran instead would be killed, and fail
        try:
            _, err_bytes = await asyncio.wait_for(proc.communicate(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        err = err_bytes.decode()
        assert proc.returncode == 2 and err.startswith("error: ") and says in err and err.count("\n") == 1, err
    state.write_text("{not json")
    code, _, err = await _audit(capsys, world, state, "--from-watermark")
    assert code == 2 and f"the audit state {state} is unreadable" in err and err.count("\n") == 1, err
    state.write_text(json.dumps({"origin": "other.example/log", "size": 1, "root": "00" * 32,
                                 "verified_at": "2026-01-01T00:00:00Z", "replay": False}))
    code, _, err = await _audit(capsys, world, state)
    assert code == 2 and "is for the log 'other.example/log'" in err and err.count("\n") == 1, err


def test_the_watermark_never_moves_back_nor_to_another_root(tmp_path: Path) -> None:
    """Two auditors, or an older run finishing last: the further watermark stays; the same size with another
    root is refused (a fork), never recorded."""
    from ledger import audit_state

    state, origin = tmp_path / "audit.state", "officer-registry.example/log"
    audit_state.record(state, origin, 5, b"\5" * 32, replay=True)
    kept = audit_state.record(state, origin, 3, b"\3" * 32, replay=False)
    assert (kept.size, kept.root, kept.replayed_size) == (5, b"\5" * 32, 5) and _state(state)["size"] == 5
    with pytest.raises(audit_state.AuditStateError, match="a fork"):
        audit_state.record(state, origin, 5, b"\6" * 32, replay=False)
    moved = audit_state.record(state, origin, 7, b"\7" * 32, replay=False)
    assert (moved.size, moved.replay, moved.replayed_size) == (7, False, 5)  # the last replay is carried forward


async def test_an_events_row_deleted_below_the_watermark_is_counted(
        world: World, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The incremental audit does not read the rows below the watermark, but it counts them."""
    state = tmp_path / "audit.state"
    await _publish(world, 1, 2, 3)
    assert (await _audit(capsys, world, state))[0] == 0
    await world.pool.execute("DELETE FROM events WHERE log_index = $1", B + 1)
    code, out, _ = await _audit(capsys, world, state, "--from-watermark")
    assert code == 1 and out.startswith(f"PREFIX_ROWS_CHANGED log_entries[log_index<{B + 3}]: {B + 2} events and "
                                        "registry_entries rows"), out
