"""A certification status that reports misconduct stands on a settled record of its publisher (auth.derived)."""

from __future__ import annotations

from typing import Any

from tests.support import World, _base, cert_issued, record_published, status_changed

CERT_SOURCE = "cert-100001"
STATUS = """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  certifications { edges { node { status statusReason } } } } }"""


def cert_status(status: str, reason: str = "Board decision", publisher: str = "ca-post") -> dict[str, Any]:
    return {**_base("certification.status_changed", publisher, None), "certificationSourceId": CERT_SOURCE,
            "status": status, "reason": reason}


async def _officer(world: World) -> str:
    oid: str = (await world.publish_ok("ca-post", cert_issued()))[0]["officerId"]
    return oid


async def _refused(world: World, *events: dict[str, Any], publisher: str = "ca-post") -> str:
    result = await world.publish(publisher, *events)
    assert not result["committed"], result
    bad = next(r for r in result["results"] if r["status"] == "REJECTED")
    assert bad["code"] == "CONFLICT", bad
    message: str = bad["message"]
    return message


async def test_revocation_waits_for_a_settled_decertification(world: World) -> None:
    oid = await _officer(world)
    ref = {"registryId": oid}
    await world.publish_ok("ca-post", record_published(subj=ref, kind="DECERTIFICATION"))
    message = await _refused(world, cert_status("REVOKED"))
    assert "DECERTIFICATION" in message and "FINAL with fair process attested" in message
    await world.publish_ok("ca-post", status_changed(status="FINAL"))  # final, but fair process not attested
    await _refused(world, cert_status("REVOKED"))
    await world.publish_ok("ca-post", status_changed(status="FINAL", attested=True))
    await world.publish_ok("ca-post", cert_status("REVOKED", "Decertified, case CASE-2021-77"))
    data = await world.ok(STATUS, {"id": oid}, as_="hiring_agency", agency_ori="TX2270000")
    assert data["officer"]["certifications"]["edges"][0]["node"] == {
        "status": "REVOKED", "statusReason": "Decertified, case CASE-2021-77"}


async def test_a_suspension_needs_a_suspension_record_not_another_kind(world: World) -> None:
    oid = await _officer(world)
    await world.publish_ok("ca-post", record_published(subj={"registryId": oid}, kind="DECERTIFICATION",
                                                       status="FINAL", attested=True))
    assert "SUSPENSION" in await _refused(world, cert_status("SUSPENDED"))
    # another publisher's settled record does not back this board's status (it may not read that record)
    await world.publish_ok("sunnyvale-dps", record_published(
        publisher="sunnyvale-dps", source="susp", subj={"registryId": oid}, kind="SUSPENSION", agency="CA0010000",
        status="FINAL", attested=True))
    await _refused(world, cert_status("SUSPENDED"))
    await world.publish_ok("ca-post", record_published(source="susp-board", subj={"registryId": oid},
                                                       kind="SUSPENSION", status="FINAL", attested=True))
    await world.publish_ok("ca-post", cert_status("SUSPENDED"))


async def test_a_new_certification_cannot_start_revoked_without_a_record(world: World) -> None:
    message = await _refused(world, cert_issued(number="200002", status="REVOKED"))
    assert "REVOKED" in message
    await world.publish_ok("ca-post", cert_issued(number="200003", status="INACTIVE"))


async def test_the_record_cannot_leave_final_while_a_revocation_stands_on_it(world: World) -> None:
    oid = await _officer(world)
    await world.publish_ok("ca-post", record_published(subj={"registryId": oid}, kind="DECERTIFICATION",
                                                       status="FINAL", attested=True))
    await world.publish_ok("ca-post", cert_status("REVOKED"))
    message = await _refused(world, status_changed(status="OVERTURNED"))
    assert "CA certification 100001 is REVOKED" in message and "change the certification's status first" in message
    await _refused(world, status_changed(status="EXPUNGED"))
    # a second settled decertification also backs the revocation, so the first may go
    await world.publish_ok("ca-post", record_published(source="rec-2", subj={"registryId": oid},
                                                       kind="DECERTIFICATION", status="FINAL", attested=True))
    await world.publish_ok("ca-post", status_changed(status="OVERTURNED"))
    await _refused(world, status_changed(source="rec-2", status="RESCINDED"))
    await world.publish_ok("ca-post", cert_status("ACTIVE", "Reinstated"))
    await world.publish_ok("ca-post", status_changed(source="rec-2", status="RESCINDED"))
