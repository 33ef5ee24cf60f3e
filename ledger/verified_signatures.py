"""Signatures this process has just verified, so that the checkpointer does not verify them a second time.

Before a checkpoint covers new entries the checkpointer checks each one (``ledger.entry_check``): its leaf, its key as
logged registrations made it, the publisher and times its payload states, and its Ed25519 signature. The publishing
path has made the last of these checks for every event it logged, in this process, a moment before; the same bytes
under the same public key verify the same way, so the checkpointer takes that answer (with the payload's publisher and
issuedAt) from here instead of verifying again. Verifying again cost about as much CPU as publishing the event, on the
event loop, once per checkpoint interval during an upload: a request that signed the checkpoint waited seconds.

Every other check is still made on the stored entry. What is here was computed by this process, never read from the
database, so an entry written behind the API is never in it. Bounded: the oldest are forgotten first (the timer's
checkpoint and the one after a batch may cover the same entries at once, so consulting one does not forget it).
``registry audit`` never consults it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.merkle import leaf_hash

__all__ = ["CAPACITY", "Verified", "recall", "remember"]

#: At most this many are kept, about 15 MB: more than a checkpoint interval (10 s) of uploads at 3,000 events/s.
CAPACITY = 50_000


@dataclass(frozen=True, slots=True)
class Verified:
    """``verify_event`` accepted a JWS whose header named ``kid`` under ``public_jwk``; its payload said these."""

    kid: str
    public_jwk: Mapping[str, Any]
    publisher: Any
    issued_at: Any


_entries: dict[bytes, Verified] = {}
_lock = threading.Lock()


def remember(verified: Iterable[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]) -> None:
    """Note (compact JWS, kid, public JWK, verified payload) for each event just logged."""
    noted = [(leaf_hash(jws.encode("ascii")), Verified(kid, jwk, payload.get("publisher"), payload.get("issuedAt", "")))
             for jws, kid, jwk, payload in verified]
    with _lock:
        _entries.update(noted)
        for _ in range(len(_entries) - CAPACITY):
            del _entries[next(iter(_entries))]


def recall(leaf: bytes) -> Verified | None:
    """What was noted for the entry with this leaf hash; None when this process did not verify it (or forgot)."""
    return _entries.get(leaf)
