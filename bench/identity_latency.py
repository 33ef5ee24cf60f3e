"""searchOfficers latency on a loaded registry: the identity lookup as a hiring agency sees it.

    python -m bench.identity_latency [--officers 1000000] [--queries 2000] [--warmup 200] [--clients 8]

A scratch database (``bench.scratch``) is loaded with ``bench.population`` by COPY, exactly as
``bench.api_baseline`` loads it (officers, names, blocking keys from ``identity.blocking_keys``,
certifications, employment, records), then the app is served on 127.0.0.1 (``api_baseline.serving``)
and one client sends ``searchOfficers`` for the noisy re-entries of the population (name and birth date
as the new state's clerk typed them), one request at a time, so that each latency is a request's own.
The same searches are also timed through ``identity.matching.rank`` directly on a pool (the store and
the scorer without HTTP and GraphQL), with the number of candidates ranked. Then ``--clients`` closed-loop
clients (default 8) send searches concurrently from a separate process for ``--duration`` seconds, each cell
searches none of the run has asked before (a registry's searches are for different people: their pages are as
cold as the database's and the operating system's caches leave them; ``--repeat`` asks the one-at-a-time searches
again instead, warm): throughput, p50/p99, the server's CPU per search and, when the database runs on this
machine, PostgreSQL's (issue 13's target: p99 < 50 ms at 10^6 officers, 8 clients); then, in the same minute, the
database's floor (``bench.search_floor``: the same searches' reads on raw asyncpg, no scoring, no server) and the
ratio of the two. The database's ``shared_buffers`` is printed with the results: at 10^6 officers the tables and
indexes a search reads are 1.2 to 1.9 GB, and 128 MB (PostgreSQL's default) turns most of their pages into reads
from the operating system's cache.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx

from bench.api_baseline import CLIENT_STRIDE, drive, load_in_child, postgres_cpu, postgres_cpu_since, serving
from bench.population import PopulationConfig, generate
from bench.scratch import scratch_database
from identity import NameParts, matching, query_key_weights
from identity.matching import CANDIDATE_LIMIT, Person
from identity.phonetic import IDF_SCALE, KEY_UNITS
from store import officers as officer_store

SEARCH = """query($i: OfficerSearchInput!) { searchOfficers(input: $i, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK,
  first: 10) { score strong reasons officer { id } } }"""


def _queries(officers: int, seed: int, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for off in generate(PopulationConfig(officers=officers, seed=seed)):
        if off.reentry is not None:
            name = off.reentry.names[0]
            out.append({"givenName": name.given, "middleName": name.middle or None, "familyName": name.family,
                        "dateOfBirth": off.reentry.dob.isoformat(), "_truth": off.officer_id})
            if len(out) >= n:
                break
    return out


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _pct(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _row(name: str, ms: Sequence[float]) -> str:
    return (f"| {name} | {len(ms):,} | {statistics.fmean(ms):.1f} | {_pct(ms, .5):.1f} | {_pct(ms, .9):.1f} | "
            f"{_pct(ms, .99):.1f} | {max(ms):.1f} |")


class _GcClock:
    """Time spent in the cyclic garbage collector (``gc.callbacks``), to tell its pauses from the work."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0
        gc.callbacks.append(self._cb)

    def _cb(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start

    def close(self) -> None:
        gc.callbacks.remove(self._cb)


async def _concurrent(url: str, token: str, dsn: str, cells: list[list[dict[str, Any]]], clients: Sequence[int],
                      duration: float) -> list[str]:
    """Closed-loop clients in a separate process (``api_baseline.drive``), as api_baseline measures lookups: rows of
    throughput, latency and this (the server's) process's CPU per search, and the database's floor
    (``bench.search_floor``) in the same minute, on the same database, with the ratio. ``cells``: the searches of
    each cell in turn (cycled)."""
    turn = itertools.cycle(cells)
    rows = []
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as ex:
        for c in clients:
            # The server freezes its start-up heap (server.create_app(freeze_heap=True), as `registry serve`); the
            # same server with it unfrozen (gc.unfreeze) is the reference, in the same run; then the floor.
            frozen_rate = 0.0
            for label in ("frozen", "not frozen", "floor"):
                if label == "not frozen":
                    gc.unfreeze()
                print(f"  searchOfficers x{c} clients for {duration:.0f} s, "
                      f"{'the database floor' if label == 'floor' else 'heap ' + label}...", file=sys.stderr)
                inputs = [{k: v for k, v in q.items() if not k.startswith("_")} for q in next(turn)]
                cpu0, db0 = time.process_time(), postgres_cpu()
                cell = await loop.run_in_executor(ex, drive, {
                    "mode": "raw_search" if label == "floor" else "search", "query": SEARCH, "clients": c,
                    "ids": inputs, "url": url, "token": token, "dsn": dsn, "pgl_url": "", "warmup": 2.0,
                    "duration": duration})
                server_ms = (time.process_time() - cpu0) * 1000 / max(cell.total, 1)
                if label == "floor":  # no server: the load generator's own CPU is the floor's application
                    server_ms = cell.client_cpu_s * 1000 / max(cell.total, 1)
                db_s = postgres_cpu_since(db0)
                db_ms = "-" if db_s is None else f"{db_s * 1000 / max(cell.total, 1):.1f}"
                frozen_rate = cell.rate if label == "frozen" else frozen_rate
                ratio = f"{frozen_rate / cell.rate:.2f}" if label == "floor" and cell.rate else "-"
                what = "database floor (raw asyncpg)" if label == "floor" else "registry, heap " + label
                rows.append(f"| {c} | {what} | {cell.rate:,.0f} | {cell.pct(50):.1f} | {cell.pct(99):.1f} | "
                            f"{server_ms:.1f} | {db_ms} | {ratio} | {cell.errors} |")
                if cell.errors:
                    print(f"    {cell.errors} errors, first: {cell.first_error}", file=sys.stderr)
            gc.collect()
            gc.freeze()
    return rows


async def _measure(dsn: str, queries: list[dict[str, Any]], warmup: int, clients: Sequence[int] = (),
                   duration: float = 10.0, fresh: list[list[dict[str, Any]]] | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="identity-latency-") as tmp:
        async with serving(dsn, Path(tmp)) as (url, token, _app, pool):
            settings = {"shared_buffers": await pool.fetchval("SHOW shared_buffers"),
                        "size": await pool.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")}
            direct: list[float] = []
            direct_cpu: list[float] = []
            candidates: list[int] = []
            for i, q in enumerate(queries):
                name = NameParts(given=q["givenName"], middle=q["middleName"] or "", family=q["familyName"])
                person = Person(names=[name], dob=date.fromisoformat(q["dateOfBirth"]), primary=name)
                t0, c0 = time.perf_counter(), time.process_time()
                await matching.rank(pool, person, [], limit=10)
                if i >= warmup:
                    direct.append((time.perf_counter() - t0) * 1000)
                    direct_cpu.append((time.process_time() - c0) * 1000)
                    ids = await officer_store.ids_by_blocking_keys(
                        pool, query_key_weights(list(person.names), person.dob), limit=CANDIDATE_LIMIT,
                        idf_scale=IDF_SCALE, units=KEY_UNITS)
                    candidates.append(len(ids))
            api: list[float] = []
            api_cpu: list[float] = []
            api_gc: list[float] = []
            clock = _GcClock()
            found = 0
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                headers = {"Authorization": f"Bearer {token}"}
                for i, q in enumerate(queries):
                    inp = {k: v for k, v in q.items() if not k.startswith("_")}
                    t0, c0, g0 = time.perf_counter(), time.process_time(), clock.total
                    resp = await client.post("/graphql", json={"query": SEARCH, "variables": {"i": inp}},
                                             headers=headers)
                    elapsed = (time.perf_counter() - t0) * 1000
                    cpu = (time.process_time() - c0) * 1000
                    body = resp.json()
                    if body.get("errors"):
                        raise RuntimeError(body["errors"])
                    if i >= warmup:
                        api.append(elapsed)
                        api_cpu.append(cpu)
                        api_gc.append((clock.total - g0) * 1000)
                        found += any(h["officer"]["id"] == q["_truth"] for h in body["data"]["searchOfficers"][:5])
            clock.close()
            concurrent = await _concurrent(url, token, dsn, fresh or [queries], clients, duration) if clients else []
    n = len(api)
    print(f"\nLoad average {_loadavg()} on {os.cpu_count()} cores (CPU ms: this process only, client included for "
          "HTTP; the database's own time is in its processes, so wall time is the measure, CPU time a floor). "
          f"Database: shared_buffers {settings['shared_buffers']}, {settings['size']}; PostgreSQL CPU is that of every "
          "postgres process on this machine (a database elsewhere shows as '-' or as this machine's idle one).")
    print("\n| path | queries | mean ms | p50 | p90 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    print(_row("searchOfficers over HTTP (GraphQL, policy, query log), wall", api))
    print(_row("... CPU of the server process (+ client)", api_cpu))
    print(_row("... of which garbage collection", api_gc))
    print(_row("identity.matching.rank on a pool (store + scorer), wall", direct))
    print(_row("... CPU of this process", direct_cpu))
    print(f"\nCandidates per search from the blocking keys: p50 {_pct(candidates, .5)}, p90 {_pct(candidates, .9)}, "
          f"p99 {_pct(candidates, .99)}, max {max(candidates)} (cap {CANDIDATE_LIMIT} from blocking keys, plus "
          f"same-SSN officers). True officer in the first five answers: {found / n:.4f} of {n:,} (a sanity check, "
          f"not recall: the loader files each re-entered spelling as an alias of its officer).")
    if concurrent:
        print("\nConcurrent clients (closed loop, one keep-alive connection each, in a separate process; "
              f"{'searches not asked before in this run, in each cell' if fresh else 'the same searches in turn'}; "
              "target p99 < 50 ms at 8 clients). The database floor: bench.search_floor's reads alone (the "
              "blocking-key lookup, the names of the candidates whose birth date does not rule them out, the "
              "query-log entries) on raw asyncpg, one connection per client, the load generator's CPU as its app "
              "CPU; the registry's search cannot be faster on this database:\n")
        print("| clients | what | searches/s | p50 ms | p99 ms | app CPU ms/search | PostgreSQL CPU ms/search | "
              "registry (frozen) / floor | errors |")
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(concurrent))


async def run(args: argparse.Namespace) -> int:
    spawn = get_context("spawn")
    cells = 0 if args.repeat else 3 * len(args.clients)  # each concurrency: heap frozen, then not, the floor
    # Each client of a cell asks its own stretch of the cell's searches (api_baseline.drive), none asked twice.
    per_cell = max(args.clients, default=1) * CLIENT_STRIDE
    asked = _queries(args.officers, args.seed, args.skip + args.queries + args.warmup + cells * per_cell)
    asked = asked[args.skip:]
    queries, rest = asked[:args.queries + args.warmup], asked[args.queries + args.warmup:]
    fresh = [rest[k * per_cell:(k + 1) * per_cell] for k in range(cells)] or None
    if args.dsn:  # a database this benchmark (or api_baseline's loader) already loaded with the same population
        print(f"Timing {len(queries) - args.warmup:,} searches (after {args.warmup} warm-up) on {args.dsn}...",
              file=sys.stderr)
        await _measure(args.dsn, queries, args.warmup, args.clients, args.duration, fresh)
        return 0
    async with scratch_database("identity_latency") as dsn:
        loop = asyncio.get_running_loop()
        print(f"Loading {args.officers:,} officers by COPY...", file=sys.stderr)
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as ex:
            info = await loop.run_in_executor(ex, load_in_child, dsn, args.officers, args.seed)
        print(f"Loaded in {info['seconds']:.0f} s: {info['counts']}; database {info['db_mb']:,.0f} MB.")
        print(f"Timing {len(queries) - args.warmup:,} searches (after {args.warmup} warm-up), one at a time...",
              file=sys.stderr)
        await _measure(dsn, queries, args.warmup, args.clients, args.duration, fresh)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.identity_latency", description=__doc__.split("\n\n")[0])
    ap.add_argument("--officers", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=PopulationConfig.seed)
    ap.add_argument("--clients", type=lambda v: [int(c) for c in v.split(",") if c], default=[8],
                    help="concurrent clients to measure after the one-at-a-time run, e.g. 1,8 (default 8; '' for none)")
    ap.add_argument("--duration", type=float, default=10.0, help="measured seconds per concurrency (default 10)")
    ap.add_argument("--skip", type=int, default=0,
                    help="start after this many re-entered people: runs on one database with different --skip "
                         "values ask searches none of the others asked")
    ap.add_argument("--repeat", action="store_true",
                    help="concurrent clients ask the one-at-a-time searches again (warm) instead of new ones")
    ap.add_argument("--dsn", help="an already loaded database (same --officers and --seed): skip loading")
    return asyncio.run(run(ap.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
