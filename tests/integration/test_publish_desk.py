"""A board user's path through `registry publish`, over real HTTP to a real registry (uvicorn on loopback).

The report names the officer and the certification, job or record every row made; the token's publisher is
the default and a contradicting --publisher is one line; a wrong URL, an unreachable registry, a silent one or a
refused token stop the upload with one line that names the cause and the fix, and an upload that stops after
some batches were committed says how many rows were applied and where to resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth.dev_issuer import mint_token
from registry.cli import main
from tests.integration.monitoring_support import serve
from tests.integration.test_bulk_csv import CSV
from tests.support import AUDIENCE, ISSUER, World, cert_issued, free_port


def _key_file(world: World, tmp_path: Path, publisher: str = "ca-post") -> Path:
    key, _kid = world.keys[publisher]
    path = tmp_path / f"{publisher}.jwk"
    path.write_text(json.dumps(key.as_dict(private=True)))
    return path


async def _publish(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], file: Path, url: str,
                   *extra: str, token: str | None = None) -> tuple[int, str, list[str]]:
    """Run `registry publish` as a user would (its own event loop, in a thread); (exit code, stdout, stderr lines)."""
    token = token or world.token("publisher", publisher_id="ca-post")
    argv = ["publish", str(file), "--key", str(_key_file(world, tmp_path)), "--url", url, "--token", token,
            "--quiet", "--journal", str(tmp_path / "journal.ndjson"), *extra]
    code = await asyncio.to_thread(main, argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def _ndjson(tmp_path: Path, count: int, *, publisher: str | None = "ca-post", prefix: str = "n") -> Path:
    path = tmp_path / f"{prefix}-{count}.ndjson"
    lines = []
    for i in range(count):
        event = cert_issued(number=f"{prefix.upper()}-{i}", event_id=f"{prefix}-{i}")
        if publisher is None:
            del event["publisher"]
        else:
            event["publisher"] = publisher
        del event["issuedAt"]
        lines.append(json.dumps(event))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def _event_count(world: World) -> int:
    async with world.pool.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM events")
    return count


# -- 1. the report names what each row made ------------------------------------------------------------------


async def test_the_report_names_the_officer_and_the_entity_of_every_row(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "board.csv"
    path.write_text(CSV, encoding="utf-8")  # no publisher column, no --publisher: the token names ca-post
    async with serve(world.app) as base:
        code, out, err = await _publish(world, tmp_path, capsys, path, base)
        assert code == 0, err
        async with world.pool.acquire() as conn:
            rows = await conn.fetch("SELECT event_id, type, officer_id, entity_id, log_index FROM events")
        assert len(rows) == 3
        kinds = {"certification.issued": "certification", "record.published": "record"}
        for row in rows:
            line = next(x for x in out.splitlines() if f" {row['event_id']} " in x)
            assert "ACCEPTED" in line and f"log {row['log_index']}" in line
            assert f"officer {row['officer_id']}" in line, line
            assert f"{kinds[row['type']]} {row['entity_id']}" in line, line

        code, out, err = await _publish(world, tmp_path, capsys, path, base, "--json")  # again: duplicates
    assert code == 0, err
    report = json.loads(out)
    by_event = {r["eventId"]: r for r in report["rows"]}
    for row in rows:
        got = by_event[row["event_id"]]
        assert got["status"] == "DUPLICATE"
        assert (got["officerId"], got["entityId"], got["logIndex"]) == (row["officer_id"], row["entity_id"],
                                                                         row["log_index"])
    assert [r["line"] for r in report["rows"]] == [2, 3, 4]
    assert report["counts"] == {"DUPLICATE": 3} and report["stopped"] is None


async def test_rows_not_applied_name_no_ids(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rejected batch is rolled back and a dry run writes nothing: the IDs the server drew for them do not exist,
    so the report names none."""
    path = tmp_path / "board.csv"
    path.write_text(CSV + "record.status_changed,csv-4,,,,,,,,,,,,rec-unknown,,,,FINAL,yes,\n", encoding="utf-8")
    async with serve(world.app) as base:
        code, out, err = await _publish(world, tmp_path, capsys, path, base)
        assert code == 1, err
        lines = out.splitlines()
        assert all(" NOT_APPLIED " in x and "OFC-" not in x for x in lines[:3]), out
        assert " REJECTED " in lines[3] and "NOT_FOUND" in lines[3]
        assert lines[-1] == "1 rejected, 3 not applied"
        path.write_text(CSV, encoding="utf-8")
        code, out, err = await _publish(world, tmp_path, capsys, path, base, "--dry-run", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["dryRun"] and report["counts"] == {"ACCEPTED": 3}
    assert all(r["officerId"] is None and r["entityId"] is None for r in report["rows"])
    assert await _event_count(world) == 0


# -- 2. the token names the publisher -----------------------------------------------------------------------


async def test_the_token_names_the_publisher_of_ndjson_events_without_one(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _ndjson(tmp_path, 3, publisher=None)
    async with serve(world.app) as base:
        code, out, err = await _publish(world, tmp_path, capsys, path, base)
    assert code == 0, err
    assert out.splitlines()[-1] == "3 accepted"
    async with world.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM events WHERE publisher_id = 'ca-post'") == 3


async def test_a_publisher_other_than_the_tokens_is_one_line_and_nothing_is_sent(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "board.csv"
    path.write_text(CSV, encoding="utf-8")
    async with serve(world.app) as base:
        code, out, err = await _publish(world, tmp_path, capsys, path, base, "--publisher", "tx-tcole")
        assert (code, out) == (2, "")
        assert err == ["error: --publisher tx-tcole contradicts your token, which is for publisher ca-post: "
                       "leave --publisher out, or use a token of tx-tcole"]
        # rows naming another publisher than the token's: one line too, not one REJECTED line per row
        code, out, err = await _publish(world, tmp_path, capsys, _ndjson(tmp_path, 300, publisher="tx-tcole"), base)
    assert (code, out) == (2, "")
    assert err == ["error: your token is for publisher ca-post, but 300 row(s) name tx-tcole (first: line 1): the "
                   "registry would refuse them; use a token of tx-tcole, or correct their publisher"]
    assert await _event_count(world) == 0


# -- 3. a wrong URL or token stops the upload with one line ----------------------------------------------------


async def test_a_registry_that_is_not_running_is_one_line(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = await _publish(world, tmp_path, capsys, _ndjson(tmp_path, 1200), url, "--batch-size", "100")
    assert (code, out) == (2, "")
    assert err == [f"error: cannot reach {url}/graphql (connection refused): is the registry running? check --url "
                   "(nothing was sent)"]
    code, out, err = await _publish(world, tmp_path, capsys, _ndjson(tmp_path, 1200), url, "--batch-size", "100",
                                    "--json")
    assert code == 2 and len(err) == 1
    report = json.loads(out)
    assert report["rows"] == [] and report["stopped"]["line"] == 1 and report["stopped"]["rowsLeft"] == 1200
    assert report["stopped"]["error"] == err[0].removeprefix("error: ")


async def test_a_host_that_does_not_resolve_is_one_line(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = await _publish(world, tmp_path, capsys, _ndjson(tmp_path, 300), "https://registry.invalid",
                                    "--batch-size", "100")
    assert (code, out) == (2, "")
    assert len(err) == 1, err
    assert err[0].startswith("error: cannot reach https://registry.invalid/graphql (cannot resolve the host "
                             "registry.invalid"), err
    assert err[0].endswith("check --url (nothing was sent)")


async def test_a_registry_that_does_not_answer_is_one_line(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 20)
        await asyncio.sleep(30)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        code, out, err = await _publish(world, tmp_path, capsys, _ndjson(tmp_path, 250), f"http://127.0.0.1:{port}",
                                        "--batch-size", "100", "--timeout", "1")
    finally:
        server.close()
    assert (code, out) == (2, "")
    assert err == [f"error: no answer from http://127.0.0.1:{port}/graphql within 1 s (timed out): is the registry "
                   "overloaded? check --url, or raise --timeout; lines 1-100 may or may not have been applied: re-run "
                   "the same command (applied rows come back DUPLICATE)"]


async def test_a_url_that_is_not_the_registry_is_one_line(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with serve(world.app) as base:
        code, out, err = await _publish(world, tmp_path, capsys, _ndjson(tmp_path, 300), f"{base}/registry",
                                        "--batch-size", "100")
    assert (code, out) == (2, "")
    assert err == [f"error: {base}/registry/graphql answered HTTP 404 (text/plain), not the registry's GraphQL API: "
                   "check --url (nothing was applied)"]


@pytest.mark.parametrize(("role", "bindings", "expected"), [
    ("publisher", "bad-signature", "error: the registry refused the token (UNAUTHENTICATED: "),
    ("officer", {"officer_id": "OFC-0000000000AA"}, "error: the registry refused the token (FORBIDDEN: "),
])
async def test_a_refused_token_is_one_line(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           role: str, bindings: Any, expected: str) -> None:
    if bindings == "bad-signature":
        good = world.token(role, publisher_id="ca-post")
        token = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    else:
        token = world.token(role, **bindings)
    async with serve(world.app) as base:
        code, out, err = await _publish(world, tmp_path, capsys, _ndjson(tmp_path, 1200), base,
                                        "--batch-size", "100", token=token)
    assert (code, out) == (2, "")
    assert len(err) == 1 and err[0].startswith(expected), err
    fix = "get a new token" if "UNAUTHENTICATED" in expected else "use a token of a publisher"
    assert err[0].endswith(f"{fix} (--token or REGISTRY_TOKEN) (nothing was applied)"), err
    assert await _event_count(world) == 0


@contextlib.asynccontextmanager
async def _token_expiring_after(world: World, batches: int) -> AsyncIterator[str]:
    """A real HTTP hop in front of the registry that forwards an expired token in place of the caller's for every
    batch of the upload from position ``batches`` on: the registry's own 401 for a token that expired in the middle
    of an upload. By position, not by arrival: batches are sent several at a time, and the order their requests
    reach the hop in is the network's (counting arrivals failed on a slow machine, when the second batch came
    first)."""
    expired = mint_token(world.issuer_key, issuer=ISSUER, audience=AUDIENCE, subject="publisher-user",
                         role="publisher", publisher_id="ca-post", now=time.time() - 7200, ttl_seconds=60)

    async def hop(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k.lower() not in (b"host", b"content-length")}
        if json.loads(body)["variables"]["u"]["position"] >= batches:
            headers["authorization"] = f"Bearer {expired}"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=world.app), base_url="http://registry") as c:
            resp = await c.post(scope["path"], content=body, headers=headers)
        await send({"type": "http.response.start", "status": resp.status_code,
                    "headers": [(b"content-type", resp.headers["content-type"].encode())]})
        await send({"type": "http.response.body", "body": resp.content})

    async with serve(hop) as base:
        yield base


async def test_a_stop_after_committed_batches_says_what_was_applied_and_where_to_resume(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _ndjson(tmp_path, 250)
    async with _token_expiring_after(world, 1) as base:
        code, out, err = await _publish(world, tmp_path, capsys, path, base, "--batch-size", "100")
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith("error: the registry refused the token (UNAUTHENTICATED: "), err
    assert err[0].endswith("get a new token (--token or REGISTRY_TOKEN); lines 1-100 were committed before it "
                           "(100 rows applied), nothing from line 101 on was applied: re-run the same command to "
                           "resume at line 101 (applied rows come back DUPLICATE)"), err
    report = out.splitlines()
    assert len(report) == 101 and all(" ACCEPTED " in x and "officer OFC-" in x for x in report[:100])
    assert report[-1] == "100 accepted; stopped at line 101, 150 row(s) left"
    assert await _event_count(world) == 100

    async with serve(world.app) as base:  # with a good token: the rest goes in, the first 100 are duplicates
        code, out, err = await _publish(world, tmp_path, capsys, path, base, "--batch-size", "100")
    assert code == 0, err
    assert out.splitlines()[-1] == "150 accepted, 100 duplicate"
    assert await _event_count(world) == 250
