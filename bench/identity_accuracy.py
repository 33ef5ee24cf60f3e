"""Identity resolution accuracy on a synthetic national population (issue 5, deliverable 2).

    python -m bench.identity_accuracy [--officers 1000000] [--queries 20000] [--negatives 5000] [--seed N]

Builds the population of ``bench.population`` and an in-memory blocking index (key -> officer
indexes) with exactly ``identity.blocking_keys`` over each officer's names and date of birth, as
the registry stores them, plus an index of SSN blind indexes (``identity.ssn_blind_index``) for the
officers whose publisher sent an SSN. Each query (a noisy re-entry of a registered officer by another
state, or a stranger who resembles one) is looked up the way ``identity.matching`` does it on the
database: ``identity.query_key_weights``, candidates = officers sharing a key, ordered by the summed
weight of the keys they share (each times ``ln(1 + IDF_SCALE / officers holding it)``, counted in whole
``KEY_UNITS``: ``identity.phonetic.shared_key_units``) then officer ID, at most ``CANDIDATE_LIMIT``, plus the
officers with the query's SSN; ranked by ``identity.rank``. The query carries the new state's certification number as a
publisher's ``certification.issued`` would, and the SSN the clerk typed, if any.

The publish path is mirrored: ``identity.matching.decide`` links when exactly one candidate is strong;
otherwise a new officer is registered and ``publishing.review.propose`` files the first
``MAX_PROPOSALS`` ranked candidates scoring at least ``REVIEW_THRESHOLD`` as link proposals. A re-entry
is a *silent duplicate* when its true officer is neither linked nor among those proposals.

Reported, per noise count (none / one / two), per noise kind and per SSN situation: how often the true
person shares a key (blocked), survives the cap, is ranked first (recall@1) or in the first five
(recall@5); automatic links, correct and false; proposals and silent duplicates. For strangers (who are
not registered): false links and the review load. Then block sizes (stored, per key family, and per
query) and throughput. Queries are scored in ``--workers`` forked processes sharing the index.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import multiprocessing
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import identity
from bench.population import Officer, PopulationConfig, ReEntry, Stranger, generate
from identity import Candidate, NameParts, Query
from identity.matching import CANDIDATE_LIMIT, REVIEW_CANDIDATES, decide
from identity.phonetic import shared_key_units
from publishing.review import MAX_PROPOSALS, REVIEW_THRESHOLD

TARGET_RECALL5_ONE = 0.995  # one noise (and none)
TARGET_RECALL5_TWO = 0.97
TARGET_SILENT = 0.01
TARGET_PRECISION = 0.999
_SSN_KEY = b"identity-accuracy-bench-key-0001"  # the registry's key is secret; any key shows the same matches


@dataclass(frozen=True, slots=True)
class _Stored:
    officer_id: str
    names: tuple[NameParts, ...]
    dob: date
    state: str
    cert: str
    ssn_index: bytes | None


@dataclass(frozen=True, slots=True)
class _Job:
    truth: int  # officer index, or -1 for a stranger
    kind: str
    detail: str
    group: str  # "twin", "common" or ""
    noises: int
    names: tuple[NameParts, ...]
    dob: date
    state: str
    cert: str
    ssn_index: bytes | None
    ssn_case: str  # see ``_ssn_case``


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str
    detail: str
    group: str
    noises: int
    ssn_case: str
    positive: bool
    blocked: bool  # the true person shares a key with the query (or its SSN)
    in_cap: bool  # ... and is among the candidates kept
    position: int  # rank of the true person (0 = first), -1 when absent
    linked: bool
    link_correct: bool
    proposals: int  # link proposals the publish path would file (0 when linked)
    proposed: bool  # the true person is among them
    strong_count: int
    block: int  # distinct officers sharing a key
    top_score: float
    seconds: float
    miss: str  # an explanation for a recall@5 miss (empty otherwise)

    @property
    def silent(self) -> bool:
        """A re-entry registered as a new officer with nothing proposed that would bring it to its officer."""
        return self.positive and not self.link_correct and not self.proposed


# Filled in the parent before forking; the workers read them copy-on-write.
_INDEX: dict[str, list[int]] = {}
_BY_SSN: dict[bytes, list[int]] = {}
_STORED: list[_Stored] = []
_LIMIT = CANDIDATE_LIMIT


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _candidate(i: int) -> Candidate:
    s = _STORED[i]
    return Candidate(officer_id=s.officer_id, names=list(s.names), dob=s.dob,
                     cert_numbers=frozenset({(s.state, s.cert)}), ssn_index=s.ssn_index)


def _top(weights: dict[int, int], limit: int) -> list[int]:
    """``ORDER BY sum(weight) DESC, officer_id LIMIT limit`` over the shared keys' weights."""
    if len(weights) <= limit:
        return list(weights)
    return sorted(weights, key=lambda i: (-weights[i], _STORED[i].officer_id))[:limit]


