"""API and bulk-publishing baseline (issue 5, deliverable 4): one command, one table, ratios side by side.

    python -m bench.api_baseline [--officers 100000] [--duration 10] [--clients 1,8,64] [--publish 5000]
    python -m bench.api_baseline --officers 1000000          # the 10^6 population (loading takes minutes)

1. A scratch database (a new one on DATABASE_URL's server, dropped afterwards, or an embedded
   PostgreSQL in a temporary directory) is migrated and loaded with ``bench.population`` by COPY
   (``copy_records_to_table``), not through the signed path, since the first part measures reads:
   officers, names (primary, former, and a re-entered spelling as an alias), blocking keys from
   ``identity.blocking_keys``, certifications (home state, and the new state for officers who moved),
   employment, misconduct records (5 % of officers) and their due-process history. Loading runs in a
   child process so that this (the server's) process stays as small as a real server.
2. Officer history lookup. The app (``server.create_app``) runs in this process under uvicorn on
   127.0.0.1 with its own pool (``registry.database.create_pool`` defaults: 2-10 connections), and a
   hiring-agency token from an issuer the bench creates. A separate load-generator process runs N
   closed-loop clients for each concurrency, first against the GraphQL endpoint (``bench.light_http``,
   or httpx with ``--client httpx``), then doing the same reads directly with asyncpg on a pool of the
   same size: the limit for this API as issue 13 defines it, one statement (``store.officer_tree``, the
   one the registry runs for a lookup) plus the query-log insert the API makes for every disclosure.
   Officers looked up:
   half with misconduct records, half at random. Also ``GET /healthz`` (no database, no GraphQL):
   the ceiling of HTTP + client on this machine. Then the GraphQL run again on the same app with the compiled
   plans of ``schema/plan.py`` turned off (graphql-core executes every document), and, unless
   ``--no-uncached``, with plans and the parse and validation caches of ``schema/limits.py`` off, to show what
   each gives in the same run. Then the GraphQL engine's own floor (``bench.engine_floor``): graphql-core executing
   the lookup document over the registry's answers to 200 of the lookups, in memory, without the server around it.
3. Bulk publishing: signed ``record.published`` events (about existing officers, by registry ID)
   through ``publishing.apply.Publisher`` in batches of 500 (signature check, idempotency, log append,
   writes), then signed ``certification.issued`` events naming new people by name and date of birth
   (adds identity matching against the whole population), against a plain COPY of the same record
   rows. Events are signed before the clock starts (that is the publisher's work). One extra batch
   is run under cProfile to show where the time goes. Then, in three turns each, COPY of the record rows and the
   publishing floor (``bench.publish_floor``: the signatures checked and every row the registry writes, by COPY,
   nothing else); the table gives the median of each, and the 0.3 x COPY target is judged against both.
   And, unless ``--no-postgraphile``, a reference (issue 13): PostGraphile v5 (default preset, the same
   tables, schema public, no auth, no query log) from ``bench/postgraphile`` (package.json pins postgraphile@5
   and the npm package ``node`` for a Node 22 binary; ``npm ci`` there on first use, node_modules stays out of
   git), served with grafserv on 127.0.0.1 by a child process on the same scratch database, its cells
   interleaved with the others, its CPU read from /proc/<pid>/stat; if it cannot be installed or started the
   bench says so in one line and goes on without it.
   Then ``--rounds`` (default 3) parity rounds at 8 clients, with the app, ``registry serve --workers`` and
   PostGraphile all up: the registry as one process and with workers, raw asyncpg and PostGraphile back to back
   in each round, so that each round's ratios come from one minute of the machine (its rates move by up to 2x
   from one minute to the next); issue 13's targets are judged by the medians over the rounds.
4. This process's RSS (``/proc/self/status``) before the server starts, after it starts and after
   the load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import random
import secrets
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import asyncpg

import identity
from bench.population import Officer, PopulationConfig, generate
from bench.publish_floor import PublishFloor, b64url
from bench.scratch import scratch_database
from bench.search_floor import SearchFloor
from registry import database, migrate

ISSUER = "https://bench-issuer.test"
AUDIENCE = "officer-registry"
PURPOSE = "PRE_EMPLOYMENT_BACKGROUND_CHECK"
HIRING_ORI = "WAHIRE000"
BATCH = 500
FLOOR_TURNS = 3  # COPY and the publishing floor, in turns
KEYS_VALID_FROM = datetime(2015, 1, 1, tzinfo=UTC)
AGENCIES_PER_STATE = 20
RECORD_RATE = 0.05

HISTORY_QUERY = """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  id dateOfBirth names { kind givenName middleName familyName suffix }
  certifications { edges { node { state number kind status issuedOn expiresOn publisher { name } } } }
  employment { edges { node { position startDate endDate separationReason agency { name state } } } }
  records { edges { node { id kind state reasonCategory actionDate status fairProcessAttested disputed
    subjectStatement narrative caseReference publisher { name } statusHistory { fromStatus toStatus changedAt } } } }
} }"""

# The same reads in PostGraphile v5's naming (default preset; issue 13). With no auth there is no row rule:
# misconduct records come back whatever their status (the default preset offers no condition on unindexed
# status columns), so PostGraphile returns a superset of the hiring agency's FINAL, attested records.
PGL_QUERY = """query($id: String!) { officerByRowId(rowId: $id) {
  rowId dateOfBirth officerNamesByOfficerId { nodes { kind givenName middleName familyName suffix } }
  certificationsByOfficerId { edges { node { state number kind status issuedOn expiresOn
    publisherByPublisherId { name } } } }
  employmentsByOfficerId { edges { node { position startDate endDate separationReason
    agencyByAgencyOri { name state } } } }
  misconductRecordsByOfficerId { edges { node { rowId kind state reasonCategory actionDate status fairProcessAttested
    disputed subjectStatement narrative caseReference publisherByPublisherId { name }
    recordStatusHistoriesByRecordId { nodes { fromStatus toStatus changedAt } } } } }
} }"""
PGL_DIR = Path(__file__).resolve().parent / "postgraphile"
PGL_LABEL = "PostGraphile v5 (no auth, no log)"

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _rss() -> dict[str, float]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(line.split()[1]) / 1024
    return out


def loadavg() -> str:
    """The 1-minute load average: other work on the machine skews every number here."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def _id(prefix: str, rng: random.Random) -> str:
    bits = rng.getrandbits(60)
    return prefix + "-" + "".join(_ALPHABET[(bits >> (5 * i)) & 31] for i in range(12))




# -- 1. bulk load by COPY -------------------------------------------------------------------------

NARRATIVE = ("Sustained finding after an administrative investigation: on {day} the officer {what}. "
             "The officer was given written notice of the charges, was represented and was heard before an "
             "impartial hearing officer; the decision was reviewed by the commission. Case file {case}.")
WHAT = ("used force not permitted by policy on a handcuffed subject", "made false statements in an arrest report",
        "failed to intervene when another officer struck a restrained person",
        "was convicted of a misdemeanor for conduct on duty", "accessed criminal-history records for personal reasons")
STATUSES = (("FINAL", True, 50), ("FINAL", False, 10), ("NOTICE_PENDING", False, 12), ("NOTICE_SERVED", False, 5),
            ("HEARING_PENDING", False, 10), ("APPEAL_PENDING", False, 5), ("OVERTURNED", False, 4),
            ("RESCINDED", False, 4))
CHAIN = ("NOTICE_PENDING", "NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING", "FINAL")
RECORD_KINDS = ("DECERTIFICATION", "SUSPENSION", "CRIMINAL_CONVICTION", "CIVIL_JUDGMENT_USE_OF_FORCE")
REASONS = ("EXCESSIVE_FORCE", "DISHONESTY", "FAILURE_TO_INTERVENE", "CRIMINAL_CONDUCT", "ABUSE_OF_POWER")


def _post(state: str) -> str:
    return f"{state.lower()}-post"


def _agency_ori(state: str, i: int) -> str:
    return f"{state}{i:05d}00"


@dataclass
class Tables:
    officers: list[tuple[Any, ...]] = field(default_factory=list)
    names: list[tuple[Any, ...]] = field(default_factory=list)
    keys: list[tuple[Any, ...]] = field(default_factory=list)
    certs: list[tuple[Any, ...]] = field(default_factory=list)
    jobs: list[tuple[Any, ...]] = field(default_factory=list)
    records: list[tuple[Any, ...]] = field(default_factory=list)
    history: list[tuple[Any, ...]] = field(default_factory=list)

    def size(self) -> int:
        return len(self.officers)


COLUMNS = {
    "officers": ("id", "date_of_birth", "created_by"),
    "officer_names": ("officer_id", "kind", "given_name", "middle_name", "family_name", "suffix", "normalized"),
    "officer_blocking_keys": ("key", "officer_id"),
    "certifications": ("id", "officer_id", "publisher_id", "source_id", "state", "number", "kind", "status",
                       "issued_on", "expires_on"),
    "employment": ("id", "officer_id", "publisher_id", "source_id", "agency_ori", "position", "start_date",
                   "end_date", "separation_reason"),
    "misconduct_records": ("id", "officer_id", "publisher_id", "source_id", "kind", "state", "reason_category",
                           "action_date", "narrative", "case_reference", "status", "fair_process_attested"),
    "record_status_history": ("record_id", "from_status", "to_status", "fair_process_attested", "reason"),
}


def _name_row(officer_id: str, kind: str, n: identity.NameParts) -> tuple[Any, ...]:
    from publishing.subjects import normalized_name
    from store.models import NameRow

    row = NameRow(kind, n.given, n.middle or None, n.family, n.suffix or None)
    return (officer_id, kind, n.given, n.middle or None, n.family, n.suffix or None, normalized_name(row))


