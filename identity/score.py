"""Scoring a search (or an incoming publisher subject) against one candidate officer.

Each field adds a log-odds weight, positive when it agrees and negative when it contradicts, in
the manner of Fellegi-Sunter record linkage; the sum plus a prior (``_BIAS``) goes through the
logistic function to give a score in [0, 1]. The weights are hand-tuned, not learned (there is no
labelled data yet): a matching date of birth is worth more than a matching surname because
surnames change at marriage, a contradicting given name costs a lot because twins share surname
and birth date, and an SSN or certification number outweighs names. String similarity is
rapidfuzz's Jaro-Winkler and optimal-string-alignment distance; nicknames come from
``identity.nicknames``. The ``strong`` rules (evidence enough to link records automatically) are
explicit, not a score threshold, so a pile of weak evidence can never link two people: they need a
distinguishing identifier (an SSN, or a state certification number), never names and a birth date
alone, however exactly they agree (two people share a full name and birth date more often than one
would think: about one pair in ten thousand at the size of the national registry for common names).

Dates are compared as dates: one day apart (1961-10-19 and 1961-10-20), one month or one year apart
with the rest equal, day and month swapped, or one digit mistyped, each agrees partly (a clerk's error)
rather than contradicting. Names are also compared as read family name first ("NG PAUL" is Paul Ng,
``identity.normalize.order_variants``) when that agrees better, at a small cost. A Filipino pet name
(Boy, Bong, Jun...) says nothing for or against a given name.

A candidate's first name is taken as the current name; the others as former names or aliases.
"""

from __future__ import annotations

import contextlib
import heapq
import hmac
import math
import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from functools import lru_cache

from rapidfuzz.distance import OSA, JaroWinkler

from identity.nicknames import explain_nickname, first_names_related, is_pet_name
from identity.normalize import (
    SUFFIXES,
    NameParts,
    normalize_token,
    normalized_uncached,
    order_variants,
    strip_suffix,
    surname_forms,
)
from identity.phonetic import surname_code

__all__ = ["Candidate", "Match", "Query", "deferred_needed", "near_dates", "rank",
           "rank_deferred", "rules_out_by_date", "score", "unread_by_date"]


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
    DAY = "day"  # date of birth one day off
    MONTH = "month"  # ... one month off, the day the same
    YEAR_OFF = "year_off"  # ... one year off, the day and month the same
    PET = "pet"  # a pet name that stands for no particular given name
    ORDER = "order"  # the names agree as read family name first
    TYPO = "typo"
    INITIAL = "initial"
    EDIT = "edit"  # one keying error apart, but not similar enough to call it a typo
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
            _Level.INITIAL: 0.5, _Level.PET: 0.5, _Level.EDIT: 0.0}
_W_GIVEN_CONFLICT, _W_INITIAL_CONFLICT = -4.0, -2.0
_W_MIDDLE = {_Level.EXACT: 1.5, _Level.NICKNAME: 1.0, _Level.INITIAL: 0.75, _Level.TYPO: 0.75}
_W_MIDDLE_CONFLICT = -2.0
_W_SURNAME = {_Level.EXACT: 3.0, _Level.FORMER: 2.75, _Level.PART: 2.5, _Level.TYPO: 1.5}
_W_SURNAME_CONFLICT = -1.0  # mild: an unrecorded marriage changes it
_W_SUFFIX, _W_SUFFIX_CONFLICT = 0.5, -2.5  # Jr vs Sr: father and son
# A near date: about as likely a clerk's error for the same person as a chance agreement for another is rare.
_W_DOB = {_Level.EXACT: 5.0, _Level.SWAPPED: 3.0, _Level.DAY: 2.5, _Level.TYPO: 2.5, _Level.MONTH: 2.5,
          _Level.YEAR_OFF: 2.5}
_W_DOB_CONFLICT = -6.0
_W_ORDER = -0.5  # reading the names in another order is a second guess
_W_YEAR, _W_YEAR_CONFLICT = 1.5, -4.0
_W_CERT, _W_CERT_ANY_STATE, _W_CERT_NEAR, _W_CERT_OTHER = 8.0, 6.0, 1.5, -1.5
# SSN: agreement is near-proof (one in hundreds of millions by chance); disagreement is about as likely a
# clerk's typo as for two records of one person (a few percent of keyed SSNs) against certainty for two
# people, so log(0.02) ~ -4: it rules out an automatic link by rule, not by weight, and leaves an otherwise
# identical person to review.
_W_SSN, _W_SSN_CONFLICT = 12.0, -4.0
_W_AGENCY = 1.5

_GIVEN_TYPO_JW = 0.9  # John/Jhon 0.92 passes, John/Joan 0.87 does not
_SURNAME_TYPO_JW = 0.88
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


