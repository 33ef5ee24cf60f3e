"""From the plan to the events each publisher signs, in the order they happened."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from demo.cast import (
    AGENCY_BY_ORI,
    AGENCY_PUBLISHER,
    ATTORNEY_GENERAL,
    BATCH_SIZE,
    HORIZON,
    KEY_VALID_FROM,
    POST_BOARD_BY_STATE,
    PUBLISHERS,
)
from demo.plan import Person, Planner
from demo.vocabulary import BODY_DECISIONS, CREDENTIAL_TOPICS, CREDENTIALS, MISSED_STATEMENTS


@dataclass(frozen=True)
class PendingEvent:
    """One event to sign. ``about``: the person whose registry ID becomes the subject at signing time;
    ``registers``: the person this event registers (the first event about them, named by identity)."""

    when: date
    seq: int
    publisher: str
    payload: dict[str, Any]
    about: int | None = None
    registers: int | None = None


def _employment_publisher(ori: str) -> str:
    return AGENCY_PUBLISHER.get(ori) or POST_BOARD_BY_STATE[AGENCY_BY_ORI[ori].state]


def events_of(planner: Planner) -> list[PendingEvent]:
    """Every event of the plan in chronological order (ties in the order they were planned).

    A person's first certification names them by name and date of birth and so registers them;
    every later event about them names their registry ID, as a publisher that looked them up would.
    The showcase officer is named by his fixed registry ID throughout.
    """
    out: list[PendingEvent] = []

    def add(publisher: str, when: date, payload: dict[str, Any], about: int | None = None,
            registers: int | None = None) -> None:
        out.append(PendingEvent(when, len(out), publisher, payload, about, registers))

    for index, person in enumerate(planner.people):
        def subject(override: dict[str, Any] | None, person: Person = person) -> dict[str, Any]:
            return override or ({"registryId": person.registry_id} if person.registry_id else {})

        ref = None if person.registry_id else index
        for number, cert in enumerate(person.certs):
            pub = POST_BOARD_BY_STATE[cert.state]
            registering = number == 0 and person.registry_id is None
            issued: dict[str, Any] = {
                "type": "certification.issued", "sourceId": cert.source_id,
                "subject": person.subject() if number == 0 else subject(cert.subject), "state": cert.state,
                "number": cert.number, "kind": cert.kind, "status": "ACTIVE", "issuedOn": cert.issued_on.isoformat(),
            }
            if cert.expires_on is not None:
                issued["expiresOn"] = cert.expires_on.isoformat()
            if cert.refresher_months is not None:
                issued["refresherMonths"] = cert.refresher_months
            add(pub, cert.issued_on, issued, None if registering or cert.subject else ref,
                index if registering else None)
            for when, status, reason in cert.changes:
                add(pub, when, {"type": "certification.status_changed", "certificationSourceId": cert.source_id,
                                "status": status, "reason": reason})
            for when in cert.refreshers:  # signed the day it was completed, which is when it takes effect
                add(pub, when, {"type": "certification.status_changed", "certificationSourceId": cert.source_id,
                                "status": "ACTIVE", "refreshedOn": when.isoformat(),
                                "reason": "Refresher training completed."})
        for job in person.jobs:
            pub = _employment_publisher(job.ori)
            add(pub, job.start, {"type": "employment.started", "sourceId": job.source_id,
                                 "subject": subject(job.subject), "agencyOri": job.ori,
                                 "position": job.position, "startDate": job.start.isoformat()},
                None if job.subject else ref)
            if job.end is not None:
                assert job.reason is not None
                add(pub, job.end, {"type": "employment.ended", "employmentSourceId": job.source_id,
                                   "endDate": job.end.isoformat(), "separationReason": job.reason})
        for rec in person.records:
            published: dict[str, Any] = {
                "type": "record.published", "sourceId": rec.source_id, "subject": subject(rec.subject),
                "kind": rec.kind, "state": rec.state, "reasonCategory": rec.reason,
                "actionDate": rec.action.isoformat(), "narrative": rec.narrative,
                "caseReference": rec.case_reference, "status": rec.initial[0], "fairProcessAttested": rec.initial[1],
            }
            if rec.ori is not None:
                published["agencyOri"] = rec.ori
            add(rec.publisher, rec.published_on, published, None if rec.subject else ref)
            for when, status, attested, reason in rec.steps:
                add(rec.publisher, when, {"type": "record.status_changed", "recordSourceId": rec.source_id,
                                          "status": status, "fairProcessAttested": attested, "reason": reason})
    for program in planner.programs:
        started: dict[str, Any] = {
            "type": "agency_program.published", "sourceId": program.source_id, "agencyOri": program.ori,
            "kind": program.kind, "partnerType": program.partner, "startDate": program.start.isoformat(),
        }
        add(program.publisher, program.published, started)
        if program.end is not None:
            assert program.ended is not None
            ended: dict[str, Any] = {"type": "agency_program.ended", "programSourceId": program.source_id,
                                     "endDate": program.end.isoformat()}
            if program.end_reason:
                ended["reason"] = program.end_reason
            add(program.publisher, program.ended, ended)
    _statements(planner, add)
    _accreditation(add)
    return sorted(out, key=lambda e: (e.when, _same_day_order(e.payload), e.seq))


#: Years each agency files its annual Sec. 3(d) statement for (EO 13929 applies from 2020; the demo starts
#: earlier so that eligibility has a history). The federal agency files none: it takes no such grants.
STATEMENT_YEARS = range(2016, HORIZON.year + 1)


def _statements(planner: Planner, add: Any) -> None:
    """Each agency's statement for each year, signed by its own publisher or its state's board on January 31
    of the next year (the horizon at the latest): "submitted" when records name it for the year, else
    "nothing to report"; none for the (agency, year) pairs of MISSED_STATEMENTS."""
    named = {(rec.ori, rec.action.year) for person in planner.people for rec in person.records if rec.ori}
    for agency in AGENCY_BY_ORI.values():
        if agency.level == "FEDERAL":
            continue
        signer = _employment_publisher(agency.ori)
        for year in STATEMENT_YEARS:
            if (agency.ori, year) in MISSED_STATEMENTS:
                continue
            kind = "reporting.submitted" if (agency.ori, year) in named else "reporting.nothing_to_report"
            add(signer, min(date(year + 1, 1, 31), HORIZON), {"type": kind, "agencyOri": agency.ori,
                                                              "reportingYear": year})


def _accreditation(add: Any) -> None:
    """EO 13929 Sec. 2: the Attorney General's decisions on the credentialing bodies, and the bodies' agency
    credentials, each signed on the day it takes effect."""
    for kind, body, version, effective, reason in BODY_DECISIONS:
        decision: dict[str, Any] = {"type": kind, "bodyId": body, "effectiveOn": effective.isoformat()}
        if version is not None:
            decision["standardsVersion"] = version
        if reason is not None:
            decision["reason"] = reason
        add(ATTORNEY_GENERAL, effective, decision)
    for body, source_id, ori, steps in CREDENTIALS:
        for number, (status, on, expires, reason) in enumerate(steps):
            event: dict[str, Any] = (
                {"type": "agency_credential.published", "sourceId": source_id, "agencyOri": ori} if number == 0
                else {"type": "agency_credential.status_changed", "credentialSourceId": source_id})
            event |= {"status": status, "statusDate": on.isoformat()}
            if expires is not None:
                event["expiresOn"] = expires.isoformat()
            if status == "GRANTED":
                event["confirmations"] = {"policyAdheresToLaw": True,
                                          "chokeholdsProhibitedExceptWhereDeadlyForceAllowed": True}
                event["topicsReviewed"] = list(CREDENTIAL_TOPICS)
            if reason is not None:
                event["reason"] = reason
            add(body, on, event)


def _same_day_order(payload: dict[str, Any]) -> int:
    """On one day, a record reaches FINAL before a certification status stands on it, and a certification
    changes before the record it stood on leaves FINAL (the order publishing requires, auth.derived)."""
    if payload["type"] == "record.published" or (payload["type"] == "record.status_changed"
                                                  and payload["status"] == "FINAL"):
        return 0
    if payload["type"] == "record.status_changed" and payload["status"] in ("OVERTURNED", "RESCINDED", "EXPUNGED"):
        return 2
    return 1


def issued_at(when: date, n: int, now: datetime) -> str:
    earliest = KEY_VALID_FROM + timedelta(days=1)
    moment = datetime(when.year, when.month, when.day, 9 + n % 8, (n * 7) % 60, n % 60, tzinfo=UTC)
    moment = min(max(moment, earliest + timedelta(seconds=n)), now - timedelta(minutes=1))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def batches(events: Sequence[tuple[int, PendingEvent]]) -> Iterator[tuple[str, list[tuple[int, PendingEvent]]]]:
    """Per publisher in the order of PUBLISHERS (boards first, the Attorney General before the bodies it
    certifies), in the given order, at most BATCH_SIZE events a batch."""
    for pub in PUBLISHERS:
        mine = [(n, e) for n, e in events if e.publisher == pub.id]
        for start in range(0, len(mine), BATCH_SIZE):
            yield pub.id, mine[start:start + BATCH_SIZE]
