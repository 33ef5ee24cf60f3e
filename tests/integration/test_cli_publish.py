"""A board's desk: the publish report names what each row made, the token's publisher is the default, an
unreachable registry or a refused token stops the upload with one line, and `registry sign` refuses an
event the registry would refuse."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from registry.cli import ledger as cli_ledger
from registry.cli import main
from tests.integration.test_bulk_csv import CSV
from tests.support import World, cert_issued, free_port


def _key_file(world: World, tmp_path: Path) -> Path:
    key, _kid = world.keys["ca-post"]
    path = tmp_path / "ca-post.jwk"
    path.write_text(json.dumps(key.as_dict(private=True)))
    return path


async def test_the_report_names_the_officer_and_record_and_the_token_names_the_publisher(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, kid = world.keys["ca-post"]
    path = tmp_path / "board.csv"
    path.write_text(CSV, encoding="utf-8")
    token = world.token("publisher", publisher_id="ca-post")
    assert cli_ledger._token_publisher(token) == "ca-post"
    items = cli_ledger._read_events(str(path), key, kid, fmt="auto", publisher=cli_ledger._token_publisher(token))
    reports = await cli_ledger.publish_events(items, url="http://registry", token=token, batch_size=500,
                                              dry_run=False, transport=httpx.ASGITransport(app=world.app),
                                              progress=False)
    assert all(r.officer_id and r.officer_id.startswith("OFC-") for r in reports)
    assert reports[2].entity_id is not None and reports[2].entity_id.startswith("REC-")
    cli_ledger._print_reports(reports, dry_run=False)
    out = capsys.readouterr().out
    assert str(reports[2].entity_id) in out and str(reports[0].officer_id) in out



async def test_an_unreachable_registry_is_one_line_not_a_line_per_row(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "many.ndjson"
    events.write_text("".join(json.dumps(cert_issued(number=f"U-{i}")) + "\n" for i in range(1200)))
    token = world.token("publisher", publisher_id="ca-post")
    code = await asyncio.to_thread(main, ["publish", str(events), "--key", str(_key_file(world, tmp_path)), "--url",
                                          f"http://127.0.0.1:{free_port()}", "--token", token, "--quiet",
                                          "--batch-size", "100"])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach http://127.0.0.1:"), captured.err
    assert "(connection refused): is the registry running? check --url (nothing was sent)" in lines[0]


def test_sign_refuses_an_event_the_registry_would_refuse(world: World, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    event = cert_issued()
    del event["number"]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    assert main(["sign", "--key", str(_key_file(world, tmp_path)), str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "number" in captured.err and captured.err.startswith("error: ")


async def test_webhook_refusals_name_the_setting_that_allows_them() -> None:
    from monitoring.targets import TargetRefused, check_target
    from registry.config import MonitoringConfig

    for url, setting in (("http://hooks.example/x", "REGISTRY_WEBHOOK_ALLOW_HTTP=1"),
                         ("https://127.0.0.1:9/x", "REGISTRY_WEBHOOK_ALLOW_PRIVATE=1")):
        with pytest.raises(TargetRefused, match=setting):
            await check_target(url, MonitoringConfig())
    await check_target("http://127.0.0.1:9/x", MonitoringConfig.from_env(True))  # development: loopback is fine


def test_serve_dev_allows_loopback_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --demo`/`--dev` builds its settings as REGISTRY_ENV=development would (the monitoring part too)."""
    from registry.cli.service import development_settings
    from registry.config import Settings

    monkeypatch.delenv("REGISTRY_WEBHOOK_ALLOW_PRIVATE", raising=False)
    monkeypatch.delenv("REGISTRY_WEBHOOK_ALLOW_HTTP", raising=False)
    production = Settings()
    assert not production.monitoring.allow_private_targets
    dev = development_settings(production)
    assert dev.development and dev.monitoring.allow_private_targets and dev.monitoring.allow_http
    monkeypatch.setenv("REGISTRY_WEBHOOK_ALLOW_PRIVATE", "0")  # an explicit setting still wins
    assert not development_settings(production).monitoring.allow_private_targets
