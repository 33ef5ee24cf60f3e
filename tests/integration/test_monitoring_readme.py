"""The README's monitoring section, run as a partner engineer would: its roster example on the demo data,
and its two signature checks (standardwebhooks and plain Ed25519) against a real delivery."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import asyncpg
import pytest

import demo
from tests.integration.monitoring_support import TEST_CONFIG, Receiver, receiving, truncate_monitoring, worker
from tests.support import World, load_demo

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## For partner engineers: continuous monitoring and webhooks")
    end = text.index("\n## ", start + 10)
    return text[start:end]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", _section(), flags=re.S)


@pytest.fixture
async def demo_world(pool: asyncpg.Pool, clean: None, database_url: str, tmp_path: Path) -> World:
    await truncate_monitoring(pool)
    await load_demo(database_url, pool, tmp_path)
    return World(pool, tmp_path, monitoring=TEST_CONFIG)  # the demo's data directory: its admin key


async def test_readme_roster_example_on_the_demo(demo_world: World) -> None:
    w = demo_world
    [csv] = _blocks("csv")
    token = w.token("hiring_agency", **demo.DEMO_ROLES["hiring_agency"])
    data = await w.ok("mutation($csv: String!) { enrollRoster(csv: $csv) { rows { line status officerId reason } } }",
                      {"csv": csv}, token=token)
    rows = data["enrollRoster"]["rows"]
    assert [(r["line"], r["status"], r["officerId"]) for r in rows] == [
        (2, "ENROLLED", demo.DEMO_OFFICER_ID), (3, "ALREADY_ENROLLED", demo.DEMO_OFFICER_ID)], rows


async def test_readme_signature_checks_accept_a_real_delivery(demo_world: World) -> None:
    w = demo_world
    token = w.token("partner", **demo.DEMO_ROLES["partner"])
    key = (await w.http.get("/.well-known/webhook-key")).json()["publicKey"]
    receiver = Receiver()
    async with receiving(receiver) as url:
        reg = await w.ok("mutation($u: String!) { registerWebhookEndpoint(input: {url: $u, scheme: V1}) { "
                         "endpoint { id } secret } }", {"u": url}, token=token)
        endpoint, secret = reg["registerWebhookEndpoint"]["endpoint"]["id"], reg["registerWebhookEndpoint"]["secret"]
        await w.ok("mutation($e: ID!) { sendTestWebhook(endpointId: $e) { state } }", {"e": endpoint}, token=token)
        assert await worker(w).drain() == 1
    [req] = receiver.requests

    python = _blocks("python")
    hmac_snippet = next(b for b in python if "standardwebhooks" in b)
    ed_snippet = next(b for b in python if "def verify(" in b)
    scope: dict[str, Any] = {"WHSEC": secret, "raw_body": req.body, "request_headers": req.headers}
    exec(hmac_snippet, scope)  # the README's own code
    assert scope["payload"]["type"] == "webhook.test"

    scope = {"WHPK": key}
    exec(ed_snippet, scope)
    scope["verify"](req.headers, req.body)  # raises if the signature does not verify
    from cryptography.exceptions import InvalidSignature

    with pytest.raises(InvalidSignature):
        scope["verify"](req.headers, req.body + b" ")