@dataclass(frozen=True, slots=True)
class _Name:
    raw: NameParts
    norm: NameParts
    former: bool
    # derived once per name, not once per comparison (a candidate's name meets every name of the query, each field
    # comparison reading them again)
    first: str = field(init=False)  # the given name's first word
    forms: tuple[str, ...] = field(init=False)  # the surname's forms (``split_surname``)

    def __post_init__(self) -> None:
        object.__setattr__(self, "first", _first(self.norm.given))
        object.__setattr__(self, "forms", surname_forms(self.norm.family))


def _names(names: Sequence[NameParts], *, candidate: bool) -> list[_Name]:
    # A query's names are normalized once per lookup (cached); a candidate's, seen once among hundreds, are not
    # cached (see ``normalized_uncached``).
    if candidate:
        return [_Name(n, normalized_uncached(n), i > 0) for i, n in enumerate(names)]
    return [_Name(n, n.normalized(), False) for n in names]


def _first(s: str) -> str:
    words = s.split()
    return words[0] if words else ""


def _q(s: str) -> str:
    return f"'{s.strip()}'"


def _compare_given(q: _Name, c: _Name) -> _Evidence | None:
    qf, cf = q.first, c.first
    if not qf or not cf:
        return None
    if qf == cf:
        return _Evidence(_Level.EXACT, _W_GIVEN[_Level.EXACT], "given name matches")
    qd, cd = _q(q.raw.given), _q(c.raw.given)
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
    # One keying error (Kohn/John, Gsry/Gary) is as likely a typo as another name (Jon/Joan): neither.
    if min(len(qf), len(cf)) >= 2 and OSA.distance(qf, cf) <= 1:
        return _Evidence(_Level.EDIT, _W_GIVEN[_Level.EDIT], f"given name {qd} is one letter from {cd}")
    for pet, other in ((q.raw.given, c.raw.given), (c.raw.given, q.raw.given)):
        if is_pet_name(pet):
            return _Evidence(_Level.PET, _W_GIVEN[_Level.PET],
                             f"given name {_q(pet)} is a pet name, which may stand for {_q(other)}")
    return _Evidence(_Level.CONFLICT, _W_GIVEN_CONFLICT, f"given name {qd} differs from {cd}")


def _compare_middle(q: _Name, c: _Name) -> _Evidence | None:
    qm, cm = q.norm.middle.split(), c.norm.middle.split()
    if not qm or not cm:
        return None  # a missing middle name says nothing
    if set(qm) & set(cm):
        return _Evidence(_Level.EXACT, _W_MIDDLE[_Level.EXACT], "middle name matches")
    qd, cd = _q(q.raw.middle), _q(c.raw.middle)
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


def _surname_may_agree(q: _Name, c: _Name) -> bool:
    """A quick necessary condition for ``_compare_surname`` to find agreement (every form of agreement it
    knows needs an equal form or a Jaro-Winkler similarity of at least 0.75 between two forms)."""
    return _forms_may_agree(q.forms, c.forms)


def _forms_may_agree(qforms: Sequence[str], cforms: Sequence[str]) -> bool:
    return any(a == b or JaroWinkler.similarity(a, b) >= 0.75 for a in qforms for b in cforms)


def _compare_surname(q: _Name, c: _Name) -> _Evidence | None:
    qforms, cforms = q.forms, c.forms
    if not qforms or not cforms:
        return None
    if qforms[-1] == cforms[-1]:  # joined forms: "DelaCruz" equals "de la Cruz"
        if c.former:
            return _Evidence(_Level.FORMER, _W_SURNAME[_Level.FORMER],
                             f"surname matches former name {_q(c.raw.family)}")
        return _Evidence(_Level.EXACT, _W_SURNAME[_Level.EXACT], "surname matches")
    qd, cd = _q(q.raw.family), _q(c.raw.family)
    of = f"former name {cd}" if c.former else cd
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


def _months(d: date) -> int:
    return d.year * 12 + d.month


