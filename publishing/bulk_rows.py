"""The set-based path for a batch of new rows about officers named by registry ID, or about people new to the
registry named by name: misconduct records (``record.published``), employment (``employment.started``) and
certifications (``certification.issued``); and for changes to the publisher's own rows: separations
(``employment.ended``, which EO 13929 Sec. 3 names) and certification status changes (``certification.status_changed``:
renewals, lapses, refreshers).

A board's or an agency's bulk upload is mostly such events about officers it already publishes about, or about new
graduates it certifies for the first time. A run of them (a whole batch, or consecutive events of a mixed batch:
``publishing.apply`` plans each run against what the batch wrote before it) is applied with a fixed number of
statements whatever its size: one read each for the officers, the rows by source and the monitoring enrollments, three
for the identity matching of every person named by name (``identity.matching.publish_views``: certification holders,
blocking keys, candidates), then one insert per table. It is an optimisation of ``publishing.apply``'s
one-event-at-a-time path, never a second set of rules: ``plan`` answers the targets of a run only up to the first
event where that path could decide differently (a subject outside the publisher's jurisdiction, whose comparison is
budgeted and logged; names to add or compare; a person who may be someone on file or someone earlier in the run; a row
that already exists; an event that depends on an earlier one of the run; a certification status that reveals a record;
any check that fails), and the caller applies that event one at a time, which names every failure as before.
``registry audit --replay`` re-derives these rows through that path and compares them, and the tests compare the two
paths on the same batches (tests/integration/test_publish_set_based.py, test_publish_by_name_set_based.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

import monitoring
from auth import derived
from identity import matching
from identity.score import Candidate
from ledger import log_store
from publishing import new_rows, review, subjects, training
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
from store import certifications, employment, link_proposals, notifications, officers, records
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
    registration: officers.Registration | None = None  # a person named for the first time, registered by the event
    proposals: Sequence[tuple[str, float, list[str]]] = ()  # (candidate, score, reasons) filed for review with them


@dataclass(frozen=True)
class Written:
    index: int
    entity_id: str
    officer_id: str
    log_index: int


def eligible(event: Event) -> bool:
    """Whether an event has a shape this path applies: a new record, employment or certification naming an officer
    by registry ID only, or a person by name (and no registry ID), the end of an employment or a certification's new
    status."""
    if isinstance(event, Change):
        return True
    if not isinstance(event, RecordPublished | EmploymentStarted | CertificationIssued):
        return False
    s = event.subject
    return _by_name(event) or (s.registryId is not None and s.name is None and not s.aliases and not s.formerNames)


def _by_name(event: NewRow) -> bool:
    return event.subject.registryId is None and event.subject.name is not None


async def plan(conn: asyncpg.Connection, pub: PublisherRow, items: Sequence[Item],
               agencies: Mapping[str, AgencyRow | None]) -> list[Target]:
    """The targets of the items before the first one this path cannot take as the one-at-a-time path would (maybe
    every item, maybe none): that event and the rest are the caller's.

    ``agencies``: every ORI the items name, looked up. The checks are ``publishing.new_rows``'s (as one at a time),
    that no row with those source IDs exists, and those of ``subjects.resolve``: for a registry ID, an officer the
    publisher already published about; for a name, a person it registers (``_Run``). An employment ended must be the
    publisher's, not ended yet, and end on or after it started. Every check reads what was stored before the items,
    so an event that depends on an earlier one of them (the same source twice, a job started and ended, a
    certification issued and changed) is refused here: the earlier one is written with the first part, and the later
    one applied after it; identity matching alone takes the run's earlier events into account (``_Run``)."""
    verdicts: list[Target | None] = [None] * len(items)
    ends = [(p, it.event) for p, it in enumerate(items) if isinstance(it.event, EmploymentEnded)]
    changes = [(p, it.event) for p, it in enumerate(items) if isinstance(it.event, CertificationStatusChanged)]
    new = [(p, it.event) for p, it in enumerate(items) if isinstance(it.event, NewRow)]
    if ends:
        _place(verdicts, [p for p, _ in ends], await _ended(conn, pub, [e for _, e in ends]))
    if changes:
        _place(verdicts, [p for p, _ in changes], await _statuses(conn, pub, [c for _, c in changes]))
    if new:
        _place(verdicts, [p for p, _ in new], await _named(conn, pub, [n for _, n in new], agencies))
    taken: list[Target] = []
    for target in verdicts:
        if target is None:
            break
        taken.append(target)
    return taken


