"""Compiled plans (schema/plan.py) answer exactly as graphql-core does: the same bytes and the same query-log
entries, for every caller, in every world of the non-interference corpus (each hidden matter, and none), for
the lookups the registry is asked most and for random selections of the lookup's tree. A document a plan cannot
answer, and every request whose answer carries an error, is answered by graphql-core.

Each request goes to two apps on the same database: the registry as it serves (plans on) and a twin with
``compiled_plans`` off. The planner's own count says which path answered, so no comparison passes by both apps
taking graphql-core's path.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from bench.api_baseline import HISTORY_QUERY
from registry.config import Settings
from schema.plan import PLANNED
from server import create_app
from tests.integration.test_non_interference import (
    ABSENT_RECORD,
    CALLERS,
    HIRING_ORI,
    MATTERS,
    OFFICER,
    PURPOSE,
    _base,
    _reset,
)
from tests.support import AUDIENCE, World

Caller = tuple[str, dict[str, str]] | None

BY_HEADER = OFFICER.replace("(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK)", "(id: $id)")
BY_VARIABLE = OFFICER.replace("query($id: ID!)", "query Lookup($id: ID!, $p: QueryPurpose)").replace(
    "purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK", "purpose: $p")
ALIASED = """query($id: ID!) { who: officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  registryId: id born: dateOfBirth primaryName { fullName givenName } certs: certifications { pageInfo { hasNextPage
  endCursor } edges { cursor node { number updatedAt refresherMonths publisher { id kind name state agencyOri } } } }
  employment { edges { node { id agency { ori name state level } } } } } }"""
# documents a plan leaves to graphql-core: a fragment, __typename, an argument on a nested field, a second root
UNPLANNED = {
    "fragment": """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { ...F } }
                   fragment F on Officer { id names { fullName } }""",
    "__typename": """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
                     __typename id } }""",
    "nested argument": """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
                          records(first: 1) { totalCount edges { node { id status } } } } }""",
    "directive": """query($id: ID!, $x: Boolean!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
                    id names @include(if: $x) { fullName } } }""",
    "two roots": """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { id }
                    me { role } }""",
    "field outside the tree": """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
                                 id records { edges { node { id disputes { id } } } } } }""",
}


def _callers(ids: dict[str, str]) -> dict[str, Caller]:
    """The non-interference corpus's callers, and those who may know a matter: the officer, an auditor, the
    boards and agencies that publish about the officer."""
    return {**CALLERS,
            "officer": ("officer", {"officer_id": ids["officer"]}),
            "another officer": ("officer", {"officer_id": "OFC-000000000000"}),
            "auditor": ("auditor", {}),
            "California board": ("publisher", {"publisher_id": "ca-post"})}


class Pair:
    """The registry as served and its graphql-core-only twin, on one database and data directory."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.planner = world.app.state.planner
        assert self.planner is not None, "compiled plans are on by default"
        twin = create_app(Settings(data_dir=world.settings.data_dir, audience=AUDIENCE, compiled_plans=False),
                          pool=world.pool, services=world.services)
        assert twin.state.planner is None
        self.twin = httpx.AsyncClient(transport=httpx.ASGITransport(app=twin), base_url="http://registry")

    async def _entries(self, after: int) -> list[tuple[Any, ...]]:
        rows = await self.world.pool.fetch(
            "SELECT officer_id, actor_role, actor_subject, actor_org, purpose::text, returned::text FROM query_log "
            "WHERE id > $1 ORDER BY officer_id, returned::text", after)
        return [tuple(r) for r in rows]

    async def ask(self, caller: Caller, query: str, variables: dict[str, Any] | None = None,
                  headers: dict[str, str] | None = None, operation: str | None = None,
                  raw: bytes | None = None) -> tuple[bool, dict[str, Any]]:
        """Asks both; asserts the same status, bytes, headers and query-log entries; says whether a plan answered.
        ``raw``: this body instead of the JSON of query, variables and operation."""
        h = dict(headers or {})
        if caller is not None:
            h["Authorization"] = f"Bearer {self.world.token(caller[0], **caller[1])}"
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation is not None:
            body["operationName"] = operation
        mark = int(await self.world.pool.fetchval("SELECT coalesce(max(id), 0) FROM query_log"))
        planned_before = self.planner.counts["planned"]
        content = raw if raw is not None else json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
        served = await self.world.http.post("/graphql", content=content, headers=h)
        planned = self.planner.counts["planned"] - planned_before
        logged = await self._entries(mark)
        mark = int(await self.world.pool.fetchval("SELECT coalesce(max(id), 0) FROM query_log"))
        reference = await self.twin.post("/graphql", content=content, headers=h)
        assert (served.status_code, served.text) == (reference.status_code, reference.text), query
        assert _headers(served) == _headers(reference), query
        assert logged == await self._entries(mark), query
        answer = served.json() if served.headers.get("content-type", "").startswith("application/json") else \
            {"errors": [served.text]}
        return planned == 1, answer


def _headers(resp: httpx.Response) -> list[tuple[str, str]]:
    """The response's headers but the request ID (each request's own)."""
    return sorted((k, v) for k, v in resp.headers.items() if k != "x-request-id")


def _planned_iff_clean(planned: bool, answer: dict[str, Any], what: str) -> None:
    """For a document a plan fits: a plan answers exactly the requests graphql-core answers without an error."""
    assert planned == (not answer.get("errors") and answer.get("data") is not None), (what, planned, answer)