@lru_cache(maxsize=65536)
def _digits(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _dob_evidence(level: _Level, text: str) -> _Evidence:
    return _Evidence(level, _W_DOB.get(level, _W_DOB_CONFLICT), text)


# One evidence object per outcome, shared (a search compares about 150 birth dates, twice).
_DOB_EXACT = _dob_evidence(_Level.EXACT, "date of birth matches")
_DOB_SWAPPED = _dob_evidence(_Level.SWAPPED, "date of birth matches with day and month swapped")
_DOB_DAY = _dob_evidence(_Level.DAY, "date of birth is one day off")
_DOB_MONTH = _dob_evidence(_Level.MONTH, "date of birth is one month off")
_DOB_YEAR_OFF = _dob_evidence(_Level.YEAR_OFF, "date of birth is one year off")
_DOB_TYPO = _dob_evidence(_Level.TYPO, "date of birth differs in one digit or two adjacent digits (likely typo)")
_DOB_CONFLICT = _dob_evidence(_Level.CONFLICT, "date of birth differs")
_YEAR_MATCH = _Evidence(_Level.YEAR, _W_YEAR, "birth year matches")
_YEAR_CONFLICT = _Evidence(_Level.CONFLICT, _W_YEAR_CONFLICT, "birth year differs")


def _compare_dob(q: Query, c: Candidate) -> _Evidence | None:
    if q.dob is not None and c.dob is not None:
        return _compare_dates(q.dob, c.dob)
    if q.dob is None and q.birth_year is not None and c.dob is not None:
        return _YEAR_MATCH if q.birth_year == c.dob.year else _YEAR_CONFLICT
    return None


def _compare_dates(a: date, b: date) -> _Evidence:
    if a == b:
        return _DOB_EXACT
    if a.year == b.year and (a.month, a.day) == (b.day, b.month):
        return _DOB_SWAPPED
    if abs((a - b).days) == 1:
        return _DOB_DAY
    if a.day == b.day and abs(_months(a) - _months(b)) == 1:
        return _DOB_MONTH
    if (a.month, a.day) == (b.month, b.day) and abs(a.year - b.year) == 1:
        return _DOB_YEAR_OFF
    if OSA.distance(_digits(a), _digits(b)) == 1:
        return _DOB_TYPO
    return _DOB_CONFLICT


@lru_cache(maxsize=65536)
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
    if not q.agency_oris or not c.agency_oris:
        return None
    shared = sorted({o.strip().upper() for o in q.agency_oris} & {o.strip().upper() for o in c.agency_oris})
    if not shared:
        return None  # employment lists are incomplete: no overlap proves nothing
    return _Evidence(_Level.EXACT, _W_AGENCY, f"previously employed at agency ORI {', '.join(shared)}")


#: Evidence listed with the reasons whatever its weight: how the names were read, a one-letter difference.
_SAID = frozenset({_Level.ORDER, _Level.EDIT})


def _level(ev: _Evidence | None) -> _Level | None:
    return ev.level if ev is not None else None


@dataclass(frozen=True, slots=True)
class _NameEvidence:
    given: _Evidence | None
    middle: _Evidence | None
    surname: _Evidence | None
    suffix: _Evidence | None
    order: _Evidence | None = None  # set when the names agree as read in another order

    def all(self) -> list[_Evidence]:
        return [e for e in (self.given, self.middle, self.surname, self.suffix, self.order) if e is not None]

    def weight(self) -> float:
        return sum(e.weight for e in self.all())


def _compare_names(qn: Sequence[_Name], cn: Sequence[_Name], *, need_agreement: bool = False) -> _NameEvidence | None:
    """Every field compared over all pairs of names; with ``need_agreement``, None unless both the surname and
    the given name itself agree (the surname is compared first: the cheaper test and the likelier to fail)."""
    pairs = [(q, c) for q in qn for c in cn]
    surname = _best(_compare_surname(q, c) for q, c in pairs)
    if need_agreement and _level(surname) in (None, _Level.CONFLICT):
        return None
    given = _best(_compare_given(q, c) for q, c in pairs)
    if need_agreement and _level(given) not in (_Level.EXACT, _Level.NICKNAME, _Level.TYPO, _Level.EDIT) and not (
            _level(given) is _Level.PET and _level(surname) in (_Level.EXACT, _Level.FORMER)):
        return None  # a middle name or an initial is too little to re-read the order on; a pet name, unless the
        # surname agrees exactly
    return _NameEvidence(given, _best(_compare_middle(q, c) for q, c in pairs), surname,
                         _best(_compare_suffix(q, c) for q, c in pairs))


def _reordered(name: _Name, *, candidate: bool) -> tuple[_Name, ...]:
    if candidate:
        return tuple(_Name(v, normalized_uncached(v), name.former) for v in order_variants(name.raw))
    return _reordered_query(name.raw)


@lru_cache(maxsize=4096)
def _reordered_query(raw: NameParts) -> tuple[_Name, ...]:
    return tuple(_Name(v, v.normalized(), False) for v in order_variants(raw))


def _name_evidence(qn: list[_Name], cn: list[_Name]) -> _NameEvidence:
    """The names compared as written, or one name as read family name first (either side) when that agrees
    better with one name of the other side.

    Tried only when the names as written disagree on the given name or the surname; the re-read name and the
    name it is compared with must agree on both (pairs are compared whole: a given name agreeing with one name
    and a surname with another prove nothing about the order).
    """
    best = _compare_names(qn, cn)
    assert best is not None
    if _level(best.given) is not _Level.CONFLICT and _level(best.surname) is not _Level.CONFLICT:
        return best
    for q in qn:
        for variant in _reordered(q, candidate=False):
            for c in cn:
                if _surname_may_agree(variant, c):
                    best = _better(best, _compare_names([variant], [c], need_agreement=True), variant, q)
    for c in cn:
        # Re-read, a candidate's name has its given or middle name as surname: rule it out on those strings before
        # building the readings (most candidates of a large block agree in nothing).
        if not any(_forms_may_agree(q.forms, _as_surname(x)) for q in qn
                   for x in (c.raw.given, c.raw.middle) if x.strip()):
            continue
        for variant in _reordered(c, candidate=True):
            for q in qn:
                if _surname_may_agree(q, variant):
                    best = _better(best, _compare_names([q], [variant], need_agreement=True), variant, c)
    return best


@lru_cache(maxsize=16384)  # (strings in and out; small: each entry is a node the garbage collector follows)
def _as_surname(raw: str) -> tuple[str, ...]:
    """The surname forms of ``raw`` read as a surname (as ``NameParts.normalized`` would make them)."""
    return surname_forms(strip_suffix(normalize_token(raw))[0])


def _better(best: _NameEvidence, found: _NameEvidence | None, variant: _Name, name: _Name) -> _NameEvidence:
    if found is None or found.weight() + _W_ORDER <= best.weight():
        return best
    shown = " ".join(p for p in (name.raw.given, name.raw.middle, name.raw.family) if p.strip())
    read = " ".join(p for p in (variant.raw.given, variant.raw.middle, variant.raw.family) if p.strip())
    order = _Evidence(_Level.ORDER, _W_ORDER, f"name '{shown}' read family name first, as '{read}'")
    return _NameEvidence(found.given, found.middle, found.surname, found.suffix, order)


def _logistic(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-log_odds))


