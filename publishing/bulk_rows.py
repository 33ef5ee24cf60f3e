"""The set-based path for a batch of new rows about officers named by registry ID: misconduct records
(``record.published``), employment (``employment.started``) and certifications (``certification.issued``); and
for changes to the publisher's own rows: separations (``employment.ended``, which EO 13929 Sec. 3 names) and
certification status changes (``certification.status_changed``: renewals, lapses, refreshers).

A board's or an agency's bulk upload is mostly such events about officers it already publishes about. A batch of
them is applied with a fixed number of statements whatever its size: one read each for the officers, the rows by
source and the monitoring enrollments, then one insert per table. It is an optimisation of ``publishing.apply``'s
one-event-at-a-time path, never a second set of rules: ``plan`` answers None for any batch where that path could
decide differently (a subject outside the publisher's jurisdiction, whose comparison is budgeted and logged; names
to add or compare; a row that already exists; a certification status that reveals a record; any check that fails),
and the caller then applies the batch one event at a time, which names every failure as before. ``registry audit
--replay`` re-derives these rows through that path and compares them (tests/integration/test_publish_set_based.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

import monitoring
from auth import derived
from ledger import log_store
from publishing import new_rows, training
from publishing.payloads import (
    CertificationIssued,
    CertificationStatusChanged,
    EmploymentEnded,
    EmploymentStarted,
    Event,
    RecordPublished,
)
from registry import ids
from registry.errors import RegistryError
from store import certifications, employment, notifications, officers, records
from store import events as event_store
from store import monitoring as monitoring_store
from store.models import AgencyRow, CertificationRow, EmploymentRow, PublisherRow, RecordRow

NewRow = RecordPublished | EmploymentStarted | CertificationIssued
Change = EmploymentEnded | CertificationStatusChanged
BulkEvent = NewRow | Change


@dataclass(frozen=True)
class Item:
    """A verified event of the batch (signature, key, publisher and time checked)."""

    index: int
    event: BulkEvent
    payload: dict[str, Any]
    kid: str
    jws: str
    digest: bytes


@dataclass(frozen=True)
class Target:
    """Whom an event is about, and the row it changes (None: a row it adds) with what the change needs: a
    certification as it was and the status step the change starts."""

    officer_id: str
    entity_id: str | None = None
    before: CertificationRow | None = None
    step: certifications.Step | None = None


@dataclass(frozen=True)
class Written:
    index: int
    entity_id: str
    officer_id: str
    log_index: int


def eligible(event: Event) -> bool:
    """Whether an event has a shape this path applies: a new record, employment or certification naming an officer
    by registry ID only, the end of an employment or a certification's new status."""
    if isinstance(event, Change):
        return True
    if not isinstance(event, RecordPublished | EmploymentStarted | CertificationIssued):
        return False
    s = event.subject
    return s.registryId is not None and s.name is None and not s.aliases and not s.formerNames


async def plan(conn: asyncpg.Connection, pub: PublisherRow, items: Sequence[Item],
               agencies: Mapping[str, AgencyRow | None]) -> list[Target] | None:
    """Each item's target, when every event of the batch would be accepted one at a time as written here; else None.

    ``agencies``: every ORI the items name, looked up. The checks are ``publishing.new_rows``'s (as one at a time),
    that no row with those source IDs exists, and those of ``subjects.resolve`` for a registry ID, for officers the
    publisher already published about; an employment ended must be the publisher's, not ended yet, and end on or
    after it started."""
    ended = await _ended(conn, pub, [it.event for it in items if isinstance(it.event, EmploymentEnded)])
    if ended is None:
        return None
    changed = await _statuses(conn, pub, [it.event for it in items if isinstance(it.event, CertificationStatusChanged)])
    if changed is None:
        return None
    named = await _named(conn, pub, [it for it in items if not isinstance(it.event, Change)], agencies)
    if named is None:
        return None
    by_end, by_status, by_name = iter(ended), iter(changed), iter(named)
    return [next(by_end) if isinstance(it.event, EmploymentEnded)
            else next(by_status) if isinstance(it.event, CertificationStatusChanged) else next(by_name)
            for it in items]


