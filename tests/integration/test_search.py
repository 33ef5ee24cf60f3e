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


async def test_search_leaves_out_candidates_with_nothing_but_a_shared_key(world: World) -> None:
    """Score-0 noise is not an answer: officers who share only a birth date (a blocking key) with the query,
    whose names contradict it, are not listed; the one close match and a near-miss with a date typo are."""
    same = await world.publish_ok("ca-post", cert_issued(number="7", subj=subject("Nora", "Ellison", "1983-06-14")))
    typo = await world.publish_ok("ca-post", cert_issued(number="8", subj=subject("Nora", "Ellison", "1983-06-15")))
    for i, (given, family) in enumerate((("Victor", "Tran"), ("Grace", "Okafor"), ("Omar", "Haddad"))):
        await world.publish_ok("ca-post", cert_issued(number=f"9{i}", subj=subject(given, family, "1983-06-14")))
    found = await search(world, givenName="Nora", familyName="Ellison", dateOfBirth="1983-06-14")
    assert [m["officer"]["id"] for m in found] == [same[0]["officerId"], typo[0]["officerId"]]
    assert all(m["score"] >= 0.01 for m in found)


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


async def test_a_second_publisher_links_on_the_ssn_and_sends_names_alone_to_review(world: World) -> None:
    """Name, middle initial and birth date agree: without an identifier that is a review, not a merge (two people
    can share all three); with the same SSN it links."""
    ca = await world.publish_ok("ca-post", cert_issued(subj=subject("Daniel", "Whitfield", "1979-08-14",
                                                                      name_extra={"middleName": "Ray"})),
                                ssn="287-65-4321")
    tx = await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number="TX-1",
                                                        subj=subject("Daniel", "Whitfield", "1979-08-14",
                                                                     name_extra={"middleName": "R"})))
    assert ca[0]["officerId"] != tx[0]["officerId"]
    proposal = await world.pool.fetchrow("SELECT officer_id, candidate_id, score FROM link_proposals")
    assert proposal is not None and (proposal["officer_id"], proposal["candidate_id"]) == (tx[0]["officerId"],
                                                                                           ca[0]["officerId"])
    again = await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number="TX-2",
                                                           subj=subject("Danny", "Whitfield", "1979-08-14"),
                                                           source="tx-2"), ssn="287654321")
    assert again[0]["officerId"] == ca[0]["officerId"]


# --- by SSN (hiring agencies, auditors, publishers) ---------------------------------------------------------------

SSN = "287-65-4321"
BY_SSN = """query($i: OfficerSearchInput!) { searchOfficers(input: $i, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {
  score strong reasons officer { id primaryName { fullName } } } }"""
BY_SSN_NO_PURPOSE = BY_SSN.replace(", purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK", "")


async def _with_ssn(world: World) -> tuple[str, str]:
    rows = await world.publish_ok("ca-post", cert_issued(number="1", subj=subject("Rosa", "Delgado", "1983-07-21")),
                                  ssn=SSN)
    other = await world.publish_ok("ca-post", cert_issued(number="2", subj=subject("Rosa", "Delgado", "1983-07-21",
                                                                                    name_extra={"middleName": "M"}),
                                                          source="c-2"), ssn="512-34-9876")
    return rows[0]["officerId"], other[0]["officerId"]


def _no_ssn_in(text: str) -> None:
    digits = SSN.replace("-", "")
    assert digits not in text.replace("-", "").replace(" ", ""), "the SSN was echoed back"


async def test_a_hiring_agency_finds_an_officer_by_ssn_alone(world: World) -> None:
    mine, _ = await _with_ssn(world)
    resp = await world.post(BY_SSN, {"i": {"ssn": SSN}}, token=world.token("hiring_agency", agency_ori="WA0170000"))
    body = resp.json()
    assert not body.get("errors"), body
    [hit] = body["data"]["searchOfficers"]
    assert hit["officer"]["id"] == mine and hit["reasons"] == ["Social Security number matches"]
    assert not hit["strong"]  # an SSN alone, with no name to compare, is for a person to judge
    _no_ssn_in(resp.text)
    log = await world.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole purpose "
                         "returned } } } } }", {"id": mine}, as_="officer", officer_id=mine)
    [entry] = [e["node"] for e in log["officer"]["queryLog"]["edges"]]
    assert entry == {"actorRole": "hiring_agency", "purpose": "PRE_EMPLOYMENT_BACKGROUND_CHECK",
                     "returned": {"Officer": [mine], "OfficerMatch": [mine]}}
    stored = await world.pool.fetch("SELECT purpose::text, returned::text, actor_subject FROM query_log")
    _no_ssn_in(repr([tuple(r) for r in stored]))


async def test_the_ssn_separates_namesakes_in_a_name_search(world: World) -> None:
    mine, other = await _with_ssn(world)
    for role, bindings in (("hiring_agency", {"agency_ori": "WA0170000"}), ("auditor", {})):
        purpose = "PRE_EMPLOYMENT_BACKGROUND_CHECK" if role == "hiring_agency" else "OVERSIGHT_AUDIT"
        query = BY_SSN.replace("PRE_EMPLOYMENT_BACKGROUND_CHECK", purpose)
        data = await world.ok(query, {"i": {"givenName": "Rosa", "familyName": "Delgado", "dateOfBirth": "1983-07-21",
                                            "ssn": SSN}}, as_=role, **bindings)
        hits = data["searchOfficers"]
        assert [h["officer"]["id"] for h in hits] == [mine, other], role
        assert hits[0]["strong"] and "Social Security number matches" in hits[0]["reasons"]
        assert not hits[1]["strong"] and "but Social Security number differs" in hits[1]["reasons"]


async def test_an_ssn_search_needs_a_purpose(world: World) -> None:
    await _with_ssn(world)
    body = await world.gql(BY_SSN_NO_PURPOSE, {"i": {"ssn": SSN}}, as_="hiring_agency", agency_ori="WA0170000")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PURPOSE_REQUIRED"]
    assert not (body.get("data") or {}).get("searchOfficers")


async def test_an_ssn_search_is_refused_to_partners_officers_and_the_public(world: World) -> None:
    mine, _ = await _with_ssn(world)
    callers: tuple[tuple[str | None, dict[str, Any]], ...] = (
        ("partner", {"partner_id": "acme-hr"}), ("officer", {"officer_id": mine}), (None, {}))
    for role, bindings in callers:
        resp = await world.post(BY_SSN, {"i": {"ssn": SSN}},
                                token=world.token(role, **bindings) if role else None)
        body = resp.json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], (role, body)
        assert not (body.get("data") or {}).get("searchOfficers")
        _no_ssn_in(resp.text)
    assert await world.pool.fetchval("SELECT count(*) FROM query_log") == 0


async def test_a_malformed_ssn_is_refused_without_repeating_it(world: World) -> None:
    resp = await world.post(BY_SSN, {"i": {"ssn": "666-45-6789"}},
                            token=world.token("hiring_agency", agency_ori="WA0170000"))
    body = resp.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first three digits" in body["errors"][0]["message"] and "456789" not in resp.text


async def test_search_needs_enough_to_go_on(world: World) -> None:
    body = await world.gql(SEARCH, {"i": {"familyName": "Smith"}}, as_="hiring_agency", agency_ori="WA0170000")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
