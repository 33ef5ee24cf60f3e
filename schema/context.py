"""Per-request context: the caller, the pool, the request's DataLoaders and the disclosure log."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from auth.disclosure_log import DisclosureLog
from auth.principal import Principal
from registry.config import Settings
from schema.loaders import Loaders
from store import querylog


@dataclass
class Disclosures:
    """What this request showed about each officer, written to the query log when it ends."""

    seen: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))

    def note(self, type_name: str, obj: Any) -> None:
        guard = obj.guard
        if guard.officer_id is None:
            return
        self.seen[guard.officer_id][type_name].add(str(getattr(obj, "id", guard.officer_id)))


@dataclass
class Context:
    principal: Principal
    pool: asyncpg.Pool
    settings: Settings
    loaders: Loaders
    services: Any
    purpose: str | None = None
    purpose_allowed: str | None = None  # the purpose auth.enforce found this caller may state
    disclosures: Disclosures = field(default_factory=Disclosures)
    request: Any = None
    response: Any = None
    connection_params: Any = None  # graphql-transport-ws connection_init payload (set by strawberry)
    # Where this request's reads go: a streaming replica for reads of hiring agencies, partners and the public
    # (server.py decides), else the primary. Writes, the query log and checkpoint signing use ``pool``.
    read_pool: asyncpg.Pool | None = None
    # Writes the query log together with concurrent requests (None: this request's entries alone).
    disclosure_log: DisclosureLog | None = None

    @property
    def reads(self) -> asyncpg.Pool:
        return self.read_pool or self.pool

    def fresh_loaders(self) -> None:
        """After a write, later reads in the same request must not see cached rows (and go to the primary)."""
        self.read_pool = None
        self.loaders = Loaders(self.pool)

    def declare_purpose(self, purpose: str | None) -> None:
        if purpose is not None:
            self.purpose = purpose

    async def flush_disclosures(self) -> None:
        if not self.disclosures.seen or self.purpose is None:
            return
        who = self.principal
        org = who.agency_ori or who.partner_id or who.publisher_id
        entries = [
            (officer_id, who.role.value, who.subject, org, self.purpose,
             {kind: sorted(ids) for kind, ids in sorted(kinds.items())})
            for officer_id, kinds in self.disclosures.seen.items()
        ]
        self.disclosures.seen.clear()
        # Committed before the answer is sent: a disclosure is on the officer's log before it happens.
        if self.disclosure_log is not None:
            await self.disclosure_log.write(entries)
        else:
            await querylog.append_many(self.pool, entries)