def score(query: Query, candidate: Candidate) -> Match:
    """Score how likely ``candidate`` is the person ``query`` describes, and say why.

    ``strong`` (safe to link automatically) needs a distinguishing identifier, one of: the same SSN
    with a compatible name and no contradicting date of birth (a near date is no contradiction); or
    the same state certification number with the exact date of birth and a compatible name. A
    contradicting SSN, given name or suffix always rules it out. Names and a birth date alone, even
    all identical, are never strong: they go to review.
    """
    return _score(query, _names(query.names, candidate=False), candidate, None, _compare_dob(query, candidate))


def _score(query: Query, qn: list[_Name], candidate: Candidate, cn: list[_Name] | None, dob: _Evidence | None,
           ) -> Match:
    """``score`` with the query's names, and the candidate's names (None: not yet) and birth date compared."""
    cn = _names(candidate.names, candidate=True) if cn is None else cn
    names = _name_evidence(qn, cn)
    given, middle, surname, suffix = names.given, names.middle, names.surname, names.suffix
    cert = _compare_cert(query, candidate)
    ssn, agencies = _compare_ssn(query, candidate), _compare_agencies(query, candidate)

    found = [e for e in (ssn, cert, dob, given, middle, surname, suffix, names.order, agencies) if e is not None]
    total = _BIAS + sum(e.weight for e in found)
    value = _logistic(total)

    given_conflict = _level(given) is _Level.CONFLICT
    suffix_conflict = _level(suffix) is _Level.CONFLICT
    name_agrees = (_level(given) not in (None, _Level.CONFLICT, _Level.INITIAL, _Level.PET)
                   or _level(surname) not in (None, _Level.CONFLICT))
    name_compatible = name_agrees and not given_conflict and not suffix_conflict
    ssn_match, ssn_conflict = _level(ssn) is _Level.EXACT, _level(ssn) is _Level.CONFLICT
    dob_exact, dob_conflict = _level(dob) is _Level.EXACT, _level(dob) is _Level.CONFLICT
    cert_exact = _level(cert) is _Level.EXACT
    strong = not ssn_conflict and (
        (ssn_match and name_compatible and not dob_conflict)
        or (cert_exact and dob_exact and name_compatible and _level(middle) is not _Level.CONFLICT)
    )
    return Match(
        score=value,
        reasons=[e.text for e in found if e.weight > 0 or e.level in _SAID],
        strong=strong,
        conflicts=[e.text for e in found if e.weight < 0 and e.level not in _SAID],
        officer_id=candidate.officer_id,
    )


