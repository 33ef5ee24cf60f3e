"""EO 13929 Sec. 2 and 3(d): the Attorney General certifies credentialing bodies, bodies publish agency
credentials, and grant eligibility is computed from the data — all through signed events and the API."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.support import PUBLISH, World, record_published

AG = "doj-ag"           # the Attorney General's certifying authority (its key signs certification decisions)
BODY = "calea"          # a credentialing body
OTHER_BODY = "rogue-accreditor"
CA_AGENCY, TX_AGENCY = "CA0010000", "TX2270000"
CONFIRMED = {"policyAdheresToLaw": True, "chokeholdsProhibitedExceptWhereDeadlyForceAllowed": True}
TOPICS = ["DE_ESCALATION_TRAINING", "EARLY_WARNING_SYSTEMS", "COMMUNITY_ENGAGEMENT"]


def _base(kind: str, publisher: str) -> dict[str, Any]:
    return {"type": kind, "publisher": publisher, "eventId": secrets.token_hex(6),
            "issuedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z")}


def certified(effective: str, version: str = "AG-2020.1", body: str = BODY, **extra: Any) -> dict[str, Any]:
    return {**_base("credentialing_body.certified", AG), "bodyId": body, "standardsVersion": version,
            "effectiveOn": effective, **extra}


def suspended(effective: str, body: str = BODY) -> dict[str, Any]:
    return {**_base("credentialing_body.suspended", AG), "bodyId": body, "effectiveOn": effective,
            "reason": "audit found standards not applied"}


def withdrawn(effective: str, body: str = BODY) -> dict[str, Any]:
    return {**_base("credentialing_body.withdrawn", AG), "bodyId": body, "effectiveOn": effective,
            "reason": "certification withdrawn by the Attorney General"}


def credential(source: str, status: str, status_date: str, *, ori: str = CA_AGENCY, body: str = BODY,
               confirmations: dict[str, Any] | None = None, topics: list[str] | None = None) -> dict[str, Any]:
    ev = {**_base("agency_credential.published", body), "sourceId": source, "agencyOri": ori, "status": status,
          "statusDate": status_date}
    if confirmations is not None:
        ev["confirmations"] = confirmations
    if topics is not None:
        ev["topicsReviewed"] = topics
    return ev


def credential_status(source: str, status: str, status_date: str, *, body: str = BODY,
                      confirmations: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    ev = {**_base("agency_credential.status_changed", body), "credentialSourceId": source, "status": status,
          "statusDate": status_date, **extra}
    if confirmations is not None:
        ev["confirmations"] = confirmations
    return ev


def nothing_to_report(publisher: str, ori: str, year: int) -> dict[str, Any]:
    return {**_base("reporting.nothing_to_report", publisher), "agencyOri": ori, "reportingYear": year,
            "statement": "no Sec. 3(b) instance occurred"}


def submitted(publisher: str, ori: str, year: int) -> dict[str, Any]:
    return {**_base("reporting.submitted", publisher), "agencyOri": ori, "reportingYear": year,
            "statement": "our Sec. 3(b) information for the year is published"}


async def submit(world: World, signer: str, *payloads: dict[str, Any], role: str = "publisher",
                 **bindings: Any) -> dict[str, Any]:
    """Sign with ``signer``'s key and submit with a token of ``role`` (default: the signer's own publisher token)."""
    if role == "publisher" and not bindings:
        bindings = {"publisher_id": signer}
    body = await world.gql(PUBLISH, {"e": [{"jws": world.sign(signer, p)} for p in payloads], "d": False},
                           as_=role, **bindings)
    if body.get("errors"):
        return {"errors": body["errors"]}
    result: dict[str, Any] = body["data"]["publishEvents"]
    return result


async def as_ag(world: World, *payloads: dict[str, Any]) -> dict[str, Any]:
    """An auditor, acting for the Attorney General, submits decisions signed with the AG office's key."""
    return await submit(world, AG, *payloads, role="auditor")


async def as_body(world: World, *payloads: dict[str, Any], body: str = BODY) -> dict[str, Any]:
    return await submit(world, body, *payloads, role="credentialing_body", publisher_id=body)


def ok(result: dict[str, Any]) -> list[dict[str, Any]]:
    assert result.get("committed"), result
    rows: list[dict[str, Any]] = result["results"]
    return rows


