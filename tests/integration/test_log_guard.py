"""The registry never signs what it has not verified, nor a second history.

- An events row signed by a stranger's key under a registered kid, appended with a consistent leaf and
  nodes behind the API: the checkpointer stops before it, and the audit names it.
- A database restored from an earlier backup and written since: the signer, which keeps the last tree it
  signed outside the database, refuses to sign the fork, also after a restart.
- The signatures this process verified when it published are not verified again (``ledger.verified_signatures``),
  and nothing else is skipped: an entry changed behind the API after it was published, or whose key was revoked
  back to before it, is still never signed.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ledger import admin_entries, checkpointer, entry_check, log_store, verified_signatures
from ledger.audit import audit
from ledger.events import generate_ed25519_jwk, public_jwk_dict, sign_event
from ledger.merkle import leaf_hash
from ledger.signer_guard import LogSigner, SignerState
from tests.support import PUBLISH, SETUP_ENTRIES, World, cert_issued, restore_log_to, signing_world, subject


@pytest.fixture
async def guarded(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    return await signing_world(pool, tmp_path)  # every batch signs: the test follows each step


@pytest.fixture
async def deferred(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    """As ``guarded``, but a batch signs only the first checkpoint: the tests change things before the next."""
    return await signing_world(pool, tmp_path, checkpoint_seconds=3600)


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


async def _published(w: World, n: int) -> tuple[int, str]:
    """(log index, JWS) of a certification the board publishes through the API."""
    [row] = await w.publish_ok("ca-post", _cert(n))
    jws = await w.pool.fetchval("SELECT jws FROM events WHERE log_index = $1", row["logIndex"])
    return row["logIndex"], jws


async def _signed_size(w: World) -> int:
    await _checkpoint(w)
    latest = await checkpointer.latest(w.pool)
    assert latest is not None
    return latest.size


async def test_what_this_process_published_is_noted_as_verified_and_nothing_else(deferred: World) -> None:
    w = deferred
    index, jws = await _published(w, 1)
    kid = w.keys["ca-post"][1]
    noted = verified_signatures.recall(leaf_hash(jws.encode("ascii")))
    assert noted is not None and (noted.kid, noted.publisher) == (kid, "ca-post")
    assert noted.public_jwk["x"] == public_jwk_dict(w.keys["ca-post"][0])["x"]
    sent = [w.sign("ca-post", _cert(2)), w.sign("ca-post", {**_cert(3), "publisher": "tx-tcole"})]
    refused = await w.gql(PUBLISH, {"e": [{"jws": j} for j in sent], "d": False}, as_="publisher",
                          publisher_id="ca-post")  # the first verifies, the second is refused: nothing committed
    tried = await w.gql(PUBLISH, {"e": [{"jws": sent[0]}], "d": True}, as_="publisher", publisher_id="ca-post")
    assert [r["data"]["publishEvents"]["committed"] for r in (refused, tried)] == [False, False]
    assert [r["status"] for r in refused["data"]["publishEvents"]["results"]] == ["NOT_APPLIED", "REJECTED"]
    assert [verified_signatures.recall(leaf_hash(j.encode("ascii"))) for j in sent] == [None, None]  # not logged
    assert await _signed_size(w) == index + 1


async def test_the_checkpointer_takes_the_noted_verification_only_for_the_key_it_was_made_with(
        deferred: World) -> None:
    """A signature noted as verified (``ledger.verified_signatures.remember``, only the publishing path calls it) is
    not verified again, but only under the very key it was verified with."""
    w = deferred
    await _published(w, 1)
    kid = w.keys["ca-post"][1]
    stranger = generate_ed25519_jwk(kid)
    forged = sign_event({**_cert(99), "issuedAt": datetime.now(UTC).isoformat()}, stranger, kid)
    index = await _behind_the_api(w, [forged])
    payload = {"publisher": "ca-post", "issuedAt": _cert(99)["issuedAt"]}
    verified_signatures.remember([(forged, kid, public_jwk_dict(stranger), payload)])  # noted under another key
    assert await _signed_size(w) == index  # verified again: refused
    async with w.pool.acquire() as conn:
        key = await admin_entries.logged_key(conn, kid, w.services.admin_keys.public())
        assert key is not None
        leaf = leaf_hash(forged.encode("ascii"))
        assert "does not verify" in (entry_check.check_entry(forged, leaf, key) or "")
        # noted under the registered key (which only a publish that verified it would do): taken as verified
        verified_signatures.remember([(forged, kid, key.public_jwk, payload)])
        assert entry_check.check_entry(forged, leaf, key, known=verified_signatures.recall(leaf)) is None
        assert await entry_check.first_bad_entry(conn, index, index + 1,
                                                 admin_keys=w.services.admin_keys.public()) is None


async def test_an_entry_changed_behind_the_api_after_it_was_published_is_not_signed(deferred: World) -> None:
    w = deferred
    first, _ = await _published(w, 1)
    index, jws = await _published(w, 2)  # verified when published, not yet covered by a checkpoint
    assert verified_signatures.recall(leaf_hash(jws.encode("ascii"))) is not None
    other = w.sign("ca-post", _cert(3))  # honestly signed by the same key, never logged
    await w.pool.execute("UPDATE events SET jws = $1 WHERE log_index = $2", other, index)
    assert await _signed_size(w) == index
    async with w.pool.acquire() as conn:
        bad = await entry_check.first_bad_entry(conn, first, index + 1, admin_keys=w.services.admin_keys.public())
    assert bad == entry_check.BadEntry(index, "the stored leaf is not the hash of the stored event")


async def test_an_entry_whose_key_was_revoked_back_to_before_it_is_not_signed(deferred: World) -> None:
    w = deferred
    await _published(w, 1)
    index, jws = await _published(w, 2)
    assert verified_signatures.recall(leaf_hash(jws.encode("ascii"))) is not None
    kid = w.keys["ca-post"][1]
    back = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()  # the key leaked before the event was signed
    await w.ok("mutation($k: String!, $at: DateTime!) { revokePublisherKey(kid: $k, revokedAt: $at) { revokedAt } }",
               {"k": kid, "at": back}, as_="admin")
    assert await _signed_size(w) == index  # the signature is noted as verified; the key's dates are checked
    async with w.pool.acquire() as conn:
        bad = await entry_check.first_bad_entry(conn, index, index + 2, admin_keys=w.services.admin_keys.public())
    assert bad is not None and (bad.index, bad.reason) == (index, f"it was issued after key {kid} was revoked")


async def _behind_the_api(w: World, signed: list[str]) -> int:
    """Append events straight to the log and the events table (as another process's publishing would leave them:
    this process never verified them); the first one's log index."""
    async with w.pool.acquire() as conn, conn.transaction():
        appended = await log_store.append_leaves(conn, [j.encode("ascii") for j in signed])
        for (index, _), jws in zip(appended, signed, strict=True):
            body = jws.split(".")[1]
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            await conn.execute(
                """INSERT INTO events (publisher_id, event_id, type, kid, jws, payload, content_digest, log_index)
                   VALUES ('ca-post', $1, 'certification.issued', $2, $3, $4, $5, $6)""",
                f"other-{index}", w.keys["ca-post"][1], jws, payload, b"\0" * 32, index)
    return appended[0][0]


