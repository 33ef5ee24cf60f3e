"""EO 13929 Sec. 3(c): public, aggregated, anonymized statistics (GraphQL, CSV and a public page), where
an attacker tries to re-identify a suppressed small count from the published totals — and fails.

The page is checked as a person sees it: served by uvicorn on 127.0.0.1 and rendered by headless
Chromium (Debian's ``chromium``), asserting on the DOM it produced."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import uvicorn

from server import create_app
from tests.integration.test_accreditation import (
    AG,
    BODY,
    CONFIRMED,
    as_ag,
    as_body,
    credential,
    credential_status,
    ok,
    register,
)
from tests.support import World, cert_issued, employment_started, missing_prerequisite, record_published, subject
from tests.unit.test_suppression import determined, peel

THRESHOLD = 5
# (publisher, state, year, how many, status, fair process attested)
RECORDS = [
    ("ca-post", "CA", 2021, 7, "FINAL", True),
    ("ca-post", "CA", 2022, 2, "FINAL", True),     # the small cell: CA's total is 9, so 9 - 7 would give it away
    ("tx-tcole", "TX", 2021, 8, "FINAL", True),
    ("tx-tcole", "TX", 2022, 9, "FINAL", True),
    ("ca-post", "CA", 2022, 3, "NOTICE_PENDING", False),  # never counted: not FINAL
    ("ca-post", "CA", 2022, 1, "FINAL", False),           # never counted: fair process not attested
]
COUNTED = {("CA", 2021): 7, ("CA", 2022): 2, ("TX", 2021): 8, ("TX", 2022): 9}

STATS_Q = """{ publicStatistics { basis minimumCellSize generatedAt
  cells { state year kind reasonCategory count suppressed } } }"""


@pytest.fixture
async def stats_world(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    world = World(pool, tmp_path, stats_min_cell=THRESHOLD)
    await world.setup()
    n = 0
    for publisher, state, year, count, status, attested in RECORDS:
        events = []
        for _ in range(count):
            n += 1
            ev = record_published(publisher=publisher, state=state, status=status, attested=attested,
                                  source=f"rec-{n}", subj=subject(given=f"Person{n}", family="Roe",
                                                                  dob=f"19{60 + n % 30}-01-{1 + n % 28:02d}"))
            ev["actionDate"] = f"{year}-06-15"
            events.append(ev)
        await world.publish_ok(publisher, *events)
    return world


def as_table(cells: list[dict[str, Any]]) -> dict[tuple[Any, ...], int | None]:
    return {(c["state"], c["year"], c["kind"], c["reasonCategory"]): c["count"] for c in cells}


DECERT, DISHONESTY = "DECERTIFICATION", "DISHONESTY"
#: Every published cell (state, year, record kind, reason category; None: all), by hand. Every counted record
#: is a DECERTIFICATION for DISHONESTY (record_published's defaults), so those dimensions have one value each.
#: Published: the grand total, the four one-way and the six two-way tables (20 cells); nothing finer.
TRUTH: dict[tuple[Any, ...], int] = {
    (None, None, None, None): 26,        # 7 + 2 + 8 + 9
    # one-way
    ("CA", None, None, None): 9,         # CA = 7 (2021) + 2 (2022)
    ("TX", None, None, None): 17,        # TX = 8 (2021) + 9 (2022)
    (None, 2021, None, None): 15,        # 2021 = 7 (CA) + 8 (TX)
    (None, 2022, None, None): 11,        # 2022 = 2 (CA) + 9 (TX)
    (None, None, DECERT, None): 26,      # every counted record
    (None, None, None, DISHONESTY): 26,  # every counted record
    # state x year: the counted records themselves
    ("CA", 2021, None, None): 7, ("CA", 2022, None, None): 2, ("TX", 2021, None, None): 8, ("TX", 2022, None, None): 9,
    # state x kind and state x reason: the state totals, 9 = 7 + 2 and 17 = 8 + 9
    ("CA", None, DECERT, None): 9, ("TX", None, DECERT, None): 17,
    ("CA", None, None, DISHONESTY): 9, ("TX", None, None, DISHONESTY): 17,
    # year x kind and year x reason: the year totals, 15 = 7 + 8 and 11 = 2 + 9
    (None, 2021, DECERT, None): 15, (None, 2022, DECERT, None): 11,
    (None, 2021, None, DISHONESTY): 15, (None, 2022, None, DISHONESTY): 11,
    # kind x reason: everything
    (None, None, DECERT, DISHONESTY): 26,
}


async def test_a_suppressed_cell_cannot_be_recovered_from_the_published_totals(stats_world: World) -> None:
    data = (await stats_world.ok(STATS_Q))["publicStatistics"]  # anonymous
    assert data["minimumCellSize"] == THRESHOLD and "FINAL" in data["basis"] and "fair process" in data["basis"]
    table = as_table(data["cells"])
    assert all(c["suppressed"] == (c["count"] is None) for c in data["cells"])
    # only FINAL records with fair process attested are counted, and everything published is true
    assert table[(None, None, None, None)] == 26
    assert {k: v for k, v in table.items() if v is not None} == {k: v for k, v in TRUTH.items()
                                                                 if table.get(k, 0) is not None}
    assert set(table) == set(TRUTH)
    # the small cell is suppressed, and its row total is published ...
    assert table[("CA", 2022, None, None)] is None and table[("CA", None, None, None)] == 9
    # ... which alone would give it away by subtraction in a table with primary suppression only
    naive = {k: (None if n < THRESHOLD else n) for k, n in TRUTH.items()}
    assert peel(naive).get(("CA", 2022, None, None)) == 2
    # but not in the published one: neither by subtraction nor by any combination of the totals
    assert peel(table) == {}
    assert determined(table) == []
    # the totals stay useful
    assert table[(None, 2021, None, None)] == 15 and table[("TX", None, None, None)] == 17
    assert table[(None, None, "DECERTIFICATION", None)] == 26


async def test_statistics_as_csv_and_by_breakdown_for_anonymous_callers(stats_world: World) -> None:
    resp = await stats_world.http.get("/public/statistics.csv")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert list(rows[0]) == ["state", "year", "record_kind", "reason_category", "count"]

    def cell(state: str, year: str) -> str:
        return next(r["count"] for r in rows if (r["state"], r["year"], r["record_kind"], r["reason_category"])
                    == (state, year, "ALL", "ALL"))

    assert cell("CA", "2022") == "suppressed" and cell("CA", "ALL") == "9" and cell("ALL", "ALL") == "26"
    graphql = as_table((await stats_world.ok(STATS_Q))["publicStatistics"]["cells"])
    assert len(rows) == len(graphql)
    by_state_year = (await stats_world.ok("{ publicStatistics { cells(breakdown: [STATE, YEAR]) { state year count "
                                          "suppressed } } }"))["publicStatistics"]["cells"]
    assert {(c["state"], c["year"]) for c in by_state_year} == set(COUNTED)
    assert all(c["suppressed"] for c in by_state_year)
    too_fine = await stats_world.gql("{ publicStatistics { cells(breakdown: [STATE, YEAR, RECORD_KIND]) { count } } }")
    assert too_fine["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # the public page needs no token, and escapes what it echoes
    page = await stats_world.http.get("/public", params={"ori": "<script>x</script>", "year": "2021"})
    assert page.status_code == 200 and "<script>x" not in page.text and "&lt;script&gt;" in page.text


async def test_every_year_of_the_range_is_listed_with_zero_for_a_year_without_records(
        pool: asyncpg.Pool, clean: None, tmp_path: Path) -> None:
    """Counted records in 2019 (3, a small cell) and 2022 (12), none in 2020 or 2021: those two years are
    listed with 0 (a 0 is no small cell, and a reader knew that an unlisted year was 0), in the CSV, in
    GraphQL and on the page, and suppression is exactly what it would be without them."""
    world = World(pool, tmp_path, stats_min_cell=THRESHOLD)
    await world.setup()
    for n, (publisher, state, year) in enumerate([("ca-post", "CA", 2019)] * 3 + [("tx-tcole", "TX", 2022)] * 12):
        ev = record_published(publisher=publisher, state=state, status="FINAL", attested=True, source=f"gap-{n}",
                              subj=subject(given=f"Gap{n}", family="Roe", dob=f"19{60 + n}-02-03"))
        ev["actionDate"] = f"{year}-03-01"
        await world.publish_ok(publisher, ev)
    rows = list(csv.DictReader(io.StringIO((await world.http.get("/public/statistics.csv")).text)))
    by_year = {r["year"]: r["count"] for r in rows if (r["state"], r["record_kind"], r["reason_category"])
               == ("ALL", "ALL", "ALL") and r["year"] != "ALL"}
    assert by_year == {"2019": "suppressed", "2020": "0", "2021": "0", "2022": "suppressed"}
    assert not any(r["count"] == "0" for r in rows if r["year"] in ("2019", "2022"))  # no other zero rows
    data = (await world.ok(STATS_Q))["publicStatistics"]
    cells = {(c["state"], c["year"], c["kind"], c["reasonCategory"]): c["count"] for c in data["cells"]}
    assert cells[(None, 2020, None, None)] == 0 and cells[(None, 2021, None, None)] == 0
    assert cells[(None, None, None, None)] == 15 and cells[("CA", None, None, None)] is None
    assert peel(cells) == {} and determined(cells) == []
    years = (await world.ok("{ publicStatistics { cells(breakdown: [YEAR]) { year count suppressed } } }"))
    assert [(c["year"], c["count"], c["suppressed"]) for c in years["publicStatistics"]["cells"]] == [
        (2019, None, True), (2020, 0, False), (2021, 0, False), (2022, None, True)]

    page = (await world.http.get("/public")).text
    dom = DomReader()
    dom.feed(page)
    table = dom.tables["statistics-table"]
    assert [text for text, _ in table[0]] == ["State", "2019", "2020", "2021", "2022", "Total"]
    assert {r[0][0]: [c for c, _ in r[1:]] for r in table[1:]}["Total"] == ["suppressed", "0", "0", "suppressed",
                                                                          "15"]
    chart = dom.ids["statistics-chart"]
    assert all(y in chart for y in ("2019", "2020", "2021", "2022"))
    assert "suppressed" in chart and "Every yearly count with records is below 5" in chart


# -- the public page in a real browser ------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; installed with apt-get when missing and we may (root), else the test is skipped."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, timeout=900)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env, timeout=1800)
        path = shutil.which("chromium")
    if path is None:
        missing_prerequisite("headless Chromium (Debian package 'chromium') for the public page's browser test")
    return path


@pytest.fixture
def served(stats_world: World, database_url: str) -> Iterator[str]:
    """The app on 127.0.0.1 in a background thread, with its own pool (its own event loop); no checkpoint timer."""
    settings = dataclasses.replace(stats_world.settings, checkpoint_seconds=0)
    app = create_app(settings, services=stats_world.services, database_url=database_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(600):  # wait for start-up (bounded), not a timing assertion
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


class DomReader(HTMLParser):
    """Text of every element with an id, and the text and class of every table cell, by table."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}
        self.hrefs: list[str] = []
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self._open: list[tuple[str, str | None]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._cell_class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"] or "")
        if tag in ("br", "input", "meta", "img", "hr", "link"):  # void elements: no end tag
            return
        self._open.append((tag, a.get("id")))
        if a.get("id"):
            self.ids.setdefault(a["id"] or "", "")
        if tag == "table":
            self._table = a.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell, self._cell_class = [], a.get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(("".join(self._cell).strip(), self._cell_class))
            self._cell = None
        if tag == "table":
            self._table = None
        while self._open:
            t, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.ids[element_id] += data
        if self._cell is not None:
            self._cell.append(data)


async def render(chromium: str, url: str, profile: Path) -> DomReader:
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--dump-dom", url]
    done = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True, timeout=180)
    assert "<html" in done.stdout, done.stderr[-2000:]
    dom = DomReader()
    dom.feed(done.stdout)
    return dom


