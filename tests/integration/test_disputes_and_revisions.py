"""Disputes handled like NPDB's: the officer's reason reaches the publisher (inbox, record.disputes, a notice),
never a hiring agency; when a statement, dispute, correction or affirmation changes a record, every agency that
was shown it before and every enrollee is told (revised reports), within what each may read now."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import World, cert_issued, record_published, status_changed

REASON = "The action date is wrong: the hearing was on 2021-03-05."
INBOX = """query($s: DisputeState!) { disputeInbox(state: $s) { totalCount edges { node {
  id recordId reason openedAt ageDays resolution resolutionReason resolvedAt record { id } } } } }"""
RECORD_DISPUTES = "query($id: ID!) { record(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) { id disputed " \
                  "disputes { reason resolution } } }"
NOTICES = "{ monitoringNotices(first: 50) { edges { node { type enrollmentId data } } } }"
LOOK = """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  records { edges { node { id subjectStatement } } } } }"""
TX, WA, CA = "TX2270000", "WA0170000", "CA0190000"


@pytest.fixture
async def case(world: World) -> dict[str, str]:
    oid = (await world.publish_ok("ca-post", cert_issued()))[0]["officerId"]
    rid = (await world.publish_ok("ca-post", record_published(subj={"registryId": oid}, status="FINAL",
                                                              attested=True)))[0]["entityId"]
    return {"officer": oid, "record": rid}


async def _dispute(world: World, case: dict[str, str], reason: str = REASON) -> None:
    await world.ok("mutation($r: ID!, $t: String!) { openDispute(recordId: $r, reason: $t) { disputed } }",
                   {"r": case["record"], "t": reason}, as_="officer", officer_id=case["officer"])


async def _statement(world: World, case: dict[str, str], text: str | None) -> None:
    await world.ok("mutation($r: ID!, $t: String) { addStatement(recordId: $r, text: $t) { id } }",
                   {"r": case["record"], "t": text}, as_="officer", officer_id=case["officer"])


async def _notices(world: World, role: str, **binding: Any) -> list[dict[str, Any]]:
    data = await world.ok(NOTICES, as_=role, **binding)
    return [e["node"] for e in data["monitoringNotices"]["edges"]]


def _affirm(event_id: str = "affirm-1") -> dict[str, Any]:
    return {"type": "record.affirmed", "publisher": "ca-post", "eventId": event_id,
            "issuedAt": "2026-01-01T00:00:00Z", "recordSourceId": "rec-1", "reason": "Verified against the docket."}


def _correct(event_id: str = "fix-1", **extra: Any) -> dict[str, Any]:
    return {"type": "record.corrected", "publisher": "ca-post", "eventId": event_id,
            "issuedAt": "2026-01-01T00:00:00Z", "recordSourceId": "rec-1", "actionDate": "2021-03-05",
            "reason": "Docket date", **extra}


async def test_the_dispute_reaches_its_publisher_and_not_hiring_agencies(world: World, case: dict[str, str]) -> None:
    await _dispute(world, case)
    own = await world.ok(RECORD_DISPUTES, {"id": case["record"]}, as_="officer", officer_id=case["officer"])
    assert own["record"]["disputes"] == [{"reason": REASON, "resolution": None}]

    inbox = await world.ok(INBOX, {"s": "OPEN"}, as_="publisher", publisher_id="ca-post")
    [node] = [e["node"] for e in inbox["disputeInbox"]["edges"]]
    assert inbox["disputeInbox"]["totalCount"] == 1
    assert (node["recordId"], node["reason"], node["ageDays"], node["record"]) == (
        case["record"], REASON, 0, {"id": case["record"]})
    pub = await world.ok(RECORD_DISPUTES, {"id": case["record"]}, as_="publisher", publisher_id="ca-post")
    assert pub["record"]["disputes"] == [{"reason": REASON, "resolution": None}]
    audited = await world.ok(INBOX, {"s": "OPEN"}, as_="auditor", headers={"Registry-Purpose": "OVERSIGHT_AUDIT"})
    assert [e["node"]["reason"] for e in audited["disputeInbox"]["edges"]] == [REASON]

    # another board's inbox is empty, and it cannot reach the record at all
    other = await world.ok(INBOX, {"s": "ALL"}, as_="publisher", publisher_id="tx-tcole")
    assert other["disputeInbox"] == {"totalCount": 0, "edges": []}
    # a hiring agency sees that the record is disputed, never why
    hiring = await world.gql(RECORD_DISPUTES, {"id": case["record"]}, as_="hiring_agency", agency_ori=TX)
    assert hiring["data"]["record"]["disputed"] is True and hiring["data"]["record"]["disputes"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in hiring["errors"]] == [(["record", "disputes"], "FORBIDDEN")]
    assert REASON not in json.dumps(hiring)
    binding: dict[str, Any]
    for role, binding in (("hiring_agency", {"agency_ori": TX}), ("partner", {"partner_id": "p1"}),
                          ("officer", {"officer_id": case["officer"]}), ("public", {})):
        refused = await world.gql(INBOX, {"s": "OPEN"}, token=world.token(role, **binding) if role != "public"
                                  else None)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        assert REASON not in json.dumps(refused)

    # the publisher was told, with a pointer to the dispute and not a copy of its text
    [notice] = await _notices(world, "publisher", publisher_id="ca-post")
    assert notice["type"] == "dispute.opened" and notice["enrollmentId"] is None
    assert notice["data"]["record"]["id"] == case["record"] and notice["data"]["dispute"]["id"] == node["id"]
    assert REASON not in json.dumps(notice)
    assert await _notices(world, "publisher", publisher_id="tx-tcole") == []

    # the publisher affirms: the inbox empties, the whole history keeps the resolution
    await world.publish_ok("ca-post", _affirm())
    assert (await world.ok(INBOX, {"s": "OPEN"}, as_="publisher", publisher_id="ca-post"))["disputeInbox"][
        "totalCount"] == 0
    closed = (await world.ok(INBOX, {"s": "ALL"}, as_="publisher", publisher_id="ca-post"))["disputeInbox"]["edges"]
    assert [(e["node"]["resolution"], e["node"]["resolutionReason"]) for e in closed] == [
        ("AFFIRMED", "Verified against the docket.")]
    assert closed[0]["node"]["resolvedAt"] is not None


async def test_statements_notify_the_publisher(world: World, case: dict[str, str]) -> None:
    await _statement(world, case, "I appealed this decision.")
    await _statement(world, case, None)
    notices = await _notices(world, "publisher", publisher_id="ca-post")
    assert [(n["type"], n["data"]["cause"]) for n in notices] == [("statement.changed", "statement.added"),
                                                                 ("statement.changed", "statement.withdrawn")]
    # the stored copies follow the record as it is now (the statement was withdrawn)
    assert all(n["data"]["record"]["subjectStatement"] is None for n in notices)


async def test_agencies_shown_a_record_get_revised_reports(world: World, case: dict[str, str]) -> None:
    officer = case["officer"]
    seen = await world.ok(LOOK, {"id": officer}, as_="hiring_agency", agency_ori=TX)  # TX is shown the record
    assert [e["node"]["id"] for e in seen["officer"]["records"]["edges"]] == [case["record"]]
    await world.ok("mutation($o: ID!) { enrollOfficer(officerId: $o) { id } }", {"o": officer},
                   as_="hiring_agency", agency_ori=CA)  # CA monitors the officer; WA never looked

    await _statement(world, case, "I appealed this decision.")
    [revised] = await _notices(world, "hiring_agency", agency_ori=TX)
    assert revised["type"] == "record.revised" and revised["enrollmentId"] is None
    assert revised["data"]["cause"] == "statement.added"
    assert revised["data"]["record"]["subjectStatement"] == "I appealed this decision."
    [changed] = await _notices(world, "hiring_agency", agency_ori=CA)
    assert changed["type"] == "record.changed" and changed["enrollmentId"] is not None
    assert await _notices(world, "hiring_agency", agency_ori=WA) == []

    # a dispute and a correction are revisions too; the reason of the dispute is in none of them
    await _dispute(world, case)
    await world.publish_ok("ca-post", _correct(resolvesDispute=True))
    tx = await _notices(world, "hiring_agency", agency_ori=TX)
    assert [(n["type"], n["data"]["cause"]) for n in tx] == [
        ("record.revised", "statement.added"), ("record.revised", "dispute.opened"),
        ("record.revised", "record.corrected")]
    assert tx[-1]["data"]["record"]["actionDate"] == "2021-03-05" and tx[-1]["data"]["record"]["disputed"] is False
    assert REASON not in json.dumps(tx)

    # the revised reports are disclosures: the officer sees them in the query log, with TX's original purpose
    log = await world.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorOrganization "
                         "purpose } } } } }", {"id": officer}, as_="officer", officer_id=officer)
    tx_entries = [e["node"]["purpose"] for e in log["officer"]["queryLog"]["edges"]
                  if e["node"]["actorOrganization"] == TX]
    assert tx_entries == ["PRE_EMPLOYMENT_BACKGROUND_CHECK"] * 4  # the look, then three revised reports

    # overturned: TX is told to drop its copy (the ID only); later changes tell it nothing
    await world.publish_ok("ca-post", status_changed(status="OVERTURNED", reason="Reversed on appeal"))
    withdrawn = (await _notices(world, "hiring_agency", agency_ori=TX))[-1]
    assert withdrawn["type"] == "record.withdrawn"
    assert withdrawn["data"]["record"] == {"id": case["record"]} and "Reversed" not in json.dumps(withdrawn)
    before = len(await _notices(world, "hiring_agency", agency_ori=TX))
    await _statement(world, case, None)
    assert len(await _notices(world, "hiring_agency", agency_ori=TX)) == before


async def test_an_agency_never_shown_the_record_learns_nothing(world: World) -> None:
    """Two agencies, one of which looked at the officer while the record was still in due process (so it
    was not shown the record): the statement, the record becoming FINAL and a correction reach neither."""
    oid = (await world.publish_ok("ca-post", cert_issued()))[0]["officerId"]
    rid = (await world.publish_ok("ca-post", record_published(subj={"registryId": oid})))[0]["entityId"]
    looked = await world.ok(LOOK, {"id": oid}, as_="hiring_agency", agency_ori=TX)
    assert looked["officer"]["records"]["edges"] == []
    case = {"officer": oid, "record": rid}
    await _statement(world, case, "This is untrue.")
    await _dispute(world, case)
    await world.publish_ok("ca-post", status_changed(status="FINAL", attested=True))
    await world.publish_ok("ca-post", _correct())
    assert await _notices(world, "hiring_agency", agency_ori=TX) == await _notices(
        world, "hiring_agency", agency_ori=WA) == []
