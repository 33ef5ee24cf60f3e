"""The synthetic population behind the identity benchmark: deterministic, every noise kind, hard negatives."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from rapidfuzz.distance import OSA

from bench import identity_accuracy
from bench.population import NOISE_KINDS, STRANGER_KINDS, Officer, PopulationConfig, generate, typo
from identity import are_nickname_related, normalize_token

SMALL = PopulationConfig(officers=3000, seed=7, reentry_rate=1.0)


@pytest.fixture(scope="module")
def officers() -> list[Officer]:
    return list(generate(SMALL))


def test_same_seed_same_population(officers: list[Officer]) -> None:
    again = list(generate(SMALL))
    assert again == officers
    other = list(generate(replace(SMALL, seed=8, officers=200)))
    assert [o.officer_id for o in other] != [o.officer_id for o in officers[:200]]


def test_noise_mixture_does_not_change_the_population() -> None:
    a = list(generate(replace(SMALL, officers=300)))
    b = list(generate(replace(SMALL, officers=300, noise_weights={"none": 1.0})))
    assert [o.names for o in a] == [o.names for o in b]
    assert {o.reentry.kind for o in b if o.reentry} == {"none"}


def test_ids_are_unique_and_registry_shaped(officers: list[Officer]) -> None:
    ids = [o.officer_id for o in officers]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("OFC-") and len(i) == 16 for i in ids)
    assert len({(o.state, o.cert_number) for o in officers}) == len(officers)
    assert len({o.state for o in officers}) > 30


def test_every_noise_kind_is_produced(officers: list[Officer]) -> None:
    kinds = Counter(o.reentry.kind for o in officers if o.reentry)
    assert set(kinds) == set(NOISE_KINDS), set(NOISE_KINDS) - set(kinds)


def _norm(s: str) -> str:
    return normalize_token(s).replace(" ", "")


def test_each_noise_does_what_it_says(officers: list[Officer]) -> None:
    for o in officers:
        r = o.reentry
        assert r is not None and r.officer_id == o.officer_id and r.state != o.state
        p, entered = o.person, r.names[0]
        match r.kind:
            case "none" | "middle_initial":
                assert _norm(entered.given) == _norm(p.given) and _norm(entered.family) == _norm(p.family)
                assert r.dob == p.dob
            case "typo_surname":
                assert OSA.distance(_norm(entered.family), _norm(p.family)) == 1
            case "typo_given":
                assert OSA.distance(_norm(entered.given), _norm(p.given)) == 1
            case "nickname":
                assert are_nickname_related(entered.given, p.given)
            case "married_alias":
                assert len(r.names) == 2 and _norm(r.names[1].family) == _norm(p.family)
                assert _norm(entered.family) != _norm(p.family)
            case "married_no_alias":
                assert len(r.names) == 1 and _norm(entered.family) != _norm(p.family)
            case "married_hyphenated":
                assert "-" in entered.family and _norm(entered.family).startswith(_norm(p.family))
            case "swapped_day_month":
                assert (r.dob.year, r.dob.month, r.dob.day) == (p.dob.year, p.dob.day, p.dob.month)
            case "missing_middle":
                assert p.middle and not entered.middle
            case "hyphen_part":  # one part, or the parts run together ("Ten Brink" -> "Tenbrink")
                assert normalize_token(entered.family) != normalize_token(p.family)
            case "dob_digit":
                assert OSA.distance(r.dob.strftime("%Y%m%d"), p.dob.strftime("%Y%m%d")) == 1
            case "two_noises":
                assert "+" in r.detail


def test_twins_and_common_names_are_present(officers: list[Officer]) -> None:
    by_id = {o.officer_id: o for o in officers}
    twins = [o for o in officers if o.twin_id]
    assert twins
    for o in twins:
        t = by_id[o.twin_id or ""]
        assert t.twin_id == o.officer_id
        assert (t.person.family, t.person.dob) == (o.person.family, o.person.dob)
        assert _norm(t.person.given) != _norm(o.person.given)
    smiths = [o for o in officers if _norm(o.person.family) == "smith"]
    assert len({o.person.dob for o in smiths}) == len(smiths) > 10
    assert sum(o.common for o in officers) > 20


def test_strangers_resemble_without_being(officers: list[Officer]) -> None:
    strangers = [(o, o.stranger) for o in officers if o.stranger]
    assert {s.kind for _, s in strangers} == set(STRANGER_KINDS)
    for o, s in strangers:
        assert s.resembles == o.officer_id and _norm(s.names[0].family) == _norm(o.person.family)
        if s.kind == "twin_unregistered":
            assert s.dob == o.person.dob and _norm(s.names[0].given) != _norm(o.person.given)
        elif s.kind == "namesake_same_dob":
            mine, theirs = normalize_token(s.names[0].middle)[:1], normalize_token(o.person.middle)[:1]
            assert s.dob == o.person.dob
            assert mine != theirs or not mine or not theirs  # the full names never agree
        else:
            assert s.dob != o.person.dob


def test_typo_is_one_edit() -> None:
    import random

    rng = random.Random(1)
    for name in ("Smith", "García-López", "O'Brien", "Nguyen"):
        out = typo(rng, name)
        assert OSA.distance(_norm(out), _norm(name)) == 1


def test_accuracy_bench_runs_on_a_small_population(capsys: pytest.CaptureFixture[str]) -> None:
    identity_accuracy.main(["--officers", "2000", "--queries", "150", "--negatives", "30", "--workers", "1",
                            "--examples", "0"])
    out = capsys.readouterr().out
    assert "search recall@5" in out and "automatic-link precision" in out
