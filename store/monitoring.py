"""Monitoring enrollments, webhook endpoints and the notices written for enrollees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from store.models import CertificationRow, row_to

Conn: TypeAlias = asyncpg.Connection | asyncpg.Pool


@dataclass(frozen=True, slots=True)
class EnrollmentRow:
    id: str
    owner_kind: str
    owner_id: str
    officer_id: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EndpointRow:
    id: str
    owner_kind: str
    owner_id: str
    url: str
    scheme: str
    secret: bytes | None
    description: str | None
    created_by: str
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None


@dataclass(frozen=True, slots=True)
class NoticeRow:
    id: int
    public_id: str
    owner_kind: str
    owner_id: str
    enrollment_id: str | None
    officer_id: str
    type: str
    payload: dict[str, Any]
    occurred_at: datetime


_ENR = ", ".join(EnrollmentRow.__dataclass_fields__)
_END = ", ".join(EndpointRow.__dataclass_fields__)
_NOT = ", ".join(NoticeRow.__dataclass_fields__)


# --- enrollments ----------------------------------------------------------------------------
async def enroll(conn: Conn, enrollment_id: str, owner_kind: str, owner_id: str, officer_id: str,
                 created_by: str) -> tuple[EnrollmentRow, bool]:
    """Enroll (idempotent): returns the enrollment and whether it is new."""
    row = await conn.fetchrow(
        f"""INSERT INTO monitoring_enrollments (id, owner_kind, owner_id, officer_id, created_by)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT (owner_kind, owner_id, officer_id) DO NOTHING
            RETURNING {_ENR}""",
        enrollment_id, owner_kind, owner_id, officer_id, created_by,
    )
    if row is not None:
        return row_to(EnrollmentRow, row), True
    existing = await conn.fetchrow(
        f"SELECT {_ENR} FROM monitoring_enrollments WHERE owner_kind = $1 AND owner_id = $2 AND officer_id = $3",
        owner_kind, owner_id, officer_id,
    )
    assert existing is not None
    return row_to(EnrollmentRow, existing), False


async def enrolled_officer_ids(conn: Conn, owner_kind: str, owner_id: str, officer_ids: Sequence[str]) -> set[str]:
    rows = await conn.fetch(
        "SELECT officer_id FROM monitoring_enrollments WHERE owner_kind = $1 AND owner_id = $2"
        " AND officer_id = ANY($3::text[])",
        owner_kind, owner_id, list(officer_ids),
    )
    return {r["officer_id"] for r in rows}


async def remove_enrollment(conn: asyncpg.Connection, owner_kind: str, owner_id: str, officer_id: str) -> bool:
    """Stop monitoring an officer; deliveries of its notices not yet made are cancelled."""
    enrollment_id = await conn.fetchval(
        "DELETE FROM monitoring_enrollments WHERE owner_kind = $1 AND owner_id = $2 AND officer_id = $3"
        " RETURNING id",
        owner_kind, owner_id, officer_id,
    )
    if enrollment_id is None:
        return False
    await conn.execute(
        """UPDATE webhook_outbox SET state = 'CANCELLED', last_error = 'enrollment removed'
           WHERE state = 'PENDING' AND owner_kind = $1 AND owner_id = $2
             AND notice_id IN (SELECT id FROM monitoring_notices WHERE owner_kind = $1 AND owner_id = $2
                               AND officer_id = $3)""",
        owner_kind, owner_id, officer_id,
    )
    return True


async def enrollments_page(conn: Conn, owner_kind: str, owner_id: str, *, after: str | None,
                           limit: int) -> list[EnrollmentRow]:
    rows = await conn.fetch(
        f"""SELECT {_ENR} FROM monitoring_enrollments WHERE owner_kind = $1 AND owner_id = $2
            AND ($3::text IS NULL OR id > $3) ORDER BY id LIMIT $4""",
        owner_kind, owner_id, after, limit,
    )
    return [row_to(EnrollmentRow, r) for r in rows]


async def count_enrollments(conn: Conn, owner_kind: str, owner_id: str) -> int:
    n: int = await conn.fetchval(
        "SELECT count(*) FROM monitoring_enrollments WHERE owner_kind = $1 AND owner_id = $2", owner_kind, owner_id)
    return n


async def enrollments_of_officer(conn: Conn, officer_id: str) -> list[EnrollmentRow]:
    rows = await conn.fetch(
        f"SELECT {_ENR} FROM monitoring_enrollments WHERE officer_id = $1 ORDER BY id", officer_id)
    return [row_to(EnrollmentRow, r) for r in rows]


async def enrolled_officers(conn: Conn, officer_ids: Sequence[str]) -> set[str]:
    """Which of these officers have at least one monitoring enrollment."""
    rows = await conn.fetch(
        "SELECT DISTINCT officer_id FROM monitoring_enrollments WHERE officer_id = ANY($1::text[])", list(officer_ids))
    return {r["officer_id"] for r in rows}


# --- endpoints ------------------------------------------------------------------------------
async def add_endpoint(conn: Conn, row: EndpointRow) -> None:
    await conn.execute(
        """INSERT INTO webhook_endpoints (id, owner_kind, owner_id, url, scheme, secret, description, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        row.id, row.owner_kind, row.owner_id, row.url, row.scheme, row.secret, row.description, row.created_by,
    )


