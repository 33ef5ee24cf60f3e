"""A deterministic synthetic national population of officers, with noisy re-entries and look-alikes.

``generate(PopulationConfig(officers=1_000_000, seed=...))`` streams :class:`Officer` objects (a
generator: nothing but the name tables is held in memory). Each officer is registered in a home state
with a primary name, sometimes a former name on file, a date of birth (1955-2003) and a state
certification number. Along the way some officers carry:

* a :class:`ReEntry`: the same person moved to another state and was entered again by the new
  state's clerk, with one kind of noise (``NOISE_KINDS``: typos, nicknames from
  ``identity.nicknames``' table, Spanish and Filipino hypocorisms and pet names from this package's
  own lists, married names with and without the former name supplied, swapped day and month, a
  one-digit date-of-birth typo, a birth date one day, one month or one year off, given and family
  name in swapped order, missing middle name, one part of a compound surname...) or two at once
  (``TWO_NOISE_KINDS``: any compatible pair, a new married surname with a birth-date error, two
  typos), plus incidental formatting (upper case, accents dropped, suffix dropped).
  ``ReEntry.officer_id`` is the truth.
* an SSN (``Officer.ssn``, for ``ssn_rate`` of officers: not every publisher sends one), unique per
  person; a re-entry carries the person's SSN for ``ssn_carry_rate`` of re-entries, mistyped in one
  digit for ``ssn_typo_rate`` of those; a stranger carries their own for ``ssn_rate``.
* a :class:`Stranger`: a *different* person who is not registered but resembles the officer
  (``STRANGER_KINDS``: an unregistered twin, or a namesake with a random, a near or the same date of
  birth). Any automatic link of a stranger is a false link.

Name frequencies: given names and ~1,300 surnames from ``bench.names_data`` weighted by a Zipf-like
law fitted to US figures (see there), plus a synthetic long tail of surnames (60 % of people, as
outside the 1000 most common surnames in the US); 35 % of Spanish names carry their accents; some
Spanish double surnames, hyphenations, particles, suffixes, initials for middle names. Hard
negatives are deliberately over-represented: twin pairs (same surname and date of birth, different
given names; 0.4 % of officers start a pair) and a forced cluster of very common names (John Smith,
Maria Garcia...; 0.3 %) on top of the natural ones.

Everything derives from ``seed``: the population stream from one ``random.Random``, each noisy
entry and stranger from its own ``random.Random(f"{seed}/...")``, so changing the noise mixture
does not change the population.
"""

from __future__ import annotations

import bisect
import itertools
import random
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache

from bench import names_data as nd
from identity import InvalidSSNError, NameParts, normalize_token, split_surname, validate_ssn
from identity.nicknames import are_nickname_related, given_name_variants

__all__ = [
    "DEFAULT_NOISE_WEIGHTS",
    "NOISE_KINDS",
    "STRANGER_KINDS",
    "TWO_NOISE_KINDS",
    "Officer",
    "Person",
    "PopulationConfig",
    "ReEntry",
    "Stranger",
    "generate",
    "officer_id_for",
]

NOISE_KINDS: tuple[str, ...] = (
    "none", "middle_initial", "typo_surname", "typo_given", "nickname", "nickname_offlist",
    "hypocorism_es", "hypocorism_ph", "married_alias", "married_no_alias", "married_hyphenated",
    "swapped_day_month", "missing_middle", "hyphen_part", "dob_digit", "dob_day", "dob_month", "dob_year",
    "order_swap", "two_noises", "married_dob", "two_typos",
)
#: Kinds that carry two independent errors at once (the rest carry one, and "none" none).
TWO_NOISE_KINDS: frozenset[str] = frozenset({"two_noises", "married_dob", "two_typos"})
STRANGER_KINDS: tuple[str, ...] = (
    "twin_unregistered", "namesake_random_dob", "namesake_near_dob", "namesake_same_dob",
)

