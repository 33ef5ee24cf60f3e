"""The demo data set loads through the real publishing path, once, with verifiable signatures; its public
statistics show numbers for every year, and its grant-eligibility answers say why."""

from __future__ import annotations

import csv
import io
import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

import demo
from demo.loader import COMPLETE
from ledger import admin_entries, admin_key
from ledger.events import verify_event
from publishing.keys import import_public_jwk
from registry.config import Settings
from tests.integration.test_public_statistics import DomReader
from tests.support import World, load_demo


async def test_demo_loads_once_with_verifiable_events(
    pool: asyncpg.Pool, clean: None, database_url: str, tmp_path: Path
) -> None:
    """The data set ``registry demo`` loads, through the publishing path (by the session's first ``load_demo`` of
    the full size: loading it is the slow part, so every test of the session shares that one load)."""
    await load_demo(database_url, pool, tmp_path, officers=demo.OFFICERS)
    counts = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM agencies) AS agencies, (SELECT count(*) FROM publishers) AS publishers,
                  (SELECT count(*) FROM publisher_keys) AS keys, (SELECT count(*) FROM officers) AS officers,
                  (SELECT count(*) FROM certifications) AS certs, (SELECT count(*) FROM employment) AS jobs,
                  (SELECT count(*) FROM misconduct_records) AS records, (SELECT count(*) FROM events) AS events,
                  (SELECT count(*) FROM agency_credentials) AS credentials,
                  (SELECT count(*) FROM reporting_attestations) AS statements,
                  (SELECT count(*) FROM registry_entries) AS registrations,
                  (SELECT size FROM log_state) AS log_size"""
    )
    assert counts["agencies"] == 19 and counts["publishers"] == 18 and counts["keys"] == 18
    assert counts["officers"] == demo.OFFICERS == 3000
    assert 3500 < counts["certs"] <= 5000 and 3000 <= counts["jobs"] <= 4500
    assert 700 <= counts["records"] <= 1200
    assert counts["credentials"] == 15 and counts["statements"] >= 150
    # the log: one signed registration per agency, publisher and key (55), then the events
    assert counts["registrations"] == counts["agencies"] + counts["publishers"] + counts["keys"] == 55
    assert counts["log_size"] == counts["events"] + counts["registrations"] and counts["events"] > 10000
    levels = {r["level"] for r in await pool.fetch("SELECT DISTINCT level::text FROM agencies")}
    assert {"STATE", "TRIBAL", "FEDERAL", "LOCAL"} <= levels
    by_kind = {r["kind"]: r["n"] for r in await pool.fetch(
        "SELECT kind::text, count(*) AS n FROM publishers GROUP BY 1")}
    assert by_kind == {"POST_BOARD": 5, "AGENCY": 10, "CERTIFYING_AUTHORITY": 1, "CREDENTIALING_BODY": 2}

    # every record kind and every due-process status is represented, most records FINAL with fair process
    # attested, some still pending, some overturned or rescinded
    kinds = {r["kind"] for r in await pool.fetch("SELECT DISTINCT kind::text FROM misconduct_records")}
    assert len(kinds) == 7
    statuses = {r["status"]: r["n"] for r in await pool.fetch(
        "SELECT status::text, count(*) AS n FROM misconduct_records GROUP BY 1")}
    assert set(statuses) == {"NOTICE_PENDING", "NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING", "FINAL",
                             "OVERTURNED", "RESCINDED", "EXPUNGED"}
    attested = await pool.fetchval(
        "SELECT count(*) FROM misconduct_records WHERE status = 'FINAL' AND fair_process_attested")
    assert attested >= 0.75 * counts["records"]
    assert sum(statuses[s] for s in ("NOTICE_PENDING", "NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING")) >= 20
    assert statuses["OVERTURNED"] >= 5 and statuses["RESCINDED"] >= 5
    states = {r["state"] for r in await pool.fetch("SELECT DISTINCT state FROM misconduct_records")}
    assert states == {"CA", "TX", "WA", "FL", "NY"}
    # a final, attested decertification revokes the certification it is about (and ends the officer's job)
    revoked = await pool.fetchval("SELECT count(*) FROM certifications WHERE status = 'REVOKED'")
    assert revoked >= 100

    # the wandering officer
    officer = await pool.fetchrow("SELECT date_of_birth FROM officers WHERE id = $1", demo.DEMO_OFFICER_ID)
    assert officer is not None and officer["date_of_birth"].isoformat() == "1979-08-14"
    names = {(r["kind"], r["given_name"], r["family_name"]) for r in await pool.fetch(
        "SELECT kind::text, given_name, family_name FROM officer_names WHERE officer_id = $1", demo.DEMO_OFFICER_ID)}
    assert ("PRIMARY", "Daniel", "Whitfield") in names and ("ALIAS", "Danny", "Whitfield") in names
    records = await pool.fetch(
        "SELECT kind::text, status::text, fair_process_attested, reason_category::text, narrative, case_reference"
        " FROM misconduct_records WHERE officer_id = $1", demo.DEMO_OFFICER_ID)
    decert = [r for r in records if r["kind"] == "DECERTIFICATION"]
    assert len(decert) == 1 and decert[0]["status"] == "FINAL" and decert[0]["fair_process_attested"]
    assert decert[0]["reason_category"] == "EXCESSIVE_FORCE" and decert[0]["narrative"] and decert[0]["case_reference"]
    assert any(r["kind"] == "TERMINATION" and r["status"] == "FINAL" and r["fair_process_attested"] for r in records)
    assert any(r["status"] == "HEARING_PENDING" for r in records) and len(records) == 3
    certs = {(r["state"], r["status"]) for r in await pool.fetch(
        "SELECT state, status::text FROM certifications WHERE officer_id = $1", demo.DEMO_OFFICER_ID)}
    assert certs == {("CA", "REVOKED"), ("TX", "ACTIVE")}
    assert await pool.fetchval("SELECT count(*) FROM certifications WHERE state = 'CA' AND number = '148623'") == 1

    # look-alikes stay separate people, and nobody was linked to anybody else
    johnsons = await pool.fetch(
        """SELECT DISTINCT o.id, o.date_of_birth FROM officers o JOIN officer_names n ON n.officer_id = o.id
           WHERE n.given_name = 'Michael' AND n.family_name = 'Johnson'""")
    assert len(johnsons) == 2 and len({r["date_of_birth"] for r in johnsons}) == 2
    twins = await pool.fetch(
        """SELECT DISTINCT o.id, n.given_name FROM officers o JOIN officer_names n ON n.officer_id = o.id
           WHERE n.family_name = 'Castillo' AND o.date_of_birth = '1990-05-17'""")
    assert len(twins) == 2 and len({r["given_name"] for r in twins}) == 2
    assert await pool.fetchval("SELECT count(*) FROM officers WHERE merged_into IS NOT NULL") == 0

    # every stored event verifies against its publisher's registered key
    keys = {r["kid"]: (r["publisher_id"], r["public_jwk"])
            for r in await pool.fetch("SELECT kid, publisher_id, public_jwk FROM publisher_keys")}
    public = {kid: import_public_jwk(jwk) for kid, (_, jwk) in keys.items()}
    rows = await pool.fetch("SELECT publisher_id, event_id, kid, jws, payload, expunged_at FROM events")
    verified = 0
    for row in rows:
        if row["jws"] is None:  # the expunged record's earlier events keep only their log hash
            assert row["expunged_at"] is not None
            continue
        assert keys[row["kid"]][0] == row["publisher_id"]
        event = verify_event(row["jws"], public.__getitem__)
        assert event.payload == row["payload"]
        assert event.payload["eventId"] == row["event_id"] and event.payload["issuedAt"].endswith("Z")
        verified += 1
    assert verified >= len(rows) - 5
    # ... and every registration verifies against the admin key of the demo's data directory, the first 55 entries
    admins = admin_key.load_public_keys(tmp_path / "secrets" / admin_key.DEFAULT_FILE)
    assert admins is not None
    logged = await pool.fetch("SELECT log_index, jws FROM registry_entries ORDER BY log_index")
    assert [r["log_index"] for r in logged] == list(range(counts["registrations"]))
    assert len(admin_entries.verified_payloads([r["jws"] for r in logged], admins)) == counts["registrations"]
    assert await pool.fetchval("SELECT count(*) FROM events WHERE event_id = $1", COMPLETE) == 1

    # the private keys are on disk, private to the user, and match the registered public keys
    for pid in ("ca-post", "tx-tcole", "wa-cjtc", "fl-cjstc", "ny-mptc", "bayview-pd", "doj-ag-demo", "calea-demo"):
        path = tmp_path / "demo-keys" / f"{pid}.jwk"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        private = json.loads(path.read_text())
        assert "d" in private
        assert keys[private["kid"]][0] == pid and keys[private["kid"]][1]["x"] == private["x"]

    # a second load changes nothing
    assert await demo.load(database_url, Settings(data_dir=tmp_path)) == demo.ALREADY_LOADED
    assert await pool.fetchval("SELECT count(*) FROM events") == counts["events"]
    assert await pool.fetchval("SELECT size FROM log_state") == counts["log_size"]


async def test_an_interrupted_load_resumes(pool: asyncpg.Pool, clean: None, database_url: str,
                                           tmp_path: Path) -> None:
    """A load stopped part-way (here: its last batches undone) resumes when run again: what was accepted comes
    back DUPLICATE, the rest is published, and the result is the whole data set."""
    await load_demo(database_url, pool, tmp_path, officers=demo.OFFICERS)
    total = await pool.fetchval("SELECT count(*) FROM events")
    size = await pool.fetchval("SELECT size FROM log_state")  # the events and the 55 registrations before them
    async with pool.acquire() as conn, conn.transaction():  # undo the credentialing bodies' batches
        await conn.execute("SET LOCAL session_replication_role = replica")
        gone = await conn.fetch(
            "DELETE FROM events WHERE publisher_id IN ('calea-demo', 'western-accreditation-demo') RETURNING log_index")
        await conn.execute("TRUNCATE agency_credentials, agency_credential_history")
        first = min(r["log_index"] for r in gone)
        assert first == size - len(gone)  # they were the last ones
        await conn.execute("DELETE FROM log_nodes WHERE (idx + 1) * (1::bigint << level) > $1", first)
        await conn.execute("UPDATE log_state SET size = $1", first)
    assert await pool.fetchval("SELECT count(*) FROM events WHERE event_id = $1", COMPLETE) == 0
    summary = await demo.load(database_url, Settings(data_dir=tmp_path), officers=demo.OFFICERS)
    assert summary.startswith("demo data loaded: 19 agencies, 18 publishers, 3000 officers"), summary
    assert "15 agency credentials" in summary
    assert await pool.fetchval("SELECT count(*) FROM events") == total
    assert await pool.fetchval("SELECT size FROM log_state") == size  # no registration logged again
    assert await pool.fetchval("SELECT count(*) FROM events WHERE event_id = $1", COMPLETE) == 1


async def test_demo_roles_bind_to_loaded_data(pool: asyncpg.Pool, clean: None, database_url: str,
                                              tmp_path: Path) -> None:
    await load_demo(database_url, pool, tmp_path)
    roles = demo.DEMO_ROLES
    assert set(roles) == {"officer", "hiring_agency", "partner", "publisher", "credentialing_body", "auditor",
                          "admin"}
    assert await pool.fetchval("SELECT 1 FROM officers WHERE id = $1", roles["officer"]["officer_id"])
    assert await pool.fetchval("SELECT 1 FROM agencies WHERE ori = $1", roles["hiring_agency"]["agency_ori"])
    assert await pool.fetchval("SELECT kind::text FROM publishers WHERE id = $1",
                               roles["publisher"]["publisher_id"]) == "POST_BOARD"
    assert await pool.fetchval("SELECT kind::text FROM publishers WHERE id = $1",
                               roles["credentialing_body"]["publisher_id"]) == "CREDENTIALING_BODY"


COVERAGE_Q = """{ trainingCoverage { rows(breakdown: TOTAL) {
  year activeOfficers currentCrisisTraining shareCurrent crisisProgramAgencies } } }"""
PROGRAMS_Q = """query($ori: String!) { agencyPrograms(ori: $ori) {
  agencyOri kind partnerType startDate endDate endReason publisherId } }"""


async def test_demo_shows_training_coverage_and_programs(pool: asyncpg.Pool, clean: None, database_url: str,
                                                         tmp_path: Path) -> None:
    """EO 13929 Sec. 4(b) on the demo: published coverage this year and last, and an agency's programs."""
    await load_demo(database_url, pool, tmp_path, officers=demo.OFFICERS)
    world = World(pool, tmp_path)  # the demo's data directory: its admin key
    rows = {r["year"]: r for r in (await world.ok(COVERAGE_Q))["trainingCoverage"]["rows"]}  # anonymous
    this_year = datetime.now(UTC).year
    for year in (this_year - 1, this_year):
        row = rows[year]
        assert row["activeOfficers"] is not None and row["activeOfficers"] > 0, row
        assert row["currentCrisisTraining"] is not None and row["currentCrisisTraining"] > 0, row
        assert row["shareCurrent"] is not None and row["crisisProgramAgencies"] >= 1, row

    programs = (await world.ok(PROGRAMS_Q, {"ori": "TX2274600"}))["agencyPrograms"]  # Cedar Creek PD
    assert {(p["kind"], p["partnerType"], p["startDate"], p["endDate"]) for p in programs} == {
        ("CRISIS_INTERVENTION_TEAM", "NONE", "2018-01-15", None),
        ("MOBILE_CRISIS_PARTNERSHIP", "MEDICAL", "2021-04-01", "2024-09-30")}
    assert all(p["agencyOri"] == "TX2274600" and p["publisherId"] == "cedar-creek-pd" for p in programs)
    assert any(p["endReason"] for p in programs if p["endDate"])

    # refresher intervals and completed refreshers are in the data set
    assert await pool.fetchval("SELECT count(*) FROM certifications WHERE refresher_months IS NOT NULL") >= 30
    assert await pool.fetchval("SELECT count(*) FROM certification_status_history h JOIN certifications c"
                               " ON c.id = h.certification_id WHERE h.step > 1 AND h.status = 'ACTIVE'"
                               " AND h.completed_on > c.issued_on") >= 30


