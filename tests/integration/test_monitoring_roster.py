"""Roster upload: one CSV enrolls an agency's officers, with a verdict for every row; and the two CLI
commands (`registry enroll-roster`, `registry deliver-webhooks --once`) run as real processes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx

from monitoring import signing
from registry.cli.monitoring import upload_roster
from tests.integration.monitoring_support import (
    AGENCY,
    Receiver,
    agency_token,
    enroll,
    mworld,
    new_officer,
    outbox_rows,
    receiving,
    register,
    serve,
)
from tests.support import World, cert_issued, record_published

__all__ = ["mworld"]

ROOT = Path(__file__).resolve().parents[2]
REPORT = "{ enrolled alreadyEnrolled notEnrolled rows { line status officerId enrollmentId reason } }"


async def _cast(w: World) -> dict[str, str]:
    ids = {
        "alice": await new_officer(w, "100001", "Alice", "Smith", "1980-02-03"),
        "bob": await new_officer(w, "100002", "Bob", "Garcia-Lopez", "1979-05-06"),
        "carol": await new_officer(w, "100003", "Carol", "White", "1990-07-08"),
        "dave": await new_officer(w, "100004", "Dave", "Brown", "1975-01-01"),
    }
    # one number held by two officers, in two kinds: a roster row by number alone is ambiguous
    rows = await w.publish_ok("ca-post", cert_issued(number="900001", kind="CORRECTIONS", source="amb-1",
                                                     subj={"registryId": ids["alice"]}),
                              cert_issued(number="900001", kind="CRISIS_INTERVENTION_TRAINING", source="amb-2",
                                          subj={"registryId": ids["carol"]}))
    assert all(r["status"] == "ACCEPTED" for r in rows)
    return ids


async def test_roster_enrolls_and_reports_every_row(mworld: World) -> None:
    w = mworld
    ids = await _cast(w)
    austin = agency_token(w)
    await enroll(w, austin, ids["dave"])  # already monitored before the upload
    csv = "\n".join([
        "Registry ID,State,Certification-Number,Given Name,Family Name,Date of Birth,Badge",  # line 1
        f"{ids['alice']},,,,,,17",                               # 2 enrolled by registry ID
        ",ca,100002,Robert,Garcia,1979-05-06,18",                # 3 by number; nickname, half a surname
        f"{ids['alice'].lower()},,,,,,",                         # 4 the same officer again
        f"{ids['dave']},,,Dave,Brown,,",                         # 5 monitored before
        "OFC-000000000000,,,,,,",                                # 6 no such officer
        ",CA,999999,,,,",                                        # 7 no such certification
        ",CA,900001,,,,",                                        # 8 two officers hold it
        ",CA,100003,,Smith,,",                                   # 9 surname disagrees
        f"{ids['carol']},,,,,1999-09-09,",                       # 10 date of birth disagrees
        f"{ids['carol']},CA,100001,,,,",                         # 11 ID and number name different officers
        ",TX,,,,,",                                              # 12 state without number
        ",C1,123,,,,",                                           # 13 not a state
        f"{ids['carol']},,,,,12/31/1990,",                       # 14 not an ISO date
        ",,,,,,",                                                # 15 blank: skipped
        '"' + ids["carol"] + '",,,"Carol ""CJ""",White,1990-07-08,',  # 16 quoted cells
    ])
    data = await w.ok(f"mutation($csv: String!) {{ enrollRoster(csv: $csv) {REPORT} }}", {"csv": csv}, token=austin)
    report = data["enrollRoster"]
    verdicts = {r["line"]: (r["status"], r["officerId"]) for r in report["rows"]}
    assert verdicts == {
        2: ("ENROLLED", ids["alice"]),
        3: ("ENROLLED", ids["bob"]),
        4: ("ALREADY_ENROLLED", ids["alice"]),
        5: ("ALREADY_ENROLLED", ids["dave"]),
        6: ("NOT_FOUND", None),
        7: ("NOT_FOUND", None),
        8: ("AMBIGUOUS", None),
        9: ("MISMATCH", None),  # named by number only: a mismatch gives no registry ID to go with it
        10: ("MISMATCH", ids["carol"]),
        11: ("MISMATCH", ids["carol"]),
        12: ("INVALID", None),
        13: ("INVALID", None),
        14: ("INVALID", None),
        16: ("ENROLLED", ids["carol"]),
    }
    reasons = {r["line"]: r["reason"] for r in report["rows"]}
    assert "family_name" in reasons[9] and "date_of_birth" in reasons[10] and "YYYY-MM-DD" in reasons[14]
    assert "state and certification_number" in reasons[12]
    assert (report["enrolled"], report["alreadyEnrolled"], report["notEnrolled"]) == (3, 2, 9)
    listed = await w.ok("{ enrollments { totalCount } }", token=austin)
    assert listed["enrollments"]["totalCount"] == 4


async def test_roster_limits_and_bad_files(mworld: World) -> None:
    w = mworld
    austin = agency_token(w)
    query = "mutation($csv: String!) { enrollRoster(csv: $csv) { enrolled } }"
    for csv, words in (
        ("", "empty"),
        ("name,badge\nJohn,1\n", "registry_id column"),
        ("registry_id\n" + "OFC-1\n" * 200_000, "larger than"),
    ):
        body = await w.gql(query, {"csv": csv}, token=austin)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", csv[:40]
        assert words in body["errors"][0]["message"]


async def test_enroll_roster_cli_end_to_end(mworld: World, tmp_path: Path) -> None:
    w = mworld
    alice = await new_officer(w, "100001", "Alice", "Smith", "1980-02-03")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"\ufeffregistry_id,badge\n{alice},1\nOFC-000000000000,2\n", encoding="utf-8")
    report = await upload_roster(roster.read_text(encoding="utf-8-sig"), url="http://registry",
                                 token=agency_token(w), transport=httpx.ASGITransport(app=w.app))
    assert [r["status"] for r in report["rows"]] == ["ENROLLED", "NOT_FOUND"]
    async with serve(w.app) as base:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "registry.cli", "enroll-roster", str(roster), "--url", base,
            "--token", agency_token(w, "CA0190000"), cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1, err.decode()  # one row was not enrolled
    text = out.decode()
    assert "ENROLLED" in text and "NOT_FOUND" in text and "1 enrolled, 0 already enrolled, 1 not enrolled" in text


async def test_deliver_webhooks_cli_once(mworld: World, tmp_path: Path, database_url: str) -> None:
    w = mworld
    officer = await new_officer(w)
    austin = agency_token(w)
    await enroll(w, austin, officer)
    signer = signing.load_or_create(tmp_path / "secrets")  # the key the CLI will find and sign with
    receiver = Receiver(public_key=signer.public_string())
    async with receiving(receiver) as url:
        await register(w, austin, url)
        await w.publish_ok("ca-post", record_published(subj={"registryId": officer}, status="FINAL",
                                                       attested=True))
        env = {**os.environ, "DATABASE_URL": database_url, "REGISTRY_DATA_DIR": str(tmp_path),
               "REGISTRY_WEBHOOK_ALLOW_HTTP": "1", "REGISTRY_WEBHOOK_ALLOW_PRIVATE": "1"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "registry.cli", "deliver-webhooks", "--once", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "attempted 1 webhook delivery" in out.decode()
    [req] = receiver.requests
    assert req.v1a is True and json.loads(req.body)["type"] == "record.visible"
    [row] = await outbox_rows(w.pool)
    assert row["state"] == "DELIVERED" and row["owner_id"] == AGENCY
