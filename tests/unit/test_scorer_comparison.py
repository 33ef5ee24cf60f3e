"""``bench.scorer_comparison`` ranks the same candidates by the hand-set scorer and by the splink model the sweep
estimates, and reports both side by side (a tiny population: seconds)."""

from __future__ import annotations

import math

import pytest

from bench import scorer_comparison as sc


@pytest.fixture(scope="module")
def report() -> sc.Report:
    return sc.compare(400, 60, 30, seed=7, exact=12, timed=4, batch=40, progress=None)


def test_both_scorers_are_reported_side_by_side(report: sc.Report) -> None:
    text = sc.format_report(report)
    assert sc.HAND in text and sc.SPLINK in text
    header = next(line for line in text.splitlines() if line.startswith("| queries"))
    assert sc.HAND in header and sc.SPLINK in header
    assert "recall@1" in text and "recall@5" in text and "MRR" in text
    assert "compare_two_records" in text and "identity.rank" in text


def test_values_are_sane(report: sc.Report) -> None:
    rows = sc.rows(report)
    assert {r.name for r in rows} >= {"own record (control)", "all re-entries"}
    for row in rows:
        assert row.n > 0
        for metric, (hand, splink) in row.values.items():
            assert 0.0 <= hand <= 1.0 and 0.0 <= splink <= 1.0, (row.name, metric)
        h1, s1 = row.values["recall@1"]
        h5, s5 = row.values["recall@5"]
        assert h1 <= h5 and s1 <= s5
    rates = sc.stranger_rates(report)
    for name in ("hand_reentries", "splink_reentries", "splink05_reentries"):
        assert 0.0 <= rates[name] <= 1.0
    for name in ("hand_strangers", "splink_strangers", "splink05_strangers"):
        assert math.isnan(rates[name]) if not report.strangers() else 0.0 <= rates[name] <= 1.0
    assert len(report.hand_seconds) == len(report.outcomes) and len(report.splink_seconds) == 4
    # the per-query scoring (compare_two_records) and the batch prediction give the same weights
    assert report.max_weight_gap < 1e-6


def test_both_rank_an_officers_own_record_first(report: sc.Report) -> None:
    exact = report.positives("exact")
    assert len(exact) == 12
    for o in exact:
        assert o.in_candidates
        assert o.hand.position == 0 and o.splink.position == 0
