"""Facts derived from a matter: the one rule for what a stored fact outside a record may tell.

An employment that ended ``TERMINATED`` or ``RESIGNED_UNDER_INVESTIGATION``, or a certification that is
``REVOKED`` or ``SUSPENDED``, tells of a misconduct matter as surely as the record does. Such a fact
follows the visibility of the records it reveals (``SEPARATION_REVEALS``, ``CERTIFICATION_REVEALS``):

* A caller who may read the fact's row reads the fact only when one of the records it reveals is
  *settled* (FINAL with fair process attested, so every reader of the row may know it), or the caller
  may read such a record itself (the officer, the record's publisher, an auditor), or the caller is the
  officer, an auditor or the publisher of the fact itself.
* Anyone else reads the row as it was before the fact: an employment whose separation reveals a matter
  still in due process (or one that never reached FINAL with attestation) reads as not ended.

Certification statuses are held to the rule when written: a publisher may set ``REVOKED`` or
``SUSPENDED`` only on the strength of its own settled record of the matching kind in that state, and that
record cannot leave FINAL while a certification still stands on it (``publishing.apply``). So a stored
certification never needs hiding, and its status always has a record that every reader may see.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auth import policy
from auth.guards import record_guard
from auth.policy import AUDITOR, OWN_RECORDS, SELF, Guard
from auth.principal import Principal
from store.models import CertificationRow, EmploymentRow, RecordRow

__all__ = [
    "CERTIFICATION_REVEALS",
    "SEPARATION_REVEALS",
    "backing_records",
    "certifications_standing_on",
    "employment_as_seen",
    "may_read_superseded",
    "reveals_matter",
    "settled",
    "superseded",
]

#: Separation reasons that report misconduct, and the record kinds that carry the matter.
SEPARATION_REVEALS: dict[str, frozenset[str]] = {
    "TERMINATED": frozenset({"TERMINATION", "DECERTIFICATION"}),
    "RESIGNED_UNDER_INVESTIGATION": frozenset({"RESIGNATION_UNDER_INVESTIGATION"}),
    "RETIRED_UNDER_INVESTIGATION": frozenset({"RETIREMENT_UNDER_INVESTIGATION"}),
}
#: Certification statuses that report misconduct, and the record kinds that must back them.
CERTIFICATION_REVEALS: dict[str, frozenset[str]] = {
    "REVOKED": frozenset({"DECERTIFICATION"}),
    "SUSPENDED": frozenset({"SUSPENSION"}),
}
#: Who reads a derived fact whatever the state of its records: the officer, auditors, its own publisher.
FACT_AUTHORS = SELF | OWN_RECORDS | AUDITOR


#: The content of a record that a correction (or an upheld dispute, resolved by a correction) replaces.
CONTENT_FIELDS = ("reasonCategory", "actionDate", "narrative", "caseReference")


def superseded(events: Sequence[tuple[int, Mapping[str, Any] | None]]) -> set[int]:
    """Log indexes of a record's events whose content a later correction replaced.

    ``events``: (log index, payload or None when expunged), in log order. Such an event's JWS carries
    content the record no longer holds; it is shown only to ``FACT_AUTHORS`` (the officer, the publisher,
    auditors). Everyone else gets its log position and leaf, as for an expunged event.
    """
    setters: dict[str, list[int]] = {}
    for index, payload in events:
        if payload is None or payload.get("type") not in ("record.published", "record.corrected"):
            continue
        for name in CONTENT_FIELDS:
            if payload.get(name) is not None:
                setters.setdefault(name, []).append(index)
    return {index for indexes in setters.values() for index in indexes[:-1]}


def may_read_superseded(who: Principal, guard: Guard) -> bool:
    return FACT_AUTHORS.allows(who, guard)


def settled(record: RecordRow) -> bool:
    """Due process is complete and attested: the record is no longer a hidden matter for anyone."""
    return record.status == "FINAL" and record.fair_process_attested


def reveals_matter(row: EmploymentRow) -> bool:
    return row.separation_reason in SEPARATION_REVEALS


def _revealed_by(row: EmploymentRow, records: Iterable[RecordRow]) -> list[RecordRow]:
    kinds = SEPARATION_REVEALS.get(row.separation_reason or "", frozenset())
    return [r for r in records if r.officer_id == row.officer_id and r.kind in kinds
            and (r.agency_ori is None or r.agency_ori == row.agency_ori)]


def employment_as_seen(who: Principal, row: EmploymentRow, guard: Guard, records: Sequence[RecordRow]) -> EmploymentRow:
    """The employment as this caller may know it (``records``: the officer's records, all of them)."""
    if not reveals_matter(row) or FACT_AUTHORS.allows(who, guard):
        return row
    for record in _revealed_by(row, records):
        if settled(record) or policy.row_visible("MisconductRecord", who, record_guard(record)):
            return row
    return dataclasses.replace(row, end_date=None, separation_reason=None)


def backing_records(status: str, state: str, publisher_id: str, records: Iterable[RecordRow]) -> list[RecordRow]:
    """The publisher's own settled records in ``state`` that justify a certification ``status``."""
    kinds = CERTIFICATION_REVEALS.get(status, frozenset())
    return [r for r in records if r.kind in kinds and r.state == state and r.publisher_id == publisher_id
            and settled(r)]


def certifications_standing_on(record: RecordRow, certifications: Iterable[CertificationRow],
                               records: Sequence[RecordRow]) -> list[CertificationRow]:
    """Certifications whose misconduct status only ``record`` backs (they must change before it may leave FINAL)."""
    out = []
    for cert in certifications:
        if cert.publisher_id != record.publisher_id or cert.state != record.state:
            continue
        backing = backing_records(cert.status, cert.state, cert.publisher_id, records)
        if [r.id for r in backing] == [record.id]:
            out.append(cert)
    return out
