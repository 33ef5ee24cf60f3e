"""Proposed identity links awaiting review, and the merge a confirmation performs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from store.models import row_to


@dataclass(frozen=True, slots=True)
class ProposalRow:
    id: int
    officer_id: str
    candidate_id: str
    score: float
    reasons: list[str]
    proposed_by: str
    status: str
    decided_by: str | None
    decision_reason: str | None
    created_at: datetime
    decided_at: datetime | None


_COLS = ", ".join(ProposalRow.__dataclass_fields__)


async def add_many(conn: asyncpg.Connection, proposals: Sequence[tuple[str, str, float, list[str]]],
                   proposed_by: str) -> None:
    """(officer, candidate, score, reasons) proposals, in their order, in one statement (one event's, or a batch's
    new people's)."""
    await conn.execute(
        """INSERT INTO link_proposals (officer_id, candidate_id, score, reasons, proposed_by)
           SELECT o, c, s, r::jsonb, $5 FROM unnest($1::text[], $2::text[], $3::real[], $4::text[]) WITH ORDINALITY
             AS p(o, c, s, r, nth)
           ORDER BY nth
           ON CONFLICT (officer_id, candidate_id) DO NOTHING""",
        [p[0] for p in proposals], [p[1] for p in proposals], [p[2] for p in proposals],
        [json.dumps(p[3]) for p in proposals], proposed_by,
    )


async def for_update(conn: asyncpg.Connection, proposal_id: int) -> ProposalRow | None:
    row = await conn.fetchrow(f"SELECT {_COLS} FROM link_proposals WHERE id = $1 FOR UPDATE", proposal_id)
    return None if row is None else row_to(ProposalRow, row)


async def decide(
    conn: asyncpg.Connection, proposal_id: int, status: str, publisher_id: str, reason: str, event_pk: int
) -> None:
    await conn.execute(
        """UPDATE link_proposals SET status = $2, decided_by = $3, decision_reason = $4, decided_event_id = $5,
                  decided_at = now() WHERE id = $1""",
        proposal_id,
        status,
        publisher_id,
        reason,
        event_pk,
    )


async def page(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    status: str | None,
    after: int | None,
    limit: int,
    publisher_id: str | None,
) -> list[ProposalRow]:
    """Proposals, oldest first; for a publisher only those touching an officer in its jurisdiction."""
    jurisdiction = """AND ($4::text IS NULL OR EXISTS (
        SELECT 1 FROM (SELECT officer_id, publisher_id FROM certifications
                       UNION ALL SELECT officer_id, publisher_id FROM employment
                       UNION ALL SELECT officer_id, publisher_id FROM misconduct_records) j
        WHERE j.publisher_id = $4 AND j.officer_id IN (p.officer_id, p.candidate_id)))"""
    rows = await conn.fetch(
        f"""SELECT {", ".join("p." + c for c in ProposalRow.__dataclass_fields__)} FROM link_proposals p
            WHERE ($1::link_proposal_status IS NULL OR p.status = $1) AND ($2::bigint IS NULL OR p.id > $2)
            {jurisdiction} ORDER BY p.id LIMIT $3""",
        status,
        after,
        limit,
        publisher_id,
    )
    return [row_to(ProposalRow, r) for r in rows]


_MOVED = ("certifications", "employment", "misconduct_records", "events", "notifications", "record_disputes")


async def merge(conn: asyncpg.Connection, merged: str, into: str) -> dict[str, Any]:
    """Move everything of ``merged`` onto ``into``; the query log stays as written (it is append-only)."""
    moved: dict[str, Any] = {}
    for table in _MOVED:
        status = await conn.execute(f"UPDATE {table} SET officer_id = $2 WHERE officer_id = $1", merged, into)
        moved[table] = int(status.split()[-1])
    await conn.execute(
        """INSERT INTO officer_names (officer_id, kind, given_name, middle_name, family_name, suffix, normalized)
           SELECT $2, CASE WHEN kind = 'PRIMARY' THEN 'ALIAS'::name_kind ELSE kind END, given_name, middle_name,
                  family_name, suffix, normalized FROM officer_names WHERE officer_id = $1
           ON CONFLICT (officer_id, kind, normalized) DO NOTHING""",
        merged,
        into,
    )
    await conn.execute(
        "DELETE FROM officer_names n WHERE n.officer_id = $1 AND n.kind = 'ALIAS' AND EXISTS (SELECT 1 FROM "
        "officer_names p WHERE p.officer_id = $1 AND p.kind = 'PRIMARY' AND p.normalized = n.normalized)",
        into,
    )
    await conn.execute("DELETE FROM officer_names WHERE officer_id = $1", merged)
    await conn.execute(
        """INSERT INTO officer_blocking_keys (key, officer_id) SELECT key, $2 FROM officer_blocking_keys
           WHERE officer_id = $1 ON CONFLICT DO NOTHING""",
        merged,
        into,
    )
    await conn.execute("DELETE FROM officer_blocking_keys WHERE officer_id = $1", merged)
    await conn.execute(
        """UPDATE officers SET date_of_birth = coalesce(officers.date_of_birth, m.date_of_birth),
                  ssn_blind_index = coalesce(officers.ssn_blind_index, m.ssn_blind_index)
           FROM officers m WHERE officers.id = $2 AND m.id = $1""",
        merged,
        into,
    )
    await conn.execute("UPDATE officers SET merged_into = $2, ssn_blind_index = NULL WHERE id = $1", merged, into)
    await conn.execute("UPDATE officers SET merged_into = $2 WHERE merged_into = $1", merged, into)
    await conn.execute(
        "UPDATE link_proposals SET status = 'REJECTED', decision_reason = 'superseded by a merge', decided_at = now()"
        " WHERE status = 'PENDING' AND (officer_id = $1 OR candidate_id = $1)",
        merged,
    )
    return moved


def ids(rows: Sequence[ProposalRow]) -> list[str]:
    return sorted({i for r in rows for i in (r.officer_id, r.candidate_id)})
