"""Crash safety with real processes: a `registry serve` subprocess killed outright (SIGKILL: no hand-back, no
rollback by the application, no clean-up of any kind) in the middle of webhook deliveries and in the middle of a
publishEvents transaction, then a new server process on the same database.

* Mid-delivery: every notice the dead process was sending is delivered by the new one, only after the dead
  process's lease ends, under the same webhook-id (so the receiver processes each once); the outbox ends
  DELIVERED and the attempt log shows the dead process's attempt left open.
* Mid-publish: the batch is wholly in the log and the state tables or not at all, `registry audit` finds the log
  intact, and sending the same batch again commits it exactly once (DUPLICATE if it had committed).

The in-process variants (a cancelled worker task, a claim nobody finishes) are in test_monitoring_webhooks.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
import psutil
import pytest

from tests.integration.monitoring_support import AGENCY, Receiver, receiving, truncate_monitoring
from tests.support import (
    AUDIENCE,
    ISSUER,
    PUBLISH,
    SETUP_ENTRIES,
    World,
    cert_issued,
    free_port,
    record_published,
    subject,
)

ROOT = Path(__file__).resolve().parents[2]

#: Webhook timing for the servers under test: the request timeout must outlast the moment of the kill, and the
#: lease (which the new process has to wait out) must be longer than the timeout (MonitoringConfig refuses less).
WEBHOOK_TIMEOUT = 8.0
WEBHOOK_LEASE = 10.0
#: Events in the batch killed mid-transaction (publishEvents takes at most 1000): long enough to be caught open.
BATCH = 400
#: How far into the batch (events inserted by the open transaction) the server is killed.
KILL_AFTER = 40

ENROLL = "mutation($o: ID!) { enrollOfficer(officerId: $o) { id officerId } }"
REGISTER = """mutation($i: WebhookEndpointInput!) { registerWebhookEndpoint(input: $i) {
  endpoint { id url scheme } secret publicKey } }"""


# --- real server processes --------------------------------------------------------------------------------------


@dataclass
class Server:
    """One `registry serve` process (single-process mode: the pid is the process that serves)."""

    proc: asyncio.subprocess.Process
    port: int
    log: Path
    app_name: str  # its PostgreSQL application_name, to find its sessions in pg_stat_activity

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _issuers_file(tmp_path: Path) -> Path:
    """Trust the World's test issuer (its tokens, its public key) for every role the tests use, as a deployment's
    REGISTRY_ISSUERS_FILE trusts an identity provider."""
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps([{
        "issuer": ISSUER, "jwks_file": str(tmp_path / "world" / "jwks.json"), "audience": AUDIENCE,
        "roles": ["admin", "auditor", "publisher", "hiring_agency"],
        "publisher_ids": ["*"], "agency_oris": ["*"], "max_token_lifetime_seconds": 3600,
    }]))
    return path


def _admin_key(world: World) -> str:
    """The World's registry admin key (private JWK), for REGISTRY_ADMIN_KEY: the key its registrations are signed
    by, so a process on another data directory resolves the same publisher keys and checks the same signatures."""
    return json.dumps(world.services.admin_keys.current.as_dict(private=True))


def _env(database_url: str, data_dir: Path, issuers: Path, app_name: str, world: World,
         **extra: str) -> dict[str, str]:
    """Production mode on the test database, webhooks allowed to the test's loopback receiver."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_") and k != "DATABASE_URL"}
    dsn = f"{database_url}{'&' if '?' in database_url else '?'}application_name={app_name}"
    return {
        **base,
        "DATABASE_URL": dsn,
        "REGISTRY_DATA_DIR": str(data_dir),
        "REGISTRY_ISSUERS_FILE": str(issuers),
        "REGISTRY_SSN_KEY": (b"k" * 32).hex(),  # the World's blind-index key
        "REGISTRY_ADMIN_KEY": _admin_key(world),  # the World's admin key: its registrations
        "REGISTRY_WEBHOOK_ALLOW_HTTP": "1",
        "REGISTRY_WEBHOOK_ALLOW_PRIVATE": "1",
        "REGISTRY_CHECKPOINT_SECONDS": "1",
        **extra,
    }


