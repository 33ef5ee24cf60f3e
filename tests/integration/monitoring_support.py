"""Helpers for the monitoring tests: a real HTTP webhook receiver (uvicorn on 127.0.0.1) that verifies
Standard Webhooks signatures, a registry world whose webhook settings suit tests, and GraphQL snippets."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import asyncpg
import pytest
import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from monitoring.delivery import Worker
from registry.config import MonitoringConfig
from tests.conftest import empty_tables
from tests.support import World, cert_issued, subject

AGENCY = "TX2270000"        # Austin PD, as a hiring agency
OTHER_AGENCY = "WA0170000"  # Seattle PD, another hiring agency
PARTNER = "acme-hr"

TEST_CONFIG = MonitoringConfig(
    worker=False, allow_http=True, allow_private_targets=True, timeout=2.0, max_attempts=4,
    backoff_base=0.2, backoff_cap=1.0, lease_seconds=3.0, poll_seconds=0.05, subscription_poll_seconds=0.5,
)


@dataclass
class Received:
    at: float                 # wall clock (time.time())
    headers: dict[str, str]
    body: bytes
    status: int | None = None  # what the receiver answered (None: still hanging / cut off)
    v1: bool | None = None     # HMAC verified with the standardwebhooks package (None: no secret known)
    v1a: bool | None = None    # Ed25519 verified independently (None: no public key known)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """A webhook consumer as a partner would write one: verify, dedup by webhook-id, answer 2xx."""

    public_key: str | None = None       # whpk_... (fetched from /.well-known/webhook-key)
    secret: str | None = None           # whsec_... (from registerWebhookEndpoint, v1)
    plan: list[Any] = field(default_factory=list)  # per request: a status code, "hang", or (status, headers)
    requests: list[Received] = field(default_factory=list)
    processed: dict[str, Any] = field(default_factory=dict)  # webhook-id -> body, once
    release: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def verify_v1a(self, headers: dict[str, str], body: bytes) -> bool:
        """Independent Ed25519 check: the public key, and `id.timestamp.body` -- nothing else. As Standard Webhooks
        says (and its libraries do for v1), valid if any of the listed signatures is: during a key rotation the
        header carries one per key, and a receiver holds one of them."""
        assert self.public_key and self.public_key.startswith("whpk_")
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.public_key[len("whpk_"):]))
        content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        for sig in headers["webhook-signature"].split(" "):
            version, _, value = sig.partition(",")
            if version != "v1a":
                continue
            try:
                key.verify(base64.b64decode(value), content)
                return True
            except InvalidSignature:
                continue
        return False

    def verify_v1(self, headers: dict[str, str], body: bytes) -> bool:
        assert self.secret
        try:
            Webhook(self.secret).verify(body, headers)
            return True
        except WebhookVerificationError:
            return False

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        rec = Received(time.time(), headers, body)
        rec.v1a = self.verify_v1a(headers, body) if self.public_key else None
        rec.v1 = self.verify_v1(headers, body) if self.secret else None
        self.requests.append(rec)
        self.arrived.set()
        action = self.plan.pop(0) if self.plan else 200
        if action == "hang":
            await self.release.wait()
            return Response(status_code=503)
        status, extra = action if isinstance(action, tuple) else (action, {})
        if 200 <= status < 300 and rec.webhook_id not in self.processed:  # idempotent by webhook-id
            import json

            self.processed[rec.webhook_id] = json.loads(body)
        rec.status = status
        return Response(status_code=status, headers=extra)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def wait_for(self, count: int, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver got {len(self.requests)} requests, expected {count}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), 0.1)


@contextlib.asynccontextmanager
async def serve(app: Any, lifespan: Literal["on", "off"] = "off", port: int = 0) -> AsyncIterator[str]:
    """Run an ASGI app on uvicorn at 127.0.0.1 (``port``, or a free one) in this event loop; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan,
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]  # pytest's signals
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[str]:
    async with serve(receiver.app()) as base:
        try:
            yield f"{base}/hook"
        finally:
            receiver.release.set()


async def truncate_monitoring(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await empty_tables(conn, ("webhook_attempts", "webhook_outbox", "monitoring_notices", "monitoring_enrollments",
                                  "webhook_endpoints"))


@pytest.fixture
async def mworld(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    await truncate_monitoring(pool)
    w = World(pool, tmp_path, monitoring=TEST_CONFIG)
    await w.setup()
    return w


def worker(world: World, config: MonitoringConfig = TEST_CONFIG, name: str | None = None) -> Worker:
    return Worker(world.pool, world.services.webhook_signer, config, name=name)


def agency_token(world: World, ori: str = AGENCY) -> str:
    return world.token("hiring_agency", agency_ori=ori)


def partner_token(world: World, partner: str = PARTNER) -> str:
    return world.token("partner", partner_id=partner)


async def new_officer(world: World, number: str = "100001", given: str = "John", family: str = "Doe",
                      dob: str = "1985-04-12") -> str:
    rows = await world.publish_ok("ca-post", cert_issued(number=number, subj=subject(given, family, dob)))
    officer_id: str = rows[0]["officerId"]
    return officer_id


async def enroll(world: World, token: str, officer_id: str) -> dict[str, Any]:
    data = await world.ok("mutation($o: ID!) { enrollOfficer(officerId: $o) { id officerId } }", {"o": officer_id},
                          token=token)
    result: dict[str, Any] = data["enrollOfficer"]
    return result


async def register(world: World, token: str, url: str, scheme: str = "V1A") -> dict[str, Any]:
    data = await world.ok(
        """mutation($i: WebhookEndpointInput!) { registerWebhookEndpoint(input: $i) {
             endpoint { id url scheme } secret publicKey } }""",
        {"i": {"url": url, "scheme": scheme}}, token=token)
    result: dict[str, Any] = data["registerWebhookEndpoint"]
    return result


async def notices(world: World, token: str) -> list[dict[str, Any]]:
    data = await world.ok("{ monitoringNotices(first: 100) { edges { node { id cursor type officerId enrollmentId "
                          "data } } } }", token=token)
    return [e["node"] for e in data["monitoringNotices"]["edges"]]


def cert_status_changed(source: str, status: str, publisher: str = "ca-post", reason: str | None = None
                        ) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "type": "certification.status_changed", "publisher": publisher, "eventId": secrets.token_hex(6),
        "issuedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "certificationSourceId": source, "status": status,
    }
    if reason:
        ev["reason"] = reason
    return ev


async def outbox_rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch("SELECT * FROM webhook_outbox ORDER BY id")
    return rows


async def wait_for_state(pool: asyncpg.Pool, state: str, within: float = 10.0) -> None:
    """Until every outbox row is in ``state``."""
    deadline = time.monotonic() + within
    while True:
        rows = await outbox_rows(pool)
        if rows and all(r["state"] == state for r in rows):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"outbox rows are {[r['state'] for r in rows]}, expected all {state}")
        await asyncio.sleep(0.05)


async def attempt_rows(pool: asyncpg.Pool, outbox_id: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT * FROM webhook_attempts WHERE outbox_id = $1 ORDER BY attempt", outbox_id)
    return rows
