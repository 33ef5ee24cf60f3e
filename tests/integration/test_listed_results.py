"""schema.lists completes a publish batch's results without graphql-core's per-field machinery; it is only an
optimisation. Checked where it can be observed: the same requests through the registry with compiled plans on
(lists completed by schema.lists) and off (graphql-core's own completion) give the same answers, for accepted,
rejected, duplicate and dry-run batches, aliases, a subset of fields, ``__typename`` (which it leaves to
graphql-core) and a caller refused; and the fast path did run where it may."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from registry.cli.ledger import PUBLISH_MUTATION
from schema import lists
from server import create_app
from tests.support import World, cert_issued, record_published, subject

ALIASED = """mutation($e: [EventSubmission!]!) { publishEvents(events: $e, dryRun: false) {
  rejected out: results { msg: message status where: logIndex kind: eventType } } }"""
TYPENAME = """mutation($e: [EventSubmission!]!) { publishEvents(events: $e, dryRun: false) {
  results { __typename status eventId } } }"""


@dataclasses.dataclass
class Pair:
    world: World
    off: httpx.AsyncClient
    officers: list[str]

    async def both(self, query: str, variables_of: Any, role: str = "publisher",
                   **bindings: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The answers of the registry with compiled plans on and off, each given its own events (``variables_of``
        takes a prefix), with their IDs made comparable."""
        token = self.world.token(role, **bindings)
        on = await self.world.post(query, variables_of("on"), token=token)
        off = await self.off.post("/graphql", json={"query": query, "variables": variables_of("off")},
                                  headers={"Authorization": f"Bearer {token}"})
        a, b = _comparable(on.json(), "on"), _comparable(off.json(), "off")
        assert json.dumps(a) == json.dumps(b), (a, b)  # the same keys in the same order, too
        return a, b


def _comparable(body: Any, prefix: str) -> Any:
    """Entity IDs and log indexes are drawn anew by each registry: kept as their kind; the events' own IDs lose
    their prefix."""
    if isinstance(body, dict):
        return {k: ("<n>" if k in ("logIndex", "where") and v is not None else _comparable(v, prefix))
                for k, v in body.items()}
    if isinstance(body, list):
        return [_comparable(v, prefix) for v in body]
    if isinstance(body, str):
        body = re.sub(r"\b(REC|CRT|EMP)-[0-9A-Z]{12}\b", r"\1-<id>", body)
        return body.replace(f"{prefix}-", "")
    return body


@pytest.fixture
async def pair(world: World) -> AsyncIterator[Pair]:
    certified = await world.publish_ok("ca-post", *[
        cert_issued(number=f"LR-{i}", subj=subject(f"Given{i}", f"Family{i}", f"198{i}-03-0{i + 1}"))
        for i in range(2)])
    off_app = create_app(dataclasses.replace(world.settings, compiled_plans=False), pool=world.pool,
                         services=world.services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=off_app), base_url="http://registry") as off:
        yield Pair(world, off, [r["officerId"] for r in certified])


def _records(pair: Pair, prefix: str, n: int, *, bad_at: int | None = None, source: str | None = None,
             ) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        kind = "TERMINATION" if i == bad_at else ("DECERTIFICATION", "SUSPENSION")[i % 2]  # a board may not
        ev = record_published(source=source or f"{prefix}-{i}", event_id=f"{prefix}-{i}", kind=kind,
                              subj={"registryId": pair.officers[i % 2]}, status=("FINAL", "NOTICE_PENDING")[i % 2],
                              attested=i % 2 == 0)
        out.append({"jws": pair.world.sign("ca-post", ev), "ssn": None})
    return out


def _completed(world: World) -> int:
    completer = lists.completer_of(world.app.state.planner.schema)
    assert completer is not None
    return completer.completed


async def test_a_publish_batchs_results_answer_as_graphql_core_answers(pair: Pair) -> None:
    world, ca = pair.world, {"publisher_id": "ca-post"}
    before = _completed(world)
    cases = [
        (PUBLISH_MUTATION, lambda p: {"e": _records(pair, p, 7), "d": False, "u": None}),  # accepted
        (PUBLISH_MUTATION, lambda p: {"e": _records(pair, p, 5, bad_at=3), "d": False, "u": None}),  # one refused
        (PUBLISH_MUTATION, lambda p: {"e": _records(pair, p, 4), "d": True, "u": None}),  # a dry run
        (ALIASED, lambda p: {"e": _records(pair, p, 3)}),  # aliases, a subset, another order
        (ALIASED, lambda p: {"e": _records(pair, p, 3, bad_at=0)}),
    ]
    for query, variables_of in cases:
        on, off = await pair.both(query, variables_of, **ca)
        assert on == off, (query, on, off)
        assert "errors" not in on and on["data"]["publishEvents"] is not None
    assert _completed(world) == before + len(cases)

    # the same events again: every one a duplicate (the first case's, re-signed with new salts by each side)
    again = {"on": _records(pair, "on", 7), "off": _records(pair, "off", 7)}
    on, off = await pair.both(PUBLISH_MUTATION, lambda p: {"e": again[p], "d": False, "u": None}, **ca)
    assert on == off and {r["status"] for r in on["data"]["publishEvents"]["results"]} == {"DUPLICATE"}
    assert _completed(world) == before + len(cases) + 1


async def test_what_it_leaves_to_graphql_core_answers_the_same(pair: Pair) -> None:
    world = pair.world
    before = _completed(world)
    on, off = await pair.both(TYPENAME, lambda p: {"e": _records(pair, p, 3)}, publisher_id="ca-post")
    assert on == off and [r["__typename"] for r in on["data"]["publishEvents"]["results"]] == ["EventResult"] * 3
    # a caller who may not publish: refused at the root, before any list
    on, off = await pair.both(PUBLISH_MUTATION, lambda p: {"e": _records(pair, p, 2), "d": False, "u": None},
                              role="hiring_agency", agency_ori="WA0000000")
    assert on == off and on["errors"][0]["extensions"]["code"] == "FORBIDDEN", on
    assert _completed(world) == before
