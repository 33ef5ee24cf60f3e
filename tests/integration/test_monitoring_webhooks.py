"""Webhooks from the transactional outbox: Standard Webhooks signatures checked by a real receiver,
retries with backoff, dead letters and replay, and no notice lost when a worker dies mid-delivery."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from registry.config import MonitoringConfig
from server import create_app
from store import outbox
from tests.integration.monitoring_support import (
    OTHER_AGENCY,
    TEST_CONFIG,
    Receiver,
    agency_token,
    attempt_rows,
    cert_status_changed,
    enroll,
    mworld,
    new_officer,
    outbox_rows,
    partner_token,
    receiving,
    register,
    serve,
    wait_for_state,
    worker,
)
from tests.support import World, record_published

__all__ = ["mworld"]

DELIVERY = """fragment D on WebhookDelivery { id webhookId endpointId eventType state attempts lastStatusCode
  lastError deliveredAt deadAt attemptLog { attempt statusCode error retryAt finishedAt } }"""


async def _public_key(w: World) -> str:
    resp = await w.http.get("/.well-known/webhook-key")
    assert resp.status_code == 200
    key: str = resp.json()["publicKey"]
    assert key == (await w.ok("{ webhookSigningKey { publicKey } }"))["webhookSigningKey"]["publicKey"]
    return key


async def _final_record_for(w: World, officer: str, source: str = "rec-1") -> None:
    await w.publish_ok("ca-post", record_published(source=source, subj={"registryId": officer}, status="FINAL",
                                                   attested=True))


async def test_deliveries_are_signed_per_standard_webhooks(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w, number="777001")
    austin, partner = agency_token(w), partner_token(w)
    await enroll(w, austin, officer)
    await enroll(w, partner, officer)
    key = await _public_key(w)
    ed_receiver, hmac_receiver = Receiver(public_key=key), Receiver(public_key=key)
    async with receiving(ed_receiver) as ed_url, receiving(hmac_receiver) as hmac_url:
        v1a = await register(w, austin, ed_url)
        assert v1a["secret"] is None and v1a["publicKey"] == key and v1a["endpoint"]["scheme"] == "V1A"
        v1 = await register(w, partner, hmac_url, scheme="V1")
        assert v1["secret"].startswith("whsec_")
        hmac_receiver.secret = v1["secret"]

        await _final_record_for(w, officer)
        await w.publish_ok("ca-post", cert_status_changed("cert-777001", "REVOKED"))
        assert await worker(w).drain() == 3

    assert [r.status for r in ed_receiver.requests] == [200, 200]
    assert all(r.v1a for r in ed_receiver.requests + hmac_receiver.requests)  # independent Ed25519 check
    [partner_req] = hmac_receiver.requests
    assert partner_req.v1 is True  # the standardwebhooks package (HMAC, v1)
    assert partner_req.headers["webhook-signature"].startswith("v1,")

    bodies = [json.loads(r.body) for r in ed_receiver.requests]
    assert [b["type"] for b in bodies] == ["record.visible", "certification.status_changed"]
    for req, body in zip(ed_receiver.requests, bodies, strict=True):
        assert body["data"]["noticeId"] == req.webhook_id and req.webhook_id.startswith("msg_")
        assert abs(int(req.headers["webhook-timestamp"]) - time.time()) < 60
        assert req.headers["content-type"] == "application/json"
    assert json.loads(partner_req.body)["data"]["certification"]["status"] == "REVOKED"

    # the checks really check: a changed body or another key fails
    tampered = partner_req.body.replace(b"REVOKED", b"ACTIVE!")
    assert not hmac_receiver.verify_v1(partner_req.headers, tampered)
    assert not hmac_receiver.verify_v1a(partner_req.headers, tampered)
    from monitoring.signing import WebhookSigner

    assert not Receiver(public_key=WebhookSigner.generate().public_string()).verify_v1a(
        partner_req.headers, partner_req.body)


async def test_failures_are_retried_with_backoff_and_recorded(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, officer)
    receiver = Receiver(plan=[500, 503, 200])
    async with receiving(receiver) as url:
        await register(w, austin, url)
        await _final_record_for(w, officer)
        task = asyncio.create_task(worker(w).run())
        try:
            await receiver.wait_for(3)
            await wait_for_state(w.pool, "DELIVERED")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    [row] = await outbox_rows(w.pool)
    assert row["state"] == "DELIVERED" and row["attempts"] == 3 and row["last_status"] == 200
    attempts = await attempt_rows(w.pool, row["id"])
    assert [a["status_code"] for a in attempts] == [500, 503, 200]
    assert {r.webhook_id for r in receiver.requests} == {row["webhook_id"]}  # one id on every attempt
    for n, failed in enumerate(attempts[:2], start=1):
        assert failed["retry_at"] is not None
        # full jitter: somewhere in [0, min(cap, base * 2**(n-1))] after the failure, never earlier
        delay = (failed["retry_at"] - failed["finished_at"]).total_seconds()
        assert -0.01 <= delay <= min(TEST_CONFIG.backoff_cap, TEST_CONFIG.backoff_base * 2 ** (n - 1)) + 0.05
        # the next attempt's start and the retry time are both the database's clock
        assert attempts[n]["started_at"] >= failed["retry_at"], "retried before its backoff ended"
    assert attempts[2]["retry_at"] is None
    assert len(receiver.processed) == 1


async def test_exhausted_attempts_become_dead_letters_that_can_be_replayed(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w)
    austin, seattle = agency_token(w), agency_token(w, OTHER_AGENCY)
    await enroll(w, austin, officer)
    config = replace(TEST_CONFIG, max_attempts=2, backoff_base=0.0, backoff_cap=0.0)
    receiver = Receiver(plan=[500, (429, {"retry-after": "0"})])
    async with receiving(receiver) as url:
        await register(w, austin, url)
        await _final_record_for(w, officer)
        assert await worker(w, config).drain() == 2

        dead = await w.ok(DELIVERY + "{ deadLetters { totalCount edges { node { ...D } } } }", token=austin)
        [letter] = [e["node"] for e in dead["deadLetters"]["edges"]]
        assert letter["state"] == "DEAD" and letter["attempts"] == 2 and letter["lastStatusCode"] == 429
        assert [a["statusCode"] for a in letter["attemptLog"]] == [500, 429]
        assert (await w.ok("{ deadLetters { totalCount } }", token=seattle))["deadLetters"]["totalCount"] == 0
        stranger = await w.gql("mutation($id: ID!) { replayDeadLetter(id: $id) { state } }", {"id": letter["id"]},
                               token=seattle)
        assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"

        replayed = await w.ok(DELIVERY + "mutation($id: ID!) { replayDeadLetter(id: $id) { ...D } }",
                              {"id": letter["id"]}, token=austin)
        assert replayed["replayDeadLetter"]["state"] == "PENDING"
        assert await worker(w, config).drain() == 1
        again = await w.gql("mutation($id: ID!) { replayDeadLetter(id: $id) { state } }", {"id": letter["id"]},
                            token=austin)
        assert again["errors"][0]["extensions"]["code"] == "CONFLICT"  # delivered: nothing to replay

    done = await w.ok(DELIVERY + "query($id: ID!) { webhookDelivery(id: $id) { ...D } }", {"id": letter["id"]},
                      token=austin)
    assert done["webhookDelivery"]["state"] == "DELIVERED" and done["webhookDelivery"]["attempts"] == 3
    assert [r.webhook_id for r in receiver.requests] == [letter["webhookId"]] * 3  # same id after the replay
    assert list(receiver.processed) == [letter["webhookId"]]


async def test_worker_killed_mid_request_loses_nothing(mworld: World) -> None:
    """A worker claims the row and is cancelled while the receiver hangs (a server restart): a new
    worker delivers it, with the same webhook-id, and the receiver processes it exactly once."""
    w = mworld
    officer = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, officer)
    receiver = Receiver(plan=["hang", 200])
    async with receiving(receiver) as url:
        await register(w, austin, url)
        await _final_record_for(w, officer)
        first = asyncio.create_task(worker(w, name="first").run())
        await receiver.wait_for(1)
        [claimed] = await outbox_rows(w.pool)
        assert claimed["state"] == "PENDING" and claimed["attempts"] == 1 and claimed["claim_token"] is not None
        first.cancel()  # the process stops mid-request
        await asyncio.gather(first, return_exceptions=True)

        [handed_back] = await outbox_rows(w.pool)
        assert handed_back["state"] == "PENDING" and handed_back["claim_token"] is None
        assert handed_back["next_attempt_at"] <= datetime.now(UTC)  # due again at once

        assert await worker(w, name="second").drain() == 1  # "after the restart"
        receiver.release.set()

    [row] = await outbox_rows(w.pool)
    assert row["state"] == "DELIVERED" and row["attempts"] == 2
    attempts = await attempt_rows(w.pool, row["id"])
    assert [(a["worker"], a["status_code"]) for a in attempts] == [("first", None), ("second", 200)]
    assert "stopped mid-request" in attempts[0]["error"]
    assert [r.webhook_id for r in receiver.requests] == [row["webhook_id"]] * 2
    assert [r.status for r in receiver.requests] == [None, 200]  # exactly one successful delivery
    assert list(receiver.processed) == [row["webhook_id"]]


async def test_worker_that_dies_without_handing_back_is_covered_by_its_lease(mworld: World) -> None:
    """A worker that claimed a row and vanished (killed, no clean-up): the row waits out the lease,
    then another worker delivers it."""
    w = mworld
    officer = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, officer)
    config = replace(TEST_CONFIG, timeout=0.5, lease_seconds=1.0)
    receiver = Receiver()
    async with receiving(receiver) as url:
        await register(w, austin, url)
        await _final_record_for(w, officer)
        async with w.pool.acquire() as conn:
            [lost] = await outbox.claim(conn, worker="vanished", token="t0", limit=10,
                                        lease_seconds=config.lease_seconds)
        assert await worker(w, config).drain() == 0  # leased: nobody else takes it
        task = asyncio.create_task(worker(w, config, name="survivor").run())
        try:
            await receiver.wait_for(1, within=10)
            await wait_for_state(w.pool, "DELIVERED")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    [row] = await outbox_rows(w.pool)
    assert row["state"] == "DELIVERED" and row["webhook_id"] == lost.webhook_id
    attempts = await attempt_rows(w.pool, row["id"])
    assert [(a["worker"], a["finished_at"] is None) for a in attempts] == [("vanished", True), ("survivor", False)]
    # Both times are the database's own now() at each claim (store/outbox.py claim): no client clock, no margin.
    assert attempts[1]["started_at"] >= attempts[0]["started_at"] + timedelta(seconds=config.lease_seconds)


async def test_concurrent_workers_never_send_a_delivery_twice(mworld: World) -> None:
    w = mworld
    austin = agency_token(w)
    receiver = Receiver()
    async with receiving(receiver) as url:
        endpoint = (await register(w, austin, url))["endpoint"]["id"]
        for _ in range(30):
            await w.ok("mutation($e: ID!) { sendTestWebhook(endpointId: $e) { state } }", {"e": endpoint},
                       token=austin)
        config = replace(TEST_CONFIG, batch_size=4)
        counts = await asyncio.gather(*(worker(w, config, name=f"w{i}").drain() for i in range(3)))
    assert sum(counts) == 30
    ids = [r.webhook_id for r in receiver.requests]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert all(json.loads(r.body)["type"] == "webhook.test" for r in receiver.requests)


async def test_timeouts_fail_the_attempt_and_410_disables_the_endpoint(mworld: World) -> None:
    w = mworld
    austin = agency_token(w)
    config = replace(TEST_CONFIG, timeout=0.3, lease_seconds=1.0, backoff_base=0.0, backoff_cap=0.0)
    receiver = Receiver(plan=["hang", 410])
    async with receiving(receiver) as url:
        endpoint = (await register(w, austin, url))["endpoint"]["id"]
        await w.ok("mutation($e: ID!) { sendTestWebhook(endpointId: $e) { state } }", {"e": endpoint}, token=austin)
        await w.ok("mutation($e: ID!) { sendTestWebhook(endpointId: $e) { state } }", {"e": endpoint}, token=austin)
        assert await worker(w, config).drain() >= 2
        receiver.release.set()
    rows = await outbox_rows(w.pool)
    assert {r["state"] for r in rows} <= {"DEAD", "CANCELLED"}
    errors = " | ".join(str(r["last_error"]) for r in rows)
    assert "410" in errors
    endpoints = await w.ok("{ webhookEndpoints { id disabledAt disabledReason } }", token=austin)
    [ep] = endpoints["webhookEndpoints"]
    assert ep["disabledAt"] is not None and "410" in ep["disabledReason"]
    timed_out = [a for r in rows for a in await attempt_rows(w.pool, r["id"]) if a["error"]
                 and "timed out" in a["error"]]
    assert timed_out


async def test_endpoint_urls_are_checked(mworld: World) -> None:
    w = World(mworld.pool, mworld.settings.data_dir / "strict", monitoring=MonitoringConfig())  # production rules
    austin = agency_token(w)
    cases = {
        "http://example.com/hook": "https",
        "https://127.0.0.1/hook": "public",
        "https://10.1.2.3/hook": "public",
        "https://[::1]/hook": "public",
        "https://169.254.169.254/latest/meta-data": "public",
        "https://user:pw@203.0.113.9/hook": "credentials",
        "ftp://203.0.113.9/": "https",
    }
    for url, why in cases.items():
        body = await w.gql("mutation($i: WebhookEndpointInput!) { registerWebhookEndpoint(input: $i) { secret } }",
                           {"i": {"url": url}}, token=austin)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", url
        assert why in body["errors"][0]["message"], (url, body["errors"][0]["message"])
    ok = await w.ok("mutation($i: WebhookEndpointInput!) { registerWebhookEndpoint(input: $i) { endpoint { url } } }",
                    {"i": {"url": "https://8.8.8.8/registry-hook"}}, token=austin)
    assert ok["registerWebhookEndpoint"]["endpoint"]["url"] == "https://8.8.8.8/registry-hook"
    removed = await w.ok("mutation($id: ID!) { removeWebhookEndpoint(id: $id) { disabledAt } }",
                         {"id": (await w.ok("{ webhookEndpoints { id } }", token=austin))["webhookEndpoints"][0]["id"]},
                         token=austin)
    assert removed["removeWebhookEndpoint"]["disabledAt"] is not None
    others = await w.ok("{ webhookEndpoints { id } }", token=agency_token(w, "WA0170000"))
    assert others["webhookEndpoints"] == []  # an endpoint belongs to the agency its token is bound to


async def test_the_server_runs_the_delivery_worker(mworld: World) -> None:
    """`registry serve` delivers without a separate worker: the app's lifespan starts one."""
    w = mworld
    app = create_app(replace(w.settings, monitoring=replace(TEST_CONFIG, worker=True)), pool=w.pool,
                     services=w.services)
    austin = agency_token(w)
    receiver = Receiver(public_key=w.services.webhook_signer.public_string())
    async with receiving(receiver) as url, serve(app, lifespan="on"):
        endpoint = (await register(w, austin, url))["endpoint"]["id"]
        await w.ok("mutation($e: ID!) { sendTestWebhook(endpointId: $e) { state } }", {"e": endpoint}, token=austin)
        await receiver.wait_for(1)
        await wait_for_state(w.pool, "DELIVERED")
    assert receiver.requests[0].v1a is True
