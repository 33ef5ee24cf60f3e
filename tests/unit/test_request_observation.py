"""The /graphql latency observation is counted before the response's last byte is handed to the server, so a
scrape made once the caller has its answer (from any worker) includes that request."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY
from starlette.types import Message, Receive, Scope, Send

from web.observability import OPERATION_KEY, RequestIds


def _count(operation: str) -> float:
    value = REGISTRY.get_sample_value("registry_graphql_request_seconds_count", {"operation": operation})
    return value or 0.0


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    scope["state"][OPERATION_KEY] = "Ordered"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    await send({"type": "http.response.body", "body": b"}"})


async def _failing(scope: Scope, receive: Receive, send: Send) -> None:
    scope["state"][OPERATION_KEY] = "Broken"
    raise RuntimeError("no answer")


async def _nothing() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _discard(message: Message) -> None:
    return None


def _scope() -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": "/graphql", "headers": []}


async def test_the_request_is_counted_before_its_last_byte_is_sent() -> None:
    before = _count("Ordered")
    seen: list[tuple[str, bool, float]] = []

    async def server_send(message: Message) -> None:
        seen.append((message["type"], bool(message.get("more_body")), _count("Ordered") - before))

    await RequestIds(_answer)(_scope(), _nothing, server_send)
    assert seen == [("http.response.start", False, 0.0), ("http.response.body", True, 0.0),
                    ("http.response.body", False, 1.0)]
    assert _count("Ordered") - before == 1.0  # once, not again when the app returns


async def test_a_request_that_never_answers_is_still_counted_once() -> None:
    before = _count("Broken")
    with pytest.raises(RuntimeError):
        await RequestIds(_failing)(_scope(), _nothing, _discard)
    assert _count("Broken") - before == 1.0