def _append(path: Path) -> IO[bytes]:
    return path.open("ab")


async def _until(what: str, check: Callable[[], Awaitable[bool]], within: float = 120.0) -> None:
    """Poll until ``check`` holds: waiting for processes and the database, never a timing assertion."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {within:g} s waiting for {what}")
        await asyncio.sleep(0.02)


async def _start(env: dict[str, str], log: Path, started: list[Server]) -> Server:
    """`python -m registry.cli serve` on a free port, ready (migrated, database reachable) when this returns."""
    port = free_port()
    with _append(log) as out:  # the child has its own copy of the descriptor
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "registry.cli", "serve", "--port", str(port), "--log-level", "warning",
            cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out)
    server = Server(proc, port, log, env["DATABASE_URL"].rsplit("application_name=", 1)[1])
    started.append(server)  # reaped by the caller's finally, whatever happens next

    async def ready() -> bool:
        if proc.returncode is not None:
            pytest.fail(f"registry serve exited with {proc.returncode}: {server.output()}")
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                resp = await client.get(f"{server.url}/readyz")
        except httpx.TransportError:
            return False
        return resp.status_code == 200 and resp.json().get("status") == "ready"

    await _until(f"registry serve on port {port} to be ready", ready)
    async with httpx.AsyncClient(timeout=5) as client:  # what it held at start-up is out of the collector's sight
        assert (await client.get(f"{server.url}/readyz")).json()["gcFrozenObjects"] > 10_000
    # single-process mode: no worker processes, so the pid we will kill is the one that serves
    assert psutil.Process(proc.pid).children(recursive=True) == [], "registry serve started child processes"
    return server


async def _kill(server: Server) -> None:
    """SIGKILL the serving process and reap it; its port is closed once it is gone."""
    os.kill(server.proc.pid, signal.SIGKILL)
    assert await asyncio.wait_for(server.proc.wait(), 60) == -signal.SIGKILL
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", server.port)) != 0, "the killed server's port still accepts connections"


async def _reap(servers: list[Server]) -> None:
    """Stop every server still running (SIGTERM drains; SIGKILL if it does not stop) and wait for each."""
    for server in servers:
        if server.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                server.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(server.proc.wait(), 60)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    server.proc.kill()
                await server.proc.wait()


async def _sessions_gone(pool: asyncpg.Pool, server: Server) -> bool:
    """PostgreSQL has ended every session of ``server`` (so it rolled back whatever was open and released its
    locks, the leader lock included)."""
    n = await pool.fetchval("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", server.app_name)
    return int(n) == 0


async def _gql(api: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    resp = await api.post("/graphql", json={"query": query, "variables": variables},
                          headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert not body.get("errors"), body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def _publish(api: httpx.AsyncClient, token: str, submissions: list[dict[str, Any]]
                   ) -> dict[str, Any]:
    result: dict[str, Any] = (await _gql(api, PUBLISH, {"e": submissions, "d": False}, token))["publishEvents"]
    return result


def _signed(world: World, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"jws": world.sign("ca-post", p), "ssn": None} for p in payloads]


@pytest.fixture
async def crash_world(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    """Agencies, publishers and their keys registered (the log's first SETUP_ENTRIES entries, no event yet);
    monitoring tables empty."""
    await truncate_monitoring(pool)
    (tmp_path / "world").mkdir()
    w = World(pool, tmp_path / "world")  # its issuer's public key: world/jwks.json (_issuers_file)
    await w.setup()
    return w


# --- 1. killed mid-delivery ----------------------------------------------------------------------------------------


async def test_server_killed_mid_delivery_loses_no_notice(crash_world: World, pool: asyncpg.Pool,
                                                          database_url: str, tmp_path: Path) -> None:
    w = crash_world
    issuers = _issuers_file(tmp_path)
    webhooks = {"REGISTRY_WEBHOOK_TIMEOUT": str(WEBHOOK_TIMEOUT), "REGISTRY_WEBHOOK_LEASE": str(WEBHOOK_LEASE),
                "REGISTRY_WEBHOOK_BACKOFF_BASE": "0.5", "REGISTRY_WEBHOOK_BACKOFF_CAP": "1"}
    data_dir = tmp_path / "server"
    publisher = w.token("publisher", publisher_id="ca-post")
    austin = w.token("hiring_agency", agency_ori=AGENCY)
    # The first process's requests are all held open (accepted, never answered); later ones get 200.
    receiver = Receiver(plan=["hang"] * 3)
    servers: list[Server] = []
    async with receiving(receiver) as hook_url:
        try:
            first = await _start(_env(database_url, data_dir, issuers, "crash-delivery-first", w, **webhooks),
                                 tmp_path / "first.log", servers)
            async with httpx.AsyncClient(base_url=first.url, timeout=60) as api:
                receiver.public_key = (await api.get("/.well-known/webhook-key")).json()["publicKey"]
                issued = await _publish(api, publisher, _signed(w, [cert_issued(number="555001")]))
                assert issued["committed"], issued
                officer = issued["results"][0]["officerId"]
                await _gql(api, ENROLL, {"o": officer}, austin)
                await _gql(api, REGISTER, {"i": {"url": hook_url, "scheme": "V1A"}}, austin)
                # three records become visible to the agency at once: three notices, three outbox rows
                records = await _publish(api, publisher, _signed(w, [
                    record_published(source=f"rec-{i}", subj={"registryId": officer}, status="FINAL", attested=True)
                    for i in range(3)]))
                assert records["committed"] and records["accepted"] == 3, records

            async def all_in_flight() -> bool:
                open_attempts = await pool.fetchval(
                    """SELECT count(*) FROM webhook_outbox o
                         JOIN webhook_attempts a ON a.outbox_id = o.id AND a.attempt = o.attempts
                        WHERE o.state = 'PENDING' AND o.claim_token IS NOT NULL AND a.finished_at IS NULL""")
                return int(open_attempts) == 3 and len(receiver.requests) == 3

            await _until("the first server to have all three deliveries in flight", all_in_flight)
            leased = {r["webhook_id"]: r for r in await pool.fetch("SELECT * FROM webhook_outbox ORDER BY id")}
            first_attempts = await pool.fetch("SELECT * FROM webhook_attempts ORDER BY outbox_id, attempt")
            assert len(leased) == 3 and all(r["attempts"] == 1 and r["state"] == "PENDING" for r in leased.values())
            dead_worker = {a["worker"] for a in first_attempts}
            assert len(dead_worker) == 1 and [a["finished_at"] for a in first_attempts] == [None] * 3

            await _kill(first)  # mid-request: the receiver holds all three open
            await _until("PostgreSQL to end the killed server's sessions", lambda: _sessions_gone(pool, first))
            # the dead process recorded nothing and handed nothing back: the rows wait out their lease
            after_kill = {r["webhook_id"]: r for r in await pool.fetch("SELECT * FROM webhook_outbox")}
            assert set(after_kill) == set(leased)
            for webhook_id, row in after_kill.items():
                before = leased[webhook_id]
                assert (row["state"], row["attempts"], row["claim_token"], row["next_attempt_at"]) == (
                    "PENDING", 1, before["claim_token"], before["next_attempt_at"])

            await _start(_env(database_url, data_dir, issuers, "crash-delivery-second", w, **webhooks),
                         tmp_path / "second.log", servers)

            async def all_delivered() -> bool:
                states = [r["state"] for r in await pool.fetch("SELECT state FROM webhook_outbox")]
                return states == ["DELIVERED"] * 3

            await _until("the new server to deliver every notice", all_delivered)
        finally:
            await _reap(servers)

    rows = {r["webhook_id"]: r for r in await pool.fetch("SELECT * FROM webhook_outbox ORDER BY id")}
    notices = {r["public_id"] for r in await pool.fetch(
        "SELECT public_id FROM monitoring_notices WHERE owner_kind = 'AGENCY' AND owner_id = $1", AGENCY)}
    assert set(rows) == set(leased) == notices and len(notices) == 3  # one outbox row per notice, none lost
    attempts = await pool.fetch("SELECT * FROM webhook_attempts ORDER BY outbox_id, attempt")
    [survivor] = {a["worker"] for a in attempts} - dead_worker
    by_id: dict[str, list[Any]] = {}
    for req in receiver.requests:
        by_id.setdefault(req.webhook_id, []).append(req)
    for webhook_id, row in rows.items():
        lease_end = leased[webhook_id]["next_attempt_at"]
        assert row["state"] == "DELIVERED" and row["attempts"] == 2 and row["last_status"] == 200
        tried = [a for a in attempts if a["outbox_id"] == row["id"]]
        assert [(a["attempt"], a["worker"], a["status_code"], a["finished_at"] is None) for a in tried] == [
            (1, *dead_worker, None, True),   # the killed process's attempt: never finished, never recorded
            (2, survivor, 200, False)]
        # the new server is ready some 5 s before the lease ends (measured on a 2-CPU machine): a real wait
        assert tried[1]["started_at"] >= lease_end, "the new process took the delivery before the lease ended"
        held, retried = by_id[webhook_id]  # exactly two requests: the one cut off by the kill, the redelivery
        assert (held.status, retried.status) == (None, 200)
        assert retried.at >= lease_end.timestamp() - 0.05, "redelivered before the dead process's lease ended"
        assert held.body == retried.body and held.v1a and retried.v1a  # same signed content, same webhook-id
        body = json.loads(retried.body)
        assert body["type"] == "record.visible" and body["data"]["noticeId"] == webhook_id
    assert sorted(receiver.processed) == sorted(notices)  # the receiver, deduplicating by webhook-id, got each once
    assert len(receiver.requests) == 6


# --- 2. killed mid-publish -----------------------------------------------------------------------------------------


def _letters(n: int) -> str:
    out = ""
    while True:
        n, d = divmod(n, 26)
        out += chr(ord("a") + d)
        if n == 0:
            return out


def _batch(world: World) -> tuple[list[dict[str, Any]], list[str]]:
    """BATCH certifications, each of a new officer (distinct names and birth dates): signed submissions, numbers."""
    payloads = [
        cert_issued(number=f"{800000 + i}", event_id=f"crash-{i:04d}",
                    subj=subject(f"Ann{_letters(i)}", f"Morrow{_letters(i * 7 + 3)}",
                                 (date(1960, 1, 1) + timedelta(days=13 * i)).isoformat()))
        for i in range(BATCH)
    ]
    return _signed(world, payloads), [p["number"] for p in payloads]


async def _events_inserted(pool: asyncpg.Pool) -> int:
    """Event rows inserted since the `clean` fixture restarted the sequence, committed or not (sequences are
    not transactional: an open transaction's inserts show here before they commit)."""
    row = await pool.fetchrow("SELECT last_value, is_called FROM events_id_seq")
    assert row is not None
    return int(row["last_value"]) if row["is_called"] else 0


async def _batch_state(pool: asyncpg.Pool, numbers: list[str]) -> dict[str, int]:
    """What of the batch is in the log and the state tables (the log and its leaves hold the setup's
    registrations too: see ``_with``)."""
    row = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM events WHERE publisher_id = 'ca-post' AND event_id LIKE 'crash-%') AS events,
                  (SELECT count(*) FROM certifications WHERE number = ANY($1::text[])) AS certifications,
                  (SELECT count(*) FROM officers) AS officers,
                  (SELECT size FROM log_state) AS log_size,
                  (SELECT count(*) FROM log_nodes WHERE level = 0) AS leaves""",
        numbers)
    assert row is not None
    return {k: int(v) for k, v in row.items()}


def _with(events: int) -> dict[str, int]:
    """``_batch_state`` with ``events`` of the batch committed: as many events, certifications and (new) officers,
    and a log of the setup's SETUP_ENTRIES registrations followed by those events."""
    return {"events": events, "certifications": events, "officers": events,
            "log_size": SETUP_ENTRIES + events, "leaves": SETUP_ENTRIES + events}


async def _audit(database_url: str, data_dir: Path, world: World, *extra: str) -> str:
    """`registry audit` as an operator runs it, with the server's data directory (its checkpoint key) and admin
    key (the World's)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_") and k != "DATABASE_URL"},
           "DATABASE_URL": database_url, "REGISTRY_DATA_DIR": str(data_dir), "REGISTRY_ADMIN_KEY": _admin_key(world)}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "registry.cli", "audit", *extra, cwd=ROOT,
                                                env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    text = out.decode()
    assert proc.returncode == 0 and "audit clean" in text, text + err.decode()
    assert f"{SETUP_ENTRIES} registrations; " in text and "(admin signatures checked)" in text, text
    return text


async def test_server_killed_mid_publish_keeps_the_batch_atomic(crash_world: World, pool: asyncpg.Pool,
                                                                database_url: str, tmp_path: Path) -> None:
    w = crash_world
    issuers = _issuers_file(tmp_path)
    data_dir = tmp_path / "server"
    publisher = w.token("publisher", publisher_id="ca-post")
    submissions, numbers = _batch(w)
    assert await _events_inserted(pool) == 0
    servers: list[Server] = []
    try:
        first = await _start(_env(database_url, data_dir, issuers, "crash-publish-first", w), tmp_path / "first.log",
                             servers)
        async with httpx.AsyncClient(base_url=first.url, timeout=300) as api:
            request = asyncio.create_task(api.post(
                "/graphql", json={"query": PUBLISH, "variables": {"e": submissions, "d": False}},
                headers={"Authorization": f"Bearer {publisher}"}))

            async def part_way() -> bool:
                if request.done():
                    pytest.fail(f"the batch of {BATCH} finished before the server could be killed mid-transaction "
                                f"(make BATCH larger): {request.result().text[:300]}")
                open_writing = await pool.fetchval(
                    """SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'
                         AND xact_start IS NOT NULL AND backend_xid IS NOT NULL""", first.app_name)
                return int(open_writing) >= 1 and await _events_inserted(pool) >= KILL_AFTER

            try:
                await _until("the server's publishing transaction to be open and part-way through", part_way)
                await _kill(first)
                with pytest.raises(httpx.TransportError):  # the client got no answer: it cannot know the outcome
                    await request
            finally:
                request.cancel()
                await asyncio.gather(request, return_exceptions=True)
        await _until("PostgreSQL to end the killed server's sessions", lambda: _sessions_gone(pool, first))
        inserted = await _events_inserted(pool)  # final: the transaction's backend is gone
        assert KILL_AFTER <= inserted <= BATCH

        second = await _start(_env(database_url, data_dir, issuers, "crash-publish-second", w),
                              tmp_path / "second.log", servers)
        state = await _batch_state(pool, numbers)
        none = _with(0)
        every = _with(BATCH)
        assert state in (none, every), f"a partial batch after the crash: {state}"
        if inserted < BATCH:  # the transaction never got to its last event, so it cannot have committed
            assert state == none, state
        committed_before = state == every
        # the log verifies, and the replay (every logged event re-applied to a scratch database) explains every
        # row of every state table: nothing of a rolled-back batch, nor half of a committed one, is left behind
        audit = await _audit(database_url, data_dir, w, "--replay")
        assert f"log size {SETUP_ENTRIES + (BATCH if committed_before else 0)}," in audit, audit
        assert f"and {SETUP_ENTRIES} registrations re-applied" in audit and " 0 difference(s)" in audit, audit

        # the publisher, told nothing, sends the same batch again to the restarted registry: committed once
        async with httpx.AsyncClient(base_url=second.url, timeout=300) as api:
            again = await _publish(api, publisher, submissions)
            expected = "DUPLICATE" if committed_before else "ACCEPTED"
            assert again["committed"] and {r["status"] for r in again["results"]} == {expected}, again["results"][:3]
            assert (again["accepted"], again["duplicates"]) == ((0, BATCH) if committed_before else (BATCH, 0))
            if not committed_before:  # the rolled-back attempt left no hole in the log
                assert sorted(r["logIndex"] for r in again["results"]) == list(
                    range(SETUP_ENTRIES, SETUP_ENTRIES + BATCH))
            once_more = await _publish(api, publisher, submissions)
            assert once_more["committed"] and once_more["duplicates"] == BATCH and once_more["accepted"] == 0
        final = await _batch_state(pool, numbers)
        assert final == _with(BATCH), final
        audit = await _audit(database_url, data_dir, w)
        size = SETUP_ENTRIES + BATCH  # the setup's registrations, then the batch
        assert f"log size {size}, {size} leaves, {BATCH} events" in audit, audit
    finally:
        await _reap(servers)
