"""The demo data set loads through the real publishing path, once, with verifiable signatures."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from joserfc.jwk import OKPKey

import demo
from ledger.events import verify_event
from publishing.keys import import_public_jwk
from registry.config import Settings
from tests.support import World, load_demo


async def test_demo_loads_once_with_verifiable_events(
    pool: asyncpg.Pool, clean: None, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path)
    summary = await demo.load(database_url, settings)
    assert summary.startswith("demo data loaded: 8 agencies, 8 publishers, 150 officers"), summary

    counts = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM agencies) AS agencies, (SELECT count(*) FROM publishers) AS publishers,
                  (SELECT count(*) FROM publisher_keys) AS keys, (SELECT count(*) FROM officers) AS officers,
                  (SELECT count(*) FROM certifications) AS certs, (SELECT count(*) FROM employment) AS jobs,
                  (SELECT count(*) FROM misconduct_records) AS records, (SELECT count(*) FROM events) AS events,
                  (SELECT size FROM log_state) AS log_size"""
    )
    assert counts["agencies"] == 8 and counts["publishers"] == 8 and counts["keys"] == 8
    assert counts["officers"] == 150
    assert 150 < counts["certs"] <= 300 and 150 <= counts["jobs"] <= 300
    assert counts["records"] == 25
    assert counts["events"] == counts["log_size"] > 500
    levels = {r["level"] for r in await pool.fetch("SELECT DISTINCT level::text FROM agencies")}
    assert {"STATE", "TRIBAL", "FEDERAL", "LOCAL"} <= levels

    # every record kind and every due-process status is represented
    kinds = {r["kind"] for r in await pool.fetch("SELECT DISTINCT kind::text FROM misconduct_records")}
    assert len(kinds) == 7
    statuses = {r["status"] for r in await pool.fetch("SELECT DISTINCT status::text FROM misconduct_records")}
    assert statuses == {"NOTICE_PENDING", "NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING", "FINAL",
                        "OVERTURNED", "RESCINDED", "EXPUNGED"}
    attested = await pool.fetchval(
        "SELECT count(*) FROM misconduct_records WHERE status = 'FINAL' AND fair_process_attested")
    assert attested >= 10

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
    assert any(r["status"] == "HEARING_PENDING" for r in records)
    certs = {(r["state"], r["status"]) for r in await pool.fetch(
        "SELECT state, status::text FROM certifications WHERE officer_id = $1", demo.DEMO_OFFICER_ID)}
    assert certs == {("CA", "REVOKED"), ("TX", "ACTIVE")}

    # look-alikes stay separate people
    johnsons = await pool.fetch(
        """SELECT DISTINCT o.id, o.date_of_birth FROM officers o JOIN officer_names n ON n.officer_id = o.id
           WHERE n.given_name = 'Michael' AND n.family_name = 'Johnson'""")
    assert len(johnsons) == 2 and len({r["date_of_birth"] for r in johnsons}) == 2
    twins = await pool.fetch(
        """SELECT DISTINCT o.id, n.given_name FROM officers o JOIN officer_names n ON n.officer_id = o.id
           WHERE n.family_name = 'Castillo' AND o.date_of_birth = '1990-05-17'""")
    assert len(twins) == 2 and len({r["given_name"] for r in twins}) == 2

    # every stored event verifies against its publisher's registered key
    keys = {r["kid"]: (r["publisher_id"], r["public_jwk"])
            for r in await pool.fetch("SELECT kid, publisher_id, public_jwk FROM publisher_keys")}
    rows = await pool.fetch("SELECT publisher_id, event_id, kid, jws, payload, expunged_at FROM events")
    verified = 0
    for row in rows:
        if row["jws"] is None:  # the expunged record's earlier events keep only their log hash
            assert row["expunged_at"] is not None
            continue
        owner, jwk = keys[row["kid"]]
        assert owner == row["publisher_id"]

        def resolve(kid: str, jwk: dict[str, Any] = jwk) -> OKPKey:
            return import_public_jwk(jwk)

        event = verify_event(row["jws"], resolve)
        assert event.payload == row["payload"]
        assert event.payload["eventId"] == row["event_id"] and event.payload["issuedAt"].endswith("Z")
        verified += 1
    assert verified >= len(rows) - 5

    # the private keys are on disk, private to the user, and match the registered public keys
    for pid in ("ca-post", "tx-tcole", "wa-cjtc", "fl-cjstc", "calea-demo"):
        path = tmp_path / "demo-keys" / f"{pid}.jwk"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        private = json.loads(path.read_text())
        assert "d" in private
        assert keys[private["kid"]][0] == pid and keys[private["kid"]][1]["x"] == private["x"]

    # a second load changes nothing
    assert await demo.load(database_url, settings) == demo.ALREADY_LOADED
    assert await pool.fetchval("SELECT count(*) FROM events") == counts["events"]


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
    await load_demo(database_url, pool, tmp_path / "demo")
    world = World(pool, tmp_path)
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
