# ruff: noqa: E501  (CSV fixtures are one row per line)
"""Bulk publishing from CSV: the documented column mapping, local validation, per-row report."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from publishing.csv_rows import CsvRowError, read_csv
from registry.cli import ledger as cli_ledger
from registry.cli.common import CliError
from tests.support import World

CSV = """type,event_id,source_id,given_name,middle_name,family_name,date_of_birth,aliases,state,certification_number,certification_kind,issued_on,ssn,record_source_id,record_kind,reason_category,action_date,status,fair_process_attested,narrative
certification.issued,csv-1,c-1,Rosa,María,Delgado-Ruiz,1983-07-21,Rosie Delgado,CA,CSV-001,PEACE_OFFICER,2008-05-01,287-65-4321,,,,,,,
certification.issued,csv-2,c-2,Tom,,Becker,1977-01-30,,CA,CSV-002,CORRECTIONS,2001-02-03,,,,,,,,
record.published,csv-3,rec-csv-1,Tom,,Becker,1977-01-30,,CA,,,,,,DECERTIFICATION,DISHONESTY,2022-02-02,FINAL,yes,Lied under oath.
"""


def test_mapping_builds_the_events() -> None:
    rows = list(read_csv(CSV, default_publisher="ca-post"))
    assert not [r for r in rows if isinstance(r, CsvRowError)]
    first = rows[0]
    assert not isinstance(first, CsvRowError)
    assert first.ssn == "287-65-4321" and "ssn" not in str(first.event)
    assert first.event["subject"]["name"] == {"givenName": "Rosa", "middleName": "María", "familyName": "Delgado-Ruiz"}
    assert first.event["subject"]["aliases"] == [{"givenName": "Rosie", "familyName": "Delgado"}]
    assert first.event["number"] == "CSV-001" and first.event["publisher"] == "ca-post"
    third = rows[2]
    assert not isinstance(third, CsvRowError)
    assert third.event["fairProcessAttested"] is True and third.event["kind"] == "DECERTIFICATION"


@pytest.mark.parametrize(("row", "why"), [
    ("teleport,x,,,,,,,,,,,,,,,,,,", "type must be one of"),
    ("certification.status_changed,x,,,,,,,,,,,,,,,,,,", "do not apply"),  # empty: fine; see next
    ("record.affirmed,x,,Tom,,,,,,,,,,r,,,,,,", "do not apply"),
    ("record.published,x,r,Tom,,B,1977-01-30,,CA,,,,,,DECERTIFICATION,DISHONESTY,2022-02-02,FINAL,maybe,", "true or false"),
])
def test_bad_rows_are_named(row: str, why: str) -> None:
    header = CSV.splitlines()[0]
    results = list(read_csv(f"{header}\n{row}\n", default_publisher="ca-post"))
    if why == "do not apply" and row.startswith("certification.status_changed"):
        assert not isinstance(results[0], CsvRowError)
        return
    assert isinstance(results[0], CsvRowError) and why in str(results[0]) and "line 2" in str(results[0])


async def test_csv_publish_end_to_end(world: World, tmp_path: Path) -> None:
    key, kid = world.keys["ca-post"]
    path = tmp_path / "board.csv"
    path.write_text(CSV, encoding="utf-8")
    items = cli_ledger._read_events(str(path), key, kid, fmt="auto", publisher="ca-post")
    assert len(items) == 3
    reports = await cli_ledger.publish_events(items, url="http://registry", token=world.token(
        "publisher", publisher_id="ca-post"), batch_size=500, dry_run=False,
        transport=httpx.ASGITransport(app=world.app), progress=False)
    assert [r.status for r in reports] == ["ACCEPTED"] * 3
    async with world.pool.acquire() as conn:
        officers = await conn.fetchval("SELECT count(*) FROM officers")
        index = await conn.fetchval("SELECT count(*) FROM officers WHERE ssn_blind_index IS NOT NULL")
    assert (officers, index) == (2, 1)


def test_invalid_values_are_caught_before_upload(world: World, tmp_path: Path) -> None:
    key, kid = world.keys["ca-post"]
    bad = CSV.replace("PEACE_OFFICER", "ASTRONAUT").replace("1977-01-30,,CA,CSV-002", "1977-13-30,,CA,CSV-002")
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CliError, match="bad row") as err:
        cli_ledger._read_events(str(path), key, kid, fmt="csv", publisher="ca-post")
    assert "line 2" in str(err.value) and "line 3" in str(err.value)