def _explain(job: _Job, ranked: Sequence[identity.Match], blocked: bool, in_cap: bool, block: int,
             position: int) -> str:
    if not blocked:
        return "no shared blocking key"
    if not in_cap:
        return f"cut by the {_LIMIT}-candidate cap (block of {block})"
    truth = _STORED[job.truth].officer_id
    mine = next((m for m in ranked if m.officer_id == truth), None)
    if mine is None:
        return "ruled out by its birth date (scores at most 0.018, left out of the ranking)"
    top = ranked[0]
    return (f"ranked {position + 1} with {mine.score:.3f} ({'; '.join(mine.reasons)} | but {'; '.join(mine.conflicts)})"
            f"; first {top.officer_id} {top.score:.3f} ({'; '.join(top.reasons)})")


def _evaluate(job: _Job) -> Outcome:
    t0 = time.perf_counter()
    weights: dict[int, int] = defaultdict(int)
    for key, w in identity.query_key_weights(list(job.names), job.dob).items():
        posting = _INDEX.get(key, ())
        if posting:
            units = shared_key_units(w, len(posting))  # as the store weighs a key by how few hold it
            for i in posting:
                weights[i] += units
    chosen = _top(weights, _LIMIT)
    same_ssn = _BY_SSN.get(job.ssn_index, []) if job.ssn_index is not None else []
    considered = list(dict.fromkeys([*same_ssn, *chosen]))
    query = Query(names=list(job.names), dob=job.dob, state=job.state, cert_number=job.cert,
                  ssn_index=job.ssn_index)
    ranked = identity.rank(query, [_candidate(i) for i in considered], limit=REVIEW_CANDIDATES)
    seconds = time.perf_counter() - t0
    linked = decide(ranked)
    filed = [] if linked is not None else [m.officer_id for m in ranked[:MAX_PROPOSALS]
                                           if m.score >= REVIEW_THRESHOLD]
    positive = job.truth >= 0
    truth_id = _STORED[job.truth].officer_id if positive else None
    position = next((p for p, m in enumerate(ranked) if m.officer_id == truth_id), -1) if positive else -1
    blocked = positive and (job.truth in weights or job.truth in same_ssn)
    in_cap = positive and job.truth in set(considered)
    miss = ""
    if positive and not 0 <= position < 5:
        miss = _explain(job, ranked, blocked, in_cap, len(weights), position)
    return Outcome(job.kind, job.detail, job.group, job.noises, job.ssn_case, positive, blocked, in_cap, position,
                   linked is not None, linked is not None and linked == truth_id, len(filed),
                   positive and truth_id in filed, sum(m.strong for m in ranked), len(weights),
                   ranked[0].score if ranked else 0.0, seconds, miss)


def _evaluate_chunk(jobs: list[_Job]) -> list[Outcome]:
    return [_evaluate(j) for j in jobs]


