"""Every HTTP request gets a request ID (echoed in ``X-Request-ID``, written on each of its log lines), one access
log line, and, for /graphql, a latency observation by operation name."""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry import logs, metrics

__all__ = ["OPERATION_KEY", "RequestIds"]

access = logging.getLogger("registry.access")
#: A caller's own ID is kept if it looks like one (so a proxy's or client's trace lines up); else we make one.
_SANE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
#: Where the GraphQL view leaves the operation name for this request (``scope["state"][OPERATION_KEY]``).
OPERATION_KEY = "graphql_operation"


class RequestIds:
    def __init__(self, app: ASGIApp, *, graphql_path: str = "/graphql") -> None:
        self.app = app
        self.graphql_path = graphql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        rid = given if given is not None and _SANE_ID.fullmatch(given) else secrets.token_hex(16)
        token = logs.request_id.set(rid)
        scope.setdefault("state", {})
        start = time.perf_counter()
        status = 0
        observed = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, observed
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # Counted before the last byte leaves: a scrape made after the caller has its answer includes it.
                observed = True
                self._observe(scope, status, time.perf_counter() - start)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        finally:
            if scope["type"] == "http" and not observed:
                self._observe(scope, status, time.perf_counter() - start)
            logs.request_id.reset(token)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        label = None
        if scope["path"] == self.graphql_path and scope["method"] == "POST":
            label = metrics.operation_label(scope["state"].get(OPERATION_KEY))
            metrics.child(metrics.graphql_seconds, label).observe(seconds)
        if access.isEnabledFor(logging.INFO):  # the line's fields are built only when it is written
            extra: dict[str, Any] = {"method": scope["method"], "path": scope["path"], "status": status,
                                     "duration_ms": round(seconds * 1000, 2)}
            if label is not None:
                extra["operation"] = label
            access.info("%s %s %s %.1f ms", scope["method"], scope["path"], status, seconds * 1000, extra=extra)
