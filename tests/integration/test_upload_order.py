"""An upload's batches are applied in their order, whatever order they arrive in (publishing.uploads): through the
API over HTTP, and `registry publish` with batches in flight. Each guarantee is tried against: a batch that depends
on the one before it sent first, a predecessor that never comes, one that fails as a whole, another caller using
the same upload ID, and a key revoked while a batch's signatures were checked before the log lock."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from auth.dev_issuer import mint_token
from auth.principal import Principal, Role
from ledger import admin_entries
from publishing import registrations
from publishing.apply import Publisher, Submission
from registry.cli import ledger as cli_ledger
from registry.cli import main as cli_main
from tests.support import AUDIENCE, ISSUER, World, record_published, status_changed

UPLOAD = """mutation($e: [EventSubmission!]!, $u: UploadBatch) { publishEvents(events: $e, upload: $u) {
  committed results { status code logIndex eventId } } }"""


@pytest.fixture
async def quick(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    """A registry whose batches wait one second for the batch before them."""
    world = World(pool, tmp_path, upload_wait_seconds=1.0)
    await world.setup()
    return world


def _records(tag: str, n: int) -> list[dict[str, Any]]:
    return [record_published(source=f"{tag}-{i}") for i in range(n)]


def _finals(tag: str, n: int) -> list[dict[str, Any]]:
    """Each record of ``_records(tag, n)`` made final: refused unless that record is stored."""
    return [status_changed(source=f"{tag}-{i}", status="FINAL", attested=True) for i in range(n)]


async def _batch(world: World, payloads: list[dict[str, Any]], upload: str | None, position: int, *,
                 role: str = "publisher") -> dict[str, Any]:
    variables: dict[str, Any] = {"e": [{"jws": world.sign("ca-post", p)} for p in payloads]}
    if upload is not None:
        variables["u"] = {"id": upload, "position": position}
    return await world.gql(UPLOAD, variables, as_=role, publisher_id="ca-post")


def _upload(world: World, events: list[dict[str, Any]]) -> tuple[list[cli_ledger._Item], str]:
    """The rows `registry publish` would send for these events, and a token of their publisher."""
    items = [cli_ledger._Item(line=i + 1, event_id=p["eventId"], jws=world.sign("ca-post", p), ssn=None)
             for i, p in enumerate(events)]
    return items, world.token("publisher", publisher_id="ca-post")


async def _stopped(world: World, events: list[dict[str, Any]],
                   transport: Callable[[str], httpx.AsyncBaseTransport]) -> cli_ledger.UploadStopped:
    """`registry publish` of the events in batches of 5, two in flight, through ``transport`` (given the sixth row's
    JWS, the first of the second batch): the upload must stop."""
    items, token = _upload(world, events)
    with pytest.raises(cli_ledger.UploadStopped) as stopped:
        await cli_ledger.publish_events(items, url="http://registry", token=token, batch_size=5, dry_run=False,
                                        transport=transport(items[5].jws), progress=False, in_flight=2)
    return stopped.value


async def _stored(world: World, payloads: list[dict[str, Any]]) -> int:
    found: int = await world.pool.fetchval("SELECT count(*) FROM events WHERE event_id = ANY($1::text[])",
                                           [p["eventId"] for p in payloads])
    return found


async def test_a_batch_sent_first_waits_for_the_batch_before_it(quick: World) -> None:
    upload = secrets.token_hex(6)
    first, second = _records("o", 20), _finals("o", 20)
    # the second batch arrives first: applied now, every status change would be refused (no such record yet)
    early = asyncio.ensure_future(_batch(quick, second, upload, 1))
    await asyncio.sleep(0.3)
    assert not early.done()
    done = await _batch(quick, first, upload, 0)
    later = await early
    assert done["data"]["publishEvents"]["committed"], done
    body = later["data"]["publishEvents"]
    assert body["committed"] and {r["status"] for r in body["results"]} == {"ACCEPTED"}, later
    first_log = [r["logIndex"] for r in done["data"]["publishEvents"]["results"]]
    assert max(first_log) < min(r["logIndex"] for r in body["results"])


async def test_a_batch_whose_predecessor_never_comes_is_refused_with_nothing_applied(quick: World) -> None:
    events = _records("n", 3)
    started = time.monotonic()
    body = await _batch(quick, events, secrets.token_hex(6), 4)
    assert time.monotonic() - started >= 1.0
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UPLOAD_OUT_OF_ORDER"
    assert "batch 3 of the upload was not decided within 1 s" in error["message"], error
    assert "nothing in this batch was applied" in error["message"]
    assert await _stored(quick, events) == 0


async def test_a_batch_that_failed_stops_the_upload(quick: World) -> None:
    upload = secrets.token_hex(6)
    # batch 1 without a batch 0: refused as a whole once the wait is over, which the upload's next batch is told
    failed = await _batch(quick, _records("f", 2), upload, 1)
    assert failed["errors"][0]["extensions"]["code"] == "UPLOAD_OUT_OF_ORDER"
    events = _records("f2", 2)
    started = time.monotonic()
    body = await _batch(quick, events, upload, 2)
    assert time.monotonic() - started < 1.0  # told at once, not after the wait
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UPLOAD_STOPPED", error
    assert "batch 1 of the upload failed as a whole" in error["message"]
    assert await _stored(quick, events) == 0


async def test_a_rejected_or_dry_run_batch_does_not_stop_the_upload(quick: World) -> None:
    upload = secrets.token_hex(6)
    rejected = await _batch(quick, [*_records("r", 2), *_finals("missing", 1)], upload, 0)
    assert rejected["data"]["publishEvents"]["committed"] is False
    dry = await quick.gql("mutation($e: [EventSubmission!]!, $u: UploadBatch) { publishEvents(events: $e, "
                          "dryRun: true, upload: $u) { committed } }",
                          {"e": [{"jws": quick.sign("ca-post", p)} for p in _records("d", 2)],
                           "u": {"id": upload, "position": 1}}, as_="publisher", publisher_id="ca-post")
    assert dry["data"]["publishEvents"]["committed"] is False
    body = await _batch(quick, _records("r3", 2), upload, 2)
    assert body["data"]["publishEvents"]["committed"], body


async def test_an_upload_is_its_callers_alone(quick: World) -> None:
    """Another caller's batch 1 of the same upload ID does not follow this caller's batch 0: it waits for its own."""
    upload = secrets.token_hex(6)
    assert (await _batch(quick, _records("c", 2), upload, 0))["data"]["publishEvents"]["committed"]
    stranger = mint_token(quick.issuer_key, issuer=ISSUER, audience=AUDIENCE, subject="another-clerk",
                          role="publisher", publisher_id="ca-post")
    events = _records("c2", 2)
    resp = await quick.http.post("/graphql", json={"query": UPLOAD, "variables": {
        "e": [{"jws": quick.sign("ca-post", p)} for p in events], "u": {"id": upload, "position": 1}}},
        headers={"Authorization": f"Bearer {stranger}"})
    assert resp.json()["errors"][0]["extensions"]["code"] == "UPLOAD_OUT_OF_ORDER"
    assert await _stored(quick, events) == 0
    assert (await _batch(quick, events, upload, 1))["data"]["publishEvents"]["committed"]  # the caller's own


async def test_only_a_submitter_may_name_an_upload_and_bad_places_are_refused(quick: World) -> None:
    refused = await quick.gql(UPLOAD, {"e": [{"jws": quick.sign("ca-post", _records("h", 1)[0])}],
                                       "u": {"id": "x", "position": 0}}, as_="hiring_agency", agency_ori="WA0010000")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    for place, words in (({"id": "", "position": 0}, "upload.id"), ({"id": "a b", "position": 0}, "upload.id"),
                         ({"id": "x" * 65, "position": 0}, "upload.id"), ({"id": "x", "position": -1},
                                                                           "upload.position")):
        body = await quick.gql(UPLOAD, {"e": [{"jws": quick.sign("ca-post", _records("b", 1)[0])}], "u": place},
                               as_="publisher", publisher_id="ca-post")
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and words in body["errors"][0]["message"]


async def test_a_key_revoked_while_the_batch_was_checked_before_the_lock_is_refused(quick: World) -> None:
    """The batch's signatures are checked before the log lock; a revocation committed before the batch gets the lock
    is what the batch is judged by, as if it had been checked under the lock."""
    _key, kid = quick.keys["ca-post"]
    events = _records("k", 20)  # enough to be checked on the verifying threads, before the lock
    caller = Principal(role=Role.PUBLISHER, subject="t", issuer="x", publisher_id="ca-post")
    subs = [Submission(quick.sign("ca-post", p)) for p in events]
    async with quick.pool.acquire() as holder, quick.pool.acquire() as conn:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT size FROM log_state WHERE id FOR UPDATE")  # the log's append lock
        publishing = asyncio.ensure_future(Publisher(conn, caller, quick.services.ssn_key,
                                                     admin_keys=quick.services.admin_keys.public()).run(
            subs, dry_run=False))
        for _ in range(500):  # until the batch waits for the lock, its signatures checked
            waiting = await quick.pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%log_state%'")
            if waiting:
                break
            await asyncio.sleep(0.01)
        assert waiting
        await registrations.record(holder, quick.services.admin_keys,
                                   admin_entries.revocation_entry(kid, datetime.now(UTC)), by="test")
        await tx.commit()
        result = await publishing
    assert not result.committed
    assert {o.code for o in result.outcomes} == {"KEY_REVOKED"}, result.outcomes[:2]
    assert await _stored(quick, events) == 0


async def test_registry_publish_with_batches_in_flight_applies_them_in_the_files_order(
        quick: World, tmp_path: Path) -> None:
    """Batches of 5, each record made final two batches later: every one accepted, the log in the file's order."""
    events: list[dict[str, Any]] = []
    for block in range(6):
        events += _records(f"p{block}", 5) if block % 2 == 0 else _finals(f"p{block - 1}", 5)
    items, token = _upload(quick, events)
    reports = await cli_ledger.publish_events(items, url="http://registry", token=token, batch_size=5,
                                              dry_run=False, transport=httpx.ASGITransport(app=quick.app),
                                              progress=False, in_flight=3)
    assert [r.status for r in reports] == ["ACCEPTED"] * len(events)
    logged = [r.log_index for r in reports if r.log_index is not None]
    assert len(logged) == len(events) and logged == sorted(logged)
    assert [r.line for r in reports] == list(range(1, len(events) + 1))


