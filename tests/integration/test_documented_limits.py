"""Limits the README and docs promise, each tried for real: the introspection setting in its three modes (with
parsing and validation cached by document), the webhook endpoint cap per enrollee, a webhook URL checked
again before every attempt, and a publisher key's ``validFrom`` at publish time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.integration.monitoring_support import (
    TEST_CONFIG,
    Receiver,
    agency_token,
    attempt_rows,
    cert_status_changed,
    enroll,
    new_officer,
    outbox_rows,
    receiving,
    register,
    truncate_monitoring,
    worker,
)
from tests.support import World, cert_issued

INTROSPECT = "{ __schema { queryType { name } } }"


async def _introspects(world: World, role: str | None) -> bool:
    bindings: dict[str, Any] = {"agency_ori": "CA0010000"} if role == "hiring_agency" else {}
    body = await (world.gql(INTROSPECT, as_=role, **bindings) if role else world.gql(INTROSPECT))
    if body.get("errors"):
        assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}, body
        return False
    return bool(body["data"]["__schema"]["queryType"]["name"] == "Query")


@pytest.mark.parametrize(("mode", "anonymous", "authenticated"),
                         [("public", True, True), ("authenticated", False, True), ("off", False, False)])
async def test_introspection_follows_REGISTRY_INTROSPECTION(pool: asyncpg.Pool, clean: None, tmp_path: Path,
                                                            mode: str, anonymous: bool, authenticated: bool) -> None:
    world = World(pool, tmp_path, introspection=mode)
    for _ in range(2):  # the second time from the document caches: the same answers
        assert await _introspects(world, None) is anonymous
        assert await _introspects(world, "auditor") is authenticated
        assert await _introspects(world, "hiring_agency") is authenticated


async def test_an_enrollee_has_at_most_max_endpoints_active(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> None:
    await truncate_monitoring(pool)
    world = World(pool, tmp_path, monitoring=dataclasses.replace(TEST_CONFIG, max_endpoints=2))
    await world.setup()
    token = agency_token(world)
    first = await register(world, token, "https://8.8.8.8/hook-1")
    await register(world, token, "https://8.8.8.8/hook-2")
    refused = await world.gql("mutation($i: WebhookEndpointInput!) { registerWebhookEndpoint(input: $i) { secret } }",
                              {"i": {"url": "https://8.8.8.8/hook-3"}}, token=token)
    assert refused["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert "2 active endpoints, the most allowed" in refused["errors"][0]["message"]
    # the cap is per enrollee: another agency is not affected
    other = await register(world, agency_token(world, "CA0010000"), "https://8.8.8.8/hook-3")
    assert other["endpoint"]["url"] == "https://8.8.8.8/hook-3"
    # and a removed endpoint frees its place
    removed = await world.ok("mutation($id: ID!) { removeWebhookEndpoint(id: $id) { id disabledAt } }",
                             {"id": first["endpoint"]["id"]}, token=token)
    assert removed["removeWebhookEndpoint"]["disabledAt"] is not None, removed
    again = await register(world, token, "https://8.8.8.8/hook-3")
    assert again["endpoint"]["url"] == "https://8.8.8.8/hook-3"


async def test_an_event_signed_before_its_key_was_valid_is_refused(world: World) -> None:
    await world.add_key("ca-post", valid_from=datetime.now(UTC) + timedelta(days=1))
    early = await world.publish("ca-post", cert_issued(number="700001"))
    assert not early["committed"]
    assert early["results"][0]["code"] == "KEY_NOT_YET_VALID", early
    await world.add_key("ca-post", valid_from=datetime.now(UTC) - timedelta(minutes=5))
    assert (await world.publish_ok("ca-post", cert_issued(number="700001")))[0]["status"] == "ACCEPTED"


async def test_a_webhook_url_is_checked_again_before_every_attempt(pool: asyncpg.Pool, clean: None,
                                                                    tmp_path: Path) -> None:
    """An endpoint accepted at registration is not trusted for ever: its host may later resolve to a private
    address (DNS rebinding) or the operator may tighten the rules. The worker checks before each attempt."""
    await truncate_monitoring(pool)
    w = World(pool, tmp_path, monitoring=TEST_CONFIG)  # loopback allowed: the receiver runs on 127.0.0.1
    await w.setup()
    officer = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, officer)
    receiver = Receiver()
    async with receiving(receiver) as url:
        await register(w, austin, url)
        await w.publish_ok("ca-post", cert_status_changed("cert-100001", "INACTIVE"))
        strict = dataclasses.replace(TEST_CONFIG, allow_private_targets=False)  # 127.0.0.1 is no longer allowed
        assert await worker(w, strict).run_once() == 1
        [row] = await outbox_rows(pool)
        [attempt] = await attempt_rows(pool, row["id"])
        assert receiver.requests == []  # nothing left the registry
        assert attempt["error"].startswith("refused target: the host 127.0.0.1 is not a public internet address")
        assert row["state"] == "PENDING" and attempt["retry_at"] is not None  # retried, checked again then
