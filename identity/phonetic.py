"""Blocking keys: short strings stored per officer at write time and looked up at search time, so a
search reads only the few officers who share a key and scores those.

Scheme (version ``BLOCKING_SCHEME_VERSION``), per recorded name::

    sy:<S>:<yyyy>         surname code x birth year        survives nickname, given typo, day/month noise
    sm:<S>:<lo><hi>       surname code x month/day pair    survives a typo in the birth year
    gd:<G>:<yyyy><lo><hi> given code x date of birth       survives any surname change or typo
    gs:<G>:<S>            given code x surname code        survives any date-of-birth error, or none known
    gym:<G0>:<yyyy><mm>   own given code x year and month  survives a surname change *and* a wrong day
    gyd:<G0>:<yyyy><dd>   own given code x year and day    ... *and* a wrong month
    gmd:<G0>:<lo><hi>     own given code x month/day pair  ... *and* a wrong year
    dg:<yyyymmdd>:<g>     date of birth x given initial    survives a surname change and most typos
    ds:<yyyymmdd>:<s>     date of birth x surname initial  survives a given-name change and most typos

and once per officer::

    d:<yyyymmdd>          date of birth                    survives any change to the names

``<lo><hi>`` is the month and day sorted ascending (two digits each), so a date entered
day-first and month-first gives the same key at no extra cost. ``<S>`` is the Soundex code
(jellyfish) of each surname form from ``split_surname`` (its parts and joined form, at most three:
first part, last part, joined), or the letters themselves for surnames of three letters or fewer,
where Soundex would put Le, Li, Lee, Lu and Liu in one block. ``<G>`` is the Metaphone code
(jellyfish) of the first given name. Soundex was chosen for surnames because it kept 34 of 39
common misspellings in one code (Metaphone 30, NYSIIS 25, match-rating 18); Metaphone for given
names because it merges Catherine/Katherine, which Soundex (first letter kept) does not.

Stored given codes are the name's own plus up to three formal names it is short for
(``formal_forms``), at most four; ``<G0>`` is the name's own code only. Searches use every variant
(``given_name_variants``), uncapped. So a nickname and its formal name always share a key (the store
holds the stored spelling, the search expands to it), and two nicknames of one name (Bill, Will) meet
through the stored formal name unless it fell outside the cap. ``<g>`` and ``<s>`` are the first
letters of those codes (Metaphone writes Catherine and Katherine with a K). A stored name therefore has
at most 3*3 + 4*(2+3) + 3 = 32 keys, plus one ``d`` key per officer; "John Smith" with a date of birth
has 16+1 (John has formal forms in the nickname table), "Michael Nguyen" 9+1.

The three partial-date keys (``gym``, ``gyd``, ``gmd``) each leave out one part of the date, so any
error confined to one part (a day, month or year off by one, a digit typo) keeps one of them: with the
given name they find a person whose surname changed too. The ``dg`` and ``ds`` keys find a person whose
given name and surname are both misspelt (two typos rarely both hit a first letter), or whose surname
changed and given name is misspelt. The ``d`` key finds a person whose given name *and* surname both
changed (a new surname and a pet name); its block is the people born that day, about one in 18,000 of
the population (the calendar bounds it), and the ``dg``/``ds`` blocks about a tenth of that.

Searches look up more than is stored (``query_key_weights``): every nickname variant, the keys of the
day before and after and of the same day a month before and after (an error across the end of a month
or a year changes two parts of the date), and the keys of the name read family name first
(``order_variants``: "NG PAUL" is Paul Ng). Each key carries a weight (``KEY_WEIGHTS``, less for a
neighbouring date or another reading of the name), which the store multiplies by how rare the key is
(``ln(1 + IDF_SCALE / officers holding it)``); it keeps the candidates with the largest summed weight,
so a cap on candidates drops the officers sharing only broad keys first.

Not covered by design: a changed surname with no alias on file *and* a date error that changes two
parts of the date other than by a neighbouring day or month; a given name whose code changes (an
unlisted nickname, a pet name, a typo in a consonant) *and* a new surname *and* a date error (three
errors). The ``gs`` blocks of very common names are large, and the ``d`` block of a placeholder birth
date (January 1st) can be; the store caps candidates by summed key weight.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, timedelta

import jellyfish

from identity.nicknames import formal_forms, given_name_variants
from identity.normalize import NameParts, order_variants, split_surname

__all__ = [
    "BLOCKING_SCHEME_VERSION",
    "IDF_SCALE",
    "KEY_UNITS",
    "KEY_WEIGHTS",
    "MAX_STORED_GIVEN_CODES",
    "MAX_SURNAME_FORMS",
    "blocking_keys",
    "given_code",
    "query_key_weights",
    "query_keys",
    "shared_key_units",
    "surname_code",
    "surname_codes",
]

BLOCKING_SCHEME_VERSION = 2  # 2: gym, gyd, gmd, dg, ds and d keys; 1 is its subset (sy, sm, gd, gs)
MAX_SURNAME_FORMS = 3
MAX_STORED_GIVEN_CODES = 4
#: Weight of a shared key of each family, before the store multiplies it by how rare the key is
#: (``ln(1 + IDF_SCALE / officers holding it)``, an inverse document frequency): candidates are ordered by the
#: summed weight of the keys they share. Every family counts alike; the date alone, which says nothing of the
#: names, a little less.
KEY_WEIGHTS: dict[str, float] = {"gd": 1.0, "sm": 1.0, "sy": 1.0, "gs": 1.0, "gym": 1.0, "gyd": 1.0, "gmd": 1.0,
                                 "dg": 1.0, "ds": 1.0, "d": 0.75}
IDF_SCALE = 1_000_000
_NEIGHBOUR = 0.5  # a key of a neighbouring date counts this much of its family's weight
_REORDERED = 0.75  # and a key of the name read family name first this much

#: A shared key's weighed contribution is counted in whole units of 10^-9 (``shared_key_units``), so that a candidate's
#: sum is exact whatever order the store adds it in: float sums added in another order (another plan) can differ in
#: the last bits and decide a tie at the last candidate kept differently.
KEY_UNITS = 1_000_000_000


def shared_key_units(weight: float, holders: int) -> int:
    """What a key of this weight held by ``holders`` officers adds to a candidate's sum, in ``KEY_UNITS`` (the store's
    key lookup computes the same in SQL: ``store.officers.key_hits_many``; PostgreSQL's round, as Python's, rounds
    half to even)."""
    return round(weight * math.log(1 + IDF_SCALE / holders) * KEY_UNITS)


_NON_LETTERS = re.compile(r"[^a-z]")


def surname_code(form: str) -> str:
    """Soundex of one normalized surname form; short or non-Latin surnames are kept as written."""
    letters = _NON_LETTERS.sub("", form)
    if not letters:
        return form
    return letters.upper() if len(letters) <= 3 else jellyfish.soundex(letters)


def given_code(name: str) -> str:
    """Metaphone of one normalized given name; non-Latin names are kept as written."""
    letters = _NON_LETTERS.sub("", name)
    if not letters:
        return name
    return jellyfish.metaphone(letters) or letters.upper()


def surname_codes(family: str) -> list[str]:
    """Codes of the surname's parts and joined form (at most ``MAX_SURNAME_FORMS`` forms)."""
    forms = split_surname(family)
    if len(forms) > MAX_SURNAME_FORMS:
        forms = [forms[0], forms[-2], forms[-1]]  # first part, last part, joined form
    return list(dict.fromkeys(surname_code(f) for f in forms))


