"""bench.api_baseline's report: one table per part, and each of issue 13's targets judged for both server setups."""

from __future__ import annotations

import argparse

import pytest

from bench.api_baseline import BATCH, OTHER_THREADS, Cell, PublishResult, Timed, _print_report


def cell(mode: str, clients: int, rate: float, p99: float, server_ms: float) -> Cell:
    n = int(rate * 5)
    lat = [p99 / 2] * (n - max(1, n // 50)) + [p99] * max(1, n // 50)
    return Cell(mode, clients, n, 0, 5.0, lat, total=n, client_cpu_s=n * 0.0001, server_cpu_s=n * server_ms / 1000,
                db_cpu_s=n * 0.0005)


def test_the_targets_are_judged_for_one_process_and_for_the_workers(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(officers=20_000, seed=1, duration=5.0, warmup=1.0, client="light", workers=2,
                              postgraphile=True, pgl_check="same", pgl_versions="postgraphile 5", load="0.5",
                              publish=5_000, certs=1_000, engine_floor=0.31)
    cells = [cell("healthz", 8, 13_000, 1.7, 0.08),
             cell("graphql", 8, 417, 31.7, 2.39), cell("graphql-workers", 8, 1_100, 23.3, 1.9),
             cell("graphql-core", 8, 278, 40.0, 3.5), cell("graphql-nocache", 8, 139, 80.0, 7.0),
             cell("raw", 8, 2_097, 8.3, 0.31), cell("postgraphile", 8, 1_050, 18.0, 1.02)]
    published = [PublishResult(label, 5_000, 2.0, 1.0, app_cpu_s=1.5, db_cpu_s=0.6) for label in "abcde"]
    profile = [("SQL statements per event", 0.03), (OTHER_THREADS, 0.05), ("publishing", 0.04)]
    _print_report(args, {"counts": {"keys": 1, "records": 1}, "db_mb": 70.0, "seconds": 7.0}, (2, 2), cells,
                  published, Timed(0.25, 0.01, 0.2), profile, {"start": {"VmRSS": 38.0, "VmHWM": 38.0}},
                  [(Timed(0.3, 0.01, 0.2), Timed(1.0, 0.7, 0.3)), (Timed(0.2, 0.01, 0.2), Timed(1.2, 0.7, 0.3)),
                   (Timed(0.25, 0.01, 0.2), Timed(0.8, 0.7, 0.3))])
    out = capsys.readouterr().out
    copy = next(line for line in out.splitlines() if line.startswith("Target: >= 0.3 x COPY"))
    # COPY 20,000/s; publishing 2,500/s (12.5 %); the floor (median turn, 1.0 s) 5,000/s (25 %)
    assert copy.startswith("Target: >= 0.3 x COPY: MISSED (12.5% end to end)") and "ran 5,000/s, 25.0% of COPY" in copy
    assert "needs the registry at 120% of its floor (more than the floor itself)" in copy
    assert "it ran at 50% of the floor over HTTP" in copy
    assert "the floor: signatures checked" in out
    assert "16,667 / 5,000 (30%); 25,000 / 4,167 (17%); 20,000 / 6,250 (31%)" in out
    one = next(line for line in out.splitlines() if line.startswith("Targets at 8 clients, one process"))
    assert "GraphQL/PostGraphile 40% (target >= 100%: MISSED)" in one
    assert "GraphQL/raw 20% (target >= 50%: MISSED)" in one
    assert "p99 31.7 ms (target < 25 ms: MISSED)" in one
    assert "app CPU 2.39 ms per lookup (target <= 2 ms: MISSED)" in one
    two = next(line for line in out.splitlines() if line.startswith("Targets at 8 clients, serve --workers 2"))
    assert "GraphQL/PostGraphile 105% (target >= 100%: met)" in two
    assert "GraphQL/raw 52% (target >= 50%: met)" in two
    assert "p99 23.3 ms (target < 25 ms: met)" in two
    assert "app CPU 1.90 ms per lookup (target <= 2 ms: met)" in two
    assert "GraphQL engine floor" in out and "0.31 ms of CPU per lookup" in out
    assert f"batches of {BATCH}" in out
    assert "GraphQL, compiled plans off" in out
    plans = next(line for line in out.splitlines() if line.startswith("Compiled plans"))
    assert "1.50x the same app with them off (278 req/s" in plans and "app CPU 3.50 ms against 2.39" in plans
    caches = next(line for line in out.splitlines() if line.startswith("Parse and validation caches"))
    assert "2.00x the same app without them, both with plans off" in caches


def test_parity_rounds_judge_the_targets_by_their_medians(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(officers=20_000, seed=1, duration=5.0, warmup=1.0, client="light", workers=2,
                              postgraphile=True, pgl_check="same", pgl_versions="postgraphile 5", load="0.5",
                              publish=5_000, certs=1_000)
    cells = [cell("healthz", 8, 13_000, 1.7, 0.08), cell("graphql", 8, 500, 31.7, 2.39),
             cell("raw", 8, 2_000, 8.3, 0.31), cell("postgraphile", 8, 1_000, 18.0, 1.02)]
    # one process: 95%, 110% and 101% of PostGraphile (median 101%); workers: 90%, 99%, 120% (median 99%)
    args.rounds_cells = [
        {"graphql": cell("graphql", 8, one, p99, 0.5), "graphql-workers": cell("graphql-workers", 8, two, 9.0, 0.6),
         "raw": cell("raw", 8, 2_000, 4.0, 0.2), "postgraphile": cell("postgraphile", 8, 1_000, 9.0, 0.55)}
        for one, two, p99 in ((950, 900, 8.0), (1_100, 990, 30.0), (1_010, 1_200, 9.0))]
    published = [PublishResult(label, 5_000, 2.0, 1.0, app_cpu_s=1.5, db_cpu_s=0.6) for label in "abcde"]
    _print_report(args, {"counts": {"keys": 1, "records": 1}, "db_mb": 70.0, "seconds": 7.0}, (2, 2), cells,
                  published, Timed(0.25, 0.01, 0.2), [("SQL statements per event", 0.03), ("publishing", 0.04)],
                  {"start": {"VmRSS": 38.0, "VmHWM": 38.0}})
    out = capsys.readouterr().out
    assert "Parity rounds at 8 clients" in out
    median_row = next(line for line in out.splitlines() if line.startswith("| median"))
    assert "101%" in median_row and "99%" in median_row
    one = next(line for line in out.splitlines() if line.startswith("Targets at 8 clients, one process"))
    assert "(median of 3 parity rounds)" in one
    assert "GraphQL/PostGraphile 101% (target >= 100%: met)" in one and "GraphQL/raw 50% (target >= 50%: met)" in one
    assert "p99 9.0 ms (target < 25 ms: met)" in one and "app CPU 0.50 ms" in one
    two = next(line for line in out.splitlines() if line.startswith("Targets at 8 clients, serve --workers 2"))
    assert "GraphQL/PostGraphile 99% (target >= 100%: MISSED)" in two
