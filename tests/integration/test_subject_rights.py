"""The subject's rights: whole file, notifications, statement shown to readers, disputes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import World, cert_issued, record_published, status_changed

RECORD = (
    "query($id: ID!) { record(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { status disputed subjectStatement } }"
)


@pytest.fixture
async def final_record(world: World) -> dict[str, str]:
    oid = (await world.publish_ok("ca-post", cert_issued()))[0]["officerId"]
    rid = (
        await world.publish_ok("ca-post", record_published(subj={"registryId": oid}, status="FINAL", attested=True))
    )[0]["entityId"]
    return {"officer": oid, "record": rid}


async def as_officer(world: World, ids: dict[str, str], query: str, variables: dict[str, Any]) -> dict[str, Any]:
    return await world.gql(query, variables, as_="officer", officer_id=ids["officer"])


async def test_notified_of_each_record_and_change(world: World, final_record: dict[str, str]) -> None:
    await world.publish_ok("ca-post", record_published(source="rec-2", subj={"registryId": final_record["officer"]}))
    await world.publish_ok("ca-post", status_changed(source="rec-2", status="NOTICE_SERVED"))
    body = await as_officer(
        world,
        final_record,
        "query($id: ID!) { officer(id: $id) { notifications { edges { node { kind message } } } } }",
        {"id": final_record["officer"]},
    )
    kinds = [e["node"]["kind"] for e in body["data"]["officer"]["notifications"]["edges"]]
    assert kinds == ["RECORD_STATUS_CHANGED", "RECORD_PUBLISHED", "RECORD_PUBLISHED"]


async def test_statement_is_shown_to_every_reader(world: World, final_record: dict[str, str]) -> None:
    body = await as_officer(
        world,
        final_record,
        "mutation($r: ID!) { addStatement(recordId: $r, text: "
        '"I contest the finding; see appeal 22-1.") { subjectStatement } }',
        {"r": final_record["record"]},
    )
    assert body["data"]["addStatement"]["subjectStatement"].startswith("I contest")
    hiring = await world.ok(RECORD, {"id": final_record["record"]}, as_="hiring_agency", agency_ori="TX2270000")
    assert hiring["record"]["subjectStatement"].startswith("I contest")


async def test_statement_limits_and_ownership(world: World, final_record: dict[str, str]) -> None:
    too_long = await as_officer(
        world,
        final_record,
        "mutation($r: ID!, $t: String) { addStatement(recordId: $r, text: $t) { id } }",
        {"r": final_record["record"], "t": "x" * 4001},
    )
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    other = await world.gql(
        'mutation($r: ID!) { addStatement(recordId: $r, text: "mine") { id } }',
        {"r": final_record["record"]},
        as_="officer",
        officer_id="OFC-SOMEONEELSE",
    )
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    publisher = await world.gql(
        'mutation($r: ID!) { addStatement(recordId: $r, text: "x") { id } }',
        {"r": final_record["record"]},
        as_="publisher",
        publisher_id="ca-post",
    )
    assert publisher["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_dispute_flag_until_publisher_resolves(world: World, final_record: dict[str, str]) -> None:
    opened = await as_officer(
        world,
        final_record,
        'mutation($r: ID!) { openDispute(recordId: $r, reason: "The date is wrong.") { disputed } }',
        {"r": final_record["record"]},
    )
    assert opened["data"]["openDispute"]["disputed"] is True
    twice = await as_officer(
        world,
        final_record,
        'mutation($r: ID!) { openDispute(recordId: $r, reason: "again") { disputed } }',
        {"r": final_record["record"]},
    )
    assert twice["errors"][0]["extensions"]["code"] == "CONFLICT"
    hiring = await world.ok(RECORD, {"id": final_record["record"]}, as_="hiring_agency", agency_ori="TX2270000")
    assert hiring["record"]["disputed"] is True
    affirm = {
        "type": "record.affirmed",
        "publisher": "ca-post",
        "eventId": "affirm-1",
        "issuedAt": "2026-01-01T00:00:00Z",
        "recordSourceId": "rec-1",
        "reason": "Date verified against docket.",
    }
    await world.publish_ok("ca-post", affirm)
    hiring = await world.ok(RECORD, {"id": final_record["record"]}, as_="hiring_agency", agency_ori="TX2270000")
    assert hiring["record"]["disputed"] is False
    again = {**affirm, "eventId": "affirm-2"}
    result = await world.publish("ca-post", again)
    assert result["results"][0]["code"] == "CONFLICT"


async def test_correction_resolves_dispute_and_keeps_history(world: World, final_record: dict[str, str]) -> None:
    await as_officer(
        world,
        final_record,
        'mutation($r: ID!) { openDispute(recordId: $r, reason: "wrong") { id } }',
        {"r": final_record["record"]},
    )
    fix = {
        "type": "record.corrected",
        "publisher": "ca-post",
        "eventId": "fix-1",
        "issuedAt": "2026-01-01T00:00:00Z",
        "recordSourceId": "rec-1",
        "actionDate": "2021-03-05",
        "reason": "Docket date",
        "resolvesDispute": True,
    }
    await world.publish_ok("ca-post", fix)
    data = await world.ok(
        "query($id: ID!) { record(id: $id) { disputed actionDate statusHistory { toStatus } } }",
        {"id": final_record["record"]},
        as_="officer",
        officer_id=final_record["officer"],
    )
    assert data["record"] == {"disputed": False, "actionDate": "2021-03-05", "statusHistory": [{"toStatus": "FINAL"}]}
