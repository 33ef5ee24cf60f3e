"""The WebSocket limits docs/security.md promises, against the registry served by uvicorn: a browser page on
another origin cannot open the subscription socket (so it cannot ride a user's credentials), and one
connection runs at most 10 operations."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.integration.monitoring_support import agency_token, mworld, serve
from tests.support import World

__all__ = ["mworld"]

PROTOCOL = "graphql-transport-ws"
SUBSCRIPTION = "subscription { monitoringNotices { id } }"


async def _open(url: str, origin: str | None) -> ClientConnection:
    headers = {"Origin": origin} if origin else {}
    return await connect(url, subprotocols=[PROTOCOL], additional_headers=headers)  # type: ignore[list-item]


async def _init(ws: ClientConnection, token: str) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return message


async def test_a_page_on_another_origin_cannot_open_the_socket(mworld: World) -> None:
    token = agency_token(mworld)
    async with serve(mworld.app) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        for foreign in ("https://evil.example", "http://localhost:1", "null"):
            with pytest.raises(InvalidStatus) as refused:
                await _open(url, foreign)
            assert refused.value.response.status_code == 403, foreign
        # The registry's own origin (a page it serves), and clients that are not browsers (no Origin), may.
        origins: tuple[str | None, ...] = (base, None)
        for origin in origins:
            ws = await _open(url, origin)
            try:
                assert await _init(ws, token) == {"type": "connection_ack"}, origin
            finally:
                await ws.close()


async def test_one_connection_runs_at_most_ten_operations(mworld: World) -> None:
    token = agency_token(mworld)
    async with serve(mworld.app) as base:
        ws = await _open(base.replace("http://", "ws://") + "/graphql", None)
        try:
            assert await _init(ws, token) == {"type": "connection_ack"}
            for op in range(10):
                await ws.send(json.dumps({"id": str(op), "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
            # The ten are running (an eleventh id is refused, not queued): a ping still answers first.
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}
            await ws.send(json.dumps({"id": "10", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
            refused = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert refused == {"id": "10", "type": "error", "payload": [
                {"message": "Subscription limit reached"}]}, refused
            # Ending one frees a place: the next subscription is taken (no error before the pong).
            await ws.send(json.dumps({"id": "0", "type": "complete"}))
            await ws.send(json.dumps({"id": "11", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}
        finally:
            await ws.close()
