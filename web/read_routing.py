"""Which database answers a GraphQL request's reads when streaming replicas are configured.

Queries of hiring agencies, partners and the public read from a replica (``registry.replicas`` picks one that
is within the lag bound); everything else (mutations, subscriptions, publishers, officers, auditors, admins,
credentialing bodies) reads and writes the primary. Read-your-writes: every mutation answers with
``Registry-LSN`` (the primary's WAL position after it); the same caller's next queries on this process, or any
request that sends that value back in ``Registry-Min-LSN``, read a replica only once it has replayed that
position (waiting at most ``REGISTRY_REPLICA_WAIT``), else the primary.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import asyncpg
from graphql import GraphQLError, OperationDefinitionNode, parse

from auth.principal import Principal, Role
from registry.replicas import Replicas
from schema.limits import cacheable

__all__ = ["LSN_HEADER", "MIN_LSN_HEADER", "REPLICA_ROLES", "WriteMarks", "operation_kind", "operation_of",
           "read_pool_for"]

REPLICA_ROLES = frozenset({Role.PUBLIC, Role.HIRING_AGENCY, Role.PARTNER})
LSN_HEADER = "Registry-LSN"
MIN_LSN_HEADER = "registry-min-lsn"


def operation_of(query: str | None, name: str | None) -> tuple[str, str | None]:
    """The operation a request runs: its kind ("query", "mutation" or "subscription") and its name (the
    document's own when the request names none). A document that does not parse is left to GraphQL's own
    error (counted as a query, which reads nothing); one GraphQL will refuse to run counts as a mutation (the
    primary is the safe place to refuse it). Remembered by query text up to ``CACHED_QUERY_CHARS`` (a cache
    entry keeps its text: longer ones are worked out each time)."""
    return _remembered(query, name) if not query or cacheable(query) else _operation_of(query, name)


def _operation_of(query: str | None, name: str | None) -> tuple[str, str | None]:
    if not query:
        return "query", name
    try:
        doc = parse(query, no_location=True)
    except GraphQLError:
        return "query", name
    ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next((o for o in ops if name is None or (o.name is not None and o.name.value == name)), None)
    if chosen is None or (name is None and len(ops) > 1):
        return "mutation", name
    return chosen.operation.value, name if name is not None else chosen.name.value if chosen.name else None


_remembered = functools.lru_cache(maxsize=512)(_operation_of)


def operation_kind(query: str | None, name: str | None) -> str:
    return operation_of(query, name)[0]


class WriteMarks:
    """The last write position of recent callers (bounded: the oldest callers are forgotten first)."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._marks: OrderedDict[tuple[str, str], int] = OrderedDict()

    @staticmethod
    def key(principal: Principal) -> tuple[str, str] | None:
        return None if principal.subject is None else (principal.role.value, principal.subject)

    def remember(self, principal: Principal, lsn: int) -> None:
        key = self.key(principal)
        if key is None:
            return
        self._marks[key] = max(lsn, self._marks.pop(key, 0))
        while len(self._marks) > self.size:
            self._marks.popitem(last=False)

    def get(self, principal: Principal) -> int | None:
        key = self.key(principal)
        return None if key is None else self._marks.get(key)


async def read_pool_for(replicas: Replicas, principal: Principal, kind: str, min_lsn: int | None,
                        marks: WriteMarks) -> asyncpg.Pool | None:
    """The replica pool this request reads from, or None for the primary."""
    if kind != "query" or principal.role not in REPLICA_ROLES:
        return None
    mine = marks.get(principal)
    wanted = max((x for x in (min_lsn, mine) if x is not None), default=None)
    return await replicas.read_pool(wanted)