# -- building -------------------------------------------------------------------------------------

@dataclass
class Built:
    officers: int
    postings: int
    build_seconds: float
    key_seconds: float
    rss_before: float
    rss_after: float
    jobs: list[_Job]


def _group(off: Officer) -> str:
    return "twin" if off.twin_id else ("common" if off.common else "")


def _blind(ssn: str | None) -> bytes | None:
    return identity.ssn_blind_index(ssn, _SSN_KEY) if ssn is not None else None


def _ssn_case(off: Officer, r: ReEntry) -> str:
    """"none" (no SSN sent), "same" (the SSN on file), "new" (the person's own; none on file), "mistyped"
    (one digit wrong, against the SSN on file) or "mistyped_new" (one digit wrong; none on file)."""
    if r.ssn is None:
        return "none"
    if r.ssn_mistyped:
        return "mistyped" if off.ssn is not None else "mistyped_new"
    return "same" if off.ssn is not None else "new"


def _job_for_reentry(off: Officer, r: ReEntry) -> _Job:
    return _Job(off.index, r.kind, r.detail, _group(off), r.noises, r.names, r.dob, r.state, r.cert_number,
                _blind(r.ssn), _ssn_case(off, r))


def _job_for_stranger(off: Officer, s: Stranger) -> _Job:
    return _Job(-1, s.kind, s.kind, "", 0, s.names, s.dob, s.state, s.cert_number, _blind(s.ssn),
                "own" if s.ssn else "none")


def build(cfg: PopulationConfig, queries: int, negatives: int) -> Built:
    """Stream the population into the global index; keep the first queries and strangers."""
    rss_before = _rss_mb()
    positives: list[_Job] = []
    strangers: list[_Job] = []
    index = _INDEX
    index.clear()
    _BY_SSN.clear()
    _STORED.clear()
    postings = 0
    key_seconds = 0.0
    t0 = time.perf_counter()
    for off in generate(cfg):
        names = off.names
        ssn_index = _blind(off.ssn)
        _STORED.append(_Stored(off.officer_id, names, off.person.dob, off.state, off.cert_number, ssn_index))
        if ssn_index is not None:
            _BY_SSN.setdefault(ssn_index, []).append(off.index)
        k0 = time.perf_counter()
        keys = identity.blocking_keys(list(names), off.person.dob)
        key_seconds += time.perf_counter() - k0
        postings += len(keys)
        for key in keys:
            posting = index.get(key)
            if posting is None:
                index[key] = [off.index]
            else:
                posting.append(off.index)
        if off.reentry is not None and len(positives) < queries:
            positives.append(_job_for_reentry(off, off.reentry))
        if off.stranger is not None and len(strangers) < negatives:
            strangers.append(_job_for_stranger(off, off.stranger))
    build_seconds = time.perf_counter() - t0
    return Built(len(_STORED), postings, build_seconds, key_seconds, rss_before, _rss_mb(), positives + strangers)


def run(jobs: list[_Job], workers: int) -> tuple[list[Outcome], float]:
    t0 = time.perf_counter()
    chunks = [jobs[i:i + 200] for i in range(0, len(jobs), 200)]
    if workers <= 1:
        results = [o for c in chunks for o in _evaluate_chunk(c)]
    else:
        gc.freeze()  # keep the collector from touching (and so copying) the shared index pages
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = [o for part in pool.imap(_evaluate_chunk, chunks) for o in part]
        gc.unfreeze()
    return results, time.perf_counter() - t0


# -- reporting ------------------------------------------------------------------------------------

def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.2f}" if d else "-"


def _ratio(n: int, d: int) -> str:
    return f"{n / d:.4f}" if d else "-"


def _quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _recall5(os_: Sequence[Outcome]) -> float:
    return sum(0 <= o.position < 5 for o in os_) / len(os_) if os_ else float("nan")


