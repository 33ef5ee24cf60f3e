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


async def by_officer_ids(
    conn: asyncpg.Connection | asyncpg.Pool, officer_ids: Sequence[str]
) -> list[list[NotificationRow]]:
    return await fetch_grouped(
        conn, NotificationRow,
        "SELECT id, officer_id, record_id, kind, message, created_at FROM notifications"
        " WHERE officer_id = ANY($1::text[]) ORDER BY officer_id, id DESC",
        officer_ids,
    )
