"""Identity matching for publishing and search, on the identity package's keys and scorer.

Blocking keys are stored at write time; a lookup finds candidates sharing any key, and the
scorer ranks them with reasons. Publishing links to an existing officer only when exactly one
candidate is a *strong* match; anything weaker registers a new officer rather than merging.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

import identity
from identity.normalize import NameParts
from publishing.payloads import PersonName, Subject
from store import certifications, officers
from store.models import NameRow, OfficerRow

CANDIDATE_LIMIT = 300


def _parts(name: PersonName | NameRow) -> NameParts:
    if isinstance(name, PersonName):
        return NameParts(
            given=name.givenName, middle=name.middleName or "", family=name.familyName, suffix=name.suffix or ""
        )
    return NameParts(
        given=name.given_name, middle=name.middle_name or "", family=name.family_name, suffix=name.suffix or ""
    )


def subject_names(subject: Subject) -> list[NameParts]:
    names = ([subject.name] if subject.name else []) + list(subject.aliases) + list(subject.formerNames)
    return [_parts(n) for n in names]


def keys_for_subject(subject: Subject) -> list[str]:
    names = subject_names(subject)
    return sorted(identity.blocking_keys(names, subject.dateOfBirth)) if names else []


async def _candidates(conn: Any, rows: Sequence[OfficerRow | None]) -> list[identity.Candidate]:
    present = [r for r in rows if r is not None]
    certs = await certifications.by_officer_ids(conn, [r.id for r in present])
    out = []
    for row, cs in zip(present, certs, strict=True):
        primary_first = sorted(row.names, key=lambda n: n.kind != "PRIMARY")
        out.append(
            identity.Candidate(
                officer_id=row.id,
                names=[_parts(n) for n in primary_first],
                dob=row.date_of_birth,
                cert_numbers=frozenset((c.state, c.number.upper()) for c in cs),
            )
        )
    return out


async def _ranked(
    conn: Any, query: identity.Query, dob_keys_from: Subject, seed: Sequence[str]
) -> list[identity.Match]:
    keys = sorted(identity.query_keys(list(query.names), dob_keys_from.dateOfBirth))
    ids = await officers.ids_by_blocking_keys(conn, keys, limit=CANDIDATE_LIMIT)
    rows = await officers.by_ids(conn, list(dict.fromkeys([*seed, *ids])))
    return identity.rank(query, await _candidates(conn, rows))


async def check_consistent(conn: Any, officer_id: str, subject: Subject, conflict: str) -> None:
    """Refuse to attach an event to an officer whose identity it contradicts."""
    from registry.errors import Conflict

    row = (await officers.by_ids(conn, [officer_id]))[0]
    if row is None:
        return
    if subject.dateOfBirth is not None and row.date_of_birth is not None and subject.dateOfBirth != row.date_of_birth:
        raise Conflict(f"{conflict}: the date of birth differs from the one on file")
    names = subject_names(subject)
    if names and row.names:
        candidate = (await _candidates(conn, [row]))[0]
        verdict = identity.score(identity.Query(names=names, dob=subject.dateOfBirth), candidate)
        if any("given name" in c or "surname" in c for c in verdict.conflicts) and verdict.score < 0.5:
            raise Conflict(f"{conflict}: the name does not match the one on file")


async def strong_match(
    conn: asyncpg.Connection, subject: Subject, ssn_index: bytes | None, cert: tuple[str, str] | None,
    publisher_id: str | None = None, near: list[tuple[str, float, list[str]]] | None = None,
) -> str | None:
    """The one existing officer this subject certainly is, else None.

    Strong means: the same certification number, or exactly one candidate the scorer calls strong, or
    (within the publisher's own jurisdiction, where it already published about the person) exactly
    one candidate with the same full name and date of birth and no contradiction. When nothing is
    strong, the ranked near misses are appended to ``near`` (for the review queue).
    """
    near = [] if near is None else near
    if cert is not None:
        found = await officers.ids_by_certification(conn, *cert)
        if len(found) == 1:
            await check_consistent(conn, found[0], subject,
                                   f"{cert[0]} certification number {cert[1]} belongs to a different person")
            return found[0]
    names = subject_names(subject)
    if not names:
        return None
    query = identity.Query(
        names=names,
        dob=subject.dateOfBirth,
        ssn_index=ssn_index,
        state=cert[0] if cert else None,
        cert_number=cert[1] if cert else None,
    )
    ranked = await _ranked(conn, query, subject, [])
    strong = [m for m in ranked if m.strong]
    if len(strong) == 1:
        return strong[0].officer_id
    if not strong and publisher_id is not None and subject.dateOfBirth is not None:
        known = await _known_to_publisher(conn, subject, ranked, publisher_id)
        if known is not None:
            return known
    near.extend((m.officer_id, float(m.score), [*m.reasons, *(f"but {c}" for c in m.conflicts)]) for m in ranked)
    return None


async def _known_to_publisher(
    conn: Any, subject: Subject, ranked: list[identity.Match], publisher_id: str
) -> str | None:
    from publishing.subjects import normalized_name

    assert subject.name is not None
    wanted = normalized_name(subject.name)
    clean = [m.officer_id for m in ranked if not m.conflicts]
    rows = [r for r in await officers.by_ids(conn, clean) if r is not None]
    exact = [r.id for r in rows if r.date_of_birth == subject.dateOfBirth and publisher_id in r.publisher_ids
             and wanted in {normalized_name(n) for n in r.names}]
    return exact[0] if len(exact) == 1 else None


async def rank(
    pool: Any,
    subject: Subject,
    seeded: dict[str, Any],
    *,
    limit: int,
    state: str | None = None,
    cert_number: str | None = None,
) -> list[Any]:
    """Search candidates for a person, best first, each with a score and the reasons."""
    from resolvers.search import Match

    query = identity.Query(names=subject_names(subject), dob=subject.dateOfBirth, state=state, cert_number=cert_number)
    ranked = await _ranked(pool, query, subject, list(seeded))
    out = [
        Match(m.officer_id, round(m.score, 4), [*m.reasons, *(f"but {c}" for c in m.conflicts)], m.strong)
        for m in ranked
    ]
    return out[:limit]