def _stored_given_codes(given: str) -> list[str]:
    words = given.split()
    if not words:
        return []
    codes = [given_code(words[0]), *(given_code(f) for f in formal_forms(words[0]))]
    return list(dict.fromkeys(codes))[:MAX_STORED_GIVEN_CODES]


def _query_given_codes(given: str) -> list[str]:
    words = given.split()
    if not words:
        return []
    variants = sorted(given_name_variants(words[0]))
    return list(dict.fromkeys([given_code(words[0]), *(given_code(v) for v in variants)]))


def _md(dob: date) -> str:
    lo, hi = sorted((dob.month, dob.day))
    return f"{lo:02d}{hi:02d}"


def _keys(given_codes: list[str], sur_codes: list[str], dob: date | None, birth_year: int | None) -> set[str]:
    keys = {f"gs:{g}:{s}" for g in given_codes for s in sur_codes}
    year = dob.year if dob is not None else birth_year
    if year is not None:
        keys |= {f"sy:{s}:{year:04d}" for s in sur_codes}
    if dob is not None:
        md = _md(dob)
        keys |= {f"sm:{s}:{md}" for s in sur_codes}
        keys |= _gd_keys(given_codes, dob)
        ymd = f"{dob.year:04d}{dob.month:02d}{dob.day:02d}"
        keys |= {f"dg:{ymd}:{g[0]}" for g in given_codes} | {f"ds:{ymd}:{s[0]}" for s in sur_codes}
    return keys


