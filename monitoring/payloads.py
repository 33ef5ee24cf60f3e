"""What a notice says, decided by ``auth.policy`` for the enrollee who receives it.

Each candidate value is keyed by its GraphQL field name; a value goes into the notice only if the
enrollee (as a principal: a hiring agency of its ORI, or a partner) may see the row (``ROWS``) and
read that field (``FIELDS``) -- the same table, and the same answer, as reading it through the API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from auth import policy
from auth.guards import officer_guard, owned_guard, record_guard
from auth.policy import Guard
from auth.principal import Principal
from store.models import CertificationRow, OfficerRow, RecordRow


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def project(type_name: str, who: Principal, guard: Any, values: dict[str, Any]) -> dict[str, Any] | None:
    """The fields of one object the recipient may read, or None if it may not see the object at all."""
    if not policy.row_visible(type_name, who, guard):
        return None
    return {name: _json(value) for name, value in values.items()
            if policy.field_access(type_name, name).allows(who, guard)}


def record_visible(who: Principal, row: RecordRow | None) -> bool:
    return row is not None and policy.row_visible("MisconductRecord", who, record_guard(row))


def record(who: Principal, row: RecordRow) -> dict[str, Any] | None:
    return project("MisconductRecord", who, record_guard(row), {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "publisher": {"id": row.publisher_id},
        "agency": {"ori": row.agency_ori} if row.agency_ori else None,
        "reasonCategory": row.reason_category,
        "actionDate": row.action_date,
        "status": row.status,
        "fairProcessAttested": row.fair_process_attested,
        "disputed": row.disputed,
        "subjectStatement": row.subject_statement,
        "narrative": row.narrative,
        "caseReference": row.case_reference,
        "updatedAt": row.updated_at,
    })


def officer(who: Principal, row: OfficerRow) -> dict[str, Any] | None:
    primary = [n for n in row.names if n.kind == "PRIMARY"] or list(row.names)
    name = primary[0] if primary else None
    full = (" ".join(p for p in (name.given_name, name.middle_name, name.family_name, name.suffix) if p)
            if name else None)
    return project("Officer", who, officer_guard(row), {
        "id": row.id,
        "primaryName": {"fullName": full} if full else None,
    })


def certification(who: Principal, row: CertificationRow, publisher_ids: frozenset[str],
                  previous_status: str | None) -> dict[str, Any] | None:
    """The full certification if the recipient may read it; else its status only
    (``CertificationVerification``, what a partner reads by number); else nothing."""
    full = project("Certification", who, owned_guard(row.officer_id, row.publisher_id, publisher_ids), {
        "id": row.id,
        "state": row.state,
        "number": row.number,
        "kind": row.kind,
        "status": row.status,
        "issuedOn": row.issued_on,
        "expiresOn": row.expires_on,
        "statusReason": row.status_reason,
        "publisher": {"id": row.publisher_id},
        "updatedAt": row.updated_at,
    })
    if full is None:
        full = project("CertificationVerification", who, Guard(officer_id=None), {
            "state": row.state,
            "number": row.number,
            "kind": row.kind,
            "status": row.status,
            "expiresOn": row.expires_on,
        })
    if full is not None and "status" in full:
        full["previousStatus"] = previous_status  # the same field, as it read before the change
    return full
