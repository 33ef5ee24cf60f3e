"""Resolvers of the transparency-log fields: a record's signed events, proof and bundle; checkpoints.

Access is decided by ``auth.policy`` on the record's fields before these run. Per request, the
events, proofs and publisher keys are batched through DataLoaders, and one checkpoint is chosen
and reused, so every proof and bundle in a response is against the same signed tree head.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

import asyncpg
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON
from strawberry.types import Info

from auth import derived, policy
from auth.guards import record_guard
from auth.policy import Guard
from credentials import log_anchor
from ledger import checkpointer, proofs
from ledger.bundle import build_bundle
from ledger.checkpointer import StoredCheckpoint
from ledger.events import logged_payload
from registry.errors import BadInput, RegistryError
from schema.ledger_types import ConsistencyProof, LogEntry, LogProof, SignedEvent
from store import events as event_store
from store import publishers as publisher_store
from store.events import EventRow
from store.models import RecordRow

__all__ = ["consistency_proof", "entity_anchor", "latest_checkpoint", "record_bundle", "record_events",
           "record_proof", "registry_log_key"]


log = logging.getLogger(__name__)


class LogUnavailable(RegistryError):
    code = "LOG_UNAVAILABLE"


class _RequestLedger:
    """What one request has read from the log; dies with the request, like ``schema.loaders``."""

    def __init__(self, ctx: Any) -> None:
        self.pool: asyncpg.Pool = ctx.pool
        # Which events an entity has must agree with the entity's row, so both come from the request's read
        # pool; proofs, checkpoints and keys may come from the primary: the log is append-only, so whatever a
        # replica has, the primary has too, with the same hashes.
        self.reads: asyncpg.Pool = ctx.reads
        self.signer = ctx.services.log_signer
        self.origin: str = ctx.settings.log_origin
        self.events: DataLoader[str, list[EventRow]] = DataLoader(load_fn=self._events)
        self.proofs: DataLoader[tuple[int, int], proofs.InclusionResult] = DataLoader(load_fn=self._proofs)
        self.keys: DataLoader[str, list[dict[str, Any]]] = DataLoader(load_fn=self._keys)
        self._checkpoint: StoredCheckpoint | None = None
        self._lock = asyncio.Lock()

    async def _events(self, entity_ids: list[str]) -> list[list[EventRow]]:
        grouped: dict[str, list[EventRow]] = defaultdict(list)
        for row in await event_store.by_entity_ids(self.reads, entity_ids):
            grouped[row.entity_id or ""].append(row)
        return [grouped.get(i, []) for i in entity_ids]

    async def _proofs(self, wanted: list[tuple[int, int]]) -> Sequence[proofs.InclusionResult]:
        try:
            return await proofs.inclusion_proofs(self.pool, wanted)
        except proofs.LogIntegrityError as exc:
            log.error("cannot build inclusion proofs: %s", exc)
            raise LogUnavailable("the transparency log failed its integrity check; proofs are unavailable "
                                 "until an operator runs `registry audit`") from None

    async def _keys(self, publisher_ids: list[str]) -> list[list[dict[str, Any]]]:
        rows = await asyncio.gather(*(publisher_store.keys_for(self.pool, p) for p in publisher_ids))
        return [[_jwk(k) for k in keys] for keys in rows]

    async def checkpoint_covering(self, index: int) -> StoredCheckpoint:
        """The request's checkpoint; signs a new one only if the latest does not include ``index`` yet."""
        async with self._lock:
            if self._checkpoint is None or self._checkpoint.size <= index:
                self._checkpoint = await checkpointer.latest(self.pool)
            if self._checkpoint is None or self._checkpoint.size <= index:
                await self._sign_covering(index)
            if self._checkpoint is None or self._checkpoint.size <= index:
                raise LogUnavailable(f"no checkpoint includes log index {index} yet; try again shortly")
            return self._checkpoint

    async def _sign_covering(self, index: int) -> None:
        """Sign a checkpoint that covers ``index``. Losing a race to another signer (the timer, a concurrent
        request) is no failure: the next attempt finds its checkpoint, or signs the same tree head. A refusal
        that repeats (the log does not extend what was signed) is."""
        for _attempt in range(3):
            try:
                await checkpointer.publish_checkpoint(self.pool, self.signer, self.origin)
            except (checkpointer.CheckpointRefused, proofs.LogIntegrityError) as exc:
                refusal: Exception = exc
            else:
                self._checkpoint = await checkpointer.latest(self.pool)
                return
            self._checkpoint = await checkpointer.latest(self.pool)
            if self._checkpoint is not None and self._checkpoint.size > index:
                return
        log.error("cannot checkpoint for a proof: %s", refusal)
        raise LogUnavailable("the transparency log failed its integrity check; proofs are unavailable until an "
                             "operator runs `registry audit`") from None


def _jwk(key: publisher_store.PublisherKeyRow) -> dict[str, Any]:
    """A registered key as a bundle JWK: the public key plus when it may sign (docs/ledger-formats.md 1.3)."""
    jwk = dict(key.public_jwk)
    jwk["valid_from"] = key.valid_from.isoformat()
    if key.revoked_at is not None:
        jwk["revoked_at"] = key.revoked_at.isoformat()
    return jwk


