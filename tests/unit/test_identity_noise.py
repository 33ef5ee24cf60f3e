"""Identity matching under the noises of forms and foreign records: names in family-first order, birth dates a
day, a month or a year off, Spanish and Filipino hypocorisms and pet names, two errors at once; and the rule that
names and a birth date alone never link automatically."""

from __future__ import annotations

from datetime import date

import pytest

from identity import (
    Candidate,
    NameParts,
    Query,
    are_nickname_related,
    blocking_keys,
    explain_nickname,
    given_name_variants,
    order_variants,
    query_key_weights,
    query_keys,
    rank,
    score,
    ssn_blind_index,
)
from identity.matching import decide
from identity.nicknames import HYPOCORISMS, PET_NAMES, formal_forms, is_pet_name
from identity.phonetic import KEY_WEIGHTS

KEY = b"k" * 32
DOB = date(1961, 10, 19)


def N(given: str, family: str, middle: str = "", suffix: str = "") -> NameParts:
    return NameParts(given=given, family=family, middle=middle, suffix=suffix)


def meet(stored: NameParts, stored_dob: date, searched: NameParts, dob: date) -> set[str]:
    return blocking_keys([stored], stored_dob) & query_keys([searched], dob)


# --- hypocorisms and pet names ---------------------------------------------------------------------------------

SPANISH = [
    ("Pepe", "José"), ("Paco", "Francisco"), ("Pancho", "Francisco"), ("Lupe", "Guadalupe"), ("Chucho", "Jesús"),
    ("Nacho", "Ignacio"), ("Toño", "Antonio"), ("Kiko", "Francisco"), ("Memo", "Guillermo"), ("Lalo", "Eduardo"),
    ("Chema", "José María"), ("Beto", "Alberto"), ("Beto", "Roberto"), ("Chuy", "Jesús"), ("Quique", "Enrique"),
    ("Rafa", "Rafael"), ("Juanito", "Juan"), ("Kike", "Enrique"), ("Manolo", "Manuel"), ("Chava", "Salvador"),
    ("Lola", "Dolores"), ("Concha", "Concepción"), ("Chayo", "Rosario"), ("Poncho", "Alfonso"),
]
FILIPINO = [
    ("Jojo", "Jose"), ("Jojo", "Joseph"), ("Peping", "José"), ("Nanding", "Fernando"), ("Caloy", "Carlos"),
    ("Carding", "Ricardo"), ("Tonyo", "Antonio"), ("Monching", "Ramón"), ("Ninoy", "Benigno"), ("Maring", "Maria"),
]


@pytest.mark.parametrize(("nick", "formal"), SPANISH + FILIPINO)
def test_hypocorisms_are_nicknames_both_ways(nick: str, formal: str) -> None:
    assert are_nickname_related(nick, formal) and are_nickname_related(formal, nick)
    assert explain_nickname(nick, formal) == f"given name '{nick}' is a nickname of '{formal}'"
    m = score(Query([N(nick, "Ortega")], DOB), Candidate("A", [N(formal, "Ortega")], DOB))
    assert m.score > 0.9 and not m.conflicts, m  # Pepe/José scored 0.38 before


@pytest.mark.parametrize(("nick", "formal"), SPANISH + FILIPINO)
def test_a_hypocorism_and_its_formal_name_share_blocking_keys(nick: str, formal: str) -> None:
    """Either may be on file: the search expands to the other (and a new surname does not matter)."""
    assert meet(N(formal, "Ortega"), DOB, N(nick, "Whitcombe"), DOB)
    assert meet(N(nick, "Ortega"), DOB, N(formal, "Whitcombe"), DOB)


def test_hypocorism_table_is_normalized_and_links_only_longer_formal_names() -> None:
    for nick, formals in HYPOCORISMS.items():
        assert nick == nick.lower().strip() and nick.isalpha(), nick
        assert formals and all(f.isalpha() and f == f.lower() for f in formals), nick
    assert formal_forms("Beto")[:2] == ("roberto", "alberto")
    assert "pepe" in given_name_variants("José") and "jose" in given_name_variants("Pepe")