def _positive_row(name: str, os_: Sequence[Outcome]) -> list[str]:
    n = len(os_)
    links = sum(o.linked for o in os_)
    correct = sum(o.link_correct for o in os_)
    return [
        name or "(other)", str(n), _pct(sum(o.blocked for o in os_), n), _pct(sum(o.in_cap for o in os_), n),
        _ratio(sum(o.position == 0 for o in os_), n), _ratio(sum(0 <= o.position < 5 for o in os_), n),
        _pct(correct, n), str(links - correct), _pct(sum(o.proposed for o in os_), n),
        _pct(sum(o.silent for o in os_), n),
    ]


def _positive_rows(outcomes: Iterable[Outcome], key: Callable[[Outcome], str], *, min_n: int = 0) -> list[list[str]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[key(o)].append(o)
    small = [o for g in groups.values() if len(g) < min_n for o in g]
    rows = [_positive_row(name, groups[name]) for name in sorted(groups, key=lambda g: (-len(groups[g]), g))
            if len(groups[name]) >= min_n]
    if small:
        rows.append(_positive_row(f"(pairs with n < {min_n})", small))
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            + " |" for r in rows]
    return "\n".join([line, sep, *body])


_POS_HEADER = ("noise", "n", "blocked %", "in cap %", "recall@1", "recall@5", "linked %", "false links",
               "proposed %", "silent dup %")
_NOISES = {0: "none", 1: "one noise", 2: "two noises"}
_SSN_CASES = {
    "none": "no SSN sent", "same": "the SSN on file", "new": "own SSN, none on file",
    "mistyped": "mistyped SSN vs the one on file", "mistyped_new": "mistyped SSN, none on file",
}


def _stored_blocks() -> tuple[list[list[str]], list[tuple[int, str]]]:
    """Posting-list sizes per key family (the prefix before the first colon)."""
    by_family: dict[str, list[int]] = defaultdict(list)
    for key, posting in _INDEX.items():
        by_family[key.split(":", 1)[0]].append(len(posting))
    rows = []
    for fam in sorted(by_family):
        sizes = by_family[fam]
        rows.append([fam, f"{len(sizes):,}", f"{sum(sizes):,}", f"{_quantile(sizes, .5):.0f}",
                     f"{_quantile(sizes, .99):.0f}", f"{_quantile(sizes, .999):.0f}", str(max(sizes))])
    biggest = sorted(((len(v), k) for k, v in _INDEX.items()), reverse=True)[:6]
    return rows, biggest