def _ledger(info: Info) -> _RequestLedger:
    ctx = info.context
    found: _RequestLedger | None = getattr(ctx, "_ledger", None)
    if found is None:
        found = _RequestLedger(ctx)
        ctx._ledger = found
    return found


async def _latest_event(info: Info, entity_id: str) -> EventRow | None:
    events = await _ledger(info).events.load(entity_id)
    return events[-1] if events else None


Proven = tuple[EventRow, StoredCheckpoint, proofs.InclusionResult]


async def _latest_proven(info: Info, entity_id: str) -> Proven | None:
    """The entity's latest event with its inclusion proof against the request's checkpoint."""
    event = await _latest_event(info, entity_id)
    if event is None:
        return None
    ledger = _ledger(info)
    cp = await ledger.checkpoint_covering(event.log_index)
    return event, cp, await ledger.proofs.load((event.log_index, cp.size))


async def record_events(info: Info, row: RecordRow) -> list[SignedEvent]:
    """The signed events about a record, in log order; expunged ones keep only their position, and
    superseded ones (content a correction replaced) keep only their position for most readers."""
    events = await _ledger(info).events.load(row.id)
    replaced = derived.superseded([(e.log_index, logged_payload(e.jws) if e.jws else None) for e in events])
    shown = derived.may_read_superseded(info.context.principal, record_guard(row))
    return [SignedEvent(jws=e.jws if shown or e.log_index not in replaced else None, log_index=e.log_index,
                        accepted_at=e.accepted_at, type=e.type, expunged=e.jws is None or e.expunged_at is not None,
                        superseded=e.log_index in replaced)
            for e in events]


async def record_proof(info: Info, row: RecordRow) -> LogProof | None:
    """Inclusion proof of the record's latest event against the request's checkpoint."""
    proven = await _latest_proven(info, row.id)
    if proven is None:
        return None
    event, cp, inc = proven
    return LogProof(log_index=event.log_index, leaf_hash=inc.leaf_hash.hex(), tree_size=cp.size,
                    inclusion_proof=[h.hex() for h in inc.proof], checkpoint=cp.note)


async def entity_anchor(info: Info, entity_id: str) -> dict[str, Any] | None:
    """The ``log`` claim of an attestation: the entity's latest signed event, proven against a checkpoint."""
    proven = await _latest_proven(info, entity_id)
    if proven is None:
        return None
    event, cp, inc = proven
    return log_anchor.claim(event.log_index, inc.leaf_hash, inc.proof, cp.note)


async def record_bundle(info: Info, row: RecordRow) -> JSON | None:
    """The offline-verification bundle of the record's latest event (docs/ledger-formats.md section 4)."""
    event = await _latest_event(info, row.id)
    if event is None or event.jws is None:
        return None
    ledger = _ledger(info)
    cp = await ledger.checkpoint_covering(event.log_index)
    inc, keys = await asyncio.gather(ledger.proofs.load((event.log_index, cp.size)),
                                     ledger.keys.load(event.publisher_id))
    return cast(JSON, build_bundle(event.jws, {"keys": keys}, event.accepted_at, event.log_index, inc.proof,
                                   cp.note))


async def log_entries(info: Info, publisher_id: str, after: int, first: int) -> list[LogEntry]:
    """The entries under a publisher's name or keys, for the publisher's own monitor (and auditors)."""
    guard = Guard(officer_id=None, publisher_id=publisher_id)
    if not policy.row_visible("LogEntry", info.context.principal, guard):
        return []
    if not 1 <= first <= 10_000:
        raise BadInput("first must be from 1 to 10000")
    rows = await event_store.under_publisher(info.context.pool, publisher_id, after, first)
    return [LogEntry(log_index=r["log_index"], leaf_hash=bytes(r["leaf_hash"]).hex() if r["leaf_hash"] else "",
                     kid=r["kid"], event_id=r["event_id"], type=r["type"], publisher_id=r["publisher_id"],
                     guard=guard) for r in rows]


async def latest_checkpoint(info: Info) -> str | None:
    """The checkpoint of the current tree, signed on demand when publishes were coalesced; None for an empty log."""
    ctx = info.context
    cp = await checkpointer.on_demand(ctx.pool, ctx.services.log_signer, ctx.settings.log_origin)
    return None if cp is None else cp.note


async def consistency_proof(info: Info, old_size: int, new_size: int) -> ConsistencyProof:
    """Consistency proof and both roots between two sizes the log has reached."""
    try:
        result = await proofs.consistency_with_roots(info.context.pool, old_size, new_size)
    except proofs.TreeSizeError as exc:
        raise BadInput(str(exc)) from None
    return ConsistencyProof(old_size=old_size, new_size=new_size, proof=[h.hex() for h in result.proof],
                            old_root=result.old_root.hex(), new_root=result.new_root.hex())


def registry_log_key(info: Info) -> str:
    """The registry's checkpoint verifier key (``name+keyid+base64``), as served at /.well-known/."""
    key: str = info.context.services.log_signer.verifier_key_string()
    return key
