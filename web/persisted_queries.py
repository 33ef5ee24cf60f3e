"""Automatic persisted queries (Apollo's APQ protocol): a client sends the SHA-256 of a query it sent before
instead of the query, and the server runs the query it kept.

Each authenticated caller (token issuer and subject) has a store of its own, never shared: whether a hash is
known tells a caller only what it sent itself, never what another caller asked about (a shared store would answer
"someone ran this query" to anyone who can compute a hash). Anonymous callers get no store: a hash alone is
answered ``PERSISTED_QUERY_NOT_SUPPORTED`` (clients then send queries in full); a hash with its query runs the
query. Stores are bounded (bytes per caller, callers per process, least recently used first out) and kept per
process: under ``registry serve --workers N`` another worker may not know a hash yet and answers
``PERSISTED_QUERY_NOT_FOUND``, and the client sends the query once more, as the protocol provides.

The protocol (https://www.apollographql.com/docs/apollo-server/performance/apq): ``extensions.persistedQuery`` is
``{"version": 1, "sha256Hash": "<64 lowercase hex digits>"}``. Without ``query``, a known hash runs its query and
an unknown one is answered ``{"errors": [{"message": "PersistedQueryNotFound", "extensions": {"code":
"PERSISTED_QUERY_NOT_FOUND"}}]}`` with status 200; with ``query``, the hash must be the query's (else 400) and
the query is kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from typing import Any

from starlette.types import Receive, Scope

from web.request_guard import BodyError, checked_operation, read_body, remember_operation

__all__ = ["MARKER", "NOT_FOUND", "NOT_SUPPORTED", "QueryStore", "rewrite"]

NOT_FOUND, NOT_SUPPORTED = "PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_SUPPORTED"
#: A body without this cannot use the protocol: it is passed on without being parsed here.
MARKER = b"persistedQuery"
_HASH = re.compile(r"[0-9a-f]{64}")

Caller = tuple[str | None, str]  # (token issuer, subject)


class QueryStore:
    """Per-caller stores of query text by SHA-256, bounded in bytes per caller and in callers."""

    def __init__(self, *, bytes_per_caller: int = 256 * 1024, callers: int = 2_000) -> None:
        self.bytes_per_caller = bytes_per_caller
        self.max_callers = callers
        self._stores: OrderedDict[Caller, OrderedDict[str, str]] = OrderedDict()
        self._sizes: dict[Caller, int] = {}

    def get(self, caller: Caller, digest: str) -> str | None:
        store = self._stores.get(caller)
        if store is None or digest not in store:
            return None
        self._stores.move_to_end(caller)
        store.move_to_end(digest)
        return store[digest]

    def put(self, caller: Caller, digest: str, query: str) -> None:
        size = len(query.encode())
        if size > self.bytes_per_caller:
            return  # kept nowhere: the client sends it in full each time
        store = self._stores.get(caller)
        if store is None:
            store = self._stores[caller] = OrderedDict()
            self._sizes[caller] = 0
            while len(self._stores) > self.max_callers:
                gone, _ = self._stores.popitem(last=False)
                del self._sizes[gone]
        self._stores.move_to_end(caller)
        if digest in store:
            store.move_to_end(digest)
            return
        store[digest] = query
        self._sizes[caller] += size
        while self._sizes[caller] > self.bytes_per_caller:
            _, old = store.popitem(last=False)
            self._sizes[caller] -= len(old.encode())


def _resolved(store: QueryStore, caller: Caller | None, op: Any) -> Any:
    """The operation with its query filled in from (or kept in) the caller's store."""
    ext = op.get("extensions") if isinstance(op, dict) else None
    persisted = ext.get("persistedQuery") if isinstance(ext, dict) else None
    if persisted is None:
        return op
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if not isinstance(digest, str) or not _HASH.fullmatch(digest) or persisted.get("version") != 1:
        raise BodyError(400, "BAD_REQUEST", 'extensions.persistedQuery must be {"version": 1, '
                        '"sha256Hash": "<the query\'s SHA-256 in 64 lowercase hex digits>"}')
    query = op.get("query")
    if query is None:
        if caller is None:
            raise BodyError(200, NOT_SUPPORTED, "PersistedQueryNotSupported")
        found = store.get(caller, digest)
        if found is None:
            raise BodyError(200, NOT_FOUND, "PersistedQueryNotFound")
        return {**op, "query": found}
    if caller is not None:
        if hashlib.sha256(query.encode()).hexdigest() != digest:
            raise BodyError(400, "BAD_REQUEST", "extensions.persistedQuery.sha256Hash is not the SHA-256 "
                            "of the query sent with it")
        store.put(caller, digest, query)
    return op


async def rewrite(store: QueryStore, caller: Caller | None, scope: Scope, receive: Receive) -> tuple[Scope, bytes]:
    """The request as the GraphQL view should see it, its scope and its whole body: a persisted query's text put
    in the body (a JSON body the request guard has already checked). Raises ``BodyError`` for an answer to give
    instead."""
    body = await read_body(receive)
    if MARKER in body:
        doc: Any = checked_operation(scope, body)  # what the request guard read, if it read this body
        if doc is None:
            try:
                doc = json.loads(body)
            except ValueError:
                doc = None  # not JSON (another content type): the view answers it
        if isinstance(doc, dict):  # (batched requests are refused before: the schema does not enable them)
            op = _resolved(store, caller, doc)
            body = json.dumps(op).encode()
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
            if isinstance(op, dict):
                remember_operation(scope, body, op)
    return scope, body
