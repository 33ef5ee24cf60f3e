"""Name normalization: one spelling per name, so that keys and comparisons ignore accents, case,
punctuation, generational suffixes and the spacing of compound surnames.

Hand-written here (no library covers it): the fold table for Latin letters that Unicode does not
decompose (``ø``, ``ł``, ``æ``...), the lists of surname particles and suffixes, and the surname
splitting rules. Diacritics are removed with the standard library's NFKD decomposition.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "PARTICLES",
    "SUFFIXES",
    "NameParts",
    "canonical_suffix",
    "normalize_token",
    "normalized_uncached",
    "order_variants",
    "split_surname",
    "strip_suffix",
    "surname_forms",
]

# Apostrophe-like marks are deleted (O'Brien -> obrien), not turned into separators. They are
# removed before NFKD because NFKD turns the acute accent U+00B4 into a space plus a combining mark.
# (' right/left quote, grave, acute, modifier apostrophe, turned comma, prime, period)
_DELETE = dict.fromkeys(map(ord, "'\u2019\u2018`\u00b4\u02bc\u02bb\u2032."), None)

# Latin letters with no Unicode decomposition, folded to what a clerk without the key would type.
# (\u0131 is the dotless i)
_FOLD = str.maketrans({"ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ł": "l", "ŧ": "t", "\u0131": "i", "ĸ": "k",
                       "æ": "ae", "œ": "oe", "þ": "th", "ŋ": "n"})

_SEPARATORS = re.compile(r"[\W_]+")

# Lower-case particles that are dropped from surname *parts* (they are kept in the joined form).
PARTICLES: frozenset[str] = frozenset({
    "af", "al", "av", "ben", "bin", "bint", "da", "das", "de", "degli", "del", "della", "den", "der",
    "des", "di", "do", "dos", "du", "e", "el", "ibn", "la", "las", "le", "lo", "los", "ten", "ter",
    "van", "vande", "vander", "vom", "von", "y", "zu", "zum",
})

# Prefixes that belong to the next word rather than standing alone: "Mac Donald" is "macdonald",
# "St John" is "stjohn", "O Brien" is "obrien"; as separate parts they would match anybody.
_ATTACHING: frozenset[str] = frozenset({"fitz", "mac", "mc", "o", "saint", "st", "ste"})

# Generational suffixes, keyed by their normalized spellings, to one canonical spelling.
SUFFIXES: dict[str, str] = {
    "jr": "jr", "jnr": "jr", "junior": "jr",
    "sr": "sr", "snr": "sr", "senior": "sr",
    "i": "i", "1st": "i",
    "ii": "ii", "2nd": "ii",
    "iii": "iii", "3rd": "iii",
    "iv": "iv", "4th": "iv",
    "v": "v", "5th": "v",
    "vi": "vi", "6th": "vi",
}
# A trailing "I" is far more often an initial than "the first"; only strip it when it is explicit.
_STRIPPABLE = frozenset(SUFFIXES) - {"i"}


@lru_cache(maxsize=65536)
def normalize_token(s: str) -> str:
    """Fold a name to lower-case words without accents or punctuation, separated by single spaces.

    Hyphens, commas, slashes and other punctuation separate words ("Garcia-Lopez" -> "garcia lopez");
    apostrophes and periods are deleted ("O'Brien" -> "obrien", "St.John" -> "stjohn"). Letters of
    scripts with no Latin folding are kept as they are.
    """
    s = s.translate(_DELETE)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.casefold().translate(_FOLD)
    return " ".join(_SEPARATORS.sub(" ", s).split())


def _attach_prefixes(tokens: list[str]) -> list[str]:
    out: list[str] = []
    pending = ""
    for tok in tokens:
        if tok in _ATTACHING:
            pending += tok
            continue
        out.append(pending + tok)
        pending = ""
    if pending:
        out.append(pending)
    return out


@lru_cache(maxsize=65536)
def _split_surname(family: str) -> tuple[str, ...]:
    words = normalize_token(family).split()
    if not words:
        return ()
    tokens = _attach_prefixes(words)
    core = [t for t in tokens if t not in PARTICLES] or tokens
    forms = [*core, "".join(words)]
    return tuple(dict.fromkeys(forms))


def surname_forms(family: str) -> tuple[str, ...]:
    """``split_surname`` as the tuple it keeps (the same one each time): for callers that only read it."""
    return _split_surname(family)


def split_surname(family: str) -> list[str]:
    """The surname's meaningful parts followed by its joined form, normalized and deduplicated.

    So a search for one half of "Garcia-Lopez", for "Cruz" or for "DelaCruz" still meets the
    record: "Garcia-Lopez" -> [garcia, lopez, garcialopez]; "de la Cruz" -> [cruz, delacruz];
    "Van Der Berg" -> [berg, vanderberg]; "O'Brien" -> [obrien]. Particles are dropped from the
    parts (unless nothing else is left, as for the surname "Le") but kept in the joined form.
    """
    return list(_split_surname(family))


def canonical_suffix(suffix: str) -> str:
    """"Jr.", "JUNIOR" -> "jr"; "3rd" -> "iii"; anything unknown is returned normalized."""
    norm = normalize_token(suffix).replace(" ", "")
    return SUFFIXES.get(norm, norm)


@lru_cache(maxsize=16384)  # (strings in and out; small: each entry is a node the garbage collector follows)
def strip_suffix(name: str) -> tuple[str, str]:
    """Split a trailing generational suffix off a name: "Smith, Jr." -> ("Smith", "jr").

    The name keeps its original spelling (minus the suffix and the comma before it); the suffix is
    canonical (see ``canonical_suffix``), or "" when there is none. A lone word is never treated as a
    suffix, and several suffixes ("Smith Jr. III") are all removed; the final word's is returned.
    """
    text = name.strip()
    found = ""
    while True:
        words = text.replace(",", " ").split()
        if len(words) < 2:
            return text, found
        last = normalize_token(words[-1]).replace(" ", "")
        if last not in _STRIPPABLE:
            return text, found
        found = found or SUFFIXES[last]
        cut = text.rstrip().rfind(words[-1])
        text = text[:cut].rstrip().rstrip(",").rstrip()


@dataclass(frozen=True, slots=True, kw_only=True)
class NameParts:
    """One name of a person as recorded; keyword-only so given and family can never be swapped."""

    given: str
    family: str
    middle: str = ""
    suffix: str = ""

    def normalized(self) -> NameParts:
        """The same name normalized (see ``normalize_token``), with any suffix moved out of the surname.

        Idempotent. An explicit ``suffix`` wins over one found at the end of ``family``.
        """
        return _normalized(self)


def normalized_uncached(parts: NameParts) -> NameParts:
    """``parts.normalized()`` without remembering the answer: for names seen once (the candidates of one lookup,
    hundreds of them), so that they do not fill the cache with objects that live long enough to make the
    garbage collector's full passes slow, only to be evicted."""
    return _normalize(parts)