# The most the names can add (given, middle, surname and suffix all agreeing): a candidate whose birth date
# contradicts the query's, with no SSN or certification number to outweigh it, scores at most
# logistic(_BIAS + _W_DOB_CONFLICT + _MAX_NAMES), about 0.018: never strong, never proposed for review.
_GIVEN_MAX, _MIDDLE_MAX, _SURNAME_MAX = max(_W_GIVEN.values()), max(_W_MIDDLE.values()), max(_W_SURNAME.values())
_MAX_NAMES = _GIVEN_MAX + _MIDDLE_MAX + _SURNAME_MAX + _W_SUFFIX
_DATE_CONFLICT_BOUND = _logistic(_BIAS + _W_DOB_CONFLICT + _MAX_NAMES)


# The most a given name whose first word differs, and a surname sharing no form, can add.
_GIVEN_INEXACT_MAX = max(w for level, w in _W_GIVEN.items() if level is not _Level.EXACT)
_SURNAME_INEXACT_MAX = max(w for level, w in _W_SURNAME.items()
                           if level not in (_Level.EXACT, _Level.FORMER, _Level.PART))
_SUFFIX_WORDS = frozenset(SUFFIXES)


def _may_have_suffix(name: _Name) -> bool:
    """Whether any reading of the name (``order_variants``) can carry a suffix: its own, or a suffix word that
    a re-read surname would lose."""
    words = (w for part in (name.raw.given, name.raw.middle, name.raw.family) for w in normalize_token(part).split())
    return bool(name.norm.suffix) or any(w in _SUFFIX_WORDS for w in words)


def _names_may_reach(qn: Sequence[_Name], cn: Sequence[_Name], need: float) -> bool:
    """Whether ``_name_evidence(qn, cn).weight()`` may be ``need`` or more, judged from equal strings alone (no
    similarity, no nickname table, the names only re-read in bulk), so that most candidates are ruled out for a
    fraction of a score's cost.

    Read in another order, every field may agree (the strings are the same words in other places), less the
    order's cost, the suffix only if both sides can carry one. As written, each field's best over all pairs:
    the given name its exact weight only if some pair's first given words are equal (else at most a nickname's),
    the surname more than a typo's only if some pair shares a surname form, the middle name and the suffix
    anything only if both sides of some pair have one.
    """
    suffix_reread = _W_SUFFIX if any(map(_may_have_suffix, qn)) and any(map(_may_have_suffix, cn)) else 0.0
    if _GIVEN_MAX + _MIDDLE_MAX + _SURNAME_MAX + suffix_reread + _W_ORDER >= need:
        return True
    given, surname, middle, suffix = _GIVEN_INEXACT_MAX, _SURNAME_INEXACT_MAX, 0.0, 0.0
    for q in qn:
        qf, qforms = q.first, set(q.forms)
        for c in cn:
            if qf and qf == c.first:
                given = _GIVEN_MAX
            if qforms.intersection(c.forms):
                surname = _SURNAME_MAX
            if q.norm.middle and c.norm.middle:
                middle = _MIDDLE_MAX
            if q.norm.suffix and c.norm.suffix:
                suffix = _W_SUFFIX
    return given + middle + surname + suffix >= need


def _query_may_reach(qn: Sequence[_Name], need: float) -> bool:
    """``_names_may_reach(qn, cn, need)`` for the most favourable names ``cn`` a candidate could have: False only when
    it is False for every candidate, so that none need be read to know it."""
    suffix_reread = _W_SUFFIX if any(map(_may_have_suffix, qn)) else 0.0
    if _GIVEN_MAX + _MIDDLE_MAX + _SURNAME_MAX + suffix_reread + _W_ORDER >= need:
        return True
    middle = _MIDDLE_MAX if any(q.norm.middle for q in qn) else 0.0
    suffix = _W_SUFFIX if any(q.norm.suffix for q in qn) else 0.0
    return _GIVEN_MAX + _SURNAME_MAX + middle + suffix >= need


def _given_bound(q: _Name, c: _Name) -> float | None:
    """``_compare_given(q, c)``'s weight without its words (the same tests in the same order), except that an initial
    or a middle name that may stand for the given name counts as a middle-name swap (the larger of the two)."""
    qf, cf = q.first, c.first
    if not qf or not cf:
        return None
    if qf == cf:
        return _W_GIVEN[_Level.EXACT]
    if len(qf) == 1 or len(cf) == 1 or qf == _first(c.norm.middle) or cf == _first(q.norm.middle):
        return _W_GIVEN[_Level.MIDDLE_SWAP]
    if first_names_related(qf, cf):  # (``explain_nickname`` compares the same first words)
        return _W_GIVEN[_Level.NICKNAME]
    if JaroWinkler.similarity(qf, cf) >= _GIVEN_TYPO_JW:
        return _W_GIVEN[_Level.TYPO]
    if min(len(qf), len(cf)) >= 2 and OSA.distance(qf, cf) <= 1:
        return _W_GIVEN[_Level.EDIT]
    if is_pet_name(q.raw.given) or is_pet_name(c.raw.given):
        return _W_GIVEN[_Level.PET]
    return _W_GIVEN_CONFLICT


