"""Identity matching against the registry: candidates from stored blocking keys, ranked by the scorer.

The one module of ``identity`` that reads the store. Blocking keys are stored at write time (``rekey``,
from every name on file); a lookup finds the officers sharing the most telling keys
(``identity.phonetic.query_key_weights``) and every officer with the same SSN blind index, and
``identity.score`` ranks them with reasons. Publishing links to an existing officer only when exactly one
candidate is a *strong* match (``decide``: that needs an SSN or certification number, never names and a
birth date alone); anything weaker registers a new officer, and the ranked candidates go to the review
queue. Search (``rank``) uses the same candidates and scorer. Callers describe the person as a ``Person``
(names and birth date), whatever their own format, so that identity depends on nobody's payloads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from identity.normalize import NameParts, normalize_token
from identity.phonetic import BLOCKING_SCHEME_VERSION, IDF_SCALE, KEY_UNITS, blocking_keys, query_key_weights
from identity.score import (
    Candidate,
    Match,
    Query,
    deferred_needed,
    rank_deferred,
    score,
    unread_by_date,
)
from identity.score import rank as rank_candidates
from registry.errors import Conflict
from store import certifications, officers
from store.models import NameRow, OfficerRow

#: Officers kept from the blocking keys (those sharing the most telling keys), plus any with the same SSN: the
#: bound on a lookup's work. At 10^6 officers a query shares some key with a few hundred (p50 259, p99 1,103),
#: and the true officer is among the first 150 by key weight for every one-error and 99.2 % of two-error
#: re-entries of the benchmark (docs/identity.md).
CANDIDATE_LIMIT = 150
REVIEW_CANDIDATES = 10  # the publish path ranks exactly this many first (the review queue takes at most five)
#: The publish path uses no candidate scoring less than this: a strong match needs an agreeing identifier, the
#: review queue takes 0.5 and up (``publishing.review.REVIEW_THRESHOLD``), the publisher's own exact-name rule
#: a candidate with no conflict. A candidate whose birth date contradicts (at most ~0.018) is never scored.
PUBLISH_FLOOR = 0.05
#: A search answer leaves out candidates scoring below this (a shared key and nothing else, or a contradicted
#: birth date: ~0.0025). On the benchmark (50,000 officers, 4,000 re-entries with one or two noises) no true
#: officer ranked in the first ten scores below it, and 96 % of the others do. Officers found by the
#: certification number given are always kept (an agreeing SSN alone scores 0.9975).
SEARCH_FLOOR = 0.01


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


def keys_now(person: Person) -> tuple[list[str], int]:
    """The blocking keys to store for a person, and the scheme they are derived under (the current one)."""
    return keys_for(person), BLOCKING_SCHEME_VERSION


async def rekey(conn: asyncpg.Connection, officer_id: str, names: Sequence[NameParts], dob: date | None) -> None:
    """Store the officer's blocking keys for ``names`` (every name on file) and ``dob``, under the current
    scheme, dropping keys of an older scheme or of names no longer on file."""
    await officers.replace_blocking_keys(conn, officer_id, *keys_now(Person(names=names, dob=dob)))


async def rekey_stale(conn: asyncpg.Connection, *, batch: int = 500, after: str = "") -> tuple[int, str | None]:
    """Re-derive the keys of up to ``batch`` officers keyed under an older scheme (IDs after ``after``).

    Returns how many were re-keyed and the last ID done (None when none was left): call again with it until
    None. Each call is one short transaction's worth of work, so a backfill can run beside live traffic.
    """
    ids = await officers.ids_keyed_before(conn, BLOCKING_SCHEME_VERSION, after, batch)
    for row in await officers.by_ids(conn, ids):
        if row is not None:
            await rekey(conn, row.id, [row_parts(n) for n in row.names], row.date_of_birth)
    return len(ids), (ids[-1] if ids else None)


def decide(ranked: Sequence[Match]) -> str | None:
    """The officer to link to automatically: the strong candidate, when exactly one is strong."""
    strong = [m for m in ranked if m.strong]
    return strong[0].officer_id if len(strong) == 1 else None


def _candidate(row: officers.MatchRow) -> Candidate:
    return Candidate(
        officer_id=row.id,
        names=[row_parts(n) for n in row.names],  # the primary name first
        dob=row.date_of_birth,
        cert_numbers=frozenset((state, number.upper()) for state, number in row.certifications),
        ssn_index=row.ssn_blind_index,  # a documented signal: it is compared
    )


@dataclass(frozen=True)
class Considered:
    """A ranking and what it was made from: the officers scored or that may be, every officer the lookup found
    (``compared``: also those ruled out by their birth date, which are not read), the blocking keys looked up, and
    how far the lookup was from its cap."""

    query: Query
    candidates: Mapping[str, Candidate]
    ranked: list[Match]
    keys: frozenset[str]
    room: int  # how many more officers the key lookup would have kept (0: capped, others shared its keys too)
    compared: frozenset[str] = frozenset()  # current officer IDs of everyone found, read or not


async def _ranked(conn: Any, query: Query, seed: Sequence[str], limit: int, floor: float, *,
                  first_only: bool = False) -> list[Match]:
    """The candidates ranked, exact for the first ``limit`` scoring at least ``floor``; the ``seed`` officers
    (found by the certification number given) always scored. ``first_only``: as ``identity.score.rank``'s (only
    those first ``limit`` are used)."""
    return (await _ranked_many(conn, [query], [seed], limit, floor, first_only=first_only))[0].ranked


async def _ranked_many(conn: Any, queries: Sequence[Query], seeds: Sequence[Sequence[str]], limit: int,
                       floor: float, *, first_only: bool = False) -> list[Considered]:
    """``_ranked`` for several queries, with the candidates of all found and read in one statement (a batch's people),
    a second reading the officers found by certification number or SSN when there are, a third the officers whose
    birth date rules them out when a ranking needs them after all.

    The key lookup reads each officer's birth date and SSN index with it, and the names only of those whose birth date
    does not rule them out (``unread_by_date``; and the certification numbers only for a query that gives one, the one
    thing they are compared with): the others (most of a large block) are read only when the ranking of the rest
    leaves room for them (``deferred_needed``), so the ranking is the one of every officer found.
    """
    weighted = [query_key_weights(list(q.names), q.dob) if q.names else {} for q in queries]
    reads = [officers.NamesRead(unread_by_date(q, limit, floor), bool(q.cert_number)) for q in queries]
    found = (await officers.key_hits_many(conn, weighted, limit=CANDIDATE_LIMIT, idf_scale=IDF_SCALE, units=KEY_UNITS,
                                          read=reads)
             if any(weighted) else [[] for _ in queries])
    by_id: list[list[str]] = []  # officers found by certification number or SSN, read whole by ID
    for q, seed in zip(queries, seeds, strict=True):
        # the same SSN finds the person whatever the names say (a new surname, another spelling)
        same_ssn = await officers.ids_by_ssn_index(conn, q.ssn_index) if q.ssn_index is not None else []
        by_id.append([*seed, *same_ssn])
    # an officer the query's keys found (and read) is read as found
    whole = await _read(conn, sorted({i for ids, hits in zip(by_id, found, strict=True)
                                      for i in set(ids) - {h.officer_id for h in hits if h.names is not None}}))
    pending: list[tuple[dict[str, Candidate], list[Match], list[str]]] = []
    for q, seed, ids, hits in zip(queries, seeds, by_id, found, strict=True):
        candidates = {c.officer_id: c for i in ids if (c := whole.get(i)) is not None}
        for h in hits:
            if h.names is not None and h.current_id not in candidates:
                candidates[h.current_id] = _candidate(
                    officers.MatchRow(h.current_id, h.date_of_birth, h.names, h.ssn_blind_index, h.certifications))
        ranked = rank_candidates(q, candidates.values(), limit=limit, floor=floor, keep=frozenset(seed),
                                 first_only=first_only)
        unread = sorted({h.current_id for h in hits if h.current_id not in candidates})
        pending.append((candidates, ranked, unread if unread and deferred_needed(q, ranked, limit, floor) else []))
    needed = sorted({i for _, _, unread in pending for i in unread})
    later = await officers.names_of(conn, needed) if needed else {}
    out: list[Considered] = []
    for q, lookup, hits, (candidates, ranked, unread) in zip(queries, weighted, found, pending, strict=True):
        if unread:
            hit = {h.current_id: h for h in hits}
            added = [_candidate(officers.MatchRow(i, hit[i].date_of_birth, later[i], hit[i].ssn_blind_index, ()))
                     for i in unread if i in later]
            candidates.update((c.officer_id, c) for c in added)
            ranked = rank_deferred(q, ranked, added, floor)
        compared = frozenset(candidates) | {h.current_id for h in hits}
        out.append(Considered(q, candidates, ranked, frozenset(lookup), max(0, CANDIDATE_LIMIT - len(hits)), compared))
    return out


async def _read(conn: Any, ids: Sequence[str]) -> dict[str, Candidate]:
    """The candidates with these IDs, by the ID asked for (a merged officer's old ID answers with its officer)."""
    rows = await officers.for_matching(conn, ids) if ids else []
    return {asked: c for r in rows for c in [_candidate(r)] for asked in r.requested}


async def check_consistent(conn: Any, officer_id: str, person: Person, conflict: str, *, detail: bool = True) -> None:
    """Refuse to attach an event to an officer whose identity it contradicts.

    ``detail`` says which field differs; without it (a caller that may not read the officer) the refusal
    names no field, so that it tells no more than "this is not that person".
    """
    await check_row_consistent(conn, (await officers.by_ids(conn, [officer_id]))[0], person, conflict, detail=detail)


async def check_row_consistent(conn: Any, row: OfficerRow | None, person: Person, conflict: str, *,
                               detail: bool = True) -> None:
    """``check_consistent`` with the officer as the caller has just read it in this transaction (None: none)."""
    if row is None:
        return
    if person.dob is not None and row.date_of_birth is not None and person.dob != row.date_of_birth:
        raise Conflict(f"{conflict}: the date of birth differs from the one on file" if detail else conflict)
    if person.names and row.names:
        candidate = (await _read(conn, [row.id]))[row.id]
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

    Strong means: the same certification number, or exactly one candidate the scorer calls strong (an
    agreeing SSN or state certification number, see ``identity.score``), or (within the publisher's own
    jurisdiction, where it already published about the person) exactly one candidate with the same full
    name and date of birth and no contradiction (a different SSN or certification number of that state
    is one). When nothing is strong, the ranked candidates are appended to ``near`` (for the review queue).
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
    ranked = await _ranked(conn, _publish_query(person, ssn_index, cert), [], REVIEW_CANDIDATES, PUBLISH_FLOOR)
    linked = decide(ranked)
    if linked is not None:
        return linked
    if not any(m.strong for m in ranked) and publisher_id is not None and person.dob is not None:
        known = await _known_to_publisher(conn, person, ranked, publisher_id, cert)
        if known is not None:
            return known
    near.extend(near_misses(ranked))
    return None


def near_misses(ranked: Sequence[Match]) -> list[tuple[str, float, list[str]]]:
    """The ranked candidates as the review queue files them: (officer, score, reasons and contradictions)."""
    return [(m.officer_id, float(m.score), _in_words(m)) for m in ranked]


def _in_words(m: Match) -> list[str]:
    """A match's reasons, then its contradictions ("but ..."), as search answers and the review queue show them."""
    return [*m.reasons, *(f"but {c}" for c in m.conflicts)]


def _publish_query(person: Person, ssn_index: bytes | None, cert: tuple[str, str] | None) -> Query:
    """What ``strong_match`` ranks candidates for. The ranking is exact down to PUBLISH_FLOOR: candidates ruled out
    by their birth date (never strong, never proposed, never "known to the publisher" with a conflict) are not
    scored at all."""
    return Query(names=list(person.names), dob=person.dob, ssn_index=ssn_index, state=cert[0] if cert else None,
                 cert_number=cert[1] if cert else None)


@dataclass(frozen=True)
class PublishView:
    """What ``strong_match`` reads about a person given with names and no SSN, before it decides: the officers
    holding the certification number given, and the ranking it decides on."""

    holders: list[str]
    considered: Considered

    def ranked_with(self, others: Sequence[Candidate]) -> list[Match] | None:
        """The ranking ``strong_match`` makes once ``others`` (officers registered since the read, each sharing a
        key with the person) are on file too: the same candidates. None when that cannot be told without reading
        again: the lookup would keep only some of them (capped, or no room for the others; the keys' weights count
        their holders, so which are kept changes)."""
        if not others:
            return self.considered.ranked
        c = self.considered
        if len(others) > c.room:
            return None
        return rank_candidates(c.query, [*c.candidates.values(), *others], limit=REVIEW_CANDIDATES,
                               floor=PUBLISH_FLOOR)


def registered_candidate(new: officers.Registration, cert: tuple[str, str] | None) -> Candidate:
    """An officer being registered (with at most the one certification number), as identity matching will read it
    back once written (``officers.for_matching``: names primary first, one per kind and normalized form)."""
    kept: dict[tuple[str, str], NameRow] = {}
    for name, normalized in new.names:
        kept.setdefault((name.kind, normalized), name)
    return _candidate(officers.MatchRow(new.officer_id, new.date_of_birth, tuple(kept.values()), new.ssn_blind_index,
                                        (cert,) if cert is not None else ()))


async def publish_views(conn: asyncpg.Connection, people: Sequence[tuple[Person, tuple[str, str] | None]],
                        ) -> list[PublishView]:
    """``PublishView`` for each (person, certification number given), read for all of them in three statements
    whatever their number: a batch's new people matched together. Each is what ``strong_match`` reads for that
    person alone, against the registry as it stands (not against each other)."""
    numbers = [cert for _, cert in people if cert is not None]
    held = iter(await officers.ids_by_certifications(conn, numbers) if numbers else [])
    holders = [next(held) if cert is not None else [] for _, cert in people]
    considered = await _ranked_many(conn, [_publish_query(p, None, cert) for p, cert in people],
                                    [[] for _ in people], REVIEW_CANDIDATES, PUBLISH_FLOOR)
    return [PublishView(h, c) for h, c in zip(holders, considered, strict=True)]


async def _known_to_publisher(conn: Any, person: Person, ranked: list[Match], publisher_id: str,
                              cert: tuple[str, str] | None) -> str | None:
    """The one officer the publisher already published about with this exact full name and birth date, and
    nothing against it: no conflicting evidence, and (for a certification) no other number of that state on
    file, even one character off: two people of one name and birth date certified by one board hold two
    numbers, often consecutive ones."""
    assert person.primary is not None
    wanted = name_key(person.primary.given, person.primary.middle, person.primary.family)
    clean = [m.officer_id for m in ranked if not m.conflicts]
    if not clean:
        return None
    rows = [r for r in await officers.by_ids(conn, clean) if r is not None]
    exact = [r for r in rows if r.date_of_birth == person.dob and publisher_id in r.publisher_ids
             and wanted in {name_key(n.given_name, n.middle_name, n.family_name) for n in r.names}]
    if cert is not None and exact:
        held = await certifications.by_officer_ids(conn, [r.id for r in exact])
        exact = [r for r, cs in zip(exact, held, strict=True)
                 if not any(c.state == cert[0] and c.number.upper() != cert[1].upper() for c in cs)]
    return exact[0].id if len(exact) == 1 else None


async def rank(
    pool: Any,
    person: Person,
    seeded: Sequence[str],
    *,
    limit: int,
    state: str | None = None,
    cert_number: str | None = None,
    ssn_index: bytes | None = None,
) -> list[SearchHit]:
    """Search candidates for a person, best first, each with a score and the reasons.

    ``ssn_index`` (a blind index, never the number) adds the officers on file with that SSN and compares
    it with each candidate's; a person may be given by it alone (no names), when only those are ranked.
    """
    query = Query(names=list(person.names), dob=person.dob, state=state, cert_number=cert_number,
                  ssn_index=ssn_index)
    ranked = await _ranked(pool, query, seeded, limit, SEARCH_FLOOR, first_only=True)
    kept = set(seeded)
    out = [
        SearchHit(m.officer_id, round(m.score, 4), _in_words(m), m.strong)
        for m in ranked
        if m.score >= SEARCH_FLOOR or m.officer_id in kept
    ]
    return out[:limit]