def _officer_rows(off: Officer, rng: random.Random, t: Tables) -> None:
    oid, dob, home = off.officer_id, off.person.dob, off.state
    t.officers.append((oid, dob, _post(home)))
    names = list(off.names)
    seen = set()
    for i, n in enumerate(names):
        row = _name_row(oid, "PRIMARY" if i == 0 else "FORMER", n)
        seen.add(row[-1])
        t.names.append(row)
    start = min(date(2024, 6, 1), date(dob.year + rng.randint(21, 30), rng.randint(1, 12), rng.randint(1, 28)))
    t.certs.append((_id("CRT", rng), oid, _post(home), f"cert-{off.cert_number}", home, off.cert_number,
                    "PEACE_OFFICER", "INACTIVE" if off.reentry else "ACTIVE", start, None))
    agency = _agency_ori(home, rng.randrange(AGENCIES_PER_STATE))
    end = start + timedelta(days=rng.randint(400, 4000)) if off.reentry else None
    end = min(end, date(2025, 1, 1)) if end else None
    t.jobs.append((_id("EMP", rng), oid, _post(home), f"emp-{oid}-1", agency, "Patrol Officer", start, end,
                   "RESIGNED" if end else None))
    if off.reentry is not None:
        r = off.reentry
        moved = (end or start) + timedelta(days=30)
        t.certs.append((_id("CRT", rng), oid, _post(r.state), f"cert-{r.cert_number}", r.state, r.cert_number,
                        "PEACE_OFFICER", "ACTIVE", moved, None))
        t.jobs.append((_id("EMP", rng), oid, _post(r.state), f"emp-{oid}-2",
                       _agency_ori(r.state, rng.randrange(AGENCIES_PER_STATE)), "Deputy Sheriff", moved, None, None))
        for n in r.names[:1]:
            row = _name_row(oid, "ALIAS", n)
            if row[-1] not in seen:
                seen.add(row[-1])
                t.names.append(row)
                names.append(n)
    for key in identity.blocking_keys(names, dob):
        t.keys.append((key, oid))
    if rng.random() < RECORD_RATE:
        for k in range(rng.choice((1, 1, 1, 2, 2, 3))):
            rid = _id("REC", rng)
            status, attested, _ = rng.choices(STATUSES, weights=[s[2] for s in STATUSES])[0]
            day = start + timedelta(days=rng.randint(100, 3000))
            case = f"{home}-{day.year}-{rng.randint(1000, 99999)}"
            text = NARRATIVE.format(day=day.isoformat(), what=rng.choice(WHAT), case=case)
            t.records.append((rid, oid, _post(home), f"rec-{oid}-{k}", rng.choice(RECORD_KINDS), home,
                              rng.choice(REASONS), day, text, case, status, attested))
            steps = [*CHAIN[: CHAIN.index(status) + 1]] if status in CHAIN else ["NOTICE_PENDING", status]
            prev = None
            for s in steps:
                t.history.append((rid, prev, s, attested and s == "FINAL", None))
                prev = s


async def _copy(conn: asyncpg.Connection, t: Tables) -> None:
    for table, rows in (("officers", t.officers), ("officer_names", t.names), ("officer_blocking_keys", t.keys),
                        ("certifications", t.certs), ("employment", t.jobs), ("misconduct_records", t.records),
                        ("record_status_history", t.history)):
        if rows:
            await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table])


async def _load(dsn: str, officers: int, seed: int) -> dict[str, Any]:
    from bench.names_data import STATES

    conn = await asyncpg.connect(dsn)
    try:
        await migrate.migrate(conn)
        await conn.copy_records_to_table(
            "agencies", columns=("ori", "name", "state", "level"),
            records=[(_agency_ori(st, i), f"{st} Agency {i}", st, "LOCAL")
                     for st, _ in STATES for i in range(AGENCIES_PER_STATE)]
            + [(HIRING_ORI, "Hiring PD", "WA", "LOCAL")])
        await conn.copy_records_to_table(
            "publishers", columns=("id", "kind", "name", "state"),
            records=[(_post(st), "POST_BOARD", f"{st} Commission on Peace Officer Standards", st) for st, _ in STATES])
        rng = random.Random(f"{seed}/load")
        counts: dict[str, int] = defaultdict(int)
        t0 = time.perf_counter()
        copy_s = 0.0
        tables = Tables()
        record_officers: list[str] = []
        all_ids: list[str] = []
        ca_ids: list[str] = []
        for off in generate(PopulationConfig(officers=officers, seed=seed)):
            before = len(tables.records)
            _officer_rows(off, rng, tables)
            all_ids.append(off.officer_id)
            if "CA" in (off.state, off.reentry.state if off.reentry else None):
                ca_ids.append(off.officer_id)  # ca-post has certified them: it publishes records about them
            if len(tables.records) > before:
                record_officers.append(off.officer_id)
            if tables.size() >= 20_000:
                for name in ("officers", "names", "keys", "certs", "jobs", "records", "history"):
                    counts[name] += len(getattr(tables, name))
                c0 = time.perf_counter()
                await _copy(conn, tables)
                copy_s += time.perf_counter() - c0
                tables = Tables()
        for name in ("officers", "names", "keys", "certs", "jobs", "records", "history"):
            counts[name] += len(getattr(tables, name))
        c0 = time.perf_counter()
        await _copy(conn, tables)
        # As autovacuum leaves a registry in its steady state: the visibility map set, so that index-only scans
        # (the blocking keys of every search) do not visit the heap for each entry, and the planner's statistics.
        # With ANALYZE alone, a search at 10^6 cost PostgreSQL 11.8 ms of CPU instead of 7.2-7.5 (docs/performance.md).
        await conn.execute("VACUUM (ANALYZE)")
        copy_s += time.perf_counter() - c0
        db_bytes = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    pick = random.Random(f"{seed}/lookups")
    lookups = [pick.choice(record_officers) if i % 2 == 0 else pick.choice(all_ids) for i in range(4000)]
    return {"counts": dict(counts), "seconds": time.perf_counter() - t0, "copy_seconds": copy_s,
            "db_mb": db_bytes / 2**20, "lookups": lookups,
            "publish_targets": pick.sample(ca_ids, min(len(ca_ids), 50_000))}


def load_in_child(dsn: str, officers: int, seed: int) -> dict[str, Any]:
    result: dict[str, Any] = asyncio.run(_load(dsn, officers, seed))
    return result


# -- 2. the load generator (a separate process) ---------------------------------------------------

@dataclass
class Cell:
    mode: str  # "graphql", "graphql+cache", "raw", "healthz", "postgraphile" or "search"
    clients: int
    requests: int  # completed inside the measured window
    errors: int
    seconds: float
    latencies_ms: list[float]
    first_error: str = ""
    total: int = 0  # completed including the warm-up
    client_cpu_s: float = 0.0  # CPU of the load-generator process (the "application" in raw mode)
    server_cpu_s: float = 0.0  # CPU of this process (the API server), filled in by the caller
    db_cpu_s: float | None = None  # CPU of every PostgreSQL process during the cell, filled in by the caller

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        s = sorted(self.latencies_ms)
        return s[min(len(s) - 1, int(p / 100 * len(s)))]


async def raw_history(pool: asyncpg.Pool, officer_id: str, org: str) -> dict[str, Any]:
    """The limit for this API (issue 13): what the history query reads in one statement (``store.officer_tree``,
    the statement the registry runs) with the hiring-agency row rule (FINAL records with fair process attested)
    applied in Python, plus the query-log entry."""
    from store import officer_tree, querylog

    tree = await officer_tree.by_id(pool, officer_id, officer_tree.PARTS)
    if tree is None:
        return {}
    certs, jobs, recs = tree.certifications or [], tree.employment or [], tree.records or []
    visible = [r for r in recs if r.status == "FINAL" and r.fair_process_attested]
    history = [(tree.history or {})[r.id] for r in visible]
    returned = {"Certification": sorted(c.id for c in certs), "Employment": sorted(j.id for j in jobs),
                "MisconductRecord": sorted(r.id for r in visible), "Officer": [officer_id]}
    await querylog.append_many(pool, [(officer_id, "hiring_agency", "bench-user", org, PURPOSE, returned)])
    return {"officer": tree.officer, "certifications": certs, "employment": jobs, "records": visible,
            "publishers": tree.publishers, "agencies": tree.agencies, "history": history}


#: Where each simulated client starts in the list of inputs: client w at w * CLIENT_STRIDE, then one by one, so that
#: clients ask different inputs as long as each asks fewer than this many.
CLIENT_STRIDE = 997