def _surname_bound(q: _Name, c: _Name) -> float | None:
    """At least ``_compare_surname(q, c)``'s weight: any shared form as an exact match, a Jaro-Winkler similarity of
    0.75 between two forms (which every typo ``_surname_similar`` accepts has) as a typo."""
    if not q.forms or not c.forms:
        return None
    if set(q.forms).intersection(c.forms):
        return _SURNAME_MAX
    return _W_SURNAME[_Level.TYPO] if _forms_may_agree(q.forms, c.forms) else _W_SURNAME_CONFLICT


def _middle_bound(q: _Name, c: _Name) -> float | None:
    """At least ``_compare_middle(q, c)``'s weight: a shared word as exact, anything else as a nickname."""
    if not q.norm.middle.strip() or not c.norm.middle.strip():
        return None
    if set(q.norm.middle.split()).intersection(c.norm.middle.split()):
        return _MIDDLE_MAX
    return _W_MIDDLE[_Level.NICKNAME]


def _suffix_bound(q: _Name, c: _Name) -> float | None:
    if not q.norm.suffix or not c.norm.suffix:
        return None
    return _W_SUFFIX if q.norm.suffix == c.norm.suffix else _W_SUFFIX_CONFLICT


def _written_bound(qn: Sequence[_Name], cn: Sequence[_Name]) -> float:
    """An upper bound on ``_compare_names(qn, cn).weight()`` (the names as written): each field's bound at its best
    over all pairs (a field no pair compares adds nothing, as in ``_best``)."""
    given = surname = middle = suffix = None
    for q in qn:
        for c in cn:
            if (g := _given_bound(q, c)) is not None and (given is None or g > given):
                given = g
            if (f := _surname_bound(q, c)) is not None and (surname is None or f > surname):
                surname = f
            if (m := _middle_bound(q, c)) is not None and (middle is None or m > middle):
                middle = m
            if (x := _suffix_bound(q, c)) is not None and (suffix is None or x > suffix):
                suffix = x
    return (given or 0.0) + (surname or 0.0) + (middle or 0.0) + (suffix or 0.0)


#: The most names read in another order can add (``_name_evidence``: every field agreeing, less the order's cost).
_REREAD_MAX = _MAX_NAMES + _W_ORDER


@dataclass(frozen=True, slots=True)
class _Bounding:
    """What bounding a candidate's score (``_first_scored``) needs from the query, worked out once per ranking."""

    query: Query
    qn: list[_Name]
    forms: tuple[str, ...]  # the surname forms of the query's names
    reread_forms: tuple[str, ...]  # ... of the query's names read in every other order

    @classmethod
    def of(cls, query: Query, qn: list[_Name]) -> _Bounding:
        return cls(query, qn, tuple({f for q in qn for f in q.forms}),
                   tuple({f for q in qn for v in _reordered(q, candidate=False) for f in v.forms}))

    def fixed(self, c: Candidate, dob: _Evidence | None) -> float:
        """The candidate's log-odds without the names: the prior, the identifiers and the birth date (as ``_score``
        weighs them)."""
        q = self.query
        return _BIAS + sum(e.weight for e in (dob, _compare_cert(q, c), _compare_ssn(q, c), _compare_agencies(q, c))
                           if e is not None)

    def may_reread(self, cn: Sequence[_Name]) -> bool:
        """Whether ``_name_evidence`` may find the names agreeing with one read in another order: a surname form of some
        reading of either side similar enough (``_forms_may_agree``) to one of the other side (the tests it makes before
        it compares a reading, over all readings and names at once)."""
        return any(_forms_may_agree(self.reread_forms, c.forms)
                   or any(_forms_may_agree(self.forms, _as_surname(x))
                          for x in (c.raw.given, c.raw.middle) if x.strip())
                   for c in cn)


#: Added to a bound's log-odds before it is compared with a score: the bound and the score add the same weights in
#: other orders, so equal sums may differ in the last bits.
_BOUND_SLACK = 1e-9


def _date_conflict_floor_need(floor: float) -> float:
    """The name weight a candidate ruled out by its birth date (``rules_out_by_date``) needs to score ``floor``."""
    return math.log(floor / (1.0 - floor)) - _BIAS - _W_DOB_CONFLICT


def rules_out_by_date(query: Query, candidate: Candidate) -> bool:
    """The candidate's birth date contradicts the query's and nothing else could lift it over the bound
    (``_DATE_CONFLICT_BOUND``). Reads the candidate's birth date, SSN blind index and certification numbers only, so
    that a caller may ask before reading the names (a query without a certification number reads no numbers)."""
    return _rules_out(query, candidate, _compare_dob(query, candidate))


