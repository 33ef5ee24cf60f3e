"""The registry never signs what it has not verified, nor a second history.

- An events row signed by a stranger's key under a registered kid, appended with a consistent leaf and
  nodes behind the API: the checkpointer stops before it, and the audit names it.
- A database restored from an earlier backup and written since: the signer, which keeps the last tree it
  signed outside the database, refuses to sign the fork, also after a restart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ledger import checkpointer, log_store
from ledger.audit import audit
from ledger.checkpoint import NoteSigner
from ledger.events import generate_ed25519_jwk, sign_event
from ledger.signer_guard import LogSigner, SignerState
from tests.support import SETUP_ENTRIES, World, cert_issued, restore_log_to, subject


@pytest.fixture
async def guarded(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    world = World(pool, tmp_path, checkpoint_seconds=0)  # every batch signs: the test follows each step
    world.services.log_signer = LogSigner(NoteSigner.generate(world.settings.log_origin),
                                          SignerState(tmp_path / "log-signer.state"),
                                          admin_keys=world.services.admin_keys.public())
    await world.setup()
    return world


def _cert(n: int) -> dict[str, Any]:
    return cert_issued(number=f"G-{n}", event_id=f"g-{n}", subj=subject("Ines", f"Ruiz{n}x", "1984-04-04"))


async def _checkpoint(world: World, signer: LogSigner | None = None) -> str:
    return await checkpointer.publish_checkpoint(world.pool, signer or world.services.log_signer,
                                                 world.settings.log_origin)


async def test_a_forged_event_appended_behind_the_api_is_never_signed(guarded: World) -> None:
    w = guarded
    for n in range(3):
        await w.publish_ok("ca-post", _cert(n))
    kid = w.keys["ca-post"][1]
    stranger = generate_ed25519_jwk(kid)  # a stranger's key, under the board's registered kid
    forged = sign_event({**_cert(99), "issuedAt": "2026-01-01T00:00:00Z"}, stranger, kid)
    async with w.pool.acquire() as conn, conn.transaction():
        [(index, _)] = await log_store.append_leaves(conn, [forged.encode("ascii")])
        await conn.execute(
            """INSERT INTO events (publisher_id, event_id, type, kid, jws, payload, content_digest, log_index)
               VALUES ('ca-post', 'forged', 'certification.issued', $1, $2, $3, $4, $5)""",
            kid, forged, json.loads(json.dumps(_cert(99))), b"\0" * 32, index)
    assert index == SETUP_ENTRIES + 3  # after the setup's registrations and the three honest events
    note = await _checkpoint(w)
    assert note.splitlines()[1] == str(SETUP_ENTRIES + 3)  # the verified prefix only
    await w.publish_ok("ca-post", _cert(4))  # honest events after it are not signed either
    assert (await checkpointer.latest(w.pool)).size == SETUP_ENTRIES + 3  # type: ignore[union-attr]
    async with w.pool.acquire() as conn:
        report = await audit(conn, admin_keys=w.services.admin_keys.public())
    assert [(f.code, f.where) for f in report.findings if f.code == "BAD_SIGNATURE"] == [
        ("BAD_SIGNATURE", f"id={await w.pool.fetchval('SELECT id FROM events WHERE event_id = $1', 'forged')} "
                          f"log_index={SETUP_ENTRIES + 3}")]
    assert report.registrations == SETUP_ENTRIES
    assert report.signatures_verified == SETUP_ENTRIES + 4  # the registrations (admin key), the 4 honest events


async def test_a_restored_database_cannot_make_the_signer_fork(guarded: World, tmp_path: Path) -> None:
    w = guarded
    for n in range(5):
        await w.publish_ok("ca-post", _cert(n))
    for n in range(5, 8):
        await w.publish_ok("ca-post", _cert(n))
    assert (await checkpointer.latest(w.pool)).size == SETUP_ENTRIES + 8  # type: ignore[union-attr]
    # the backup taken after the 5th event; the database now ends at that checkpoint
    await restore_log_to(w.pool, SETUP_ENTRIES + 5)
    for n in (50, 51):
        await w.publish_ok("ca-post", _cert(n))  # accepted (nothing is lost for publishers) ...
    with pytest.raises(checkpointer.CheckpointRefused, match=f"already signed a tree of size {SETUP_ENTRIES + 8}"):
        await _checkpoint(w)  # ... but never signed: 7 events are behind the 8 that were signed
    for n in (52, 53):
        await w.publish_ok("ca-post", _cert(n))
    restarted = LogSigner(w.services.log_signer.key, SignerState(tmp_path / "log-signer.state"),  # a new process
                          admin_keys=w.services.admin_keys.public())
    with pytest.raises(checkpointer.CheckpointRefused, match=f"does not extend the tree of size {SETUP_ENTRIES + 8}"):
        await _checkpoint(w, restarted)
    assert (await checkpointer.latest(w.pool)).size == SETUP_ENTRIES + 5  # type: ignore[union-attr]
    assert json.loads((tmp_path / "log-signer.state").read_text())["size"] == SETUP_ENTRIES + 8


async def test_the_state_file_follows_every_signed_head(guarded: World, tmp_path: Path) -> None:
    w = guarded
    await w.publish_ok("ca-post", _cert(1))
    await w.publish_ok("ca-post", _cert(2))
    state = json.loads((tmp_path / "log-signer.state").read_text())
    latest = await checkpointer.latest(w.pool)
    assert latest is not None and state == {"size": latest.size, "root": latest.root_hash.hex()}
