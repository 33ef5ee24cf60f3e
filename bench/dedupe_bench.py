"""Precision, recall and wall time of the registry-wide duplicate sweep's linkage (``identity.dedupe.link``).

    python -m bench.dedupe_bench [--officers 100000] [--seed 13929] [--thresholds 0.5,0.8,0.9,0.95,0.99] [--json]
    python -m bench.dedupe_bench --officers 1000000        # the 10^6 run (minutes, several GB of memory)

The registry is built from ``bench.population``: every officer as registered (primary name, former names on
file, birth date, SSN blind index when its publisher sent an SSN, its certification number), plus, as separate
officers, the duplicates publish-time matching leaves behind: each noisy re-entry by another state (typos,
nicknames, married names, birth-date slips, swapped names...) except those carrying the same SSN as the officer
on file (publishing links those itself), and each stranger (an unregistered twin or a namesake: a hard
negative, never a duplicate). Twins registered in the population are hard negatives too.

The true duplicate pairs are (officer, its re-entry). The sweep's linkage runs once at the lowest threshold; for
each threshold, a *proposal* is a scored pair at or above it whose SSN indexes do not conflict (what
``registry dedupe`` would file on a registry with no proposals yet): precision is the share of proposals that
are true pairs, recall the share of true pairs proposed. Recall is also broken down by noise kind at the default
threshold. Publish-time proposals are not simulated: recall here is the sweep's alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from dataclasses import replace

from bench.population import Officer as PopOfficer
from bench.population import PopulationConfig, generate
from identity.dedupe import DEFAULT_THRESHOLD, DedupeSettings, Officer, link
from identity.ssn import ssn_blind_index

_SSN_KEY = b"dedupe-bench-ssn-blind-index-key"  # the registry's key is secret; any key gives the same equalities


def registry(officers: int, seed: int) -> tuple[list[Officer], dict[frozenset[str], str], int]:
    """The officers on file, the true duplicate pairs (-> noise kind), and how many re-entries SSN linked."""
    out: list[Officer] = []
    truth: dict[frozenset[str], str] = {}
    ssn_linked = 0

    def index(ssn: str | None) -> bytes | None:
        return ssn_blind_index(ssn, _SSN_KEY) if ssn else None

    for off in generate(PopulationConfig(officers=officers, seed=seed)):
        out.append(_registered(off, index(off.ssn)))
        if off.reentry is not None:
            r = off.reentry
            if r.ssn is not None and r.ssn == off.ssn:
                ssn_linked += 1  # publishing links a re-entry with the SSN on file: no duplicate is left
            else:
                dup = f"{off.officer_id}-R"
                out.append(Officer(dup, r.names, r.dob, index(r.ssn), ((r.state, r.cert_number),)))
                truth[frozenset((off.officer_id, dup))] = r.kind
        if off.stranger is not None:
            s = off.stranger
            out.append(Officer(f"{off.officer_id}-S", s.names, s.dob, index(s.ssn), ((s.state, s.cert_number),)))
    return out, truth, ssn_linked


def _registered(off: PopOfficer, ssn_index: bytes | None) -> Officer:
    return Officer(off.officer_id, off.names, off.person.dob, ssn_index, ((off.state, off.cert_number),))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--officers", type=int, default=100_000, help="registered officers (default 100000)")
    parser.add_argument("--seed", type=int, default=13929)
    parser.add_argument("--thresholds", default="0.5,0.8,0.9,0.95,0.99",
                        help="match probabilities to report precision and recall at (comma-separated)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: every core)")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 8GB (default: 80%% of RAM)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args(argv)
    thresholds = sorted(float(t) for t in args.thresholds.split(","))

    started = time.monotonic()
    officers, truth, ssn_linked = registry(args.officers, args.seed)
    built = time.monotonic() - started
    print(f"registry: {len(officers):,} officers ({args.officers:,} registered, {len(truth):,} duplicates left "
          f"by publishing, {ssn_linked:,} re-entries linked by SSN) in {built:.1f} s", file=sys.stderr)

    settings = replace(DedupeSettings(threads=args.threads, memory_limit=args.memory_limit),
                       threshold=min(thresholds))
    started = time.monotonic()
    result = link(officers, settings, progress=lambda s: print(f"  {s}", file=sys.stderr))
    wall = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows = []
    for t in thresholds:
        proposed = [p for p in result.pairs if p.probability >= t and not p.ssn_conflict]
        hits = sum(frozenset((p.a, p.b)) in truth for p in proposed)
        rows.append({"threshold": t, "proposals": len(proposed), "true": hits, "false": len(proposed) - hits,
                     "precision": hits / len(proposed) if proposed else 1.0,
                     "recall": hits / len(truth) if truth else 1.0})
    default = [p for p in result.pairs if p.probability >= DEFAULT_THRESHOLD and not p.ssn_conflict]
    found = {frozenset((p.a, p.b)) for p in default}
    by_kind: dict[str, list[int]] = {}
    for pair, kind in truth.items():
        entry = by_kind.setdefault(kind, [0, 0])
        entry[0] += 1
        entry[1] += pair in found
    conflicts = sum(p.ssn_conflict for p in result.pairs)
    false_kinds = Counter(
        "stranger" if (p.a.endswith("-S") or p.b.endswith("-S")) else "other"
        for p in default if frozenset((p.a, p.b)) not in truth)
    out = {
        "officers": len(officers), "registered": args.officers, "duplicates": len(truth),
        "pairs_compared": result.pairs_compared, "pairs_by_rule": result.pairs_by_rule, "prior": result.prior,
        "trained": result.trained, "wall_seconds": round(wall, 1), "stage_seconds": result.seconds,
        "peak_rss_mb": round(peak_mb), "ssn_conflicts_above_lowest_threshold": conflicts,
        "thresholds": rows, "false_at_default": dict(false_kinds),
        "recall_by_kind_at_default": {k: round(v[1] / v[0], 4) for k, v in sorted(by_kind.items())},
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{len(officers):,} officers, {result.pairs_compared:,} pairs compared in {wall:.1f} s "
          f"(peak RSS {peak_mb:,.0f} MB); prior {result.prior:.3g}")
    for name, n in result.pairs_by_rule.items():
        print(f"  {name}: {n:,} new pairs")
    for line in result.trained:
        print(f"  {line}")
    print(f"  seconds by stage: {result.seconds}")
    print("threshold  proposals   true  false  precision  recall")
    for r in rows:
        print(f"{r['threshold']:>9.2f}  {r['proposals']:>9,} {r['true']:>6,} {r['false']:>6,}  "
              f"{r['precision']:>9.4f}  {r['recall']:.4f}")
    print(f"pairs with conflicting SSNs (never proposed): {conflicts:,}; false proposals at {DEFAULT_THRESHOLD}: "
          f"{dict(false_kinds)}")
    print(f"recall by noise kind at {DEFAULT_THRESHOLD}:")
    for kind, (n, hit) in sorted(by_kind.items(), key=lambda kv: kv[1][1] / kv[1][0]):
        print(f"  {kind:<40} {hit:>6,}/{n:<6,} {hit / n:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