# -- the public page on the demo: numbers, every year, and reasons that explain --------------------------------

YEARS = [str(y) for y in range(2016, 2026)]
ALL = "ALL"
DIMENSIONS = ("state", "year", "record_kind", "reason_category")


def _table(rows: list[dict[str, str]], *dims: str) -> dict[tuple[str, ...], str]:
    """One published table of the CSV: the cells broken down by exactly ``dims`` (the others ALL)."""
    return {tuple(r[d] for d in dims): r["count"] for r in rows
            if all((r[d] != ALL) == (d in dims) for d in DIMENSIONS)}


def _shown(cells: dict[tuple[str, ...], str] | list[str]) -> float:
    values = list(cells.values()) if isinstance(cells, dict) else cells
    return sum(v.isdigit() for v in values) / len(values)


async def test_demo_public_statistics_show_numbers_for_every_year(pool: asyncpg.Pool, clean: None,
                                                                  database_url: str, tmp_path: Path) -> None:
    """With the default threshold (11), the demo's public tables are mostly numbers, not "suppressed", and
    every year of the range has its column, in the CSV and on the page."""
    await load_demo(database_url, pool, tmp_path, officers=demo.OFFICERS)
    world = World(pool, tmp_path)  # the demo's data directory: its admin key
    assert world.settings.stats_min_cell == 11
    resp = await world.http.get("/public/statistics.csv")
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    by_year = _table(rows, "year")
    assert [y for (y,) in by_year] == YEARS and all(v.isdigit() and int(v) >= 11 for v in by_year.values())
    assert _table(rows)[()].isdigit() and int(_table(rows)[()]) >= 700
    assert _shown(_table(rows, "state")) == 1 and _shown(_table(rows, "record_kind")) == 1
    assert _shown(_table(rows, "reason_category")) >= 0.8
    state_year = _table(rows, "state", "year")
    assert {y for _, y in state_year} == set(YEARS) and _shown(state_year) >= 0.8
    # the national tables of the page (all states): by year, by kind, and by kind and year
    national = [*by_year.values(), *_table(rows, "record_kind").values(), *_table(rows, "record_kind", "year").values()]
    assert _shown(national) >= 0.6 and _shown(_table(rows, "record_kind", "year")) >= 0.5

    page = await world.http.get("/public")
    assert page.status_code == 200
    dom = DomReader()
    dom.feed(page.text)
    table = dom.tables["statistics-table"]
    assert [text for text, _ in table[0]] == ["State", *YEARS, "Total"]
    body = {r[0][0]: r[1:] for r in table[1:]}
    assert list(body) == ["CA", "FL", "NY", "TX", "WA", "Total"]
    cells = [text for name, r in body.items() if name != "Total" for text, _ in r[:-1]]
    assert _shown([c.replace(",", "") for c in cells]) >= 0.8
    assert all(cls == "count" for _, cls in body["Total"])  # every year's total, and the grand total
    kinds = dom.tables["statistics-kinds"]
    assert [text for text, _ in kinds[0]] == ["Record kind", *YEARS, "Total"] and len(kinds) == 9  # 7 kinds
    chart = dom.ids["statistics-chart"]
    assert all(y in chart for y in YEARS) and "suppressed" not in chart