# Relative weight of each noise kind *among the kinds applicable to the person* (a married name is
# drawn only for women, a swapped day/month only when the day is 12 or less...). Rare-applicability
# kinds have large weights so that they still get a few hundred samples.
DEFAULT_NOISE_WEIGHTS: Mapping[str, float] = {
    "none": 0.18, "middle_initial": 0.04, "typo_surname": 0.07, "typo_given": 0.06, "nickname": 0.08,
    "nickname_offlist": 0.30, "hypocorism_es": 0.40, "hypocorism_ph": 0.03, "married_alias": 0.15,
    "married_no_alias": 0.15, "married_hyphenated": 0.06, "swapped_day_month": 0.06, "missing_middle": 0.05,
    "hyphen_part": 1.0, "dob_digit": 0.05, "dob_day": 0.05, "dob_month": 0.04, "dob_year": 0.05,
    "order_swap": 0.07, "two_noises": 0.10, "married_dob": 0.30, "two_typos": 0.05,
}

_FIRST_DOB, _LAST_DOB = date(1955, 1, 1), date(2003, 12, 31)
_DOB_SPAN = (_LAST_DOB - _FIRST_DOB).days + 1
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as registry.ids


@dataclass(frozen=True, slots=True)
class Person:
    sex: str  # "M" or "F"
    given: str
    middle: str
    family: str
    suffix: str
    dob: date

    def name(self) -> NameParts:
        return NameParts(given=self.given, middle=self.middle, family=self.family, suffix=self.suffix)


@dataclass(frozen=True, slots=True)
class ReEntry:
    """The person entered again by another state: what the new state's clerk typed."""

    officer_id: str  # the truth
    kind: str  # a NOISE_KINDS entry ("two_noises" for two at once; ``detail`` says which)
    detail: str
    state: str
    cert_number: str
    names: tuple[NameParts, ...]  # as entered: current name first, then former names supplied
    dob: date
    noises: int = 1  # independent errors in the entry: 0 ("none"), 1, or 2 (``TWO_NOISE_KINDS``)
    ssn: str | None = None  # as entered: the person's own, or mistyped (``ssn_mistyped``), or none
    ssn_mistyped: bool = False


@dataclass(frozen=True, slots=True)
class Stranger:
    """An unregistered person who resembles a registered officer; no link to anybody is right."""

    kind: str  # a STRANGER_KINDS entry
    resembles: str  # the look-alike's officer ID
    state: str
    cert_number: str
    names: tuple[NameParts, ...]
    dob: date
    ssn: str | None = None  # the stranger's own, never a registered officer's


@dataclass(frozen=True, slots=True)
class Officer:
    index: int
    officer_id: str
    state: str
    cert_number: str
    person: Person
    former: tuple[NameParts, ...] = ()  # former names already on file
    twin_id: str | None = None  # officer ID of a registered twin
    common: bool = False  # carries one of the forced very common names
    ssn: str | None = None  # on file with the registry (as its blind index)
    reentry: ReEntry | None = None
    stranger: Stranger | None = None

    @property
    def names(self) -> tuple[NameParts, ...]:
        """Primary name first, then former names: the order the registry keeps them in."""
        return (self.person.name(), *self.former)


@dataclass(frozen=True)
class PopulationConfig:
    officers: int = 1_000_000
    seed: int = 13929
    reentry_rate: float = 0.10
    twin_rate: float = 0.004  # chance that an officer starts a registered twin pair
    common_rate: float = 0.003  # forced very common names (on top of the natural ones)
    female_rate: float = 0.15
    middle_rate: float = 0.88
    former_name_rate: float = 0.03  # women with a former name already on file
    unregistered_twin_rate: float = 0.004
    namesake_rate: float = 0.10  # per officer with a very common name
    ssn_rate: float = 0.5  # officers (and strangers) whose publisher sent an SSN
    ssn_carry_rate: float = 0.5  # re-entries that carry an SSN
    ssn_typo_rate: float = 0.03  # of those, mistyped in one digit
    noise_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_NOISE_WEIGHTS))


# -- weighted tables ------------------------------------------------------------------------------

class _Table:
    """Sample names by a Zipf-like weight ``1 / (rank + k) ** s`` with a cumulative table."""

    def __init__(self, names: Sequence[str], k: float, s: float) -> None:
        self.names = list(names)
        self.cum: list[float] = list(itertools.accumulate(1.0 / (r + k) ** s for r in range(1, len(self.names) + 1)))
        self.total = self.cum[-1]
        self.rank = {n: i for i, n in enumerate(self.names)}

    def draw(self, rng: random.Random) -> str:
        return self.names[bisect.bisect_right(self.cum, rng.random() * self.total)]

    def share(self, name: str) -> float:
        i = self.rank[name]
        return (self.cum[i] - (self.cum[i - 1] if i else 0.0)) / self.total


