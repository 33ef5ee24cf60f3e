"""Operators' view: /metrics (closed unless a token is set, counters that move with what happened, database
gauges that equal the tables), request IDs on responses and log lines, JSON logs, and metrics summed over
`registry serve --workers N`."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from registry import logs
from registry.metrics import OperationNames
from tests.integration.test_serve_workers import _answers, _until
from tests.support import SETUP_ENTRIES, World, cert_issued, free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-" + "x" * 24


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def _scrape(world: World) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    resp = await world.http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    return _samples(resp.text)


async def _metered(pool: asyncpg.Pool, tmp_path: Path) -> World:
    world = World(pool, tmp_path, metrics_token=TOKEN)
    await world.setup()
    return world


async def test_metrics_are_off_unless_a_token_is_configured(world: World) -> None:
    resp = await world.http.get("/metrics")
    assert resp.status_code == 404 and "REGISTRY_METRICS_TOKEN" in resp.text


async def test_metrics_refuse_a_scrape_without_the_token(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> None:
    world = await _metered(pool, tmp_path)
    for headers in ({}, {"Authorization": "Bearer wrong-token-of-enough-length"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": world.token("admin")}):  # a user's token is not the scrape token
        resp = await world.http.get("/metrics", headers=headers)
        assert resp.status_code == 401 and resp.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "registry_" not in resp.text


async def test_database_gauges_equal_the_tables(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> None:
    world = await _metered(pool, tmp_path)
    await world.publish_ok("ca-post", cert_issued(number="M1"), cert_issued(number="M2", source="cert-M2b"))
    await world.http.get("/checkpoint")  # signs one on demand
    await world.publish_ok("ca-post", cert_issued(number="M3"))  # after the checkpoint: not yet covered
    s = await _scrape(world)
    size = await pool.fetchval("SELECT size FROM log_state")
    signed = await pool.fetchval("SELECT max(size) FROM checkpoints")
    assert _value(s, "registry_log_size") == size == SETUP_ENTRIES + 3  # the setup's registrations, then 3 events
    assert _value(s, "registry_checkpoint_size") == signed
    assert _value(s, "registry_log_unsigned_entries") == size - signed
    assert 0 <= _value(s, "registry_checkpoint_age_seconds") < 3600
    assert _value(s, "registry_database_up") == 1
    assert _value(s, "registry_webhook_outbox_pending") == await pool.fetchval(
        "SELECT count(*) FROM webhook_outbox WHERE state = 'PENDING'")
    assert _value(s, "registry_webhook_dead_letters") == 0
    assert _value(s, "registry_db_pool_connections", pool="primary", state="max") == pool.get_max_size()


async def test_counters_move_with_what_happened(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> None:
    world = await _metered(pool, tmp_path)
    before = await _scrape(world)
    for named in (True, True, False):  # the document's own name counts when the request gives none
        body = {"query": "query Probe { me { role } }", **({"operationName": "Probe"} if named else {})}
        resp = await world.http.post("/graphql", json=body)
        assert resp.status_code == 200
    event = cert_issued(number="C1")
    await world.publish_ok("ca-post", event)
    await world.publish("ca-post", event)  # the same event again: a duplicate
    await world.publish("ca-post", cert_issued(number="C2"), dry_run=True)
    lookup = "query Lookup($id: ID!) { officer(id: $id) { id } }"  # a compiled plan answers it (schema/plan.py)
    auditor = world.token("auditor")
    for _ in range(2):
        resp = await world.post(lookup, {"id": "OFC-000000000000"}, token=auditor,
                                headers={"Registry-Purpose": "OVERSIGHT_AUDIT"})
        assert resp.json() == {"data": {"officer": None}}
    no_purpose = await world.post(lookup, {"id": "OFC-000000000000"}, token=auditor)  # the plan hands it over
    assert no_purpose.json()["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"
    forbidden = await world.gql("{ officers(first: 1) { edges { node { id } } } }")  # the public may not list
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await world.post("{ me { role } }", token="not.a.token")).status_code == 401
    after = await _scrape(world)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("registry_graphql_request_seconds_count", operation="Probe") == 3
    assert moved("registry_graphql_request_seconds_count", operation="Lookup") == 3
    assert moved("registry_graphql_plans_total", outcome="planned") == 2
    assert moved("registry_graphql_plans_total", outcome="fallback") == 1
    assert moved("registry_graphql_plans_total", outcome="unplanned") >= 3  # Probe's, at least
    assert moved("registry_graphql_errors_total", code="PURPOSE_REQUIRED") == 1
    assert moved("registry_publish_events_total", outcome="ACCEPTED", mode="publish") == 1
    assert moved("registry_publish_events_total", outcome="DUPLICATE", mode="publish") == 1
    assert moved("registry_publish_events_total", outcome="ACCEPTED", mode="dry_run") == 1
    assert moved("registry_graphql_errors_total", code="FORBIDDEN") == 1
    assert moved("registry_http_refusals_total", code="UNAUTHENTICATED") == 1


def test_operation_names_cannot_grow_the_scrape_without_bound() -> None:
    names = OperationNames(limit=2)
    assert [names.label(n) for n in ("A", "B", "C", "A", "B")] == ["A", "B", "other", "A", "B"]
    assert names.label(None) == "anonymous" and names.label("") == "anonymous"
    assert names.label("x" * 65) == "other" and names.label('bad"name') == "other" and names.label(7) == "anonymous"


async def test_every_response_carries_a_request_id(world: World) -> None:
    given = await world.http.get("/healthz", headers={"X-Request-ID": "trace-42.a:b"})
    assert given.headers["x-request-id"] == "trace-42.a:b"
    made = [(await world.http.get("/healthz")).headers["x-request-id"] for _ in range(2)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", r) for r in made) and made[0] != made[1]
    for insane in ("with space", "x" * 129, "line\tbreak"):
        resp = await world.http.get("/healthz", headers={"X-Request-ID": insane})
        assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["x-request-id"])
    refused = await world.post("{ me { role } }", token="not.a.token", headers={"X-Request-ID": "refused-1"})
    assert refused.status_code == 401 and refused.headers["x-request-id"] == "refused-1"


async def test_json_access_lines_carry_the_request_id(world: World) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    access = logging.getLogger("registry.access")
    access.addHandler(handler)
    old_level = access.level
    access.setLevel(logging.INFO)
    try:
        await world.http.post("/graphql", json={"query": "query Who { me { role } }", "operationName": "Who"},
                              headers={"X-Request-ID": "req-json-1"})
    finally:
        access.removeHandler(handler)
        access.setLevel(old_level)
    [line] = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line["request_id"] == "req-json-1" and line["level"] == "INFO" and line["logger"] == "registry.access"
    assert (line["method"], line["path"], line["status"], line["operation"]) == ("POST", "/graphql", 200, "Who")
    assert line["duration_ms"] >= 0 and line["time"].endswith("Z")


def _get(port: int, path: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> bytes:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers or {})
    with urllib.request.urlopen(req, timeout=10) as resp:
        data: bytes = resp.read()
        return data


def test_workers_metrics_add_up_and_logs_are_json(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REGISTRY_ENV", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(REGISTRY_DATA_DIR=str(tmp_path), REGISTRY_LOG_FORMAT="json", REGISTRY_METRICS_TOKEN=TOKEN)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--dev", "--workers", "2",
                                 "--port", str(port), "--log-level", "info"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        def both_answer() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"registry serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
            return {r["worker"] for r in _answers(port)} == {0, 1}

        _until("both workers to answer", both_answer)
        sent = [f"multi-{i}" for i in range(20)]
        body = json.dumps({"query": "query Multi { me { role } }", "operationName": "Multi"}).encode()
        for rid in sent:  # a fresh connection each: the kernel spreads them over both workers
            _get(port, "/graphql", {"Content-Type": "application/json", "X-Request-ID": rid}, body)
        scrape = {"Authorization": f"Bearer {TOKEN}"}
        counts = {_value(_samples(_get(port, "/metrics", scrape).decode()),
                         "registry_graphql_request_seconds_count", operation="Multi") for _ in range(6)}
        assert counts == {20.0}, counts  # whichever worker answers the scrape, it reports both workers' sum
    finally:
        proc.terminate()
        proc.wait(60)
    lines = log.read_text().splitlines()
    objects = [json.loads(x) for x in lines if x.startswith("{")]
    assert objects and all(not x.startswith(("INFO", "WARNING", "ERROR")) for x in lines), lines[:20]
    access = {o["request_id"]: o for o in objects if o.get("logger") == "registry.access"}
    assert set(sent) <= set(access)
    assert all(access[r]["operation"] == "Multi" and access[r]["status"] == 200 for r in sent)
    assert any(o.get("logger", "").startswith("uvicorn") for o in objects)  # uvicorn's own lines are JSON too
