"""CSV rows to unsigned events: the documented column mapping for bulk publishing.

One row is one event; its ``type`` column says which. Empty cells are left out. Columns that do not
apply to a row's type must be empty (a filled one is an error, so a shifted column is noticed).
The ``ssn`` column never enters the event: it travels beside the signature and is kept only as a
blind index. See docs/bulk-publishing.md for the table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

COMMON = {"type": "type", "event_id": "eventId", "publisher": "publisher", "issued_at": "issuedAt"}
SUBJECT = {"registry_id": "registryId", "date_of_birth": "dateOfBirth"}
NAME = {"given_name": "givenName", "middle_name": "middleName", "family_name": "familyName", "suffix": "suffix"}
BOOLEAN = {"fair_process_attested", "resolves_dispute"}

BY_TYPE: dict[str, dict[str, str]] = {
    "certification.issued": {"source_id": "sourceId", "state": "state", "certification_number": "number",
                             "certification_kind": "kind", "certification_status": "status",
                             "issued_on": "issuedOn", "expires_on": "expiresOn"},
    "certification.status_changed": {"certification_source_id": "certificationSourceId",
                                     "certification_status": "status", "reason": "reason",
                                     "expires_on": "expiresOn"},
    "employment.started": {"source_id": "sourceId", "agency_ori": "agencyOri", "position": "position",
                           "start_date": "startDate"},
    "employment.ended": {"employment_source_id": "employmentSourceId", "end_date": "endDate",
                         "separation_reason": "separationReason"},
    "record.published": {"source_id": "sourceId", "record_kind": "kind", "state": "state",
                         "agency_ori": "agencyOri", "reason_category": "reasonCategory",
                         "action_date": "actionDate", "narrative": "narrative", "case_reference": "caseReference",
                         "status": "status", "fair_process_attested": "fairProcessAttested"},
    "record.status_changed": {"record_source_id": "recordSourceId", "status": "status",
                              "fair_process_attested": "fairProcessAttested", "reason": "reason"},
    "record.corrected": {"record_source_id": "recordSourceId", "reason_category": "reasonCategory",
                         "action_date": "actionDate", "narrative": "narrative", "case_reference": "caseReference",
                         "reason": "reason", "resolves_dispute": "resolvesDispute"},
    "record.affirmed": {"record_source_id": "recordSourceId", "reason": "reason"},
}
WITH_SUBJECT = {"certification.issued", "employment.started", "record.published"}
KNOWN = set(COMMON) | set(SUBJECT) | set(NAME) | {"aliases", "former_names", "ssn"} | {
    c for cols in BY_TYPE.values() for c in cols}


class CsvRowError(ValueError):
    """A row that cannot become an event; the message names the row and the column."""


@dataclass(frozen=True)
class CsvEvent:
    line: int
    event: dict[str, Any]
    ssn: str | None


def _bool(value: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "y", "1"):
        return True
    if lowered in ("false", "no", "n", "0"):
        return False
    raise CsvRowError(f"{column} must be true or false, not {value!r}")


def _names(value: str, column: str) -> list[dict[str, str]]:
    """``Given Family; Given2 Middle2 Family2``: the last word is the family name."""
    out = []
    for part in value.split(";"):
        words = part.split()
        if not words:
            continue
        if len(words) < 2:
            raise CsvRowError(f"{column}: {part.strip()!r} needs a given and a family name")
        name = {"givenName": words[0], "familyName": words[-1]}
        if len(words) > 2:
            name["middleName"] = " ".join(words[1:-1])
        out.append(name)
    return out


def row_to_event(row: dict[str, str], *, default_publisher: str | None) -> tuple[dict[str, Any], str | None]:
    cells = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
    extra = [k for k in cells if k not in KNOWN and cells[k]]
    if extra:
        raise CsvRowError(f"unknown column(s): {', '.join(sorted(extra))}")
    kind = cells.get("type", "")
    if kind not in BY_TYPE:
        raise CsvRowError(f"type must be one of {', '.join(BY_TYPE)}; got {kind!r}")
    allowed = set(COMMON) | set(BY_TYPE[kind]) | ({"ssn", "aliases", "former_names"} | set(SUBJECT) | set(NAME)
                                                  if kind in WITH_SUBJECT else set())
    stray = [k for k, v in cells.items() if v and k not in allowed]
    if stray:
        raise CsvRowError(f"column(s) {', '.join(sorted(stray))} do not apply to {kind}")
    event: dict[str, Any] = {}
    for column, key in (COMMON | BY_TYPE[kind]).items():
        if cells.get(column):
            event[key] = _bool(cells[column], column) if column in BOOLEAN else cells[column]
    event.setdefault("publisher", default_publisher)
    if event["publisher"] is None:
        raise CsvRowError("no publisher column and no --publisher given")
    if kind in WITH_SUBJECT:
        subject: dict[str, Any] = {key: cells[c] for c, key in SUBJECT.items() if cells.get(c)}
        name = {key: cells[c] for c, key in NAME.items() if cells.get(c)}
        if name:
            subject["name"] = name
        if cells.get("aliases"):
            subject["aliases"] = _names(cells["aliases"], "aliases")
        if cells.get("former_names"):
            subject["formerNames"] = _names(cells["former_names"], "former_names")
        event["subject"] = subject
    return event, cells.get("ssn") or None


def read_csv(text: str, *, default_publisher: str | None) -> Iterator[CsvEvent | CsvRowError]:
    """Every data row as an event, or the error that row has (line numbers count the header as 1)."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "type" not in [f.strip().lower() for f in reader.fieldnames]:
        yield CsvRowError("line 1: the header must name the columns, including type")
        return
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        if None in row:
            yield CsvRowError(f"line {line}: more cells than header columns")
            continue
        try:
            event, ssn = row_to_event(row, default_publisher=default_publisher)
        except CsvRowError as exc:
            yield CsvRowError(f"line {line}: {exc}")
            continue
        yield CsvEvent(line, event, ssn)