def report(built: Built, outcomes: list[Outcome], seconds: float, workers: int, examples: int) -> bool:
    pos = [o for o in outcomes if o.positive]
    neg = [o for o in outcomes if not o.positive]
    print(f"\nMachine: {os.cpu_count()} cores, load average {_loadavg()}.")
    print(f"Population: {built.officers:,} officers, {built.postings:,} blocking keys stored "
          f"({built.postings / built.officers:.1f} per officer, {len(_INDEX):,} distinct; blocking scheme "
          f"v{identity.BLOCKING_SCHEME_VERSION}); {sum(len(v) for v in _BY_SSN.values()):,} SSNs on file; "
          f"built in {built.build_seconds:.0f} s ({built.officers / built.build_seconds:,.0f} officers/s, "
          f"of which identity.blocking_keys {built.key_seconds:.0f} s); "
          f"RSS {built.rss_before:,.0f} -> {built.rss_after:,.0f} MB.")
    print(f"Queries: {len(pos):,} re-entries, {len(neg):,} strangers; candidate cap {_LIMIT}; a link proposal is "
          f"filed for the first {MAX_PROPOSALS} candidates scoring >= {REVIEW_THRESHOLD} when nothing is linked.\n")

    print("Re-entries of registered officers, by number of independent errors:\n")
    print(_table(_POS_HEADER, _positive_rows(pos, lambda o: _NOISES[o.noises])))
    print("\nBy noise kind:\n")
    print(_table(_POS_HEADER, _positive_rows(pos, lambda o: o.kind)))
    two = [o for o in pos if o.noises == 2]
    if two:
        print("\nTwo noises at once, by pair:\n")
        print(_table(_POS_HEADER, _positive_rows(two, lambda o: o.detail, min_n=10)))
    print("\nBy the SSN the clerk sent:\n")
    print(_table(("SSN sent", *_POS_HEADER[1:]), _positive_rows(pos, lambda o: _SSN_CASES[o.ssn_case])))
    shared = sum(o.ssn_case == "same" and not o.link_correct for o in pos)
    print(f"\nRe-entries that carried the SSN on file but were registered as a new officer (two officers would then "
          f"hold one SSN): {shared}.")
    print("\nRe-entries of hard cases (the true officer has a registered twin / a very common name):\n")
    print(_table(_POS_HEADER, _positive_rows([o for o in pos if o.group], lambda o: o.group)))

    print("\nStrangers (not registered; any automatic link is false):\n")
    nrows = []
    for kind in sorted({o.kind for o in neg}):
        os_ = [o for o in neg if o.kind == kind]
        nrows.append([kind, str(len(os_)), str(sum(o.linked for o in os_)), str(sum(o.strong_count > 1 for o in os_)),
                      _pct(sum(o.top_score >= 0.9 for o in os_), len(os_)),
                      _pct(sum(o.proposals > 0 for o in os_), len(os_)),
                      f"{statistics.fmean(o.proposals for o in os_):.2f}"])
    print(_table(("stranger kind", "n", "false links", ">1 strong", "top-1 score >= 0.9 %", "sent to review %",
                  "proposals each"), nrows))

    links = sum(o.linked for o in outcomes)
    correct = sum(o.link_correct for o in outcomes)
    false = links - correct
    one = [o for o in pos if o.noises <= 1]
    two_ = [o for o in pos if o.noises == 2]
    recall5, recall5_one, recall5_two = _recall5(pos), _recall5(one), _recall5(two_)
    recall1 = sum(o.position == 0 for o in pos) / len(pos) if pos else float("nan")
    silent = sum(o.silent for o in pos) / len(pos) if pos else float("nan")
    precision = correct / links if links else float("nan")
    # 95 % upper bound on the false-link rate when no false link is seen: the "rule of three".
    bound = (3 / links) if links and not false else None
    print("\nSummary:\n")
    summary = [
        ["search recall@1 (re-entries)", f"{recall1:.4f}", ""],
        ["search recall@5 (re-entries)", f"{recall5:.4f}", ""],
        ["search recall@5, none or one noise", f"{recall5_one:.4f}", f">= {TARGET_RECALL5_ONE}"],
        ["search recall@5, two noises", f"{recall5_two:.4f}", f">= {TARGET_RECALL5_TWO}"],
        ["automatic links made", str(links), ""],
        ["automatic-link precision", f"{precision:.5f}" + (f" (95% >= {1 - bound:.5f})" if bound else ""),
         f">= {TARGET_PRECISION}"],
        ["automatic-link recall (re-entries)", _ratio(sum(o.link_correct for o in pos), len(pos)), ""],
        ["false links (re-entry linked to someone else)", str(sum(o.linked and not o.link_correct for o in pos)), "0"],
        ["false links (strangers)", str(sum(o.linked for o in neg)), "0"],
        ["re-entries sent to review (not linked, >= 1 proposal)",
         _pct(sum(not o.linked and o.proposals > 0 for o in pos), len(pos)) + " %", ""],
        ["silent duplicates (true officer neither linked nor proposed)", f"{100 * silent:.2f} %",
         f"<= {100 * TARGET_SILENT:.0f} %"],
    ]
    print(_table(("metric", "value", "target"), summary))

    blocks = [o.block for o in outcomes]
    latency = [o.seconds * 1000 for o in outcomes]
    fam_rows, biggest = _stored_blocks()
    print("\nStored blocks (officers per key), by key family:\n")
    print(_table(("family", "keys", "postings", "p50", "p99", "p99.9", "max"), fam_rows))
    print("\nBlocks and throughput:\n")
    print(_table(("measure", "value"), [
        ["officers sharing a key with a query: p50 / p90 / p99 / max",
         f"{_quantile(blocks, .5):.0f} / {_quantile(blocks, .9):.0f} / {_quantile(blocks, .99):.0f} / {max(blocks)}"],
        [f"queries with more than {_LIMIT} such officers", _pct(sum(b > _LIMIT for b in blocks), len(blocks)) + " %"],
        ["largest stored blocks", ", ".join(f"{k} ({n})" for n, k in biggest)],
        ["per query (keys + candidates + rank), mean / p99 ms",
         f"{statistics.fmean(latency):.1f} / {_quantile(latency, .99):.1f}"],
        [f"throughput, {workers} worker(s)", f"{len(outcomes) / seconds:,.0f} queries/s ({seconds:.0f} s)"],
        ["peak RSS of this process", f"{_peak_mb():,.0f} MB"],
    ]))

    if examples:
        _print_misses(pos, examples)
    met = {
        "recall@5 (one noise)": recall5_one >= TARGET_RECALL5_ONE,
        "recall@5 (two noises)": math.isnan(recall5_two) or recall5_two >= TARGET_RECALL5_TWO,
        "silent duplicates": silent <= TARGET_SILENT,
        "no false links": false == 0,
        "automatic-link precision": math.isnan(precision) or precision >= TARGET_PRECISION,
    }
    print("\nTargets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()) + ".")
    return all(met.values())


def _print_misses(pos: Sequence[Outcome], examples: int) -> None:
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in pos:
        if o.miss:
            by_kind[o.kind].append(o)
    if by_kind:
        print("\nWhy recall@5 was missed (first examples per kind):")
        for kind, os_ in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
            reasons = Counter(o.miss.split(" (")[0] if not o.miss.startswith("ranked") else "ranked below 5"
                              for o in os_)
            print(f"- {kind}: {len(os_)} misses: " + ", ".join(f"{r} x{n}" for r, n in reasons.most_common()))
            for o in itertools.islice(os_, examples):
                print(f"    {o.detail}: {o.miss}")
    silent = [o for o in pos if o.silent and not o.miss]
    if silent:
        counts = Counter(o.kind for o in silent)
        print(f"\nSilent duplicates although ranked in the first five (scored below {REVIEW_THRESHOLD}): "
              + ", ".join(f"{k} x{n}" for k, n in counts.most_common()))


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.identity_accuracy", description=__doc__.split("\n\n")[0])
    ap.add_argument("--officers", type=int, default=1_000_000, help="registered population (default 10^6)")
    ap.add_argument("--queries", type=int, default=20_000, help="noisy re-entries to look up (default 20,000)")
    ap.add_argument("--negatives", type=int, default=5_000, help="strangers to look up (default 5,000)")
    ap.add_argument("--seed", type=int, default=PopulationConfig.seed)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--examples", type=int, default=3, help="explained misses to print per noise kind")
    args = ap.parse_args(argv)

    cfg = PopulationConfig(officers=args.officers, seed=args.seed)
    print(f"Generating {cfg.officers:,} officers (seed {cfg.seed}) and indexing them "
          f"(blocking scheme v{identity.BLOCKING_SCHEME_VERSION})...", file=sys.stderr)
    built = build(cfg, args.queries, args.negatives)
    print(f"Scoring {len(built.jobs):,} queries on {args.workers} worker(s)...", file=sys.stderr)
    outcomes, seconds = run(built.jobs, args.workers)
    met = report(built, outcomes, seconds, args.workers, args.examples)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
