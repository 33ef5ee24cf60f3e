"""Benchmark of the transparency log in PostgreSQL: append throughput and proof latency by log size.

    python -m bench.ledger_bench [--sizes 1000,10000,100000] [--batch 1000] [--samples 300]
    python -m bench.ledger_bench --sizes 1000,100000,1000000        # the 10^6 run (several minutes)

Runs in a scratch database: a new one on DATABASE_URL's server (dropped afterwards) or an embedded
server in a temporary directory. The log grows to each size in turn. For every batch the same
entries (JWS-sized random bytes) are written twice, each in its own transaction: through
``log_store.append_leaves`` (leaf + completed subtree rows, under the log lock) and as a plain
``INSERT`` of one row per entry into a scratch table, so the ratio is the log's overhead measured
in the same run. Proof latency is ``ledger.proofs`` end to end (one query plus assembly) on one
connection, for random leaves and random older sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import time
from dataclasses import dataclass

import asyncpg

from bench.scratch import scratch_database
from ledger import log_store, proofs
from registry import migrate

ENTRY_BYTES = 600  # about the size of a signed record event
PLAIN_INSERT = "INSERT INTO bench_plain (idx, data) SELECT * FROM unnest($1::bigint[], $2::bytea[])"


@dataclass
class Row:
    size: int
    appended: int
    log_seconds: float
    plain_seconds: float
    node_rows: int
    inclusion_ms: list[float]
    consistency_ms: list[float]




async def grow(conn: asyncpg.Connection, start: int, target: int, batch: int) -> tuple[float, float]:
    """Append entries ``[start, target)`` both ways; return (log seconds, plain-insert seconds)."""
    log_s = plain_s = 0.0
    for pos in range(start, target, batch):
        n = min(batch, target - pos)
        entries = [secrets.token_bytes(ENTRY_BYTES) for _ in range(n)]
        t0 = time.perf_counter()
        async with conn.transaction():
            await log_store.append_leaves(conn, entries)
        t1 = time.perf_counter()
        async with conn.transaction():
            await conn.execute(PLAIN_INSERT, list(range(pos, pos + n)), entries)
        t2 = time.perf_counter()
        log_s, plain_s = log_s + t1 - t0, plain_s + t2 - t1
    return log_s, plain_s


async def latencies(conn: asyncpg.Connection, size: int, samples: int,
                    rnd: random.Random) -> tuple[list[float], list[float]]:
    """Milliseconds per inclusion proof (random leaf) and consistency proof (random older size)."""
    inclusion, consistency = [], []
    for _ in range(samples):
        index, old = rnd.randrange(size), rnd.randrange(1, size) if size > 1 else 1
        t0 = time.perf_counter()
        await proofs.inclusion_proof(conn, index, size)
        t1 = time.perf_counter()
        await proofs.consistency_proof(conn, old, size)
        t2 = time.perf_counter()
        inclusion.append((t1 - t0) * 1000)
        consistency.append((t2 - t1) * 1000)
    return inclusion, consistency


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


async def run(sizes: list[int], batch: int, samples: int) -> list[Row]:
    rows: list[Row] = []
    rnd = random.Random(1)
    async with scratch_database("ledger_bench") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await migrate.migrate(conn)
            await conn.execute("CREATE TABLE bench_plain (idx bigint PRIMARY KEY, data bytea NOT NULL)")
            current = 0
            for size in sizes:
                log_s, plain_s = await grow(conn, current, size, batch)
                await conn.execute("ANALYZE log_nodes; ANALYZE bench_plain")
                inclusion, consistency = await latencies(conn, size, samples, rnd)
                nodes = await conn.fetchval("SELECT count(*) FROM log_nodes")
                rows.append(Row(size, size - current, log_s, plain_s, nodes, inclusion, consistency))
                current = size
                print(f"  reached {size:,} entries", file=sys.stderr)
        finally:
            await conn.close()
    return rows


def table(rows: list[Row], batch: int) -> str:
    head = (f"{'log size':>10} {'appended':>9} {'log appends/s':>14} {'plain inserts/s':>16} {'ratio':>6} "
            f"{'node rows':>10} {'incl p50':>9} {'incl p99':>9} {'cons p50':>9} {'cons p99':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        log_rate = r.appended / r.log_seconds if r.log_seconds else 0.0
        plain_rate = r.appended / r.plain_seconds if r.plain_seconds else 0.0
        lines.append(f"{r.size:>10,} {r.appended:>9,} {log_rate:>14,.0f} {plain_rate:>16,.0f} "
                     f"{r.log_seconds / r.plain_seconds:>6.2f} {r.node_rows:>10,} "
                     f"{pct(r.inclusion_ms, 50):>7.2f}ms {pct(r.inclusion_ms, 99):>7.2f}ms "
                     f"{pct(r.consistency_ms, 50):>7.2f}ms {pct(r.consistency_ms, 99):>7.2f}ms")
    lines.append(f"batches of {batch} entries of {ENTRY_BYTES} bytes, one transaction each; "
                 "ratio = log append time / plain insert time for the same entries")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated log sizes to reach and measure at (default 1000,10000,100000)")
    parser.add_argument("--batch", type=int, default=1000, help="entries per transaction (default 1000)")
    parser.add_argument("--samples", type=int, default=300, help="proofs timed per size and kind (default 300)")
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes must be comma-separated integers")
    if not sizes or sizes[0] < 1 or args.batch < 1 or args.samples < 1:
        parser.error("sizes, --batch and --samples must be positive")
    started = time.perf_counter()
    rows = asyncio.run(run(sizes, args.batch, args.samples))
    print(table(rows, args.batch))
    print(f"total {time.perf_counter() - started:.0f} s, PostgreSQL "
          f"{'from DATABASE_URL' if os.environ.get('DATABASE_URL') else 'embedded'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
