"""Answers to a publisher do not depend on facts it may not read: comparisons with officers outside its
jurisdiction name no field, hide the officer's ID when nothing is published, are logged for the officer
and are bounded per day."""

from __future__ import annotations

from typing import Any

from publishing.subjects import IDENTITY_REFUSALS_PER_DAY
from tests.support import World, cert_issued, subject

TRUE_DOB = "1977-09-14"
SSN = "287-65-4321"


async def _ca_officer(world: World, ssn: str | None = None) -> str:
    person = subject("Marisol", "Okafor", TRUE_DOB, name_extra={"middleName": "June"})
    oid: str = (await world.publish_ok("ca-post", cert_issued(number="CA-3141", subj=person), ssn=ssn))[0]["officerId"]
    return oid


def _tx_cert(n: int, subj: dict[str, Any]) -> dict[str, Any]:
    return cert_issued(publisher="tx-tcole", state="TX", number=f"TX-{n:04d}", subj=subj)


async def _log(world: World, officer_id: str) -> list[dict[str, Any]]:
    data = await world.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole "
                          "actorOrganization purpose returned } } } } }", {"id": officer_id}, as_="officer",
                          officer_id=officer_id)
    return [e["node"] for e in data["officer"]["queryLog"]["edges"]]


async def test_guessing_a_birth_date_by_dry_run_is_not_an_oracle(world: World) -> None:
    oid = await _ca_officer(world)
    guesses = [_tx_cert(i, {"registryId": oid, "dateOfBirth": f"1977-{1 + i % 12:02d}-{1 + i:02d}"})
               for i in range(25)]
    result = await world.publish("tx-tcole", *guesses, dry_run=True)
    codes = [r["code"] for r in result["results"]]
    assert codes == ["CONFLICT"] * IDENTITY_REFUSALS_PER_DAY + ["RATE_LIMITED"] * 5, codes
    messages = {r["message"] for r in result["results"][:IDENTITY_REFUSALS_PER_DAY]}
    assert messages == {f"the event names officer {oid}"}  # no field named, so no birth-date oracle
    # the bound holds across batches, and the true birth date is then refused too, whatever it is
    again = await world.publish("tx-tcole", _tx_cert(99, {"registryId": oid, "dateOfBirth": TRUE_DOB}), dry_run=True)
    assert again["results"][0]["code"] == "RATE_LIMITED"
    log = await _log(world, oid)
    assert len(log) == IDENTITY_REFUSALS_PER_DAY
    assert {(e["actorRole"], e["actorOrganization"], e["purpose"]) for e in log} == {
        ("publisher", "tx-tcole", "CERTIFICATION_ACTION")}
    assert all(e["returned"] == {"IdentityRefused": [oid]} for e in log)


async def test_the_own_jurisdiction_still_gets_the_detail(world: World) -> None:
    oid = await _ca_officer(world)
    wrong = cert_issued(number="CA-2718", subj={"registryId": oid, "dateOfBirth": "1977-09-15"})
    result = await world.publish("ca-post", wrong, dry_run=True)
    assert result["results"][0]["code"] == "CONFLICT"
    assert "date of birth differs" in result["results"][0]["message"]
    assert await _log(world, oid) == []


async def test_a_dry_run_match_outside_the_jurisdiction_shows_no_registry_id_and_is_logged(world: World) -> None:
    oid = await _ca_officer(world, ssn=SSN)
    # the same SSN links (a name and birth date alone go to review, never to an automatic link)
    same_person = subject("Marisol", "Okafor", TRUE_DOB, name_extra={"middleName": "J."})
    result = await world.publish("tx-tcole", _tx_cert(1, same_person), dry_run=True, ssn=SSN)
    [row] = result["results"]
    assert row["status"] == "ACCEPTED" and row["officerId"] is None, row
    assert await _log(world, oid) == [{"actorRole": "publisher", "actorOrganization": "tx-tcole",
                                       "purpose": "CERTIFICATION_ACTION", "returned": {"IdentityCheck": [oid]}}]
    # published for real, the link is a signed, logged fact: the board now holds the officer in its jurisdiction
    [row] = await world.publish_ok("tx-tcole", _tx_cert(1, same_person), ssn=SSN)
    assert row["officerId"] == oid


async def test_a_certification_number_of_the_boards_own_state_says_which_field_differs(world: World) -> None:
    """A board compares a number with its own certifications (a board certifies only in its state)."""
    await _ca_officer(world)
    other = subject("Bruno", "Lindqvist", "1990-01-01")
    wrong = cert_issued(publisher="ca-post", number="CA-3141", kind="CORRECTIONS", subj=other, source="c2")
    [row] = (await world.publish("ca-post", wrong, dry_run=True))["results"]
    assert row["code"] == "CONFLICT", row
    assert row["message"] == ("CA certification number CA-3141 belongs to a different person: "
                              "the date of birth differs from the one on file")
