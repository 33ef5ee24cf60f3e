"""Identity matching: normalization, nicknames, blocking keys, scoring and SSN handling."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from datetime import date
from itertools import product

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from identity import (
    Candidate,
    InvalidSSNError,
    NameParts,
    Query,
    are_nickname_related,
    blocking_keys,
    explain_nickname,
    given_name_variants,
    normalize_token,
    query_keys,
    rank,
    score,
    split_surname,
    ssn_blind_index,
    strip_suffix,
    validate_ssn,
)
from identity.phonetic import MAX_STORED_GIVEN_CODES, MAX_SURNAME_FORMS
from identity.score import _DATE_CONFLICT_BOUND, Match

DOB = date(1985, 3, 12)
KEY = b"k" * 32


def N(given: str, family: str, middle: str = "", suffix: str = "") -> NameParts:
    return NameParts(given=given, family=family, middle=middle, suffix=suffix)


# --- normalization -------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("O'Brien", "obrien"),
    ("O\u2019Brien", "obrien"),  # typographic apostrophe
    ("O\u00b4Brien", "obrien"),  # acute accent typed as an apostrophe
    ("McDonald", "mcdonald"),
    ("José", "jose"),
    ("MÜLLER", "muller"),
    ("Øster", "oster"),
    ("Straße", "strasse"),
    ("Łukasz", "lukasz"),
    ("  Garcia--Lopez ", "garcia lopez"),
    ("St. John", "st john"),
    ("J.R.", "jr"),
    ("Anne-Marie", "anne marie"),
    ("", ""),
    ("---", ""),
])
def test_normalize_token(raw: str, expected: str) -> None:
    assert normalize_token(raw) == expected


@pytest.mark.parametrize(("family", "expected"), [
    ("Smith", ["smith"]),
    ("Garcia-Lopez", ["garcia", "lopez", "garcialopez"]),
    ("Garcia Lopez", ["garcia", "lopez", "garcialopez"]),
    ("de la Cruz", ["cruz", "delacruz"]),
    ("DelaCruz", ["delacruz"]),
    ("Van Der Berg", ["berg", "vanderberg"]),
    ("O'Brien", ["obrien"]),
    ("Mac Donald", ["macdonald"]),  # an attaching prefix is not a part of its own
    ("Le", ["le"]),  # a particle-looking surname is kept when it is all there is
    ("", []),
])
def test_split_surname(family: str, expected: list[str]) -> None:
    assert split_surname(family) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("Smith, Jr.", ("Smith", "jr")),
    ("Smith Jr", ("Smith", "jr")),
    ("Smith Junior", ("Smith", "jr")),
    ("John Smith III", ("John Smith", "iii")),
    ("Smith 3rd", ("Smith", "iii")),
    ("Smith Sr.", ("Smith", "sr")),
    ("Smith IV", ("Smith", "iv")),
    ("Smith Jr. III", ("Smith", "iii")),
    ("Smith", ("Smith", "")),
    ("Jr", ("Jr", "")),  # a lone word is a name, not a suffix
    ("Smith I", ("Smith I", "")),  # a trailing I is more likely an initial
])
def test_strip_suffix(raw: str, expected: tuple[str, str]) -> None:
    assert strip_suffix(raw) == expected


def test_name_parts_normalized_moves_suffix_out_of_surname() -> None:
    assert N("Zoë", "Smith-Jr", "Anne-Marie").normalized() == N("zoe", "smith", "anne marie", "jr")
    assert N("John", "Smith, Jr.").normalized() == N("john", "smith", "", "jr")
    assert N("John", "Smith", suffix="3rd").normalized().suffix == "iii"


def test_name_parts_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        NameParts("John", "Smith")  # type: ignore[call-arg]


# --- nicknames -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("nick", "formal"), [
    ("bill", "william"), ("bob", "robert"), ("liz", "elizabeth"), ("kate", "katherine"),
    ("Mike", "Michael"), ("Jack", "John"), ("Chris", "Christopher"),
])
def test_given_name_variants_link_both_ways(nick: str, formal: str) -> None:
    assert formal.lower() in given_name_variants(nick)
    assert nick.lower() in given_name_variants(formal)
    assert are_nickname_related(nick, formal)
    assert are_nickname_related(formal, nick)


def test_given_name_variants_include_the_name_and_are_cached() -> None:
    assert "william" in given_name_variants("William")
    assert given_name_variants("") == frozenset()
    assert given_name_variants("Zxqv") == frozenset({"zxqv"})
    assert given_name_variants("Bill") is given_name_variants("Bill")


@pytest.mark.parametrize(("a", "b"), [
    ("Bill", "Will"),  # both short for William
    ("Beth", "Liz"),  # both short for Elizabeth
    ("Kate", "Catherine"),  # the table lists Katherine only
])
def test_nickname_siblings_and_spellings_are_related(a: str, b: str) -> None:
    assert are_nickname_related(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("William", "Robert"),  # the table links both to "Bill"; they are still different names
    ("Michael", "Daniel"),
    ("John", "Joan"),
    ("James", "John"),
    ("John", "John"),  # the same name is not a nickname
])
def test_unrelated_given_names(a: str, b: str) -> None:
    assert not are_nickname_related(a, b)


def test_explain_nickname_reads_well() -> None:
    assert explain_nickname("Bill", "William") == "given name 'Bill' is a nickname of 'William'"
    assert explain_nickname("William", "Bill") == "given name 'Bill' is a nickname of 'William'"
    assert explain_nickname("Beth", "Liz") == "given names 'Beth' and 'Liz' are both short for 'Elizabeth'"
    assert explain_nickname("Michael", "Daniel") is None


# --- blocking keys -------------------------------------------------------------------------------

def _meet(
    stored: list[NameParts], stored_dob: date | None, searched: NameParts, dob: date | None
) -> set[str]:
    return blocking_keys(stored, stored_dob) & query_keys(searched, dob)


@pytest.mark.parametrize(("stored", "stored_dob", "searched", "dob"), [
    pytest.param([N("William", "Johnson")], DOB, N("William", "Jonson"), DOB, id="surname typo (phonetic)"),
    pytest.param([N("William", "Smith")], DOB, N("William", "Smiht"), DOB, id="surname transposition"),
    pytest.param([N("William", "Smith")], DOB, N("William", "Kmith"), DOB, id="surname first-letter typo"),
    pytest.param([N("William", "Smith")], DOB, N("Bill", "Smith"), DOB, id="nickname searched"),
    pytest.param([N("Bill", "Smith")], DOB, N("William", "Smith"), DOB, id="nickname stored"),
    pytest.param([N("Bill", "Jones")], DOB, N("Will", "Smith"), DOB, id="sibling nicknames and new surname"),
    pytest.param([N("Kate", "Jones")], DOB, N("Catherine", "Smith"), DOB, id="nickname of other spelling"),
    pytest.param([N("Jane", "Doe"), N("Jane", "Smith")], DOB, N("Jane", "Smith"), date(1985, 12, 3),
                 id="married name with alias, swapped dob"),
    pytest.param([N("Jane", "Doe")], DOB, N("Jane", "Smith"), DOB, id="married name without alias"),
    pytest.param([N("Ana", "Garcia-Lopez")], DOB, N("Ana", "Garcia"), DOB, id="hyphenated, first part"),
    pytest.param([N("Ana", "Garcia-Lopez")], DOB, N("Ana", "Lopez"), DOB, id="hyphenated, second part"),
    pytest.param([N("Ana", "Garcia-Lopez")], DOB, N("Ana", "GarciaLopez"), DOB,
                 id="hyphenated, run together"),
    pytest.param([N("Juan", "de la Cruz")], DOB, N("Juan", "Delacruz"), DOB, id="compound, run together"),
    pytest.param([N("Juan", "de la Cruz")], DOB, N("Juan", "Cruz"), DOB, id="compound, particles dropped"),
    pytest.param([N("Jane", "Smith")], DOB, N("Jane", "Smith"), date(1985, 12, 3), id="day/month swapped"),
    pytest.param([N("Jane", "Smith")], DOB, N("Jane", "Smith"), date(1986, 3, 12), id="year digit typo"),
    pytest.param([N("Jane", "Smith")], DOB, N("Jane", "Smith"), date(1985, 3, 13), id="day digit typo"),
    pytest.param([N("Jane", "Smith")], DOB, N("Jane", "Smith"), date(1985, 8, 12), id="month digit typo"),
    pytest.param([N("William", "Smith")], DOB, N("Bill", "Smith"), date(1958, 3, 12),
                 id="nickname and year typo"),
    pytest.param([N("Jane", "Smith", "Anne")], DOB, N("Jane", "Smith"), DOB, id="middle name missing"),
    pytest.param([N("José", "Muñoz")], DOB, N("Jose", "Munoz"), DOB, id="diacritics"),
    pytest.param([N("John", "Smith Jr.")], DOB, N("John", "Smith"), DOB, id="suffix in surname"),
    pytest.param([N("John", "Smith", suffix="Jr")], DOB, N("John", "Smith"), DOB, id="suffix field"),
    pytest.param([N("John", "Smith")], None, N("John", "Smith"), DOB, id="no dob on file"),
    pytest.param([N("John", "Smith")], DOB, N("John", "Smith"), None, id="no dob searched"),
])
def test_blocking_keys_meet_despite_noise(
    stored: list[NameParts], stored_dob: date | None, searched: NameParts, dob: date | None
) -> None:
    assert _meet(stored, stored_dob, searched, dob)


def test_swapped_day_month_gives_identical_date_keys() -> None:
    """The keys on the whole date sort month and day, so a swap changes none of them (the partial-date keys
    and the date key do change: they have other work)."""
    a = blocking_keys(N("Jane", "Smith"), date(1985, 3, 12))
    b = blocking_keys(N("Jane", "Smith"), date(1985, 12, 3))
    whole = ("sy", "sm", "gd", "gs", "gmd")
    assert {k for k in a if k.split(":")[0] in whole} == {k for k in b if k.split(":")[0] in whole}


def test_birth_year_only_search_meets_the_surname_year_key() -> None:
    assert blocking_keys(N("Jane", "Smith"), DOB) & query_keys(N("Janet", "Smith"), None, birth_year=1985)


def test_different_people_share_no_keys() -> None:
    assert not _meet([N("William", "Smith")], DOB, N("Maria", "Nguyen"), date(1990, 7, 1))


@pytest.mark.parametrize(("name", "expected"), [
    # 10 for the name (John has formal forms), 3 partial-date keys, 3 date x initial keys, 1 date key
    (N("John", "Smith"), 17),
    (N("Michael", "Nguyen"), 10),
    (N("Jose", "Munoz"), 10),
])
def test_typical_key_counts(name: NameParts, expected: int) -> None:
    assert len(blocking_keys(name, DOB)) == expected


@pytest.mark.parametrize("name", [
    N("Chris", "Garcia-Lopez"), N("Kay", "Garcia Lopez de la Cruz"), N("Elizabeth", "Van Der Berg"),
    N("Al", "Al-Hassan bin Rashid"), N("Ann", "Smith-Jones-Brown-Green"),
])
def test_worst_case_key_count_is_bounded(name: NameParts) -> None:
    bound = 3 * MAX_SURNAME_FORMS + MAX_STORED_GIVEN_CODES * (2 + MAX_SURNAME_FORMS) + 3 + 1
    assert bound <= 33
    assert len(blocking_keys(name, DOB)) <= bound


# --- scoring -------------------------------------------------------------------------------------

TRUE = Candidate(
    officer_id="OFF-TRUE",
    names=[N("William", "Smith", "James"), N("William", "Brown")],
    dob=DOB,
    cert_numbers={("CA", "12345")},
    agency_oris={"CA0190000"},
    ssn_index=ssn_blind_index("219-45-6789", KEY),
)


def test_exact_full_name_with_middle_and_dob_is_not_strong_without_an_identifier() -> None:
    """Two people can share a full name and birth date: without an SSN or certification number that agrees,
    it goes to review (a high score), never to an automatic link."""
    m = score(Query([N("William", "Smith", "J.")], DOB), TRUE)
    assert not m.strong and m.score > 0.99
    assert "date of birth matches" in m.reasons
    assert "middle initial matches" in m.reasons
    assert m.officer_id == "OFF-TRUE"


def test_exact_name_without_middle_is_not_strong() -> None:
    """Two John Smiths born on one day exist nationally; a middle initial is required."""
    m = score(Query([N("William", "Smith")], DOB), TRUE)
    assert not m.strong and m.score > 0.95


def test_nickname_reason() -> None:
    m = score(Query([N("Bill", "Smith")], DOB), TRUE)
    assert "given name 'Bill' is a nickname of 'William'" in m.reasons
    assert m.score > 0.95


def test_former_name_reason() -> None:
    m = score(Query([N("William", "Brown")], DOB), TRUE)
    assert "surname matches former name 'Brown'" in m.reasons
    assert m.score > 0.95


def test_married_name_not_on_file_still_ranks_as_possible() -> None:
    m = score(Query([N("William", "Jones")], DOB), TRUE)
    assert 0.5 < m.score < 0.95 and not m.strong
    assert "surname 'Jones' differs from 'Smith'" in m.conflicts


def test_hyphenated_surname_part() -> None:
    c = Candidate("OFF-2", [N("Ana", "Garcia-Lopez")], DOB)
    m = score(Query([N("Ana", "Garcia")], DOB), c)
    assert "surname 'Garcia' matches part of 'Garcia-Lopez'" in m.reasons
    assert m.score > 0.95


def test_surname_typo_and_diacritics() -> None:
    c = Candidate("OFF-3", [N("José", "Muñoz")], DOB)
    assert "surname matches" in score(Query([N("Jose", "Munoz")], DOB), c).reasons
    m = score(Query([N("Jose", "Munos")], DOB), c)
    assert "surname 'Munos' is similar to 'Muñoz'" in m.reasons and m.score > 0.9


@pytest.mark.parametrize(("dob", "reason"), [
    (date(1985, 12, 3), "date of birth matches with day and month swapped"),
    (date(1985, 3, 13), "date of birth is one day off"),
    (date(1958, 3, 12), "date of birth differs in one digit or two adjacent digits (likely typo)"),
])
def test_dob_noise(dob: date, reason: str) -> None:
    m = score(Query([N("William", "Smith")], dob), TRUE)
    assert reason in m.reasons and m.score > 0.9 and not m.strong


def test_birth_year_only() -> None:
    assert "birth year matches" in score(Query([N("William", "Smith")], birth_year=1985), TRUE).reasons
    assert "birth year differs" in score(Query([N("William", "Smith")], birth_year=1990), TRUE).conflicts


def test_certification_number_and_dob_is_strong() -> None:
    m = score(Query([N("Will", "Smith")], DOB, cert_number="12345", state="ca"), TRUE)
    assert "certification CA 12345 matches" in m.reasons and m.strong


def test_certification_number_without_dob_is_not_strong() -> None:
    m = score(Query([N("Will", "Smith")], None, cert_number="12345", state="CA"), TRUE)
    assert not m.strong and m.score > 0.95


def test_certification_near_and_other() -> None:
    near = score(Query([N("William", "Smith")], DOB, cert_number="12354", state="CA"), TRUE)
    assert "certification CA 12354 nearly matches (one character differs)" in near.reasons
    other = score(Query([N("William", "Smith")], DOB, cert_number="99999", state="CA"), TRUE)
    assert "holds a different CA certification number" in other.conflicts


def test_ssn_match_with_compatible_name_is_strong() -> None:
    q = Query([N("Bill", "Brown")], date(1985, 12, 3), ssn_index=ssn_blind_index("219456789", KEY))
    m = score(q, TRUE)
    assert m.strong and "Social Security number matches" in m.reasons


def test_ssn_match_with_a_contradicting_given_name_is_not_strong() -> None:
    q = Query([N("Michael", "Smith")], DOB, ssn_index=ssn_blind_index("219-45-6789", KEY))
    m = score(q, TRUE)
    assert not m.strong and "given name 'Michael' differs from 'William'" in m.conflicts


def test_certification_number_without_state() -> None:
    m = score(Query([N("William", "Smith")], DOB, cert_number="12-345"), TRUE)
    assert "certification number 12-345 matches (CA)" in m.reasons and not m.strong


def test_ssn_mismatch_is_never_strong_and_leaves_an_identical_person_to_review() -> None:
    other_ssn = ssn_blind_index("219-45-6788", KEY)
    m = score(Query([N("William", "Smith", "James")], DOB, ssn_index=other_ssn), TRUE)
    without = score(Query([N("William", "Smith", "James")], DOB), TRUE)
    assert not m.strong and 0.5 < m.score < without.score - 0.05  # a typo in either SSN is possible
    assert "Social Security number differs" in m.conflicts
    assert score(Query([N("William", "Jones")], date(1990, 1, 1), ssn_index=other_ssn), TRUE).score < 0.01
    # With a matching certification too it may be an SSN typo: left for a person to review.
    q = Query([N("William", "Smith", "James")], DOB, cert_number="12345", state="CA", ssn_index=other_ssn)
    m = score(q, TRUE)
    assert not m.strong and "Social Security number differs" in m.conflicts


def test_twins_are_not_merged() -> None:
    """Same surname, same DOB, different given names that are not nickname-related."""
    true_match = score(Query([N("William", "Smith", "James")], DOB), TRUE)
    for twin_name in ("Michael", "Robert", "Joan"):
        twin = score(Query([N(twin_name, "Smith", "James")], DOB), TRUE)
        assert not twin.strong
        assert twin.score < 0.5
        assert true_match.score - twin.score > 0.5
        assert f"given name '{twin_name}' differs from 'William'" in twin.conflicts


def test_common_name_with_different_dob_scores_low() -> None:
    a = Candidate("OFF-A", [N("John", "Smith", "Paul")], date(1980, 1, 15))
    m = score(Query([N("John", "Smith", "Paul")], date(1992, 6, 30)), a)
    assert m.score < 0.05 and not m.strong
    assert "date of birth differs" in m.conflicts


def test_father_and_son() -> None:
    sr = Candidate("OFF-SR", [N("John", "Smith", "Paul", "Sr")], date(1960, 4, 2))
    jr = score(Query([N("John", "Smith Jr.", "Paul")], date(1988, 9, 14)), sr)
    assert jr.score < 0.01
    same_day = score(Query([N("John", "Smith Jr.", "Paul")], date(1960, 4, 2)), sr)
    assert not same_day.strong and "suffix 'Jr' differs from 'Sr'" in same_day.conflicts


def test_agencies_add_evidence() -> None:
    q = Query([N("William", "Smith")], DOB, agency_oris={"ca0190000"})
    m = score(q, TRUE)
    assert "previously employed at agency ORI CA0190000" in m.reasons
    assert m.score > score(Query([N("William", "Smith")], DOB), TRUE).score


def test_goes_by_middle_name() -> None:
    c = Candidate("OFF-4", [N("J.", "Smith", "Robert")], DOB)
    m = score(Query([N("Robert", "Smith")], DOB), c)
    assert m.score > 0.9
    c2 = Candidate("OFF-5", [N("James", "Smith", "Robert")], DOB)
    m2 = score(Query([N("Robert", "Smith")], DOB), c2)
    assert "given name 'Robert' matches middle name 'Robert'" in m2.reasons


def test_rank_puts_the_true_match_first() -> None:
    twin = Candidate("OFF-TWIN", [N("Michael", "Smith", "James")], DOB)
    namesake = Candidate("OFF-NAMESAKE", [N("William", "Smith", "James")], date(1971, 8, 20))
    ranked = rank(Query([N("Bill", "Smith")], DOB), [namesake, twin, TRUE])
    assert [m.officer_id for m in ranked] == ["OFF-TRUE", "OFF-TWIN", "OFF-NAMESAKE"]


# --- SSN -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["219-45-6789", "219456789", " 219 45 6789 ", "219-456789"])
def test_validate_ssn_accepts_usual_shapes(raw: str) -> None:
    assert validate_ssn(raw) == "219456789"


@pytest.mark.parametrize(("raw", "fragment"), [
    ("21945678", "9 digits"),
    ("2194567890", "9 digits"),
    ("219-45-678x", "9 digits"),
    ("21-945-6789", "9 digits"),
    ("\u0662\u0661\u0669456789", "9 digits"),  # non-ASCII digits
    ("000-45-6789", "first three digits"),
    ("666-45-6789", "first three digits"),
    ("900-45-6789", "first three digits"),
    ("999-45-6789", "first three digits"),
    ("219-00-6789", "middle two digits"),
    ("219-45-0000", "last four digits"),
    ("123-45-6789", "sample"),
    ("078-05-1120", "sample"),
    ("219-09-9999", "sample"),
    ("111-11-1111", "placeholder"),
])
def test_validate_ssn_rejects_with_a_readable_message_without_the_number(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidSSNError, match=fragment) as err:
        validate_ssn(raw)
    assert isinstance(err.value, ValueError)
    digits = "".join(ch for ch in raw if ch.isdigit())
    assert digits not in str(err.value)


def test_blind_index_is_format_independent_and_keyed() -> None:
    a = ssn_blind_index("219-45-6789", KEY)
    assert a == ssn_blind_index("219456789", KEY) == ssn_blind_index(" 219 45 6789", KEY)
    assert len(a) == 32
    assert a != ssn_blind_index("219-45-6789", b"j" * 32)
    assert a != ssn_blind_index("219-45-6788", KEY)
    assert b"219456789" not in a and "219456789" not in a.hex()


def test_blind_index_refuses_short_keys_and_bad_numbers() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        ssn_blind_index("219-45-6789", b"short")
    with pytest.raises(InvalidSSNError):
        ssn_blind_index("000-45-6789", os.urandom(32))


# --- properties ----------------------------------------------------------------------------------

_REAL_GIVEN = ["William", "Bill", "Robert", "Bob", "Elizabeth", "Liz", "Kate", "Katherine", "Michael",
               "Daniel", "John", "Jon", "Joan", "José", "Ana", "J.", ""]
_REAL_FAMILY = ["Smith", "Smyth", "Garcia-Lopez", "Garcia", "de la Cruz", "O'Brien", "Muñoz", "Le",
                "Smith Jr.", "Van Der Berg", ""]
_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFéüñøłßÇ'-. ", max_size=16)
_given = st.one_of(st.sampled_from(_REAL_GIVEN), _text)
_family = st.one_of(st.sampled_from(_REAL_FAMILY), _text)
_middle = st.one_of(st.sampled_from(["", "James", "J", "Anne Marie", "Robert"]), _text)
_suffix = st.sampled_from(["", "Jr", "Sr", "III"])
_names = st.builds(NameParts, given=_given, family=_family, middle=_middle, suffix=_suffix)
_dates = st.one_of(st.none(), st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)))
_ssn_idx = st.one_of(st.none(), st.sampled_from([b"\x01" * 32, b"\x02" * 32]))


@settings(max_examples=300, deadline=None)
@given(qn=st.lists(_names, min_size=0, max_size=3), cn=st.lists(_names, min_size=0, max_size=3),
       qd=_dates, cd=_dates, qs=_ssn_idx, cs=_ssn_idx,
       cert=st.one_of(st.none(), st.sampled_from(["12345", "12354", "A-1"])),
       year=st.none() | st.integers(1900, 2020))
def test_score_is_a_probability(
    qn: list[NameParts], cn: list[NameParts], qd: date | None, cd: date | None, qs: bytes | None,
    cs: bytes | None, cert: str | None, year: int | None,
) -> None:
    q = Query(qn, qd, cert_number=cert, state="CA", ssn_index=qs, birth_year=year)
    c = Candidate("X", cn, cd, cert_numbers={("CA", "12345")}, ssn_index=cs)
    m = score(q, c)
    assert 0.0 <= m.score <= 1.0
    assert not (m.strong and "Social Security number differs" in m.conflicts)


@settings(max_examples=300, deadline=None)
@given(a=_names, b=_names, da=_dates, db=_dates, sa=_ssn_idx, sb=_ssn_idx)
def test_score_is_symmetric_for_single_names(
    a: NameParts, b: NameParts, da: date | None, db: date | None, sa: bytes | None, sb: bytes | None
) -> None:
    ab = score(Query([a], da, ssn_index=sa), Candidate("B", [b], db, ssn_index=sb))
    ba = score(Query([b], db, ssn_index=sb), Candidate("A", [a], da, ssn_index=sa))
    assert ab.score == pytest.approx(ba.score)
    assert ab.strong == ba.strong


@settings(max_examples=200, deadline=None)
@given(a=_names, d=st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31)))
def test_a_person_matches_themselves(a: NameParts, d: date) -> None:
    n = a.normalized()
    assume(n.given and n.family)
    m = score(Query([a], d), Candidate("A", [a], d))
    assert m.score > 0.99 and not m.conflicts
    assert blocking_keys(a, d) & query_keys(a, d)


@settings(max_examples=200, deadline=None)
@given(a=_names, b=_names, d=_dates)
def test_a_matching_ssn_never_lowers_the_score(a: NameParts, b: NameParts, d: date | None) -> None:
    without = score(Query([a], d), Candidate("B", [b], d))
    with_ssn = score(Query([a], d, ssn_index=b"\x01" * 32), Candidate("B", [b], d, ssn_index=b"\x01" * 32))
    assert with_ssn.score >= without.score


@settings(max_examples=300, deadline=None)
@given(a=_names, d=_dates)
def test_normalization_is_idempotent_and_keys_bounded(a: NameParts, d: date | None) -> None:
    n = a.normalized()
    assert n.normalized() == n
    assert normalize_token(n.family) == n.family
    bound = 3 * MAX_SURNAME_FORMS + MAX_STORED_GIVEN_CODES * (2 + MAX_SURNAME_FORMS) + 3 + 1
    assert len(blocking_keys(a, d)) <= bound


@given(st.text())
def test_normalize_token_accepts_any_text(s: str) -> None:
    out = normalize_token(s)
    assert out == out.strip() and "  " not in out and out == out.casefold()


_GIVEN = ["Michael", "Mike", "William", "Bill", "Maria", "Mary", "J", "Jon", "John", "Ng", "Paul"]
_FAMILY = ["Smith", "Smyth", "Garcia", "Garcia-Lopez", "Ng", "Paul", "Smith Jr", "James"]
_DOBS = [DOB, date(1985, 3, 13), date(1985, 12, 3), date(1986, 3, 12), date(1971, 8, 20), date(1990, 1, 1), None]
_person = st.tuples(st.sampled_from(_GIVEN), st.sampled_from(_FAMILY), st.sampled_from(["", "James", "J", "Paul"]),
                    st.sampled_from(["", "", "Jr", "III"]), st.sampled_from(_DOBS))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_person, min_size=1, max_size=2), min_size=1, max_size=30), st.lists(_person, min_size=1,
       max_size=2), st.integers(1, 12), st.sampled_from([0.0, 0.002, 0.005, 0.01, 0.012, 0.015, 0.05, 0.5]))
def test_a_limited_or_floored_ranking_is_exact_where_it_promises(
        people: list[list[tuple[str, str, str, str, date | None]]], asked: list[tuple[str, str, str, str, date | None]],
        limit: int, floor: float) -> None:
    """``limit`` keeps the full ranking's first ``limit``; ``floor`` too, among those scoring at least it, and above
    the birth-date bound every candidate scoring at least it, in the full ranking's order (the publish path and
    search skip candidates whose birth date contradicts, and whose names cannot lift them to the floor)."""
    candidates = [Candidate(f"OFF-{i:03d}", [N(g, f, m, x) for g, f, m, x, _ in names], names[0][4])
                  for i, names in enumerate(people)]
    query = Query([N(g, f, m, x) for g, f, m, x, _ in asked], asked[0][4])
    full = [(m.officer_id, m.score) for m in rank(query, candidates)]
    limited = [(m.officer_id, m.score) for m in rank(query, candidates, limit=limit)]
    assert limited[:limit] == full[:limit]
    floored = [(m.officer_id, m.score) for m in rank(query, candidates, limit=limit, floor=floor)]
    kept, wanted = [x for x in floored if x[1] >= floor], [x for x in full if x[1] >= floor]
    assert kept[:limit] == wanted[:limit]
    if floor > _DATE_CONFLICT_BOUND:
        assert kept == wanted


def test_the_names_bound_holds_for_a_date_contradicted_namesake() -> None:
    """The few candidates whose birth date contradicts but whose names agree in full are still scored (and shown
    above the search floor); those agreeing in less are not."""
    query = Query([N("William", "Garcia-Lopez", "James")], DOB)
    same = Candidate("OFF-SAME", [N("William", "Garcia Lopez", "James")], date(1971, 8, 20))
    other = Candidate("OFF-OTHER", [N("Peter", "Garcia", "James")], date(1971, 8, 20))
    full = {m.officer_id: m.score for m in rank(query, [same, other])}
    assert full["OFF-SAME"] >= 0.01 > full["OFF-OTHER"]
    assert [m.officer_id for m in rank(query, [same, other], limit=10, floor=0.01)] == ["OFF-SAME"]


def test_the_publish_path_floor_sits_below_everything_it_uses() -> None:
    from identity.matching import PUBLISH_FLOOR
    from publishing.review import REVIEW_THRESHOLD

    assert _DATE_CONFLICT_BOUND < PUBLISH_FLOOR <= REVIEW_THRESHOLD
    contradicted = Candidate("OFF-OLD", [N("John", "Smith", "James")], date(1971, 8, 20))
    same = Candidate("OFF-SAME", [N("John", "Smith", "James")], DOB)
    query = Query([N("John", "Smith", "James")], DOB)
    assert [m.officer_id for m in rank(query, [contradicted, same], limit=10)] == ["OFF-SAME", "OFF-OLD"]
    assert [m.officer_id for m in rank(query, [contradicted, same], limit=10, floor=PUBLISH_FLOOR)] == ["OFF-SAME"]
    kept = rank(query, [contradicted, same], limit=10, floor=PUBLISH_FLOOR, keep={"OFF-OLD"})
    assert [m.officer_id for m in kept] == ["OFF-SAME", "OFF-OLD"]  # kept whatever it scores


def test_the_names_bound_is_at_least_every_date_contradicted_score() -> None:
    """Exhaustively over a grid of names meant to make each part of the bound matter (nicknames, initials,
    compound surnames and their parts, suffixes written apart, in the surname or in a field a re-reading makes
    the surname, names read in another order): a candidate whose birth date contradicts is ruled out for a floor
    only if it scores below it."""
    import importlib

    sc = importlib.import_module("identity.score")
    names = [N(g, f, m, x) for g, f, m, x in product(
        ["William", "Bill", "J", "Paul", "Ng"], ["Garcia-Lopez", "Lopez", "Paul", "Ng", "Smith Jr"],
        ["", "James", "Paul", "Paul Jr"], ["", "Jr", "III"])]
    floors = [0.003, 0.005, 0.007, 0.01, 0.011, 0.015]
    reached = dict.fromkeys(floors, 0)
    for asked in names[::3]:
        query = Query([asked], DOB)
        qn = sc._names(query.names, candidate=False)
        for name in names:
            candidate = Candidate("OFF-1", [name], date(1971, 8, 20))
            assert sc.rules_out_by_date(query, candidate)
            cn = sc._names(candidate.names, candidate=True)
            got = score(query, candidate).score
            for floor in floors:
                if got >= floor:
                    reached[floor] += 1
                    assert sc._names_may_reach(qn, cn, sc._date_conflict_floor_need(floor)), (asked, name, floor)
    assert all(reached.values()), reached  # the grid reaches every floor, so the bound is tested where it decides


#: Names meant to make each part of the score bound matter: nicknames both ways and siblings (Bill, Will), initials,
#: a middle name used as the given name, typos and one-letter differences, a pet name, compound surnames and their
#: parts, suffixes written apart or in the surname, names read family name first.
BOUND_GRID = [N(g, f, m, x) for g, f, m, x in product(
    ["William", "Bill", "Will", "Wiliam", "J", "James", "Paul", "Ng", "Boy"],
    ["Garcia-Lopez", "Lopez", "Lopes", "Paul", "Ng", "Smith Jr", "William"],
    ["", "James", "William", "Bill", "J"], ["", "Jr", "III"])]


def test_the_score_bound_is_at_least_every_names_weight() -> None:
    """``_written_bound`` is at least what the names as written add, and with a reading in another order counted
    whenever ``_Bounding.may_reread`` allows one, at least what ``_name_evidence`` adds: exhaustively over the grid,
    candidates with one name and with an alias."""
    import importlib

    sc = importlib.import_module("identity.score")
    tight = reread = 0
    for asked in BOUND_GRID[::23]:
        qn = sc._names([asked], candidate=False)
        bounding = sc._Bounding.of(Query([asked], DOB), qn)
        for k, name in enumerate(BOUND_GRID):
            for names in ([name], [name, BOUND_GRID[(k * 31) % len(BOUND_GRID)]]):
                cn = sc._names(names, candidate=True)
                written = sc._written_bound(qn, cn)
                evidence = sc._name_evidence(qn, cn).weight()
                assert written >= sc._compare_names(qn, cn).weight() - 1e-12, (asked, names)
                if bounding.may_reread(cn):
                    reread += 1
                    assert max(written, sc._REREAD_MAX) >= evidence - 1e-12, (asked, names)
                else:
                    assert written >= evidence - 1e-12, (asked, names)
                tight += abs(written - evidence) < 1e-12
    assert tight and reread  # the bound is exact somewhere and the other readings are exercised


@pytest.mark.parametrize("limit,floor", [(1, 0.0), (3, 0.01), (10, 0.01), (10, 0.05), (40, 0.0)])
def test_only_the_first_scored_gives_the_same_first(limit: int, floor: float) -> None:
    """``rank(first_only=True)`` gives the same first ``limit`` scoring at least ``floor`` (officer, score, reasons,
    strength) as scoring everyone, for queries over the grid with birth dates exact, near and contradicted, an SSN and
    a certification number; and it leaves candidates unscored."""
    dates = [DOB, date(1985, 3, 13), date(1985, 12, 3), date(1971, 8, 20), None]
    pool = [Candidate(f"OFF-{k:04d}", [name], dates[k % len(dates)], cert_numbers=frozenset({("CA", f"N{k % 5}")}),
                      ssn_index=bytes([k % 3]) if k % 4 else None) for k, name in enumerate(BOUND_GRID)]
    queries = [Query([asked], DOB) for asked in BOUND_GRID[::23]]
    queries += [Query([BOUND_GRID[5]], DOB, cert_number="N1", state="CA"),
                Query([BOUND_GRID[9]], DOB, ssn_index=b"\x01")]

    def first(ranked: list[Match]) -> list[tuple[str, float, list[str], list[str], bool]]:
        return [(m.officer_id, m.score, m.reasons, m.conflicts, m.strong) for m in ranked if m.score >= floor][:limit]

    left_out = 0
    for query in queries:
        everyone = rank(query, pool, limit=limit, floor=floor)
        only = rank(query, pool, limit=limit, floor=floor, first_only=True)
        assert first(only) == first(everyone), query
        left_out += len(everyone) - len(only)
    assert left_out  # candidates were left unscored, so the bound decided something


def test_the_query_bound_is_at_least_every_candidates_names_bound() -> None:
    """``_query_may_reach`` (asked before any candidate is read) says no for a floor only if ``_names_may_reach`` says
    no for every candidate's names: exhaustively over the grid above, query names with and without a middle name or
    a suffix, for floors on both sides of where a middle name or a suffix decides."""
    import importlib

    sc = importlib.import_module("identity.score")
    names = [N(g, f, m, x) for g, f, m, x in product(
        ["William", "Bill", "J", "Paul", "Ng"], ["Garcia-Lopez", "Lopez", "Paul", "Ng", "Smith Jr"],
        ["", "James", "Paul", "Paul Jr"], ["", "Jr", "III"])]
    said_no = 0
    for floor in (0.003, 0.005, 0.01, 0.011, 0.015):
        need = sc._date_conflict_floor_need(floor)
        for asked in names[::2]:
            qn = sc._names([asked], candidate=False)
            if sc._query_may_reach(qn, need):
                continue
            said_no += 1
            for name in names:
                assert not sc._names_may_reach(qn, sc._names([name], candidate=True), need), (asked, name, floor)
    assert said_no  # the bound says no somewhere on the grid, so the test checks something


def _calendar(years: Iterable[int], months: Iterable[int], days: Iterable[int]) -> set[date]:
    out = set()
    for y, m, d in product(years, months, days):
        with contextlib.suppress(ValueError):  # no such date
            out.add(date(y, m, d))
    return out


def _one_digit_years(year: int) -> set[int]:
    text = f"{year:04d}"
    return {int(text[:i] + x + text[i + 1:]) for i in range(4) for x in "0123456789"} - {0}


@pytest.mark.parametrize("dob", [date(1980, 4, 9), date(2000, 2, 29), date(1999, 12, 31), date(1961, 10, 19),
                                 date(1970, 1, 1), date(2024, 3, 1), date(1912, 11, 12), date(1903, 9, 30)])
def test_near_dates_are_exactly_the_dates_the_scorer_does_not_contradict(dob: date) -> None:
    """``near_dates`` (the birth dates whose candidates a store reads first) against the scorer on every date one
    keying error can reach: every day of the years around it and of every year one digit off (a transposition across
    the year and the month changes both), and the same day and month in every year."""
    import importlib

    sc = importlib.import_module("identity.score")
    years = set(range(dob.year - 2, dob.year + 3)) | _one_digit_years(dob.year)
    every = _calendar(years, range(1, 13), range(1, 32)) | _calendar(range(1, 10000), [dob.month], [dob.day])
    query = Query([N("Ada", "Byron")], dob)
    agree = {d for d in every if not sc.rules_out_by_date(query, Candidate("OFF-1", [N("Ada", "Byron")], d))}
    near = sc.near_dates(dob)
    assert set(near) & every == agree and set(near) <= every and list(near) == sorted(near)
    assert len(agree) >= 20 and dob in agree
