"""State certifications (including training credentials)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from store.models import CertificationRow, fetch_grouped, row_to

_COLS = ", ".join(CertificationRow.__dataclass_fields__)
# An officer's certifications in this order wherever they are read (also store.officer_tree).
ORDER = "officer_id, id"


async def by_officer_ids(
    conn: asyncpg.Connection | asyncpg.Pool, officer_ids: Sequence[str]
) -> list[list[CertificationRow]]:
    return await fetch_grouped(
        conn, CertificationRow,
        f"SELECT {_COLS} FROM certifications WHERE officer_id = ANY($1::text[]) ORDER BY {ORDER}", officer_ids,
    )


async def by_number(
    conn: asyncpg.Connection | asyncpg.Pool, state: str, number: str
) -> list[CertificationRow]:
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM certifications WHERE state = $1 AND upper(number) = upper($2) ORDER BY id",
        state, number,
    )
    return [row_to(CertificationRow, r) for r in rows]


async def by_source(conn: asyncpg.Connection, publisher_id: str, source_id: str) -> CertificationRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLS} FROM certifications WHERE publisher_id = $1 AND source_id = $2 FOR UPDATE",
        publisher_id, source_id,
    )
    return None if row is None else row_to(CertificationRow, row)


async def by_sources(conn: asyncpg.Connection, publisher_id: str, source_ids: Sequence[str]
                     ) -> dict[str, CertificationRow]:
    """A publisher's certifications among ``source_ids``, locked as ``by_source`` locks one (absent ones left out)."""
    rows = await conn.fetch(
        f"SELECT {_COLS} FROM certifications WHERE publisher_id = $1 AND source_id = ANY($2::text[]) FOR UPDATE",
        publisher_id, list(source_ids),
    )
    return {r["source_id"]: row_to(CertificationRow, r) for r in rows}


@dataclass(frozen=True, slots=True)
class Step:
    """One status a certification had from ``effective_on`` (``certification_status_history``)."""

    status: str
    effective_on: date
    completed_on: date
    current_through: date | None


async def insert(conn: asyncpg.Connection, row: CertificationRow, first: Step) -> None:
    await conn.execute(
        """INSERT INTO certifications (id, officer_id, publisher_id, source_id, state, number, kind, status,
                                       issued_on, expires_on, status_reason, refresher_months)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)""",
        row.id, row.officer_id, row.publisher_id, row.source_id, row.state, row.number, row.kind,
        row.status, row.issued_on, row.expires_on, row.status_reason, row.refresher_months,
    )
    await _add_step(conn, row.id, first)


async def insert_many(conn: asyncpg.Connection, rows: Sequence[tuple[CertificationRow, Step]]) -> None:
    """New certifications and their first step, one statement each (the set-based publishing path): the same rows
    as ``insert`` (a new certification's first step is step 1)."""
    await conn.execute(
        """INSERT INTO certifications (id, officer_id, publisher_id, source_id, state, number, kind, status,
                                       issued_on, expires_on, status_reason, refresher_months)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                $7::certification_kind[], $8::certification_status[], $9::date[], $10::date[],
                                $11::text[], $12::int[])""",
        *(list(col) for col in zip(*((r.id, r.officer_id, r.publisher_id, r.source_id, r.state, r.number, r.kind,
                                      r.status, r.issued_on, r.expires_on, r.status_reason, r.refresher_months)
                                     for r, _ in rows), strict=True)),
    )
    await conn.execute(
        """INSERT INTO certification_status_history (certification_id, step, status, effective_on, completed_on,
                                                     current_through)
           SELECT id, 1, status, effective_on, completed_on, current_through
             FROM unnest($1::text[], $2::certification_status[], $3::date[], $4::date[], $5::date[])
                  AS s(id, status, effective_on, completed_on, current_through)""",
        *(list(col) for col in zip(*((r.id, st.status, st.effective_on, st.completed_on, st.current_through)
                                     for r, st in rows), strict=True)),
    )


async def set_status(conn: asyncpg.Connection, cert_id: str, status: str, reason: str | None,
                     expires_on: date | None, step: Step) -> None:
    await conn.execute(
        """UPDATE certifications SET status = $2, status_reason = $3,
                  expires_on = coalesce($4, expires_on), updated_at = now() WHERE id = $1""",
        cert_id, status, reason, expires_on,
    )
    await _add_step(conn, cert_id, step)


async def last_step(conn: asyncpg.Connection, cert_id: str) -> Step | None:
    row = await conn.fetchrow(
        """SELECT status::text AS status, effective_on, completed_on, current_through
             FROM certification_status_history WHERE certification_id = $1 ORDER BY step DESC LIMIT 1""", cert_id)
    return None if row is None else row_to(Step, row)


async def last_steps(conn: asyncpg.Connection, cert_ids: Sequence[str]) -> dict[str, Step]:
    """``last_step`` of several certifications in one query (those without a step left out)."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (certification_id) certification_id, status::text AS status, effective_on, completed_on,
                  current_through
             FROM certification_status_history WHERE certification_id = ANY($1::text[])
            ORDER BY certification_id, step DESC""", list(cert_ids))
    return {r["certification_id"]: Step(r["status"], r["effective_on"], r["completed_on"], r["current_through"])
            for r in rows}


async def set_status_many(conn: asyncpg.Connection,
                          changes: Sequence[tuple[str, str, str | None, date | None, Step]]) -> None:
    """(certification ID, status, reason, expires on, step) for several certifications, each at most once, in two
    statements (the set-based publishing path): the same change and step as ``set_status``."""
    await conn.execute(
        """UPDATE certifications c SET status = x.status, status_reason = x.reason,
                  expires_on = coalesce(x.expires_on, c.expires_on), updated_at = now()
             FROM unnest($1::text[], $2::certification_status[], $3::text[], $4::date[])
                  AS x(id, status, reason, expires_on)
            WHERE c.id = x.id""",
        *(list(col) for col in zip(*((c[0], c[1], c[2], c[3]) for c in changes), strict=True)),
    )
    await conn.execute(
        """INSERT INTO certification_status_history (certification_id, step, status, effective_on, completed_on,
                                                     current_through)
           SELECT x.id, coalesce((SELECT max(h.step) FROM certification_status_history h
                                   WHERE h.certification_id = x.id), 0) + 1,
                  x.status, x.effective_on, x.completed_on, x.current_through
             FROM unnest($1::text[], $2::certification_status[], $3::date[], $4::date[], $5::date[])
                  AS x(id, status, effective_on, completed_on, current_through)""",
        *(list(col) for col in zip(*((c[0], st.status, st.effective_on, st.completed_on, st.current_through)
                                     for *c, st in changes), strict=True)),
    )


async def _add_step(conn: asyncpg.Connection, cert_id: str, step: Step) -> None:
    await conn.execute(
        """INSERT INTO certification_status_history (certification_id, step, status, effective_on, completed_on,
                                                     current_through)
           SELECT $1, coalesce(max(step), 0) + 1, $2, $3, $4, $5
             FROM certification_status_history WHERE certification_id = $1""",
        cert_id, step.status, step.effective_on, step.completed_on, step.current_through,
    )