def _rules_out(query: Query, candidate: Candidate, dob: _Evidence | None) -> bool:
    """``rules_out_by_date`` with the birth dates compared (``dob``)."""
    if query.dob is None or query.agency_oris:  # (a birth year alone contradicts less than a date)
        return False
    if dob is None or dob.level is not _Level.CONFLICT:
        return False
    ssn, cert = _compare_ssn(query, candidate), _compare_cert(query, candidate)
    return (ssn is None or ssn.weight < 0) and (cert is None or cert.weight < 0)


def _deferred_may_be_needed(query: Query, floor: float) -> bool:
    """Whether ``rank`` may score a candidate ruled out by its birth date, told before any candidate is read: only if
    ``floor`` lets one in and the query's names could lift one to ``floor`` (at the search floor, only names with a
    middle name or a suffix can: ``_query_may_reach``)."""
    if floor > _DATE_CONFLICT_BOUND:
        return False
    return floor <= 0.0 or _query_may_reach(_names(query.names, candidate=False), _date_conflict_floor_need(floor))


def deferred_needed(query: Query, scored: Sequence[Match], limit: int | None, floor: float) -> bool:
    """Whether candidates ruled out by their birth date (left out of ``rank``'s deferred scoring, or unread:
    ``unread_by_date``) can be among the first ``limit`` scoring at least ``floor``, given the others ranked
    (``scored``, best first): only if fewer than ``limit`` of those score above the most a ruled-out candidate can,
    and ``_deferred_may_be_needed``."""
    if limit is not None and len(scored) >= limit and scored[limit - 1].score > _DATE_CONFLICT_BOUND:
        return False
    return _deferred_may_be_needed(query, floor)


def rank(query: Query, candidates: Iterable[Candidate], *, limit: int | None = None,
         floor: float = 0.0, keep: Set[str] = frozenset(), first_only: bool = False) -> list[Match]:
    """Score every candidate, best first (ties by officer ID, so the order is stable).

    With ``limit``, the first ``limit`` are exactly those of the full ranking, but candidates whose birth
    date rules them out (see ``_DATE_CONFLICT_BOUND``: most of a large block) are scored only when they are
    needed to fill the first ``limit``, and are otherwise left out of the list: nothing strong and nothing a
    review would see is among them. With ``floor`` (a caller that uses no candidate scoring less), those whose
    names cannot lift them to ``floor`` (``_names_may_reach``: most of them) are never scored, and with ``floor``
    above ``_DATE_CONFLICT_BOUND`` none are: the first ``limit`` scoring at least ``floor`` are exact. The
    officers in ``keep`` (a caller shows them whatever their score) are always scored.

    ``first_only`` (with ``limit``: a caller that uses only the first ``limit`` scoring at least ``floor``, such as a
    search answer) leaves out, unscored, every other candidate that an upper bound on its score
    (``_first_scored``) shows cannot be among them: those first ``limit`` are still exact, and nothing else is listed
    that would not be.
    """
    qn = _names(query.names, candidate=False)  # the query's names once, not once per candidate
    defer = limit is not None or floor > _DATE_CONFLICT_BOUND
    scored: list[Match] = []
    deferred: list[tuple[Candidate, _Evidence | None]] = []  # with their birth dates compared
    bounding = _Bounding.of(query, qn) if first_only and limit is not None else None
    bounded: list[tuple[float, float, Candidate, list[_Name], _Evidence | None]] = []
    for c in candidates:
        dob = _compare_dob(query, c)
        if defer and c.officer_id not in keep and _rules_out(query, c, dob):
            deferred.append((c, dob))
        elif bounding is not None and c.officer_id not in keep:
            cn = _names(c.names, candidate=True)
            bounded.append((bounding.fixed(c, dob), _written_bound(qn, cn), c, cn, dob))
        else:
            scored.append(_score(query, qn, c, None, dob))
    if bounding is not None and bounded:
        assert limit is not None
        scored.extend(_first_scored(bounding, bounded, [m.score for m in scored], limit, floor))
    scored.sort(key=lambda m: (-m.score, m.officer_id))
    if deferred and deferred_needed(query, scored, limit, floor):
        scored = _with_deferred(query, qn, scored, deferred, floor)
    return scored


def _with_deferred(query: Query, qn: list[_Name], scored: list[Match],
                   deferred: Iterable[tuple[Candidate, _Evidence | None]], floor: float) -> list[Match]:
    """``scored`` and the candidates ruled out by their birth date (``deferred``, with it compared) whose names may
    lift them to ``floor``, scored, best first."""
    need = _date_conflict_floor_need(floor) if floor > 0.0 else -math.inf
    out = list(scored)
    for c, dob in deferred:
        cn = _names(c.names, candidate=True)
        if _names_may_reach(qn, cn, need):
            out.append(_score(query, qn, c, cn, dob))
    out.sort(key=lambda m: (-m.score, m.officer_id))
    return out


