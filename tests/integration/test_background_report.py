"""The background-check report (GET /reports/background-check.pdf): rendered to an image and read back as text.

The PDF is opened with PDFium (pypdfium2): page 1 is rasterized (it must not be blank) and every page's text is
extracted, so the tests read what a person holding the printout reads.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pypdfium2 as pdfium

from tests.support import World, cert_issued, employment_started, record_published, second_database, subject
from web import background_report

URL = "/reports/background-check.pdf"
PURPOSE = "PRE_EMPLOYMENT_BACKGROUND_CHECK"
HIRING: dict[str, Any] = {"agency_ori": "TX2270000"}
NARRATIVE = "Falsified reports in three cases."
UNDER_REVIEW = "Struck a handcuffed detainee; the agency's inquiry has begun."
STATEMENT = "I contest the finding; see appeal 22-1."


async def history(world: World, *, pending_about_subject: bool) -> dict[str, Any]:
    """Officer Nora Quist: a certification, a job and a FINAL record (attested), and the statement she added.
    Then one NOTICE_PENDING record, about her or about another officer: the log holds as many events either way."""
    nora = (await world.publish_ok("ca-post", cert_issued(subj=subject("Nora", "Quist", "1979-03-30"))))[0]
    other = (await world.publish_ok("ca-post", cert_issued(number="200002",
                                                           subj=subject("Owen", "Pratt", "1981-07-14"))))[0]
    oid = nora["officerId"]
    await world.publish_ok("sunnyvale-dps", employment_started(subj={"registryId": oid}))
    final = (await world.publish_ok("ca-post", record_published(subj={"registryId": oid}, status="FINAL",
                                                                attested=True, narrative=NARRATIVE)))[0]
    await world.ok('mutation($r: ID!, $t: String) { addStatement(recordId: $r, text: $t) { id } }',
                   {"r": final["entityId"], "t": STATEMENT}, as_="officer", officer_id=oid)
    about = oid if pending_about_subject else other["officerId"]
    pending = (await world.publish_ok("ca-post", record_published(
        source="rec-2", subj={"registryId": about}, status="NOTICE_PENDING",
        narrative=UNDER_REVIEW)))[0]
    return {"officer": oid, "record": final["entityId"], "log_index": final["logIndex"],
            "pending": pending["entityId"], "other": other["officerId"]}


async def get_report(world: World, officer_id: str | None, *, role: str | None = "hiring_agency",
                     purpose: str | None = PURPOSE, in_header: bool = True, **bindings: Any) -> httpx.Response:
    headers = {}
    if role is not None:
        headers["Authorization"] = f"Bearer {world.token(role, **(bindings or HIRING))}"
    params = {} if officer_id is None else {"officer": officer_id}
    if purpose is not None:
        if in_header:
            headers["Registry-Purpose"] = purpose
        else:
            params["purpose"] = purpose
    return await world.http.get(URL, params=params, headers=headers)


def pages_text(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [str(page.get_textpage().get_text_bounded()).replace("\r\n", "\n") for page in doc]
    finally:
        doc.close()


def report_text(pdf: bytes) -> str:
    return "\n".join(pages_text(pdf))


def flat(text: str) -> str:
    """Whitespace as single spaces: a sentence may wrap anywhere on the page."""
    return " ".join(text.split())


def masked(text: str) -> str:
    """The report with what differs between any two registries masked: the random registry IDs, salted hashes,
    signatures and clock times (each world publishes at its own moment, with its own keys). Log indices, tree
    sizes and proof lengths are not masked: both worlds logged as many events in the same order."""
    text = flat(text)
    text = re.sub(r"\b(?:OFC|REC|CRT|EMP)-[0-9A-Z]{12}\b", "<id>", text)
    text = re.sub(r"\b[0-9a-f]{64}\b", "<hash>", text)
    text = re.sub(r"[A-Za-z0-9+/]{40,}={0,2}", "<base64>", text)
    text = re.sub(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\b", "<time>", text)
    return re.sub(r"\b\d{8}\b", "<day>", text)


async def log_of(world: World, officer_id: str) -> list[dict[str, Any]]:
    """The officer's query log, as the officer reads it (page by page)."""
    entries: list[dict[str, Any]] = []
    after = None
    while True:
        data = await world.ok("query($id: ID!, $n: Int!, $after: String) { officer(id: $id) { queryLog(first: $n, "
                              "after: $after) { pageInfo { hasNextPage endCursor } edges { node { actorRole "
                              "actorOrganization purpose returned } } } } }",
                              {"id": officer_id, "n": world.settings.max_page_size, "after": after},
                              as_="officer", officer_id=officer_id)
        log = data["officer"]["queryLog"]
        entries += [e["node"] for e in log["edges"]]
        if not log["pageInfo"]["hasNextPage"]:
            return entries
        after = log["pageInfo"]["endCursor"]


