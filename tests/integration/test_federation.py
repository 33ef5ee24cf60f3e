"""Federation with the real Apollo toolchain: composition, and @apollo/gateway in front of our server.

The npm packages are pinned in tests/federation/package-lock.json and installed by the session fixture
(``npm ci``) when missing. Our server runs under uvicorn on a free port, in the test's own event loop
(it shares the test pool); the gateway and a sample partner subgraph (a state HR system extending
``Officer`` by key) run in Node.js.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from credentials import attestation
from schema import sdl
from server import create_app
from tests.conftest import empty_registry
from tests.support import World, cert_issued, missing_prerequisite, record_published

FED_DIR = Path(__file__).resolve().parents[1] / "federation"
HR_SDL = (FED_DIR / "hr.graphql").read_text()
SECRET = "router-to-subgraph-" + os.urandom(8).hex()
PURPOSE = {"Registry-Purpose": "PRE_EMPLOYMENT_BACKGROUND_CHECK"}


# --- Node.js toolchain -----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def node_modules() -> Path:
    """Install the pinned npm packages (npm ci) unless the installed tree matches the lock file."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing_prerequisite("node and npm (Debian packages nodejs, npm) for the federation tests")
    marker = FED_DIR / "node_modules" / ".package-lock.json"  # written by npm after an install
    lock = FED_DIR / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        started = time.monotonic()
        # --ignore-scripts: none of these packages needs an install script, so none gets to run one.
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=FED_DIR,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
        print(f"npm ci took {time.monotonic() - started:.1f}s")
    return FED_DIR / "node_modules"


async def node_json(script: str, payload: dict[str, Any]) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec("node", script, cwd=FED_DIR, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(json.dumps(payload).encode()), timeout=120)
    assert proc.returncode == 0, err.decode()
    result: dict[str, Any] = json.loads(out)
    return result


async def compose(**subgraphs: str) -> dict[str, Any]:
    return await node_json("compose.mjs", {"subgraphs": [
        {"name": name, "url": f"http://{name}.invalid/graphql", "sdl": text} for name, text in subgraphs.items()]})


async def _copy(stream: asyncio.StreamReader, into: Any) -> None:
    while line := await stream.readline():
        into.write(line)


@contextlib.asynccontextmanager
async def node_server(script: str, env: dict[str, str], log: Path) -> AsyncIterator[str]:
    """Run a Node.js server script until it prints {"ready": url}; stop it (by its own PID) afterwards."""
    with log.open("wb") as errors:
        proc = await asyncio.create_subprocess_exec("node", script, cwd=FED_DIR, env={**os.environ, **env},
                                                    stdout=asyncio.subprocess.PIPE, stderr=errors)
        drain = None
        try:
            assert proc.stdout is not None
            while True:
                line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
                if not line:
                    await proc.wait()
                    raise AssertionError(f"{script} exited, see {log}")
                if line.startswith(b'{"ready"'):
                    break
                errors.write(line)
            drain = asyncio.create_task(_copy(proc.stdout, errors))  # the pipe must never fill up
            yield str(json.loads(line)["ready"]).rstrip("/")
        finally:
            if drain is not None:
                drain.cancel()
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), timeout=10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