_GIVEN = {"M": _Table(nd.MALE_GIVEN, 5.0, 0.8), "F": _Table(nd.FEMALE_GIVEN, 5.0, 0.8)}
_SURNAME = _Table(nd.SURNAMES, 5.0, 0.85)
_LISTED_SURNAME_SHARE = 0.40
_STATE_CODES = [s for s, _ in nd.STATES]
_STATE_CUM = list(itertools.accumulate(w for _, w in nd.STATES))
_SPANISH_SURNAMES = (
    "Reyes Cruz Morales Ortiz Ramos Castillo Mendoza Ruiz Romero Moreno Herrera Medina Aguilar Castro Vargas "
    "Guzman Salazar Soto Delgado Contreras Sandoval Guerrero Rios Estrada Ortega Valdez Santiago Maldonado "
    "Vega Rojas Padilla Luna Mejia Acosta Navarro Figueroa Avila Molina Campos Miranda Ayala Carrillo Duran "
    "Cabrera Robles Cervantes Solis Fuentes Aguirre Ochoa Pacheco Calderon Rivas Serrano Rosales Trujillo "
    "Montoya Guerra Valencia Franco Gallegos Camacho Ibarra Orozco Salas Andrade Escobar Zamora Villanueva "
    "Barrera Pineda Mercado Santana Bautista Trevino Lozano Rangel Arias Mora Valenzuela Zuniga Melendez "
    "Rocha Tapia Sosa Bonilla Acevedo Benitez Zavala Cisneros Rubio Arroyo Arellano Beltran Ponce Rosario "
    "Torres Flores Rivera Gomez Diaz Gutierrez Alvarez Jimenez Fernandez Vasquez Munoz Pena Nunez"
)
_HISPANIC = frozenset(k for k, v in nd.ACCENTED.items() if k != v and k[0].isupper()) | frozenset(
    _SPANISH_SURNAMES.split())
_MALE_COMMON = frozenset(nd.MALE_GIVEN[:10]) | frozenset(nd.FEMALE_GIVEN[:10])
_SURNAME_COMMON = frozenset(nd.SURNAMES[:15])
_COMMON_PAIRS = frozenset((g, f) for _, g, f in nd.COMMON_NAMES)


def _draw_state(rng: random.Random) -> str:
    return _STATE_CODES[bisect.bisect_right(_STATE_CUM, rng.random() * _STATE_CUM[-1])]


def _other_state(rng: random.Random, home: str) -> str:
    while True:
        st = _draw_state(rng)
        if st != home:
            return st


def _tail_surname(rng: random.Random) -> str:
    head, tail = rng.choice(nd.TAIL_PREFIXES), rng.choice(nd.TAIL_SUFFIXES)
    if not any(ch in "aeiouy" for ch in head.lower()) and tail[0] not in "aeiouy":
        head += rng.choice("aeiou")  # "Br" + "hurst" -> "Brahurst"
    return head + tail


def _plain_surname(rng: random.Random) -> str:
    """A surname as drawn from the distribution, before accents or compounding."""
    return _SURNAME.draw(rng) if rng.random() < _LISTED_SURNAME_SHARE else _tail_surname(rng)


def _accent(rng: random.Random, name: str, p: float = 0.35) -> str:
    accented = nd.ACCENTED.get(name)
    return accented if accented and rng.random() < p else name


def _surname(rng: random.Random, sex: str) -> str:
    family = _plain_surname(rng)
    if family in _HISPANIC and rng.random() < 0.12:  # Spanish double surname
        second = _SURNAME.draw(rng)
        while second not in _HISPANIC or second == family:
            second = _SURNAME.draw(rng)
        family = f"{_accent(rng, family)}{'-' if rng.random() < 0.4 else ' '}{_accent(rng, second)}"
    elif sex == "F" and rng.random() < 0.02:  # double-barrelled
        family = f"{family}-{_plain_surname(rng)}"
    else:
        family = _accent(rng, family)
    return family


def _middle(rng: random.Random, sex: str, rate: float) -> str:
    if rng.random() >= rate:
        return ""
    name = rng.choice(nd.MIDDLE_EXTRA[sex]) if rng.random() < 0.3 else _GIVEN[sex].draw(rng)
    r = rng.random()
    if r < 0.10:
        return name[0] + "."
    if r < 0.15:
        return name[0]
    return _accent(rng, name, 0.2)


