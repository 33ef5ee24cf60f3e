"""`registry sign` checks the event with the registry's own payload models first: one line per bad field, exit 2,
and nothing signed; a good event is signed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.events import generate_ed25519_jwk
from registry.cli import main
from tests.support import cert_issued


def _key(tmp_path: Path) -> Path:
    path = tmp_path / "board.jwk"
    path.write_text(json.dumps(generate_ed25519_jwk("ca-post-test").as_dict(private=True)))
    return path


def _event(tmp_path: Path, event: dict[str, object]) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    return path


def test_every_bad_field_is_one_line_and_nothing_is_signed(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    event = cert_issued(state="ca", kind="ASTRONAUT")
    del event["number"]
    event["subject"] = {"name": {"givenName": "Rosa"}, "dateOfBirth": "1983-07-21"}
    event["badge"] = "1234"
    code = main(["sign", "--key", str(_key(tmp_path)), str(_event(tmp_path, event))])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert captured.err.splitlines() == [
        "error: subject.name.familyName: required",
        "error: state: must match ^[A-Z]{2}$; got 'ca'",
        "error: number: required",
        "error: kind: must be 'PEACE_OFFICER', 'CORRECTIONS', 'CRISIS_INTERVENTION_TRAINING' or "
        "'DE_ESCALATION_TRAINING'; got 'ASTRONAUT'",
        "error: badge: not a field of certification.issued events",
    ]


@pytest.mark.parametrize(("event", "line"), [
    ({"eventId": "x"}, "error: type: required: one of certification.issued, certification.status_changed, "),
    ({"type": "certification.revoked"}, "error: type: 'certification.revoked' is not an event type; one of "
                                        "certification.issued, "),
    ({"type": "record.status_changed", "eventId": "e", "publisher": "ca-post", "recordSourceId": "r",
      "status": "FINAL", "fairProcessAttested": "perhaps"}, "error: fairProcessAttested: "),
])
def test_a_missing_or_unknown_type_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            event: dict[str, object], line: str) -> None:
    code = main(["sign", "--key", str(_key(tmp_path)), str(_event(tmp_path, event))])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith(line), captured.err


def test_a_good_event_is_signed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = cert_issued()
    del event["issuedAt"]
    code = main(["sign", "--key", str(_key(tmp_path)), str(_event(tmp_path, event))])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    assert captured.out.count(".") == 2 and captured.out.strip().startswith("ey")
