"""The webhook outbox: rows written with the notice, claimed by delivery workers, and their attempts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

import asyncpg

from store.models import row_to

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    public_id: str
    webhook_id: str
    endpoint_id: str
    owner_kind: str
    owner_id: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    dead_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttemptRow:
    outbox_id: int
    attempt: int
    worker: str
    started_at: datetime
    finished_at: datetime | None
    status_code: int | None
    error: str | None
    retry_at: datetime | None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery leased to one worker: everything needed to send it without another query."""

    id: int
    webhook_id: str
    body: str
    attempt: int        # this attempt's number over the delivery's whole life
    tries: int          # attempts since it was queued or last replayed (drives backoff and dead-lettering)
    claim_token: str
    endpoint_id: str
    url: str
    scheme: str
    secret: bytes | None


_DLV = ", ".join(DeliveryRow.__dataclass_fields__)
_ATT = ", ".join(AttemptRow.__dataclass_fields__)


async def enqueue(conn: asyncpg.Connection, rows: Sequence[tuple[str, str, int | None, str, str, str, str, str]]
                  ) -> None:
    """rows: (public_id, webhook_id, notice_id, endpoint_id, owner_kind, owner_id, event_type, body)."""
    await conn.executemany(
        """INSERT INTO webhook_outbox (public_id, webhook_id, notice_id, endpoint_id, owner_kind, owner_id,
                                       event_type, body)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        rows,
    )


async def rewrite_bodies(conn: asyncpg.Connection, notice_id: int, body: str) -> None:
    """A notice's content changed (expunged, corrected): every stored delivery of it now carries the new body."""
    await conn.execute("UPDATE webhook_outbox SET body = $2 WHERE notice_id = $1", notice_id, body)


async def claim(conn: asyncpg.Connection, *, worker: str, token: str, limit: int, lease_seconds: float
                ) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries: other workers skip them (SKIP LOCKED) and, once this
    commits, see them as not due until the lease ends. The attempt is counted and logged now, so a
    worker that dies mid-request still uses one attempt and leaves a trace."""
    async with conn.transaction():
        rows = await conn.fetch(
            """WITH due AS (
                 SELECT o.id FROM webhook_outbox o
                 WHERE o.state = 'PENDING' AND o.next_attempt_at <= now()
                 ORDER BY o.next_attempt_at, o.id
                 LIMIT $1 FOR UPDATE SKIP LOCKED)
               UPDATE webhook_outbox o
                  SET attempts = o.attempts + 1, claim_token = $2, claimed_at = now(),
                      next_attempt_at = now() + make_interval(secs => $3)
                 FROM due, webhook_endpoints e
                WHERE o.id = due.id AND e.id = o.endpoint_id
            RETURNING o.id, o.webhook_id, o.body, o.attempts AS attempt, o.attempts - o.retry_base AS tries,
                      o.claim_token, e.id AS endpoint_id, e.url, e.scheme, e.secret""",
            limit, token, lease_seconds,
        )
        claimed = [row_to(Claimed, r) for r in rows]
        if claimed:
            await conn.executemany(
                "INSERT INTO webhook_attempts (outbox_id, attempt, worker) VALUES ($1, $2, $3)",
                [(c.id, c.attempt, worker) for c in claimed],
            )
    return claimed


async def mark_delivered(conn: Conn, c: Claimed, status: int) -> None:
    """A 2xx is final whoever sent it: no fencing on success (at-least-once, same webhook-id)."""
    await conn.execute(
        """WITH a AS (UPDATE webhook_attempts SET finished_at = now(), status_code = $3
                      WHERE outbox_id = $1 AND attempt = $2)
           UPDATE webhook_outbox SET state = 'DELIVERED', delivered_at = now(), last_status = $3,
                  last_error = NULL, claim_token = NULL
           WHERE id = $1 AND state = 'PENDING'""",
        c.id, c.attempt, status,
    )


async def mark_failed(conn: Conn, c: Claimed, *, status: int | None, error: str, retry_in: float | None,
                      dead: bool) -> bool:
    """Record a failed attempt and schedule the next (or dead-letter it). Fenced by the claim token:
    a worker whose lease was taken over records its attempt but does not reschedule the row."""
    error = error[:1000]
    done: bool = await conn.fetchval(
        """WITH upd AS (
             UPDATE webhook_outbox
                SET state = CASE WHEN $5 THEN 'DEAD'::webhook_delivery_state ELSE state END,
                    dead_at = CASE WHEN $5 THEN now() ELSE dead_at END,
                    next_attempt_at = CASE WHEN $5 THEN next_attempt_at
                                           ELSE now() + make_interval(secs => $6) END,
                    last_status = $3, last_error = $4, claim_token = NULL
              WHERE id = $1 AND state = 'PENDING' AND claim_token = $7
          RETURNING next_attempt_at, state)
           , att AS (
             UPDATE webhook_attempts SET finished_at = now(), status_code = $3, error = $4,
                    retry_at = (SELECT CASE WHEN state = 'PENDING' THEN next_attempt_at END FROM upd)
              WHERE outbox_id = $1 AND attempt = $2)
           SELECT EXISTS (SELECT 1 FROM upd)""",
        c.id, c.attempt, status, error, dead, retry_in or 0.0, c.claim_token,
    )
    return done


async def release(conn: Conn, c: Claimed, error: str) -> None:
    """The worker is stopping mid-request: make the row due again now (the receiver may have got it;
    the next attempt carries the same webhook-id)."""
    await conn.execute(
        """WITH a AS (UPDATE webhook_attempts SET finished_at = now(), error = $3
                      WHERE outbox_id = $1 AND attempt = $2)
           UPDATE webhook_outbox SET next_attempt_at = now(), claim_token = NULL, last_error = $3
           WHERE id = $1 AND state = 'PENDING' AND claim_token = $4""",
        c.id, c.attempt, error, c.claim_token,
    )


async def disable_endpoint_gone(conn: asyncpg.Connection, c: Claimed) -> None:
    """410 Gone: the receiver asks us to stop (Standard Webhooks); dead-letter this one, disable the endpoint."""
    from store import monitoring

    async with conn.transaction():
        await mark_failed(conn, c, status=410, error="410 Gone: the endpoint was disabled", retry_in=None, dead=True)
        await monitoring.disable_endpoint(conn, c.endpoint_id, "the receiver answered 410 Gone")


# --- the enrollee's view --------------------------------------------------------------------
async def deliveries_page(conn: Conn, owner_kind: str, owner_id: str, *, state: str | None, after: int | None,
                          limit: int) -> list[DeliveryRow]:
    rows = await conn.fetch(
        f"""SELECT {_DLV} FROM webhook_outbox WHERE owner_kind = $1 AND owner_id = $2
            AND ($3::webhook_delivery_state IS NULL OR state = $3) AND ($4::bigint IS NULL OR id < $4)
            ORDER BY id DESC LIMIT $5""",
        owner_kind, owner_id, state, after, limit,
    )
    return [row_to(DeliveryRow, r) for r in rows]


async def delivery(conn: Conn, owner_kind: str, owner_id: str, public_id: str) -> DeliveryRow | None:
    row = await conn.fetchrow(
        f"SELECT {_DLV} FROM webhook_outbox WHERE public_id = $1 AND owner_kind = $2 AND owner_id = $3",
        public_id, owner_kind, owner_id,
    )
    return None if row is None else row_to(DeliveryRow, row)


async def attempts_of(conn: Conn, outbox_ids: Sequence[int]) -> dict[int, list[AttemptRow]]:
    rows = await conn.fetch(
        f"SELECT {_ATT} FROM webhook_attempts WHERE outbox_id = ANY($1::bigint[]) ORDER BY outbox_id, attempt",
        list(outbox_ids),
    )
    out: dict[int, list[AttemptRow]] = {}
    for r in rows:
        out.setdefault(r["outbox_id"], []).append(row_to(AttemptRow, r))
    return out


async def replay(conn: Conn, owner_kind: str, owner_id: str, *, public_id: str | None = None,
                 endpoint_id: str | None = None) -> list[str]:
    """Dead letters back to PENDING with a fresh budget of attempts and the same webhook-id."""
    rows = await conn.fetch(
        """UPDATE webhook_outbox o SET state = 'PENDING', retry_base = o.attempts, next_attempt_at = now(),
                  dead_at = NULL, claim_token = NULL
             FROM webhook_endpoints e
            WHERE e.id = o.endpoint_id AND e.disabled_at IS NULL
              AND o.owner_kind = $1 AND o.owner_id = $2 AND o.state = 'DEAD'
              AND ($3::text IS NULL OR o.public_id = $3) AND ($4::text IS NULL OR o.endpoint_id = $4)
        RETURNING o.public_id""",
        owner_kind, owner_id, public_id, endpoint_id,
    )
    return [r["public_id"] for r in rows]
