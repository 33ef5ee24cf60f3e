"""Is a logged entry what a registered publisher key signed? Checked before a checkpoint covers it.

A checkpoint vouches for every entry below its size, so the checkpointer signs only the prefix of the log
whose entries verify: the stored leaf is the hash of the stored JWS, and the JWS is signed by the key its
``kid`` names, registered (by a logged registration, ``ledger.admin_entries``) to the publisher the payload
names, valid when the event says it was issued and not revoked before; a registration is signed by a registry
admin key. An entry whose content was expunged keeps only its leaf and cannot be re-checked; it
was checked when it was first covered, or it carries no content at all. The signature of an entry this process
has just published is not verified a second time (``ledger.verified_signatures``); every other check is made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from joserfc.jwk import OKPKey

from ledger import admin_entries, log_store, verified_signatures, verifying_threads
from ledger.events import EventSignatureError, verify_event
from ledger.merkle import leaf_hash
from ledger.verified_signatures import Verified
from store import events as event_store
from store import registrations
from store.publishers import PublisherKeyRow

__all__ = ["CLOCK_SKEW", "BadEntry", "check_entry", "first_bad_entry", "import_key"]

#: How far an event's issuedAt may run ahead of the clock or behind a key's validFrom (publishing uses it too).
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class BadEntry:
    index: int
    reason: str


def check_entry(jws: str, leaf: bytes | None, key: PublisherKeyRow | None, *, known: Verified | None = None,
                imported: OKPKey | None = None) -> str | None:
    """Why this entry is not what its publisher signed, or None when it is.

    ``known``: what this process noted when it verified these bytes (``ledger.verified_signatures``); taken instead
    of verifying again only if it verified them under this very key. ``imported``: ``key`` already imported."""
    if leaf is None:
        return "no leaf is stored for it"
    if leaf_hash(jws.encode("ascii", "replace")) != leaf:
        return "the stored leaf is not the hash of the stored event"
    if key is None:
        return "its kid names no key a logged registration made"
    if known is not None and known.kid == key.kid and known.public_jwk == key.public_jwk:
        publisher, issued_at = known.publisher, known.issued_at
    else:
        def resolve(kid: str) -> OKPKey:
            if kid != key.kid:
                raise KeyError(kid)
            return imported if imported is not None else OKPKey.import_key(key.public_jwk)

        try:
            event = verify_event(jws, resolve)
        except (EventSignatureError, ValueError) as err:
            return f"its signature does not verify with key {key.kid} ({err})"
        payload: dict[str, Any] = event.payload
        publisher, issued_at = payload.get("publisher"), payload.get("issuedAt", "")
    if publisher != key.publisher_id:
        return f"it names publisher {publisher!r} but key {key.kid} is {key.publisher_id}'s"
    try:
        issued = datetime.fromisoformat(str(issued_at).replace("Z", "+00:00"))
    except ValueError:
        return "its issuedAt is not a timestamp"
    if issued.tzinfo is None or issued < key.valid_from - CLOCK_SKEW:
        return f"it was issued before key {key.kid} was valid"
    if key.revoked_at is not None and issued >= key.revoked_at:
        return f"it was issued after key {key.kid} was revoked"
    return None


def import_key(key: PublisherKeyRow | None) -> OKPKey | None:
    """``key`` imported once for many ``check_entry`` calls (None: no key, or one that does not import, which
    ``check_entry`` then reports)."""
    if key is None:
        return None
    try:
        return OKPKey.import_key(key.public_jwk)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Pending:
    """An event entry to check: ``check_entry``'s arguments."""

    index: int
    jws: str
    leaf: bytes | None
    key: PublisherKeyRow | None
    imported: OKPKey | None
    known: Verified | None


def _bad(pending: Sequence[_Pending]) -> dict[int, str]:
    """The reasons of those that do not verify, by log index (no I/O: run on the verifying threads)."""
    return {p.index: reason for p in pending
            if (reason := check_entry(p.jws, p.leaf, p.key, known=p.known, imported=p.imported)) is not None}


async def first_bad_entry(conn: asyncpg.Connection, start: int, end: int, *, admin_keys: Mapping[str, OKPKey],
                          chunk: int = 5000, first_chunk: int = 64) -> BadEntry | None:
    """The first entry in ``[start, end)`` that does not verify, or None when all do: a registration must be signed
    by a registry admin key, an event by a key that logged registrations (not the ``publisher_keys`` table)
    made its publisher's. Events this process did not verify when it published them (``ledger.verified_signatures``)
    are checked on the verifying threads, many at a time (``ledger.verifying_threads``).

    The entries are read in blocks growing from ``first_chunk`` to ``chunk``: while an entry that does not verify
    sits right after the last checkpoint, every batch's checkpoint attempt checks from there again, and a block of
    5,000 entries read each time cost a publishing request about 90 ms of the database's time."""
    keys: dict[str, PublisherKeyRow | None] = {}
    imported: dict[str, OKPKey | None] = {}
    low, size = start, min(first_chunk, chunk)
    while low < end:
        high = min(end, low + size)
        by_index = {r["log_index"]: r for r in await event_store.by_log_range(conn, low, high)}
        admin = {r["log_index"]: r for r in await registrations.by_log_range(conn, low, high)}
        leaves = await log_store.fetch_nodes(conn, [(0, i) for i in range(low, high)])
        bad: dict[int, str] = {}
        pending: list[_Pending] = []
        for index in range(low, high):
            row = by_index.get(index)
            if index in admin:
                reason = admin_entries.check_admin_entry(admin[index]["jws"], leaves.get((0, index)), admin_keys)
                if row is not None:
                    reason = "both an event and a registration claim this log entry"
                if reason is not None:
                    bad[index] = reason
                    break  # nothing after it counts
                continue
            if row is None:
                bad[index] = "no event is stored for this log entry"
                break
            if row["jws"] is None:
                continue  # expunged: only the leaf remains
            kid = row["kid"]
            if kid not in keys:
                keys[kid] = await admin_entries.logged_key(conn, kid, admin_keys, below=end)
                imported[kid] = import_key(keys[kid])
            leaf = leaves.get((0, index))
            pending.append(_Pending(index, row["jws"], leaf, keys[kid], imported.get(kid),
                                    verified_signatures.recall(leaf) if leaf is not None else None))
        unknown = sum(p.known is None for p in pending)
        if unknown >= verifying_threads.MIN_ITEMS:
            for found in await verifying_threads.in_halves(_bad, pending):
                bad.update(found)
        else:
            bad.update(_bad(pending))
        if bad:
            first = min(bad)
            return BadEntry(first, bad[first])
        low, size = high, min(chunk, 2 * size)
    return None