async def _statuses(conn: asyncpg.Connection, pub: PublisherRow, changes: Sequence[CertificationStatusChanged],
                    ) -> list[Target] | None:
    """The certifications these events change and the steps they start, as ``apply``'s one-at-a-time checks would
    accept them; else None. A status that reports misconduct (it needs the publisher's settled record, maybe earlier
    in this batch) and a certification changed twice go one at a time."""
    sources = [c.certificationSourceId for c in changes]
    if len(set(sources)) != len(sources) or any(c.status in derived.CERTIFICATION_REVEALS for c in changes):
        return None
    rows = await certifications.by_sources(conn, pub.id, sources) if sources else {}
    if len(rows) != len(sources):
        return None  # unknown, or issued earlier in this batch
    last = await certifications.last_steps(conn, [r.id for r in rows.values()]) if rows else {}
    out = []
    for ev in changes:
        cert = rows[ev.certificationSourceId]
        try:
            step = training.next_step(cert, last.get(cert.id), ev)
        except RegistryError:
            return None
        out.append(Target(cert.officer_id, cert.id, cert, step))
    return out


async def _ended(conn: asyncpg.Connection, pub: PublisherRow, ends: Sequence[EmploymentEnded]) -> list[Target] | None:
    """The employment rows these events end, as ``apply``'s one-at-a-time checks would accept them; else None."""
    sources = [e.employmentSourceId for e in ends]
    if len(set(sources)) != len(sources):
        return None  # the second would find it ended
    jobs = await employment.by_sources(conn, pub.id, sources) if sources else {}
    out = []
    for ev in ends:
        job = jobs.get(ev.employmentSourceId)  # absent: unknown, or started earlier in this batch
        if job is None or job.end_date is not None or ev.endDate < job.start_date:
            return None
        out.append(Target(job.officer_id, job.id))
    return out


async def _named(conn: asyncpg.Connection, pub: PublisherRow, items: Sequence[Item],
                 agencies: Mapping[str, AgencyRow | None]) -> list[Target] | None:
    """The officers of the new rows, named by registry ID, as ``apply``'s one-at-a-time checks would accept them."""
    if not items:
        return []
    recs = [it.event for it in items if isinstance(it.event, RecordPublished)]
    jobs = [it.event for it in items if isinstance(it.event, EmploymentStarted)]
    certs = [it.event for it in items if isinstance(it.event, CertificationIssued)]
    for ev in recs:
        agency = agencies.get(ev.agencyOri) if ev.agencyOri is not None else None
        if new_rows.record_refusal(pub, ev, agency) is not None:
            return None
    for job in jobs:
        if new_rows.employment_refusal(pub, job, agencies.get(job.agencyOri)) is not None:
            return None
    for cert in certs:
        # A status that reports misconduct needs the publisher's settled record (apply's _check_backed), which may
        # come earlier in this very batch: left to the one-at-a-time path.
        if new_rows.certification_refusal(pub, cert) is not None or cert.status in derived.CERTIFICATION_REVEALS:
            return None
    if len({(c.state, c.number, c.kind) for c in certs}) != len(certs):
        return None  # the second would be refused as already registered (a number held elsewhere fails the write)
    for sources, taken in (([r.sourceId for r in recs], records.by_sources),
                           ([j.sourceId for j in jobs], employment.by_sources),
                           ([c.sourceId for c in certs], certifications.by_sources)):
        if len(set(sources)) != len(sources):
            return None  # the second would be a conflict with the first
        if sources and await taken(conn, pub.id, sources):
            return None
    named = [it.event.subject.registryId or "" for it in items if not isinstance(it.event, Change)]
    canonical = await officers.canonical_ids(conn, sorted(set(named)))
    if len(canonical) != len(set(named)):
        return None  # an unknown registry ID
    wanted = sorted(set(canonical.values()))
    rows = dict(zip(wanted, await officers.by_ids(conn, wanted), strict=True))
    chosen = []
    for it, registry_id in zip(items, named, strict=True):
        assert not isinstance(it.event, Change)
        row = rows[canonical[registry_id]]
        if row is None or pub.id not in row.publisher_ids:
            return None  # outside the publisher's jurisdiction: its identity check is budgeted and logged
        dob = it.event.subject.dateOfBirth
        if dob is not None and row.date_of_birth is not None and dob != row.date_of_birth:
            return None
        chosen.append(Target(row.id))
    return chosen