async def test_public_page_in_headless_chromium(stats_world: World, served: str, chromium: str,
                                                tmp_path: Path) -> None:
    # an agency that submitted its Sec. 3(b) information for 2021 and holds a credential from a certified body
    await register(stats_world, AG, "CERTIFYING_AUTHORITY", "U.S. Attorney General")
    await register(stats_world, BODY, "CREDENTIALING_BODY", "Commission on Accreditation")
    ok(await as_ag(stats_world, {**_certify()}))
    ok(await as_body(stats_world, credential("c-1", "APPLIED", "2020-05-01")))
    ok(await as_body(stats_world, credential_status("c-1", "GRANTED", "2021-02-01", confirmations=CONFIRMED)))
    await stats_world.publish_ok("sunnyvale-dps", record_published(publisher="sunnyvale-dps", kind="TERMINATION",
                                                                   agency="CA0010000", source="term-1"))
    await stats_world.publish_ok("sunnyvale-dps", {
        "type": "reporting.submitted", "publisher": "sunnyvale-dps", "eventId": "stmt-2021",
        "issuedAt": datetime.now(UTC).isoformat(), "agencyOri": "CA0010000", "reportingYear": 2021})
    # Sec. 4(b): officers since 2020 at three CA agencies (a public count sums at least three), 7 of 15 trained
    await stats_world.ok("mutation($i: AgencyInput!) { registerAgency(input: $i) { ori } }",
                         {"i": {"ori": "CA0020000", "name": "Bayview PD", "state": "CA", "level": "LOCAL"}},
                         as_="admin")
    for publisher, ori, officers, trained in (("sunnyvale-dps", "CA0010000", 10, 5), ("ca-post", "CA0190000", 3, 1),
                                              ("ca-post", "CA0020000", 2, 1)):
        hired = await stats_world.publish_ok(publisher, *(
            {**employment_started(publisher, f"emp-{ori}-{n}", ori,
                                  subj=subject(given=f"Cadet{n}", family=f"Lee{ori}", dob=f"199{n}-02-03")),
             "startDate": "2020-06-01"} for n in range(officers)))
        await stats_world.publish_ok("ca-post", *(
            {**cert_issued("ca-post", f"CIT-{ori}-{n}", kind="CRISIS_INTERVENTION_TRAINING",
                           subj={"registryId": row["officerId"]}), "issuedOn": "2020-01-15"}
            for n, row in enumerate(hired[:trained])))
    await stats_world.publish_ok("sunnyvale-dps", {
        "type": "agency_program.published", "publisher": "sunnyvale-dps", "eventId": "prog-1",
        "issuedAt": datetime.now(UTC).isoformat(), "sourceId": "p-1",
        "agencyOri": "CA0010000", "kind": "CO_RESPONDER", "partnerType": "SOCIAL_WORKER", "startDate": "2021-01-01"})

    dom = await render(chromium, f"{served}/public?ori=CA0010000&year=2021", tmp_path / "profile")
    table = dom.tables["statistics-table"]
    header = [text for text, _ in table[0]]
    assert header == ["State", "2021", "2022", "Total"]
    rows = {r[0][0]: r[1:] for r in table[1:]}
    assert rows["CA"] == [("suppressed", "suppressed"), ("suppressed", "suppressed"), ("9", "count")]
    assert rows["TX"][2] == ("17", "count")
    assert rows["Total"] == [("15", "count"), ("11", "count"), ("26", "count")]
    assert "statistics-chart" in dom.ids and "2021" in dom.ids["statistics-chart"]
    assert "statistics-kinds" in dom.tables and len(dom.tables["statistics-kinds"]) > 1  # a header and rows
    assert "eligibility-form" in dom.ids
    assert dom.ids["eligibility-verdict"].strip() == "eligible"
    assert "submitted its Sec. 3(b) information for 2021" in dom.ids["eligibility-result"]
    assert "Sunnyvale Department of Public Safety" in dom.ids["eligibility-result"]

    this = datetime.now(UTC).year
    years = [str(y) for y in range(this - 4, this + 1)]
    coverage = dom.tables["coverage-table"]
    assert [text for text, _ in coverage[0]] == ["State", *years]
    assert coverage[1] == [("CA", ""), *[("47% (7 of 15)", "count")] * 5]
    assert coverage[2] == [("All states", ""), *[("47% (7 of 15)", "count")] * 5]
    programs = dom.tables["programs-table"]
    assert [r[0][0] for r in programs[1:]] == years
    assert all(r[1:] == [("1", "count"), ("1", "count")] for r in programs[1:])
    assert "/public/training-coverage.csv" in dom.hrefs

    other = await render(chromium, f"{served}/public?ori=TX2270000&year=2021", tmp_path / "profile2")
    assert other.ids["eligibility-verdict"].strip() == "not eligible"
    assert "no credential" in other.ids["eligibility-result"]


def _certify() -> dict[str, Any]:
    from tests.integration.test_accreditation import certified

    return certified("2020-01-01")


def analysts_section() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    return readme.split("## For policy analysts: getting the public data", 1)[1].split("\n## ", 1)[0]


async def test_readme_examples_for_policy_analysts_work_without_a_token(stats_world: World) -> None:
    import json
    import re

    section = analysts_section()
    payloads = [json.loads(p) for p in re.findall(r"-d '(\{.*?\})'", section)]
    assert len(payloads) == 3
    for payload in payloads:
        body = (await stats_world.http.post("/graphql", json=payload)).json()
        assert not body.get("errors"), body
    assert "/public/statistics.csv" in section and (await stats_world.http.get("/public/statistics.csv")).is_success
