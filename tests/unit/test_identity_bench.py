"""The identity benchmark's added noises and SSNs do what they say (``bench.population``), and the accuracy report
gives one- and two-noise recall, false links and silent duplicates (``bench.identity_accuracy``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from rapidfuzz.distance import OSA

from bench import identity_accuracy
from bench import names_data as nd
from bench.population import TWO_NOISE_KINDS, Officer, PopulationConfig, generate, ssn_for
from identity import normalize_token, validate_ssn

SMALL = PopulationConfig(officers=4000, seed=11, reentry_rate=1.0)


@pytest.fixture(scope="module")
def officers() -> list[Officer]:
    return list(generate(SMALL))


def _norm(s: str) -> str:
    return normalize_token(s).replace(" ", "")


def _words(given: str, middle: str, family: str) -> Counter[str]:
    return Counter(normalize_token(f"{given} {middle} {family}").split())


def _months(d: date) -> int:
    return d.year * 12 + d.month


def test_the_added_noises_do_what_they_say(officers: list[Officer]) -> None:
    seen: Counter[str] = Counter()
    for o in officers:
        r = o.reentry
        assert r is not None
        p, entered = o.person, r.names[0]
        seen[r.kind] += 1
        assert r.noises == (0 if r.kind == "none" else 2 if r.kind in TWO_NOISE_KINDS else 1)
        match r.kind:
            case "dob_day":
                assert abs((r.dob - p.dob).days) == 1
            case "dob_month":
                assert r.dob.day == p.dob.day and abs(_months(r.dob) - _months(p.dob)) == 1
            case "dob_year":
                assert (r.dob.month, r.dob.day) == (p.dob.month, p.dob.day) and abs(r.dob.year - p.dob.year) == 1
            case "order_swap":
                assert _words(entered.given, entered.middle, entered.family) == _words(p.given, p.middle, p.family)
                assert _norm(entered.given) == _norm(p.family)  # the family name comes first
            case "hypocorism_es":
                options = nd.SPANISH_HYPOCORISMS[normalize_token(p.given).title()]
                assert _norm(entered.given) in {_norm(h) for h in options}
            case "hypocorism_ph":
                options = nd.FILIPINO_HYPOCORISMS.get(normalize_token(p.given).title()) or nd.FILIPINO_PET_NAMES[p.sex]
                assert _norm(entered.given) in {_norm(h) for h in options}
            case "married_dob":
                assert r.detail.startswith("married_no_alias+") and len(r.names) == 1
                assert _norm(entered.family) != _norm(p.family) and r.dob != p.dob
            case "two_typos":
                assert OSA.distance(_norm(entered.given), _norm(p.given)) == 1
                assert OSA.distance(_norm(entered.family), _norm(p.family)) == 1
    for kind in ("dob_day", "dob_month", "dob_year", "order_swap", "hypocorism_es", "hypocorism_ph", "married_dob",
                 "two_typos", "two_noises"):
        assert seen[kind] >= 10, (kind, seen)


def test_ssns_are_unique_valid_and_carried_as_configured(officers: list[Officer]) -> None:
    on_file = [o.ssn for o in officers if o.ssn is not None]
    assert len(set(on_file)) == len(on_file) and 0.4 < len(on_file) / len(officers) < 0.6
    assert all(validate_ssn(s) == s for s in on_file)
    carried = [(o, o.reentry) for o in officers if o.reentry and o.reentry.ssn]
    assert 0.4 < len(carried) / len(officers) < 0.6
    for o, r in carried:
        assert r is not None and r.ssn is not None
        own = ssn_for(o.index)
        assert (r.ssn == own) != r.ssn_mistyped
        if r.ssn_mistyped:
            assert own is not None and sum(a != b for a, b in zip(r.ssn, own, strict=True)) == 1
    strangers = {o.stranger.ssn for o in officers if o.stranger and o.stranger.ssn}
    assert not strangers & set(on_file)


def test_the_report_gives_noise_counts_false_links_and_silent_duplicates(capsys: pytest.CaptureFixture[str]) -> None:
    identity_accuracy.main(["--officers", "3000", "--queries", "400", "--negatives", "40", "--workers", "1",
                            "--examples", "0"])
    out = capsys.readouterr().out
    for text in ("| one noise", "| two noises", "silent duplicates (true officer neither linked nor proposed)",
                 "false links (strangers)", "By the SSN the clerk sent", "Stored blocks (officers per key)",
                 "search recall@5, two noises"):
        assert text in out, text


def test_the_noise_mixture_still_leaves_the_population_alone() -> None:
    a = list(generate(replace(SMALL, officers=300)))
    b = list(generate(replace(SMALL, officers=300, noise_weights={"order_swap": 1.0})))
    assert [(o.names, o.ssn) for o in a] == [(o.names, o.ssn) for o in b]
    assert {o.reentry.kind for o in b if o.reentry} == {"order_swap"}