async def _drive(spec: dict[str, Any]) -> Cell:
    import httpx

    from bench import light_http
    from registry import jsonfast

    mode, clients, ids = spec["mode"], spec["clients"], spec["ids"]
    warmup, duration = spec["warmup"], spec["duration"]
    light = spec.get("client", "light") == "light"
    lat: list[float] = []
    errors = 0
    first_error = ""
    https: list[httpx.AsyncClient] = []
    lights: list[light_http.Connection] = []
    pool: asyncpg.Pool | None = None
    headers = {"Authorization": f"Bearer {spec['token']}"}
    base = spec["pgl_url"] if mode == "postgraphile" else spec["url"]
    floor: SearchFloor | None = None
    if mode in ("raw", "raw_search"):
        pool = await database.create_pool(spec["dsn"])
        floor = SearchFloor(pool) if mode == "raw_search" else None
    elif light:  # one keep-alive connection per simulated user, as below
        where = urllib.parse.urlsplit(base)
        lights = [light_http.Connection(where.hostname or "127.0.0.1", where.port or 80,
                                        {} if mode in ("healthz", "postgraphile") else headers)
                  for _ in range(clients)]
    else:
        # One client (one keep-alive connection) per simulated user: a single AsyncClient shared by
        # 64 tasks spends most of its time in its own connection-pool bookkeeping (65 req/s on /healthz).
        https = [httpx.AsyncClient(base_url=base, timeout=60,
                                   limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
                 for _ in range(clients)]

    def document(oid: Any) -> dict[str, Any]:
        if mode == "postgraphile":
            return {"query": PGL_QUERY, "variables": {"id": oid}}
        if mode == "search":  # bench.identity_latency: ``ids`` are searchOfficers inputs
            return {"query": spec["query"], "variables": {"i": oid}}
        return {"query": HISTORY_QUERY, "variables": {"id": oid}}

    async def call(w: int, oid: Any) -> str:
        if floor is not None:  # bench.identity_latency's floor: ``ids`` are search inputs
            await floor.search(oid, HIRING_ORI)
            return ""
        if pool is not None:
            await raw_history(pool, oid, HIRING_ORI)
            return ""
        if lights:
            if mode == "healthz":
                status, body = await lights[w].request("GET", "/healthz")
            else:
                status, body = await lights[w].request("POST", "/graphql", jsonfast.compact_bytes(document(oid)))
            ok = status == 200 and b'"errors"' not in body
            return "" if ok else f"{status} {body[:300].decode(errors='replace')}"
        http = https[w]
        if mode == "healthz":
            resp = await http.get("/healthz")
        else:
            resp = await http.post("/graphql", json=document(oid),
                                   headers=None if mode == "postgraphile" else headers)
        if resp.status_code != 200 or b'"errors"' in resp.content:
            return resp.text[:300]
        return ""

    start = time.perf_counter()
    cpu0 = time.process_time()
    measure_from = start + warmup
    end = measure_from + duration
    counted = 0
    total = 0

    async def client(w: int) -> None:
        nonlocal errors, first_error, counted, total
        i = w * CLIENT_STRIDE
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                return
            err = await call(w, ids[i % len(ids)])
            i += 1
            total += 1
            t1 = time.perf_counter()
            if t0 >= measure_from and t1 <= end:
                lat.append((t1 - t0) * 1000)
                counted += 1
                if err:
                    errors += 1
                    first_error = first_error or err

    try:
        await asyncio.gather(*(client(w) for w in range(clients)))
    finally:
        for http in https:
            await http.aclose()
        for conn in lights:
            conn.close()
        if pool is not None:
            await pool.close()
    return Cell(mode, clients, counted, errors, duration, lat, first_error, total, time.process_time() - cpu0)


def drive(spec: dict[str, Any]) -> Cell:
    return asyncio.run(_drive(spec))


# -- the server under test (this process) ---------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cpu(procs: list[Any]) -> float:
    """User + system CPU seconds of `registry serve`'s processes (the main one and its workers)."""
    total = 0.0
    for proc in procs:
        with contextlib.suppress(Exception):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


@asynccontextmanager
async def serving_workers(dsn: str, tmp: Path, workers: int, *, checkpoint_seconds: float | None = None,
                          admin_key: Any = None) -> AsyncIterator[tuple[str, str, list[Any]]]:
    """`registry serve --workers N` as its own process tree on the scratch database, trusting an issuer the
    bench creates; yields (url, hiring-agency token, its processes). ``admin_key``: the registry admin key the
    server is to hold (REGISTRY_ADMIN_KEY), when the log already holds registrations it signed: a server that
    cannot verify an entry signs no checkpoint past it, and checks the entries up to it again after every batch."""
    import json
    import signal

    import httpx
    import psutil

    from auth.dev_issuer import create_issuer_key, mint_token, write_public_jwks

    key = create_issuer_key(tmp / "workers-issuer.jwk")
    write_public_jwks(key, tmp / "workers-jwks.json")
    issuers = tmp / "workers-issuers.json"
    issuers.write_text(json.dumps([{"issuer": ISSUER, "jwks_file": str(tmp / "workers-jwks.json"),
                                    "audience": AUDIENCE, "roles": ["hiring_agency", "publisher"],
                                    "agency_oris": ["*"], "publisher_ids": ["ca-post"]}]))
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "REGISTRY_DATA_DIR": str(tmp / "workers-data"),
           "REGISTRY_ISSUERS_FILE": str(issuers), "REGISTRY_AUDIENCE": AUDIENCE}
    env.pop("REGISTRY_ENV", None)
    if checkpoint_seconds is not None:
        env["REGISTRY_CHECKPOINT_SECONDS"] = str(checkpoint_seconds)
    if admin_key is not None:
        env["REGISTRY_ADMIN_KEY"] = json.dumps(admin_key.as_dict(private=True))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "registry.cli", "serve", "--workers", str(workers), "--port", str(port),
        "--log-level", "warning", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                if proc.returncode is not None:
                    raise RuntimeError(f"registry serve --workers exited with {proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{url}/readyz", timeout=2)).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        main = psutil.Process(proc.pid)  # with one worker it serves itself; with more, it supervises them
        procs = [main, *(c for c in main.children() if "resource_tracker" not in " ".join(c.cmdline()))]
        token = mint_token(key, issuer=ISSUER, audience=AUDIENCE, subject="bench-hiring-user", role="hiring_agency",
                           agency_ori=HIRING_ORI, ttl_seconds=3600)
        yield url, token, procs
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)


@dataclass
class PostGraphile:
    url: str
    pid: int
    versions: str  # "postgraphile 5.x.y, node v22.x.y"

    def cpu(self) -> float:
        """User + system CPU seconds of the PostGraphile (node) process."""
        return process_cpu(self.pid)[1]


def process_cpu(pid: int | str, *, reaped: bool = False) -> tuple[str, float]:
    """A process's command name and user + system CPU seconds, from /proc/<pid>/stat (Linux); with ``reaped``,
    plus that of its children that have exited and been waited for (cutime, cstime)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    name, rest = stat[stat.index("(") + 1:].rsplit(")", 1)
    fields = rest.split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return name, ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float | None:
    """User + system CPU seconds of every PostgreSQL process on this machine (``/proc/<pid>/stat``), or None where
    there is no /proc: the database's share of a cell when it runs here (its only load during the cell). A backend
    that exits (its client closed the connection) leaves its CPU to the postmaster that waits for it: counted too."""
    if not os.path.isdir("/proc"):
        return None
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            name, seconds = process_cpu(pid, reaped=True)
        except OSError:  # (exited meanwhile)
            continue
        if name.startswith("postgres"):
            total += seconds
    return total


def postgres_cpu_since(db0: float | None) -> float | None:
    """PostgreSQL's CPU seconds since ``postgres_cpu()`` gave ``db0`` (None where either reading is None)."""
    db1 = postgres_cpu()
    return None if db0 is None or db1 is None else db1 - db0


async def _pgl_install() -> str:
    """bench/postgraphile/node_modules (postgraphile@5 and a Node 22 binary from the npm package ``node``):
    installed with the system's npm if missing. Returns the node binary or raises RuntimeError."""
    node = PGL_DIR / "node_modules" / "node" / "bin" / "node"
    cli = PGL_DIR / "node_modules" / "postgraphile" / "package.json"
    if not (node.exists() and cli.exists()):
        print("  installing PostGraphile v5 and Node 22 into bench/postgraphile/node_modules (npm)...",
              file=sys.stderr)
        cmd = "ci" if (PGL_DIR / "package-lock.json").exists() else "install"
        try:
            proc = await asyncio.create_subprocess_exec(
                "npm", cmd, "--no-audit", "--no-fund", "--loglevel=error", cwd=PGL_DIR,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        except OSError as exc:
            raise RuntimeError(f"npm not available: {exc}") from exc
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), 600)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise RuntimeError("npm install timed out") from None
        if proc.returncode or not (node.exists() and cli.exists()):
            last = out.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"npm {cmd} failed ({proc.returncode}): {last[0][:200]}")
    return str(node)


