"""EO 13929 Sec. 2 and 3(d) events: certification of credentialing bodies, agency credentials, and
"nothing to report" attestations. Called by ``publishing.apply`` inside the batch's transaction, after
the signature, the publisher binding and idempotency were checked and the event appended to the log.

Who submits what:
- the Attorney General's certification decisions (``credentialing_body.*``) are signed with the key of a
  ``CERTIFYING_AUTHORITY`` publisher (the AG office) and submitted by an **auditor**, who acts for the
  Attorney General; the auditor's token subject is recorded with the decision;
- agency credentials (``agency_credential.*``) are signed and submitted by the credentialing body itself
  (a ``credentialing_body`` token, or a ``publisher`` token, bound to that body);
- the annual Sec. 3(d) statements ``reporting.submitted`` and ``reporting.nothing_to_report`` are signed by
  the agency's own publisher or its state's POST board.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import asyncpg

from auth.principal import Principal, Role
from publishing import jurisdiction
from publishing.payloads import ACCREDITATION_EVENTS as EVENTS
from publishing.payloads import (
    AgencyCredentialPublished,
    AgencyCredentialStatusChanged,
    CredentialingBodyCertified,
    CredentialingBodySuspended,
    CredentialingBodyWithdrawn,
    NothingToReport,
    SubmissionStatement,
)
from registry import ids
from registry.errors import BadInput, Conflict, Forbidden, NotFound, RegistryError
from store import accreditation as store
from store import agencies, publishers
from store.accreditation import BodyDecisionRow, CredentialChangeRow, CredentialRow
from store.models import PublisherRow

AccreditationEvent = (CredentialingBodyCertified | CredentialingBodySuspended | CredentialingBodyWithdrawn
                      | AgencyCredentialPublished | AgencyCredentialStatusChanged | NothingToReport
                      | SubmissionStatement)

__all__ = ["EVENTS", "AccreditationEvent", "admit", "apply", "certified_on", "certified_periods",
           "credential_periods"]

#: Credential statuses that count as having "sought or being in the process of obtaining" (or holding) one.
ACTIVE_CREDENTIAL = frozenset({"APPLIED", "IN_PROCESS", "GRANTED"})
#: How far a status or decision date may run ahead of the signing date (time zones).
DATE_SLACK = timedelta(days=1)


class BodyNotCertified(RegistryError):
    """A credentialing body published a credential while the Attorney General had not certified it."""

    code = "BODY_NOT_CERTIFIED"


class ConfirmationsRequired(RegistryError):
    """A GRANTED credential without both Sec. 2(c) confirmations."""

    code = "CONFIRMATIONS_REQUIRED"


# -- periods: who was certified, and which credential was active, on which days ---------------------

@dataclass(frozen=True, slots=True)
class Period:
    """Days ``start`` to ``end`` inclusive (``end`` None: still running)."""

    start: date
    end: date | None
    status: str
    standards_version: str

    def overlap(self, start: date, end: date | None) -> tuple[date, date | None] | None:
        lo = max(self.start, start)
        his = [d for d in (self.end, end) if d is not None]
        hi = min(his) if his else None
        return None if hi is not None and hi < lo else (lo, hi)

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def certified_periods(decisions: Sequence[BodyDecisionRow]) -> list[Period]:
    """The days a body was certified: each decision holds from its effective date until the next one
    (decisions in effect order; the later of two on the same day wins), and a certification until its
    ``validUntil`` if it has one."""
    out = []
    for i, d in enumerate(decisions):
        if d.status != "CERTIFIED":
            continue
        nxt = decisions[i + 1].effective_on - timedelta(days=1) if i + 1 < len(decisions) else None
        ends = [e for e in (nxt, d.valid_until) if e is not None]
        end = min(ends) if ends else None
        if end is None or end >= d.effective_on:
            out.append(Period(d.effective_on, end, d.status, d.standards_version))
    return out


def certified_on(decisions: Sequence[BodyDecisionRow], day: date) -> Period | None:
    return next((p for p in certified_periods(decisions) if p.contains(day)), None)


def credential_periods(history: Sequence[CredentialChangeRow]) -> list[Period]:
    """The days a credential was applied for, in process or granted (not past its expiry)."""
    out = []
    for i, h in enumerate(history):
        if h.status not in ACTIVE_CREDENTIAL:
            continue
        nxt = history[i + 1].status_date - timedelta(days=1) if i + 1 < len(history) else None
        ends = [e for e in (nxt, h.expires_on if h.status == "GRANTED" else None) if e is not None]
        end = min(ends) if ends else None
        if end is None or end >= h.status_date:
            out.append(Period(h.status_date, end, h.status, h.standards_version))
    return out


# -- who may submit a batch at all ----------------------------------------------------------------

async def admit(conn: asyncpg.Connection, caller: Principal, kids: Sequence[str]) -> None:
    """Callers other than a bound ``publisher`` token (``apply.Publisher.run`` admits those itself):
    a credentialing body bound to a registered credentialing body, or an auditor whose events are all
    signed with keys of a certifying authority. Anyone else is refused before anything is read."""
    if caller.role is Role.CREDENTIALING_BODY and caller.publisher_id:
        pub = (await publishers.by_ids(conn, [caller.publisher_id]))[0]
        if pub is not None and pub.kind == "CREDENTIALING_BODY":
            return
        raise Forbidden(f"your token is bound to {caller.publisher_id}, which is not a registered credentialing body")
    if caller.role is Role.AUDITOR:
        keys = [await publishers.key_by_kid(conn, kid) for kid in kids]
        owners = await publishers.by_ids(conn, sorted({k.publisher_id for k in keys if k is not None}))
        if keys and all(k is not None for k in keys) and all(
                o is not None and o.kind == "CERTIFYING_AUTHORITY" for o in owners):
            return
        raise Forbidden("an auditor submits only the Attorney General's certification decisions, signed with the "
                        "key of a registered certifying authority")
    raise Forbidden("only a registered publisher may publish events")


# -- applying the events --------------------------------------------------------------------------

async def apply(conn: asyncpg.Connection, caller: Principal, event: AccreditationEvent, pub: PublisherRow,
                event_pk: int) -> str:
    """Apply one event; returns the ID of the entity it touched (a body, a credential, an attestation)."""
    match event:
        case CredentialingBodyCertified() | CredentialingBodySuspended() | CredentialingBodyWithdrawn():
            return await _body_decision(conn, caller, event, pub, event_pk)
        case AgencyCredentialPublished() | AgencyCredentialStatusChanged():
            return await _agency_credential(conn, event, pub, event_pk)
        case NothingToReport() | SubmissionStatement():
            return await _statement(conn, event, pub, event_pk)
    raise BadInput("unsupported event type")  # pragma: no cover - the union is exhaustive


def _deny(reason: str | None) -> None:
    if reason is not None:
        raise Forbidden(reason)


def _signing_day(event: AccreditationEvent) -> date:
    return event.issuedAt.date()


async def _body_decision(
    conn: asyncpg.Connection,
    caller: Principal,
    ev: CredentialingBodyCertified | CredentialingBodySuspended | CredentialingBodyWithdrawn,
    pub: PublisherRow,
    event_pk: int,
) -> str:
    _deny(jurisdiction.check_body_decision(pub, caller.role is Role.AUDITOR))
    body = (await publishers.by_ids(conn, [ev.bodyId]))[0]
    if body is None or body.kind != "CREDENTIALING_BODY":
        raise NotFound(f"no credentialing body {ev.bodyId} is registered (an admin registers it as a publisher "
                       "of kind CREDENTIALING_BODY)")
    await store.lock_body(conn, body.id)
    [decisions] = await store.decisions_by_body_ids(conn, [body.id])
    last = decisions[-1] if decisions else None
    if last is not None and ev.effectiveOn < last.effective_on:
        raise Conflict(f"{body.id} already has a decision effective {last.effective_on.isoformat()}; a new decision "
                       "cannot take effect before it")
    current = certified_on(decisions, ev.effectiveOn)
    match ev:
        case CredentialingBodyCertified():
            if ev.validUntil is not None and ev.validUntil < ev.effectiveOn:
                raise BadInput("validUntil is before effectiveOn")
            status, version, valid_until = "CERTIFIED", ev.standardsVersion, ev.validUntil
        case CredentialingBodySuspended():
            if current is None:
                raise Conflict(f"{body.id} is not certified on {ev.effectiveOn.isoformat()}, so it cannot be suspended")
            status, version, valid_until = "SUSPENDED", current.standards_version, None
        case CredentialingBodyWithdrawn():
            if last is None or last.status == "WITHDRAWN":
                raise Conflict(f"{body.id} has no certification to withdraw")
            status, version, valid_until = "WITHDRAWN", last.standards_version, None
    await store.insert_decision(
        conn, body_id=body.id, status=status, standards_version=version, effective_on=ev.effectiveOn,
        valid_until=valid_until, reason=ev.reason, authority_id=pub.id, submitted_by=caller.subject,
        event_pk=event_pk,
    )
    return body.id


async def _agency_credential(
    conn: asyncpg.Connection,
    ev: AgencyCredentialPublished | AgencyCredentialStatusChanged,
    pub: PublisherRow,
    event_pk: int,
) -> str:
    _deny(jurisdiction.check_agency_credential(pub))
    if ev.statusDate > _signing_day(ev) + DATE_SLACK:
        raise BadInput("statusDate is after the day the event was signed; publish a status once it holds")
    if ev.expiresOn is not None and ev.expiresOn < ev.statusDate:
        raise BadInput("expiresOn is before statusDate")
    await store.lock_body(conn, pub.id)
    if isinstance(ev, AgencyCredentialPublished):
        if (await agencies.by_oris(conn, [ev.agencyOri]))[0] is None:
            raise NotFound(f"no agency with ORI {ev.agencyOri} is registered")
        if await store.credential_by_source(conn, pub.id, ev.sourceId) is not None:
            raise Conflict(f"credential {ev.sourceId} already exists; change it with agency_credential.status_changed")
        before = None
        row = CredentialRow(ids.new_id("ACR"), pub.id, ev.sourceId, ev.agencyOri, ev.status, ev.statusDate,
                            ev.expiresOn, False, False, (), "", ev.issuedAt)
    else:
        before = await store.credential_by_source(conn, pub.id, ev.credentialSourceId)
        if before is None:
            raise NotFound(f"you have no credential with sourceId {ev.credentialSourceId}")
        _check_transition(before, ev.status, ev.statusDate)
        row = replace(before, status=ev.status, status_date=ev.statusDate, expires_on=ev.expiresOn)
    if ev.confirmations is not None:
        row = replace(row, policy_adheres_to_law=ev.confirmations.policyAdheresToLaw,
                      chokeholds_prohibited=ev.confirmations.chokeholdsProhibitedExceptWhereDeadlyForceAllowed)
    if ev.topicsReviewed is not None:
        row = replace(row, topics_reviewed=tuple(sorted(ev.topicsReviewed)))
    if row.status == "GRANTED" and not (row.policy_adheres_to_law and row.chokeholds_prohibited):
        raise ConfirmationsRequired(
            "a GRANTED credential must confirm both EO 13929 Sec. 2(c) requirements: the agency's use-of-force "
            "policies adhere to applicable law (policyAdheresToLaw) and prohibit chokeholds except where deadly "
            "force is allowed by law (chokeholdsProhibitedExceptWhereDeadlyForceAllowed)")
    row = replace(row, standards_version=await _certified_standards(conn, pub, row.status, ev.statusDate,
                                                                    _signing_day(ev), before))
    await store.save_credential(conn, row, new=before is None)
    await store.add_history(conn, row, ev.reason, event_pk)
    return row.id


def _check_transition(before: CredentialRow, status: str, status_date: date) -> None:
    if status_date < before.status_date:
        raise Conflict(f"the credential's status is already dated {before.status_date.isoformat()}; a new status "
                       "cannot be dated before it")
    if status == "EXPIRED" and before.status != "GRANTED":
        raise Conflict(f"only a GRANTED credential can expire (this one is {before.status})")
    if before.status == "REVOKED" and status != "APPLIED":
        raise Conflict("a REVOKED credential can only start over with APPLIED")
    if status == before.status and status != "GRANTED":  # GRANTED again = a renewal
        raise Conflict(f"the credential is already {status}")


async def _certified_standards(conn: asyncpg.Connection, body: PublisherRow, status: str, status_date: date,
                               signed_on: date, before: CredentialRow | None) -> str:
    """The standards version the body was certified under when the status took effect.

    A body publishes a new credential, or an applied / in-process / granted status, only while certified:
    on the status date and on the day it signs (so a withdrawn body cannot backdate new credentials).
    Ending an existing credential (EXPIRED, REVOKED) is always allowed: it only takes standing away."""
    [decisions] = await store.decisions_by_body_ids(conn, [body.id])
    period = certified_on(decisions, status_date)
    if status in ACTIVE_CREDENTIAL or before is None:
        if period is None:
            raise BodyNotCertified(f"{body.name} was not certified by the Attorney General on "
                                   f"{status_date.isoformat()}, so it cannot publish a {status} credential for then")
        if certified_on(decisions, max(signed_on, status_date)) is None:
            raise BodyNotCertified(f"{body.name} is no longer certified by the Attorney General, so it cannot "
                                   "publish new credentials or statuses")
        return period.standards_version
    if period is not None:
        return period.standards_version
    assert before is not None
    return before.standards_version


async def _statement(conn: asyncpg.Connection, ev: NothingToReport | SubmissionStatement, pub: PublisherRow,
                     event_pk: int) -> str:
    """An agency's annual Sec. 3(d) statement. "Submitted" is never checked against the records: refusing it
    when none exist would tell the signer (a POST board, say) about records it may not see."""
    agency = (await agencies.by_oris(conn, [ev.agencyOri]))[0]
    if agency is None:
        raise NotFound(f"no agency with ORI {ev.agencyOri} is registered")
    _deny(jurisdiction.check_reporting(pub, agency))
    if ev.reportingYear > _signing_day(ev).year:
        raise BadInput(f"{ev.reportingYear} has not begun; attest for a year that has")
    start, end = date(ev.reportingYear, 1, 1), date(ev.reportingYear, 12, 31)
    nothing = isinstance(ev, NothingToReport)
    if nothing and (await store.records_submitted(conn, [agency.ori], start, end)).get(agency.ori):
        raise Conflict(f"misconduct records naming {agency.ori} are already published for {ev.reportingYear}; "
                       "there is something to report")
    if not await store.add_attestation(conn, agency_ori=agency.ori, year=ev.reportingYear, publisher_id=pub.id,
                                       statement=ev.statement, event_pk=event_pk,
                                       kind="NOTHING_TO_REPORT" if nothing else "SUBMITTED"):
        raise Conflict(f"{pub.id} already made its Sec. 3(d) statement for {agency.ori} for {ev.reportingYear}")
    return f"ATT-{agency.ori}-{ev.reportingYear}"