async def write(conn: asyncpg.Connection, pub: PublisherRow, items: Sequence[Item], targets: Sequence[Target],
                log: log_store.Appender) -> list[Written]:
    """Append the events to the log in their order and write every table once; the rows are those the
    one-at-a-time path writes (the events' subject set as they are inserted rather than updated after)."""
    now = datetime.now(UTC)
    recs: list[tuple[RecordRow, Item]] = []
    jobs: list[EmploymentRow] = []
    certs: list[tuple[CertificationRow, certifications.Step]] = []
    ends: list[tuple[str, Any, str]] = []
    statuses: list[tuple[str, str, str | None, Any, certifications.Step]] = []
    stored: list[tuple[Any, ...]] = []
    written: list[Written] = []
    for it, target in zip(items, targets, strict=True):
        ev, officer_id = it.event, target.officer_id
        log_index, _ = log.append(it.jws.encode("ascii"))
        if isinstance(ev, EmploymentEnded):
            assert target.entity_id is not None
            ends.append((target.entity_id, ev.endDate, ev.separationReason))
            entity_id = target.entity_id
        elif isinstance(ev, CertificationStatusChanged):
            assert target.entity_id is not None and target.step is not None
            statuses.append((target.entity_id, ev.status, ev.reason, ev.expiresOn, target.step))
            entity_id = target.entity_id
        elif isinstance(ev, RecordPublished):
            rec = RecordRow(ids.record_id(), officer_id, pub.id, ev.sourceId, ev.kind, ev.state, ev.agencyOri,
                            ev.reasonCategory, ev.actionDate, ev.narrative, ev.caseReference, ev.status,
                            ev.fairProcessAttested, False, None, None, None, now, now)
            recs.append((rec, it))
            entity_id = rec.id
        elif isinstance(ev, EmploymentStarted):
            job = EmploymentRow(ids.employment_id(), officer_id, pub.id, ev.sourceId, ev.agencyOri, ev.position,
                                ev.startDate, None, None)
            jobs.append(job)
            entity_id = job.id
        else:
            cert = CertificationRow(ids.certification_id(), officer_id, pub.id, ev.sourceId, ev.state, ev.number,
                                    ev.kind, ev.status, ev.issuedOn, ev.expiresOn, None, now, ev.refresherMonths)
            certs.append((cert, training.first_step(ev)))
            entity_id = cert.id
        stored.append((ev.publisher, ev.eventId, ev.type, it.kid, it.jws, it.payload, it.digest, log_index,
                       officer_id, entity_id))
        written.append(Written(it.index, entity_id, officer_id, log_index))
    event_pks = await event_store.insert_many(conn, stored)
    if jobs:
        await employment.insert_many(conn, jobs)
    if certs:
        await certifications.insert_many(conn, certs)
    if ends:
        await employment.end_many(conn, ends)
    if statuses:
        await certifications.set_status_many(conn, statuses)
    watched = sorted({r.officer_id for r, _ in recs} | {c.officer_id for c, _ in certs}
                     | {t.officer_id for t in targets if t.before is not None})
    enrolled = await monitoring_store.enrolled_officers(conn, watched) if watched else set()
    if recs:
        await records.insert_many(conn, [r for r, _ in recs])
        await records.add_history_many(conn, [(r.id, None, r.status, r.fair_process_attested, None,
                                               event_pks[it.event.eventId]) for r, it in recs])
        await notifications.add_many(conn, [
            (r.officer_id, r.id, "RECORD_PUBLISHED",
             f"{pub.name} published a {r.kind} record about you (status {r.status}).") for r, _ in recs])
    # A new row has no stored notices and no earlier readers: only enrollees can be told, by the same hooks as one
    # at a time, in batch order (so their notices are numbered as one at a time would number them).
    for it, w, target in zip(items, written, targets, strict=True):
        if w.officer_id not in enrolled:
            continue
        if isinstance(it.event, RecordPublished):
            await monitoring.on_record(conn, w.officer_id, w.entity_id, None, it.event.type)
        elif isinstance(it.event, CertificationIssued | CertificationStatusChanged):
            await monitoring.on_certification(conn, w.officer_id, w.entity_id, target.before, it.event.type)
    return written
