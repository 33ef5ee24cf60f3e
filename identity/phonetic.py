"""Blocking keys: short strings stored per officer at write time and looked up at search time, so a
search reads only the few officers who share a key and scores those.

Scheme (version ``BLOCKING_SCHEME_VERSION``), per recorded name::

    sy:<S>:<yyyy>         surname code x birth year        survives nickname, given typo, day/month noise
    sm:<S>:<lo><hi>       surname code x month/day pair    survives a typo in the birth year
    gd:<G>:<yyyy><lo><hi> given code x date of birth       survives any surname change or typo
    gs:<G>:<S>            given code x surname code        survives any date-of-birth error, or none known

``<lo><hi>`` is the month and day sorted ascending (two digits each), so a date entered
day-first and month-first gives the same key at no extra cost. ``<S>`` is the Soundex code
(jellyfish) of each surname form from ``split_surname`` (its parts and joined form, at most three:
first part, last part, joined), or the letters themselves for surnames of three letters or fewer,
where Soundex would put Le, Li, Lee, Lu and Liu in one block. ``<G>`` is the Metaphone code
(jellyfish) of the first given name. Soundex was chosen for surnames because it kept 34 of 39
common misspellings in one code (Metaphone 30, NYSIIS 25, match-rating 18); Metaphone for given
names because it merges Catherine/Katherine, which Soundex (first letter kept) does not.

Stored given codes are the name's own plus up to three formal names it is short for
(``formal_forms``), at most four; searches use every variant (``given_name_variants``), uncapped.
So a nickname and its formal name always share a key (the store holds the stored spelling, the
search expands to it), and two nicknames of one name (Bill, Will) meet through the stored formal
name unless it fell outside the cap. A stored name therefore has at most
2*3 + 4*(1+3) = 22 keys; "John Smith" with a date of birth has 10 (see the tests for measures).

Not covered by design (two independent errors at once): a changed surname with no alias on file
*and* a wrong birth date; a typo in the first letter of the surname *and* in the given name.
The ``gs`` blocks of very common names are large; the store should cap them (it orders candidates
by the number of shared keys).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import jellyfish

from identity.nicknames import formal_forms, given_name_variants
from identity.normalize import NameParts, split_surname

__all__ = [
    "BLOCKING_SCHEME_VERSION",
    "MAX_STORED_GIVEN_CODES",
    "MAX_SURNAME_FORMS",
    "blocking_keys",
    "given_code",
    "query_keys",
    "surname_code",
    "surname_codes",
]

BLOCKING_SCHEME_VERSION = 1
MAX_SURNAME_FORMS = 3
MAX_STORED_GIVEN_CODES = 4

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
        keys |= {f"gd:{g}:{dob.year:04d}{md}" for g in given_codes}
    return keys


def _as_list(names: NameParts | Iterable[NameParts]) -> list[NameParts]:
    return [names] if isinstance(names, NameParts) else list(names)


def blocking_keys(names: NameParts | Iterable[NameParts], dob: date | None) -> set[str]:
    """Keys to store for an officer: the union over the given names (current name, aliases, former
    names), each contributing at most 22 (see the module docstring)."""
    keys: set[str] = set()
    for raw in _as_list(names):
        parts = raw.normalized()
        keys |= _keys(_stored_given_codes(parts.given), surname_codes(parts.family), dob, None)
    return keys


def query_keys(
    names: NameParts | Iterable[NameParts], dob: date | None, *, birth_year: int | None = None
) -> set[str]:
    """Keys to look up for a search: like ``blocking_keys`` with every nickname variant expanded.

    ``birth_year`` stands in for an unknown full date of birth (it yields the ``sy`` keys only).
    Any stored record of the same person that differs by one of the noises in the module docstring
    shares at least one key with these.
    """
    keys: set[str] = set()
    for raw in _as_list(names):
        parts = raw.normalized()
        keys |= _keys(_query_given_codes(parts.given), surname_codes(parts.family), dob, birth_year)
    return keys