@pytest.mark.parametrize(("a", "b"), [
    ("Alberto", "Roberto"),  # both "Beto", still two names
    ("José", "Jesús"), ("Pepe", "Chuy"), ("Francisco", "Enrique"), ("Paco", "Pablo"), ("Lupe", "Lucía"),
])
def test_different_spanish_names_stay_different(a: str, b: str) -> None:
    assert not are_nickname_related(a, b)
    m = score(Query([N(a, "Ortega")], DOB), Candidate("A", [N(b, "Ortega")], DOB))
    assert f"given name '{a}' differs from '{b}'" in m.conflicts and m.score < 0.5


@pytest.mark.parametrize("pet", ["Boy", "Bong", "Jun", "Junjun", "Dodong", "Nonoy", "Ding", "Inday", "BOY"])
def test_a_filipino_pet_name_is_no_contradiction(pet: str) -> None:
    assert is_pet_name(pet) and not are_nickname_related(pet, "Roberto")
    m = score(Query([N(pet, "Reyes", "Santos")], DOB), Candidate("A", [N("Roberto", "Reyes", "Santos")], DOB))
    assert not m.conflicts and not m.strong and m.score > 0.9
    assert f"given name '{pet}' is a pet name, which may stand for 'Roberto'" in m.reasons
    assert meet(N("Roberto", "Reyes"), DOB, N(pet, "Reyes"), DOB)  # through the surname (and the date)


def test_pet_names_are_listed_normalized() -> None:
    assert all(p == p.lower() and p.isalpha() for p in PET_NAMES)
    assert not is_pet_name("Roberto") and not is_pet_name("")


# --- birth dates compared as dates -------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "reason"), [
    (date(1961, 10, 19), date(1961, 10, 20), "date of birth is one day off"),  # across a tens digit
    (date(1961, 10, 31), date(1961, 11, 1), "date of birth is one day off"),  # across a month
    (date(1961, 12, 31), date(1962, 1, 1), "date of birth is one day off"),  # across a year
    (date(1961, 10, 19), date(1961, 11, 19), "date of birth is one month off"),
    (date(1961, 12, 19), date(1962, 1, 19), "date of birth is one month off"),  # across a year
    (date(1961, 10, 19), date(1962, 10, 19), "date of birth is one year off"),
    (date(1961, 10, 9), date(1961, 9, 10), "date of birth matches with day and month swapped"),
    (date(1961, 10, 19), date(1961, 10, 29), "date of birth differs in one digit or two adjacent digits (likely typo)"),
])
def test_a_near_birth_date_agrees_partly(a: date, b: date, reason: str) -> None:
    m = score(Query([N("Richard", "Sutinghurst")], a), Candidate("A", [N("Richard", "Sutinghurst")], b))
    assert reason in m.reasons and not m.conflicts
    assert 0.5 < m.score < score(Query([N("Richard", "Sutinghurst")], b),
                                 Candidate("A", [N("Richard", "Sutinghurst")], b)).score


@pytest.mark.parametrize("other", [date(1961, 10, 21), date(1961, 8, 19), date(1964, 10, 21), date(1975, 2, 3)])
def test_a_far_birth_date_contradicts(other: date) -> None:
    m = score(Query([N("Richard", "Sutinghurst")], DOB), Candidate("A", [N("Richard", "Sutinghurst")], other))
    assert "date of birth differs" in m.conflicts and m.score < 0.5


# --- names in family-first order -------------------------------------------------------------------------------