class _BreaksAfterSending(httpx.AsyncBaseTransport):
    """The registry in process; the request carrying ``marker`` reaches it and is applied, then the connection
    breaks before the answer is read (a timeout or a dropped connection after sending)."""

    def __init__(self, app: Any, marker: str) -> None:
        self.inner, self.marker = httpx.ASGITransport(app=app), marker.encode()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.marker in request.content:
            await response.aread()
            raise httpx.ReadError("connection reset by peer")
        return response


class _Unreachable(httpx.AsyncBaseTransport):
    """The request carrying ``marker`` never reaches the registry."""

    def __init__(self, app: Any, marker: str) -> None:
        self.inner, self.marker = httpx.ASGITransport(app=app), marker.encode()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.marker in request.content:
            raise httpx.ConnectError("connection refused")
        return await self.inner.handle_async_request(request)


async def test_a_batch_broken_after_sending_reports_the_batch_sent_after_it(quick: World) -> None:
    events = _records("u", 15)
    stop = await _stopped(quick, events, lambda sixth: _BreaksAfterSending(quick.app, sixth))
    assert stop.uncertain and [r.line for r in stop.reports] == [1, 2, 3, 4, 5]
    # the third batch was sent before the second's failure was known, and the registry applied it after the second
    assert [r.line for r in stop.later] == [11, 12, 13, 14, 15] and {r.status for r in stop.later} == {"ACCEPTED"}
    assert "lines 6-10 may or may not have been applied; lines 11-15, sent before the failure was known, were " \
           "answered (see above)" in stop.summary(dry_run=False)
    assert await _stored(quick, events) == 15