@pytest.mark.parametrize("forged_at", [(), (17,), (5, 17), (3, 30), (4,), (12, 28)])
async def test_entries_another_process_published_are_verified_in_full_and_the_first_bad_one_stops_it(
        deferred: World, forged_at: tuple[int, ...]) -> None:
    """Many entries this process did not verify are checked on the verifying threads; the answer is still the
    first that does not verify, in log order."""
    w = deferred
    await _published(w, 1)
    kid = w.keys["ca-post"][1]
    stranger = generate_ed25519_jwk(kid)
    signed = [sign_event(_cert(100 + n), stranger if n in forged_at else w.keys["ca-post"][0], kid)
              for n in range(40)]
    first = await _behind_the_api(w, signed)
    assert all(verified_signatures.recall(leaf_hash(j.encode("ascii"))) is None for j in signed)
    async with w.pool.acquire() as conn:
        bad = await entry_check.first_bad_entry(conn, first, first + 40, admin_keys=w.services.admin_keys.public())
        # read in growing blocks (4, 8, 16, 16...): the same answer whichever block the bad entry falls in
        small = await entry_check.first_bad_entry(conn, first, first + 40, admin_keys=w.services.admin_keys.public(),
                                                  chunk=16, first_chunk=4)
    assert small == bad
    if not forged_at:
        assert bad is None
        assert await _signed_size(w) == first + 40
    else:
        assert bad is not None and bad.index == first + forged_at[0] and "does not verify" in bad.reason
        assert await _signed_size(w) == first + forged_at[0]


async def test_an_entry_that_does_not_verify_right_after_the_checkpoint_costs_a_small_read(deferred: World) -> None:
    """While the entry after the last checkpoint does not verify, every batch's checkpoint attempt checks from there
    again: it reads a small block (64 entries), not the 5,000 after it."""
    w = deferred
    await _published(w, 1)
    kid = w.keys["ca-post"][1]
    signed = [sign_event(_cert(300 + n), generate_ed25519_jwk(kid) if n == 0 else w.keys["ca-post"][0], kid)
              for n in range(200)]
    first = await _behind_the_api(w, signed)
    ranges: list[tuple[Any, ...]] = []

    def seen(query: Any) -> None:
        if "FROM events WHERE log_index >=" in query.query:
            ranges.append(tuple(query.args))

    async with w.pool.acquire() as conn:
        conn.add_query_logger(seen)
        try:
            bad = await entry_check.first_bad_entry(conn, first, first + 200,
                                                    admin_keys=w.services.admin_keys.public())
        finally:
            conn.remove_query_logger(seen)
    assert bad is not None and bad.index == first and "does not verify" in bad.reason
    assert ranges == [(first, first + 64)]


async def test_the_audit_checks_many_signatures_on_the_threads_and_names_each_bad_one_in_log_order(
        deferred: World) -> None:
    w = deferred
    await _published(w, 1)
    kid = w.keys["ca-post"][1]
    stranger = generate_ed25519_jwk(kid)
    forged_at = {3, 17, 18, 39}
    signed = [sign_event(_cert(200 + n), stranger if n in forged_at else w.keys["ca-post"][0], kid)
              for n in range(40)]
    first = await _behind_the_api(w, signed)
    async with w.pool.acquire() as conn:
        report = await audit(conn, admin_keys=w.services.admin_keys.public())
    bad = [f.where for f in report.findings if f.code == "BAD_SIGNATURE"]
    ids = {r["log_index"]: r["id"] for r in await w.pool.fetch("SELECT id, log_index FROM events")}
    assert bad == [f"id={ids[first + n]} log_index={first + n}" for n in sorted(forged_at)]
    assert report.signatures_verified == SETUP_ENTRIES + 1 + 40 - len(forged_at)
    assert {f.code for f in report.findings} == {"BAD_SIGNATURE"}