def refused(result: dict[str, Any]) -> tuple[str, str]:
    assert not result.get("committed"), result
    rejected = [r for r in result["results"] if r["status"] == "REJECTED"]
    return rejected[0]["code"], rejected[0]["message"]


async def register(world: World, pid: str, kind: str, name: str) -> None:
    await world.ok("mutation($i: PublisherInput!) { registerPublisher(input: $i) { id } }",
                   {"i": {"id": pid, "kind": kind, "name": name}}, as_="admin")
    await world.add_key(pid)


@pytest.fixture
async def eo(world: World) -> World:
    await register(world, AG, "CERTIFYING_AUTHORITY", "U.S. Attorney General, Office of Credentialing Oversight")
    await register(world, BODY, "CREDENTIALING_BODY", "Commission on Accreditation for Law Enforcement Agencies")
    await register(world, OTHER_BODY, "CREDENTIALING_BODY", "Rogue Accreditor")
    return world


BODY_Q = """query($id: ID!, $on: Date) { credentialingBody(id: $id) { id name status(on: $on) standardsVersion(on: $on)
  history { status standardsVersion effectiveOn validUntil reason certifyingAuthority recordedAt logIndex } } }"""


async def test_attorney_general_certifies_suspends_and_withdraws_with_history(eo: World) -> None:
    ok(await as_ag(eo, certified("2019-01-01", "AG-2020.1")))
    ok(await as_ag(eo, suspended("2022-03-01")))
    ok(await as_ag(eo, certified("2022-06-01", "AG-2022.1", validUntil="2027-05-31")))
    rows = ok(await as_ag(eo, withdrawn("2024-01-01")))
    assert rows[0]["entityId"] == BODY and rows[0]["logIndex"] is not None

    async def status_on(day: str) -> tuple[str | None, str | None]:
        body = (await eo.ok(BODY_Q, {"id": BODY, "on": day}))["credentialingBody"]  # anonymous: public
        return body["status"], body["standardsVersion"]

    assert await status_on("2018-12-31") == (None, None)
    assert await status_on("2020-07-01") == ("CERTIFIED", "AG-2020.1")
    assert await status_on("2022-04-01") == ("SUSPENDED", "AG-2020.1")
    assert await status_on("2023-01-01") == ("CERTIFIED", "AG-2022.1")
    assert await status_on("2025-01-01") == ("WITHDRAWN", "AG-2022.1")
    history = (await eo.ok(BODY_Q, {"id": BODY, "on": None}))["credentialingBody"]["history"]
    assert [h["status"] for h in history] == ["CERTIFIED", "SUSPENDED", "CERTIFIED", "WITHDRAWN"]
    assert {h["certifyingAuthority"] for h in history} == {AG}
    # each decision is a signed event in the transparency log, and the history is append-only
    async with eo.pool.acquire() as conn:
        logged = await conn.fetch("SELECT type, log_index FROM events WHERE publisher_id = $1 ORDER BY log_index", AG)
        assert [r["log_index"] for r in logged] == [h["logIndex"] for h in history]
        with pytest.raises(Exception, match="append-only"):
            await conn.execute("UPDATE credentialing_body_decisions SET status = 'CERTIFIED'")
    # who submitted a decision is for auditors only
    q = "{ credentialingBody(id: \"calea\") { history { submittedBy } } }"
    public = await eo.gql(q)
    assert public["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    auditor = await eo.ok(q, as_="auditor")
    assert {h["submittedBy"] for h in auditor["credentialingBody"]["history"]} == {"auditor-user"}
    listed = await eo.ok("{ credentialingBodies { id status } publishers { id kind } }")
    assert {b["id"] for b in listed["credentialingBodies"]} == {BODY, OTHER_BODY}
    assert {"id": AG, "kind": "CERTIFYING_AUTHORITY"} in listed["publishers"]


async def test_only_an_auditor_with_the_ag_key_decides_certification(eo: World) -> None:
    # the AG office's own publisher token is not enough: an auditor must submit
    code, message = refused(await submit(eo, AG, certified("2020-01-01")))
    assert code == "FORBIDDEN" and "auditor" in message
    # an auditor cannot submit anybody else's signed events ...
    for signer, event in [("ca-post", record_published()), (BODY, certified("2020-01-01") | {"publisher": BODY})]:
        body = await submit(eo, signer, event, role="auditor")
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    # ... and a credentialing body cannot certify itself
    code, message = refused(await as_body(eo, certified("2020-01-01") | {"publisher": BODY}))
    assert code == "FORBIDDEN" and "certifying authority" in message
    # a credentialing-body token must be bound to a registered credentialing body
    body = await submit(eo, "ca-post", record_published(), role="credentialing_body", publisher_id="ca-post")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # decisions go forward in time, and only a certified body can be suspended
    assert refused(await as_ag(eo, suspended("2020-01-01")))[0] == "CONFLICT"
    assert refused(await as_ag(eo, withdrawn("2020-01-01")))[0] == "CONFLICT"
    ok(await as_ag(eo, certified("2021-01-01")))
    code, message = refused(await as_ag(eo, suspended("2020-06-01")))
    assert code == "CONFLICT" and "before" in message
    assert refused(await as_ag(eo, certified("2021-02-01", body="ca-post")))[0] == "NOT_FOUND"
    # auditors still cannot publish ordinary events, even signed by the AG office
    assert refused(await as_ag(eo, record_published(publisher=AG)))[0] == "FORBIDDEN"


CREDS_Q = """query($ori: String!) { agencyCredentials(ori: $ori) { id agencyOri status statusDate expiresOn
  policyAdheresToLaw chokeholdsProhibitedExceptWhereDeadlyForceAllowed topicsReviewed standardsVersion
  agency { name } body { id name status }
  history { status statusDate policyAdheresToLaw chokeholdsProhibitedExceptWhereDeadlyForceAllowed logIndex } } }"""


async def test_agency_credentials_need_a_certified_body_and_both_confirmations(eo: World) -> None:
    code, message = refused(await as_body(eo, credential("c-1", "APPLIED", "2020-05-01")))
    assert code == "BODY_NOT_CERTIFIED" and "not certified" in message
    ok(await as_ag(eo, certified("2020-01-01", "AG-2020.1")))
    # not certified at the time of the status, even though certified now
    assert refused(await as_body(eo, credential("c-1", "APPLIED", "2019-11-01")))[0] == "BODY_NOT_CERTIFIED"
    # GRANTED needs both Sec. 2(c) confirmations, and only a JSON true counts
    for confirmations in (None, {**CONFIRMED, "chokeholdsProhibitedExceptWhereDeadlyForceAllowed": False},
                          {**CONFIRMED, "policyAdheresToLaw": False}):
        code, message = refused(await as_body(eo, credential("c-1", "GRANTED", "2021-02-01",
                                                             confirmations=confirmations)))
        assert code == "CONFIRMATIONS_REQUIRED" and "chokeholds" in message
    code, _ = refused(await as_body(eo, credential("c-1", "GRANTED", "2021-02-01",
                                                   confirmations={**CONFIRMED, "policyAdheresToLaw": "true"})))
    assert code == "BAD_USER_INPUT"
    # a body may not publish for someone else, nor dates in the future
    assert refused(await as_body(eo, credential("c-9", "APPLIED", "2020-05-01", body=OTHER_BODY),
                                 body=OTHER_BODY))[0] == "BODY_NOT_CERTIFIED"
    assert refused(await as_body(eo, credential("c-9", "APPLIED", "2999-01-01")))[0] == "BAD_USER_INPUT"

    ok(await as_body(eo, credential("c-1", "APPLIED", "2020-05-01")))
    ok(await as_body(eo, credential_status("c-1", "IN_PROCESS", "2020-09-01")))
    # the confirmations can come with the status that grants
    assert refused(await as_body(eo, credential_status("c-1", "GRANTED", "2021-02-01")))[0] == "CONFIRMATIONS_REQUIRED"
    ok(await as_body(eo, credential_status("c-1", "GRANTED", "2021-02-01", confirmations=CONFIRMED,
                                           topicsReviewed=TOPICS, expiresOn="2025-01-31")))
    [cred] = (await eo.ok(CREDS_Q, {"ori": CA_AGENCY}))["agencyCredentials"]  # public
    assert cred["status"] == "GRANTED" and cred["expiresOn"] == "2025-01-31"
    assert cred["policyAdheresToLaw"] and cred["chokeholdsProhibitedExceptWhereDeadlyForceAllowed"]
    assert sorted(cred["topicsReviewed"]) == sorted(TOPICS)
    assert cred["standardsVersion"] == "AG-2020.1" and cred["body"]["id"] == BODY
    assert cred["agency"]["name"] == "Sunnyvale Department of Public Safety"
    assert [h["status"] for h in cred["history"]] == ["APPLIED", "IN_PROCESS", "GRANTED"]
    assert all(h["logIndex"] is not None for h in cred["history"])
    # a status cannot be dated before the current one; only a granted credential expires
    assert refused(await as_body(eo, credential_status("c-1", "REVOKED", "2020-01-01")))[0] == "CONFLICT"
    ok(await as_body(eo, credential("c-2", "APPLIED", "2021-03-01", ori=TX_AGENCY)))
    assert refused(await as_body(eo, credential_status("c-2", "EXPIRED", "2021-04-01")))[0] == "CONFLICT"
    # the database itself refuses a GRANTED credential without the confirmations, whatever path wrote it
    async with eo.pool.acquire() as conn:
        with pytest.raises(Exception, match="check"):
            await conn.execute("UPDATE agency_credentials SET policy_adheres_to_law = false WHERE source_id = 'c-1'")

    # once the body is withdrawn it cannot publish new statuses (not even backdated ones), but may end credentials
    ok(await as_ag(eo, withdrawn("2023-07-01")))
    assert refused(await as_body(eo, credential("c-3", "APPLIED", "2022-01-01", ori=TX_AGENCY)))[0] == \
        "BODY_NOT_CERTIFIED"
    ok(await as_body(eo, credential_status("c-1", "REVOKED", "2023-08-01", reason="body withdrawn")))


ELIG_Q = """query($ori: String!, $year: Int!) { grantEligibility(ori: $ori, year: $year) { ori year periodStart
  periodEnd eligible credentialRequirementMet submissionRequirementMet reasons agency { name }
  qualifyingCredential { id status body { id } } } }"""


async def eligibility(world: World, ori: str, year: int) -> dict[str, Any]:
    result: dict[str, Any] = (await world.ok(ELIG_Q, {"ori": ori, "year": year}))["grantEligibility"]
    return result


async def build_history(eo: World) -> None:
    """Sunnyvale (CA0010000): applied 2020-05, granted 2021-02 by a body certified 2020-01 .. 2023-06-30;
    a termination in 2021 and the agency's submission statement for 2021; nothing to report for 2022 (agency)
    and 2024 (CA POST); no statement for 2020, nor for 2023 (where a record alone, still pending, exists)."""
    ok(await as_ag(eo, certified("2020-01-01", "AG-2020.1")))
    ok(await as_body(eo, credential("c-1", "APPLIED", "2020-05-01")))
    ok(await as_body(eo, credential_status("c-1", "GRANTED", "2021-02-01", confirmations=CONFIRMED,
                                           topicsReviewed=TOPICS)))
    ok(await as_ag(eo, withdrawn("2023-07-01")))
    await eo.publish_ok("sunnyvale-dps", record_published(publisher="sunnyvale-dps", kind="TERMINATION",
                                                          agency=CA_AGENCY, source="term-1"))
    ok(await submit(eo, "sunnyvale-dps", submitted("sunnyvale-dps", CA_AGENCY, 2021)))
    pending_2023 = {**record_published(publisher="sunnyvale-dps", kind="TERMINATION", agency=CA_AGENCY,
                                       source="term-2"), "actionDate": "2023-05-02"}
    await eo.publish_ok("sunnyvale-dps", pending_2023)
    ok(await submit(eo, "sunnyvale-dps", nothing_to_report("sunnyvale-dps", CA_AGENCY, 2022)))
    ok(await submit(eo, "ca-post", nothing_to_report("ca-post", CA_AGENCY, 2024)))


async def test_grant_eligibility_is_computed_from_the_data_and_explained(eo: World) -> None:
    await build_history(eo)
    by_year = {y: await eligibility(eo, CA_AGENCY, y) for y in range(2019, 2025)}
    verdicts = {y: (r["credentialRequirementMet"], r["submissionRequirementMet"], r["eligible"])
                for y, r in by_year.items()}
    assert verdicts == {
        2019: (False, False, False),  # nothing yet
        2020: (True, False, False),   # applied to a certified body, but submitted nothing for 2020
        2021: (True, True, True),     # granted, and the agency's submission statement for 2021
        2022: (True, True, True),     # still granted; nothing-to-report signed by the agency
        2023: (True, False, False),   # certified body until 2023-06-30; a (pending) record, but no statement
        2024: (False, True, False),   # the body was withdrawn: no credential from a certified body in 2024
    }
    r2021 = by_year[2021]
    assert r2021["periodStart"] == "2021-01-01" and r2021["periodEnd"] == "2021-12-31"
    assert r2021["qualifyingCredential"]["status"] == "GRANTED" and r2021["qualifyingCredential"]["body"]["id"] == BODY
    assert any("GRANTED credential from" in x and "certified" in x for x in r2021["reasons"])
    # a verdict's reasons are what decides it: for 2020 only the missing statement, not the credential it had
    # applied for (a condition met is no reason for "not eligible"), and never the verdict itself
    assert len(by_year[2020]["reasons"]) == 1
    assert "has not submitted its Sec. 3(b) information for 2020" in by_year[2020]["reasons"][0]
    assert not any("eligible" in x for r in by_year.values() for x in r["reasons"])
    assert any("has not submitted its Sec. 3(b) information for 2023" in x for x in by_year[2023]["reasons"])
    assert any("not certified by the Attorney General at that time" in x for x in by_year[2024]["reasons"])
    assert by_year[2024]["qualifyingCredential"] is None
    # public reasons never say how the information was submitted nor how many records there were
    assert not any("record" in x and "no misconduct record" not in x for r in by_year.values() for x in r["reasons"])
    tx = await eligibility(eo, TX_AGENCY, 2021)
    assert not tx["eligible"] and any("no credential" in x for x in tx["reasons"])
    assert (await eo.ok(ELIG_Q, {"ori": "ZZ9999999", "year": 2021}))["grantEligibility"] is None
    bad = await eo.gql(ELIG_Q, {"ori": CA_AGENCY, "year": 20210})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    detail = ("query($o: String!, $y: Int!) { grantEligibility(ori: $o, year: $y) { recordsSubmitted "
              "nothingToReportAttestedBy submissionAttestedBy } }")
    public = await eo.gql(detail, {"o": CA_AGENCY, "y": 2022})
    assert {e["extensions"]["code"] for e in public["errors"]} == {"FORBIDDEN"}
    seen = {y: (await eo.ok(detail, {"o": CA_AGENCY, "y": y}, as_="auditor"))["grantEligibility"]
            for y in (2021, 2022, 2023)}
    assert seen == {  # auditors compare the statements with the records behind them
        2021: {"recordsSubmitted": 1, "nothingToReportAttestedBy": [], "submissionAttestedBy": ["sunnyvale-dps"]},
        2022: {"recordsSubmitted": 0, "nothingToReportAttestedBy": ["sunnyvale-dps"], "submissionAttestedBy": []},
        2023: {"recordsSubmitted": 1, "nothingToReportAttestedBy": [], "submissionAttestedBy": []},
    }


async def test_nothing_to_report_rules(eo: World) -> None:
    await eo.publish_ok("sunnyvale-dps", record_published(publisher="sunnyvale-dps", kind="TERMINATION",
                                                          agency=CA_AGENCY, source="term-1"))
    this_year = date.today().year
    cases = [
        ("tx-tcole", nothing_to_report("tx-tcole", CA_AGENCY, 2022), "FORBIDDEN"),      # another state's board
        ("austin-pd", nothing_to_report("austin-pd", CA_AGENCY, 2022), "FORBIDDEN"),    # another agency
        ("sunnyvale-dps", nothing_to_report("sunnyvale-dps", CA_AGENCY, 2021), "CONFLICT"),  # it has records
        ("sunnyvale-dps", nothing_to_report("sunnyvale-dps", CA_AGENCY, this_year + 1), "BAD_USER_INPUT"),
        ("sunnyvale-dps", nothing_to_report("sunnyvale-dps", "CA0000000", 2022), "NOT_FOUND"),
    ]
    for signer, event, code in cases:
        assert refused(await submit(eo, signer, event))[0] == code, (signer, event)
    ok(await submit(eo, "sunnyvale-dps", nothing_to_report("sunnyvale-dps", CA_AGENCY, 2022)))
    assert refused(await submit(eo, "sunnyvale-dps", nothing_to_report("sunnyvale-dps", CA_AGENCY, 2022)))[0] == \
        "CONFLICT"
    # One statement per publisher, agency and year, of either kind.
    assert refused(await submit(eo, "sunnyvale-dps", submitted("sunnyvale-dps", CA_AGENCY, 2022)))[0] == "CONFLICT"
    # a credentialing body does not attest for agencies
    body = await as_body(eo, nothing_to_report(BODY, CA_AGENCY, 2022))
    assert refused(body)[0] == "FORBIDDEN"


async def test_submission_statement_rules(eo: World) -> None:
    """A submission statement is checked for who signs it and when, never against the records: refusing it
    because none exist would tell a POST board of an agency's records, some of which it may not read."""
    this_year = date.today().year
    cases = [
        ("tx-tcole", submitted("tx-tcole", CA_AGENCY, 2022), "FORBIDDEN"),      # another state's board
        ("austin-pd", submitted("austin-pd", CA_AGENCY, 2022), "FORBIDDEN"),    # another agency
        ("sunnyvale-dps", submitted("sunnyvale-dps", CA_AGENCY, this_year + 1), "BAD_USER_INPUT"),
        ("sunnyvale-dps", submitted("sunnyvale-dps", "CA0000000", 2022), "NOT_FOUND"),
    ]
    for signer, event, code in cases:
        assert refused(await submit(eo, signer, event))[0] == code, (signer, event)
    assert refused(await as_body(eo, submitted(BODY, CA_AGENCY, 2022)))[0] == "FORBIDDEN"
    ok(await submit(eo, "ca-post", submitted("ca-post", CA_AGENCY, 2022)))  # the state's board, no records
    assert (await eligibility(eo, CA_AGENCY, 2022))["submissionRequirementMet"] is True
    assert refused(await submit(eo, "ca-post", submitted("ca-post", CA_AGENCY, 2022)))[0] == "CONFLICT"
    ok(await submit(eo, "sunnyvale-dps", submitted("sunnyvale-dps", CA_AGENCY, 2022)))  # the agency too
    auditor = (await eo.ok("{ grantEligibility(ori: \"CA0010000\", year: 2022) { submissionAttestedBy } }",
                           as_="auditor"))["grantEligibility"]
    assert sorted(auditor["submissionAttestedBy"]) == ["ca-post", "sunnyvale-dps"]


REPORT_Q = ("query($y: Int!, $s: String) { grantEligibilityReport(year: $y, state: $s) "
            "{ ori eligible recordsSubmitted } }")


async def test_auditor_report_over_all_agencies_and_as_csv(eo: World) -> None:
    await build_history(eo)
    report = (await eo.ok(REPORT_Q, {"y": 2021}, as_="auditor"))["grantEligibilityReport"]
    assert [(r["ori"], r["eligible"], r["recordsSubmitted"]) for r in report] == [
        ("CA0010000", True, 1), ("CA0190000", False, 0), ("TX2270000", False, 0), ("WA0170000", False, 0)]
    only_ca = (await eo.ok(REPORT_Q, {"y": 2021, "s": "CA"}, as_="auditor"))["grantEligibilityReport"]
    assert [r["ori"] for r in only_ca] == ["CA0010000", "CA0190000"]
    callers: list[tuple[str | None, dict[str, str]]] = [
        (None, {}), ("hiring_agency", {"agency_ori": "WA0170000"}), ("publisher", {"publisher_id": "ca-post"}),
        ("admin", {})]
    for role, bindings in callers:
        body = await eo.gql(REPORT_Q, {"y": 2021}, token=eo.token(role, **bindings) if role else None)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role

    url = "/reports/grant-eligibility.csv?year=2021"
    assert (await eo.http.get(url)).status_code == 401
    assert (await eo.http.get(url, headers={"Authorization": "Bearer not.a.token"})).status_code == 401
    hiring = eo.token("hiring_agency", agency_ori="WA0170000")
    refused_csv = await eo.http.get(url, headers={"Authorization": f"Bearer {hiring}"})
    assert refused_csv.status_code == 403 and refused_csv.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    auditor = {"Authorization": f"Bearer {eo.token('auditor')}"}
    assert (await eo.http.get("/reports/grant-eligibility.csv", headers=auditor)).status_code == 400
    resp = await eo.http.get(url, headers=auditor)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert [r["ori"] for r in rows] == ["CA0010000", "CA0190000", "TX2270000", "WA0170000"]
    sunnyvale = rows[0]
    assert sunnyvale["eligible"] == "true" and sunnyvale["records_submitted"] == "1"
    assert sunnyvale["qualifying_credential"].startswith("ACR-") and "GRANTED" in sunnyvale["reasons"]
    csv_2022 = list(csv.DictReader(io.StringIO(
        (await eo.http.get("/reports/grant-eligibility.csv?year=2022&state=CA", headers=auditor)).text)))
    assert csv_2022[0]["nothing_to_report_attested_by"] == "sunnyvale-dps" and len(csv_2022) == 2