ELIGIBILITY_Q = """query($o: String!, $y: Int!) { grantEligibility(ori: $o, year: $y) { eligible
  credentialRequirementMet submissionRequirementMet reasons } }"""
CALEA = "Law Enforcement Accreditation Commission (demo) (calea-demo)"
WESTERN = "Western States Accreditation Program (demo) (western-accreditation-demo)"
#: Openings of the facts that meet a condition: never among the reasons for "not eligible".
POSITIVE = ("held a GRANTED credential", "was in the process of obtaining", "had applied for a credential",
            "submitted its Sec. 3(b)")


async def test_demo_eligibility_reasons_explain_the_verdict(pool: asyncpg.Pool, clean: None, database_url: str,
                                                            tmp_path: Path) -> None:
    """Each reason is a deciding fact: both conditions' facts for an eligible agency; for one that is not
    eligible, only the conditions it fails, each with what decides it. Neither ever repeats the verdict."""
    await load_demo(database_url, pool, tmp_path)
    world = World(pool, tmp_path)  # the demo's data directory: its admin key

    async def ask(ori: str, year: int) -> dict[str, Any]:
        result: dict[str, Any] = (await world.ok(ELIGIBILITY_Q, {"o": ori, "y": year}))["grantEligibility"]
        assert not any("eligible" in r for r in result["reasons"]), result  # no "not eligible because ..."
        if not result["eligible"]:
            assert not any(r.startswith(POSITIVE) for r in result["reasons"]), result
        return result

    evergreen = await ask("WA0173500", 2024)  # the README's hiring agency: credentialed, statement on file
    assert evergreen["eligible"] and evergreen["reasons"] == [
        f"held a GRANTED credential from {CALEA} on 2024-01-01, when the Attorney General had certified {CALEA} "
        "(standards AG-2023.1)",
        "submitted its Sec. 3(b) information for 2024: a signed annual statement for 2024 by the agency or its "
        "state's POST board is on file"]

    mission_hills = await ask("CA0431800", 2019)  # neither condition
    assert mission_hills["reasons"] == [
        "no credential: no credentialing body has published a credential for the agency, so it neither sought "
        "nor held one during 2019",
        "has not submitted its Sec. 3(b) information for 2019: neither the agency nor its state's POST board has "
        "signed a statement for 2019 (that the information is submitted, or that there was nothing to report)"]

    gulf_shores = await ask("FL0500200", 2025)  # its body was suspended; the statement is no reason
    assert (gulf_shores["credentialRequirementMet"], gulf_shores["submissionRequirementMet"]) == (False, True)
    assert gulf_shores["reasons"] == [
        f"its credential from {WESTERN} was applied for during 2025, but {WESTERN} was not certified by the "
        "Attorney General at that time (its certification ended on 2024-04-30: suspended by the Attorney General "
        "effective 2024-05-01)"]
    brazos_bend = await ask("TX0570300", 2024)  # revoked, applied again only in 2025
    assert brazos_bend["reasons"] == [
        f"its credential from {CALEA} was not applied for, in process or granted during 2024: it was revoked on "
        "2023-09-15"]
    assert (await ask("TX0570300", 2025))["eligible"]
    lakeview = await ask("NY0450200", 2023)  # applied only later
    assert lakeview["reasons"] == [
        f"its credential from {CALEA} was not applied for, in process or granted during 2023: it dates from "
        "2024-06-03 (applied for), after 2023"]

    # the public page: the verdict, why, and (apart) what was met all the same
    page = await world.http.get("/public", params={"ori": "FL0500200", "year": "2025"})
    dom = DomReader()
    dom.feed(page.text)
    assert dom.ids["eligibility-verdict"].strip() == "not eligible"
    assert "was not certified by the Attorney General at that time" in dom.ids["eligibility-reasons"]
    assert "submitted its Sec. 3(b) information for 2025" not in dom.ids["eligibility-reasons"]
    assert "submitted its Sec. 3(b) information for 2025" in dom.ids["eligibility-met"]
    page = await world.http.get("/public", params={"ori": "WA0173500", "year": "2024"})
    dom = DomReader()
    dom.feed(page.text)
    assert dom.ids["eligibility-verdict"].strip() == "eligible" and "eligibility-met" not in dom.ids
    assert "held a GRANTED credential" in dom.ids["eligibility-reasons"]
