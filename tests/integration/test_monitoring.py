"""Continuous monitoring: enrollment, and notices that carry only what the enrollee may read.

Expectations are written from the SPEC table by hand: a hiring agency sees a record only once it is
FINAL with fair process attested, and then its summary and narrative; a partner sees certification
status by number only -- never names, dates of birth or records.
"""

from __future__ import annotations

from typing import Any

from tests.integration.monitoring_support import (
    AGENCY,
    OTHER_AGENCY,
    Receiver,
    agency_token,
    cert_status_changed,
    enroll,
    mworld,
    new_officer,
    notices,
    outbox_rows,
    partner_token,
    receiving,
    register,
    worker,
)
from tests.support import World, record_published, status_changed, subject

__all__ = ["mworld"]

RECORD_FIELDS_FOR_HIRING = {"id", "kind", "state", "publisher", "agency", "reasonCategory", "actionDate", "status",
                            "fairProcessAttested", "disputed", "subjectStatement", "narrative", "caseReference",
                            "updatedAt"}
PARTNER_CERT_FIELDS = {"state", "number", "kind", "status", "expiresOn", "previousStatus"}


def _walk_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _walk_keys(v)}
    return set()


async def test_enroll_list_remove_is_scoped_to_the_enrollee(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w)
    austin, seattle, partner = agency_token(w), agency_token(w, OTHER_AGENCY), partner_token(w)
    first = await enroll(w, austin, officer)
    again = await enroll(w, austin, officer)
    assert first == again and first["officerId"] == officer  # idempotent
    await enroll(w, partner, officer)
    listing = "{ enrollments { totalCount edges { node { id officerId } } } }"
    assert (await w.ok(listing, token=austin))["enrollments"]["totalCount"] == 1
    assert (await w.ok(listing, token=seattle))["enrollments"]["totalCount"] == 0
    assert (await w.ok(listing, token=partner))["enrollments"]["totalCount"] == 1

    missing = await w.gql('mutation { enrollOfficer(officerId: "OFC-NOSUCHOFFICR") { id } }', token=austin)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    other = await w.gql("mutation($o: ID!) { removeEnrollment(officerId: $o) }", {"o": officer}, token=seattle)
    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    removed = await w.ok("mutation($o: ID!) { removeEnrollment(officerId: $o) }", {"o": officer}, token=austin)
    assert removed == {"removeEnrollment": True}
    assert (await w.ok(listing, token=austin))["enrollments"]["totalCount"] == 0


async def test_only_hiring_agencies_and_partners_may_enroll(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w)
    bindings: dict[str, Any]
    for role, bindings in (("officer", {"officer_id": officer}), ("publisher", {"publisher_id": "ca-post"}),
                           ("auditor", {}), ("admin", {})):
        token = w.token(role, **bindings)
        body = await w.gql("mutation($o: ID!) { enrollOfficer(officerId: $o) { id } }", {"o": officer},
                           token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        body = await w.gql("{ deadLetters { totalCount } }", token=token)
        if role == "publisher":  # publishers get notices about their own records, so they have deliveries
            assert body == {"data": {"deadLetters": {"totalCount": 0}}}, body
        else:
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    anonymous = await w.gql("{ enrollments { totalCount } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for role, bindings in (("officer", {"officer_id": officer}), ("publisher", {"publisher_id": "ca-post"})):
        roster = await w.gql('mutation { enrollRoster(csv: "registry_id\\n") { enrolled } }',
                             token=w.token(role, **bindings))
        assert roster["errors"][0]["extensions"]["code"] == "FORBIDDEN", role  # rosters are for monitors


async def test_hiring_agency_is_told_only_once_a_record_is_final_and_attested(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, officer)
    subj = {"registryId": officer}

    await w.publish_ok("ca-post", record_published(subj=subj, status="NOTICE_PENDING"))
    await w.publish_ok("ca-post", status_changed(status="HEARING_PENDING"))
    await w.publish_ok("ca-post", status_changed(status="FINAL"))  # final, but fair process not attested
    assert await notices(w, austin) == []
    assert await outbox_rows(w.pool) == []

    await w.publish_ok("ca-post", status_changed(status="FINAL", attested=True))
    [notice] = await notices(w, austin)
    assert notice["type"] == "record.visible"
    record = notice["data"]["record"]
    assert set(record) == RECORD_FIELDS_FOR_HIRING
    assert record["status"] == "FINAL" and record["fairProcessAttested"] is True
    assert record["narrative"] == "Falsified reports in three cases."
    assert notice["data"]["officer"] == {"id": officer, "primaryName": {"fullName": "John Doe"}}
    assert not {"dateOfBirth", "ssn", "ssnBlindIndex", "queryLog", "statusHistory"} & _walk_keys(notice["data"])

    # the same record, read through the API by the same agency, shows the same values
    read = await w.ok("query($id: ID!) { record(id: $id, purpose: CONTINUOUS_MONITORING) { narrative status } }",
                      {"id": record["id"]}, token=austin)
    assert read["record"] == {"narrative": record["narrative"], "status": "FINAL"}

    # a change while visible is told; the record leaving the agency's view is told with its id only
    await w.publish_ok("ca-post", {**status_changed(status="OVERTURNED"), "reason": "appeal granted"})
    changed = (await notices(w, austin))[1:]
    assert [n["type"] for n in changed] == ["record.withdrawn"]
    assert changed[0]["data"]["record"] == {"id": record["id"]}


async def test_a_record_naming_the_officer_by_name_is_told_too(mworld: World) -> None:
    """A record naming the officer by name and birth date (matched by identity, applied one event at a time) tells
    the enrollee as one naming the registry ID does; a record about somebody new (registered by the event) tells
    nobody."""
    w = mworld
    officer = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, officer)
    [mine, new] = await w.publish_ok("ca-post", record_published(subj=subject("John", "Doe", "1985-04-12"),
                                                                 status="FINAL", attested=True),
                                     record_published(source="rec-2", subj=subject("Wanda", "Oyelaran", "1979-11-30"),
                                                      status="FINAL", attested=True))
    assert mine["officerId"] == officer and new["officerId"] != officer
    [notice] = await notices(w, austin)
    assert notice["type"] == "record.visible" and notice["officerId"] == officer


async def test_notice_is_a_logged_disclosure(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w)
    await enroll(w, agency_token(w), officer)
    await w.publish_ok("ca-post", record_published(subj={"registryId": officer}, status="FINAL", attested=True))
    log = await w.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole actorOrganization "
                     "purpose returned } } } } }", {"id": officer}, as_="officer", officer_id=officer)
    [entry] = [e["node"] for e in log["officer"]["queryLog"]["edges"]]
    assert entry["actorRole"] == "hiring_agency" and entry["actorOrganization"] == AGENCY
    assert entry["purpose"] == "CONTINUOUS_MONITORING"
    assert list(entry["returned"]) == ["MisconductRecord"]


