"""A partner enrolls by what it knows (Nursys e-Notify style): a state certification number and the holder's
birth date. The birth date guards against typos; since a partner may not read birth dates, each mismatch is
disclosed to the officer (query log) and budgeted, and no answer about a mismatch carries a registry ID."""

from __future__ import annotations

import json

from monitoring import roster
from tests.integration.monitoring_support import mworld, new_officer, partner_token
from tests.support import World

__all__ = ["mworld"]

ENROLL = """mutation($s: String!, $n: String!, $d: Date!) { enrollByCertification(state: $s, number: $n,
  dateOfBirth: $d) { status officerId enrollmentId reason } }"""
REPORT = "{ enrolled notEnrolled rows { line status officerId enrollmentId reason } }"


async def _enroll(w: World, token: str, number: str, dob: str, state: str = "CA") -> dict[str, object]:
    body = await w.gql(ENROLL, {"s": state, "n": number, "d": dob}, token=token)
    assert not body.get("errors"), body
    row: dict[str, object] = body["data"]["enrollByCertification"]
    return row


async def test_a_partner_enrolls_by_number_and_birth_date(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w, "500001", "Alice", "Smith", "1980-02-03")
    token = partner_token(w)
    done = await _enroll(w, token, "500001", "1980-02-03", state="ca")
    assert done["status"] == "ENROLLED" and done["officerId"] == officer and done["enrollmentId"]
    again = await _enroll(w, token, "500001", "1980-02-03")
    assert again["status"] == "ALREADY_ENROLLED"
    listed = await w.ok("{ enrollments { edges { node { officerId } } } }", token=token)
    assert [e["node"]["officerId"] for e in listed["enrollments"]["edges"]] == [officer]

    # a typo in the number, or a number nobody holds: what verifyCertification would say
    assert (await _enroll(w, token, "599999", "1980-02-03"))["status"] == "NOT_FOUND"
    # the roster upload takes the same rows (and refuses a row without the birth date)
    csv = "state,certification_number,date_of_birth\nCA,500001,1980-02-03\nCA,500001,\n"
    body = await w.gql(f"mutation($c: String!) {{ enrollRoster(csv: $c) {REPORT} }}", {"c": csv}, token=token)
    rows = body["data"]["enrollRoster"]["rows"]
    assert [r["status"] for r in rows] == ["ALREADY_ENROLLED", "INVALID"]
    assert "date_of_birth" in rows[1]["reason"]


async def test_a_wrong_birth_date_is_a_bounded_disclosed_check(mworld: World) -> None:
    w = mworld
    officer = await new_officer(w, "500002", "Bob", "Jones", "1979-05-06")
    token = partner_token(w)
    wrong = await _enroll(w, token, "500002", "1979-05-07")
    assert wrong["status"] == "MISMATCH" and wrong["officerId"] is None and wrong["enrollmentId"] is None
    assert officer not in json.dumps(wrong)
    # names are not compared for a caller who may not read them (that would answer more than the date)
    csv = "state,certification_number,date_of_birth,given_name,family_name\nCA,500002,1979-05-06,Zed,Quux\n"
    body = await w.gql(f"mutation($c: String!) {{ enrollRoster(csv: $c) {REPORT} }}", {"c": csv}, token=token)
    assert body["data"]["enrollRoster"]["rows"][0]["status"] == "ENROLLED"

    # the officer sees the mismatch in the query log, by the partner
    log = await w.ok("query($id: ID!) { officer(id: $id) { queryLog { edges { node { actorRole actorOrganization "
                     "returned } } } } }", {"id": officer}, as_="officer", officer_id=officer)
    kinds = [(n["actorRole"], list(n["returned"])) for n in (e["node"] for e in log["officer"]["queryLog"]["edges"])]
    assert ("partner", [roster.MISMATCH_KIND]) in kinds

    # at most DOB_MISMATCHES_PER_DAY wrong dates a day; then LIMITED, even for the right date
    for day in range(1, roster.DOB_MISMATCHES_PER_DAY):
        assert (await _enroll(w, token, "500002", f"1979-06-{day:02d}"))["status"] == "MISMATCH"
    limited = await _enroll(w, token, "500002", "1979-07-01")
    assert limited["status"] == "LIMITED" and limited["officerId"] is None
    other = await new_officer(w, "500003", "Carol", "White", "1990-07-08")
    assert (await _enroll(w, token, "500003", "1990-07-08"))["status"] == "LIMITED"
    # another partner has its own budget
    assert (await _enroll(w, partner_token(w, "other-partner"), "500003", "1990-07-08"))["officerId"] == other


async def test_hiring_agencies_keep_their_name_checks(mworld: World) -> None:
    """An agency may read names and birth dates: its rows are compared as before (and say why)."""
    w = mworld
    await new_officer(w, "500004", "Dave", "Brown", "1975-01-01")
    token = w.token("hiring_agency", agency_ori="TX2270000")
    csv = "state,certification_number,family_name\nCA,500004,Green\n"
    body = await w.gql(f"mutation($c: String!) {{ enrollRoster(csv: $c) {REPORT} }}", {"c": csv}, token=token)
    row = body["data"]["enrollRoster"]["rows"][0]
    assert row["status"] == "MISMATCH" and "family_name" in row["reason"] and row["officerId"] is None
