"""Instructions per history lookup, counted by valgrind's callgrind: a measure that does not move with the minute.

    python -m bench.lookup_instructions [--officers 20000] [--lookups 400] [--rounds 2]

On this machine the rate of the same code moves by up to 2x from one minute to the next (docs/performance.md), so
a change of a few percent cannot be seen in ``bench.api_baseline``'s rates. Counting the CPU instructions the
server's process executes per lookup can: the same code gives the same count within about 1 % from run to run.
A scratch database (``bench.scratch``) is loaded as ``bench.api_baseline`` loads it; then a child process runs
under ``valgrind --tool=callgrind`` with counting off, serves the app in process and sends the README's lookup
(``api_baseline.HISTORY_QUERY``, as a hiring agency) to the app's ASGI interface, 8 at a time, counting only
while ``--lookups`` of them run (``callgrind_control``), ``--rounds`` times: first with compiled plans, then with
them off (graphql-core executes every document), the same lookups, as the reference in the same run. What the
count includes: everything the server's process does for a lookup (ASGI middleware, GraphQL, the policy, the
statements' encoding and decoding by asyncpg, the query-log write), not PostgreSQL's work, not the HTTP server's
(no sockets), and the driver's own few calls per lookup. What it is not: time. Cache misses, system calls and
waiting are not counted; a change that trades instructions for any of those shows here as a gain it is not.
Needs valgrind (``apt install valgrind``); about a minute per 400 lookups and round under it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.population import PopulationConfig

CHILD = "--child"


def _table(rows: list[tuple[str, int, int]], lookups: int) -> str:
    lines = ["| path | round | instructions per lookup |", "|------|-------|-------------------------|"]
    lines += [f"| {path} | {r} | {count // lookups:,} |" for path, r, count in rows]
    return "\n".join(lines)


def report(rows: list[tuple[str, int, int]], lookups: int) -> str:
    """The table and the ratio of the medians (plans over graphql-core)."""
    by: dict[str, list[int]] = {}
    for path, _, count in rows:
        by.setdefault(path, []).append(count // lookups)
    out = [_table(rows, lookups)]
    if "plans" in by and "graphql-core" in by:
        plans, core = statistics.median(by["plans"]), statistics.median(by["graphql-core"])
        out.append(f"\nCompiled plans: {plans:,.0f} instructions per lookup, graphql-core {core:,.0f} "
                   f"({plans / core:.0%}; medians of {len(by['plans'])} rounds, same run).")
    return "\n".join(out)


def _counts(folder: Path) -> list[tuple[str, int, int]]:
    """(path, round, instructions) of each dump the child asked for, by its trigger name ``path:round``."""
    rows = []
    for f in sorted(folder.glob("cg.*.*")):
        trigger = total = None
        for line in f.read_text(errors="replace").splitlines():
            if line.startswith("desc: Trigger: Client Request: ") or line.startswith("desc: Trigger: dump "):
                trigger = line.rsplit(" ", 1)[1]
            elif line.startswith("totals:"):
                total = int(line.split()[1])
        if trigger is not None and total is not None and ":" in trigger:
            path, _, r = trigger.partition(":")
            rows.append((path, int(r), total))
    return sorted(rows, key=lambda row: (row[0] != "plans", row[1]))


async def _child(spec: dict[str, Any]) -> None:
    """Under callgrind: serve the app in process and count rounds of lookups between ``callgrind_control`` calls."""
    from bench.api_baseline import HISTORY_QUERY, serving

    def control(*args: str) -> None:
        subprocess.run(["callgrind_control", *args, str(os.getpid())], capture_output=True, check=False)

    ids: list[str] = spec["ids"]
    lookups: int = spec["lookups"]
    for path in ("plans", "graphql-core"):
        with tempfile.TemporaryDirectory() as tmp:
            async with serving(spec["dsn"], Path(tmp), compiled_plans=path == "plans") as (_url, token, app, _pool):
                async def one(officer_id: str) -> None:
                    body = json.dumps({"query": HISTORY_QUERY, "variables": {"id": officer_id}}).encode()
                    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                             "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
                             "root_path": "", "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
                             "headers": [(b"host", b"registry"), (b"content-type", b"application/json"),
                                         (b"authorization", f"Bearer {token}".encode()),
                                         (b"content-length", str(len(body)).encode())]}
                    sent: list[dict[str, Any]] = []
                    given = False

                    async def receive() -> dict[str, Any]:
                        nonlocal given
                        if not given:
                            given = True
                            return {"type": "http.request", "body": body, "more_body": False}
                        await asyncio.Event().wait()  # no disconnect while the answer is written
                        raise AssertionError

                    async def send(message: dict[str, Any]) -> None:
                        sent.append(message)

                    await app(scope, receive, send)
                    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
                    if sent[0]["status"] != 200 or b'"errors"' in answer:
                        raise SystemExit(f"lookup of {officer_id} failed: {answer[:300]!r}")

                async def lookups_of(count: int) -> None:
                    async def client(k: int) -> None:
                        for i in range(count // 8):
                            await one(ids[(k * 97 + i) % len(ids)])

                    await asyncio.gather(*(client(k) for k in range(8)))

                await lookups_of(max(80, lookups // 4))  # warm: caches, plans, prepared statements
                for r in range(spec["rounds"]):
                    control("-z")
                    control("-i", "on")
                    await lookups_of(lookups)
                    control("-i", "off")
                    control("-d", f"{path}:{r + 1}")


async def _parent(args: argparse.Namespace) -> int:
    from bench.api_baseline import load_in_child
    from bench.scratch import scratch_database

    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found: this bench counts instructions with valgrind (apt install valgrind)",
                  file=sys.stderr)
            return 2
    async with scratch_database("lookup_instr") as dsn:
        print(f"Loading {args.officers:,} officers by COPY...", file=sys.stderr)
        loop = asyncio.get_running_loop()
        info = await loop.run_in_executor(None, load_in_child, dsn, args.officers, args.seed)
        lookups = args.lookups - args.lookups % 8
        with tempfile.TemporaryDirectory(prefix="lookup-instr-") as tmp:
            spec = Path(tmp) / "spec.json"
            spec.write_text(json.dumps({"dsn": dsn, "ids": info["lookups"][:400], "lookups": lookups,
                                        "rounds": args.rounds}))
            print(f"Counting {lookups} lookups x {args.rounds} rounds, with plans and without, under callgrind "
                  "(a minute or more per round)...", file=sys.stderr)
            proc = await asyncio.create_subprocess_exec(
                "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/cg.%p",
                sys.executable, "-m", "bench.lookup_instructions", CHILD, str(spec),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, err = await proc.communicate()
            rows = _counts(Path(tmp))
            if proc.returncode != 0 or not rows:
                tail = err.decode(errors="replace").strip().splitlines()[-3:]
                print(f"error: the counted run failed (exit {proc.returncode}): {' / '.join(tail)}", file=sys.stderr)
                return 1
    print(f"\nHistory lookups in process ({args.officers:,} officers, 8 at a time, {lookups} per round), "
          "instructions executed by the server's process (valgrind callgrind):\n")
    print(report(rows, lookups))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD]:
        import uvloop

        spec = json.loads(Path(argv[1]).read_text())
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # as `registry serve` runs
            runner.run(_child(spec))
        return 0
    ap = argparse.ArgumentParser(prog="python -m bench.lookup_instructions", description=__doc__.split("\n\n")[0])
    ap.add_argument("--officers", type=int, default=20_000, help="population to load (default 20,000)")
    ap.add_argument("--lookups", type=int, default=400, help="lookups counted per round (default 400)")
    ap.add_argument("--rounds", type=int, default=2, help="rounds per path (default 2)")
    ap.add_argument("--seed", type=int, default=PopulationConfig.seed)
    args = ap.parse_args(argv)
    if args.lookups < 8 or args.rounds < 1:
        ap.error("--lookups must be at least 8 and --rounds at least 1")
    return asyncio.run(_parent(args))


if __name__ == "__main__":
    raise SystemExit(main())