@pytest.mark.parametrize(("entered", "on_file"), [
    (N("NG", "PAUL"), N("Paul", "Ng")),
    (N("López", "Verónica"), N("Verónica", "López")),
    (N("Sutinghurst", "Richard Steven"), N("Richard", "Sutinghurst", "Steven")),  # "FAMILY GIVEN MIDDLE", split 1+2
    (N("Sutinghurst", "Steven", "Richard"), N("Richard", "Sutinghurst", "Steven")),  # read as given, middle, family
    (N("Richard", "Sutinghurst", "Steven"), N("Sutinghurst", "Steven", "Richard")),  # the record on file is the one
])
def test_names_in_family_first_order_match(entered: NameParts, on_file: NameParts) -> None:
    m = score(Query([entered], DOB), Candidate("A", [on_file], DOB))
    assert m.score > 0.9 and not m.conflicts and not m.strong, m
    assert any("read family name first" in r for r in m.reasons), m.reasons
    back = score(Query([on_file], DOB), Candidate("A", [entered], DOB))
    assert back.score == pytest.approx(m.score)
    for dob in (DOB, date(1961, 10, 20), date(1962, 10, 19)):  # also with a date error
        assert meet(on_file, DOB, entered, dob)


def test_order_variants_are_closed_under_inverse() -> None:
    name = N("Richard", "Sutinghurst", "Steven")
    for v in order_variants(name):
        assert name in order_variants(v)
    assert order_variants(N("Paul", "Ng")) == [N("Ng", "Paul")]


def test_reading_the_order_again_does_not_mix_names() -> None:
    """A given name agreeing with one name on file and a surname with another prove nothing about the order."""
    c = Candidate("A", [N("William", "Smith", "James"), N("William", "Brown")], DOB)
    m = score(Query([N("William", "Jones")], DOB), c)
    assert "surname 'Jones' differs from 'Smith'" in m.conflicts
    assert not any("family name first" in r for r in m.reasons)


def test_twins_are_not_made_alike_by_reading_the_order_again() -> None:
    m = score(Query([N("Ethan", "Brooks")], DOB), Candidate("A", [N("Lucas", "Brooks")], DOB))
    assert "given name 'Ethan' differs from 'Lucas'" in m.conflicts and m.score < 0.5


# --- two errors at once: the keys survive ---------------------------------------------------------------------

@pytest.mark.parametrize(("entered", "dob"), [
    pytest.param(N("Maria", "Whitcombe"), date(1986, 3, 10), id="new surname, a day off"),
    pytest.param(N("Maria", "Whitcombe"), date(1987, 3, 9), id="new surname, a year off"),
    pytest.param(N("Maria", "Whitcombe"), date(1986, 4, 9), id="new surname, a month off"),
    pytest.param(N("Maria", "Whitcombe"), date(1986, 3, 19), id="new surname, a day digit mistyped"),
    pytest.param(N("Maria", "Lopes"), date(1986, 3, 10), id="surname typo, a day off"),
    pytest.param(N("Maria", "Kopez"), date(1987, 3, 9), id="surname first-letter typo, a year off"),
    pytest.param(N("Mraia", "Whitcombe"), date(1986, 3, 9), id="new surname, given-name typo"),
    pytest.param(N("Mraia", "Lpoez"), date(1986, 3, 9), id="two typos"),
    pytest.param(N("Lopez", "Maria"), date(1986, 3, 10), id="family-first order, a day off"),
])
def test_keys_survive_two_errors(entered: NameParts, dob: date) -> None:
    assert meet(N("Maria", "Lopez", "Elena"), date(1986, 3, 9), entered, dob)


@pytest.mark.parametrize(("on_file", "entered"), [
    (date(1986, 3, 1), date(1986, 2, 28)),  # a day off across the month: day and month both change
    (date(1986, 12, 31), date(1987, 1, 1)),  # ... across the year: all three change
    (date(1986, 12, 9), date(1987, 1, 9)),  # a month off across the year
])
def test_new_surname_and_a_date_error_across_a_month_or_year(on_file: date, entered: date) -> None:
    assert meet(N("Maria", "Lopez"), on_file, N("Maria", "Whitcombe"), entered)


