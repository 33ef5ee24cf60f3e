"""Agencies' crisis-response programs (EO 13929 Sec. 4(b)), as their signed events left them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from store.models import fetch_grouped, row_to


@dataclass(frozen=True, slots=True)
class ProgramRow:
    id: str
    publisher_id: str
    source_id: str
    agency_ori: str
    kind: str
    partner_type: str
    start_date: date
    end_date: date | None
    end_reason: str | None
    log_index: int
    updated_at: datetime

    def runs_during(self, start: date, end: date) -> bool:
        """Running on at least one day from ``start`` to ``end`` (inclusive)."""
        return self.start_date <= end and (self.end_date is None or self.end_date >= start)


_SELECT = """SELECT p.id, p.publisher_id, p.source_id, p.agency_ori, p.kind, p.partner_type, p.start_date,
                    p.end_date, p.end_reason, e.log_index, p.updated_at
               FROM agency_programs p JOIN events e ON e.id = p.event_pk"""


async def by_source(conn: asyncpg.Connection, publisher_id: str, source_id: str) -> ProgramRow | None:
    row = await conn.fetchrow(f"{_SELECT} WHERE p.publisher_id = $1 AND p.source_id = $2 FOR UPDATE OF p",
                              publisher_id, source_id)
    return None if row is None else row_to(ProgramRow, row)


async def by_agency_oris(conn: asyncpg.Connection | asyncpg.Pool, oris: Sequence[str]) -> list[list[ProgramRow]]:
    sql = f"{_SELECT} WHERE p.agency_ori = ANY($1::text[]) ORDER BY p.agency_ori, p.start_date, p.id"
    return await fetch_grouped(conn, ProgramRow, sql, oris, key="agency_ori")


async def insert(conn: asyncpg.Connection, *, id: str, publisher_id: str, source_id: str, agency_ori: str, kind: str,
                 partner_type: str, start_date: date, end_date: date | None, event_pk: int) -> None:
    await conn.execute(
        """INSERT INTO agency_programs (id, publisher_id, source_id, agency_ori, kind, partner_type, start_date,
                                        end_date, event_pk) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        id, publisher_id, source_id, agency_ori, kind, partner_type, start_date, end_date, event_pk)


async def end(conn: asyncpg.Connection, program_id: str, end_date: date, reason: str | None, event_pk: int) -> None:
    await conn.execute(
        "UPDATE agency_programs SET end_date = $2, end_reason = $3, ended_pk = $4, updated_at = now() WHERE id = $1",
        program_id, end_date, reason, event_pk)
