"""The hand-set online scorer against the splink model's estimated weights, on the same candidates (issue 14).

    python -m bench.scorer_comparison [--officers 100000] [--queries 5000] [--negatives 2000] [--exact 200]
                                      [--timed 200] [--seed N] [--threads N]

Builds the benchmark population twice over, with the functions of the two benchmarks it compares:

* the online side as ``bench.identity_accuracy`` builds it (``build``: the registered officers, their blocking
  keys and SSN blind indexes in memory), and each query's candidate set the way the online path takes it: the
  officers sharing a blocking key, ordered by the summed IDF-weighted key weights, at most ``CANDIDATE_LIMIT``,
  plus the holders of the query's SSN;
* the registry ``registry dedupe`` would see, as ``bench.dedupe_bench`` builds it (``registry``: the officers plus
  the duplicates publishing leaves and the strangers), on which ``identity.dedupe.link`` estimates its model
  exactly as the sweep does (prior, u by random sampling, m by EM). The trained model and the registry's term
  frequencies are captured when the sweep would start predicting (its prediction over every pair is skipped).

Every query (the noisy re-entries of ``bench.population``, its strangers, and a few officers' own records as a
control) is ranked twice over the same candidates: (a) by ``identity.rank`` (``identity/score.py``, the hand-set
log-odds weights) and (b) by the splink model's match weight, scoring the query against its candidates with
``linker.inference.compare_two_records`` (one query row cross-joined with its candidate rows, the registry's
term-frequency tables registered) on a sample of ``--timed`` queries, and for every query by one prediction per
batch of queries (a link-only linker with the same model, each query's pairs blocked together), which gives the
same weights and is what the metrics use. Ties are broken by officer ID in both.

Reported side by side: recall@1, recall@5 and MRR (a true officer outside the candidates counts 0) by number of
noises, with the paired difference and its 95 % interval; for strangers (not registered) the share with any
candidate at or above the review threshold: 0.5 for the hand scorer, and for splink the threshold that sends as
many re-entries' true officers to review (among the first five at or above it) as 0.5 does for the hand scorer
(rate-matched), also splink's own probability 0.5; and the time to score one query's candidates: identity.rank
for every query, compare_two_records on the timed sample, and the batch prediction's time divided by the queries.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import identity
from bench import identity_accuracy as acc
from bench.dedupe_bench import registry
from bench.population import PopulationConfig
from identity import Query
from identity.dedupe import _COLUMNS, DedupeSettings, Officer, _features, link
from identity.matching import CANDIDATE_LIMIT
from identity.phonetic import shared_key_units
from publishing.review import MAX_PROPOSALS, REVIEW_THRESHOLD

HAND, SPLINK = "hand-set (identity.score)", "splink (estimated)"
_Z = 1.96


# -- the splink model, as `registry dedupe` estimates it ---------------------------------------------------------

@dataclass
class Model:
    """The splink model ``identity.dedupe.link`` estimated, and the registry's term-frequency tables."""

    settings: dict[str, Any]
    tf: dict[str, Any]  # column -> pandas DataFrame (value, tf_value)
    trained: list[str]  # the estimation steps that ran
    officers: int
    seconds: float

    @property
    def prior(self) -> float:
        return float(self.settings["probability_two_random_records_match"])


class _Trained(Exception):
    def __init__(self, settings: dict[str, Any], tf: dict[str, Any]) -> None:
        super().__init__("trained")
        self.settings, self.tf = settings, tf


def _tf_columns(settings: dict[str, Any]) -> list[str]:
    return sorted({str(level["tf_adjustment_column"]) for comparison in settings["comparisons"]
                   for level in comparison["comparison_levels"] if level.get("tf_adjustment_column")})


