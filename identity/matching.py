"""Identity matching against the registry: candidates from stored blocking keys, ranked by the scorer.

The one module of ``identity`` that reads the store. Blocking keys are stored at write time; a lookup
finds the officers sharing any key, and ``identity.score`` ranks them with reasons. Publishing links
to an existing officer only when exactly one candidate is a *strong* match (``strong_match``); anything
weaker registers a new officer rather than merging. Search (``rank``) uses the same candidates and
scorer. Callers describe the person as a ``Person`` (names and birth date), whatever their own
format, so that identity depends on nobody's payloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from identity.normalize import NameParts, normalize_token
from identity.phonetic import blocking_keys, query_keys
from identity.score import Candidate, Match, Query, score
from identity.score import rank as rank_candidates
from registry.errors import Conflict
from store import certifications, officers
from store.models import NameRow, OfficerRow

CANDIDATE_LIMIT = 300


@dataclass(frozen=True)
class Person:
    """Who an event or a search is about: every name it gives (the primary name first) and the birth date.

    ``primary`` is the name the person goes by, when one is given; only it counts for the
    publisher's exact-name rule in ``strong_match``.
    """

    names: Sequence[NameParts]
    dob: date | None
    primary: NameParts | None = None


@dataclass(frozen=True)
class SearchHit:
    """One search answer: the officer, a score in [0, 1], the reasons in words, and whether it is strong."""

    officer_id: str
    score: float
    reasons: list[str]
    strong: bool


def name_key(given: str, middle: str | None, family: str) -> str:
    """The comparable form of a full name (case, accents and punctuation folded)."""
    return normalize_token(" ".join(p for p in (given, middle or "", family) if p))


def row_parts(name: NameRow) -> NameParts:
    return NameParts(given=name.given_name, middle=name.middle_name or "", family=name.family_name,
                     suffix=name.suffix or "")


def keys_for(person: Person) -> list[str]:
    """The blocking keys stored for a person, so that later lookups find it."""
    return sorted(blocking_keys(list(person.names), person.dob)) if person.names else []


async def _candidates(conn: Any, rows: Sequence[OfficerRow | None]) -> list[Candidate]:
    present = [r for r in rows if r is not None]
    certs = await certifications.by_officer_ids(conn, [r.id for r in present])
    ssns = await officers.ssn_indexes(conn, [r.id for r in present])  # a documented signal: it is compared
    out = []
    for row, cs in zip(present, certs, strict=True):
        primary_first = sorted(row.names, key=lambda n: n.kind != "PRIMARY")
        out.append(
            Candidate(
                officer_id=row.id,
                names=[row_parts(n) for n in primary_first],
                dob=row.date_of_birth,
                cert_numbers=frozenset((c.state, c.number.upper()) for c in cs),
                ssn_index=ssns.get(row.id),
            )
        )
    return out


async def _ranked(conn: Any, query: Query, dob: date | None, seed: Sequence[str]) -> list[Match]:
    keys = sorted(query_keys(list(query.names), dob))
    ids = await officers.ids_by_blocking_keys(conn, keys, limit=CANDIDATE_LIMIT)
    # the same SSN finds the person whatever the names say (a new surname, another spelling)
    same_ssn = await officers.ids_by_ssn_index(conn, query.ssn_index) if query.ssn_index is not None else []
    rows = await officers.by_ids(conn, list(dict.fromkeys([*seed, *same_ssn, *ids])))
    return rank_candidates(query, await _candidates(conn, rows))


async def check_consistent(conn: Any, officer_id: str, person: Person, conflict: str, *, detail: bool = True) -> None:
    """Refuse to attach an event to an officer whose identity it contradicts.

    ``detail`` says which field differs; without it (a caller that may not read the officer) the refusal
    names no field, so that it tells no more than "this is not that person".
    """
    row = (await officers.by_ids(conn, [officer_id]))[0]
    if row is None:
        return
    if person.dob is not None and row.date_of_birth is not None and person.dob != row.date_of_birth:
        raise Conflict(f"{conflict}: the date of birth differs from the one on file" if detail else conflict)
    if person.names and row.names:
        candidate = (await _candidates(conn, [row]))[0]
        verdict = score(Query(names=list(person.names), dob=person.dob), candidate)
        if any("given name" in c or "surname" in c for c in verdict.conflicts) and verdict.score < 0.5:
            raise Conflict(f"{conflict}: the name does not match the one on file" if detail else conflict)


async def strong_match(
    conn: asyncpg.Connection, person: Person, ssn_index: bytes | None, cert: tuple[str, str] | None,
    publisher_id: str | None = None, near: list[tuple[str, float, list[str]]] | None = None,
    holders: Sequence[str] | None = None,
) -> str | None:
    """The one existing officer this person certainly is, else None (``holders``: the officers holding
    ``cert``, when the caller has already looked them up).

    Strong means: the same certification number, or exactly one candidate the scorer calls strong, or
    (within the publisher's own jurisdiction, where it already published about the person) exactly
    one candidate with the same full name and date of birth and no contradiction. When nothing is
    strong, the ranked near misses are appended to ``near`` (for the review queue).
    """
    near = [] if near is None else near
    if cert is not None:
        found = list(holders) if holders is not None else await officers.ids_by_certification(conn, *cert)
        if len(found) == 1:
            await check_consistent(conn, found[0], person,
                                   f"{cert[0]} certification number {cert[1]} belongs to a different person")
            return found[0]
    if not person.names:
        return None
    query = Query(
        names=list(person.names),
        dob=person.dob,
        ssn_index=ssn_index,
        state=cert[0] if cert else None,
        cert_number=cert[1] if cert else None,
    )
    ranked = await _ranked(conn, query, person.dob, [])
    strong = [m for m in ranked if m.strong]
    if len(strong) == 1:
        return strong[0].officer_id
    if not strong and publisher_id is not None and person.dob is not None:
        known = await _known_to_publisher(conn, person, ranked, publisher_id)
        if known is not None:
            return known
    near.extend((m.officer_id, float(m.score), [*m.reasons, *(f"but {c}" for c in m.conflicts)]) for m in ranked)
    return None


async def _known_to_publisher(conn: Any, person: Person, ranked: list[Match], publisher_id: str) -> str | None:
    assert person.primary is not None
    wanted = name_key(person.primary.given, person.primary.middle, person.primary.family)
    clean = [m.officer_id for m in ranked if not m.conflicts]
    rows = [r for r in await officers.by_ids(conn, clean) if r is not None]
    exact = [r.id for r in rows if r.date_of_birth == person.dob and publisher_id in r.publisher_ids
             and wanted in {name_key(n.given_name, n.middle_name, n.family_name) for n in r.names}]
    return exact[0] if len(exact) == 1 else None


async def rank(
    pool: Any,
    person: Person,
    seeded: Sequence[str],
    *,
    limit: int,
    state: str | None = None,
    cert_number: str | None = None,
) -> list[SearchHit]:
    """Search candidates for a person, best first, each with a score and the reasons."""
    query = Query(names=list(person.names), dob=person.dob, state=state, cert_number=cert_number)
    ranked = await _ranked(pool, query, person.dob, seeded)
    out = [
        SearchHit(m.officer_id, round(m.score, 4), [*m.reasons, *(f"but {c}" for c in m.conflicts)], m.strong)
        for m in ranked
    ]
    return out[:limit]