def rank_deferred(query: Query, ranked: list[Match], candidates: Iterable[Candidate], floor: float) -> list[Match]:
    """``rank``'s ranking ``ranked`` completed with ``candidates``, all ruled out by their birth date and read only once
    ``deferred_needed`` said so: the ranking ``rank`` gives when given them too."""
    return _with_deferred(query, _names(query.names, candidate=False), ranked,
                          [(c, _compare_dob(query, c)) for c in candidates], floor)


def unread_by_date(query: Query, limit: int | None, floor: float) -> tuple[date, ...] | None:
    """The birth dates (``near_dates``) of the candidates ``rank`` needs read first, when it may be given the others
    (whose birth date is on file and none of these) only later, if ``deferred_needed`` says so: every one of them is
    ruled out by its date. None when every candidate must be read first: a query without a birth date, or with an
    SSN, a certification number or agencies (which can lift a contradicted date), or a ranking of everyone (no
    ``limit``, and a ``floor`` a contradicted date may reach). The officers a caller keeps whatever their score are
    the caller's to read."""
    if query.dob is None or query.ssn_index is not None or query.cert_number or query.agency_oris:
        return None
    if limit is None and floor <= _DATE_CONFLICT_BOUND:
        return None
    return near_dates(query.dob)


@lru_cache(maxsize=4096)
def near_dates(dob: date) -> tuple[date, ...]:
    """Every birth date ``_compare_dob`` does not call a contradiction of ``dob``, in order: the date itself, day and
    month swapped, a day, a month or a year off, one digit or two adjacent digits swapped (an optimal string
    alignment distance of one between two strings of eight digits), each written out. (Exactly the dates the
    scorer's ``_compare_dates`` accepts: ``tests/unit/test_identity.py`` checks it on every date one keying error
    can reach. A date too many would only be read for nothing; one too few would change a ranking.)"""
    digits = _digits(dob)
    written = {digits[:i] + x + digits[i + 1:] for i in range(8) for x in "0123456789"}
    written.update(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:] for i in range(7))
    written.add(f"{dob.year:04d}{dob.day:02d}{dob.month:02d}")
    months = _months(dob) - 1  # months since January of year 0
    written.update(f"{m // 12:04d}{m % 12 + 1:02d}{dob.day:02d}" for m in (months - 1, months + 1, months - 12,
                                                                              months + 12) if 1 <= m // 12 <= 9999)
    found: set[date] = set()
    for text in written:
        try:
            found.add(date(int(text[:4]), int(text[4:6]), int(text[6:])))
        except ValueError:  # no such date (month 13, February 30, year 0)
            continue
    for days in (-1, 1):
        with contextlib.suppress(OverflowError):  # (before 0001-01-01 or after 9999-12-31)
            found.add(dob + timedelta(days=days))
    return tuple(sorted(found))


def _first_scored(bounding: _Bounding, bounded: list[tuple[float, float, Candidate, list[_Name], _Evidence | None]],
                  scores: list[float], limit: int, floor: float) -> list[Match]:
    """The candidates that may be among the first ``limit`` scoring at least ``floor``, scored, given the ``scores``
    of those already scored; the others are not. ``bounded``: each candidate with its log-odds without the names
    (``_Bounding.fixed``) and the bound on what its names add as written (``_written_bound``).

    A candidate is left out when an upper bound on its score is under the floor or under the ``limit``-th best score
    so far (which only rises): its score is then under that score too, so neither ties nor the order by officer ID
    can bring it into the first ``limit``. The bound takes the names as written, or (only when that would leave the
    candidate out) the most a reading in another order can give, if one may agree. Highest bound first, so that the
    best are scored early."""
    best = heapq.nlargest(limit, scores)
    heapq.heapify(best)  # the ``limit`` best scores so far, the lowest first
    out: list[Match] = []
    for fixed, names, c, cn, dob in sorted(bounded, key=lambda b: -(b[0] + b[1])):
        under = max(floor, best[0]) if len(best) >= limit else floor
        if _logistic(fixed + names + _BOUND_SLACK) < under and (
                _logistic(fixed + max(names, _REREAD_MAX) + _BOUND_SLACK) < under or not bounding.may_reread(cn)):
            continue
        m = _score(bounding.query, bounding.qn, c, cn, dob)
        out.append(m)
        if len(best) < limit:
            heapq.heappush(best, m.score)
        elif m.score > best[0]:
            heapq.heapreplace(best, m.score)
    return out
