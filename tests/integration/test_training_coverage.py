"""EO 13929 Sec. 4(b): training currency, crisis-response programs as signed agency facts, the public coverage
tables (hand-computed, with suppression), an agency's own coverage for the agency, its body and auditors only,
and due process: a pending matter moves no count."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.integration.test_accreditation import AG, BODY, OTHER_BODY, as_ag, as_body, certified, credential, register
from tests.support import World, employment_started, record_published, status_changed, subject

CA, LA, TX = "CA0010000", "CA0190000", "TX2270000"
TODAY = datetime.now(UTC).date()


def _base(kind: str, publisher: str, issued_at: str | None = None) -> dict[str, Any]:
    return {"type": kind, "publisher": publisher, "eventId": secrets.token_hex(6),
            "issuedAt": issued_at or datetime.now(UTC).isoformat().replace("+00:00", "Z")}


def person(n: int) -> dict[str, Any]:
    return subject(given=f"Officer{n:02d}", family=f"Trainee{n:02d}", dob=f"19{70 + n % 20}-0{1 + n % 9}-1{n % 10}")


#: officer number -> registry ID, filled by ``hire``: later events name the officer by registry ID
IDS: dict[int, str] = {}


def training(n: int, issued: str, *, kind: str = "CRISIS_INTERVENTION_TRAINING", publisher: str = "ca-post",
             state: str = "CA", **extra: Any) -> dict[str, Any]:
    return {**_base("certification.issued", publisher), "sourceId": f"cit-{n}", "subject": {"registryId": IDS[n]},
            "state": state, "number": f"CIT-{n:04d}", "kind": kind, "issuedOn": issued, **extra}


def cert_change(n: int, status: str, *, publisher: str = "ca-post", **extra: Any) -> dict[str, Any]:
    return {**_base("certification.status_changed", publisher), "certificationSourceId": f"cit-{n}",
            "status": status, **extra}


def hired(n: int, publisher: str, ori: str, start: str) -> dict[str, Any]:
    ev = employment_started(publisher, f"emp-{n}", ori, subj=person(n))
    ev["startDate"] = start
    return ev


async def hire(world: World, publisher: str, ori: str, officers: Any, start: str) -> None:
    rows = await world.publish_ok(publisher, *(hired(n, publisher, ori, start) for n in officers))
    IDS.update({n: r["officerId"] for n, r in zip(officers, rows, strict=True)})


def left(n: int, publisher: str, end: str, reason: str = "RETIRED") -> dict[str, Any]:
    return {**_base("employment.ended", publisher), "employmentSourceId": f"emp-{n}", "endDate": end,
            "separationReason": reason}


def program(source: str, publisher: str, ori: str, kind: str, start: str, end: str | None = None,
            partner: str = "MENTAL_HEALTH_PROFESSIONAL") -> dict[str, Any]:
    ev = {**_base("agency_program.published", publisher), "sourceId": source, "agencyOri": ori, "kind": kind,
          "partnerType": partner, "startDate": start}
    if end is not None:
        ev["endDate"] = end
    return ev


def program_ended(source: str, publisher: str, end: str) -> dict[str, Any]:
    return {**_base("agency_program.ended", publisher), "programSourceId": source, "endDate": end,
            "reason": "grant ended"}


COVERAGE_Q = """query($ori: String!, $on: Date) { agencyTrainingCoverage(ori: $ori, on: $on) {
  ori on activeOfficers currentCrisisTraining shareCurrent sizeBand reason programs { kind partnerType } } }"""


async def coverage_on(world: World, day: str, ori: str = CA) -> tuple[int, int]:
    got = (await world.ok(COVERAGE_Q, {"ori": ori, "on": day}, as_="auditor"))["agencyTrainingCoverage"]
    return got["activeOfficers"], got["currentCrisisTraining"]


async def test_training_is_current_by_issue_day_expiry_refresher_and_status_on_each_day(world: World) -> None:
    # five officers join Sunnyvale in 2012; officer 5 retires mid-2020
    await hire(world, "sunnyvale-dps", CA, range(1, 6), "2012-01-09")
    await world.publish_ok(
        "ca-post",
        training(1, "2019-03-01", refresherMonths=24),         # current 2019-03-01 .. 2021-02-28
        training(2, "2015-01-01", expiresOn="2019-12-31"),     # current through 2019-12-31
        training(3, "2016-05-01"),                             # no end: current until its status changes
        training(4, "2016-05-01", kind="DE_ESCALATION_TRAINING"),  # not crisis-intervention training
        training(5, "2018-01-01"),
    )
    await world.publish_ok("sunnyvale-dps", left(5, "sunnyvale-dps", "2020-06-30"))
    # officer 1 completed a refresher on 2021-02-15: current again through 2023-02-14
    await world.publish_ok("ca-post", cert_change(1, "ACTIVE", refreshedOn="2021-02-15"))
    # officer 3's training goes INACTIVE today: past days keep their answer
    await world.publish_ok("ca-post", cert_change(3, "INACTIVE", reason="did not complete annual hours"))

    assert await coverage_on(world, "2018-12-31") == (5, 3)   # 2, 3, 5 (1 not yet issued)
    assert await coverage_on(world, "2019-12-31") == (5, 4)   # 1, 2, 3, 5
    assert await coverage_on(world, "2020-12-31") == (4, 2)   # 1, 3 (2 expired, 5 retired)
    assert await coverage_on(world, "2021-03-01") == (4, 2)   # 1 through its refresher, 3
    assert await coverage_on(world, "2023-02-14") == (4, 2)
    assert await coverage_on(world, "2023-02-15") == (4, 1)   # 1's refresher fell due
    # the day 3 went INACTIVE, as the registry recorded it (today, unless the run crossed midnight since TODAY)
    inactive_since = await world.pool.fetchval(
        """SELECT h.effective_on FROM certification_status_history h JOIN certifications c ON c.id = h.certification_id
            WHERE c.source_id = 'cit-3' AND h.status = 'INACTIVE'""")
    assert inactive_since in (TODAY, TODAY + timedelta(days=1))
    assert await coverage_on(world, inactive_since.isoformat()) == (4, 0)  # 3 INACTIVE since that day

    history = await world.pool.fetch(
        """SELECT h.step, h.status::text, h.effective_on, h.completed_on, h.current_through
             FROM certification_status_history h JOIN certifications c ON c.id = h.certification_id
            WHERE c.source_id = 'cit-1' ORDER BY h.step""")
    assert [tuple(r) for r in history] == [
        (1, "ACTIVE", date(2019, 3, 1), date(2019, 3, 1), date(2021, 2, 28)),
        (2, "ACTIVE", date(2021, 2, 15), date(2021, 2, 15), date(2023, 2, 14)),
    ]
    cert = (await world.ok("""query { officers(first: 10) { edges { node { certifications {
        edges { node { number refresherMonths } } } } } } }""", as_="publisher", publisher_id="ca-post"))["officers"]
    months = {c["node"]["number"]: c["node"]["refresherMonths"] for o in cert["edges"]
              for c in o["node"]["certifications"]["edges"]}
    assert months["CIT-0001"] == 24 and months["CIT-0002"] is None


async def test_refresher_and_training_fields_are_checked(world: World) -> None:
    await hire(world, "sunnyvale-dps", CA, (8, 9), "2012-01-09")
    refused = await world.publish("ca-post", training(9, "2019-01-01", kind="PEACE_OFFICER", refresherMonths=12))
    assert refused["results"][0]["code"] == "BAD_USER_INPUT"
    assert "training certifications only" in refused["results"][0]["message"]
    await world.publish_ok("ca-post", training(8, "2019-01-01", refresherMonths=12))
    for change, words in ((cert_change(8, "ACTIVE", refreshedOn="2018-12-01"), "before the training was last"),
                          (cert_change(8, "INACTIVE", refreshedOn="2020-01-01"), "give status ACTIVE"),
                          (cert_change(8, "ACTIVE", refreshedOn="2999-01-01"), "after the day the event was signed")):
        result = await world.publish("ca-post", change)
        assert not result["committed"]
        assert result["results"][0]["code"] == "BAD_USER_INPUT" and words in result["results"][0]["message"]


PROGRAMS_Q = """query($ori: String!) { agencyPrograms(ori: $ori) {
  id agencyOri kind partnerType startDate endDate endReason publisherId logIndex } }"""


@pytest.fixture
async def eo(world: World) -> World:
    await register(world, AG, "CERTIFYING_AUTHORITY", "U.S. Attorney General, Office of Credentialing Oversight")
    await register(world, BODY, "CREDENTIALING_BODY", "Commission on Accreditation for Law Enforcement Agencies")
    await register(world, OTHER_BODY, "CREDENTIALING_BODY", "Rogue Accreditor")
    await as_ag(world, certified("2019-01-01"))
    await as_body(world, credential("cred-ca", "APPLIED", "2020-01-15"))
    return world


async def test_programs_are_signed_facts_of_the_agency_or_its_credentialing_body(eo: World) -> None:
    own = await eo.publish_ok("sunnyvale-dps", program("p-1", "sunnyvale-dps", CA, "CO_RESPONDER", "2019-01-01"))
    assert own[0]["entityId"].startswith("PRG-") and own[0]["logIndex"] is not None
    by_body = await as_body(eo, program("p-2", BODY, CA, "CRISIS_INTERVENTION_TEAM", "2020-02-01", partner="NONE"))
    assert by_body["committed"], by_body
    # anyone else is refused, naming who may
    for publisher, token in (("austin-pd", "publisher"), ("ca-post", "publisher"), (OTHER_BODY, "credentialing_body")):
        result = await eo.gql(
            "mutation($e: [EventSubmission!]!) { publishEvents(events: $e) { committed results { code message } } }",
            {"e": [{"jws": eo.sign(publisher, program("p-x", publisher, CA, "CO_RESPONDER", "2020-01-01"))}]},
            as_=token, publisher_id=publisher)
        out = result["data"]["publishEvents"]
        assert not out["committed"] and out["results"][0]["code"] == "FORBIDDEN", (publisher, out)
        assert "only the agency's own publisher or a credentialing body with a credential" in \
            out["results"][0]["message"]
    # programs are facts, not plans; an end comes once, after the start
    future = await eo.publish("sunnyvale-dps", program("p-3", "sunnyvale-dps", CA, "CO_RESPONDER", "2999-01-01"))
    assert future["results"][0]["code"] == "BAD_USER_INPUT"
    early = await eo.publish("sunnyvale-dps", program_ended("p-1", "sunnyvale-dps", "2018-12-31"))
    assert early["results"][0]["code"] == "BAD_USER_INPUT"
    await eo.publish_ok("sunnyvale-dps", program_ended("p-1", "sunnyvale-dps", "2020-06-30"))
    again = await eo.publish("sunnyvale-dps", program_ended("p-1", "sunnyvale-dps", "2020-07-30"))
    assert again["results"][0]["code"] == "CONFLICT"

    listed = (await eo.ok(PROGRAMS_Q, {"ori": CA}))["agencyPrograms"]  # anonymous: public
    assert [(p["kind"], p["partnerType"], p["startDate"], p["endDate"], p["endReason"], p["publisherId"])
            for p in listed] == [
        ("CO_RESPONDER", "MENTAL_HEALTH_PROFESSIONAL", "2019-01-01", "2020-06-30", "grant ended", "sunnyvale-dps"),
        ("CRISIS_INTERVENTION_TEAM", "NONE", "2020-02-01", None, None, BODY),
    ]
    leaf = await eo.pool.fetchval("SELECT type FROM events WHERE log_index = $1", listed[0]["logIndex"])
    assert leaf == "agency_program.published"


async def test_an_agencys_own_coverage_is_for_it_its_body_and_auditors(eo: World) -> None:
    await hire(eo, "sunnyvale-dps", CA, (1, 2), "2012-01-09")
    await eo.publish_ok("ca-post", training(1, "2019-03-01"))
    await eo.publish_ok("sunnyvale-dps", program("p-1", "sunnyvale-dps", CA, "CO_RESPONDER", "2019-01-01"))
    day = "2020-12-31"
    allowed: list[tuple[str, dict[str, Any]]] = [
        ("auditor", {}), ("hiring_agency", {"agency_ori": CA}), ("publisher", {"publisher_id": "sunnyvale-dps"}),
        ("credentialing_body", {"publisher_id": BODY})]
    for role, binding in allowed:
        got = (await eo.ok(COVERAGE_Q, {"ori": CA, "on": day}, as_=role, **binding))["agencyTrainingCoverage"]
        assert got == {"ori": CA, "on": day, "activeOfficers": 2, "currentCrisisTraining": 1, "shareCurrent": 0.5,
                       "sizeBand": "1-9", "programs": [{"kind": "CO_RESPONDER",
                                                        "partnerType": "MENTAL_HEALTH_PROFESSIONAL"}],
                       "reason": f"on {day}, 1 of 2 officers on its roster (50%) had current crisis-intervention "
                                 "training (informational, EO 13929 Sec. 4(b); not a condition of eligibility)"}, role
    # another agency, another publisher, a body without a credential for it: absent, whether or not it exists
    denied: list[tuple[str, dict[str, Any]]] = [
        ("hiring_agency", {"agency_ori": TX}), ("publisher", {"publisher_id": "austin-pd"}),
        ("publisher", {"publisher_id": "ca-post"}), ("credentialing_body", {"publisher_id": OTHER_BODY})]
    for role, binding in denied:
        for ori in (CA, "ZZ0000000"):
            body = await eo.gql(COVERAGE_Q, {"ori": ori, "on": day}, as_=role, **binding)
            assert body == {"data": {"agencyTrainingCoverage": None}}, (role, binding, body)
    outsiders: list[tuple[str | None, dict[str, Any]]] = [
        ("partner", {"partner_id": "p1"}), ("officer", {"officer_id": "OFC-1"}), (None, {})]
    for outsider, bound in outsiders:
        body = await eo.gql(COVERAGE_Q, {"ori": CA, "on": day}, as_=outsider, **bound)
        assert body["data"] == {"agencyTrainingCoverage": None}
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], (outsider, body)

    # grant eligibility cites programs to everyone and coverage to those who may see it; neither moves the verdict
    q = """query { grantEligibility(ori: "CA0010000", year: 2020) { eligible reasons informationalReasons
        trainingCoverage { activeOfficers currentCrisisTraining reason } } }"""
    public = (await eo.ok(q))["grantEligibility"]
    assert public["trainingCoverage"] is None
    assert public["informationalReasons"] == [
        "ran a co responder program with mental health professionals during 2020 (from 2019-01-01; informational, "
        "EO 13929 Sec. 4(b), not a condition of eligibility)"]
    mine = (await eo.ok(q, as_="hiring_agency", agency_ori=CA))["grantEligibility"]
    assert mine["trainingCoverage"]["activeOfficers"] == 2 and mine["trainingCoverage"]["currentCrisisTraining"] == 1
    assert (mine["eligible"], mine["reasons"]) == (public["eligible"], public["reasons"])
    without = (await eo.ok(q.replace("CA0010000", LA)))["grantEligibility"]
    assert without["informationalReasons"] == [] and without["eligible"] == public["eligible"]


async def test_a_pending_termination_moves_no_count_until_it_is_settled(world: World) -> None:
    """Non-interference: an officer terminated while the termination record is pending counts exactly as if the
    employment had not ended, in the agency's own coverage and in the public tables."""
    await hire(world, "sunnyvale-dps", CA, (1, 2, 3), "2012-01-09")
    await world.publish_ok("ca-post", training(1, "2019-03-01"), training(2, "2019-03-01"))

    async def observed() -> tuple[Any, ...]:
        own = await coverage_on(world, "2021-12-31")
        hiring = (await world.ok(COVERAGE_Q, {"ori": CA, "on": "2021-12-31"}, as_="hiring_agency",
                                 agency_ori=CA))["agencyTrainingCoverage"]
        table = (await world.ok("{ trainingCoverage { rows(breakdown: STATE) { state year activeOfficers "
                                "currentCrisisTraining suppressed } } }"))["trainingCoverage"]["rows"]
        return own, hiring["activeOfficers"], hiring["currentCrisisTraining"], table

    before = await observed()
    assert before[0] == (3, 2)
    sub = {"registryId": IDS[2]}
    await world.publish_ok("sunnyvale-dps", left(2, "sunnyvale-dps", "2021-06-01", "TERMINATED"),
                           record_published("sunnyvale-dps", "rec-2", subj=sub, kind="TERMINATION", agency=CA))
    assert await observed() == before
    await world.publish_ok("sunnyvale-dps", status_changed("sunnyvale-dps", "rec-2", "HEARING_PENDING"))
    assert await observed() == before
    await world.publish_ok("sunnyvale-dps", status_changed("sunnyvale-dps", "rec-2", "FINAL", attested=True))
    settled = await observed()
    assert settled[0] == (2, 1)   # now a settled fact: officer 2 left the roster
    assert settled != before


