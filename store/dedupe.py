"""What the registry-wide duplicate sweep (``identity.dedupe``) reads and writes: every officer at once, and the
link proposals it files.

The sweep reads every officer not merged away, with all its names, birth date, SSN blind index and certification
numbers, in one consistent snapshot (a read-only repeatable-read transaction, streamed by a cursor so that a
registry of a million officers is never one result set in the server's memory). It files proposals in one
statement that skips a pair already proposed in either direction, whatever that proposal's status, and a pair of
which either officer was merged meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

__all__ = ["DedupeOfficer", "NewProposal", "add_proposals", "existing_proposals", "officers_for_dedupe"]


@dataclass(frozen=True, slots=True)
class DedupeOfficer:
    """One officer as the sweep compares it. ``names`` are (kind, given, middle, family), primary first."""

    id: str
    date_of_birth: date | None
    ssn_blind_index: bytes | None
    created_at: datetime
    created_by: str | None
    names: tuple[tuple[str, str, str | None, str], ...]
    certifications: tuple[tuple[str, str], ...]  # (state, number), numbers as published
    publisher_ids: tuple[str, ...]  # publishers with the officer in their jurisdiction, sorted


@dataclass(frozen=True, slots=True)
class NewProposal:
    officer_id: str  # the newer of the two officers (the one a confirmation merges away)
    candidate_id: str  # the older one, which survives a merge
    score: float
    reasons: list[str]
    proposed_by: str


_OFFICERS = """
SELECT o.id, o.date_of_birth, o.ssn_blind_index, o.created_at, o.created_by,
       ARRAY(SELECT n.kind::text FROM officer_names n WHERE n.officer_id = o.id ORDER BY n.kind, n.id) AS kinds,
       ARRAY(SELECT n.given_name FROM officer_names n WHERE n.officer_id = o.id ORDER BY n.kind, n.id) AS given,
       ARRAY(SELECT n.middle_name FROM officer_names n WHERE n.officer_id = o.id ORDER BY n.kind, n.id) AS middle,
       ARRAY(SELECT n.family_name FROM officer_names n WHERE n.officer_id = o.id ORDER BY n.kind, n.id) AS family,
       ARRAY(SELECT c.state || ' ' || c.number FROM certifications c WHERE c.officer_id = o.id
             ORDER BY c.state, c.number) AS certs,
       ARRAY(SELECT publisher_id FROM certifications c WHERE c.officer_id = o.id
             UNION SELECT publisher_id FROM employment e WHERE e.officer_id = o.id
             UNION SELECT publisher_id FROM misconduct_records r WHERE r.officer_id = o.id
             ORDER BY 1) AS publisher_ids
FROM officers o
WHERE o.merged_into IS NULL
ORDER BY o.id
"""


def _officer(row: asyncpg.Record) -> DedupeOfficer:
    names = tuple(zip(row["kinds"], row["given"], row["middle"], row["family"], strict=True))
    certs = tuple((state, number) for state, number in (c.split(" ", 1) for c in row["certs"]))
    ssn = row["ssn_blind_index"]
    return DedupeOfficer(
        id=row["id"], date_of_birth=row["date_of_birth"], ssn_blind_index=bytes(ssn) if ssn is not None else None,
        created_at=row["created_at"], created_by=row["created_by"], names=names,
        certifications=certs,
        publisher_ids=tuple(row["publisher_ids"]),
    )


async def officers_for_dedupe(
    conn: asyncpg.Connection, *, batch: int = 5000, progress: Callable[[int], None] | None = None
) -> list[DedupeOfficer]:
    """Every officer not merged into another, by ID, from one snapshot; ``progress`` is told the count so far."""
    out: list[DedupeOfficer] = []
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for row in conn.cursor(_OFFICERS, prefetch=batch):
            out.append(_officer(row))
            if progress is not None and len(out) % batch == 0:
                progress(len(out))
    if progress is not None:
        progress(len(out))
    return out


async def existing_proposals(
    conn: asyncpg.Connection, pairs: Sequence[tuple[str, str]]
) -> dict[frozenset[str], str]:
    """The status of any proposal already on file for each of these pairs, in either direction."""
    if not pairs:
        return {}
    # one join per direction, each on the (officer_id, candidate_id) unique index
    rows = await conn.fetch(
        """SELECT p.officer_id, p.candidate_id, p.status::text AS status
           FROM unnest($1::text[], $2::text[]) AS q(a, b)
           JOIN link_proposals p ON p.officer_id = q.a AND p.candidate_id = q.b
           UNION ALL
           SELECT p.officer_id, p.candidate_id, p.status::text AS status
           FROM unnest($1::text[], $2::text[]) AS q(a, b)
           JOIN link_proposals p ON p.officer_id = q.b AND p.candidate_id = q.a""",
        [a for a, _ in pairs], [b for _, b in pairs],
    )
    found: dict[frozenset[str], str] = {}
    for r in rows:
        key = frozenset((r["officer_id"], r["candidate_id"]))
        # a pair proposed both ways: a decided one says more than a pending one
        if key not in found or found[key] == "PENDING":
            found[key] = r["status"]
    return found


async def add_proposals(conn: asyncpg.Connection, proposals: Sequence[NewProposal]) -> list[tuple[str, str]]:
    """File these proposals as PENDING; returns the (officer_id, candidate_id) of those filed.

    A pair already proposed in either direction (whatever its status), or one of whose officers has been merged
    meanwhile, is left alone.
    """
    if not proposals:
        return []
    rows = await conn.fetch(
        """INSERT INTO link_proposals (officer_id, candidate_id, score, reasons, proposed_by)
           SELECT q.a, q.b, q.score, q.reasons::jsonb, q.by
           FROM unnest($1::text[], $2::text[], $3::real[], $4::text[], $5::text[]) AS q(a, b, score, reasons, by)
           WHERE NOT EXISTS (SELECT 1 FROM link_proposals p WHERE p.officer_id = q.a AND p.candidate_id = q.b)
             AND NOT EXISTS (SELECT 1 FROM link_proposals p WHERE p.officer_id = q.b AND p.candidate_id = q.a)
             AND NOT EXISTS (SELECT 1 FROM officers o WHERE o.id IN (q.a, q.b) AND o.merged_into IS NOT NULL)
           ON CONFLICT (officer_id, candidate_id) DO NOTHING
           RETURNING officer_id, candidate_id""",
        [p.officer_id for p in proposals], [p.candidate_id for p in proposals], [p.score for p in proposals],
        [json.dumps(p.reasons, ensure_ascii=False) for p in proposals], [p.proposed_by for p in proposals],
    )
    return [(r["officer_id"], r["candidate_id"]) for r in rows]
