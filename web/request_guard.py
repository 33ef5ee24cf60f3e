"""Check a GraphQL POST body before any library parses it: size, encoding, JSON shape and nesting.

A malformed body is the client's mistake and gets a 4xx with one clear line and a code, never a 500:
the GraphQL library would otherwise fail on invalid UTF-8, on a JSON document that is not an object,
or on JSON nested deeply enough to exhaust Python's recursion. The checked body is handed on unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.responses import graphql_error

#: Deeper JSON than this is refused; GraphQL variables never need more, and deeper values recurse in libraries.
MAX_JSON_DEPTH = 64
_OPERATION_KEYS = {"query": str, "operationName": str, "variables": dict, "extensions": dict}
#: Where the guard leaves the body it checked and what it read from it (``scope["state"]``), so the GraphQL route
#: does not read the same JSON again (``checked_operation``).
_CHECKED_KEY = "graphql_checked_body"


class BodyError(Exception):
    """A request answered before GraphQL runs: HTTP status, ``extensions.code`` and one line."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def _check_operation(op: Any, where: str) -> None:
    if not isinstance(op, dict):
        raise BodyError(400, "BAD_REQUEST", f"{where} must be a JSON object with a query")
    for key, kind in _OPERATION_KEYS.items():
        if op.get(key) is not None and not isinstance(op[key], kind):
            wanted = "a string" if kind is str else "an object"
            raise BodyError(400, "BAD_REQUEST", f"{where}: '{key}' must be {wanted} or null")


def check_body(raw: bytes) -> dict[str, Any]:
    """The operation ``raw`` holds; ``BodyError`` unless it is a UTF-8 JSON GraphQL request the server can safely
    parse."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(400, "BAD_REQUEST", "the request body is not valid UTF-8") from None
    try:
        doc = json.loads(text)
    except RecursionError:
        raise BodyError(400, "BAD_REQUEST", f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as err:
        raise BodyError(400, "BAD_REQUEST", f"the request body is not valid JSON: {err}") from None
    if _depth_exceeds(doc, MAX_JSON_DEPTH):
        raise BodyError(400, "BAD_REQUEST", f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(doc, list):  # the schema does not run batches: one operation, one purpose, one query-log entry
        raise BodyError(400, "BAD_REQUEST", "batched requests are not supported: send one operation per request")
    _check_operation(doc, "the body")
    op: dict[str, Any] = doc
    return op


def remember_operation(scope: Scope, body: bytes, op: dict[str, Any]) -> None:
    """``body`` (now the request's) holds ``op``, read as ``json.loads`` reads it."""
    scope.setdefault("state", {})[_CHECKED_KEY] = (body, op)


def checked_operation(scope: Scope, body: bytes) -> dict[str, Any] | None:
    """The operation the guard read from ``body``, as ``json.loads`` reads it (as strawberry's view will); None
    when the guard did not check this body (another content type, or a body rewritten since)."""
    checked = scope.get("state", {}).get(_CHECKED_KEY)
    if checked is None or checked[0] != body:
        return None
    op: dict[str, Any] = checked[1]
    return op


class RequestGuard:
    """ASGI middleware for the GraphQL route: bounded body size and a well-formed JSON body on POST."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            raw = await self._read(headers, receive)
            if headers.get("content-type", "application/json").split(";")[0].strip().lower() == "application/json":
                remember_operation(scope, raw, check_body(raw))
        except BodyError as err:
            await graphql_error(err.status, err.code, err.message)(scope, receive, send)
            return
        await self.app(scope, replay(raw, receive), send)

    async def _read(self, headers: dict[str, str], receive: Receive) -> bytes:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _too_large(self.max_body_bytes)
        return await read_body(receive, self.max_body_bytes)


def _too_large(max_bytes: int) -> BodyError:
    return BodyError(413, "PAYLOAD_TOO_LARGE",
                     f"the request body is larger than {max_bytes} bytes (REGISTRY_MAX_BODY_BYTES)")


async def read_body(receive: Receive, max_bytes: int | None = None) -> bytes:
    """The whole body (up to a disconnect); a ``BodyError`` (413) once it passes ``max_bytes``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for an app after this body was read from it (once, whole)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # after the body: disconnects and the like
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again
