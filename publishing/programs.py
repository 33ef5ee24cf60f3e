"""EO 13929 Sec. 4(b) events: an agency's crisis-response (co-responder) programs, published by the agency
or by a credentialing body with a credential for it. Called by ``publishing.apply`` inside the batch's
transaction, after the signature, the publisher binding and idempotency were checked and the event logged."""

from __future__ import annotations

import asyncpg

from publishing import jurisdiction
from publishing.accreditation import DATE_SLACK
from publishing.payloads import PROGRAM_EVENTS as EVENTS
from publishing.payloads import AgencyProgramEnded, AgencyProgramPublished
from registry import ids
from registry.errors import BadInput, Conflict, Forbidden, NotFound
from store import accreditation, agencies
from store import programs as store
from store.models import PublisherRow

__all__ = ["EVENTS", "apply"]

async def apply(conn: asyncpg.Connection, event: AgencyProgramPublished | AgencyProgramEnded, pub: PublisherRow,
                event_pk: int) -> str:
    """Apply one event; returns the program's ID."""
    if isinstance(event, AgencyProgramPublished):
        return await _published(conn, event, pub, event_pk)
    return await _ended(conn, event, pub, event_pk)


async def _published(conn: asyncpg.Connection, ev: AgencyProgramPublished, pub: PublisherRow, event_pk: int) -> str:
    agency = (await agencies.by_oris(conn, [ev.agencyOri]))[0]
    if agency is None:
        raise NotFound(f"no agency with ORI {ev.agencyOri} is registered")
    [creds] = await accreditation.credentials_by_agency_oris(conn, [agency.ori])
    reason = jurisdiction.check_program(pub, agency, frozenset(c.body_id for c in creds))
    if reason is not None:
        raise Forbidden(reason)
    signed = ev.issuedAt.date()
    for day, name in ((ev.startDate, "startDate"), (ev.endDate, "endDate")):
        if day is not None and day > signed + DATE_SLACK:  # programs are facts, not plans
            raise BadInput(f"{name} {day.isoformat()} is after the day the event was signed: publish a program "
                           "once it has started (and its end once it has ended)")
    if await store.by_source(conn, pub.id, ev.sourceId) is not None:
        raise Conflict(f"program {ev.sourceId} already exists; end it with agency_program.ended")
    program_id = ids.new_id("PRG")
    await store.insert(conn, id=program_id, publisher_id=pub.id, source_id=ev.sourceId, agency_ori=agency.ori,
                       kind=ev.kind, partner_type=ev.partnerType, start_date=ev.startDate, end_date=ev.endDate,
                       event_pk=event_pk)
    return program_id


async def _ended(conn: asyncpg.Connection, ev: AgencyProgramEnded, pub: PublisherRow, event_pk: int) -> str:
    program = await store.by_source(conn, pub.id, ev.programSourceId)
    if program is None:
        raise NotFound(f"you have no program with sourceId {ev.programSourceId}")
    if program.end_date is not None:
        raise Conflict(f"program {ev.programSourceId} already ended on {program.end_date.isoformat()}")
    if ev.endDate < program.start_date:
        raise BadInput(f"endDate {ev.endDate.isoformat()} is before the program started "
                       f"({program.start_date.isoformat()})")
    if ev.endDate > ev.issuedAt.date() + DATE_SLACK:
        raise BadInput("endDate is after the day the event was signed: publish the end once it has happened")
    await store.end(conn, program.id, ev.endDate, ev.reason, event_pk)
    return program.id