async def endpoints_of(conn: Conn, owner_kind: str, owner_id: str, *, active_only: bool = False) -> list[EndpointRow]:
    rows = await conn.fetch(
        f"""SELECT {_END} FROM webhook_endpoints WHERE owner_kind = $1 AND owner_id = $2
            AND (NOT $3 OR disabled_at IS NULL) ORDER BY created_at, id""",
        owner_kind, owner_id, active_only,
    )
    return [row_to(EndpointRow, r) for r in rows]


async def endpoint(conn: Conn, owner_kind: str, owner_id: str, endpoint_id: str) -> EndpointRow | None:
    row = await conn.fetchrow(
        f"SELECT {_END} FROM webhook_endpoints WHERE id = $1 AND owner_kind = $2 AND owner_id = $3",
        endpoint_id, owner_kind, owner_id,
    )
    return None if row is None else row_to(EndpointRow, row)


async def disable_endpoint(conn: Conn, endpoint_id: str, reason: str) -> None:
    """No further deliveries: the endpoint is kept (its delivery history stays readable)."""
    await conn.execute(
        "UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $2 WHERE id = $1 AND disabled_at IS NULL",
        endpoint_id, reason,
    )
    await conn.execute(
        "UPDATE webhook_outbox SET state = 'CANCELLED', last_error = $2 WHERE endpoint_id = $1 AND state = 'PENDING'",
        endpoint_id, f"endpoint disabled: {reason}",
    )


# --- notices --------------------------------------------------------------------------------
NOTICE_LOCK = 0x0FF1CE15  # serializes notice-writing transactions so ids follow commit order


async def lock_notices(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", NOTICE_LOCK)


async def add_notice(conn: asyncpg.Connection, public_id: str, owner_kind: str, owner_id: str,
                     enrollment_id: str | None, officer_id: str, type_: str, payload: dict[str, Any],
                     occurred_at: datetime) -> int:
    notice_id: int = await conn.fetchval(
        """INSERT INTO monitoring_notices (public_id, owner_kind, owner_id, enrollment_id, officer_id, type, payload,
                                          occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
        public_id, owner_kind, owner_id, enrollment_id, officer_id, type_, payload, occurred_at,
    )
    return notice_id


async def notices_about_record(conn: Conn, record_id: str) -> list[NoticeRow]:
    """Every stored notice, of any enrollee, that carries this record."""
    rows = await conn.fetch(
        f"SELECT {_NOT} FROM monitoring_notices WHERE (payload -> 'record' ->> 'id') = $1 ORDER BY id", record_id)
    return [row_to(NoticeRow, r) for r in rows]


async def set_notice_payload(conn: asyncpg.Connection, notice_id: int, payload: dict[str, Any]) -> None:
    await conn.execute("UPDATE monitoring_notices SET payload = $2 WHERE id = $1", notice_id, payload)


async def notices_after(conn: Conn, owner_kind: str, owner_id: str, after: int | None, limit: int) -> list[NoticeRow]:
    rows = await conn.fetch(
        f"""SELECT {_NOT} FROM monitoring_notices WHERE owner_kind = $1 AND owner_id = $2
            AND ($3::bigint IS NULL OR id > $3) ORDER BY id LIMIT $4""",
        owner_kind, owner_id, after, limit,
    )
    return [row_to(NoticeRow, r) for r in rows]


async def last_notice_id(conn: Conn, owner_kind: str, owner_id: str) -> int:
    n: int = await conn.fetchval(
        "SELECT coalesce(max(id), 0) FROM monitoring_notices WHERE owner_kind = $1 AND owner_id = $2",
        owner_kind, owner_id,
    )
    return n


async def notify(conn: asyncpg.Connection, channel: str, payload: str) -> None:
    """Delivered to listeners when (and only if) the transaction commits."""
    await conn.execute("SELECT pg_notify($1, $2)", channel, payload)


# --- lookups the hooks and the roster need ---------------------------------------------------
_CERT = ", ".join(CertificationRow.__dataclass_fields__)


async def certification(conn: Conn, cert_id: str) -> CertificationRow | None:
    row = await conn.fetchrow(f"SELECT {_CERT} FROM certifications WHERE id = $1", cert_id)
    return None if row is None else row_to(CertificationRow, row)


async def officers_by_certifications(conn: Conn, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """(state, upper(number)) -> the officers holding a certification with that number in that state."""
    if not pairs:
        return {}
    rows = await conn.fetch(
        """SELECT DISTINCT c.state, upper(c.number) AS number, c.officer_id
           FROM certifications c JOIN unnest($1::text[], $2::text[]) AS q(state, number)
             ON c.state = q.state AND upper(c.number) = q.number""",
        [p[0] for p in pairs], [p[1] for p in pairs],
    )
    found: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        found.setdefault((r["state"], r["number"]), set()).add(r["officer_id"])
    return found
