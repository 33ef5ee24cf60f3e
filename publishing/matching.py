"""Identity matching for publishing and search; the scoring lives in the identity package."""

from __future__ import annotations

from typing import Any

import asyncpg

from publishing.payloads import Subject
from store import officers


def keys_for_subject(subject: Subject) -> list[str]:
    from publishing.subjects import normalized_name

    keys: list[str] = []
    names = ([subject.name] if subject.name else []) + list(subject.aliases) + list(subject.formerNames)
    for name in names:
        norm = normalized_name(name)
        keys.append("n:" + norm)
        if subject.dateOfBirth is not None:
            keys.append(f"nd:{norm}:{subject.dateOfBirth.isoformat()}")
    return keys


async def strong_match(
    conn: asyncpg.Connection, subject: Subject, ssn_index: bytes | None, cert: tuple[str, str] | None
) -> str | None:
    """The one existing officer this subject certainly is, else None."""
    if cert is not None:
        found = await officers.ids_by_certification(conn, *cert)
        if len(found) == 1:
            return found[0]
    if subject.name is None or subject.dateOfBirth is None:
        return None
    keys = [k for k in keys_for_subject(subject) if k.startswith("nd:")]
    found = await officers.ids_by_blocking_keys(conn, keys, limit=2)
    return found[0] if len(found) == 1 else None


async def rank(pool: Any, subject: Subject, seeded: dict[str, Any], *, limit: int) -> list[Any]:
    """Candidates sharing a blocking key with the subject, best first, with reasons."""
    from resolvers.search import Match

    keys = keys_for_subject(subject)
    ids = await officers.ids_by_blocking_keys(pool, keys, limit=200)
    rows = await officers.by_ids(pool, list(dict.fromkeys([*seeded, *ids])))
    out: dict[str, Match] = dict(seeded)
    from publishing.subjects import normalized_name

    wanted = normalized_name(subject.name) if subject.name else ""
    for row in rows:
        if row is None:
            continue
        reasons: list[str] = list(out[row.id].reasons) if row.id in out else []
        score = 0.0
        names = {normalized_name(n) for n in row.names}
        if wanted in names:
            score += 0.6
            reasons.append("full name matches")
        if subject.dateOfBirth is not None and row.date_of_birth == subject.dateOfBirth:
            score += 0.4
            reasons.append("date of birth matches")
        prior = out.get(row.id)
        if prior is not None:
            score = max(score, prior.score)
        out[row.id] = Match(row.id, round(min(score, 1.0), 4), reasons, score >= 1.0)
    return sorted(out.values(), key=lambda m: (-m.score, m.officer_id))[:limit]