def train(officers: Sequence[Officer], settings: DedupeSettings | None = None) -> Model:
    """Estimate the model with ``identity.dedupe.link`` itself; capture it when the sweep starts predicting."""
    import splink

    trained: list[str] = []
    base: Any = splink.Linker

    class _Capturing(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            training = self.training
            for name in ("estimate_probability_two_random_records_match", "estimate_u_using_random_sampling",
                         "estimate_parameters_using_expectation_maximisation"):
                setattr(training, name, self._noting(name, getattr(training, name)))
            self.inference.predict = self._capture

        @staticmethod
        def _noting(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
            def call(*args: Any, **kwargs: Any) -> Any:
                trained.append(name.removeprefix("estimate_"))
                return method(*args, **kwargs)
            return call

        def _capture(self, *_args: Any, **_kwargs: Any) -> None:
            model = self.misc.save_model_to_json()
            tf = {col: self.table_management.compute_tf_table(col).as_pandas_dataframe()
                  for col in _tf_columns(model)}
            raise _Trained(model, tf)

    started = time.monotonic()
    with mock.patch.object(splink, "Linker", _Capturing):
        try:
            link(officers, settings)
        except _Trained as done:
            return Model(done.settings, done.tf, trained, len(officers), time.monotonic() - started)
    raise RuntimeError("identity.dedupe.link returned without predicting (fewer than two officers?)")


class SplinkScorer:
    """Scores queries against their candidates with the trained model, on one DuckDB thread.

    ``score`` is the per-query way (``compare_two_records``: one query row cross-joined with its candidate rows);
    ``score_batch`` predicts many queries' pairs at once (a link-only linker with the same model, the pairs blocked
    on the query they belong to). Both use the registry's term-frequency tables and give the same weights.
    """

    def __init__(self, model: Model) -> None:
        import duckdb
        from splink import DuckDBAPI, Linker

        self._model = model
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET threads TO 1")
        self._db = DuckDBAPI(connection=self._con)
        self._linker = Linker(self._frame([_features(_SEED)]), model.settings, db_api=self._db,
                              set_up_basic_logging=False)
        self._register_tf(self._linker)

    def _register_tf(self, linker: Any) -> None:
        for col, frame in self._model.tf.items():
            linker.table_management.register_term_frequency_lookup(frame, col)

    @staticmethod
    def _frame(rows: list[dict[str, Any]], extra: Sequence[str] = ()) -> Any:
        import pandas as pd

        return pd.DataFrame(rows, columns=[*_COLUMNS, *extra])

    def score(self, query: Officer, candidates: Sequence[Officer]) -> dict[str, tuple[float, float]]:
        """Officer ID -> (match weight, match probability), by ``compare_two_records``."""
        if not candidates:
            return {}
        left = self._frame([_features(query)])
        right = self._frame([_features(c) for c in candidates])
        out = self._linker.inference.compare_two_records(left, right)
        try:
            rows = out.as_record_dict()
        finally:
            out.drop_table_from_database_and_remove_from_cache()
        return {str(r["unique_id_r"]): (_num(r["match_weight"]), _num(r["match_probability"])) for r in rows}

    def score_batch(self, items: Sequence[tuple[Officer, Sequence[Officer]]]) -> list[dict[str, tuple[float, float]]]:
        """For each (query, candidates): officer ID -> (match weight, match probability), by one prediction."""
        import duckdb
        from splink import DuckDBAPI, Linker, block_on

        left: list[dict[str, Any]] = []
        right: list[dict[str, Any]] = []
        for n, (query, candidates) in enumerate(items):
            left.append({**_features(query), "unique_id": f"{n}", "qid": n})
            right += [{**_features(c), "unique_id": f"{n}|{c.id}", "qid": n} for c in candidates]
        out: list[dict[str, tuple[float, float]]] = [{} for _ in items]
        if not right:
            return out
        settings = {**self._model.settings, "link_type": "link_only",
                    "blocking_rules_to_generate_predictions": [block_on("qid")],
                    "retain_matching_columns": False, "retain_intermediate_calculation_columns": False}
        # A connection of its own: splink caches intermediate tables per DuckDBAPI, and these are this batch's.
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET threads TO 1")
            linker = Linker([self._frame(left, ["qid"]), self._frame(right, ["qid"])], settings,
                            db_api=DuckDBAPI(connection=con), set_up_basic_logging=False,
                            input_table_aliases=["queries", "candidates"])
            self._register_tf(linker)
            rows = linker.inference.predict().as_record_dict()
        finally:
            con.close()
        for r in rows:
            pair = str(r["unique_id_r"]) if "|" in str(r["unique_id_r"]) else str(r["unique_id_l"])
            qid, officer_id = pair.split("|", 1)
            out[int(qid)][officer_id] = (_num(r["match_weight"]), _num(r["match_probability"]))
        return out

    def close(self) -> None:
        self._con.close()


_SEED = Officer("seed", (identity.NameParts(given="a", family="b"),))


def _num(x: Any) -> float:
    v = float(x) if x is not None else -math.inf
    return -math.inf if math.isnan(v) else v


# -- one query ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Ranked:
    position: int  # of the true officer, 0 = first; -1 when not among the candidates (or a stranger)
    top5: tuple[float, ...]  # the first five scores (hand: score; splink: match weight)
    truth_score: float  # the true officer's score (-inf when absent)


@dataclass(frozen=True, slots=True)
class Outcome:
    group: str  # "exact", "none", "one", "two", "stranger"
    kind: str
    ssn_sent: bool
    candidates: int
    in_candidates: bool
    hand: Ranked
    splink: Ranked


def candidate_set(job: acc._Job) -> list[int]:
    """The online candidates of ``bench.identity_accuracy``: key-sharing officers by summed IDF weight, at most
    ``CANDIDATE_LIMIT``, plus the holders of the query's SSN."""
    weights: dict[int, int] = defaultdict(int)
    for key, w in identity.query_key_weights(list(job.names), job.dob).items():
        posting = acc._INDEX.get(key, ())
        if posting:
            units = shared_key_units(w, len(posting))  # as the store weighs a key by how few hold it
            for i in posting:
                weights[i] += units
    chosen = acc._top(weights, CANDIDATE_LIMIT)
    same_ssn = acc._BY_SSN.get(job.ssn_index, []) if job.ssn_index is not None else []
    return list(dict.fromkeys([*same_ssn, *chosen]))


def _officer(i: int) -> Officer:
    s = acc._STORED[i]
    return Officer(s.officer_id, s.names, s.dob, s.ssn_index, ((s.state, s.cert),))


def _query_officer(job: acc._Job) -> Officer:
    return Officer("query", job.names, job.dob, job.ssn_index, ((job.state, job.cert),))


def _ranked(order: Sequence[tuple[str, float]], truth: str | None) -> Ranked:
    position = next((p for p, (oid, _) in enumerate(order) if oid == truth), -1) if truth else -1
    return Ranked(position, tuple(s for _, s in order[:MAX_PROPOSALS]),
                  order[position][1] if position >= 0 else -math.inf)


def _by_weight(scores: dict[str, tuple[float, float]]) -> list[tuple[str, float]]:
    return sorted(((oid, w) for oid, (w, _) in scores.items()), key=lambda p: (-p[1], p[0]))


def _exact_job(i: int) -> acc._Job:
    """An officer's own record as the query: names, birth date, its certification and SSN index."""
    s = acc._STORED[i]
    return acc._Job(i, "exact", "exact", "", 0, s.names, s.dob, s.state, s.cert, s.ssn_index, "same")


# -- the comparison -----------------------------------------------------------------------------------------------

@dataclass
class Report:
    officers: int
    registry_officers: int
    model: Model
    outcomes: list[Outcome]
    hand_seconds: list[float]  # identity.rank, per query
    splink_seconds: list[float]  # compare_two_records, per query (the timed sample)
    splink_batch_seconds: float  # score_batch over every query
    max_weight_gap: float  # largest |compare_two_records - score_batch| match weight on the timed sample
    seconds: dict[str, float] = field(default_factory=dict)
    batch: int = 1000  # queries per batch prediction

    def positives(self, group: str | None = None) -> list[Outcome]:
        return [o for o in self.outcomes if o.group != "stranger" and (group is None or o.group == group)]

    def strangers(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.group == "stranger"]


def compare(officers: int, queries: int, negatives: int, *, seed: int = PopulationConfig.seed, exact: int = 200,
            timed: int = 200, batch: int = 1000, settings: DedupeSettings | None = None,
            progress: Callable[[str], None] | None = None) -> Report:
    """Build both sides, train the model, and rank every query both ways over the same candidates."""
    say = progress or (lambda _: None)
    seconds: dict[str, float] = {}
    t = time.monotonic()
    say(f"building the online index of {officers:,} officers (bench.identity_accuracy.build)")
    built = acc.build(PopulationConfig(officers=officers, seed=seed), queries, negatives)
    seconds["build index"] = time.monotonic() - t
    t = time.monotonic()
    say("building the registry the sweep sees (bench.dedupe_bench.registry)")
    on_file, _, _ = registry(officers, seed)
    say(f"estimating the splink model on {len(on_file):,} officers (identity.dedupe.link)")
    model = train(on_file, settings)
    del on_file
    seconds["train model"] = time.monotonic() - t

    step = max(1, built.officers // max(1, exact))
    jobs = [(_exact_job(i), "exact") for i in range(0, built.officers, step)][:exact]
    jobs += [(j, "stranger" if j.truth < 0 else ("none", "one", "two")[min(j.noises, 2)]) for j in built.jobs]
    t = time.monotonic()
    say(f"ranking {len(jobs):,} queries with identity.rank")
    chosen = [candidate_set(job) for job, _ in jobs]
    hand: list[list[tuple[str, float]]] = []
    hand_seconds: list[float] = []
    for job, ids in zip((j for j, _ in jobs), chosen, strict=True):
        cands = [acc._candidate(i) for i in ids]
        query = Query(names=list(job.names), dob=job.dob, state=job.state, cert_number=job.cert,
                      ssn_index=job.ssn_index)
        t0 = time.perf_counter()
        ranked = identity.rank(query, cands)
        hand_seconds.append(time.perf_counter() - t0)
        hand.append([(m.officer_id, m.score) for m in ranked])
    seconds["hand"] = time.monotonic() - t

    scorer = SplinkScorer(model)
    try:
        t = time.monotonic()
        scores: list[dict[str, tuple[float, float]]] = []
        for start in range(0, len(jobs), batch):
            say(f"scoring queries {start + 1:,}-{min(start + batch, len(jobs)):,} of {len(jobs):,} with splink")
            scores += scorer.score_batch([(_query_officer(job), [_officer(i) for i in ids]) for (job, _), ids
                                          in zip(jobs[start:start + batch], chosen[start:start + batch], strict=True)])
        batch_seconds = time.monotonic() - t
        seconds["splink batch"] = batch_seconds
        t = time.monotonic()
        say(f"timing compare_two_records on {min(timed, len(jobs)):,} queries")
        splink_seconds: list[float] = []
        gap = 0.0
        sample = range(0, len(jobs), max(1, len(jobs) // max(1, timed)))
        for n in list(sample)[:timed]:
            job, ids = jobs[n][0], chosen[n]
            t0 = time.perf_counter()
            one = scorer.score(_query_officer(job), [_officer(i) for i in ids])
            splink_seconds.append(time.perf_counter() - t0)
            for oid, (w, _) in one.items():
                if math.isfinite(w) or math.isfinite(scores[n][oid][0]):
                    gap = max(gap, abs(w - scores[n][oid][0]))
        seconds["splink timed"] = time.monotonic() - t
    finally:
        scorer.close()

    outcomes = []
    for (job, group), ids, order, sc in zip(jobs, chosen, hand, scores, strict=True):
        truth = acc._STORED[job.truth].officer_id if job.truth >= 0 else None
        outcomes.append(Outcome(group, job.kind, job.ssn_index is not None, len(ids), job.truth in ids,
                                _ranked(order, truth), _ranked(_by_weight(sc), truth)))
    return Report(built.officers, model.officers, model, outcomes, hand_seconds, splink_seconds, batch_seconds, gap,
                  seconds, batch)


# -- metrics ------------------------------------------------------------------------------------------------------

def _rr(r: Ranked) -> float:
    return 1.0 / (r.position + 1) if r.position >= 0 else 0.0


def _at(r: Ranked, k: int) -> float:
    return 1.0 if 0 <= r.position < k else 0.0


def _paired(os_: Sequence[Outcome], f: Callable[[Ranked], float]) -> tuple[float, float, float, float]:
    """Hand mean, splink mean, their difference (splink - hand) and the half-width of its 95 % interval."""
    h = [f(o.hand) for o in os_]
    s = [f(o.splink) for o in os_]
    d = [b - a for a, b in zip(h, s, strict=True)]
    half = _Z * statistics.stdev(d) / math.sqrt(len(d)) if len(d) > 1 else math.nan
    return statistics.fmean(h), statistics.fmean(s), statistics.fmean(d), half


def _reviewed(r: Ranked, threshold: float) -> bool:
    """The true officer is among the first five at or above ``threshold``."""
    return 0 <= r.position < MAX_PROPOSALS and r.truth_score >= threshold


def _threshold_for(truth: Sequence[Ranked], want: int) -> float:
    """The highest threshold at which at least ``want`` of these true officers are among the first five at or
    above it (infinite when ``want`` is 0, the lowest true score when fewer can be)."""
    values = sorted((r.truth_score for r in truth if 0 <= r.position < MAX_PROPOSALS), reverse=True)
    if want == 0 or not values:
        return math.inf
    return values[min(want, len(values)) - 1]


def matched_threshold(report: Report) -> float:
    """The splink match weight that sends as many re-entries' true officers to review as 0.5 does by hand."""
    pos = [o for o in report.positives() if o.group != "exact"]
    return _threshold_for([o.splink for o in pos], sum(_reviewed(o.hand, REVIEW_THRESHOLD) for o in pos))


def hand_threshold_matching_splink(report: Report) -> float:
    """The hand score that sends as many re-entries' true officers to review as splink's probability 0.5."""
    pos = [o for o in report.positives() if o.group != "exact"]
    return _threshold_for([o.hand for o in pos], sum(_reviewed(o.splink, _weight(0.5)) for o in pos))


def _weight(p: float) -> float:
    return math.log2(p / (1 - p))


def _prob(w: float) -> float:
    return 1.0 / (1.0 + 2.0 ** -w) if w > -1000 else 0.0


@dataclass(frozen=True)
class Row:
    name: str
    n: int
    values: dict[str, tuple[float, float]]  # metric -> (hand, splink)
    diffs: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric -> (difference, 95 % half-width)


_GROUPS = (("exact", "own record (control)"), ("none", "no noise"), ("one", "one noise"), ("two", "two noises"))


def rows(report: Report) -> list[Row]:
    out: list[Row] = []
    groups: list[tuple[str, list[Outcome]]] = [(label, report.positives(g)) for g, label in _GROUPS]
    noisy = [o for o in report.positives() if o.group != "exact"]
    groups += [("all re-entries", noisy), ("all re-entries, no SSN sent", [o for o in noisy if not o.ssn_sent])]
    for label, os_ in groups:
        if not os_:
            continue
        values: dict[str, tuple[float, float]] = {}
        diffs: dict[str, tuple[float, float]] = {}
        for metric, f in (("recall@1", lambda r: _at(r, 1)), ("recall@5", lambda r: _at(r, 5)), ("MRR", _rr)):
            h, s, d, half = _paired(os_, f)
            values[metric], diffs[metric] = (h, s), (d, half)
        out.append(Row(label, len(os_), values, diffs))
    return out


def stranger_rates(report: Report) -> dict[str, float]:
    """Share of strangers, and of re-entries' true officers, reaching review at each threshold."""
    strangers, pos = report.strangers(), [o for o in report.positives() if o.group != "exact"]
    w = matched_threshold(report)
    w05 = _weight(REVIEW_THRESHOLD)

    def share(xs: Sequence[bool]) -> float:
        return sum(xs) / len(xs) if xs else math.nan

    return {
        "matched_weight": w, "matched_probability": _prob(w),
        "hand_strangers": share([bool(o.hand.top5) and o.hand.top5[0] >= REVIEW_THRESHOLD for o in strangers]),
        "splink_strangers": share([bool(o.splink.top5) and o.splink.top5[0] >= w for o in strangers]),
        "splink05_strangers": share([bool(o.splink.top5) and o.splink.top5[0] >= w05 for o in strangers]),
        "hand_reentries": share([_reviewed(o.hand, REVIEW_THRESHOLD) for o in pos]),
        "splink_reentries": share([_reviewed(o.splink, w) for o in pos]),
        "splink05_reentries": share([_reviewed(o.splink, w05) for o in pos]),
        "hand_matched": (h := hand_threshold_matching_splink(report)),
        "hand_matched_strangers": share([bool(o.hand.top5) and o.hand.top5[0] >= h for o in strangers]),
        "hand_matched_reentries": share([_reviewed(o.hand, h) for o in pos]),
        "strangers": float(len(strangers)),
    }


def _ms(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return 1000 * s[min(len(s) - 1, int(q * len(s)))] if s else math.nan


def format_report(report: Report) -> str:
    model = report.model
    lines = [
        f"{report.officers:,} registered officers; splink model estimated on the {report.registry_officers:,} "
        f"officers `registry dedupe` would see ({', '.join(model.trained) or 'hand-set u and m, nothing estimated'}"
        f"; prior {model.prior:.3g}; {model.seconds:.0f} s)",
        f"candidates per query: p50 {statistics.median(o.candidates for o in report.outcomes):.0f}, "
        f"max {max(o.candidates for o in report.outcomes)}; true officer among them: "
        f"{sum(o.in_candidates for o in report.positives()) / max(1, len(report.positives())):.4f} of re-entries",
        "",
        f"| queries | n | metric | {HAND} | {SPLINK} | splink - hand (95 % CI) |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for row in rows(report):
        for metric, (h, s) in row.values.items():
            d, half = row.diffs[metric]
            lines.append(f"| {row.name} | {row.n:,} | {metric} | {h:.4f} | {s:.4f} | {d:+.4f} ± {half:.4f} |")
    kinds: dict[str, list[Outcome]] = defaultdict(list)
    for o in report.positives():
        if o.group != "exact":
            kinds[o.kind].append(o)
    lines += ["", "| noise kind | n | recall@1 hand / splink | recall@5 hand / splink | MRR hand / splink |",
              "|---|---:|---:|---:|---:|"]
    for kind in sorted(kinds, key=lambda k: (-len(kinds[k]), k)):
        os_ = kinds[kind]
        cells = []
        for f in (lambda r: _at(r, 1), lambda r: _at(r, 5), _rr):
            h, s, _, _ = _paired(os_, f)
            cells.append(f"{h:.4f} / {s:.4f}")
        lines.append(f"| {kind} | {len(os_):,} | {' | '.join(cells)} |")
    r = stranger_rates(report)
    lines += [
        "",
        "| review threshold | re-entries' true officer among the first 5 at or above it | strangers with any "
        f"candidate at or above it (of {r['strangers']:.0f}) |",
        "|---|---:|---:|",
        f"| {HAND}: score >= {REVIEW_THRESHOLD} | {r['hand_reentries']:.4f} | {r['hand_strangers']:.4f} |",
        f"| {SPLINK}: rate-matched, probability >= {r['matched_probability']:.3g} (weight "
        f"{r['matched_weight']:.1f}) | {r['splink_reentries']:.4f} | {r['splink_strangers']:.4f} |",
        f"| {SPLINK}: probability >= 0.5 | {r['splink05_reentries']:.4f} | {r['splink05_strangers']:.4f} |",
        f"| {HAND}: rate-matched to splink's 0.5, score >= {r['hand_matched']:.3g} | "
        f"{r['hand_matched_reentries']:.4f} | {r['hand_matched_strangers']:.4f} |",
        "",
        "| time to score one query's candidates, ms | mean | p50 | p90 | p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    n = len(report.outcomes)
    for name, values in ((f"{HAND}: identity.rank, every query", report.hand_seconds),
                         (f"{SPLINK}: compare_two_records, {len(report.splink_seconds)} queries",
                          report.splink_seconds)):
        lines.append(f"| {name} | {1000 * statistics.fmean(values):.1f} | {_ms(values, .5):.1f} | "
                     f"{_ms(values, .9):.1f} | {_ms(values, .99):.1f} |")
    lines.append(f"| {SPLINK}: one batch prediction per {min(n, report.batch):,} queries, per query | "
                 f"{1000 * report.splink_batch_seconds / max(1, n):.1f} | | | |")
    lines.append("")
    lines.append(f"largest difference between the two splink scorings' match weights: {report.max_weight_gap:.2g}")
    lines += ["", "seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in report.seconds.items()),
              f"machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, "
              f"load average {os.getloadavg()[0]:.1f}"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scorer_comparison", description=__doc__.split("\n\n")[0])
    ap.add_argument("--officers", type=int, default=100_000, help="registered officers (default 100,000)")
    ap.add_argument("--queries", type=int, default=5_000, help="noisy re-entries to rank (default 5,000)")
    ap.add_argument("--negatives", type=int, default=2_000, help="strangers to rank, at most (default 2,000)")
    ap.add_argument("--exact", type=int, default=200, help="officers' own records to rank, a control (default 200)")
    ap.add_argument("--timed", type=int, default=200, help="queries timed through compare_two_records (default 200)")
    ap.add_argument("--seed", type=int, default=PopulationConfig.seed)
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads for estimating (default: every core)")
    args = ap.parse_args(argv)
    report = compare(args.officers, args.queries, args.negatives, seed=args.seed, exact=args.exact, timed=args.timed,
                     settings=DedupeSettings(threads=args.threads),
                     progress=lambda s: print(f"  {s}", file=sys.stderr, flush=True))
    print(format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
