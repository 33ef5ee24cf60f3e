"""A board's monitor: every log entry in its name must be in the journal `registry publish` keeps, and the
registry's checkpoints must only grow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.monitor import MonitorError
from registry.cli import ledger as cli_ledger
from registry.cli.log_monitor import monitor
from tests.support import SETUP_ENTRIES, World, cert_issued, subject


def _cert(n: int, publisher: str = "ca-post", state: str = "CA") -> dict[str, Any]:
    return cert_issued(publisher=publisher, state=state, number=f"M-{n}", event_id=f"m-{n}",
                       subj=subject("Ola", f"Berg{n}x", "1979-09-09"))


async def _publish_with_journal(world: World, tmp_path: Path, *events: dict[str, Any]) -> None:
    key, kid = world.keys["ca-post"]
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    items = cli_ledger._read_events(str(path), key, kid, fmt="ndjson", publisher=None)
    reports = await cli_ledger.publish_events(items, url="http://registry", batch_size=100, dry_run=False,
                                              token=world.token("publisher", publisher_id="ca-post"),
                                              transport=httpx.ASGITransport(app=world.app), progress=False,
                                              journal=tmp_path / "ca-post.ndjson")
    assert all(r.ok for r in reports)


async def _monitor(world: World, tmp_path: Path) -> list[Any]:
    return list(await monitor("http://registry", world.token("publisher", publisher_id="ca-post"), "ca-post",
                              world.services.log_signer.verifier(), tmp_path / "ca-post.ndjson",
                              tmp_path / "seen.json", transport=httpx.ASGITransport(app=world.app)))


async def test_an_event_the_board_never_sent_is_found(world: World, tmp_path: Path) -> None:
    await _publish_with_journal(world, tmp_path, _cert(1), _cert(2), _cert(3))
    await world.publish_ok("tx-tcole", _cert(9, "tx-tcole", "TX"))  # another publisher's entries are not ours
    assert await _monitor(world, tmp_path) == []
    stolen = await world.publish_ok("ca-post", _cert(4))  # signed with the board's key, but not by its desk
    unknown = await _monitor(world, tmp_path)
    assert [(e["logIndex"], e["eventId"], e["publisherId"]) for e in unknown] == [(stolen[0]["logIndex"], "m-4",
                                                                                   "ca-post")]
    assert json.loads((tmp_path / "seen.json").read_text())["size"] == SETUP_ENTRIES + 5  # registrations, 5 events


async def test_only_the_publisher_and_auditors_read_its_entries(world: World, tmp_path: Path) -> None:
    await _publish_with_journal(world, tmp_path, _cert(1))
    query = 'query { logEntries(publisherId: "ca-post") { logIndex eventId } }'
    assert (await world.ok(query, as_="publisher", publisher_id="ca-post"))["logEntries"][0]["eventId"] == "m-1"
    assert (await world.ok(query, as_="auditor"))["logEntries"][0]["eventId"] == "m-1"
    assert (await world.ok(query, as_="publisher", publisher_id="tx-tcole"))["logEntries"] == []
    refused = await world.gql(query, as_="hiring_agency", agency_ori="TX2270000")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_registry_that_shows_another_history_is_caught(world: World, tmp_path: Path) -> None:
    await _publish_with_journal(world, tmp_path, _cert(1), _cert(2))
    await _monitor(world, tmp_path)
    seen = json.loads((tmp_path / "seen.json").read_text())
    (tmp_path / "seen.json").write_text(json.dumps({"size": seen["size"], "root": "00" * 32}))  # seen elsewhere
    await _publish_with_journal(world, tmp_path, _cert(3))
    with pytest.raises(MonitorError, match=r"two histories|another root"):
        await _monitor(world, tmp_path)
