"""Every disclosure to a logged role needs a purpose and lands in the officer's query log: search hits,
``__typename`` answers, counts and cursors included, found or not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import World, cert_issued, record_published, subject

HIRING: dict[str, Any] = {"agency_ori": "TX2270000"}
SEARCH = """query { searchOfficers(input: {givenName: "Nora", familyName: "Quist", dateOfBirth: "1979-03-30"}
  PURPOSE) { score reasons } }"""


@pytest.fixture
async def officer(world: World) -> dict[str, str]:
    oid = (await world.publish_ok("ca-post", cert_issued(subj=subject("Nora", "Quist", "1979-03-30"))))[0]["officerId"]
    rid = (await world.publish_ok("ca-post", record_published(subj={"registryId": oid}, status="FINAL",
                                                              attested=True)))[0]["entityId"]
    return {"officer": oid, "record": rid}


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


async def log_of(world: World, officer_id: str) -> list[dict[str, Any]]:
    data = await world.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole purpose "
                          "returned } } } } }", {"id": officer_id}, as_="officer", officer_id=officer_id)
    edges: list[dict[str, Any]] = data["officer"]["queryLog"]["edges"]
    return [e["node"] for e in edges]


@pytest.mark.parametrize("query", [
    SEARCH.replace("PURPOSE", ""),
    'query($r: ID!) { record(id: $r) { __typename } }',
    'query { record(id: "REC-0000000000Z0") { __typename } }',  # an ID that does not exist answers the same
    'query($o: ID!) { officer(id: $o) { __typename } }',
    'query { officer(id: "OFC-0000000000Z0") { __typename } }',
    'query($r: ID!) { _entities(representations: [{__typename: "MisconductRecord", id: $r}]) { __typename } }',
], ids=["search", "record typename", "absent record", "officer typename", "absent officer", "entities"])
async def test_no_answer_about_an_officer_without_a_purpose(world: World, officer: dict[str, str], query: str) -> None:
    for role, bindings in (("hiring_agency", HIRING), ("auditor", {})):
        body = await world.gql(query, {k: v for k, v in (("r", officer["record"]), ("o", officer["officer"]))
                                       if f"${k}" in query}, as_=role, **bindings)
        assert codes(body) == ["PURPOSE_REQUIRED"], (role, body)
        assert not any((body.get("data") or {}).values()), body
    assert await log_of(world, officer["officer"]) == []


async def test_search_hits_are_logged_with_the_purpose(world: World, officer: dict[str, str]) -> None:
    query = SEARCH.replace("PURPOSE", ", purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK")
    data = await world.ok(query, as_="hiring_agency", **HIRING)
    assert data["searchOfficers"][0]["score"] > 0.9
    [entry] = await log_of(world, officer["officer"])
    assert entry["actorRole"] == "hiring_agency" and entry["purpose"] == "PRE_EMPLOYMENT_BACKGROUND_CHECK"
    assert entry["returned"] == {"OfficerMatch": [officer["officer"]]}


async def test_a_count_or_a_cursor_of_records_is_a_logged_disclosure(world: World, officer: dict[str, str]) -> None:
    for selection in ("records { totalCount }", "records { edges { cursor } }"):
        query = "query($o: ID!) { officer(id: $o, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { SELECTION } }"
        await world.ok(query.replace("SELECTION", selection), {"o": officer["officer"]}, as_="hiring_agency",
                       **HIRING)
    entries = await log_of(world, officer["officer"])
    assert len(entries) == 2
    for entry in entries:
        assert entry["returned"]["MisconductRecord"] == [officer["record"]], entry


async def test_record_typename_with_a_purpose_is_logged(world: World, officer: dict[str, str]) -> None:
    data = await world.ok("query($r: ID!) { record(id: $r, purpose: OVERSIGHT_AUDIT) { __typename } }",
                          {"r": officer["record"]}, as_="auditor")
    assert data["record"] == {"__typename": "MisconductRecord"}
    [entry] = await log_of(world, officer["officer"])
    assert entry["returned"] == {"MisconductRecord": [officer["record"]]} and entry["purpose"] == "OVERSIGHT_AUDIT"


async def test_roster_answers_are_logged_and_a_mismatch_by_number_gives_no_registry_id(
        world: World, officer: dict[str, str]) -> None:
    roster = "state,certification_number,date_of_birth\nCA,100001,1979-03-31\nCA,100001,1979-03-30\n"
    data = await world.ok("mutation($c: String!) { enrollRoster(csv: $c) { rows { line status officerId reason } } }",
                          {"c": roster}, as_="hiring_agency", **HIRING)
    rows = {r["line"]: r for r in data["enrollRoster"]["rows"]}
    assert rows[2]["status"] == "MISMATCH" and rows[2]["officerId"] is None
    assert rows[3]["status"] == "ENROLLED" and rows[3]["officerId"] == officer["officer"]
    entries = await log_of(world, officer["officer"])
    assert [(e["actorRole"], e["purpose"], e["returned"]) for e in entries] == [
        ("hiring_agency", "CONTINUOUS_MONITORING", {"RosterRow": [officer["officer"]]})] * 2


async def test_the_officer_sees_who_looked_by_name(world: World, officer: dict[str, str]) -> None:
    await world.ok("query($o: ID!) { officer(id: $o, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { id } }",
                   {"o": officer["officer"]}, as_="hiring_agency", agency_ori="TX2270000")
    data = await world.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole "
                          "actorOrganization actorOrganizationName } } } } }", {"id": officer["officer"]},
                          as_="officer", officer_id=officer["officer"])
    seen = [(n["actorRole"], n["actorOrganization"], n["actorOrganizationName"])
            for n in (e["node"] for e in data["officer"]["queryLog"]["edges"])]
    assert seen == [("hiring_agency", "TX2270000", "Austin Police Department")]