async def test_partner_gets_certification_status_only(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w, number="555001")
    austin, partner = agency_token(w), partner_token(w)
    await enroll(w, austin, officer)
    await enroll(w, partner, officer)

    await w.publish_ok("ca-post", record_published(subj={"registryId": officer}, kind="SUSPENSION", status="FINAL",
                                                     attested=True))
    await w.publish_ok("ca-post", cert_status_changed("cert-555001", "SUSPENDED", reason="pending review"))
    await w.publish_ok("ca-post", cert_status_changed("cert-555001", "SUSPENDED", reason="only the reason changes"))

    partner_notices = await notices(w, partner)
    assert [n["type"] for n in partner_notices] == ["certification.status_changed"]
    data = partner_notices[0]["data"]
    assert set(data["certification"]) == PARTNER_CERT_FIELDS
    assert data["certification"] | {"expiresOn": None} == {
        "state": "CA", "number": "555001", "kind": "PEACE_OFFICER", "status": "SUSPENDED", "expiresOn": None,
        "previousStatus": "ACTIVE"}
    assert data["officer"] is None  # a partner may not read an officer (names, date of birth)
    assert "record" not in data and not {"names", "dateOfBirth", "fullName", "narrative"} & _walk_keys(data)

    agency_notices = await notices(w, austin)
    assert [n["type"] for n in agency_notices] == ["record.visible", "certification.status_changed"]
    cert = agency_notices[1]["data"]["certification"]
    assert cert["status"] == "SUSPENDED" and cert["statusReason"] == "pending review"  # an agency reads it all
    assert cert["previousStatus"] == "ACTIVE"


async def test_notices_and_outbox_roll_back_with_a_rejected_batch(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, officer)
    async with receiving(Receiver()) as url:
        await register(w, austin, url)
        result = await w.publish(
            "ca-post",
            record_published(subj={"registryId": officer}, status="FINAL", attested=True),
            status_changed(source="no-such-record"),  # rejected: the whole batch is not applied
        )
        assert not result["committed"]
        dry = await w.publish("ca-post", record_published(subj={"registryId": officer}, status="FINAL",
                                                          attested=True), dry_run=True)
        assert dry["accepted"] == 1 and not dry["committed"]
    assert await notices(w, austin) == []
    assert await outbox_rows(w.pool) == []


async def test_one_outbox_row_per_enrollee_and_endpoint(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w)
    austin, seattle, partner = agency_token(w), agency_token(w, OTHER_AGENCY), partner_token(w)
    for t in (austin, seattle, partner):
        await enroll(w, t, officer)
    async with receiving(Receiver()) as url:
        await register(w, austin, url)
        await register(w, austin, url + "?second")
        await register(w, seattle, url)
        await register(w, partner, url)
        await w.publish_ok("ca-post", record_published(subj={"registryId": officer}, status="FINAL", attested=True))
        rows = await outbox_rows(w.pool)
        # the record is visible to both agencies (two endpoints for Austin), not to the partner
        assert sorted((r["owner_id"], r["event_type"]) for r in rows) == sorted(
            [(AGENCY, "record.visible")] * 2 + [(OTHER_AGENCY, "record.visible")])
        austin_ids = {r["webhook_id"] for r in rows if r["owner_id"] == AGENCY}
        assert len(austin_ids) == 1  # one notice, one webhook-id, on every endpoint and every attempt
        await worker(w).drain()
