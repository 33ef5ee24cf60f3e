"""The notices subscription over graphql-transport-ws: a real websocket client against the registry
served by uvicorn, authenticated at connection_init, each subscriber getting only its own notices."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from monitoring import live
from resolvers.pagination import encode_cursor
from tests.integration.monitoring_support import (
    OTHER_AGENCY,
    agency_token,
    enroll,
    mworld,
    new_officer,
    partner_token,
    serve,
)
from tests.support import World, record_published, status_changed

__all__ = ["mworld"]

PROTOCOL = "graphql-transport-ws"
SUBSCRIPTION = """subscription($after: String) { monitoringNotices(after: $after) {
  id cursor type officerId data } }"""
FROM_START = encode_cursor("0")


@contextlib.asynccontextmanager
async def registry_url(w: World) -> AsyncIterator[str]:
    async with serve(w.app) as base:
        yield base.replace("http://", "ws://") + "/graphql"


@contextlib.asynccontextmanager
async def session(url: str, token: str | None, headers: dict[str, str] | None = None
                  ) -> AsyncIterator[ClientConnection]:
    async with connect(url, subprotocols=[PROTOCOL], additional_headers=headers or {}) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == PROTOCOL
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        yield ws


async def ack(ws: ClientConnection) -> None:
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}


async def subscribe(ws: ClientConnection, op: str = "1", after: str | None = FROM_START) -> None:
    await ws.send(json.dumps({"id": op, "type": "subscribe",
                              "payload": {"query": SUBSCRIPTION, "variables": {"after": after}}}))


async def next_message(ws: ClientConnection, within: float = 5.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), within))
    return message


async def nothing_within(ws: ClientConnection, seconds: float) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


async def test_each_subscriber_receives_only_its_own_notices(mworld: World) -> None:
    w = mworld
    alice, bob = await new_officer(w, "200001", "Alice", "Smith"), await new_officer(w, "200002", "Bob", "Jones")
    austin, seattle = agency_token(w), agency_token(w, OTHER_AGENCY)
    await enroll(w, austin, alice)
    await enroll(w, seattle, bob)
    async with registry_url(w) as url, session(url, austin) as a, session(url, seattle) as s:
        await ack(a)
        await ack(s)
        await subscribe(a)
        await subscribe(s)
        await w.publish_ok("ca-post", record_published(source="a-1", subj={"registryId": alice}))  # NOTICE_PENDING
        assert await nothing_within(a, 0.8)  # not visible to a hiring agency: no notice
        await w.publish_ok("ca-post", status_changed(source="a-1", status="FINAL", attested=True))

        got = await next_message(a)
        assert got["type"] == "next" and got["id"] == "1"
        notice = got["payload"]["data"]["monitoringNotices"]
        assert notice["type"] == "record.visible" and notice["officerId"] == alice
        assert notice["data"]["record"]["status"] == "FINAL"
        assert notice["data"]["noticeId"] == notice["id"]
        assert await nothing_within(s, 0.5)  # Seattle monitors Bob, not Alice

        await w.publish_ok("ca-post", record_published(source="b-1", subj={"registryId": bob}, status="FINAL",
                                                       attested=True))
        other = (await next_message(s))["payload"]["data"]["monitoringNotices"]
        assert other["officerId"] == bob
        assert await nothing_within(a, 0.5)

        # a client that reconnects passes its last cursor and gets only what came after it
        await w.publish_ok("ca-post", status_changed(source="a-1", status="OVERTURNED"))
        await a.send(json.dumps({"id": "1", "type": "complete"}))
        await subscribe(a, "2", after=notice["cursor"])
        resumed = (await next_message(a))["payload"]["data"]["monitoringNotices"]
        assert resumed["type"] == "record.withdrawn"

    # when the last subscriber leaves, the listening connection goes back to the pool
    hub = live.hub_for(w.pool)
    for _ in range(100):
        if not hub.waiters and hub._conn is None:
            break
        await asyncio.sleep(0.05)
    assert not hub.waiters and hub._conn is None


async def test_subscription_without_after_starts_from_now(mworld: World) -> None:
    w = mworld
    alice = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, alice)
    await w.publish_ok("ca-post", record_published(source="old", subj={"registryId": alice}, status="FINAL",
                                                   attested=True))
    async with registry_url(w) as url, session(url, austin) as a:
        await ack(a)
        await subscribe(a, after=None)
        assert await nothing_within(a, 0.8)  # the earlier notice is history (query monitoringNotices for it)
        await w.publish_ok("ca-post", record_published(source="new", subj={"registryId": alice}, status="FINAL",
                                                       attested=True))
        notice = (await next_message(a))["payload"]["data"]["monitoringNotices"]
        assert notice["type"] == "record.visible"


async def test_partner_subscription_sees_status_only(mworld: World) -> None:
    w = mworld
    alice = await new_officer(w, "300001")
    partner = partner_token(w)
    await enroll(w, partner, alice)
    async with registry_url(w) as url, session(url, partner) as p:
        await ack(p)
        await subscribe(p)
        await w.publish_ok("ca-post", record_published(source="r", subj={"registryId": alice}, status="FINAL",
                                                       attested=True))
        assert await nothing_within(p, 0.8)  # records are never a partner's to see
        from tests.integration.monitoring_support import cert_status_changed

        await w.publish_ok("ca-post", cert_status_changed("cert-300001", "EXPIRED"))
        notice = (await next_message(p))["payload"]["data"]["monitoringNotices"]
        assert notice["data"]["certification"]["status"] == "EXPIRED" and notice["data"]["officer"] is None


async def test_connections_must_authenticate(mworld: World) -> None:
    w = mworld
    async with registry_url(w) as url:
        # no token anywhere: connection_init is refused and the socket closed
        async with session(url, None) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(ws)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        # a bad token in connection_init
        async with session(url, "not.a.token") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(ws)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        # a bad Authorization header on the upgrade request: refused before the upgrade
        with pytest.raises(InvalidStatus) as refused:
            async with session(url, None, headers={"Authorization": "Bearer nope"}):
                pass
        assert refused.value.response.status_code == 401
        # a good header on the upgrade is enough
        async with session(url, None, headers={"Authorization": f"Bearer {agency_token(w)}"}) as ws:
            await ack(ws)
        # subscribing before connection_init is acknowledged is refused by the protocol
        async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
            await subscribe(ws)
            with pytest.raises(ConnectionClosed) as closed:
                await next_message(ws)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_roles_that_do_not_monitor_cannot_subscribe(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w)
    async with registry_url(w) as url:
        for role, bindings in (("officer", {"officer_id": officer}), ("auditor", {}),
                               ("publisher", {"publisher_id": "ca-post"})):
            async with session(url, w.token(role, **bindings)) as ws:
                await ack(ws)
                await subscribe(ws)
                message = await next_message(ws)
                assert message["type"] in ("error", "next"), message
                errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
                assert errors[0]["extensions"]["code"] == "FORBIDDEN", (role, message)
