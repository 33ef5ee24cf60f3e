"""The policy's view of a stored row: which officer it is about, who published it, its due-process state.

Every path that asks ``auth.policy`` about a row (GraphQL fields, ``_entities``, monitoring notices,
roster reports) builds the ``Guard`` here, so that they all ask the same question of the same row.
"""

from __future__ import annotations

from auth.policy import AgencyGuard, Guard
from store.models import OfficerRow, RecordRow

#: The guard of an object about no officer (an agency, a publisher, a key): one for all, as guards are immutable.
NO_OFFICER = Guard(officer_id=None)


def officer_guard(row: OfficerRow) -> Guard:
    return Guard(officer_id=row.id, publisher_ids=row.publisher_ids)


def record_guard(row: RecordRow) -> Guard:
    return Guard(officer_id=row.officer_id, publisher_id=row.publisher_id, status=row.status,
                 fair_process_attested=row.fair_process_attested)


def owned_guard(officer_id: str, publisher_id: str | None, publisher_ids: frozenset[str]) -> Guard:
    return Guard(officer_id=officer_id, publisher_id=publisher_id, publisher_ids=publisher_ids)


def agency_guard(agency_ori: str, publisher_ids: frozenset[str]) -> AgencyGuard:
    """An agency's own data: ``publisher_ids`` are its own publishers and its credentialing bodies."""
    return AgencyGuard(agency_ori=agency_ori, publisher_ids=publisher_ids)
