"""Given-name nicknames (Bill/William, Liz/Elizabeth) from the ``nicknames`` package's table, plus
hand-written Spanish and Filipino hypocorisms (Pepe/José, Jojo/José) and Filipino pet names (Boy, Bong).

The table is noisy in both directions (it lists "bill has_nickname william" as well as the reverse,
and "bill has_nickname robert"). Direct pairs are trusted as listed; two names are treated as
*siblings* (Bill and Will, both short for William) only through a formal name at least as long
as both, so that William and Robert are not linked through "Bill". That rule, and the ranking in
``formal_forms``, are hand-written. A nickname of one spelling of a formal name also counts for
its other spellings (Kate/Katherine, so Kate/Catherine): same Metaphone code and close spelling, and only
through a longer (formal) name of five letters or more, so Jon is not linked to Joan via "John".

The ``nicknames`` package knows English nicknames only (it has no Pepe, Paco, Chuy or Jojo), so
``HYPOCORISMS`` adds the common Spanish (Mexican, Central American, Iberian) and Filipino short forms
of given names, each to the formal names it is used for; they join the package's pairs in every
function here. Filipino ``PET_NAMES`` (Boy, Bong, Jun, Dodong, Nonoy, Inday...) are a different thing:
terms of endearment used as the name a person goes by, standing for no particular formal name, so they
link to nothing; the scorer treats one as saying nothing about the given name (``is_pet_name``).
"""

from __future__ import annotations

from functools import lru_cache

import jellyfish
from nicknames import NickNamer
from rapidfuzz.distance import JaroWinkler

from identity.normalize import normalize_token

__all__ = [
    "HYPOCORISMS",
    "PET_NAMES",
    "are_nickname_related",
    "explain_nickname",
    "formal_forms",
    "given_name_variants",
    "is_pet_name",
]

#: Spanish and Filipino hypocorisms -> the formal names each is short for (normalized: lower case, no
#: accents, so "Toño" is "tono"). Hand-written from the usual forms (a short form that serves several
#: formal names lists them all: Beto is Alberto, Roberto, Gilberto, Humberto or Norberto). Only forms
#: used for a handful of formal names are listed; an ambiguous one (Tito, Nene) would link strangers.
HYPOCORISMS: dict[str, tuple[str, ...]] = {
    # Spanish
    "pepe": ("jose",), "pepito": ("jose",), "chepe": ("jose",), "joselito": ("jose",), "chema": ("jose",),
    "paco": ("francisco",), "pancho": ("francisco",), "paquito": ("francisco",), "panchito": ("francisco",),
    "kiko": ("francisco", "enrique"), "curro": ("francisco",), "paca": ("francisca",), "paquita": ("francisca",),
    "lupe": ("guadalupe",), "lupita": ("guadalupe",),
    "chucho": ("jesus",), "chuy": ("jesus",), "chuyito": ("jesus",),
    "nacho": ("ignacio",), "tono": ("antonio",), "tonio": ("antonio",), "toni": ("antonio",),
    "memo": ("guillermo",), "lalo": ("eduardo",),
    "beto": ("alberto", "roberto", "gilberto", "humberto", "norberto"),
    "quique": ("enrique",), "kike": ("enrique",), "rafa": ("rafael",), "rafi": ("rafael",),
    "juanito": ("juan",), "juancho": ("juan",), "juanjo": ("juan",),
    "manolo": ("manuel",), "manolito": ("manuel",), "nando": ("fernando", "hernando"), "fer": ("fernando",),
    "chava": ("salvador",), "chavo": ("salvador",), "moncho": ("ramon",), "lucho": ("luis",), "wicho": ("luis",),
    "jandro": ("alejandro",), "checo": ("sergio",), "poncho": ("alfonso",), "chente": ("vicente",),
    "goyo": ("gregorio",), "lencho": ("lorenzo",), "mando": ("armando",), "fito": ("rodolfo", "adolfo"),
    "rodri": ("rodrigo",), "richi": ("ricardo",), "frank": ("francisco",), "alex": ("alejandro", "alejandra"),
    "gaby": ("gabriela",),
    "lola": ("dolores",), "lolita": ("dolores",), "meche": ("mercedes",), "concha": ("concepcion",),
    "conchita": ("concepcion",), "chelo": ("consuelo",), "chayo": ("rosario",), "charo": ("rosario",),
    "pili": ("pilar",), "tere": ("teresa",), "chabela": ("isabel",), "licha": ("alicia",), "chela": ("graciela",),
    "yoli": ("yolanda",), "lety": ("leticia",), "rosita": ("rosa",), "anita": ("ana",),
    "carmencita": ("carmen",),
    # Filipino (reduplications and -ing/-oy forms of the formal name)
    "jojo": ("jose", "joseph", "josefina"), "peping": ("jose",), "pining": ("josefina",),
    "nanding": ("fernando",), "caloy": ("carlos",), "carding": ("ricardo",), "tonyo": ("antonio",),
    "monching": ("ramon",), "turing": ("arturo",), "lando": ("rolando", "orlando"),
    "berto": ("roberto", "alberto", "gilberto"), "maring": ("maria",), "gloring": ("gloria",),
    "loleng": ("dolores",), "ninoy": ("benigno",), "noynoy": ("benigno",), "cory": ("corazon",),
}