def _gd_keys(given_codes: Iterable[str], dob: date) -> set[str]:
    return {f"gd:{g}:{dob.year:04d}{_md(dob)}" for g in given_codes}


def _partial_date_keys(given_codes: Iterable[str], dob: date) -> set[str]:
    """Given code x two of the three parts of the date (see the module docstring)."""
    out: set[str] = set()
    for g in given_codes:
        out |= {f"gym:{g}:{dob.year:04d}{dob.month:02d}", f"gyd:{g}:{dob.year:04d}{dob.day:02d}",
                f"gmd:{g}:{_md(dob)}"}
    return out


def _dob_key(dob: date) -> str:
    return f"d:{dob.year:04d}{dob.month:02d}{dob.day:02d}"


def _as_list(names: NameParts | Iterable[NameParts]) -> list[NameParts]:
    return [names] if isinstance(names, NameParts) else list(names)


def blocking_keys(names: NameParts | Iterable[NameParts], dob: date | None) -> set[str]:
    """Keys to store for an officer: the union over the given names (current name, aliases, former
    names), each contributing at most 32, and the date-of-birth key (see the module docstring)."""
    keys: set[str] = set()
    for raw in _as_list(names):
        parts = raw.normalized()
        given = _stored_given_codes(parts.given)
        keys |= _keys(given, surname_codes(parts.family), dob, None)
        if dob is not None:
            keys |= _partial_date_keys(given[:1], dob)
    if dob is not None and keys:
        keys.add(_dob_key(dob))
    return keys


def _neighbours(dob: date) -> list[date]:
    """The day before and after, and the same day a month before and after (when it exists): an error across
    the end of a month or year changes two parts of the date, which the partial-date keys do not survive."""
    out = [dob - timedelta(days=1), dob + timedelta(days=1)]
    for step in (-1, 1):
        year, month0 = divmod(dob.year * 12 + dob.month - 1 + step, 12)
        try:
            out.append(date(year, month0 + 1, dob.day))
        except ValueError:
            continue
    return out


def _family(key: str) -> str:
    return key.split(":", 1)[0]


def _weigh(out: dict[str, float], keys: Iterable[str], factor: float = 1.0) -> None:
    for key in keys:
        w = KEY_WEIGHTS[_family(key)] * factor
        if w > out.get(key, 0.0):
            out[key] = w


def query_key_weights(
    names: NameParts | Iterable[NameParts], dob: date | None, *, birth_year: int | None = None
) -> dict[str, float]:
    """Keys to look up for a search, each with its weight (see the module docstring).

    Every key ``blocking_keys`` would store for these names, with every nickname variant expanded;
    the ``gd``, ``sy`` and ``sm`` keys of the day before and after and of the same day a month before and
    after; and the ``gd``, ``gs``, ``sy`` and ``sm`` keys of the names read family name first.
    ``birth_year`` stands in for an unknown full date of birth (it yields the ``sy`` keys only). Any
    stored record of the same person that differs by one of the noises the module docstring covers
    shares at least one key with these.
    """
    out: dict[str, float] = {}
    for raw in _as_list(names):
        parts = raw.normalized()
        given, surnames = _query_given_codes(parts.given), surname_codes(parts.family)
        _weigh(out, _keys(given, surnames, dob, birth_year))
        if dob is not None:
            _weigh(out, _partial_date_keys(given, dob))
            for near in _neighbours(dob):
                _weigh(out, _keys(given, surnames, near, None), _NEIGHBOUR)
        for variant in order_variants(parts):
            _weigh(out, _keys(_query_given_codes(variant.given), surname_codes(variant.family), dob, birth_year),
                   _REORDERED)
    if dob is not None and out:
        _weigh(out, [_dob_key(dob)])
    return out


def query_keys(
    names: NameParts | Iterable[NameParts], dob: date | None, *, birth_year: int | None = None
) -> set[str]:
    """The keys of ``query_key_weights``, without their weights."""
    return set(query_key_weights(names, dob, birth_year=birth_year))
