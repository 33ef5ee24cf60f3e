"""The README walkthrough, run as a new user would: each role's view of the demo's showcase officer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest

import demo
from tests.support import World, load_demo

Q = """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  names { fullName } dateOfBirth records { edges { node { kind status narrative } } } } }"""


@pytest.fixture
async def demo_world(pool: asyncpg.Pool, clean: None, database_url: str, tmp_path: Path) -> World:
    await load_demo(database_url, pool, tmp_path, officers=demo.OFFICERS)  # the data set users get
    return World(pool, tmp_path)  # the demo's data directory: its admin key


async def view(world: World, role: str | None, **bindings: Any) -> dict[str, Any]:
    return await world.gql(Q, {"id": demo.DEMO_OFFICER_ID}, as_=role, **bindings)


def kinds(body: dict[str, Any]) -> set[tuple[str, str]]:
    edges = body["data"]["officer"]["records"]["edges"]
    return {(e["node"]["kind"], e["node"]["status"]) for e in edges}


async def test_each_roles_view_matches_the_readme(demo_world: World) -> None:
    w = demo_world
    public = await view(w, None)
    assert public["data"]["officer"] is None and public["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    hiring = await view(w, "hiring_agency", agency_ori=demo.DEMO_ROLES["hiring_agency"]["agency_ori"])
    assert hiring["data"]["officer"]["dateOfBirth"] == "1979-08-14"
    assert kinds(hiring) == {("TERMINATION", "FINAL"), ("DECERTIFICATION", "FINAL")}

    officer = await view(w, "officer", officer_id=demo.DEMO_OFFICER_ID)
    assert ("CIVIL_JUDGMENT_USE_OF_FORCE", "HEARING_PENDING") in kinds(officer)
    assert len(kinds(officer)) == 3

    ca = await view(w, "publisher", publisher_id="ca-post")
    assert ca["data"]["officer"]["names"] and ("TERMINATION", "FINAL") not in kinds(ca)

    for role, bindings in [("publisher", {"publisher_id": "fl-cjstc"}), ("partner", {"partner_id": "demo-partner"}),
                           ("admin", {})]:
        body = await view(w, role, **bindings)
        assert body["data"]["officer"] is None, role

    auditor = await w.gql(Q.replace("PRE_EMPLOYMENT_BACKGROUND_CHECK", "OVERSIGHT_AUDIT"), {"id": demo.DEMO_OFFICER_ID},
                          as_="auditor")
    assert len(kinds(auditor)) == 3

    log = await w.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole purpose } } } } }",
                     {"id": demo.DEMO_OFFICER_ID}, as_="officer", officer_id=demo.DEMO_OFFICER_ID)
    roles = {e["node"]["actorRole"] for e in log["officer"]["queryLog"]["edges"]}
    assert roles == {"hiring_agency", "auditor"}