async def _compare_corpus(pair: Pair, ids: dict[str, str]) -> int:
    planned_answers = 0
    requests: list[tuple[str, str, dict[str, Any], dict[str, str] | None, str | None]] = [
        ("officer", OFFICER, {"id": ids["officer"]}, None, None),
        ("history", HISTORY_QUERY, {"id": ids["officer"]}, None, None),
        ("aliased", ALIASED, {"id": ids["officer"]}, None, None),
        ("purpose by header", BY_HEADER, {"id": ids["officer"]}, PURPOSE, None),
        ("no purpose", BY_HEADER, {"id": ids["officer"]}, None, None),
        ("purpose variable", BY_VARIABLE, {"id": ids["officer"], "p": "OVERSIGHT_AUDIT"}, None, "Lookup"),
        ("purpose variable, monitoring", BY_VARIABLE, {"id": ids["officer"], "p": "CONTINUOUS_MONITORING"}, None,
         None),
        ("absent officer", OFFICER, {"id": "OFC-000000000000"}, None, None),
        ("a record's ID", OFFICER, {"id": ids["record"]}, None, None),
        ("ID not a string", OFFICER, {"id": 12}, None, None),
        # beyond 64 bits: both paths read the body the request guard read (json.loads keeps the integer)
        ("ID an integer beyond 64 bits", OFFICER, {"id": 123456789012345678901234567890}, None, None),
        ("ID missing", OFFICER, {}, None, None),
        ("ID null", OFFICER, {"id": None}, None, None),
        ("unknown operation", BY_VARIABLE, {"id": ids["officer"]}, None, "Other"),
    ]
    # strawberry's view answers these itself: multipart and event-stream answers, a batch, a body not JSON
    refused_bodies = [({"Accept": "multipart/mixed"}, None), ({"Accept": "text/event-stream"}, None),
                      ({"Content-Type": "application/json"}, b"[1]"), ({"Content-Type": "text/plain"}, b"{}")]
    for who, caller in _callers(ids).items():
        for what, query, variables, headers, operation in requests:
            planned, answer = await pair.ask(caller, query, variables, headers, operation)
            _planned_iff_clean(planned, answer, f"{who}: {what}")
            planned_answers += planned
        for what, query in UNPLANNED.items():
            planned, _ = await pair.ask(caller, query, {"id": ids["officer"], "x": True})
            assert not planned, f"{who}: {what}"
        for headers, raw in refused_bodies:
            planned, _ = await pair.ask(caller, OFFICER, {"id": ids["officer"]}, headers, raw=raw)
            assert not planned, f"{who}: {headers}"
    return planned_answers


@pytest.mark.parametrize("matter", [None, *MATTERS])
async def test_plans_answer_as_graphql_core_in_every_world(pool: asyncpg.Pool, tmp_path: Path,
                                                           matter: str | None) -> None:
    await _reset(pool)
    world = World(pool, tmp_path)
    ids = await _base(world)
    ids["record"] = ABSENT_RECORD if matter is None else await MATTERS[matter][0](world, ids)
    pair = Pair(world)
    planned = await _compare_corpus(pair, ids)
    # the plans did answer: the officer, the auditor, the boards and the hiring agency, lookup after lookup
    assert planned >= 40, planned
    hiring = await world.ok(HISTORY_QUERY, {"id": ids["officer"]}, as_="hiring_agency", agency_ori=HIRING_ORI)
    assert len(hiring["officer"]["certifications"]["edges"]) == 2 and hiring["officer"]["records"]["edges"]


def _selection(rng: random.Random, type_name: str, depth: int) -> str:
    """A random non-empty selection of the plan's fields of ``type_name`` (some aliased), objects expanded."""
    children = {
        "Officer": {"names": "PersonName", "primaryName": "PersonName", "certifications": "CertificationConnection",
                    "employment": "EmploymentConnection", "records": "MisconductRecordConnection"},
        "Certification": {"publisher": "Publisher"},
        "Employment": {"publisher": "Publisher", "agency": "Agency"},
        "MisconductRecord": {"publisher": "Publisher", "agency": "Agency", "statusHistory": "StatusChange"},
        **{f"{n}Connection": {"edges": f"{n}Edge", "pageInfo": "PageInfo"}
           for n in ("Certification", "Employment", "MisconductRecord")},
        **{f"{n}Edge": {"node": n} for n in ("Certification", "Employment", "MisconductRecord")},
    }.get(type_name, {})
    fields = sorted(PLANNED[type_name])
    chosen = rng.sample(fields, rng.randint(1, len(fields)))
    parts = []
    for i, name in enumerate(chosen):
        alias = f"a{i}: " if rng.random() < 0.2 else ""
        if name in children:
            parts.append(f"{alias}{name} {{ {_selection(rng, children[name], depth + 1)} }}")
        else:
            parts.append(f"{alias}{name}")
    return " ".join(parts)


async def test_random_selections_answer_as_graphql_core(pool: asyncpg.Pool, tmp_path: Path) -> None:
    """Random sub-selections of the lookup's tree, in the world with a pending termination, as every caller."""
    await _reset(pool)
    world = World(pool, tmp_path)
    ids = await _base(world)
    ids["record"] = await MATTERS["pending termination with its separation"][0](world, ids)
    pair = Pair(world)
    rng = random.Random(13)
    callers = _callers(ids)
    planned = 0
    for n in range(30):
        query = ("query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { "
                 f"{_selection(rng, 'Officer', 0)} }} }}")
        for who in ("hiring agency", "officer", "auditor", "California agency", "partner", "public"):
            was_planned, answer = await pair.ask(callers[who], query, {"id": ids["officer"]})
            _planned_iff_clean(was_planned, answer, f"{who}: selection {n}")
            planned += was_planned
    assert planned >= 60, planned


async def test_plans_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_COMPILED_PLANS", "0")
    assert Settings.from_env().compiled_plans is False
    monkeypatch.delenv("REGISTRY_COMPILED_PLANS")
    assert Settings.from_env().compiled_plans is True