# --- our server over real HTTP --------------------------------------------------------------------
@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Uvicorn on 127.0.0.1 and a free port, in this event loop (the pool belongs to it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        sock.close()


class Federation:
    """Handles to the running pieces and a client for each."""

    def __init__(self, world: World, registry: str, gateway: str, ids: dict[str, str]) -> None:
        self.world = world
        self.registry = registry
        self.gateway = gateway
        self.ids = ids
        self.http = httpx.AsyncClient(timeout=30)

    async def ask(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None,
                  headers: dict[str, str] | None = None, url: str | None = None) -> dict[str, Any]:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        resp = await self.http.post(url or self.gateway, json={"query": query, "variables": variables or {}},
                                    headers=h)
        body: dict[str, Any] = resp.json()
        body["_status"] = resp.status_code
        return body


async def publish_showcase(world: World) -> dict[str, str]:
    """John Doe: a FINAL attested termination, and a civil judgment still at HEARING_PENDING."""
    doe = (await world.publish_ok("ca-post", cert_issued(number="100001")))[0]["officerId"]
    final = (await world.publish_ok("ca-post", record_published(subj={"registryId": doe}, status="FINAL",
                                                               attested=True, kind="DECERTIFICATION")))[0]
    pending = (await world.publish_ok("ca-post", record_published(
        "ca-post", "rec-2", subj={"registryId": doe}, kind="CIVIL_JUDGMENT_USE_OF_FORCE",
        status="HEARING_PENDING")))[0]
    return {"doe": doe, "final": final["entityId"], "pending": pending["entityId"]}


@pytest.fixture(scope="module", params=["introspect-and-compose", "supergraph-file"])
async def federation(request: pytest.FixtureRequest, node_modules: Path, pool: asyncpg.Pool,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Federation]:
    """One set of servers per gateway mode, shared by the end-to-end tests (they only read)."""
    async with pool.acquire() as conn:
        await empty_registry(conn)
    tmp_path = tmp_path_factory.mktemp("federation")
    world = World(pool, tmp_path)
    await world.setup()
    ids = await publish_showcase(world)
    hr_employees = [
        {"officerId": ids["doe"], "employeeNumber": "E-1001", "payGrade": "P3", "department": "Patrol"},
        {"officerId": "OFC-NOTINREGISTRY", "employeeNumber": "E-2002", "payGrade": "C1", "department": "Records"},
    ]
    # The same services (token issuer, keys) as the test world; this app demands the router's secret.
    app = create_app(replace(world.settings, subgraph_secret=SECRET), pool=pool, services=world.services)
    async with serve(app) as base, node_server("hr-subgraph.mjs", {"HR_EMPLOYEES": json.dumps(hr_employees)},
                                               tmp_path / "hr.log") as hr_url:
        env = {"REGISTRY_URL": f"{base}/graphql", "HR_URL": hr_url, "REGISTRY_SUBGRAPH_SECRET": SECRET,
               "GATEWAY_SCHEMA_TOKEN": world.token("partner", partner_id="router")}
        if request.param == "supergraph-file":
            composed = await compose(registry=sdl(), hr=HR_SDL)
            supergraph = composed["supergraphSdl"].replace("http://registry.invalid/graphql", env["REGISTRY_URL"])
            supergraph = supergraph.replace("http://hr.invalid/graphql", hr_url)
            (tmp_path / "supergraph.graphql").write_text(supergraph)
            env["SUPERGRAPH_FILE"] = str(tmp_path / "supergraph.graphql")
        async with node_server("gateway.mjs", env, tmp_path / "gateway.log") as gateway_url:
            fed = Federation(world, base, gateway_url, ids)
            yield fed
            await fed.http.aclose()


# --- composition ----------------------------------------------------------------------------------
async def test_our_subgraph_composes_with_a_partner_subgraph(node_modules: Path, pool: asyncpg.Pool,
                                                              tmp_path: Path) -> None:
    # What a gateway reads (_service { sdl }, for authenticated callers only) and the exported file.
    world = World(pool, tmp_path)  # no data needed
    served = await world.ok("{ _service { sdl } }", as_="partner", partner_id="router")
    anonymous = await world.gql("{ _service { sdl } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for text in (served["_service"]["sdl"], sdl()):
        result = await compose(registry=text, hr=HR_SDL)
        assert result["ok"], result["errors"]
        supergraph = result["supergraphSdl"]
        officer = supergraph[supergraph.index("type Officer"):].split("\n}\n")[0]
        assert '@join__type(graph: REGISTRY, key: "id")' in officer
        assert '@join__type(graph: HR, key: "id")' in officer
        assert "hrEmployeeNumber: String @join__field(graph: HR)" in officer
        assert "dateOfBirth: Date @join__field(graph: REGISTRY)" in officer
        assert "verifyCredential(" in supergraph


async def test_a_partner_subgraph_cannot_take_over_officer_data(node_modules: Path) -> None:
    # Our fields are not @shareable: a subgraph that also resolves Officer.dateOfBirth does not compose,
    # so no router can be configured to answer officer data from anywhere but the registry.
    greedy = HR_SDL.replace("  hrEmployeeNumber: String\n", "  hrEmployeeNumber: String\n  dateOfBirth: Date\n")
    greedy = greedy.replace("type Query {", "scalar Date\n\ntype Query {")
    result = await compose(registry=sdl(), hr=greedy)
    assert not result["ok"]
    assert any(e["code"] == "INVALID_FIELD_SHARING" and "Officer.dateOfBirth" in e["message"]
               for e in result["errors"]), result["errors"]


# --- the gateway, end to end -----------------------------------------------------------------------
HR_QUERY = """{ hrEmployee(employeeNumber: "E-1001") { id hrEmployeeNumber payGrade
  names { fullName } dateOfBirth records { edges { node { id kind status } } } } }"""
OFFICER_QUERY = """query($id: ID!) { officer(id: $id) { id names { fullName } hrEmployeeNumber hrDepartment
  records { edges { node { id kind status } } } } }"""


def record_ids(officer: dict[str, Any]) -> set[str]:
    return {e["node"]["id"] for e in officer["records"]["edges"]}


async def test_a_query_spanning_both_subgraphs(federation: Federation) -> None:
    fed, ids = federation, federation.ids
    hiring = fed.world.token("hiring_agency", agency_ori="TX2270000")

    # HR first, then the registry's _entities for the officer fields.
    body = await fed.ask(HR_QUERY, token=hiring, headers=PURPOSE)
    assert "errors" not in body, body
    employee = body["data"]["hrEmployee"]
    assert (employee["id"], employee["hrEmployeeNumber"], employee["payGrade"]) == (ids["doe"], "E-1001", "P3")
    assert employee["names"] == [{"fullName": "John Doe"}] and employee["dateOfBirth"] == "1985-04-12"
    assert record_ids(employee) == {ids["final"]}  # FINAL and attested only: not the pending judgment

    # The registry first, then HR's _entities.
    body = await fed.ask(OFFICER_QUERY, {"id": ids["doe"]}, token=hiring, headers=PURPOSE)
    assert "errors" not in body, body
    officer = body["data"]["officer"]
    assert (officer["hrEmployeeNumber"], officer["hrDepartment"]) == ("E-1001", "Patrol")
    assert record_ids(officer) == {ids["final"]}

    # The auditor sees both records; the declared purpose reached the registry through the gateway.
    audit = await fed.ask(OFFICER_QUERY, {"id": ids["doe"]}, token=fed.world.token("auditor"),
                          headers={"Registry-Purpose": "OVERSIGHT_AUDIT"})
    assert record_ids(audit["data"]["officer"]) == {ids["final"], ids["pending"]}
    log_query = "query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole purpose } } } } }"
    log = await fed.world.ok(log_query,
                             {"id": ids["doe"]}, as_="officer", officer_id=ids["doe"])
    seen = {(e["node"]["actorRole"], e["node"]["purpose"]) for e in log["officer"]["queryLog"]["edges"]}
    assert seen == {("hiring_agency", "PRE_EMPLOYMENT_BACKGROUND_CHECK"), ("auditor", "OVERSIGHT_AUDIT")}, seen

    # An HR employee the registry does not know has no registry data, and no error either.
    body = await fed.ask('{ hrEmployee(employeeNumber: "E-2002") { hrEmployeeNumber names { fullName } } }',
                         token=hiring, headers=PURPOSE)
    assert body["data"]["hrEmployee"] == {"hrEmployeeNumber": "E-2002", "names": None}


async def test_access_rules_hold_through_the_gateway(federation: Federation) -> None:
    fed, ids = federation, federation.ids
    partner = fed.world.token("partner", partner_id="acme-hr")
    hiring = fed.world.token("hiring_agency", agency_ori="TX2270000")

    # The gateway adds no identity of its own: without a token the registry sees the public.
    assert (await fed.ask("{ me { role } }"))["data"]["me"] == {"role": "public"}
    assert (await fed.ask("{ me { role } }", token=partner))["data"]["me"] == {"role": "partner"}

    # Anonymous: the root field is refused; through HR's list, _entities gives no officer data.
    body = await fed.ask(OFFICER_QUERY, {"id": ids["doe"]})
    assert body["data"]["officer"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for token in (None, partner):
        body = await fed.ask(HR_QUERY, token=token, headers=PURPOSE)
        employee = body["data"]["hrEmployee"]
        assert employee["hrEmployeeNumber"] == "E-1001"  # HR's own data
        assert employee["names"] is None and employee["dateOfBirth"] is None and employee["records"] is None
    # A partner reads no officer either; status by number is its way in.
    body = await fed.ask(OFFICER_QUERY, {"id": ids["doe"]}, token=partner, headers=PURPOSE)
    assert body["data"]["officer"] is None

    # A hiring agency without a declared purpose is refused the officer's fields, HR's still come through.
    body = await fed.ask(HR_QUERY, token=hiring)
    assert body["data"]["hrEmployee"]["hrEmployeeNumber"] == "E-1001"
    assert body["data"]["hrEmployee"]["names"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"PURPOSE_REQUIRED"}

    # A bad token is refused by the registry, not downgraded to anonymous.
    body = await fed.ask("{ me { role } }", token=hiring[:-4] + "AAAA")
    assert body.get("data") is None or body["data"].get("me") is None
    assert {(e.get("extensions") or {}).get("code") for e in body["errors"]} == {"UNAUTHENTICATED"}, body

    # Credential verification through the gateway; the attestation verifies with the published JWKS.
    body = await fed.ask('{ verifyCredential(state: "CA", number: "100001", purpose: CREDENTIAL_VERIFICATION) '
                         '{ status jws } }', token=partner)
    [result] = body["data"]["verifyCredential"]
    keys = await asyncio.to_thread(attestation.load_jwks, f"{fed.registry}/.well-known/jwks.json")
    assert attestation.verify(result["jws"], keys).claims["status"] == result["status"] == "ACTIVE"


async def test_the_subgraph_answers_only_its_router(federation: Federation) -> None:
    fed, ids = federation, federation.ids
    entities = """query($r: [_Any!]!) { _entities(representations: $r) { ... on Officer { id names { fullName } } } }"""
    rep = {"r": [{"__typename": "Officer", "id": ids["doe"]}]}
    direct = f"{fed.registry}/graphql"

    # Without the router's secret, nothing (not even a valid token) gets an answer from the subgraph.
    body = await fed.ask(entities, rep, token=fed.world.token("auditor"), url=direct)
    assert body["_status"] == 403 and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # With it, _entities applies the same row and field rules as every other path.
    secret = {"Registry-Subgraph-Secret": SECRET}
    assert (await fed.ask(entities, rep, headers=secret, url=direct))["data"]["_entities"] == [None]
    partner = fed.world.token("partner", partner_id="acme-hr")
    assert (await fed.ask(entities, rep, token=partner, headers={**secret, **PURPOSE}, url=direct)
            )["data"]["_entities"] == [None]
    hiring = fed.world.token("hiring_agency", agency_ori="TX2270000")
    body = await fed.ask(entities, rep, token=hiring, headers={**secret, **PURPOSE}, url=direct)
    assert body["data"]["_entities"] == [{"id": ids["doe"], "names": [{"fullName": "John Doe"}]}]
    # A representation is a key, nothing more: fields a caller adds to it cannot vouch for the row.
    records = "query($r: [_Any!]!) { _entities(representations: $r) { ... on MisconductRecord { id status } } }"
    pending: dict[str, Any] = {"__typename": "MisconductRecord", "id": ids["pending"]}
    for forged in (pending, {**pending, "status": "FINAL", "fairProcessAttested": True}):
        body = await fed.ask(records, {"r": [forged]}, token=hiring, headers={**secret, **PURPOSE}, url=direct)
        assert body["data"]["_entities"] == [None], forged
    final = {"__typename": "MisconductRecord", "id": ids["final"]}
    body = await fed.ask(records, {"r": [final]}, token=hiring, headers={**secret, **PURPOSE}, url=direct)
    assert body["data"]["_entities"] == [{"id": ids["final"], "status": "FINAL"}]
    # Subscriptions (WebSocket on /graphql) need the secret too; the public endpoints stay public.
    ws_url = direct.replace("http://", "ws://")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]):
            pass
    assert refused.value.response.status_code == 403
    assert (await fed.http.get(f"{fed.registry}/.well-known/jwks.json")).status_code == 200
    assert (await fed.http.get(f"{fed.registry}/healthz")).status_code == 200
