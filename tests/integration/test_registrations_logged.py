"""Who may publish is in the signed log: registrations are log entries under the registry's admin key.

Every registration (agency, publisher, publisher key, key revocation) is a JWS by the admin key, appended to
the log in the transaction that changes the tables. Event signatures are checked against the keys the log
registers, so a key row inserted behind the API (and an event it signs) is named by the audit, the replay and
the incremental audit, and no checkpoint covers the event; a registration signed by anyone but the admin key,
or a registration table edited behind the API, is named too.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ledger import admin_entries, admin_key, checkpointer, log_store
from ledger.audit import AuditReport, audit
from ledger.audit_incremental import audit_since
from ledger.events import generate_ed25519_jwk, public_jwk_dict, sign_event
from ledger.merkle import leaf_hash
from ledger.state_file import TreeHead
from publishing.replay import ReplayReport, replay
from registry import migrate
from registry.cli import main
from tests.support import World, cert_issued, second_database, subject


@pytest.fixture
async def world(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    w = World(pool, tmp_path, checkpoint_seconds=0)
    await w.setup()
    return w


def _cert(n: int) -> dict[str, Any]:
    return cert_issued(number=f"R-{n}", event_id=f"r-{n}", subj=subject("Lena", f"Okafor{n}x", "1986-06-06"))


async def _audit(world: World) -> AuditReport:
    async with world.pool.acquire() as conn:
        return await audit(conn, admin_keys=world.services.admin_keys.public())


async def _replay(world: World, database_url: str) -> ReplayReport:
    async with second_database(database_url) as scratch_pool, scratch_pool.acquire() as scratch, \
            world.pool.acquire() as live:
        await migrate.migrate(scratch)
        return await replay(live, scratch, admin_keys=world.services.admin_keys.public())


async def _stranger_key_row(world: World) -> tuple[str, Any]:
    """What an insider with database access can do: a key of their own registered to the board, behind the API."""
    kid = "ca-post-insider"
    key = generate_ed25519_jwk(kid)
    async with world.pool.acquire() as conn:
        await conn.execute("INSERT INTO publisher_keys (publisher_id, kid, public_jwk, valid_from) "
                           "VALUES ('ca-post', $1, $2, '2020-01-01')", kid, public_jwk_dict(key))
    return kid, key


async def test_every_registration_is_a_log_entry_signed_by_the_admin_key(world: World, database_url: str) -> None:
    async with world.pool.acquire() as conn:
        rows = await conn.fetch("SELECT log_index, type, kid, jws, payload FROM registry_entries ORDER BY log_index")
        agencies = await conn.fetchval("SELECT count(*) FROM agencies")
        publishers = await conn.fetchval("SELECT count(*) FROM publishers")
        keys = await conn.fetchval("SELECT count(*) FROM publisher_keys")
        leaves = await log_store.fetch_nodes(conn, [(0, r["log_index"]) for r in rows])
    assert [r["log_index"] for r in rows] == list(range(len(rows)))  # the setup's registrations open the log
    assert len(rows) == agencies + publishers + keys
    admin = world.services.admin_keys
    for r in rows:
        assert r["kid"] == admin.kid
        assert leaves[(0, r["log_index"])] == leaf_hash(r["jws"].encode("ascii"))
        assert admin_entries.check_admin_entry(r["jws"], leaves[(0, r["log_index"])], admin.public()) is None
        assert admin_entries.signed_payload(r["jws"], admin.public()) == r["payload"]
        assert r["payload"]["by"] == "admin-user" and r["payload"]["type"] == r["type"]
    report = await _audit(world)
    assert report.ok, report.findings
    assert report.registrations == len(rows) and report.admin_signatures_checked and report.events == 0
    # a revocation is one more entry, in the same transaction as the change
    kid = world.keys["ca-post"][1]
    await world.ok("mutation($k: String!) { revokePublisherKey(kid: $k) { revokedAt } }", {"k": kid}, as_="admin")
    async with world.pool.acquire() as conn:
        last = await conn.fetchrow("SELECT type, payload FROM registry_entries ORDER BY log_index DESC LIMIT 1")
    assert last["type"] == admin_entries.KEY_REVOKED and last["payload"]["kid"] == kid
    assert (await _audit(world)).ok
    # the replay re-applies every registration in its place, and the events signed by the keys they make
    await world.publish_ok("tx-tcole", cert_issued("tx-tcole", "T-1", "TX", subj=subject("Ada", "Obi", "1980-01-01")))
    replayed = await _replay(world, database_url)
    assert replayed.ok and (replayed.registrations, replayed.replayed) == (len(rows) + 1, 1), replayed.findings


async def test_a_refused_registration_leaves_no_log_entry(world: World) -> None:
    async with world.pool.acquire() as conn:
        before = await log_store.size(conn)
    body = await world.gql("mutation($i: PublisherInput!) { registerPublisher(input: $i) { id } }",
                           {"i": {"id": "ca-post", "kind": "POST_BOARD", "name": "Again", "state": "CA"}}, as_="admin")
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    body = await world.gql("mutation($k: String!) { revokePublisherKey(kid: $k) { revokedAt } }", {"k": "nope"},
                           as_="admin")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    async with world.pool.acquire() as conn:
        assert await log_store.size(conn) == before
        assert await conn.fetchval("SELECT count(*) FROM registry_entries") == before


async def test_a_key_row_inserted_behind_the_api_signs_nothing_and_is_caught_everywhere(world: World,
                                                                                      database_url: str) -> None:
    await world.publish_ok("ca-post", _cert(1))
    async with world.pool.acquire() as conn:
        mark_size = await log_store.size(conn)
        mark = TreeHead(mark_size, await _root(conn, mark_size))
    kid, key = await _stranger_key_row(world)
    honest = world.keys["ca-post"]
    # the API resolves keys through the log's registrations: the row alone lets nobody publish
    world.keys["ca-post"] = (key, kid)
    refused = await world.publish("ca-post", _cert(2))
    assert not refused["committed"] and refused["results"][0]["code"] == "UNKNOWN_KEY", refused
    # an insider who also appends the event behind the API, with a consistent leaf and nodes
    forged = sign_event(_cert(2), key, kid)
    async with world.pool.acquire() as conn, conn.transaction():
        [(forged_index, _)] = await log_store.append_leaves(conn, [forged.encode("ascii")])
        await conn.execute(
            """INSERT INTO events (publisher_id, event_id, type, kid, jws, payload, content_digest, log_index)
               VALUES ('ca-post', 'r-2', 'certification.issued', $1, $2, $3, $4, $5)""",
            kid, forged, admin_entries.signed_payload(forged, None), b"\0" * 32, forged_index)
    world.keys["ca-post"] = honest
    await world.publish_ok("ca-post", _cert(3))
    # the full audit: the row is not in the log, and the event it signs is not what a logged key signed
    report = await _audit(world)
    found = {(f.code, f.table, f.where) for f in report.findings}
    assert ("ROW_NOT_IN_LOG", "publisher_keys", f"kid={kid}") in found
    assert any(f.code == "BAD_SIGNATURE" and f"log_index={forged_index}" in f.where for f in report.findings)
    # the incremental audit, from a watermark before it
    async with world.pool.acquire() as conn:
        since = await audit_since(conn, mark, admin_keys=world.services.admin_keys.public())
    assert ("ROW_NOT_IN_LOG", "publisher_keys", f"kid={kid}") in {(f.code, f.table, f.where) for f in since.findings}
    assert any(f.code == "BAD_SIGNATURE" and f"log_index={forged_index}" in f.where for f in since.findings)
    # the replay: the replayed key table is the log's, so the row and the event are unexplained
    replayed = await _replay(world, database_url)
    rfound = {(f.code, f.table, f.where) for f in replayed.findings}
    assert ("ROW_NOT_IN_LOG", "publisher_keys", f"kid={kid}") in rfound
    assert any(f.code == "EVENT_NOT_REPLAYED" and f"log_index={forged_index}" in f.where for f in replayed.findings)
    # the checkpoint signer covers only the verified prefix: it stops before the event
    note = await checkpointer.publish_checkpoint(world.pool, world.services.log_signer, world.settings.log_origin)
    assert int(note.splitlines()[1]) == forged_index


async def test_a_registration_signed_by_another_key_is_named_and_never_covered(world: World) -> None:
    stranger, now = admin_key.new_key(), _now()
    entry = {**admin_entries.key_entry("ca-post", "x", public_jwk_dict(generate_ed25519_jwk("x")), now),
             "by": "insider", "issuedAt": now.isoformat()}
    jws = admin_entries.sign(entry, stranger)
    payload = admin_entries.signed_payload(jws, None)
    async with world.pool.acquire() as conn, conn.transaction():
        [(index, _)] = await log_store.append_leaves(conn, [jws.encode("ascii")])
        await conn.execute("INSERT INTO registry_entries (log_index, type, kid, jws, payload) VALUES ($1, $2, $3, $4, "
                           "$5)", index, entry["type"], str(stranger.kid), jws, payload)
        await conn.execute("INSERT INTO publisher_keys (publisher_id, kid, public_jwk, valid_from) "
                           "VALUES ('ca-post', 'x', $1, $2)", payload["jwk"], now)
    report = await _audit(world)
    # the forged registration is named, and makes nothing: the key row it claims to explain is not in the log
    assert sorted((f.code, f.table, f.where) for f in report.findings) == [
        ("BAD_SIGNATURE", "registry_entries", f"log_index={index}"), ("ROW_NOT_IN_LOG", "publisher_keys", "kid=x")]
    note = await checkpointer.publish_checkpoint(world.pool, world.services.log_signer, world.settings.log_origin)
    assert int(note.splitlines()[1]) == index
    # without the admin keys the audit cannot tell, and says so
    async with world.pool.acquire() as conn:
        blind = await audit(conn)
    assert blind.ok and not blind.admin_signatures_checked


@pytest.mark.parametrize(("table", "edit", "where"), [
    ("agencies", "UPDATE agencies SET name = 'Renamed' WHERE ori = 'CA0190000'", "ori=CA0190000"),
    ("publishers", "INSERT INTO publishers (id, kind, name, state) VALUES ('zz-post', 'POST_BOARD', 'Z', 'ZZ')",
     "id=zz-post"),
    ("publisher_keys", "UPDATE publisher_keys SET revoked_at = NULL, valid_from = '2001-01-01' "
                       "WHERE publisher_id = 'tx-tcole'", None),
    ("publisher_keys", "DELETE FROM publisher_keys WHERE publisher_id = 'tx-tcole'", None),
])
async def test_a_registration_table_edited_behind_the_api_is_named(world: World, database_url: str, table: str,
                                                                     edit: str, where: str | None) -> None:
    where = where or f"kid={world.keys['tx-tcole'][1]}"
    async with world.pool.acquire() as conn:
        await conn.execute(edit)
    report = await _audit(world)
    assert [(f.table, f.where) for f in report.findings] == [(table, where)], report.findings
    replayed = await _replay(world, database_url)
    assert (table, where) in {(f.table, f.where) for f in replayed.findings}


async def test_an_edited_registration_entry_is_named(world: World) -> None:
    async with world.pool.acquire() as conn:
        await conn.execute("UPDATE registry_entries SET payload = jsonb_set(payload, '{agency,name}', '\"X\"') "
                           "WHERE log_index = 0")
    report = await _audit(world)
    codes = {(f.code, f.table) for f in report.findings}
    assert ("PAYLOAD_MISMATCH", "registry_entries") in codes


async def test_admin_keys_are_published_and_the_cli_audit_checks_registrations_with_them(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    resp = await world.http.get("/.well-known/registry-admin-keys")
    assert resp.status_code == 200
    jwks = resp.json()
    assert [k["kid"] for k in jwks["keys"]] == [world.services.admin_keys.kid]
    assert all("d" not in k for k in jwks["keys"])
    path = tmp_path / "admin-keys.json"
    path.write_text(json.dumps(jwks))
    for name in [n for n in os.environ if n.startswith("REGISTRY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "cli"))
    args = ["audit", "--state", str(tmp_path / "a.state"), "--admin-keys", str(path)]
    code = await asyncio.to_thread(main, args)
    out, err = capsys.readouterr()
    assert code == 0 and "admin signatures checked" in out, out + err
    other = tmp_path / "other.json"
    other.write_text(json.dumps(admin_key.AdminKeys(admin_key.new_key()).jwks()))
    code = await asyncio.to_thread(main, ["audit", "--state", str(tmp_path / "b.state"), "--admin-keys", str(other)])
    out, err = capsys.readouterr()
    assert code == 1 and "BAD_SIGNATURE registry_entries[log_index=0]" in out, out
    code = await asyncio.to_thread(main, ["audit", "--admin-keys", str(tmp_path / "missing.json")])
    out, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot read" in err and "Traceback" not in err
    code = await asyncio.to_thread(main, ["audit", "--admin-keys", "http://registry.example/.well-known/keys"])
    out, err = capsys.readouterr()  # anyone on the path could substitute keys fetched over plain http
    assert code == 2 and len(err.strip().splitlines()) == 1 and "fetched over https" in err, err


def test_an_admin_key_rotation_keeps_what_the_old_key_signed_verifiable(tmp_path: Path) -> None:
    from registry import keyring

    path = tmp_path / admin_key.DEFAULT_FILE
    first = admin_key.load_or_create_keys(path)
    jws = admin_entries.sign({"type": admin_entries.AGENCY, "agency": {}}, first.current)
    keyring.rotate(path, admin_key.key_kind())
    second = admin_key.load_or_create_keys(path)
    assert second.kid != first.kid and first.kid in second.public()
    assert admin_entries.signed_payload(jws, second.public())["type"] == admin_entries.AGENCY
    keyring.retire(path, admin_key.key_kind(), first.kid)
    assert first.kid in admin_key.load_or_create_keys(path).public()  # retired: its public half stays
    assert admin_key.load_public_keys(path) == admin_key.load_or_create_keys(path).public()
    assert admin_key.load_public_keys(tmp_path / "none.jwk") is None


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def _root(conn: asyncpg.Connection, size: int) -> bytes:
    from ledger import proofs

    return await proofs.root_at(conn, size)



async def test_a_registry_upgraded_from_unlogged_registrations_adopts_them_once(
        pool: asyncpg.Pool, clean: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    world = World(pool, tmp_path / "w", checkpoint_seconds=0)
    key = generate_ed25519_jwk("ca-post-old")
    world.keys["ca-post"] = (key, "ca-post-old")
    async with pool.acquire() as conn:  # what a registry of the previous version holds: rows, no entries
        await conn.execute("INSERT INTO agencies (ori, name, state, level) VALUES ('CA0010000', 'S', 'CA', 'LOCAL')")
        await conn.execute("INSERT INTO publishers (id, kind, name, state) VALUES ('ca-post', 'POST_BOARD', 'C', 'CA')")
        await conn.execute("INSERT INTO publisher_keys (publisher_id, kid, public_jwk, valid_from, revoked_at) VALUES "
                           "('ca-post', 'ca-post-old', $1, '2020-01-01', NULL), "
                           "('ca-post', 'ca-post-older', $1, '2019-01-01', '2020-01-01')",
                           {**public_jwk_dict(key), "kid": "ca-post-old"})
    refused = await world.publish("ca-post", _cert(1))
    assert refused["results"][0]["code"] == "UNKNOWN_KEY"
    before = await _audit(world)
    assert {f.code for f in before.findings} == {"ROW_NOT_IN_LOG"} and len(before.findings) == 4
    for name in [n for n in os.environ if n.startswith("REGISTRY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "cli"))
    code = await asyncio.to_thread(main, ["adopt-registrations"])
    out, err = capsys.readouterr()
    assert code == 0 and "logged 1 agencies, 1 publishers, 2 publisher keys and 1 revocations" in out, out + err
    cli_keys = admin_key.load_public_keys(tmp_path / "cli" / "secrets" / admin_key.DEFAULT_FILE)
    assert cli_keys is not None
    world.services.admin_keys = admin_key.load_or_create_keys(tmp_path / "cli" / "secrets" / admin_key.DEFAULT_FILE)
    world.services.log_signer.admin_keys = cli_keys  # the server restarted with the data directory's admin key
    async with pool.acquire() as conn:
        report = await audit(conn, admin_keys=cli_keys)
    assert report.ok and report.registrations == 5, report.findings
    await world.publish_ok("ca-post", _cert(1))  # the adopted key publishes
    code = await asyncio.to_thread(main, ["adopt-registrations"])
    out, err = capsys.readouterr()
    assert code == 2 and "already logged" in err and len(err.strip().splitlines()) == 1
