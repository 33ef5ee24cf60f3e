"""Search finds the same person across states despite noise, and does not merge namesakes or twins."""

from __future__ import annotations

from typing import Any

from tests.support import World, cert_issued, subject

SEARCH = """query($i: OfficerSearchInput!) { searchOfficers(input: $i, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  score strong reasons officer { id primaryName { fullName } dateOfBirth } } }"""


async def search(world: World, **inp: Any) -> list[dict[str, Any]]:
    data = await world.ok(SEARCH, {"i": inp}, as_="hiring_agency", agency_ori="WA0170000")
    result: list[dict[str, Any]] = data["searchOfficers"]
    return result


async def test_nickname_and_swapped_date_find_the_person(world: World) -> None:
    rows = await world.publish_ok("ca-post", cert_issued(subj=subject("William", "Garcia-Lopez", "1980-03-07")))
    target = rows[0]["officerId"]
    found = await search(world, givenName="Bill", familyName="Garcia", dateOfBirth="1980-07-03")
    assert found and found[0]["officer"]["id"] == target
    assert any("nickname" in r for r in found[0]["reasons"])


async def test_certification_number_search(world: World) -> None:
    rows = await world.publish_ok("ca-post", cert_issued(number="A-5501"))
    found = await search(world, state="ca", certificationNumber="A-5501")
    assert [m["officer"]["id"] for m in found] == [rows[0]["officerId"]]
    assert found[0]["strong"]


async def test_twins_and_namesakes_are_not_merged(world: World) -> None:
    a = await world.publish_ok("ca-post", cert_issued(number="1", subj=subject("Michael", "Johnson", "1975-01-02")))
    b = await world.publish_ok("ca-post", cert_issued(number="2", subj=subject("Michael", "Johnson", "1988-09-30")))
    t1 = await world.publish_ok("ca-post", cert_issued(number="3", subj=subject("Ethan", "Brooks", "1990-05-05")))
    t2 = await world.publish_ok("ca-post", cert_issued(number="4", subj=subject("Lucas", "Brooks", "1990-05-05")))
    ids = {r[0]["officerId"] for r in (a, b, t1, t2)}
    assert len(ids) == 4, "publishing merged different people"
    found = await search(world, givenName="Ethan", familyName="Brooks", dateOfBirth="1990-05-05")
    assert found[0]["officer"]["id"] == t1[0]["officerId"]
    twin = [m for m in found if m["officer"]["id"] == t2[0]["officerId"]]
    assert not twin or (not twin[0]["strong"] and twin[0]["score"] < found[0]["score"])


async def test_second_publisher_links_on_strong_evidence(world: World) -> None:
    ca = await world.publish_ok("ca-post", cert_issued(subj=subject("Daniel", "Whitfield", "1979-08-14",
                                                                      name_extra={"middleName": "Ray"})))
    tx = await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number="TX-1",
                                                        subj=subject("Daniel", "Whitfield", "1979-08-14",
                                                                     name_extra={"middleName": "R"})))
    assert ca[0]["officerId"] == tx[0]["officerId"]


async def test_search_needs_enough_to_go_on(world: World) -> None:
    body = await world.gql(SEARCH, {"i": {"familyName": "Smith"}}, as_="hiring_agency", agency_ori="WA0170000")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