async def test_a_batch_that_never_arrived_stops_the_upload_with_nothing_after_it_applied(quick: World) -> None:
    events = _records("v", 15)
    stop = await _stopped(quick, events, lambda sixth: _Unreachable(quick.app, sixth))
    assert not stop.uncertain and not stop.later and [r.line for r in stop.reports] == [1, 2, 3, 4, 5]
    assert "nothing from line 6 on was applied" in stop.summary(dry_run=False)
    await asyncio.sleep(1.2)  # past the registry's wait: the third batch, if it had been left running, is refused
    assert await _stored(quick, events) == 5


def test_in_flight_outside_its_range_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "e.ndjson"
    events.write_text("{}\n")
    code = cli_main(["publish", str(events), "--key", str(tmp_path / "none.jwk"), "--url", "http://127.0.0.1:9",
                     "--token", "t", "--in-flight", "0"])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.strip() == "error: --in-flight must be between 1 and 4"


class _ProxyAnswers(httpx.AsyncBaseTransport):
    """A proxy in front of the registry answering the request carrying ``marker`` with ``status`` itself:
    after forwarding it (the registry applied it) or without (the registry never saw it)."""

    def __init__(self, app: Any, marker: str, status: int, *, forwards: bool) -> None:
        self.inner, self.marker, self.status, self.forwards = httpx.ASGITransport(app=app), marker.encode(), status, \
            forwards

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.marker not in request.content:
            return await self.inner.handle_async_request(request)
        if self.forwards:
            await (await self.inner.handle_async_request(request)).aread()
        return httpx.Response(self.status, text="proxy says no", headers={"content-type": "text/plain"})


async def test_a_proxy_failure_after_the_registry_applied_the_batch_is_reported_as_maybe_applied(
        quick: World) -> None:
    events = _records("x", 15)
    stop = await _stopped(quick, events, lambda sixth: _ProxyAnswers(quick.app, sixth, 502, forwards=True))
    # the third batch was applied once the second was decided: so the second may have been applied too
    assert [r.line for r in stop.later] == [11, 12, 13, 14, 15] and stop.uncertain
    assert "lines 6-10 may or may not have been applied; lines 11-15" in stop.summary(dry_run=False)
    assert await _stored(quick, events) == 15


async def test_a_batch_refused_before_the_registry_read_it_applies_nothing_after_it(quick: World) -> None:
    events = _records("y", 15)
    stop = await _stopped(quick, events, lambda sixth: _ProxyAnswers(quick.app, sixth, 413, forwards=False))
    # the third batch reached the registry, waited for the second, and was refused: nothing of it is reported
    assert not stop.later and not stop.uncertain and [r.line for r in stop.reports] == [1, 2, 3, 4, 5]
    assert "nothing from line 6 on was applied" in stop.summary(dry_run=False)
    assert await _stored(quick, events) == 5
