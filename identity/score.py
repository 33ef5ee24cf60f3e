"""Scoring a search (or an incoming publisher subject) against one candidate officer.

Each field adds a log-odds weight, positive when it agrees and negative when it contradicts, in
the manner of Fellegi-Sunter record linkage; the sum plus a prior (``_BIAS``) goes through the
logistic function to give a score in [0, 1]. The weights are hand-tuned, not learned (there is no
labelled data yet): a matching date of birth is worth more than a matching surname because
surnames change at marriage, a contradicting given name costs a lot because twins share surname
and birth date, and an SSN or certification number outweighs names. String similarity is
rapidfuzz's Jaro-Winkler and optimal-string-alignment distance; nicknames come from
``identity.nicknames``. The ``strong`` rules (evidence enough to link records automatically) are
explicit, not a score threshold, so a pile of weak evidence can never link two people.

A candidate's first name is taken as the current name; the others as former names or aliases.
"""

from __future__ import annotations

import hmac
import math
import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from rapidfuzz.distance import OSA, JaroWinkler

from identity.nicknames import explain_nickname
from identity.normalize import NameParts, split_surname
from identity.phonetic import surname_code

__all__ = ["Candidate", "Match", "Query", "rank", "score"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """An officer as the registry holds it: current name first, then aliases and former names."""

    officer_id: str
    names: Sequence[NameParts]
    dob: date | None = None
    cert_numbers: Set[tuple[str, str]] = frozenset()  # (state, number)
    agency_oris: Set[str] = frozenset()
    ssn_index: bytes | None = None


@dataclass(frozen=True, slots=True)
class Query:
    """What the searcher knows. ``birth_year`` is for when only the year is known (no ``dob``)."""

    names: Sequence[NameParts]
    dob: date | None = None
    cert_number: str | None = None
    state: str | None = None
    ssn_index: bytes | None = None
    birth_year: int | None = None
    agency_oris: Set[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Match:
    """The outcome for one candidate: ``reasons`` for agreement, ``conflicts`` for contradictions."""

    score: float
    reasons: list[str]
    strong: bool
    conflicts: list[str] = field(default_factory=list)
    officer_id: str = ""


class _Level(Enum):
    EXACT = "exact"
    FORMER = "former"  # surname equals a former name or alias
    PART = "part"  # surname equals one part of a compound surname
    NICKNAME = "nickname"
    MIDDLE_SWAP = "middle_swap"  # goes by the middle name
    SWAPPED = "swapped"  # date of birth with day and month swapped
    TYPO = "typo"
    INITIAL = "initial"
    NEAR = "near"
    YEAR = "year"  # only the birth year to compare
    ANY_STATE = "any_state"  # certification number matches, state not given
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class _Evidence:
    level: _Level
    weight: float
    text: str


# Log-odds weights (natural log). Hand-tuned; see the module docstring.
_BIAS = -6.0
_W_GIVEN = {_Level.EXACT: 3.0, _Level.NICKNAME: 2.5, _Level.MIDDLE_SWAP: 1.5, _Level.TYPO: 1.0,
            _Level.INITIAL: 0.5}
_W_GIVEN_CONFLICT, _W_INITIAL_CONFLICT = -4.0, -2.0
_W_MIDDLE = {_Level.EXACT: 1.5, _Level.NICKNAME: 1.0, _Level.INITIAL: 0.75, _Level.TYPO: 0.75}
_W_MIDDLE_CONFLICT = -2.0
_W_SURNAME = {_Level.EXACT: 3.0, _Level.FORMER: 2.75, _Level.PART: 2.5, _Level.TYPO: 1.5}
_W_SURNAME_CONFLICT = -1.0  # mild: an unrecorded marriage changes it
_W_SUFFIX, _W_SUFFIX_CONFLICT = 0.5, -2.5  # Jr vs Sr: father and son
_W_DOB = {_Level.EXACT: 5.0, _Level.SWAPPED: 3.0, _Level.TYPO: 2.5}
_W_DOB_CONFLICT = -6.0
_W_YEAR, _W_YEAR_CONFLICT = 1.5, -4.0
_W_CERT, _W_CERT_ANY_STATE, _W_CERT_NEAR, _W_CERT_OTHER = 8.0, 6.0, 1.5, -1.5
_W_SSN, _W_SSN_CONFLICT = 12.0, -12.0
_W_AGENCY = 1.5

_GIVEN_TYPO_JW = 0.9  # John/Jhon 0.92 passes, John/Joan 0.87 does not
_SURNAME_TYPO_JW = 0.88
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


@dataclass(frozen=True, slots=True)
class _Name:
    raw: NameParts
    norm: NameParts
    former: bool


def _names(names: Sequence[NameParts], *, candidate: bool) -> list[_Name]:
    return [_Name(n, n.normalized(), candidate and i > 0) for i, n in enumerate(names)]


def _first(s: str) -> str:
    words = s.split()
    return words[0] if words else ""


def _q(s: str) -> str:
    return f"'{s.strip()}'"


def _compare_given(q: _Name, c: _Name) -> _Evidence | None:
    qf, cf = _first(q.norm.given), _first(c.norm.given)
    if not qf or not cf:
        return None
    qd, cd = _q(q.raw.given), _q(c.raw.given)
    if qf == cf:
        return _Evidence(_Level.EXACT, _W_GIVEN[_Level.EXACT], "given name matches")
    # Someone known by the middle name ("J. Robert Smith" is "Robert Smith").
    if len(qf) > 1 and qf == _first(c.norm.middle):
        return _Evidence(_Level.MIDDLE_SWAP, _W_GIVEN[_Level.MIDDLE_SWAP],
                         f"given name {qd} matches middle name {_q(c.raw.middle)}")
    if len(cf) > 1 and cf == _first(q.norm.middle):
        return _Evidence(_Level.MIDDLE_SWAP, _W_GIVEN[_Level.MIDDLE_SWAP],
                         f"middle name {_q(q.raw.middle)} matches given name {cd}")
    if len(qf) == 1 or len(cf) == 1:
        if qf[0] == cf[0]:
            return _Evidence(_Level.INITIAL, _W_GIVEN[_Level.INITIAL], f"given initial {qd} fits {cd}")
        return _Evidence(_Level.CONFLICT, _W_INITIAL_CONFLICT, f"given initial {qd} differs from {cd}")
    nick = explain_nickname(q.raw.given, c.raw.given)
    if nick is not None:
        return _Evidence(_Level.NICKNAME, _W_GIVEN[_Level.NICKNAME], nick)
    if JaroWinkler.similarity(qf, cf) >= _GIVEN_TYPO_JW:
        return _Evidence(_Level.TYPO, _W_GIVEN[_Level.TYPO], f"given name {qd} is similar to {cd}")
    return _Evidence(_Level.CONFLICT, _W_GIVEN_CONFLICT, f"given name {qd} differs from {cd}")


def _compare_middle(q: _Name, c: _Name) -> _Evidence | None:
    qm, cm = q.norm.middle.split(), c.norm.middle.split()
    if not qm or not cm:
        return None  # a missing middle name says nothing
    qd, cd = _q(q.raw.middle), _q(c.raw.middle)
    if set(qm) & set(cm):
        return _Evidence(_Level.EXACT, _W_MIDDLE[_Level.EXACT], "middle name matches")
    has_initial = any(len(t) == 1 for t in qm + cm)
    if has_initial and {t[0] for t in qm} & {t[0] for t in cm}:
        return _Evidence(_Level.INITIAL, _W_MIDDLE[_Level.INITIAL], "middle initial matches")
    nick = explain_nickname(qm[0], cm[0])
    if nick is not None:
        text = nick.replace("given name", "middle name")
        return _Evidence(_Level.NICKNAME, _W_MIDDLE[_Level.NICKNAME], text)
    if not has_initial and JaroWinkler.similarity(qm[0], cm[0]) >= _GIVEN_TYPO_JW:
        return _Evidence(_Level.TYPO, _W_MIDDLE[_Level.TYPO], f"middle name {qd} is similar to {cd}")
    return _Evidence(_Level.CONFLICT, _W_MIDDLE_CONFLICT, f"middle name {qd} differs from {cd}")


def _surname_similar(a: str, b: str) -> bool:
    jw = JaroWinkler.similarity(a, b)
    if jw >= _SURNAME_TYPO_JW:
        return True
    if jw >= 0.75 and surname_code(a) == surname_code(b):
        return True
    return min(len(a), len(b)) >= 5 and OSA.distance(a, b) <= 1


def _compare_surname(q: _Name, c: _Name) -> _Evidence | None:
    qforms, cforms = split_surname(q.norm.family), split_surname(c.norm.family)
    if not qforms or not cforms:
        return None
    qd, cd = _q(q.raw.family), _q(c.raw.family)
    of = f"former name {cd}" if c.former else cd
    if qforms[-1] == cforms[-1]:  # joined forms: "DelaCruz" equals "de la Cruz"
        if c.former:
            return _Evidence(_Level.FORMER, _W_SURNAME[_Level.FORMER], f"surname matches former name {cd}")
        return _Evidence(_Level.EXACT, _W_SURNAME[_Level.EXACT], "surname matches")
    if set(qforms) & set(cforms):
        return _Evidence(_Level.PART, _W_SURNAME[_Level.PART], f"surname {qd} matches part of {of}")
    if any(_surname_similar(a, b) for a in qforms for b in cforms):
        return _Evidence(_Level.TYPO, _W_SURNAME[_Level.TYPO], f"surname {qd} is similar to {of}")
    return _Evidence(_Level.CONFLICT, _W_SURNAME_CONFLICT, f"surname {qd} differs from {of}")


def _compare_suffix(q: _Name, c: _Name) -> _Evidence | None:
    qs, cs = q.norm.suffix, c.norm.suffix
    if not qs or not cs:
        return None

    def show(s: str) -> str:
        return f"'{s.upper() if s.startswith(('i', 'v')) else s.title()}'"

    if qs == cs:
        return _Evidence(_Level.EXACT, _W_SUFFIX, f"suffix {show(qs)} matches")
    return _Evidence(_Level.CONFLICT, _W_SUFFIX_CONFLICT, f"suffix {show(qs)} differs from {show(cs)}")


def _best(found: Iterable[_Evidence | None]) -> _Evidence | None:
    """The most favourable comparison over all pairs of names; ties keep the earlier (current) name."""
    best: _Evidence | None = None
    for ev in found:
        if ev is not None and (best is None or ev.weight > best.weight):
            best = ev
    return best


def _compare_dob(q: Query, c: Candidate) -> _Evidence | None:
    if q.dob is not None and c.dob is not None:
        if q.dob == c.dob:
            return _Evidence(_Level.EXACT, _W_DOB[_Level.EXACT], "date of birth matches")
        if q.dob.year == c.dob.year and (q.dob.month, q.dob.day) == (c.dob.day, c.dob.month):
            return _Evidence(_Level.SWAPPED, _W_DOB[_Level.SWAPPED],
                             "date of birth matches with day and month swapped")
        if OSA.distance(q.dob.strftime("%Y%m%d"), c.dob.strftime("%Y%m%d")) == 1:
            return _Evidence(_Level.TYPO, _W_DOB[_Level.TYPO],
                             "date of birth differs in one digit or two adjacent digits (likely typo)")
        return _Evidence(_Level.CONFLICT, _W_DOB_CONFLICT, "date of birth differs")
    if q.dob is None and q.birth_year is not None and c.dob is not None:
        if q.birth_year == c.dob.year:
            return _Evidence(_Level.YEAR, _W_YEAR, "birth year matches")
        return _Evidence(_Level.CONFLICT, _W_YEAR_CONFLICT, "birth year differs")
    return None


def _cert_norm(number: str) -> str:
    return _NON_ALNUM.sub("", number).upper()


def _compare_cert(q: Query, c: Candidate) -> _Evidence | None:
    if not q.cert_number or not _cert_norm(q.cert_number):
        return None
    qn, qs = _cert_norm(q.cert_number), (q.state or "").strip().upper()
    held = sorted({(s.strip().upper(), _cert_norm(n)) for s, n in c.cert_numbers})
    shown = q.cert_number.strip()
    if qs:
        if (qs, qn) in held:
            return _Evidence(_Level.EXACT, _W_CERT, f"certification {qs} {shown} matches")
    else:
        states = [s for s, n in held if n == qn]
        if states:
            return _Evidence(_Level.ANY_STATE, _W_CERT_ANY_STATE,
                             f"certification number {shown} matches ({', '.join(states)})")
    same_state = [n for s, n in held if not qs or s == qs]
    if len(qn) >= 4 and any(OSA.distance(qn, n) <= 1 for n in same_state):
        where = f"{qs} " if qs else ""
        return _Evidence(_Level.NEAR, _W_CERT_NEAR,
                         f"certification {where}{shown} nearly matches (one character differs)")
    if qs and same_state:
        return _Evidence(_Level.CONFLICT, _W_CERT_OTHER, f"holds a different {qs} certification number")
    return None


def _compare_ssn(q: Query, c: Candidate) -> _Evidence | None:
    if q.ssn_index is None or c.ssn_index is None:
        return None
    if hmac.compare_digest(q.ssn_index, c.ssn_index):
        return _Evidence(_Level.EXACT, _W_SSN, "Social Security number matches")
    return _Evidence(_Level.CONFLICT, _W_SSN_CONFLICT, "Social Security number differs")


def _compare_agencies(q: Query, c: Candidate) -> _Evidence | None:
    shared = sorted({o.strip().upper() for o in q.agency_oris} & {o.strip().upper() for o in c.agency_oris})
    if not shared:
        return None  # employment lists are incomplete: no overlap proves nothing
    return _Evidence(_Level.EXACT, _W_AGENCY, f"previously employed at agency ORI {', '.join(shared)}")


def _exact_full_name(qn: list[_Name], cn: list[_Name]) -> bool:
    """Some pair of names agrees exactly in given and surname, and both give a matching middle initial."""
    for q in qn:
        for c in cn:
            qm, cm = q.norm.middle.split(), c.norm.middle.split()
            if (q.norm.given and q.norm.given == c.norm.given
                    and q.norm.family and q.norm.family.replace(" ", "") == c.norm.family.replace(" ", "")
                    and qm and cm and qm[0][0] == cm[0][0]
                    and not (q.norm.suffix and c.norm.suffix and q.norm.suffix != c.norm.suffix)):
                return True
    return False


def _level(ev: _Evidence | None) -> _Level | None:
    return ev.level if ev is not None else None


def score(query: Query, candidate: Candidate) -> Match:
    """Score how likely ``candidate`` is the person ``query`` describes, and say why.

    ``strong`` (safe to link automatically) needs one of: the same SSN with a compatible name and no
    contradicting date of birth; the same state certification number with the exact date of birth
    and a compatible name; or the exact date of birth with the exact full name including a matching
    middle initial. A contradicting SSN, given name or suffix always rules it out.
    """
    qn, cn = _names(query.names, candidate=False), _names(candidate.names, candidate=True)
    pairs = [(q, c) for q in qn for c in cn]
    given = _best(_compare_given(q, c) for q, c in pairs)
    middle = _best(_compare_middle(q, c) for q, c in pairs)
    surname = _best(_compare_surname(q, c) for q, c in pairs)
    suffix = _best(_compare_suffix(q, c) for q, c in pairs)
    dob, cert = _compare_dob(query, candidate), _compare_cert(query, candidate)
    ssn, agencies = _compare_ssn(query, candidate), _compare_agencies(query, candidate)

    found = [e for e in (ssn, cert, dob, given, middle, surname, suffix, agencies) if e is not None]
    total = _BIAS + sum(e.weight for e in found)
    value = 1.0 / (1.0 + math.exp(-total))

    any_conflict = any(e.level is _Level.CONFLICT for e in found)
    given_conflict = _level(given) is _Level.CONFLICT
    suffix_conflict = _level(suffix) is _Level.CONFLICT
    name_agrees = (_level(given) not in (None, _Level.CONFLICT, _Level.INITIAL)
                   or _level(surname) not in (None, _Level.CONFLICT))
    name_compatible = name_agrees and not given_conflict and not suffix_conflict
    ssn_match, ssn_conflict = _level(ssn) is _Level.EXACT, _level(ssn) is _Level.CONFLICT
    dob_exact, dob_conflict = _level(dob) is _Level.EXACT, _level(dob) is _Level.CONFLICT
    cert_exact = _level(cert) is _Level.EXACT
    strong = not ssn_conflict and (
        (ssn_match and name_compatible and not dob_conflict)
        or (cert_exact and dob_exact and name_compatible and _level(middle) is not _Level.CONFLICT)
        or (dob_exact and not any_conflict and _exact_full_name(qn, cn))
    )
    return Match(
        score=value,
        reasons=[e.text for e in found if e.weight > 0],
        strong=strong,
        conflicts=[e.text for e in found if e.weight < 0],
        officer_id=candidate.officer_id,
    )


def rank(query: Query, candidates: Iterable[Candidate]) -> list[Match]:
    """Score every candidate, best first (ties by officer ID, so the order is stable)."""
    return sorted((score(query, c) for c in candidates), key=lambda m: (-m.score, m.officer_id))