def error_of(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    [error] = body["errors"]
    assert "\n" not in error["message"] and error["message"].strip(), body
    assert resp.headers["content-type"].startswith("application/json")
    result: dict[str, Any] = error
    return result


async def test_the_report_renders_and_reads_back(world: World) -> None:
    ids = await history(world, pending_about_subject=True)
    resp = await get_report(world, ids["officer"])
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/pdf"
    assert resp.headers["cache-control"] == "no-store"
    assert re.fullmatch(rf'attachment; filename="background-check-{ids["officer"]}-\d{{8}}\.pdf"',
                        resp.headers["content-disposition"])
    pdf = resp.content
    assert pdf.startswith(b"%PDF-")

    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[0].render(scale=1).to_pil().convert("L")
    finally:
        doc.close()
    darkest, lightest = image.getextrema()
    assert darkest < 100 and lightest > 240, "page 1 is blank"
    inked = sum(image.histogram()[:128])
    assert inked > 0.005 * image.width * image.height, "page 1 carries almost no ink"

    text = report_text(pdf)
    one_line = flat(text)
    checkpoint = (await world.http.get("/checkpoint")).text
    for expected in ("Background-check report", "Nora Quist", "1979-03-30", ids["officer"], "100001",
                     NARRATIVE, STATEMENT, f"for purpose {PURPOSE}", "Austin Police Department (ORI TX2270000)",
                     f"Log index {ids['log_index']}", "Sunnyvale Department of Public Safety", "Final",
                     "registry verify", "Page 1 of "):
        assert expected in one_line, (expected, text)
    assert re.search(r"Retrieved at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC by ", one_line)
    lines = [line.strip() for line in text.split("\n")]
    origin = world.settings.log_origin
    assert checkpoint.split("\n")[0] == origin and origin in lines, text
    for line in filter(None, checkpoint.split("\n")):  # the signed note, line for line, signature lines included
        assert line in lines, (line, text)
    assert UNDER_REVIEW not in one_line and "Owen" not in one_line and "200002" not in one_line


async def test_a_pending_record_changes_nothing_in_the_report(world: World, database_url: str,
                                                              tmp_path: Path) -> None:
    """Two registries that differ only in whom a NOTICE_PENDING record is about: the report of the officer it is
    about reads exactly as the report of the officer it is not about, and no word hints at anything held back."""
    (tmp_path / "other").mkdir()
    async with second_database(database_url) as other_pool:
        other = World(other_pool, tmp_path / "other")
        await other.setup()
        clean = await history(world, pending_about_subject=False)
        pending = await history(other, pending_about_subject=True)
        texts = []
        for w, ids in ((world, clean), (other, pending)):
            resp = await get_report(w, ids["officer"])
            assert resp.status_code == 200, resp.text
            texts.append(report_text(resp.content))
        # the second world really holds the pending record, about this officer (the officer sees it)
        mine = await other.ok("query($id: ID!) { officer(id: $id) { records { totalCount } } }",
                              {"id": pending["officer"]}, as_="officer", officer_id=pending["officer"])
        assert mine["officer"]["records"]["totalCount"] == 2
    assert masked(texts[0]) == masked(texts[1])
    assert len(pages_text_of(texts[0])) == len(pages_text_of(texts[1]))
    for text in texts:
        low = text.lower()
        for word in ("pending", "hidden", "forbidden", "withheld", "redact", "not shown", "not allowed",
                     "record 2", "2 records"):
            assert word not in low, (word, text)
        assert UNDER_REVIEW not in flat(text)


def pages_text_of(text: str) -> list[str]:
    return re.findall(r"Page \d+ of \d+", text)


async def test_the_report_is_in_the_officers_query_log(world: World) -> None:
    ids = await history(world, pending_about_subject=True)
    assert await log_of(world, ids["officer"]) == []
    resp = await get_report(world, ids["officer"], purpose=PURPOSE, in_header=False)  # ?purpose= works too
    assert resp.status_code == 200, resp.text
    [entry] = await log_of(world, ids["officer"])
    assert (entry["actorRole"], entry["actorOrganization"], entry["purpose"]) == ("hiring_agency", "TX2270000",
                                                                                   PURPOSE)
    assert entry["returned"]["Officer"] == [ids["officer"]]
    assert entry["returned"]["MisconductRecord"] == [ids["record"]]  # the pending record was not read
    assert {"Certification", "Employment"} <= set(entry["returned"])


async def test_refusals_are_one_json_error(world: World) -> None:
    ids = await history(world, pending_about_subject=True)
    officer = ids["officer"]

    for resp in (await get_report(world, officer, purpose=None),
                 await get_report(world, officer, purpose="CURIOSITY", in_header=False),
                 await get_report(world, None)):
        assert resp.status_code == 400, resp.text
        assert error_of(resp)["extensions"]["code"] == "BAD_USER_INPUT"
    assert "purpose" in error_of(await get_report(world, officer, purpose=None))["message"]

    anonymous = await get_report(world, officer, role=None)
    assert anonymous.status_code == 401 and error_of(anonymous)["extensions"]["code"] == "UNAUTHENTICATED"
    bad_token = await world.http.get(URL, params={"officer": officer, "purpose": PURPOSE},
                                     headers={"Authorization": "Bearer not-a-token"})
    assert bad_token.status_code == 401 and error_of(bad_token)["extensions"]["code"] == "UNAUTHENTICATED"

    wrong_purpose = await get_report(world, officer, purpose="OVERSIGHT_AUDIT")  # auditors' purpose only
    assert wrong_purpose.status_code == 403 and error_of(wrong_purpose)["extensions"]["code"] == "FORBIDDEN"

    absent = "OFC-0000000000Z0"
    for role, bindings in (("hiring_agency", HIRING), ("publisher", {"publisher_id": "tx-tcole"}),
                           ("partner", {"partner_id": "p-1"})):
        missing = await get_report(world, absent, role=role, **bindings)
        assert missing.status_code == 404, (role, missing.text)
        assert error_of(missing)["extensions"]["code"] == "NOT_FOUND"
        if role != "hiring_agency":  # a Texas board and a partner may not read this California officer
            invisible = await get_report(world, officer, role=role, **bindings)
            assert (invisible.status_code, invisible.json()) == (missing.status_code, missing.json()), role
    head = await world.http.head(URL, params={"officer": officer, "purpose": PURPOSE},
                                 headers={"Authorization": f"Bearer {world.token('hiring_agency', **HIRING)}"})
    assert head.status_code == 405  # it would be a read in the officer's log that shows the reader nothing
    assert await log_of(world, officer) == []  # no refused request showed anything


async def test_a_history_longer_than_a_page_is_read_page_by_page(pool: asyncpg.Pool, clean: None,
                                                                 tmp_path: Path) -> None:
    """With one item per page, every certification and record still reaches the report, and every page read is
    in the query log with the purpose, as it would be for an API client paging through the history."""
    world = World(pool, tmp_path, max_page_size=1)
    await world.setup()
    oid = (await world.publish_ok("ca-post", cert_issued(subj=subject("Nora", "Quist", "1979-03-30"))))[0][
        "officerId"]
    await world.publish_ok("ca-post", cert_issued(number="100002", subj={"registryId": oid}))
    records = [(await world.publish_ok("ca-post", record_published(
        source=f"rec-{n}", subj={"registryId": oid}, status="FINAL", attested=True,
        narrative=f"Finding number {n}.")))[0]["entityId"] for n in (1, 2)]
    resp = await get_report(world, oid)
    assert resp.status_code == 200, resp.text
    text = flat(report_text(resp.content))
    for expected in ("100001", "100002", "Finding number 1.", "Finding number 2.", "Record 2:"):
        assert expected in text, (expected, text)
    entries = await log_of(world, oid)
    assert len(entries) == 3 and {e["purpose"] for e in entries} == {PURPOSE}  # the first read and two more pages
    assert sorted(r for e in entries for r in e["returned"].get("MisconductRecord", [])) == sorted(records)


def test_data_is_printed_as_text_never_read_as_markup() -> None:
    """Whatever a publisher or an officer wrote is printed as it is: no markup (an <img> would read a server
    file), long texts flow across pages, control characters are dropped."""
    hostile = '<img src="/etc/hostname"/><a href="https://example.test">link</a> & <b>bold</b>\x00\x07'
    record: dict[str, Any] = {
        "id": "REC-000000000001", "narrative": "word " * 4000 + hostile, "subjectStatement": "s " * 2000,
        "statusHistory": [{"toStatus": "FINAL", "reason": "r " * 1000}],
        "proof": {"logIndex": 7, "treeSize": 9, "leafHash": "ab" * 32, "inclusionProof": ["cd" * 32] * 4,
                  "checkpoint": "o.example/log\n9\nAAAA\n\n\u2014 o.example/log " + "B" * 120 + "\n"}}
    report = background_report.Report(
        officer={"id": "OFC-000000000001", "names": [{"kind": "PRIMARY", "fullName": "Ana <i>Ruiz</i>"}]},
        certifications=[{"state": "CA", "number": "9", "statusReason": "x " * 1000}], employment=None,
        records=[record, {**record, "id": "REC-000000000002"}], purpose=PURPOSE,
        retrieved_at=datetime.now(UTC), requester="someone", log_origin="o.example/log",
        checkpoints=[record["proof"]["checkpoint"]])
    pages = pages_text(background_report.render(report))
    text = flat("\n".join(pages))
    assert len(pages) > 3 and f"Page {len(pages)} of {len(pages)}" in text
    assert 'Ana <i>Ruiz</i>' in text and '<img src="/etc/hostname"/>' in text and "<b>bold</b>" in text
    assert "\x00" not in text and "\x07" not in text
    assert "Employment" not in text  # a connection the caller could not read is left out, without a word
    assert ("\u2014 o.example/log " + "B" * 120) in [line.strip() for page in pages for line in page.split("\n")]
