"""Accepted publisher events: the signed bytes each log leaf commits to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from registry import jsonfast
from store.models import row_to


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    publisher_id: str
    event_id: str
    type: str
    kid: str
    jws: str | None
    payload: dict[str, Any] | None
    content_digest: bytes
    officer_id: str | None
    entity_id: str | None
    log_index: int
    accepted_at: datetime
    expunged_at: datetime | None


_COLS = ", ".join(EventRow.__dataclass_fields__)


async def by_publisher_event(conn: asyncpg.Connection, publisher_id: str, event_id: str) -> EventRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLS} FROM events WHERE publisher_id = $1 AND event_id = $2", publisher_id, event_id
    )
    return None if row is None else row_to(EventRow, row)


async def by_publisher_events(conn: asyncpg.Connection,
                              wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], EventRow]:
    """The stored events among (publisher ID, event ID) pairs, in one query (pairs not stored are left out)."""
    if not wanted:
        return {}
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM events WHERE (publisher_id, event_id) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[]))",
        [p for p, _ in wanted], [e for _, e in wanted])
    found = [row_to(EventRow, r) for r in rows]
    return {(r.publisher_id, r.event_id): r for r in found}


async def insert(
    conn: asyncpg.Connection, *, publisher_id: str, event_id: str, type_: str, kid: str, jws: str,
    payload: dict[str, Any], content_digest: bytes, log_index: int, officer_id: str | None = None,
    entity_id: str | None = None,
) -> int:
    new_id: int = await conn.fetchval(
        """INSERT INTO events (publisher_id, event_id, type, kid, jws, payload, content_digest, log_index, officer_id,
                               entity_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id""",
        publisher_id, event_id, type_, kid, jws, payload, content_digest, log_index, officer_id, entity_id,
    )
    return new_id


async def insert_many(conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    """Events (publisher, event ID, type, kid, jws, payload, digest, log index, officer, entity) in one statement,
    their subject set as they are inserted; returns each event ID's primary key (one publisher per call)."""
    cols = [list(col) for col in zip(*rows, strict=True)]
    cols[5] = [jsonfast.dumps(p) for p in cols[5]]
    found = await conn.fetch(
        """INSERT INTO events (publisher_id, event_id, type, kid, jws, payload, content_digest, log_index,
                               officer_id, entity_id)
           SELECT p, e, t, k, j, d::jsonb, c, i, o, n FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                  $5::text[], $6::text[], $7::bytea[], $8::bigint[], $9::text[], $10::text[])
                  AS s(p, e, t, k, j, d, c, i, o, n) ORDER BY i
           RETURNING id, event_id""",
        *cols,
    )
    return {r["event_id"]: r["id"] for r in found}


async def set_subject(conn: asyncpg.Connection, event_pk: int, officer_id: str | None, entity_id: str | None) -> None:
    await conn.execute(
        "UPDATE events SET officer_id = $2, entity_id = $3 WHERE id = $1", event_pk, officer_id, entity_id
    )


async def by_entity_ids(conn: asyncpg.Connection | asyncpg.Pool, entity_ids: list[str]) -> list[EventRow]:
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM events WHERE entity_id = ANY($1::text[]) ORDER BY log_index", entity_ids
    )
    return [row_to(EventRow, r) for r in rows]


async def expunge_entity(conn: asyncpg.Connection, entity_id: str, keep_event_pk: int) -> int:
    """Drop the content of every event about an entity; the log leaves (hashes) stay."""
    result: str = await conn.execute(
        """UPDATE events SET jws = NULL, payload = NULL, expunged_at = now()
           WHERE entity_id = $1 AND id <> $2 AND expunged_at IS NULL""",
        entity_id, keep_event_pk,
    )
    return int(result.split()[-1])


async def all_for_audit(conn: asyncpg.Connection | asyncpg.Pool) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT id, log_index, jws, expunged_at FROM events ORDER BY log_index"))


async def by_log_range(conn: asyncpg.Connection | asyncpg.Pool, start: int, end: int) -> list[asyncpg.Record]:
    """The entries at log indexes ``[start, end)``: what a checkpoint over them vouches for."""
    return list(await conn.fetch(
        "SELECT log_index, jws, kid FROM events WHERE log_index >= $1 AND log_index < $2 ORDER BY log_index",
        start, end))


async def under_publisher(conn: asyncpg.Connection | asyncpg.Pool, publisher_id: str, after: int, limit: int
                          ) -> list[asyncpg.Record]:
    """Log entries made in a publisher's name or under one of its keys (whatever the events row says), with
    their leaf hash, in log order after ``after``: what the publisher's own monitor compares with its journal."""
    return list(await conn.fetch(
        """SELECT e.log_index, e.kid, e.event_id, e.type, e.publisher_id, n.hash AS leaf_hash
             FROM events e LEFT JOIN log_nodes n ON n.level = 0 AND n.idx = e.log_index
            WHERE (e.publisher_id = $1 OR e.kid IN (SELECT kid FROM publisher_keys WHERE publisher_id = $1)
                   OR e.kid IN (SELECT payload ->> 'kid' FROM registry_entries
                                 WHERE type = 'registry.key.registered' AND payload ->> 'publisherId' = $1))
              AND e.log_index > $2
            ORDER BY e.log_index LIMIT $3""",
        publisher_id, after, limit))
