"""The database's floor for publishing: what ``registry publish`` must do for each signed event at least.

A reference for ``bench.api_baseline``'s publishing rows (issue 13: ``registry publish`` >= 3,000 signed events/s and
>= 0.3 x COPY of the same rows), as ``bench.search_floor`` is for a search. For each ``record.published`` event (the
bench's rows: a record about an officer named by registry ID): its Ed25519 signature checked by libsodium on the
process's two verifying threads (``ledger.ed25519``, ``ledger.verifying_threads``: as the registry checks them), its
payload read and its content digest computed (the idempotency key: its canonical JSON without salt and issuedAt),
its leaf and the perfect subtrees it completes hashed (``ledger.merkle.CompactRange``), and every row the registry
writes for it put in by COPY, a batch per transaction: the record and its first status into the registry's own
tables (the rows of the COPY reference, which writes nothing else), and the event with its signed bytes, the log's
nodes and the officer's notice into copies of the registry's tables (the same columns, checks and indexes, without
foreign keys or triggers) in a scratch schema, so that the registry's own log is left as it is. The next batch's
signatures are checked while this batch's rows go in. No idempotency lookup, key lookup, jurisdiction or subject
check, request parsing or answer: the registry cannot publish faster than this on the same machine whatever its own
code does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import date
from types import TracebackType
from typing import Any

import asyncpg

from ledger.ed25519 import verify
from ledger.events import canonical_bytes
from ledger.merkle import CompactRange, leaf_hash
from ledger.verifying_threads import in_halves
from registry import ids

SCHEMA = "publish_floor"
RECORD_COLUMNS = ("id", "officer_id", "publisher_id", "source_id", "kind", "state", "reason_category", "action_date",
                  "narrative", "case_reference", "status", "fair_process_attested")
HISTORY_COLUMNS = ("record_id", "from_status", "to_status", "fair_process_attested", "reason", "event_id")
EVENT_COLUMNS = ("id", "publisher_id", "event_id", "type", "kid", "jws", "payload", "content_digest", "log_index",
                 "officer_id", "entity_id")
NOTICE_COLUMNS = ("officer_id", "record_id", "kind", "message")
_SCRATCH = ("events", "log_nodes", "notifications")


def b64url(segment: str) -> bytes:
    """Base64url without padding, decoded (JWS segments, JWK members)."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _verified(key: bytes, compacts: Sequence[str]) -> list[bytes]:
    """Each compact JWS's payload bytes, its signature checked as the registry checks it (``ledger.ed25519``)."""
    out = []
    for compact in compacts:
        header, payload, signature = compact.split(".")
        if not verify(key, b64url(signature), f"{header}.{payload}".encode("ascii")):
            raise ValueError("a signature the floor was given does not verify")
        out.append(b64url(payload))
    return out


class PublishFloor:
    """The floor's publishing on a connection of its own (asyncpg's own binary codecs, which COPY needs), inside a
    scratch schema that exists only between ``async with`` and its end."""

    conn: asyncpg.Connection

    def __init__(self, dsn: str, key: bytes, publisher_name: str, *, batch_size: int = 500) -> None:
        self.dsn, self.key, self.publisher_name, self.batch_size = dsn, key, publisher_name, batch_size
        self._log = CompactRange()
        self._next_event = 1

    async def __aenter__(self) -> PublishFloor:
        self.conn = await asyncpg.connect(self.dsn)
        await self.conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}")
        for table in _SCRATCH:  # (the defaults draw on the registry's sequences: a gap in them is harmless)
            await self.conn.execute(f"CREATE TABLE {SCHEMA}.{table} (LIKE public.{table} INCLUDING ALL)")
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            await self.conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        finally:
            await self.conn.close()

    async def publish(self, compacts: Sequence[str]) -> None:
        """Publish the signed events in batches (see the module's docstring)."""
        batches = [compacts[i:i + self.batch_size] for i in range(0, len(compacts), self.batch_size)]
        checking = asyncio.ensure_future(self._check(batches[0])) if batches else None
        for position, batch in enumerate(batches):
            assert checking is not None
            payloads = await checking
            if position + 1 < len(batches):
                checking = asyncio.ensure_future(self._check(batches[position + 1]))
            await self._write(batch, payloads)

    async def _check(self, batch: Sequence[str]) -> list[bytes]:
        even, odd = await in_halves(lambda part: _verified(self.key, part), batch)
        out: list[bytes] = [b""] * len(batch)
        out[0::2], out[1::2] = even, odd
        return out

    async def _write(self, batch: Sequence[str], payloads: Sequence[bytes]) -> None:
        records, history, events, nodes, notices = [], [], [], [], []
        for compact, raw in zip(batch, payloads, strict=True):
            p: dict[str, Any] = json.loads(raw)
            officer_id, record_id, event_pk = p["subject"]["registryId"], ids.record_id(), self._next_event
            self._next_event += 1
            index = self._log.size
            nodes += self._log.append(leaf_hash(compact.encode("ascii")))
            events.append((event_pk, p["publisher"], p["eventId"], p["type"], _kid(compact), compact, raw.decode(),
                           _digest(p), index, officer_id, record_id))
            attested, acted = bool(p.get("fairProcessAttested")), p.get("actionDate")
            records.append((record_id, officer_id, p["publisher"], p["sourceId"], p["kind"], p["state"],
                            p.get("reasonCategory"), date.fromisoformat(acted) if acted else None,
                            p.get("narrative"), p.get("caseReference"), p["status"], attested))
            history.append((record_id, None, p["status"], attested, None, event_pk))
            notices.append((officer_id, record_id, "RECORD_PUBLISHED", f"{self.publisher_name} published a {p['kind']} "
                            f"record about you (status {p['status']})."))
        async with self.conn.transaction():
            copy = self.conn.copy_records_to_table
            await copy("events", schema_name=SCHEMA, records=events, columns=EVENT_COLUMNS)
            await copy("log_nodes", schema_name=SCHEMA, records=nodes, columns=("level", "idx", "hash"))
            await copy("misconduct_records", records=records, columns=RECORD_COLUMNS)
            await copy("record_status_history", records=history, columns=HISTORY_COLUMNS)
            await copy("notifications", schema_name=SCHEMA, records=notices, columns=NOTICE_COLUMNS)


def _digest(payload: dict[str, Any]) -> bytes:
    """The event's content digest, the registry's idempotency key: its canonical payload without salt and issuedAt."""
    return hashlib.sha256(canonical_bytes({k: v for k, v in payload.items() if k not in ("salt", "issuedAt")})).digest()


def _kid(compact: str) -> str:
    kid: str = json.loads(b64url(compact.split(".", 1)[0]))["kid"]
    return kid