#: Filipino pet names, used as the name one goes by whatever the formal name (Jun: a Junior).
PET_NAMES: frozenset[str] = frozenset({
    "boy", "bong", "bongbong", "jun", "junjun", "jhun", "dodong", "nonoy", "toto", "totoy", "ding", "dingdong",
    "jonjon", "inday", "neneng", "ineng", "baby", "ging", "bebeng",
})

_FORMS_OF: dict[str, frozenset[str]] = {}
for _nick, _formals in HYPOCORISMS.items():
    for _formal in _formals:
        _FORMS_OF[_formal] = _FORMS_OF.get(_formal, frozenset()) | {_nick}


@lru_cache(maxsize=1)
def _namer() -> NickNamer:
    return NickNamer()


def _first(given: str) -> str:
    words = normalize_token(given).split()
    return words[0] if words else ""


@lru_cache(maxsize=16384)
def _nicknames_of(name: str) -> frozenset[str]:
    if not name:
        return frozenset()
    return frozenset(normalize_token(n) for n in _namer().nicknames_of(name)) | _FORMS_OF.get(name, frozenset())


@lru_cache(maxsize=16384)
def _canonicals_of(name: str) -> frozenset[str]:
    if not name:
        return frozenset()
    return frozenset(normalize_token(n) for n in _namer().canonicals_of(name)) | frozenset(HYPOCORISMS.get(name, ()))


def is_pet_name(given: str) -> bool:
    """True if the first given name is a Filipino pet name (Boy, Bong, Jun...), which names no formal name."""
    return _first(given) in PET_NAMES


@lru_cache(maxsize=16384)
def given_name_variants(given: str) -> frozenset[str]:
    """The first given name, normalized, with its nicknames and the formal names it is short for.

    "Bill" -> {bill, william, billy, willie, ...}; empty for an empty name. Searches expand a name
    through this set, so a record under either spelling is found.
    """
    name = _first(given)
    if not name:
        return frozenset()
    return frozenset({name}) | _nicknames_of(name) | _canonicals_of(name)


@lru_cache(maxsize=16384)
def formal_forms(given: str) -> tuple[str, ...]:
    """The formal names the first given name may be short for, most widely nicknamed first.

    A name with many nicknames (William, Robert) is the likelier formal form, so a capped list
    keeps those; ties are broken alphabetically so the order, and stored keys, are stable.
    """
    name = _first(given)
    # A "formal" name shorter than the name itself is the table listing a pair the wrong way round.
    forms = [c for c in _canonicals_of(name) if c != name and len(c) >= len(name)]
    return tuple(sorted(forms, key=lambda c: (-len(_nicknames_of(c)), c)))


def _shared_formal(a: str, b: str) -> str | None:
    longest = max(len(a), len(b))
    shared = [x for x in _canonicals_of(a) & _canonicals_of(b) if x not in (a, b) and len(x) >= longest]
    return max(shared, key=lambda x: (len(x), x)) if shared else None


@lru_cache(maxsize=16384)
def _relation(a: str, b: str) -> tuple[str, str] | None:
    """("nick", "") if a is a nickname of b, ("formal", "") if the reverse, ("sibling", x), or None."""
    a_of_b = a in _nicknames_of(b)
    b_of_a = b in _nicknames_of(a)
    if a_of_b and b_of_a:  # listed both ways: the shorter one is the nickname
        return ("nick", "") if len(a) <= len(b) else ("formal", "")
    if a_of_b:
        return ("nick", "")
    if b_of_a:
        return ("formal", "")
    shared = _shared_formal(a, b)
    if shared:
        return ("sibling", shared)
    # The table lists one spelling of a formal name ("kate" -> "katherine", not "catherine").
    if any(_same_spelling(x, b) for x in _canonicals_of(a) if len(x) > len(a)):
        return ("nick", "")
    if any(_same_spelling(x, a) for x in _canonicals_of(b) if len(x) > len(b)):
        return ("formal", "")
    return None


def _same_spelling(x: str, y: str) -> bool:
    """Two spellings of one name (Katherine/Catherine): same Metaphone code and close in Jaro-Winkler.

    Short names are excluded: John/Joan or Mary/Mara are different names that differ in one letter.
    """
    return (min(len(x), len(y)) >= 5 and jellyfish.metaphone(x) == jellyfish.metaphone(y)
            and JaroWinkler.similarity(x, y) >= 0.85)


def are_nickname_related(a: str, b: str) -> bool:
    """True if the first given names differ but one is a nickname of the other or both of one name."""
    return first_names_related(_first(a), _first(b))


def first_names_related(x: str, y: str) -> bool:
    """``are_nickname_related`` for two first given names already normalized (a word each)."""
    return bool(x and y and x != y and _relation(x, y))


def explain_nickname(a: str, b: str) -> str | None:
    """A clerk-readable reason linking the two given names by nickname, or None if unrelated."""
    x, y = _first(a), _first(b)
    if not (x and y) or x == y:
        return None
    rel = _relation(x, y)
    if rel is None:
        return None
    kind, formal = rel
    a_disp, b_disp = a.strip(), b.strip()
    if kind == "nick":
        return f"given name '{a_disp}' is a nickname of '{b_disp}'"
    if kind == "formal":
        return f"given name '{b_disp}' is a nickname of '{a_disp}'"
    return f"given names '{a_disp}' and '{b_disp}' are both short for '{formal.title()}'"
