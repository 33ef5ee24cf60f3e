"""Stored notifications to the subject of a record (the officer)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from store.models import fetch_grouped


@dataclass(frozen=True, slots=True)
class NotificationRow:
    id: int
    officer_id: str
    record_id: str | None
    kind: str
    message: str
    created_at: datetime


async def add(conn: asyncpg.Connection, officer_id: str, record_id: str | None, kind: str, message: str) -> None:
    await conn.execute(
        "INSERT INTO notifications (officer_id, record_id, kind, message) VALUES ($1, $2, $3, $4)",
        officer_id, record_id, kind, message,
    )


async def add_many(conn: asyncpg.Connection, rows: Sequence[tuple[str, str | None, str, str]]) -> None:
    """Notifications (officer, record, kind, message) in one statement, in the order given."""
    await conn.execute(
        """INSERT INTO notifications (officer_id, record_id, kind, message)
           SELECT o, r, k, m FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
                             WITH ORDINALITY AS s(o, r, k, m, n) ORDER BY n""",
        *(list(col) for col in zip(*rows, strict=True)),
    )


async def by_officer_ids(
    conn: asyncpg.Connection | asyncpg.Pool, officer_ids: Sequence[str]
) -> list[list[NotificationRow]]:
    return await fetch_grouped(
        conn, NotificationRow,
        "SELECT id, officer_id, record_id, kind, message, created_at FROM notifications"
        " WHERE officer_id = ANY($1::text[]) ORDER BY officer_id, id DESC",
        officer_ids,
    )
