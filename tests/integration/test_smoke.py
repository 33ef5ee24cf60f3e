from __future__ import annotations

from tests.support import World, cert_issued, record_published, status_changed


async def test_publish_and_read_back(world: World) -> None:
    rows = await world.publish_ok("ca-post", cert_issued())
    assert rows[0]["status"] == "ACCEPTED"
    officer_id = rows[0]["officerId"]
    await world.publish_ok("ca-post", record_published(subj={"registryId": officer_id}),
                           status_changed(status="FINAL", attested=True))
    data = await world.ok(
        """query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
             id primaryName { fullName } dateOfBirth
             certifications { edges { node { state number status } } }
             records { totalCount edges { node { kind status narrative fairProcessAttested } } } } }""",
        {"id": officer_id}, as_="hiring_agency", agency_ori="TX2270000")
    officer = data["officer"]
    assert officer["primaryName"]["fullName"] == "John Doe"
    assert officer["records"]["edges"][0]["node"]["status"] == "FINAL"