def test_query_key_weights_rank_exact_keys_above_neighbours() -> None:
    weights = query_key_weights([N("Maria", "Lopez")], date(1986, 3, 9))
    assert set(weights) == query_keys([N("Maria", "Lopez")], date(1986, 3, 9))
    assert all(0 < w <= max(KEY_WEIGHTS.values()) for w in weights.values())
    assert weights["gd:MR:19860309"] == KEY_WEIGHTS["gd"]
    assert weights["gd:MR:19860310"] < KEY_WEIGHTS["gd"]  # the day after
    assert weights["d:19860309"] == KEY_WEIGHTS["d"]


def test_one_date_key_per_officer_whatever_the_names() -> None:
    keys = blocking_keys([N("Maria", "Lopez"), N("Maria", "Whitcombe"), N("Mary", "Lopez")], date(1986, 3, 9))
    assert [k for k in keys if k.startswith("d:")] == ["d:19860309"]
    assert not any(k.startswith(("d:", "gym:", "gyd:", "gmd:")) for k in blocking_keys([N("Maria", "Lopez")], None))


# --- given-name typos ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "name"), [("Kohn", "John"), ("Gsry", "Gary"), ("Wthan", "Ethan")])
def test_a_one_letter_given_name_error_is_not_a_contradiction(typed: str, name: str) -> None:
    m = score(Query([N(typed, "Brooks")], DOB), Candidate("A", [N(name, "Brooks")], DOB))
    assert f"given name '{typed}' is one letter from '{name}'" in m.reasons and not m.conflicts
    assert m.score > 0.8 and not m.strong


# --- what may link automatically -------------------------------------------------------------------------------

SSN = ssn_blind_index("287-65-4321", KEY)
OTHER_SSN = ssn_blind_index("287-65-4322", KEY)


def test_identical_name_and_birth_date_without_an_identifier_never_link() -> None:
    """Two distinct officers with the same full name, middle name and birth date: review, not a merge."""
    a = Candidate("A", [N("John", "Smith", "Paul")], DOB)
    b = Candidate("B", [N("John", "Smith", "Paul")], DOB)
    q = Query([N("John", "Smith", "Paul")], DOB)
    ranked = rank(q, [a])
    assert not ranked[0].strong and ranked[0].score > 0.99 and decide(ranked) is None
    assert decide(rank(q, [a, b])) is None
    pair = score(Query(list(a.names), a.dob), b)
    assert not pair.strong


def test_a_matching_ssn_links_despite_spelling_and_a_near_date() -> None:
    c = Candidate("A", [N("Katherine", "Smyth-Lopez")], DOB, ssn_index=SSN)
    m = score(Query([N("Catherine", "Smith")], date(1961, 10, 20), ssn_index=SSN), c)
    assert m.strong and "Social Security number matches" in m.reasons
    assert decide(rank(Query([N("Catherine", "Smith")], DOB, ssn_index=SSN), [c])) == "A"


def test_a_matching_ssn_does_not_link_a_contradicting_given_name() -> None:
    """Twins' SSNs are often consecutive: one mistyped digit must not link one twin to the other."""
    c = Candidate("A", [N("Lucas", "Brooks")], DOB, ssn_index=SSN)
    m = score(Query([N("Ethan", "Brooks")], DOB, ssn_index=SSN), c)
    assert not m.strong and m.score > 0.5  # but to review


def test_a_conflicting_ssn_blocks_a_link_and_says_so() -> None:
    c = Candidate("A", [N("John", "Smith", "Paul")], DOB, cert_numbers={("CA", "A-1")}, ssn_index=SSN)
    q = Query([N("John", "Smith", "Paul")], DOB, state="CA", cert_number="A-1", ssn_index=OTHER_SSN)
    m = score(q, c)
    assert not m.strong and "Social Security number differs" in m.conflicts
    assert m.score >= 0.5  # the otherwise identical person goes to review
    assert decide([m]) is None


def test_the_same_certification_number_and_birth_date_link() -> None:
    c = Candidate("A", [N("John", "Smith")], DOB, cert_numbers={("CA", "A-1")})
    assert score(Query([N("Jon", "Smith")], DOB, state="CA", cert_number="A-1"), c).strong