THRESHOLD = 2


EXTRA_AGENCIES = [("CA0020000", "Bayview Police Department", "CA"), ("TX0010000", "Cedar Creek Police", "TX"),
                  ("TX0020000", "Lone Star County Sheriff", "TX")]


async def add_agencies(world: World, agencies: list[tuple[str, str, str]]) -> None:
    for ori, name, state in agencies:
        await world.ok("mutation($i: AgencyInput!) { registerAgency(input: $i) { ori } }",
                       {"i": {"ori": ori, "name": name, "state": state, "level": "LOCAL"}}, as_="admin")


@pytest.fixture
async def tables(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    """On 2020-12-31 (officers, of whom with current training): in CA, Sunnyvale 4 (3), LA County 3 (0),
    Bayview 2 (1); in TX, Austin 5 (4), Cedar Creek 1 (0), Lone Star County 1 (0). Everyone is hired
    2020-06-01 and leaves 2020-12-31, so 2020 is the only year with officers."""
    world = World(pool, tmp_path, stats_min_cell=THRESHOLD)
    await world.setup()
    await add_agencies(world, EXTRA_AGENCIES)
    roster = [(CA, "sunnyvale-dps", range(1, 5), 3), (LA, "ca-post", range(5, 8), 0),
              ("CA0020000", "ca-post", range(8, 10), 1), (TX, "austin-pd", range(10, 15), 4),
              ("TX0010000", "tx-tcole", range(15, 16), 0), ("TX0020000", "tx-tcole", range(16, 17), 0)]
    for ori, publisher, officers, trained in roster:
        await hire(world, publisher, ori, officers, "2020-06-01")
        await world.publish_ok(publisher, *(left(n, publisher, "2020-12-31") for n in officers))
        board, state = ("tx-tcole", "TX") if ori.startswith("TX") else ("ca-post", "CA")
        if trained:
            await world.publish_ok(board, *(training(n, "2020-01-15", publisher=board, state=state)
                                            for n in list(officers)[:trained]))
    await world.publish_ok("sunnyvale-dps", program("p-sv", "sunnyvale-dps", CA, "CO_RESPONDER", "2019-01-01",
                                                    "2020-06-30"))
    await world.publish_ok("austin-pd", program("p-au", "austin-pd", TX, "CRISIS_INTERVENTION_TEAM", "2020-03-01",
                                                partner="NONE"))
    return world


ROWS_Q = """query($b: CoverageBreakdown!) { trainingCoverage { minimumCellSize firstYear lastYear
  rows(breakdown: $b) { state sizeBand year activeOfficers currentCrisisTraining shareCurrent suppressed
                        coResponderAgencies crisisProgramAgencies } } }"""


def _row(state: str | None, band: str | None, year: int, active: int | None, current: int | None,
         share: float | None, co: int, anyp: int) -> dict[str, Any]:
    return {"state": state, "sizeBand": band, "year": year, "activeOfficers": active, "currentCrisisTraining": current,
            "shareCurrent": share, "suppressed": active is None or current is None, "coResponderAgencies": co,
            "crisisProgramAgencies": anyp}


async def test_public_coverage_tables_hand_computed_with_suppression(tables: World) -> None:
    """Detail counts (state, band 1-9, 2020, current / not): CA 4 / 5, TX 4 / 3. Threshold 2, and a count must
    sum at least 3 agencies. CA current (Sunnyvale and Bayview) and TX current (Austin alone) sum too few
    agencies: suppressed. Their lines then hide CA not-current (CA 9 = 4 + 5) and TX not-current (TX 7 = 4 + 3).
    The state totals (CA 9, TX 7: three agencies each), the year (16, of whom 8 current) and the size band
    stay published, and no hidden count follows from them (four unknowns, three independent equations)."""
    this = TODAY.year
    total = (await tables.ok(ROWS_Q, {"b": "TOTAL"}))["trainingCoverage"]
    assert (total["minimumCellSize"], total["firstYear"], total["lastYear"]) == (THRESHOLD, this - 9, this)
    programs_only = [_row(None, None, y, 0, 0, None, 0, 1) for y in range(2021, this + 1)]
    assert total["rows"] == [_row(None, None, 2019, 0, 0, None, 1, 1),
                             _row(None, None, 2020, 16, 8, 0.5, 1, 2), *programs_only]
    by_state = (await tables.ok(ROWS_Q, {"b": "STATE"}))["trainingCoverage"]["rows"]
    assert by_state == [_row("CA", None, 2019, 0, 0, None, 1, 1),
                        _row("CA", None, 2020, 9, None, None, 1, 1), _row("TX", None, 2020, 7, None, None, 0, 1),
                        *(_row("TX", None, y, 0, 0, None, 0, 1) for y in range(2021, this + 1))]
    by_band = (await tables.ok(ROWS_Q, {"b": "SIZE_BAND"}))["trainingCoverage"]["rows"]
    # a program of an agency with nobody on its roster that day counts in band "0"
    assert by_band == [_row(None, "0", 2019, 0, 0, None, 1, 1), _row(None, "1-9", 2020, 16, 8, 0.5, 1, 2),
                       *(_row(None, "0", y, 0, 0, None, 0, 1) for y in range(2021, this + 1))]

    resp = await tables.http.get("/public/training-coverage.csv")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    lines = {(r["state"], r["size_band"], r["year"]): r for r in csv.DictReader(io.StringIO(resp.text))}
    assert lines[("ALL", "ALL", "2020")] == {
        "state": "ALL", "size_band": "ALL", "year": "2020", "active_officers": "16", "current_crisis_training": "8",
        "share_current": "0.5000", "agencies_with_co_responder_program": "1", "agencies_with_crisis_program": "2"}
    assert lines[("TX", "ALL", "2020")]["current_crisis_training"] == "suppressed"
    assert lines[("TX", "ALL", "2020")]["share_current"] == ""
    assert lines[("CA", "ALL", "2020")]["active_officers"] == "9"


async def test_one_agencys_figures_are_never_a_public_count(tables: World) -> None:
    """Texas has three agencies with officers; take two away (their officers never hired) and Austin alone is TX:
    then no TX count may be published, not even the total, although every count is above the threshold."""
    await tables.pool.execute("DELETE FROM employment WHERE agency_ori IN ('TX0010000', 'TX0020000')")
    by_state = (await tables.ok(ROWS_Q, {"b": "STATE"}))["trainingCoverage"]["rows"]
    tx = [r for r in by_state if r["state"] == "TX" and r["year"] == 2020]
    assert tx == [_row("TX", None, 2020, None, None, None, 0, 1)]
    # and Austin's figures (5, of whom 4) do not follow from the published ones
    total = [r for r in (await tables.ok(ROWS_Q, {"b": "TOTAL"}))["trainingCoverage"]["rows"] if r["year"] == 2020]
    ca = [r for r in by_state if r["state"] == "CA" and r["year"] == 2020]
    assert total[0]["activeOfficers"] is None or ca[0]["activeOfficers"] is None
