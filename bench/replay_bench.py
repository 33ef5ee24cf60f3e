"""The replay audit's speed: publish the demo generator's registry (``--officers`` officers, about four signed
events each) through the ordinary path into a scratch database, then replay its whole log into a second one
and compare every table (``registry audit --replay``). References in the same run: the publishing of the same
events, and a plain COPY of the events table into an empty copy (raw write speed of the same rows).

    python -m bench.replay_bench                     # 3,000 officers, about 12,000 events: ~2 minutes
    python -m bench.replay_bench --officers 25000    # about 100,000 events: ~15 minutes

DATABASE_URL puts the scratch databases on that server; otherwise an embedded PostgreSQL in a temp directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

import asyncpg

from bench.scratch import scratch_database
from registry import database, migrate
from registry.config import Settings


def _table(rows: list[list[str]]) -> str:
    header = ["step", "events", "seconds", "events/s", "vs publishing", "vs COPY"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        return "| " + " | ".join(cells) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


async def _copy_events(dsn: str) -> float:
    """Seconds to COPY every events row into an empty table of the same shape (binary, one connection)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TEMP TABLE events_copy (LIKE events)")
        rows = await conn.fetch("SELECT * FROM events ORDER BY log_index")
        t0 = time.perf_counter()
        await conn.copy_records_to_table("events_copy", records=[tuple(r) for r in rows])
        return time.perf_counter() - t0
    finally:
        await conn.close()


async def run(officers: int) -> int:
    import demo
    from publishing.replay import replay

    async with scratch_database("replaybench") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await migrate.migrate(conn)
        finally:
            await conn.close()
        print(f"Publishing the demo registry with {officers:,} officers...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        await demo.load(dsn, Settings(data_dir=Path(tempfile.mkdtemp(prefix="replaybench-"))), officers=officers)
        publish_s = time.perf_counter() - t0
        live = await asyncpg.connect(dsn)
        try:
            events = int(await live.fetchval("SELECT count(*) FROM events"))
        finally:
            await live.close()
        copy_s = await _copy_events(dsn)

        print(f"Replaying {events:,} events...", file=sys.stderr, flush=True)
        name = "replaybench_scratch_" + secrets.token_hex(4)
        admin = await asyncpg.connect(dsn)
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            scratch_dsn = urllib.parse.urlunsplit(urllib.parse.urlsplit(dsn)._replace(path="/" + name))
            scratch, live = await asyncpg.connect(scratch_dsn), await asyncpg.connect(dsn)
            try:
                await database._init_connection(scratch)
                await database._init_connection(live)
                await migrate.migrate(scratch)
                t0 = time.perf_counter()
                report = await replay(live, scratch)
                replay_s = time.perf_counter() - t0
            finally:
                await scratch.close()
                await live.close()
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()

    load = os.getloadavg()
    print(f"Machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; "
          f"database: {'DATABASE_URL' if os.environ.get('DATABASE_URL') else 'embedded PostgreSQL'}.")
    print(f"Replay: {report.replayed:,} events re-applied, {report.expunged:,} expunged, "
          f"{report.rows_compared:,} rows compared, {len(report.findings)} finding(s).\n")

    def rate(seconds: float) -> str:
        return f"{events / seconds:,.0f}"

    print(_table([
        ["publish (demo.load, signed, batches of 250)", f"{events:,}", f"{publish_s:.1f}", rate(publish_s), "100%",
         f"{copy_s / publish_s:.1%}"],
        ["replay audit (re-apply + compare)", f"{events:,}", f"{replay_s:.1f}", rate(replay_s),
         f"{publish_s / replay_s:.0%}", f"{copy_s / replay_s:.1%}"],
        ["COPY of the events rows", f"{events:,}", f"{copy_s:.2f}", rate(copy_s), "-", "100%"],
    ]))
    per_million = replay_s / events * 1_000_000
    print(f"\nAt this rate a log of 10^6 events replays in about {per_million / 60:,.0f} minutes "
          "(linear: the replay is one pass in log order).")
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.replay_bench", description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--officers", type=int, default=3000, help="demo officers to publish (default 3,000)")
    args = ap.parse_args(argv)
    if args.officers < 10:
        ap.error("--officers must be at least 10")
    return asyncio.run(run(args.officers))


if __name__ == "__main__":
    sys.exit(main())
