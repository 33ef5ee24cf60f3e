"""The CSV column and value reference in docs/bulk-publishing.md is generated from the payload models and the CSV
reader's mapping (publishing/reference.py); this test fails when the models, the reader or the file drift apart."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from publishing import csv_rows, payloads
from publishing.reference import BEGIN, DOC, END, MODELS, csv_column, reference, updated
from registry.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_doc_holds_the_generated_reference() -> None:
    text = (ROOT / DOC).read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{DOC} lacks the markers {BEGIN!r} ... {END!r}"
    assert updated(text) == text, (f"{DOC} is out of date with publishing/payloads.py and publishing/csv_rows.py: "
                                   "run `python -m publishing.reference` and commit the result")


def test_every_value_the_models_allow_is_listed() -> None:
    text = reference()
    for alias in (payloads.RecordKind, payloads.Reason, payloads.DueProcess, payloads.CertKind, payloads.CertStatus,
                  payloads.Separation, payloads.AgencyCredentialStatus, payloads.ProgramKind, payloads.ProgramPartner):
        for value in typing.get_args(alias):
            assert f"`{value}`" in text, value
    for event_type in payloads.EVENT_TYPES:
        assert f"### `{event_type}`" in text, event_type


def test_reason_is_a_column_of_record_status_changed() -> None:
    section = reference().split("### `record.status_changed`")[1].split("###")[0]
    assert "| `reason` | `reason` | no |" in section, section


def test_every_csv_column_is_a_field_of_its_event_type() -> None:
    for event_type, columns in csv_rows.BY_TYPE.items():
        fields = MODELS[event_type].model_fields
        for column, field in columns.items():
            assert field in fields, f"csv_rows maps {column} to {field}, which {event_type} does not have"
            assert csv_column(event_type, field) == column


def test_a_stale_doc_or_a_stray_column_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = (ROOT / DOC).read_text(encoding="utf-8")
    stale = doc.replace(", `EXPUNGED`", "")  # as if a due-process status had been added to the models
    assert stale != doc and updated(stale) == doc
    monkeypatch.setitem(csv_rows.BY_TYPE["record.affirmed"], "narrative", "narrative")
    with pytest.raises(AssertionError, match=r"narrative, which record\.affirmed does not have"):
        test_every_csv_column_is_a_field_of_its_event_type()


def test_the_cli_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish-reference"]) == 0
    assert capsys.readouterr().out.strip() == reference().strip()