def _suffix(rng: random.Random, sex: str) -> str:
    if sex != "M" or rng.random() >= 0.04:
        return ""
    return rng.choices(("Jr.", "Sr.", "II", "III", "Jr"), weights=(50, 10, 10, 20, 10))[0]


def _dob(rng: random.Random) -> date:
    return _FIRST_DOB + timedelta(days=rng.randrange(_DOB_SPAN))


def _given(rng: random.Random, sex: str) -> str:
    return _accent(rng, _GIVEN[sex].draw(rng), 0.3)


def _person(rng: random.Random, cfg: PopulationConfig) -> Person:
    sex = "F" if rng.random() < cfg.female_rate else "M"
    return Person(sex, _given(rng, sex), _middle(rng, sex, cfg.middle_rate), _surname(rng, sex),
                  _suffix(rng, sex), _dob(rng))


def officer_id_for(rng: random.Random) -> str:
    """A registry-style officer ID (OFC- and 12 Crockford base32 characters) from ``rng``."""
    bits = rng.getrandbits(60)
    return "OFC-" + "".join(_ID_ALPHABET[(bits >> (5 * i)) & 31] for i in range(12))


def _fold(s: str) -> str:
    """What a clerk without the key types: accents dropped (letters with no decomposition kept)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch))


def _first_norm(given: str) -> str:
    words = normalize_token(given).split()
    return words[0] if words else ""


# -- noise ----------------------------------------------------------------------------------------

_KEYBOARD = {
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "ol", "a": "qsz", "s": "awdz", "d": "sefx", "f": "drgc", "g": "fthv", "h": "gyjb",
    "j": "hukn", "k": "jilm", "l": "kop", "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn",
    "n": "bhjm", "m": "njk",
}


def typo(rng: random.Random, s: str) -> str:
    """One keying error: adjacent transposition, deletion or substitution (a neighbouring key 70 %)."""
    letters = [i for i, ch in enumerate(s) if ch.isalpha()]
    if len(letters) < 3:
        return s
    for _ in range(20):
        op = rng.choice(("transpose", "delete", "substitute"))
        i = rng.choice(letters)
        if op == "transpose":
            if i + 1 >= len(s) or not s[i + 1].isalpha():
                continue
            pair = s[i + 1] + s[i]
            if i == 0:
                pair = pair[0].upper() + pair[1].lower()
            out = s[:i] + pair + s[i + 2:]
        elif op == "delete":
            out = s[:i] + s[i + 1:]
            if i == 0:
                out = out[:1].upper() + out[1:]
        else:
            low = _fold(s[i]).lower()
            pool = _KEYBOARD.get(low, "") if rng.random() < 0.7 else ""
            new = rng.choice(pool or "abcdefghijklmnopqrstuvwxyz")
            if new == low:
                continue
            out = s[:i] + (new.upper() if s[i].isupper() else new) + s[i + 1:]
        if normalize_token(out) != normalize_token(s) and normalize_token(out):
            return out
    return s


def _dob_digit(rng: random.Random, dob: date) -> date | None:
    digits = dob.strftime("%Y%m%d")
    for _ in range(40):
        i = rng.randrange(2, 8)  # the century is never mistyped
        d = str(rng.randrange(10))
        if d == digits[i]:
            continue
        text = digits[:i] + d + digits[i + 1:]
        try:
            new = date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            continue
        if date(1940, 1, 1) <= new <= date(2008, 12, 31):
            return new
    return None


def _swap_day_month(dob: date) -> date | None:
    if dob.day > 12 or dob.day == dob.month:
        return None
    return date(dob.year, dob.day, dob.month)


def _shifted(dob: date, unit: str, step: int) -> date | None:
    """``dob`` one ``unit`` ("day", "month", "year") earlier or later (``step`` -1 or 1), as dates count:
    1961-10-31 plus a day is 1961-11-01. None when the day does not exist then (Jan 31 + a month)."""
    if unit == "day":
        return dob + timedelta(days=step)
    if unit == "year":
        year, month = dob.year + step, dob.month
    else:
        year, month0 = divmod(dob.year * 12 + dob.month - 1 + step, 12)
        month = month0 + 1
    try:
        return date(year, month, dob.day)
    except ValueError:
        return None


def _date_off(rng: random.Random, dob: date, unit: str) -> date | None:
    steps = [-1, 1]
    rng.shuffle(steps)
    return next((d for d in (_shifted(dob, unit, s) for s in steps) if d is not None), None)


@lru_cache(maxsize=4096)
def _nickname_options(given: str) -> tuple[str, ...]:
    own = _first_norm(given)
    return tuple(sorted(v for v in given_name_variants(given) if v != own and len(v) > 1))


def _offlist_options(given: str) -> tuple[str, ...]:
    return nd.HISPANIC_NICKNAMES.get(_fold(given.split()[0]) if given.split() else "", ())


def _hypocorism_es_options(given: str) -> tuple[str, ...]:
    return nd.SPANISH_HYPOCORISMS.get(_fold(given.split()[0]) if given.split() else "", ())


def _hypocorism_ph_options(given: str, sex: str) -> tuple[str, ...]:
    """Filipino short forms of the name when there are any, else the pet names for the sex."""
    own = nd.FILIPINO_HYPOCORISMS.get(_fold(given.split()[0]) if given.split() else "", ())
    return own or nd.FILIPINO_PET_NAMES[sex]


_ORDER_SWAPS = ("fields", "family_given_middle", "family_first")


def _order_swap(rng: random.Random, e: _Entry) -> str:
    """Family name first, as forms and foreign records write it; how it lands in the fields varies:

    * ``fields``: the family name in the given-name field and the reverse ("NG" / "PAUL");
    * ``family_given_middle``: "FAMILY GIVEN MIDDLE" read left to right as given, middle, family;
    * ``family_first``: the family name as given name, the rest as family ("Sutinghurst" / "Richard Steven").
    """
    how = rng.choice(_ORDER_SWAPS)
    if how == "family_given_middle" and not e.middle:
        how = "fields"
    given, middle, family = e.given, e.middle, e.family
    if how == "fields":
        e.given, e.family = family, given
    elif how == "family_given_middle":
        e.given, e.middle, e.family = family, given, middle
    else:
        e.given, e.middle, e.family = family, "", " ".join(p for p in (given, middle) if p)
    return how


def _surname_parts(family: str) -> list[str]:
    words = family.replace("-", " ").split()
    particles = {"de", "la", "del", "los", "van", "der", "von", "ten", "da", "dos", "di", "le", "st.", "mac"}
    return [w for w in words if w.lower() not in particles]


def _hyphen_variants(family: str) -> list[str]:
    """How a clerk enters a compound surname as one word or one part."""
    words = family.replace("-", " ").split()
    if len(words) < 2:
        return []
    core = _surname_parts(family)
    out = [w for w in core if normalize_token(w) != normalize_token(family)]
    if len(core) < len(words):  # particles: "Van Der Berg" -> "Vanderberg", "de la Cruz" -> "Delacruz"
        joined = "".join(words)
        out.append(joined[:1].upper() + joined[1:].lower())
    return out


class _Entry:
    """A mutable draft of what the clerk types."""

    def __init__(self, p: Person) -> None:
        self.given, self.middle, self.family, self.suffix, self.dob = p.given, p.middle, p.family, p.suffix, p.dob
        self.sex = p.sex
        self.former: list[NameParts] = []


def _applies(kind: str, p: Person) -> bool:
    match kind:
        case "middle_initial":
            return len(p.middle.rstrip(".")) > 1
        case "nickname":
            return bool(_nickname_options(p.given))
        case "nickname_offlist":
            return bool(_offlist_options(p.given))
        case "hypocorism_es":
            return bool(_hypocorism_es_options(p.given))
        case "married_alias" | "married_no_alias" | "married_hyphenated" | "married_dob":
            return p.sex == "F"
        case "swapped_day_month":
            return _swap_day_month(p.dob) is not None
        case "dob_month" | "dob_year":
            unit = kind.removeprefix("dob_")
            return any(_shifted(p.dob, unit, s) is not None for s in (-1, 1))
        case "order_swap":
            return bool(normalize_token(p.given) and normalize_token(p.family))
        case "two_typos":
            return sum(ch.isalpha() for ch in p.given) >= 3 and sum(ch.isalpha() for ch in p.family) >= 3
        case "missing_middle":
            return bool(p.middle)
        case "hyphen_part":
            return bool(_hyphen_variants(p.family))
        case "typo_given":
            return sum(ch.isalpha() for ch in p.given) >= 3
        case "typo_surname":
            return sum(ch.isalpha() for ch in p.family) >= 3
    return True


def _new_married_surname(rng: random.Random, old: str) -> str:
    while True:
        new = _accent(rng, _plain_surname(rng))
        if normalize_token(new) != normalize_token(old) and not set(split_surname(new)) & set(split_surname(old)):
            return new


def _apply(kind: str, rng: random.Random, e: _Entry) -> None:
    match kind:
        case "none":
            pass
        case "middle_initial":
            e.middle = e.middle[0] + ("." if rng.random() < 0.5 else "")
        case "typo_surname":
            e.family = typo(rng, e.family)
        case "typo_given":
            e.given = typo(rng, e.given)
        case "nickname":
            e.given = rng.choice(_nickname_options(e.given)).title()
        case "nickname_offlist":
            e.given = rng.choice(_offlist_options(e.given))
        case "hypocorism_es":
            e.given = rng.choice(_hypocorism_es_options(e.given))
        case "hypocorism_ph":
            e.given = rng.choice(_hypocorism_ph_options(e.given, e.sex))
        case "married_alias" | "married_no_alias" | "married_hyphenated":
            old = NameParts(given=e.given, middle=e.middle, family=e.family, suffix=e.suffix)
            new = _new_married_surname(rng, e.family)
            e.family = f"{e.family}-{new}" if kind == "married_hyphenated" else new
            if kind == "married_alias":
                e.former.append(old)
        case "swapped_day_month":
            swapped = _swap_day_month(e.dob)
            assert swapped is not None
            e.dob = swapped
        case "missing_middle":
            e.middle = ""
        case "hyphen_part":
            e.family = rng.choice(_hyphen_variants(e.family))
        case "dob_digit":
            e.dob = _dob_digit(rng, e.dob) or e.dob
        case "dob_day" | "dob_month" | "dob_year":
            e.dob = _date_off(rng, e.dob, kind.removeprefix("dob_")) or e.dob
        case "order_swap":
            _order_swap(rng, e)
        case _:
            raise ValueError(f"unknown noise kind {kind!r}")


_SINGLE = tuple(k for k in NOISE_KINDS if k not in ("none", "middle_initial", *TWO_NOISE_KINDS))
_DATE_ERRORS = ("swapped_day_month", "dob_digit", "dob_day", "dob_month", "dob_year")
_EXCLUSIVE = ({"married_alias", "married_no_alias", "married_hyphenated", "hyphen_part"},
              {"nickname", "nickname_offlist", "hypocorism_es", "hypocorism_ph", "typo_given"}, set(_DATE_ERRORS))


def _compatible(a: str, b: str) -> bool:
    return a != b and not any(a in group and b in group for group in _EXCLUSIVE)


def _incidental(rng: random.Random, e: _Entry) -> None:
    """Formatting a clerk varies without changing the name: accents, capitals, suffix."""
    if rng.random() < 0.5:
        e.given, e.middle, e.family = _fold(e.given), _fold(e.middle), _fold(e.family)
    if e.suffix and rng.random() < 0.5:
        e.suffix = ""
    if rng.random() < 0.1:
        e.given, e.middle, e.family = e.given.upper(), e.middle.upper(), e.family.upper()


def _pair(rng: random.Random, kind: str, p: Person) -> tuple[str, str]:
    """The two noises of a two-noise kind (the order swap, if any, goes last: it moves what the others changed)."""
    if kind == "married_dob":
        return "married_no_alias", rng.choice([k for k in _DATE_ERRORS if _applies(k, p)])
    if kind == "two_typos":
        return "typo_given", "typo_surname"
    singles = [k for k in _SINGLE if _applies(k, p)]
    first = rng.choice(singles)
    second = rng.choice([k for k in singles if _compatible(first, k)])
    return (second, first) if first == "order_swap" else (first, second)


def _reentry(cfg: PopulationConfig, off: Officer) -> ReEntry:
    rng = random.Random(f"{cfg.seed}/reentry/{off.index}")
    p = off.person
    kinds = [k for k in NOISE_KINDS if cfg.noise_weights.get(k, 0) > 0 and _applies(k, p)]
    kind = rng.choices(kinds, weights=[cfg.noise_weights[k] for k in kinds])[0]
    e = _Entry(p)
    detail = kind
    if kind in TWO_NOISE_KINDS:
        first, second = _pair(rng, kind, p)
        detail = f"{first}+{second}"
        _apply(first, rng, e)
        if second in ("typo_given", "typo_surname", "order_swap") or _applies(
                second, Person(p.sex, e.given, e.middle, e.family, e.suffix, e.dob)):
            _apply(second, rng, e)
    else:
        _apply(kind, rng, e)
    _incidental(rng, e)
    state = _other_state(rng, off.state)
    names = (NameParts(given=e.given, middle=e.middle, family=e.family, suffix=e.suffix), *e.former)
    ssn, mistyped = _carried_ssn(cfg, off)
    return ReEntry(off.officer_id, kind, detail, state, f"R{off.index:09d}", names, e.dob,
                   0 if kind == "none" else 2 if kind in TWO_NOISE_KINDS else 1, ssn, mistyped)


# -- SSNs -----------------------------------------------------------------------------------------

# Distinct valid-looking SSNs by index: a bijection of [0, _SSN_SPACE) onto area 001-806 (666 skipped),
# group 01-99, serial 0001-9999, so no two people share one (real SSNs are unique).
_SSN_SPACE = 805 * 99 * 9999
_SSN_STEP = 1_000_003  # a prime not dividing _SSN_SPACE (= 3^4 * 5 * 7 * 11^2 * 23 * 101)


def ssn_for(number: int) -> str | None:
    """The SSN of person ``number`` (officers by index; strangers count down from the top)."""
    x = (number * _SSN_STEP + 12_345) % _SSN_SPACE
    area, rest = divmod(x, 99 * 9999)
    group, serial = divmod(rest, 9999)
    area += 1
    area += area >= 666
    digits = f"{area:03d}{group + 1:02d}{serial + 1:04d}"
    try:
        return validate_ssn(digits)
    except InvalidSSNError:  # a voided sample number or one digit repeated: this person has none
        return None


def _officer_ssn(cfg: PopulationConfig, index: int) -> str | None:
    return ssn_for(index) if random.Random(f"{cfg.seed}/ssn/{index}").random() < cfg.ssn_rate else None


def _mistype_ssn(rng: random.Random, ssn: str) -> str:
    while True:
        i = rng.randrange(9)
        out = ssn[:i] + str(rng.randrange(10)) + ssn[i + 1:]
        if out != ssn:
            try:
                return validate_ssn(out)
            except InvalidSSNError:
                continue


def _carried_ssn(cfg: PopulationConfig, off: Officer) -> tuple[str | None, bool]:
    """The SSN the new state's clerk sends: the person's own (whether or not the registry has it), mistyped, or none."""
    rng = random.Random(f"{cfg.seed}/reentry-ssn/{off.index}")
    own = ssn_for(off.index)
    if own is None or rng.random() >= cfg.ssn_carry_rate:
        return None, False
    if rng.random() < cfg.ssn_typo_rate:
        return _mistype_ssn(rng, own), True
    return own, False


def _stranger(cfg: PopulationConfig, off: Officer, kind: str) -> Stranger:
    rng = random.Random(f"{cfg.seed}/stranger/{off.index}")
    p = off.person
    dob, given, middle, sex = p.dob, p.given, p.middle, p.sex
    if kind == "twin_unregistered":
        sex = "F" if rng.random() < 0.5 else "M"
        while True:
            given = _given(rng, sex)
            if _first_norm(given) != _first_norm(p.given) and not are_nickname_related(given, p.given):
                break
        middle = _middle(rng, sex, cfg.middle_rate)
    elif kind == "namesake_random_dob":
        while dob == p.dob:
            dob = _dob(rng)
        middle = _middle(rng, sex, cfg.middle_rate)
    elif kind == "namesake_near_dob":
        near = _swap_day_month(p.dob) if rng.random() < 0.3 else None
        dob = near or _dob_digit(rng, p.dob) or p.dob + timedelta(days=1)
    elif kind == "namesake_same_dob":
        # A different middle initial, or none at all: the name on file and this one never agree fully.
        while True:
            middle = _middle(rng, sex, 0.7)
            if not middle or not p.middle or normalize_token(middle)[:1] != normalize_token(p.middle)[:1]:
                break
    else:
        raise ValueError(f"unknown stranger kind {kind!r}")
    state = _other_state(rng, off.state)
    name = NameParts(given=given, middle=middle, family=p.family, suffix="")
    own = random.Random(f"{cfg.seed}/stranger-ssn/{off.index}").random() < cfg.ssn_rate
    ssn = ssn_for(_SSN_SPACE - 1 - off.index) if own else None
    return Stranger(kind, off.officer_id, state, f"S{off.index:09d}", (name,), dob, ssn)


def _is_common(p: Person) -> bool:
    return (_fold(p.given), _fold(p.family)) in _COMMON_PAIRS or (
        _fold(p.given) in _MALE_COMMON and _fold(p.family) in _SURNAME_COMMON)


# -- the stream -----------------------------------------------------------------------------------

def generate(cfg: PopulationConfig | None = None) -> Iterator[Officer]:
    """Stream ``cfg.officers`` officers (deterministic for a given config)."""
    cfg = cfg or PopulationConfig()
    rng = random.Random(cfg.seed)
    cert_seq: dict[str, int] = {}
    index = 0
    pending_twin: Person | None = None
    twin_ids: tuple[str, str] | None = None
    while index < cfg.officers:
        common = False
        twin_id: str | None = None
        if pending_twin is not None:
            person, pending_twin = pending_twin, None
            assert twin_ids is not None
            officer_id, twin_id = twin_ids[1], twin_ids[0]
        else:
            person = _person(rng, cfg)
            officer_id = officer_id_for(rng)
            if rng.random() < cfg.common_rate:
                sex, given, family = rng.choice(nd.COMMON_NAMES)
                person = replace(person, sex=sex, given=_accent(rng, given, 0.3), family=_accent(rng, family),
                                 suffix=_suffix(rng, sex), middle=_middle(rng, sex, cfg.middle_rate))
                common = True
            if index + 1 < cfg.officers and rng.random() < cfg.twin_rate:
                person, pending_twin = _twins(rng, cfg, person)
                twin_ids = (officer_id, officer_id_for(rng))
                twin_id = twin_ids[1]
        state = _draw_state(rng)
        cert_seq[state] = cert_seq.get(state, 0) + 1
        former: tuple[NameParts, ...] = ()
        if person.sex == "F" and rng.random() < cfg.former_name_rate:
            former = (replace(person, family=_accent(rng, _plain_surname(rng))).name(),)
        moves = rng.random() < cfg.reentry_rate
        look_alike = rng.random()
        off = Officer(index, officer_id, state, f"{cert_seq[state]:08d}", person, former, twin_id,
                      common or _is_common(person), _officer_ssn(cfg, index))
        if moves:
            off = replace(off, reentry=_reentry(cfg, off))
        kind = _stranger_kind(cfg, off, look_alike)
        if kind is not None:
            off = replace(off, stranger=_stranger(cfg, off, kind))
        yield off
        index += 1


def _stranger_kind(cfg: PopulationConfig, off: Officer, u: float) -> str | None:
    if off.common:
        if u < cfg.namesake_rate:
            return STRANGER_KINDS[1 + int(u / cfg.namesake_rate * 3)]
        return None
    return "twin_unregistered" if u < cfg.unregistered_twin_rate else None


def _twins(rng: random.Random, cfg: PopulationConfig, p: Person) -> tuple[Person, Person]:
    """``p`` (renamed for a matched twin pair) and a twin: same surname and birth date, other given name."""
    if rng.random() < 0.35:
        s1, g1, s2, g2 = rng.choice(nd.TWIN_PAIRS)
        p = replace(p, sex=s1, given=g1, suffix="")
        sex, given = s2, g2
    else:
        sex = "F" if rng.random() < 0.5 else "M"
        while True:
            given = _given(rng, sex)
            if _first_norm(given) != _first_norm(p.given) and not are_nickname_related(given, p.given):
                break
    middle = p.middle if rng.random() < 0.15 else _middle(rng, sex, cfg.middle_rate)
    return p, Person(sex, given, middle, p.family, "", p.dob)


def take(stream: Iterator[Officer], n: int) -> list[Officer]:
    """The first ``n`` officers of a stream (a convenience for tests and small runs)."""
    return list(itertools.islice(stream, n))


def summarize(officers: Sequence[Officer], count: Callable[[Officer], str | None]) -> dict[str, int]:
    """Count officers by a key (``None`` keys are skipped)."""
    out: dict[str, int] = {}
    for off in officers:
        key = count(off)
        if key is not None:
            out[key] = out.get(key, 0) + 1
    return out
