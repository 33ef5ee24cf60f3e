"""The notices subscription over graphql-transport-ws: a real websocket client against the registry
served by uvicorn, authenticated at connection_init, each subscriber getting only its own notices."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from monitoring import live
from resolvers.pagination import encode_cursor
from store import monitoring as notice_store
from tests.integration.monitoring_support import (
    AGENCY,
    OTHER_AGENCY,
    PARTNER,
    agency_token,
    cert_status_changed,
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


async def next_notice(ws: ClientConnection, op: str = "1") -> dict[str, Any]:
    got = await next_message(ws)
    assert got["type"] == "next" and got["id"] == op and not got["payload"].get("errors"), got
    notice: dict[str, Any] = got["payload"]["data"]["monitoringNotices"]
    return notice


async def newest_cursor(pool: asyncpg.Pool, owner_kind: str, owner_id: str) -> str:
    """The cursor of the enrollee's newest notice, as PostgreSQL holds it now."""
    newest = await pool.fetchval("SELECT max(id) FROM monitoring_notices WHERE owner_kind = $1 AND owner_id = $2",
                                 owner_kind, owner_id)
    assert newest is not None, f"no notice at all for {owner_kind}:{owner_id}"
    return encode_cursor(str(newest))


async def next_notice_is_newest(ws: ClientConnection, pool: asyncpg.Pool, owner_kind: str, owner_id: str,
                                op: str = "1") -> dict[str, Any]:
    """The next notice ``ws`` receives is the enrollee's newest in the database: the sentinel just published.

    "Nothing arrived before the sentinel" by order, not by waiting: notice ids follow commit order (the
    notice-writing transactions serialize on store.monitoring.NOTICE_LOCK, taken in monitoring.hooks._write), and
    a subscription yields an enrollee's notices by ascending id (monitoring.live.NoticeHub.stream reads
    store.monitoring.notices_after ... ORDER BY id, resuming after the last one it yielded). So a notice that
    should not exist, written before the sentinel, would be the next message instead, and fail this.
    """
    notice = await next_notice(ws, op)
    assert notice["cursor"] == await newest_cursor(pool, owner_kind, owner_id), notice
    return notice


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
        # Each "no notice" below is shown by a sentinel that must reach the same subscriber: its next notice is
        # the sentinel's, the newest in the database (next_notice_is_newest), so none was written before it.
        await w.publish_ok("ca-post", record_published(source="a-1", subj={"registryId": alice}))  # NOTICE_PENDING
        # not visible to a hiring agency: no notice; the sentinel is the record becoming FINAL
        await w.publish_ok("ca-post", status_changed(source="a-1", status="FINAL", attested=True))
        notice = await next_notice_is_newest(a, w.pool, "AGENCY", AGENCY)
        assert notice["type"] == "record.visible" and notice["officerId"] == alice
        assert notice["data"]["record"]["status"] == "FINAL"
        assert notice["data"]["noticeId"] == notice["id"]

        # Seattle monitors Bob, not Alice: its first notice is Bob's record
        await w.publish_ok("ca-post", record_published(source="b-1", subj={"registryId": bob}, status="FINAL",
                                                       attested=True))
        other = await next_notice_is_newest(s, w.pool, "AGENCY", OTHER_AGENCY)
        assert other["officerId"] == bob

        # and Austin heard nothing of Bob: its next notice is Alice's record being overturned
        await w.publish_ok("ca-post", status_changed(source="a-1", status="OVERTURNED"))
        withdrawn = await next_notice_is_newest(a, w.pool, "AGENCY", AGENCY)
        assert withdrawn["type"] == "record.withdrawn" and withdrawn["officerId"] == alice

        # a client that reconnects passes its last cursor and gets only what came after it
        await a.send(json.dumps({"id": "1", "type": "complete"}))
        await subscribe(a, "2", after=notice["cursor"])
        resumed = await next_notice_is_newest(a, w.pool, "AGENCY", AGENCY, op="2")
        assert resumed["id"] == withdrawn["id"]  # not the record.visible notice the cursor named

    # when the last subscriber leaves, the listening connection goes back to the pool
    hub = live.hub_for(w.pool)
    for _ in range(100):
        if not hub.waiters and hub._conn is None:
            break
        await asyncio.sleep(0.05)
    assert not hub.waiters and hub._conn is None


async def test_subscription_without_after_starts_from_now(mworld: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = mworld
    alice = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, alice)
    await w.publish_ok("ca-post", record_published(source="old", subj={"registryId": alice}, status="FINAL",
                                                   attested=True))
    # "now" is the enrollee's newest notice id when the stream starts (monitoring.live.NoticeHub.stream asks
    # store.monitoring.last_notice_id); seeing that read return tells when a later publish is "after now".
    started = asyncio.Event()
    last_notice_id = notice_store.last_notice_id

    async def observed(conn: Any, owner_kind: str, owner_id: str) -> int:
        newest = await last_notice_id(conn, owner_kind, owner_id)
        started.set()
        return newest

    monkeypatch.setattr(notice_store, "last_notice_id", observed)
    async with registry_url(w) as url, session(url, austin) as a:
        await ack(a)
        await subscribe(a, after=None)
        await asyncio.wait_for(started.wait(), 10)
        # the earlier notice is history (query monitoringNotices for it): the first notice is the one written now
        await w.publish_ok("ca-post", record_published(source="new", subj={"registryId": alice}, status="FINAL",
                                                       attested=True))
        notice = await next_notice_is_newest(a, w.pool, "AGENCY", AGENCY)
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
        # records are never a partner's to see: its first notice is the sentinel, the certification expiring
        await w.publish_ok("ca-post", cert_status_changed("cert-300001", "EXPIRED"))
        notice = await next_notice_is_newest(p, w.pool, "PARTNER", PARTNER)
        assert notice["type"] == "certification.status_changed"
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
        for role, bindings in (("officer", {"officer_id": officer}), ("auditor", {})):
            async with session(url, w.token(role, **bindings)) as ws:
                await ack(ws)
                await subscribe(ws)
                message = await next_message(ws)
                assert message["type"] in ("error", "next"), message
                errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
                assert errors[0]["extensions"]["code"] == "FORBIDDEN", (role, message)
        # a publisher enrolls nobody, but hears of disputes filed on its own records
        record = (await w.publish_ok("ca-post", record_published(subj={"registryId": officer}, status="FINAL",
                                                                 attested=True)))[0]["entityId"]
        async with session(url, w.token("publisher", publisher_id="ca-post")) as ws:
            await ack(ws)
            await subscribe(ws)
            await w.ok('mutation($r: ID!) { openDispute(recordId: $r, reason: "Not me.") { id } }', {"r": record},
                       as_="officer", officer_id=officer)
            message = await next_message(ws)
            assert message["type"] == "next", message
            notice = message["payload"]["data"]["monitoringNotices"]
            assert (notice["type"], notice["data"]["record"]["id"]) == ("dispute.opened", record)