def _normalize(parts: NameParts) -> NameParts:
    # Strip after normalizing, so "Smith-Jr" and "Smith, Jr." both lose the suffix and a second
    # pass finds nothing new (idempotence).
    family, found = strip_suffix(normalize_token(parts.family))
    suffix = canonical_suffix(parts.suffix) if parts.suffix.strip() else found
    return NameParts(given=normalize_token(parts.given), middle=normalize_token(parts.middle),
                     family=family, suffix=suffix)


_normalized = lru_cache(maxsize=65536)(_normalize)


def order_variants(name: NameParts) -> list[NameParts]:
    """The name as it reads if it was written family name first ("NG PAUL", "López Verónica").

    Forms and foreign records put the family name first, and the clerk's fields then hold the names in the
    wrong places. Given fields (given, middle, family) = (G, M, F), the other readings are:

    * (F, M, G): given and family swapped ("Ng" / "Paul"). Also covers a name typed as "FAMILY GIVEN MIDDLE"
      and split into given "Sutinghurst" and family "Richard Steven": the first given word is what counts.
    * (M, F, G): "FAMILY GIVEN MIDDLE" read left to right into given, middle, family; so the person is M F G.
    * (F, G, M): the inverse, for when the *other* record is the one read that way.

    The set is closed under inverses, so comparing every variant of one name with the other is symmetric.
    The suffix stays where it is.
    """
    g, m, f, s = name.given, name.middle, name.family, name.suffix
    out = [NameParts(given=f, middle=m, family=g, suffix=s)]
    if m.strip():
        out += [NameParts(given=m, middle=f, family=g, suffix=s), NameParts(given=f, middle=g, family=m, suffix=s)]
    return out