@asynccontextmanager
async def serving_postgraphile(dsn: str) -> AsyncIterator[PostGraphile | None]:
    """PostGraphile v5 (bench/postgraphile/graphile.config.mjs: default preset, schema public, no auth, no log)
    on 127.0.0.1 as a child process on the scratch database; yields None (after saying why in one line) if it
    cannot be installed or started. The process is killed on the way out, also on error or Ctrl-C."""
    import json
    import signal

    import httpx

    # node's stderr goes to a file: a pipe nobody reads could fill up and stall it
    with tempfile.TemporaryFile() as log:
        proc: asyncio.subprocess.Process | None = None
        failed = ""
        try:
            try:
                node = await _pgl_install()
                meta = json.loads((PGL_DIR / "node_modules" / "postgraphile" / "package.json").read_text())
                version = meta["version"]
                port = _free_port()
                env = {**os.environ, "BENCH_PGL_DSN": dsn, "BENCH_PGL_PORT": str(port), "NODE_ENV": "production"}
                env.pop("GRAPHILE_ENV", None)
                proc = await asyncio.create_subprocess_exec(
                    node, str(PGL_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"), "-C",
                    str(PGL_DIR / "graphile.config.mjs"), cwd=PGL_DIR, env=env, start_new_session=True,
                    stdout=asyncio.subprocess.DEVNULL, stderr=log)
                url = f"http://127.0.0.1:{port}"
                async with httpx.AsyncClient() as http:
                    for _ in range(600):
                        if proc.returncode is not None:
                            log.seek(0)
                            err = log.read().decode(errors="replace")
                            lines = [ln for ln in err.splitlines() if ln.strip() and "GRAPHILE_ENV" not in ln]
                            raise RuntimeError(f"exited with {proc.returncode}: {(lines or [''])[-1][:200]}")
                        with contextlib.suppress(httpx.HTTPError):
                            resp = await http.post(f"{url}/graphql", json={"query": "{__typename}"}, timeout=2)
                            if resp.status_code == 200:
                                break
                        await asyncio.sleep(0.1)
                    else:
                        raise RuntimeError("not answering after 60 s")
                node_v = await asyncio.create_subprocess_exec(node, "--version", stdout=asyncio.subprocess.PIPE)
                node_version = (await node_v.communicate())[0].decode().strip()
            except (RuntimeError, OSError, ValueError, KeyError) as exc:
                failed = str(exc) or repr(exc)
            if failed:
                print(f"PostGraphile v5 reference path skipped: {failed}", file=sys.stderr)
                yield None
            else:
                assert proc is not None
                yield PostGraphile(url, proc.pid, f"postgraphile {version}, node {node_version}")
        finally:
            if proc is not None and proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    await proc.wait()


async def check_postgraphile(url: str, token: str, pgl: PostGraphile, candidates: Sequence[str]) -> str:
    """Look one officer up through the registry and through PostGraphile (the first candidate with a record the
    hiring agency sees, so that every part of the query returns rows); compare what comes back."""
    import httpx

    async with httpx.AsyncClient(timeout=30) as http:
        for oid in candidates:
            ours = (await http.post(f"{url}/graphql", json={"query": HISTORY_QUERY, "variables": {"id": oid}},
                                    headers={"Authorization": f"Bearer {token}"})).json()["data"]["officer"]
            if ours["records"]["edges"]:
                break
        theirs = (await http.post(f"{pgl.url}/graphql",
                                  json={"query": PGL_QUERY, "variables": {"id": oid}})).json()["data"]["officerByRowId"]
    recs = [e["node"] for e in theirs["misconductRecordsByOfficerId"]["edges"]]
    final = [r for r in recs if r["status"] == "FINAL" and r["fairProcessAttested"]]
    a = (len(ours["names"]), len(ours["certifications"]["edges"]), len(ours["employment"]["edges"]),
         len(ours["records"]["edges"]), sum(len(e["node"]["statusHistory"]) for e in ours["records"]["edges"]))
    b = (len(theirs["officerNamesByOfficerId"]["nodes"]), len(theirs["certificationsByOfficerId"]["edges"]),
         len(theirs["employmentsByOfficerId"]["edges"]), len(final),
         sum(len(r["recordStatusHistoriesByRecordId"]["nodes"]) for r in final))
    same = a == b and ours["dateOfBirth"] == theirs["dateOfBirth"] and (
        sorted(e["node"]["id"] for e in ours["records"]["edges"]) == sorted(r["rowId"] for r in final))
    return (f"officer {oid}: registry names/certifications/employment/records/history {a}, PostGraphile {b} "
            f"(FINAL and attested of {len(recs)} records returned): {'same' if same else 'DIFFERENT'}")


@asynccontextmanager
async def serving(dsn: str, tmp: Path, *, document_cache: bool = True, admin_keys: Any = None,
                  checkpoint_seconds: float = 10.0, compiled_plans: bool = True
                  ) -> AsyncIterator[tuple[str, str, Any, asyncpg.Pool]]:
    """uvicorn + the app on 127.0.0.1; yields (url, hiring-agency token, app, pool). ``admin_keys``: the
    registry's admin keys (ledger.admin_key.AdminKeys) when publisher keys were registered with them."""
    import uvicorn

    from auth.dev_issuer import create_issuer_key, mint_token, write_public_jwks
    from auth.tokens import TokenVerifier, TrustedIssuer
    from registry.config import Settings
    from registry.services import Services
    from server import create_app

    key = create_issuer_key(tmp / "issuer.jwk")
    write_public_jwks(key, tmp / "jwks.json")
    verifier = TokenVerifier([TrustedIssuer(ISSUER, tmp / "jwks.json", None, AUDIENCE)])
    settings = Settings(data_dir=tmp, audience=AUDIENCE, checkpoint_seconds=checkpoint_seconds,
                        compiled_plans=compiled_plans)
    services = Services(ssn_key=secrets.token_bytes(32), verifier=verifier)
    if admin_keys is not None:
        services = Services(ssn_key=services.ssn_key, verifier=verifier, admin_keys=admin_keys)
    pool = await database.create_pool(dsn)
    from schema import limits

    size = limits.DOCUMENT_CACHE_SIZE
    limits.DOCUMENT_CACHE_SIZE = size if document_cache else 0  # read when the schema is built
    try:
        app = create_app(settings, pool=pool, services=services, freeze_heap=True)  # as `registry serve`
    finally:
        limits.DOCUMENT_CACHE_SIZE = size
    token = mint_token(key, issuer=ISSUER, audience=AUDIENCE, subject="bench-hiring-user", role="hiring_agency",
                       agency_ori=HIRING_ORI, ttl_seconds=3600)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="on"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
        if task.done():
            task.result()
    try:
        yield f"http://127.0.0.1:{port}", token, app, pool
    finally:
        server.should_exit = True
        await task
        await pool.close()


async def count_statements(dsn: str, app_factory: Any, token: str, oid: str) -> tuple[int, int]:
    """SQL statements per lookup: through GraphQL (ASGI, a counting pool) and through ``raw_history``."""
    import httpx

    seen: list[str] = []

    def ours(q: Any) -> None:
        s = q.query.strip()
        if not (s.startswith("SELECT pg_advisory_unlock_all") or "typeinfo_tree" in s or "'jit'" in s):
            seen.append(s)

    pool = await database.create_pool(dsn, min_size=1, max_size=4, on_query=ours)
    try:
        app = app_factory(pool)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client:
            resp = await client.post("/graphql", json={"query": HISTORY_QUERY, "variables": {"id": oid}},
                                     headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 200 and not resp.json().get("errors"), resp.text[:500]
        graphql = len(seen)
        seen.clear()
        await raw_history(pool, oid, HIRING_ORI)
        return graphql, len(seen)
    finally:
        await pool.close()


# -- 3. bulk publishing ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Timed:
    """A timed window: wall seconds, the application's CPU seconds and PostgreSQL's (None without /proc)."""

    seconds: float
    app_cpu_s: float
    db_cpu_s: float | None


class _Window:
    """Starts timing when made; ``done`` gives the window's ``Timed`` (``server_cpu``: a server in its own
    processes, whose CPU counts as the application's too)."""

    def __init__(self, server_cpu: Callable[[], float] | None = None) -> None:
        self.server_cpu = server_cpu
        self.t0, self.cpu0, self.db0 = time.perf_counter(), time.process_time(), postgres_cpu()
        self.server0 = server_cpu() if server_cpu is not None else 0.0

    def done(self) -> Timed:
        app = time.process_time() - self.cpu0
        if self.server_cpu is not None:
            app += self.server_cpu() - self.server0
        return Timed(time.perf_counter() - self.t0, app, postgres_cpu_since(self.db0))


@dataclass
class PublishResult:
    label: str
    events: int
    seconds: float
    sign_seconds: float
    profile: list[tuple[str, float]] = field(default_factory=list)
    app_cpu_s: float | None = None  # the application's CPU over the timed window (server, client, their threads)
    db_cpu_s: float | None = None  # every postgres process's over the same window

    @classmethod
    def of(cls, label: str, events: int, timed: Timed, sign_seconds: float) -> PublishResult:
        return cls(label, events, timed.seconds, sign_seconds, app_cpu_s=timed.app_cpu_s, db_cpu_s=timed.db_cpu_s)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


def _record_payload(i: int, officer_id: str, rng: random.Random) -> dict[str, Any]:
    day = date(2024, 1, 1) + timedelta(days=rng.randrange(600))
    return {
        "type": "record.published", "eventId": f"bench-rec-{i}", "publisher": "ca-post",
        "issuedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "sourceId": f"bench-rec-{i}", "subject": {"registryId": officer_id}, "kind": "DECERTIFICATION",
        "state": "CA", "reasonCategory": rng.choice(REASONS), "actionDate": day.isoformat(),
        "narrative": NARRATIVE.format(day=day.isoformat(), what=rng.choice(WHAT), case=f"CA-{i}"),
        "caseReference": f"CA-POST-{i}", "status": "FINAL", "fairProcessAttested": True,
    }


def _cert_payload(i: int, off: Officer, prefix: str = "bench-cert") -> dict[str, Any]:
    p = off.person
    name = {"givenName": p.given, "familyName": p.family}
    if p.middle:
        name["middleName"] = p.middle
    if p.suffix:
        name["suffix"] = p.suffix
    return {
        "type": "certification.issued", "eventId": f"{prefix}-{i}", "publisher": "ca-post",
        "issuedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "sourceId": f"{prefix}-{i}", "subject": {"name": name, "dateOfBirth": p.dob.isoformat()},
        "state": "CA", "number": f"{prefix}-{i:08d}", "kind": "PEACE_OFFICER", "status": "ACTIVE",
        "issuedOn": "2024-03-01",
    }


# The server under an upload signs a checkpoint at most this often (the default is every 10 s): an upload shorter
# than the interval would otherwise leave the checkpoint's cost (the new entries checked before they are signed) out
# of its window or not, by chance; every 2 s it is in, at its sustained share.
UPLOAD_CHECKPOINT_SECONDS = 2.0


async def _timed_upload(url: str, issuer_key: Path, jws: Sequence[str],
                        server_cpu: Callable[[], float] | None = None, in_flight: int | None = None) -> Timed:
    """Seconds for ``registry publish``'s upload (registry.cli.ledger.publish_events) of these events but the
    first batch (a warm-up, as the lookup cells have) to the server at ``url`` in batches of 500, every one
    ACCEPTED; the clerk's token is minted with ``issuer_key``, an issuer that server trusts."""
    from auth.dev_issuer import load_issuer_key, mint_token
    from registry.cli.ledger import IN_FLIGHT, _Item, publish_events

    token = mint_token(load_issuer_key(issuer_key), issuer=ISSUER, audience=AUDIENCE, subject="bench-board-clerk",
                       role="publisher", publisher_id="ca-post", ttl_seconds=3600)
    items = [_Item(line=i + 1, event_id=None, jws=j, ssn=None) for i, j in enumerate(jws)]
    reports = await publish_events(items[:BATCH], url=url, token=token, batch_size=BATCH, dry_run=False,
                                   progress=False)
    window = _Window(server_cpu)
    reports += await publish_events(items[BATCH:], url=url, token=token, batch_size=BATCH, dry_run=False,
                                    progress=False, in_flight=in_flight or IN_FLIGHT)
    timed = window.done()
    refused = [r for r in reports if r.status != "ACCEPTED"]
    if refused:
        raise RuntimeError(f"{len(refused)} events not accepted by {url}, first: {refused[0]}")
    return timed


async def _publish_over_http(dsn: str, jws: Sequence[str], admin_keys: Any) -> Timed:
    """``_timed_upload`` to the app served in this process."""
    with tempfile.TemporaryDirectory(prefix="api-bench-publish-") as tmp:
        async with serving(dsn, Path(tmp), admin_keys=admin_keys, checkpoint_seconds=UPLOAD_CHECKPOINT_SECONDS,
                           ) as (url, _token, _app, _pool):
            return await _timed_upload(url, Path(tmp) / "issuer.jwk", jws)


async def _publish_to_server_process(dsn: str, uploads: Sequence[tuple[Sequence[str], int]], key_jwk: dict[str, Any],
                                     admin: Any) -> list[Timed]:
    """``_timed_upload`` of each (events, batches in flight) in turn to one `registry serve` in its own process (the
    uploading client in this one), as a board's clerk runs `registry publish` against the registry. The server
    holds the registry admin key ``admin`` that signed the earlier registrations in the log (as the one registry it
    is), and the publisher key is registered with it."""
    from ledger import admin_entries
    from publishing import registrations

    with tempfile.TemporaryDirectory(prefix="api-bench-publish-proc-") as tmp:
        async with serving_workers(dsn, Path(tmp), 1, checkpoint_seconds=UPLOAD_CHECKPOINT_SECONDS,
                                   admin_key=admin.current) as (url, _token, procs):
            pool = await database.create_pool(dsn, min_size=1, max_size=1)  # the server's type codecs
            try:
                async with pool.acquire() as conn:
                    async with conn.transaction():
                        await registrations.record(conn, admin, admin_entries.key_entry(
                            "ca-post", key_jwk["kid"], key_jwk, KEYS_VALID_FROM), by="bench")
                    await _checkpointed(conn)
            finally:
                await pool.close()
            return [await _timed_upload(url, Path(tmp) / "workers-issuer.jwk", jws, lambda: _cpu(procs), in_flight)
                    for jws, in_flight in uploads]


async def _checkpointed(conn: asyncpg.Connection, patience: float = 300.0) -> None:
    """Until a checkpoint covers the whole log. A server new to the log verifies, before its first checkpoint,
    every entry it did not publish itself (here every earlier phase's), once: the backlog of a restart, not the
    steady state the timed upload measures."""
    from ledger import checkpointer, log_store

    size = await log_store.size(conn)
    for _ in range(int(patience * 10)):
        if (last := await checkpointer.latest(conn)) is not None and last.size >= size:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no checkpoint covered the log's {size} entries within {patience:.0f} s")


def _registry_cert_payload(i: int, officer_id: str) -> dict[str, Any]:
    """A training credential (de-escalation, EO 13929 Sec. 4) for an officer the board already certified, by
    registry ID: a board's bulk upload of training completions."""
    return {
        "type": "certification.issued", "eventId": f"bench-rcert-{i}", "publisher": "ca-post",
        "issuedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "sourceId": f"bench-rcert-{i}", "subject": {"registryId": officer_id}, "state": "CA",
        "number": f"R{i:08d}", "kind": "DE_ESCALATION_TRAINING", "status": "ACTIVE", "issuedOn": "2024-03-01",
        "refresherMonths": 24,
    }


def _mixed_payloads(prefix: str, targets: Sequence[str], newcomers: Sequence[Officer], n: int,
                    rng: random.Random) -> list[dict[str, Any]]:
    """A board's mixed upload: records by registry ID with a certification naming a new person by name and birth
    date every 20th event."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        if i % 20 == 19:
            out.append(_cert_payload(i, newcomers[i // 20], prefix))
        else:
            ev = _record_payload(i, targets[i % len(targets)], rng)
            out.append({**ev, "eventId": f"{prefix}-{i}", "sourceId": f"{prefix}-{i}"})
    return out


OTHER_THREADS = "CPU on other threads"


def _by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (tottime) seconds grouped by top-level package; the event loop's poll is 'waiting for PostgreSQL'."""
    totals: dict[str, float] = defaultdict(float)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in raw.items():
        if "poll" in func and ("epoll" in func or "select" in func):
            group = "idle in epoll: waiting for PostgreSQL"
        elif "Ed25519" in func or "ed25519" in func or "crypto_sign_open" in func:
            group = "Ed25519 verify (libsodium, C)"
        elif filename == "~" and ("send" in func or "recv" in func):
            group = "socket send/recv"
        elif filename == "~":
            group = "other C built-ins"
        elif "site-packages/" in filename:
            group = filename.split("site-packages/")[1].split("/")[0].removesuffix(".py")
        elif filename.startswith("<") or "/lib/python3" in filename:
            group = "python stdlib (asyncio, json...)"
        else:
            rel = os.path.relpath(filename, Path(__file__).resolve().parent.parent)
            group = rel.split("/")[0].removesuffix(".py") if not rel.startswith("..") else "other"
        totals[group] += tt
    return sorted(totals.items(), key=lambda kv: -kv[1])


async def _publish_batches(conn: asyncpg.Connection, jws: Sequence[str], ssn_key: bytes,
                           profile: bool = False, set_based: bool = True) -> tuple[Timed, list[tuple[str, float]], int]:
    """Publish in batches of 500; returns (the timed window, profile by package, SQL statements sent if profiled).
    ``set_based=False``: every event one at a time (``Publisher(set_based=False)``), the reference in the same run."""
    from auth.principal import Principal, Role
    from publishing.apply import Publisher, Submission

    caller = Principal(role=Role.PUBLISHER, subject="bench-loader", publisher_id="ca-post")
    prof = cProfile.Profile() if profile else None
    statements: list[str] = []

    def log(q: Any) -> None:
        statements.append(q.query)

    if profile:
        conn.add_query_logger(log)
    window, own0 = _Window(), time.thread_time()
    if prof is not None:
        prof.enable()
    for i in range(0, len(jws), BATCH):
        result = await Publisher(conn, caller, ssn_key, admin_keys=None, set_based=set_based).run(
            [Submission(j) for j in jws[i:i + BATCH]], dry_run=False)
        if not result.committed:
            bad = next(o for o in result.outcomes if o.status == "REJECTED")
            raise RuntimeError(f"batch rejected: {bad.code}: {bad.message}")
    if prof is not None:
        prof.disable()
        conn.remove_query_logger(log)
    timed = window.done()
    others = timed.app_cpu_s - (time.thread_time() - own0)  # the verifying threads, mostly
    groups = _by_package(pstats.Stats(prof, stream=io.StringIO())) if prof is not None else []
    if groups:  # cProfile sees the event loop's thread only: the signature checks run on two others
        groups.insert(0, (OTHER_THREADS, others))
    return timed, groups, len(statements)


async def bulk_publish(dsn: str, targets: Sequence[str], n_records: int, n_certs: int, seed: int,
                       ) -> tuple[list[PublishResult], Timed, list[tuple[str, float]], list[tuple[Timed, Timed]]]:
    """The publishing rows, the COPY reference (the median of its turns), the profile of one batch and each turn's
    COPY and floor (``bench.publish_floor``), all in the same minutes."""
    from ledger import admin_entries
    from ledger.admin_key import AdminKeys, new_key
    from ledger.events import generate_ed25519_jwk, public_jwk_dict, sign_event
    from publishing import registrations

    turns: list[tuple[Timed, Timed]] = []

    rng = random.Random(f"{seed}/publish")
    key = generate_ed25519_jwk("ca-post-bench-1")
    ssn_key = secrets.token_bytes(32)
    results: list[PublishResult] = []
    pool = await database.create_pool(dsn, min_size=1, max_size=1)  # the server's type codecs
    conn = await pool.acquire()
    try:
        admin = AdminKeys(new_key())
        async with conn.transaction():  # registered as an admin does: a logged registration (ledger.admin_entries)
            await registrations.record(conn, admin, admin_entries.key_entry(
                "ca-post", "ca-post-bench-1", public_jwk_dict(key), KEYS_VALID_FROM), by="bench")
        payloads = [_record_payload(i, targets[i % len(targets)], rng)
                    for i in range(3 * n_records + 2 * BATCH + 5 * (n_records // 2 + BATCH))]
        t0 = time.perf_counter()
        signed = [sign_event(p, key, "ca-post-bench-1") for p in payloads[:3 * n_records + 2 * BATCH]]
        sign_s = (time.perf_counter() - t0) * n_records / len(signed)
        timed, _, _ = await _publish_batches(conn, signed[:n_records], ssn_key)
        results.append(PublishResult.of("record.published by registry ID (set-based)", n_records, timed, sign_s))
        timed, _, _ = await _publish_batches(conn, signed[n_records:2 * n_records], ssn_key, set_based=False)
        results.append(PublishResult.of("record.published by registry ID, one at a time", n_records, timed, sign_s))
        # One more batch under the profiler (not counted above).
        _, profile, statements = await _publish_batches(conn, signed[2 * n_records:2 * n_records + BATCH], ssn_key,
                                                        profile=True)
        profile.insert(0, ("SQL statements per event", statements / BATCH))

        # End to end as `registry publish` sends them: the CLI's upload function over HTTP to the server (GraphQL
        # parsing of the batch, publishEvents, the per-event results back), batches of 500.
        over_http = signed[2 * n_records + BATCH:3 * n_records + 2 * BATCH]
        timed = await _publish_over_http(dsn, over_http, admin)
        results.append(PublishResult.of("record.published by registry ID, `registry publish` over HTTP",
                                        len(over_http) - BATCH, timed, sign_s))
        # The same, with `registry serve` in its own process: the client does not share the server's core. Two
        # batches in flight (`registry publish`'s default) and one at a time (--in-flight 1), half the events each,
        # in the order 2, 1, 1, 2 on one server, after an upload of the same size that is not counted: a new
        # server's first upload cost PostgreSQL more per event (252 against 180-198 us in one scratch run; 190 against
        # 114-124 for the uploads 1 and 4 of the order in two whole runs), most likely its new connections' first
        # statements, which no steady upload pays.
        key2 = generate_ed25519_jwk("ca-post-bench-2")
        rest = [sign_event(p, key2, "ca-post-bench-2") for p in payloads[3 * n_records + 2 * BATCH:]]
        part = len(rest) // 5  # half the events plus a warm-up batch
        uploads = [(rest[i * part:(i + 1) * part], in_flight) for i, in_flight in enumerate((2, 2, 1, 1, 2))]
        timed_each = (await _publish_to_server_process(dsn, uploads, {**public_jwk_dict(key2),
                                                                      "kid": "ca-post-bench-2"}, admin))[1:]
        for in_flight, label in ((2, "the same to `registry serve` in its own process, two batches in flight"),
                                 (1, "the same, one batch at a time (--in-flight 1)")):
            mine = [t for t, (_, n) in zip(timed_each, uploads[1:], strict=True) if n == in_flight]
            both = Timed(sum(t.seconds for t in mine), sum(t.app_cpu_s for t in mine),
                         None if any(t.db_cpu_s is None for t in mine) else sum(t.db_cpu_s or 0 for t in mine))
            results.append(PublishResult.of(label, 2 * (part - BATCH), both, sign_s))

        registry_certs = [sign_event(_registry_cert_payload(i, targets[i % len(targets)]), key, "ca-post-bench-1")
                          for i in range(n_records)]
        timed, _, _ = await _publish_batches(conn, registry_certs, ssn_key)
        results.append(PublishResult.of("certification.issued by registry ID (set-based)", n_records, timed, sign_s))
        lapses = [sign_event({"type": "certification.status_changed", "eventId": f"bench-lapse-{i}",
                              "publisher": "ca-post", "issuedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                              "certificationSourceId": f"bench-rcert-{i}", "status": "INACTIVE",
                              "reason": "refresher overdue"}, key, "ca-post-bench-1") for i in range(n_records)]
        timed, _, _ = await _publish_batches(conn, lapses, ssn_key)
        results.append(PublishResult.of("certification.status_changed (set-based)", n_records, timed, sign_s))

        # New people by name, set-based and (other new people, the reference of the same run) one at a time.
        for label, prefix, set_based, people_seed in (
                ("certification.issued by name + DOB (identity match)", "bench-cert", True, seed + 1),
                ("the same, one at a time", "bench-cert-1", False, seed + 3)):
            newcomers = list(generate(PopulationConfig(officers=n_certs, seed=people_seed)))
            t0 = time.perf_counter()
            signed_certs = [sign_event(_cert_payload(i, off, prefix), key, "ca-post-bench-1")
                            for i, off in enumerate(newcomers)]
            sign_c = time.perf_counter() - t0
            timed, _, _ = await _publish_batches(conn, signed_certs, ssn_key, set_based=set_based)
            results.append(PublishResult.of(label, n_certs, timed, sign_c))

        # A mixed upload: runs of records between certifications naming new people (1 in 20), set-based run by run,
        # and the same mix one event at a time (the reference, same run).
        mixed_new = list(generate(PopulationConfig(officers=n_records // 10 + 1, seed=seed + 2)))
        for label, prefix, set_based in (("mixed upload: records by registry ID, 1 in 20 by name (runs)", "mxa", True),
                                         ("the same mix, one at a time", "mxb", False)):
            half = mixed_new[:len(mixed_new) // 2] if set_based else mixed_new[len(mixed_new) // 2:]
            mixed = [sign_event(p, key, "ca-post-bench-1")
                     for p in _mixed_payloads(prefix, targets, half, n_records, rng)]
            timed, _, _ = await _publish_batches(conn, mixed, ssn_key, set_based=set_based)
            results.append(PublishResult.of(label, n_records, timed, sign_s))

        # The same record rows, plainly (COPY into misconduct_records and their history), and the floor
        # (bench.publish_floor: the same kind of events, their signatures checked and every row the registry writes
        # for them put in by COPY, nothing else), in turns: a COPY of 5,000 rows takes a fifth of a second, so one
        # turn moves with the minute; the report takes the median of each.
        publisher_name = await conn.fetchval("SELECT name FROM publishers WHERE id = 'ca-post'")
        public_key = b64url(str(key.as_dict()["x"]))
        for turn in range(FLOOR_TURNS):
            rows = [(_id("REC", rng), targets[i % len(targets)], "ca-post", f"copy-rec-{turn}-{i}", p["kind"], "CA",
                     p["reasonCategory"], date.fromisoformat(p["actionDate"]), p["narrative"], p["caseReference"],
                     "FINAL", True) for i, p in enumerate(payloads[:n_records])]
            hist = [(r[0], None, "FINAL", True, None) for r in rows]
            window = _Window()
            for i in range(0, len(rows), BATCH):
                async with conn.transaction():
                    await conn.copy_records_to_table("misconduct_records", records=rows[i:i + BATCH],
                                                     columns=COLUMNS["misconduct_records"])
                    await conn.copy_records_to_table("record_status_history", records=hist[i:i + BATCH],
                                                     columns=COLUMNS["record_status_history"])
            copied = window.done()
            floor_signed = [sign_event({**_record_payload(i, targets[i % len(targets)], rng),
                                        "eventId": f"floor-rec-{turn}-{i}", "sourceId": f"floor-rec-{turn}-{i}"},
                                       key, "ca-post-bench-1") for i in range(n_records)]
            async with PublishFloor(dsn, public_key, publisher_name, batch_size=BATCH) as floor:
                window = _Window()
                await floor.publish(floor_signed)
                turns.append((copied, window.done()))
    finally:
        await pool.release(conn)
        await pool.close()
    copy = _median_timed([c for c, _ in turns])
    return results, copy, profile, turns


def _median_timed(timed: Sequence[Timed]) -> Timed:
    """The run of median duration (the lower one of an even count)."""
    return sorted(timed, key=lambda t: t.seconds)[(len(timed) - 1) // 2]


# -- reporting and main ---------------------------------------------------------------------------

def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            + " |" for r in rows]
    return "\n".join([line, sep, *body])


async def run(args: argparse.Namespace) -> int:
    clients = [int(c) for c in args.clients.split(",")]
    spawn = get_context("spawn")
    rss: dict[str, dict[str, float]] = {"start": _rss()}
    load_before = loadavg()
    async with scratch_database("api_bench") as dsn:
        loop = asyncio.get_running_loop()
        print(f"Loading {args.officers:,} officers by COPY...", file=sys.stderr)
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as ex:
            info = await loop.run_in_executor(ex, load_in_child, dsn, args.officers, args.seed)
        counts = info["counts"]
        print(f"Loaded in {info['seconds']:.0f} s (COPY, VACUUM and ANALYZE {info['copy_seconds']:.0f} s): {counts}; "
              f"database {info['db_mb']:,.0f} MB.", file=sys.stderr)

        cells: list[Cell] = []
        async with contextlib.AsyncExitStack() as stack:
            pgl: PostGraphile | None = None
            if args.postgraphile:
                pgl = await stack.enter_async_context(serving_postgraphile(dsn))
            await _lookups(args, dsn, info, clients, spawn, pgl, cells, rss)
            stmts: tuple[int, int] = args.stmts
            args.pgl_versions = pgl.versions if pgl is not None else ""

        print(f"Bulk publishing {args.publish:,} signed records and {args.certs:,} certifications...",
              file=sys.stderr)
        published, copy, profile, turns = await bulk_publish(dsn, info["publish_targets"], args.publish,
                                                               args.certs, args.seed)

    args.load = f"{load_before} at the start, {loadavg()} at the end"
    _print_report(args, info, stmts, cells, published, copy, profile, rss, turns)
    return 0


async def _lookups(args: argparse.Namespace, dsn: str, info: dict[str, Any], clients: list[int], spawn: Any,
                   pgl: PostGraphile | None, cells: list[Cell], rss: dict[str, dict[str, float]]) -> None:
    """The lookup cells: healthz, then per concurrency GraphQL, raw asyncpg and PostGraphile interleaved."""
    from server import create_app

    args.stmts = (0, 0)
    args.pgl_check = ""
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmpdir, \
            ProcessPoolExecutor(max_workers=1, mp_context=spawn) as ex:
        rss["before server"] = _rss()
        # the app as served; then with compiled plans off (graphql-core for every document); then, unless
        # --no-uncached, with plans and the parse/validation caches off
        variants = ["graphql", "graphql-core", *(["graphql-nocache"] if args.uncached else [])]
        for variant in variants:
            uncached = variant == "graphql-nocache"
            async with serving(dsn, Path(tmpdir), document_cache=not uncached,
                               compiled_plans=variant == "graphql") as (url, token, app, _pool):
                if variant == "graphql":
                    rss["server started"] = _rss()
                    state = app.state.registry
                    args.stmts = await count_statements(
                        dsn, lambda p, st=state: create_app(st.settings, pool=p, services=st.services),
                        token, info["lookups"][0])
                    if pgl is not None:
                        try:
                            args.pgl_check = await check_postgraphile(url, token, pgl, info["lookups"][0:100:2])
                        except Exception as exc:  # a reference path: report it, do not stop the run
                            args.pgl_check = f"check failed: {exc!r}"[:300]
                        print(f"  PostGraphile check: {args.pgl_check}", file=sys.stderr)
                base = {"url": url, "token": token, "dsn": dsn, "ids": info["lookups"], "client": args.client,
                        "warmup": args.warmup, "duration": args.duration, "pgl_url": pgl.url if pgl else ""}
                if variant != "graphql":
                    plan = [(variant, c) for c in clients]
                else:
                    modes = ("graphql", "raw", "postgraphile") if pgl is not None else ("graphql", "raw")
                    plan = [("healthz", max(clients))] + [(m, c) for c in clients for m in modes]
                for mode, c in plan:
                    print(f"  {mode} x{c} clients...", file=sys.stderr)
                    server_cpu = pgl.cpu if pgl is not None and mode == "postgraphile" else time.process_time
                    cells.append(await _measure(ex, {**base, "clients": c}, mode, server_cpu))
                if variant == "graphql":
                    rss["after load"] = _rss()
                    args.engine_floor = await _engine_floor(url, token, app, info["lookups"][:200])
        if args.workers > 1:
            async with serving_workers(dsn, Path(tmpdir), args.workers) as (url, token, procs):
                base = {"url": url, "token": token, "dsn": dsn, "ids": info["lookups"], "client": args.client,
                        "warmup": args.warmup, "duration": args.duration}
                for c in clients:
                    print(f"  graphql with {args.workers} workers x{c} clients...", file=sys.stderr)
                    cells.append(await _measure(ex, {**base, "clients": c}, "graphql-workers",
                                                lambda: _cpu(procs)))
        args.rounds_cells = await _parity_rounds(args, dsn, info, pgl, ex, Path(tmpdir)) if pgl is not None else []


#: A parity round's cells, back to back at 8 clients: the registry as one process and as `serve --workers`, raw
#: asyncpg and PostGraphile.
ROUND_MODES = ("graphql", "graphql-workers", "raw", "postgraphile")


async def _parity_rounds(args: argparse.Namespace, dsn: str, info: dict[str, Any], pgl: PostGraphile,
                         ex: ProcessPoolExecutor, tmp: Path) -> list[dict[str, Cell]]:
    """``--rounds`` rounds of ROUND_MODES with every server up: the cells of a round run within a minute of each
    other, so a round's ratios are taken in one minute of the machine, and the median over rounds is what the
    targets are judged by (this machine's rates move by up to 2x between minutes, the cells above by as much)."""
    rounds: list[dict[str, Cell]] = []
    if args.rounds < 1:
        return rounds
    workers = max(args.workers, 2)
    async with serving(dsn, tmp) as (url, token, _app, _pool), \
            serving_workers(dsn, tmp, workers) as (wurl, wtoken, procs):
        for r in range(args.rounds):
            cells: dict[str, Cell] = {}
            for mode in ROUND_MODES:
                print(f"  round {r + 1}/{args.rounds}: {mode} x8 clients...", file=sys.stderr)
                base = {"url": wurl if mode == "graphql-workers" else url,
                        "token": wtoken if mode == "graphql-workers" else token, "dsn": dsn, "ids": info["lookups"],
                        "client": args.client, "warmup": args.warmup, "duration": args.duration,
                        "pgl_url": pgl.url, "clients": 8}
                server_cpu: Callable[[], float] = {"postgraphile": pgl.cpu,
                                                   "graphql-workers": lambda: _cpu(procs)}.get(mode, time.process_time)
                cells[mode] = await _measure(ex, base, mode, server_cpu)
            rounds.append(cells)
    return rounds


async def _measure(ex: ProcessPoolExecutor, spec: dict[str, Any], mode: str,
                   server_cpu: Callable[[], float]) -> Cell:
    """One cell: ``drive`` in the load generator's process with ``spec``, for ``mode`` (the registry's modes drive
    GraphQL); the server's CPU by ``server_cpu`` and PostgreSQL's over the same window."""
    before, db0 = server_cpu(), postgres_cpu()
    cell = await asyncio.get_running_loop().run_in_executor(
        ex, drive, {**spec, "mode": "graphql" if mode.startswith("graphql") else mode})
    cell.db_cpu_s, cell.mode, cell.server_cpu_s = postgres_cpu_since(db0), mode, server_cpu() - before
    if cell.errors:
        print(f"    {cell.errors} errors, first: {cell.first_error}", file=sys.stderr)
    return cell


def round_ratios(rounds: list[dict[str, Cell]]) -> dict[str, list[float]]:
    """Per round: each registry mode's lookups per second over PostGraphile's and over raw asyncpg's."""
    out: dict[str, list[float]] = {}
    for cells in rounds:
        for mode in ("graphql", "graphql-workers"):
            out.setdefault(f"{mode}/postgraphile", []).append(cells[mode].rate / cells["postgraphile"].rate)
            out.setdefault(f"{mode}/raw", []).append(cells[mode].rate / cells["raw"].rate)
    return out


async def _engine_floor(url: str, token: str, app: Any, officer_ids: Sequence[str]) -> float:
    """``bench.engine_floor`` on the registry's answers to these lookups (fetched once over HTTP, as the cells ask)."""
    import httpx

    from bench import engine_floor
    from schema import build_schema

    answers = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for oid in officer_ids:
            resp = await http.post("/graphql", json={"query": HISTORY_QUERY, "variables": {"id": oid}},
                                   headers={"Authorization": f"Bearer {token}", "Registry-Purpose": PURPOSE})
            answers.append((resp.json()["data"], {"id": oid}))
    schema = build_schema(app.state.registry.settings)
    return engine_floor.execute_ms(schema._schema, HISTORY_QUERY, answers)


def _median_of_rounds(rounds: list[dict[str, Cell]], mode: str) -> tuple[float, float, float, float]:
    """``mode``'s ratio to PostGraphile and to raw asyncpg, p99 and app CPU per lookup: each the median over the
    rounds."""
    ratios = round_ratios(rounds)
    cells = [r[mode] for r in rounds]
    return (statistics.median(ratios[f"{mode}/postgraphile"]), statistics.median(ratios[f"{mode}/raw"]),
            statistics.median(c.pct(99) for c in cells),
            statistics.median(c.server_cpu_s / max(c.total, 1) * 1000 for c in cells))


def _print_rounds(args: argparse.Namespace, rounds: list[dict[str, Cell]]) -> None:
    ratios = round_ratios(rounds)
    rows = []
    for i, cells in enumerate(rounds):
        rows.append([str(i + 1), *(f"{cells[m].rate:,.0f}" for m in ROUND_MODES),
                     *(f"{ratios[k][i]:.0%}" for k in ("graphql/postgraphile", "graphql-workers/postgraphile",
                                                        "graphql/raw", "graphql-workers/raw")),
                     *(f"{cells[m].server_cpu_s / max(cells[m].total, 1) * 1000:.2f}"
                       for m in ("graphql", "graphql-workers", "postgraphile"))])
    rows.append(["median", *(f"{statistics.median(r[m].rate for r in rounds):,.0f}" for m in ROUND_MODES),
                 *(f"{statistics.median(ratios[k]):.0%}" for k in ("graphql/postgraphile",
                                                                   "graphql-workers/postgraphile", "graphql/raw",
                                                                   "graphql-workers/raw")),
                 *(f"{statistics.median(r[m].server_cpu_s / max(r[m].total, 1) * 1000 for r in rounds):.2f}"
                   for m in ("graphql", "graphql-workers", "postgraphile"))])
    workers = f"--workers {max(args.workers, 2)}"
    print("\nParity rounds at 8 clients (the four cells of a round back to back, every server up; lookups/s, "
          "ratios and CPU ms per lookup):\n")
    print(_table(("round", "one process", workers, "raw", "PostGraphile", "one/PGL", f"{workers}/PGL", "one/raw",
                  f"{workers}/raw", "CPU one", f"CPU {workers}", "CPU PGL"), rows))
    print()


def _print_report(args: argparse.Namespace, info: dict[str, Any], stmts: tuple[int, int], cells: list[Cell],
                  published: list[PublishResult], copy: Timed, profile: list[tuple[str, float]],
                  rss: dict[str, dict[str, float]], turns: Sequence[tuple[Timed, Timed]] = ()) -> None:
    counts = info["counts"]
    where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded (pgserver)"
    print(f"\nMachine: {os.cpu_count()} cores, load average {args.load}; PostgreSQL: {where}"
          f"; population {args.officers:,} officers (seed {args.seed}), database {info['db_mb']:,.0f} MB; "
          f"loaded by COPY in {info['seconds']:.0f} s ({counts.get('keys', 0):,} blocking keys, "
          f"{counts.get('records', 0):,} misconduct records).")
    print(f"Lookup: the officer history query (names, certifications, employment, records with status history, "
          f"publisher and agency names) as a hiring agency; SQL statements per lookup: GraphQL {stmts[0]}, "
          f"raw {stmts[1]}"
          f" (both include the query-log insert). {args.duration:.0f} s per cell after {args.warmup:.0f} s warm-up; "
          f"HTTP load generator: {args.client}.\n")
    by = {(c.mode, c.clients): c for c in cells}
    labels = {"graphql": "GraphQL over HTTP", "graphql-core": "GraphQL, compiled plans off",
              "graphql-nocache": "GraphQL, plans and parse/validation caches off",
              "graphql-workers": f"GraphQL, serve --workers {args.workers}",
              "raw": "raw asyncpg (1 statement + log)", "postgraphile": PGL_LABEL}
    with_pgl = any(c.mode == "postgraphile" for c in cells)
    rows = []
    for c in sorted({c.clients for c in cells if c.mode != "healthz"}):
        raw = by[("raw", c)]
        pgl = by.get(("postgraphile", c))
        for mode in ("graphql", "graphql-core", "graphql-nocache", "graphql-workers", "raw", "postgraphile"):
            cell = by.get((mode, c))
            if cell is None:
                continue
            cpu = (cell.server_cpu_s if mode != "raw" else cell.client_cpu_s) / max(cell.total, 1) * 1000
            row = [str(c), labels[mode], f"{cell.rate:,.0f}", f"{cell.pct(50):.1f}", f"{cell.pct(99):.1f}",
                   f"{cell.rate / raw.rate:.0%}"]
            if with_pgl:
                row.append(f"{cell.rate / pgl.rate:.0%}" if pgl is not None else "-")
            db = "-" if cell.db_cpu_s is None else f"{cell.db_cpu_s / max(cell.total, 1) * 1000:.2f}"
            rows.append([*row, f"{cpu:.2f}", db, f"{cell.client_cpu_s / max(cell.total, 1) * 1000:.2f}",
                         str(cell.errors)])
    header = ("clients", "path", "req/s", "p50 ms", "p99 ms", "vs raw", *(("vs PostGraphile",) if with_pgl else ()),
              "app CPU ms/req", "PostgreSQL CPU ms/req", "client CPU ms/req", "errors")
    print(_table(header, rows))
    print("(app CPU: this server process per request for GraphQL; the load-generator process, which is the "
          "application, for raw asyncpg"
          + ("; the PostGraphile node process (/proc/<pid>/stat) for PostGraphile" if with_pgl else "")
          + f"; PostgreSQL: every postgres process of the machine; client: the load generator, {args.client} or "
          "asyncpg.)")
    if with_pgl:
        vs = [f"GraphQL/PostGraphile at {c} clients {by[('graphql', c)].rate / by[('postgraphile', c)].rate:.0%}"
              for c in sorted({c.clients for c in cells if c.mode == "postgraphile"}) if ("graphql", c) in by]
        print(f"\nPostGraphile v5 reference ({args.pgl_versions}; bench/postgraphile/graphile.config.mjs: "
              "PostGraphileAmberPreset, schema public, no auth, no query log; same database, cells interleaved): "
              + "; ".join(vs) + ".")
        print(f"PostGraphile returns every misconduct record of the officer (no row rule), the registry only FINAL "
              f"attested ones. Check: {args.pgl_check}")
    elif args.postgraphile:
        print("\nPostGraphile v5 reference path: not run (could not be installed or started; see above).")
    h = next(c for c in cells if c.mode == "healthz")
    server_ms, client_ms = (h.server_cpu_s / max(h.total, 1) * 1000, h.client_cpu_s / max(h.total, 1) * 1000)
    print(f"\nHTTP floor: GET /healthz with {h.clients} clients: {h.rate:,.0f} req/s, p50 {h.pct(50):.1f} ms, "
          f"p99 {h.pct(99):.1f} ms (uvicorn + {args.client}, no database, no GraphQL; server CPU {server_ms:.2f} "
          f"ms/req, client CPU {client_ms:.2f} ms/req).")
    floor_ms = getattr(args, "engine_floor", None)
    if floor_ms is not None:
        pgl8 = by.get(("postgraphile", 8))
        pgl_ms = "" if pgl8 is None else (f"; PostGraphile's whole process took "
                                          f"{pgl8.server_cpu_s / max(pgl8.total, 1) * 1000:.2f} ms per lookup at 8 "
                                          "clients")
        print(f"GraphQL engine floor (bench/engine_floor.py): graphql-core executing the lookup document over the "
              f"registry's own answers in memory (default resolvers, parsed and validated once, no HTTP, database, "
              f"policy or log): {floor_ms:.2f} ms of CPU per lookup; with the HTTP floor's server CPU, "
              f"{floor_ms + server_ms:.2f} ms{pgl_ms}.")
    eight = by.get(("graphql", 8))
    rounds: list[dict[str, Cell]] = getattr(args, "rounds_cells", [])
    if rounds:
        _print_rounds(args, rounds)
    for mode, how in (("graphql", "one process"), ("graphql-workers", f"serve --workers {args.workers}")):
        cell, pgl8 = by.get((mode, 8)), by.get(("postgraphile", 8))
        judged: tuple[float | None, float, float, float]
        if rounds:
            judged = _median_of_rounds(rounds, mode)
            source = f" (median of {len(rounds)} parity rounds)"
        elif cell is not None:
            judged = (None if pgl8 is None else cell.rate / pgl8.rate, cell.rate / by[("raw", 8)].rate,
                      cell.pct(99), cell.server_cpu_s / max(cell.total, 1) * 1000)
            source = " (the table's cells)"
        else:
            continue
        vs_pgl_ratio, ratio, p99, cpu = judged
        vs_pgl = "" if vs_pgl_ratio is None else (f"GraphQL/PostGraphile {vs_pgl_ratio:.0%} (target >= 100%: "
                                                  f"{'met' if vs_pgl_ratio >= 1 else 'MISSED'}), ")
        print(f"Targets at 8 clients, {how}{source}: {vs_pgl}GraphQL/raw {ratio:.0%} (target >= 50%: "
              f"{'met' if ratio >= 0.5 else 'MISSED'}), p99 {p99:.1f} ms (target < 25 ms: "
              f"{'met' if p99 < 25 else 'MISSED'}), app CPU {cpu:.2f} ms per lookup (target <= 2 ms: "
              f"{'met' if cpu <= 2 else 'MISSED'}).")
    core8, uncached8 = by.get(("graphql-core", 8)), by.get(("graphql-nocache", 8))
    if core8 is not None and eight is not None:
        cpu, core_cpu = (x.server_cpu_s / max(x.total, 1) * 1000 for x in (eight, core8))
        print(f"Compiled plans (schema/plan.py): {eight.rate / core8.rate:.2f}x the same app with them off "
              f"({core8.rate:,.0f} req/s, p99 {core8.pct(99):.1f} ms, app CPU {core_cpu:.2f} ms against {cpu:.2f}; "
              "same run).")
    if uncached8 is not None and core8 is not None:
        print(f"Parse and validation caches (schema/limits.py): {core8.rate / uncached8.rate:.2f}x the same app "
              f"without them, both with plans off ({uncached8.rate:,.0f} req/s, p99 {uncached8.pct(99):.1f} ms, "
              "same run).")

    print("\nBulk publishing (batches of 500, one transaction each):\n")
    copy_rate = args.publish / copy.seconds

    def us_each(cpu_s: float | None, events: int) -> str:
        return "-" if cpu_s is None else f"{cpu_s / events * 1e6:,.0f}"

    prow = [[p.label, f"{p.events:,}", f"{p.seconds:.1f}", f"{p.rate:,.0f}", f"{p.rate / copy_rate:.1%}",
             us_each(p.app_cpu_s, p.events), us_each(p.db_cpu_s, p.events),
             f"{p.events / p.sign_seconds:,.0f}"] for p in published]
    prow.append(["plain COPY of the same record rows (+ history rows)", f"{args.publish:,}", f"{copy.seconds:.2f}",
                 f"{copy_rate:,.0f}", "100%", us_each(copy.app_cpu_s, args.publish),
                 us_each(copy.db_cpu_s, args.publish), "-"])
    floor = _median_timed([f for _, f in turns]) if turns else None
    if floor is not None:
        prow.append(["the floor: signatures checked, every row the registry writes by COPY (bench/publish_floor.py)",
                     f"{args.publish:,}", f"{floor.seconds:.2f}", f"{args.publish / floor.seconds:,.0f}",
                     f"{copy.seconds / floor.seconds:.1%}", us_each(floor.app_cpu_s, args.publish),
                     us_each(floor.db_cpu_s, args.publish), "-"])
    print(_table(("path", "events", "seconds", "per second", "vs COPY", "app CPU µs/event", "PostgreSQL CPU µs/event",
                  "signing/s (publisher side)"), prow))
    if turns:
        print(f"(COPY and the floor ran {len(turns)} turns each, one after the other, after the rows above: the table "
              "gives the median of each. Turn by turn, COPY / floor rows/s: "
              + "; ".join(f"{args.publish / c.seconds:,.0f} / {args.publish / f.seconds:,.0f} "
                          f"({c.seconds / f.seconds:.0%})" for c, f in turns) + ".)")
    print("(app CPU: this process, the publisher with its verifying threads, and over HTTP the uploading client too; "
          "to `registry serve` in its own process, that server's CPU and this process's client. PostgreSQL: every "
          "postgres process of the machine over the same window.)")
    rate, http, own, one = published[0].rate, published[2].rate, published[3].rate, published[4].rate
    verdict = "met" if min(http, own) >= 3000 else "MISSED"  # both end-to-end paths
    print(f"Target: `registry publish` >= 3,000 signed records/s end to end: {verdict} "
          f"({http:,.0f}/s over HTTP, {own:,.0f}/s to `registry serve` in its own process with two batches in flight, "
          f"{own / one:.2f}x one at a time, {own / copy_rate:.0%} of COPY); set-based in process "
          f"{rate:,.0f}/s, {rate / published[1].rate:.1f}x the same events one at a time, {rate / copy_rate:.0%} of "
          f"COPY.")
    if floor is not None:
        floor_rate = args.publish / floor.seconds
        need = 0.3 * copy_rate / floor_rate
        print(f"Target: >= 0.3 x COPY: {'met' if min(http, own) >= 0.3 * copy_rate else 'MISSED'} "
              f"({min(http, own) / copy_rate:.1%} end to end). The floor (the signature checks and the rows alone, no "
              f"other work) ran {floor_rate:,.0f}/s, {floor_rate / copy_rate:.1%} of COPY: the target needs the "
              f"registry at {need:.0%} of its floor{' (more than the floor itself)' if need > 1 else ''}; it ran at "
              f"{http / floor_rate:.0%} of the floor over HTTP, {own / floor_rate:.0%} to `registry serve`, "
              f"{rate / floor_rate:.0%} set-based in process.")
    (_, per_event), groups = profile[0], profile[1:]
    others = sum(s for g, s in groups if g == OTHER_THREADS)
    groups = [(g, s) for g, s in groups if g != OTHER_THREADS]
    total = sum(s for _, s in groups) or 1.0
    print(f"\nWhere a batch of 500 record.published spends its time ({per_event:.2f} SQL statements per event; "
          f"cProfile own time by package on the event loop's thread, {total / BATCH * 1000:.2f} ms per event under "
          f"the profiler; besides, {others / BATCH * 1000:.2f} ms of CPU per event on the other threads, the "
          f"signature checks, which the profiler does not see):\n")
    print(_table(("package", "seconds", "share"), [[g, f"{s:.3f}", f"{s / total:.0%}"] for g, s in groups[:10]]))

    print("\nServer process memory (VmRSS / VmHWM, MB):\n")
    print(_table(("moment", "RSS", "peak"), [[k, f"{v['VmRSS']:,.0f}", f"{v['VmHWM']:,.0f}"] for k, v in rss.items()]))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.api_baseline", description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--officers", type=int, default=100_000, help="population to load (default 100,000; 10^6 works)")
    ap.add_argument("--duration", type=float, default=10.0, help="measured seconds per cell (default 10)")
    ap.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each cell (default 2)")
    ap.add_argument("--clients", default="1,8,64", help="concurrent clients (default 1,8,64)")
    ap.add_argument("--publish", type=int, default=5_000, help="signed record.published events (default 5,000)")
    ap.add_argument("--certs", type=int, default=1_000, help="signed certification.issued by name (default 1,000)")
    ap.add_argument("--seed", type=int, default=PopulationConfig.seed)
    ap.add_argument("--client", choices=("light", "httpx"), default="light",
                    help="the load generator's HTTP client: light (bench/light_http.py, pre-encoded requests read by "
                         "httptools; default) or httpx (what the bench used before 2026-12-06)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="parity rounds at 8 clients after the table: the registry (one process and --workers), raw "
                         "asyncpg and PostGraphile back to back, the targets judged by the median (default 3; 0: "
                         "skip)")
    ap.add_argument("--workers", type=int, default=2,
                    help="also run the lookups against `registry serve --workers N` (default 2; 1: skip)")
    ap.add_argument("--no-uncached", dest="uncached", action="store_false",
                    help="skip the GraphQL run with the parse and validation caches turned off (the comparison)")
    ap.add_argument("--no-postgraphile", dest="postgraphile", action="store_false",
                    help="skip the PostGraphile v5 reference path (bench/postgraphile, needs npm the first time)")
    args = ap.parse_args(argv)
    if args.publish % BATCH or args.certs % BATCH:
        ap.error(f"--publish and --certs must be multiples of {BATCH}")
    os.environ.setdefault("REGISTRY_CHECKPOINT_SECONDS", "10")
    # the server runs in this process's loop: uvloop, as under `registry serve` (uvicorn picks it when installed)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        return asyncio.run(run(args))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