def _place(verdicts: list[Target | None], places: Sequence[int], targets: Sequence[Target | None]) -> None:
    for p, target in zip(places, targets, strict=True):
        verdicts[p] = target


async def _statuses(conn: asyncpg.Connection, pub: PublisherRow, changes: Sequence[CertificationStatusChanged],
                    ) -> list[Target | None]:
    """The certifications these events change and the steps they start, as ``apply``'s one-at-a-time checks would
    accept them (None: not here). A status that reports misconduct (it needs the publisher's settled record, maybe
    earlier in this batch) and a certification's second change go one at a time."""
    rows = await certifications.by_sources(conn, pub.id, sorted({c.certificationSourceId for c in changes}))
    last = await certifications.last_steps(conn, [r.id for r in rows.values()]) if rows else {}
    out: list[Target | None] = []
    seen: set[str] = set()
    for ev in changes:
        cert = rows.get(ev.certificationSourceId)  # absent: unknown, or issued earlier in this batch
        again = ev.certificationSourceId in seen
        seen.add(ev.certificationSourceId)
        if cert is None or again or ev.status in derived.CERTIFICATION_REVEALS:
            out.append(None)
            continue
        try:
            step = training.next_step(cert, last.get(cert.id), ev)
        except RegistryError:
            out.append(None)
            continue
        out.append(Target(cert.officer_id, cert.id, cert, step))
    return out


async def _ended(conn: asyncpg.Connection, pub: PublisherRow, ends: Sequence[EmploymentEnded],
                 ) -> list[Target | None]:
    """The employment rows these events end, as ``apply``'s one-at-a-time checks would accept them (None: not here;
    the second end of one job finds it ended)."""
    jobs = await employment.by_sources(conn, pub.id, sorted({e.employmentSourceId for e in ends}))
    out: list[Target | None] = []
    seen: set[str] = set()
    for ev in ends:
        job = jobs.get(ev.employmentSourceId)  # absent: unknown, or started earlier in this batch
        again = ev.employmentSourceId in seen
        seen.add(ev.employmentSourceId)
        if job is None or again or job.end_date is not None or ev.endDate < job.start_date:
            out.append(None)
            continue
        out.append(Target(job.officer_id, job.id))
    return out


def _refused(pub: PublisherRow, ev: NewRow, agencies: Mapping[str, AgencyRow | None]) -> bool:
    """``publishing.new_rows``'s checks, as one at a time."""
    if isinstance(ev, RecordPublished):
        agency = agencies.get(ev.agencyOri) if ev.agencyOri is not None else None
        return new_rows.record_refusal(pub, ev, agency) is not None
    if isinstance(ev, EmploymentStarted):
        return new_rows.employment_refusal(pub, ev, agencies.get(ev.agencyOri)) is not None
    # A status that reports misconduct needs the publisher's settled record (apply's _check_backed), which may
    # come earlier in this very batch: left to the one-at-a-time path.
    return new_rows.certification_refusal(pub, ev) is not None or ev.status in derived.CERTIFICATION_REVEALS


async def _named(conn: asyncpg.Connection, pub: PublisherRow, events: Sequence[NewRow],
                 agencies: Mapping[str, AgencyRow | None]) -> list[Target | None]:
    """The officers of the new rows, named by registry ID or (a person new to the registry) by name, as ``apply``'s
    one-at-a-time checks would accept them (None: not here)."""
    taken: dict[type, set[str]] = {}
    for kind, lookup in ((RecordPublished, records.by_sources), (EmploymentStarted, employment.by_sources),
                         (CertificationIssued, certifications.by_sources)):
        sources = sorted({ev.sourceId for ev in events if isinstance(ev, kind)})
        taken[kind] = set(await lookup(conn, pub.id, sources)) if sources else set()
    by_id = sorted({ev.subject.registryId for ev in events if ev.subject.registryId is not None})
    standing = await officers.standings(conn, by_id, pub.id) if by_id else {}
    by_name = [ev for ev in events if _by_name(ev)]
    views = iter(await matching.publish_views(conn, [(subjects.person(ev.subject), _number(ev)) for ev in by_name])
                 if by_name else [])
    out: list[Target | None] = []
    sources_seen: set[tuple[type, str]] = set()
    numbers_seen: set[tuple[str, str, str]] = set()
    run = _Run()
    for ev in events:
        source = (type(ev), ev.sourceId)
        # the second of a source would be a conflict with the first; of a number, refused as already registered
        again = source in sources_seen or ev.sourceId in taken[type(ev)]
        sources_seen.add(source)
        if isinstance(ev, CertificationIssued):
            again = again or (ev.state, ev.number, ev.kind) in numbers_seen
            numbers_seen.add((ev.state, ev.number, ev.kind))
        view = next(views) if _by_name(ev) else None
        target = None if again or _refused(pub, ev, agencies) else (
            run.new_person(ev, view) if view is not None else _known(ev, standing))
        if target is not None:
            run.took(ev, target)
        out.append(target)
    return out


def _known(ev: NewRow, standing: Mapping[str, officers.Standing]) -> Target | None:
    """The officer an event names by registry ID, when the publisher published about them and the birth date given
    agrees (an officer outside its jurisdiction: the identity check is budgeted and logged, one at a time)."""
    row = standing.get(ev.subject.registryId or "")  # absent: an unknown registry ID
    dob = ev.subject.dateOfBirth
    if row is None or not row.published_by or (dob is not None and row.date_of_birth not in (None, dob)):
        return None
    return Target(row.officer_id)


def _number(ev: NewRow) -> tuple[str, str] | None:
    """The certification number an event gives (identity matching compares it)."""
    return (ev.state, ev.number) if isinstance(ev, CertificationIssued) else None


def _folded(ev: NewRow) -> tuple[str, str] | None:
    """The certification number an event gives as identity matching compares it (case folded, as
    ``officers.ids_by_certifications``)."""
    number = _number(ev)
    return None if number is None else (number[0], number[1].upper())


class _Run:
    """What the events of a run taken so far changed that identity matching reads: the officers named by registry ID,
    the people registered (by blocking key) and the certification numbers given. ``matching.publish_views`` read the
    registry as it stood before the run; a person named by name is decided here as the one-at-a-time path would decide
    after the events before them (employment ended and certification status changes change none of it: matching
    reads names, birth dates, SSNs, certification numbers and who published about whom)."""

    def __init__(self) -> None:
        self.officers: set[str] = set()
        self.people: dict[str, list[Candidate]] = {}  # blocking key -> people registered by the run holding it
        self.numbers: set[tuple[str, str]] = set()

    def new_person(self, ev: NewRow, view: matching.PublishView) -> Target | None:
        """The event's person registered as new, with the near misses the one-at-a-time path files for review, when
        that path registers them: no officer holds the number given, and no candidate (on file, or registered
        earlier in the run and sharing a key) is a strong match or free of contradiction (the publisher's own
        exact-name rule would read it). None: an earlier event of the run changed a candidate, the candidates cannot
        be told without reading again, or the decision is another."""
        if (view.holders or view.considered.compared & self.officers
                or _folded(ev) in self.numbers):
            return None
        others = {c.officer_id: c for key in view.considered.keys for c in self.people.get(key, ())}
        ranked = view.ranked_with(list(others.values()))
        if ranked is None or any(m.strong or not m.conflicts for m in ranked):
            return None
        new = subjects.registration(ev.subject, None)
        return Target(new.officer_id, registration=new,
                      proposals=review.proposals(new.officer_id, matching.near_misses(ranked)))

    def took(self, ev: NewRow, target: Target) -> None:
        number = _number(ev)
        if target.registration is not None:
            registered = matching.registered_candidate(target.registration, number)
            for key in target.registration.keys:
                self.people.setdefault(key, []).append(registered)
        else:
            self.officers.add(target.officer_id)
        if (folded := _folded(ev)) is not None:
            self.numbers.add(folded)


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
    new_people = [t.registration for t in targets if t.registration is not None]
    if new_people:
        await officers.register(conn, new_people, pub.id)
    near = [(t.officer_id, *p) for t in targets for p in t.proposals]
    if near:
        await link_proposals.add_many(conn, near, pub.id)
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
