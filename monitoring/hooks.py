"""Called by ``publishing.apply`` inside the publish transaction: write each enrollee's notice and
its webhook outbox rows, so they commit (or roll back) with the event that caused them.

A record notice is written for an enrollee when the record *becomes visible* to it
(``record.visible``: for a hiring agency, once FINAL with fair process attested), *changes while
visible* (``record.changed``), or *stops being visible* (``record.withdrawn``: overturned,
rescinded, expunged -- the notice then names only the record, so the enrollee can drop its copy).
A certification notice is written when an enrolled officer's certification is issued or changes
status or expiry, with the full certification where the enrollee may read it and the status only
(as ``verifyCertification`` shows it) otherwise. Visibility and content come from ``auth.policy``
for the enrollee's principal; each notice with officer data is a disclosure and goes to the
officer's query log with the purpose CONTINUOUS_MONITORING.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from monitoring import payloads
from monitoring.owners import Owner
from registry import ids
from store import monitoring as store
from store import officers, outbox, querylog, records
from store.models import CertificationRow, RecordRow

CHANNEL = "registry_monitoring"
PURPOSE = "CONTINUOUS_MONITORING"


def new_webhook_id() -> str:
    return "msg_" + secrets.token_urlsafe(18).replace("-", "A").replace("_", "B")


def envelope(type_: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The webhook body (Standard Webhooks shape), serialized once: these exact bytes are signed and sent."""
    stamp = occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": type_, "timestamp": stamp, "data": data}, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class Recipient:
    """Who a notice goes to, and why: an enrollment, or an earlier disclosure of the record (query log)."""

    owner: Owner
    subject: str                       # the enrollment's creator, or the reader the record was shown to
    enrollment_id: str | None = None
    purpose: str = PURPOSE             # written with the notice into the officer's query log


async def _record_recipients(conn: asyncpg.Connection, officer_id: str,
                             record_id: str) -> tuple[list[Recipient], list[Recipient]]:
    """(enrollees of the officer, agencies shown this record before that are not enrolled)."""
    enrolled = [Recipient(Owner.of(e.owner_kind, e.owner_id), e.created_by, e.id)
                for e in await store.enrollments_of_officer(conn, officer_id)]
    covered = {r.owner for r in enrolled}
    earlier = [Recipient(Owner("AGENCY", ori), subject, None, purpose)
               for ori, subject, purpose in await querylog.earlier_record_readers(conn, officer_id, record_id)
               if Owner("AGENCY", ori) not in covered]
    return enrolled, earlier


async def on_record(conn: asyncpg.Connection, officer_id: str, record_id: str, before: RecordRow | None,
                    cause: str) -> None:
    """After a record was published or changed (``before`` is None for a new record), by a signed event or by
    the officer (a statement, a dispute).

    Enrollees are told when the record becomes visible to them, changes while visible, or stops being visible.
    Agencies that were shown the record earlier (the query log) and are not enrolled get a revised report
    (``record.revised``, NPDB-style) when it changes while visible to them, or ``record.withdrawn``.
    """
    after = (await records.by_ids(conn, [record_id]))[0]
    assert after is not None
    await refresh_stored(conn, after)
    enrolled, earlier = await _record_recipients(conn, officer_id, record_id)
    if not enrolled and not earlier:
        return
    officer_row = (await officers.by_ids(conn, [after.officer_id]))[0]
    notices: list[Notice] = []
    for rcpt, revised in [(r, False) for r in enrolled] + [(r, True) for r in earlier]:
        who = rcpt.owner.principal(rcpt.subject)
        was, now = payloads.record_visible(who, before), payloads.record_visible(who, after)
        data: dict[str, Any]
        if now and (was or not revised):
            type_ = "record.revised" if revised else "record.changed" if was else "record.visible"
            data = {"record": payloads.record(who, after)}
        elif was:
            type_, data = "record.withdrawn", {"record": {"id": after.id}}
        else:
            continue
        data["officer"] = payloads.officer(who, officer_row) if officer_row else None
        data["cause"] = cause
        disclosed = {"MisconductRecord": [after.id]} if now else {}
        notices.append((rcpt, type_, data, disclosed))
    await _write(conn, after.officer_id, notices)


async def to_publisher(conn: asyncpg.Connection, row: RecordRow, type_: str, cause: str,
                       extra: dict[str, Any] | None = None) -> None:
    """A notice to the record's publisher (a dispute or statement was filed on its record): its notices,
    subscription and webhooks, as its monitoring enrollees get theirs. Free text (a dispute's reason) is not
    copied into it: the publisher reads that through the API, where expungement reaches it."""
    owner = Owner("PUBLISHER", row.publisher_id)
    who = owner.principal()
    data: dict[str, Any] = {"record": payloads.record(who, row), "cause": cause, **(extra or {})}
    await _write(conn, row.officer_id, [(Recipient(owner, "registry-notices"), type_, data, {})])


async def refresh_stored(conn: asyncpg.Connection, row: RecordRow) -> None:
    """Re-render every stored notice and webhook body that carries this record, as each enrollee may read it now.

    Expungement empties them of content, a correction or a statement replaces superseded content, a record
    that left what the enrollee may see keeps only its ID: replay and redelivery send nothing stale.
    """
    for notice in await store.notices_about_record(conn, row.id):
        who = Owner.of(notice.owner_kind, notice.owner_id).principal()
        now = payloads.record(who, row) if payloads.record_visible(who, row) else None
        view = now if now is not None else {"id": row.id}
        if notice.payload.get("record") == view:
            continue
        payload = {**notice.payload, "record": view}
        await store.set_notice_payload(conn, notice.id, payload)
        await outbox.rewrite_bodies(conn, notice.id, envelope(notice.type, notice.occurred_at, payload))


async def on_certification(conn: asyncpg.Connection, officer_id: str, cert_id: str, before: CertificationRow | None,
                           event_type: str) -> None:
    """After a certification was issued (``before`` None) or its status changed."""
    enrollments = await store.enrollments_of_officer(conn, officer_id)
    if not enrollments:
        return
    after = await store.certification(conn, cert_id)
    assert after is not None
    if before is not None and (before.status, before.expires_on) == (after.status, after.expires_on):
        return  # nothing a monitor watches has changed (e.g. only the reason text)
    officer_row = (await officers.by_ids(conn, [after.officer_id]))[0]
    publisher_ids = officer_row.publisher_ids if officer_row else frozenset()
    type_ = "certification.issued" if before is None else "certification.status_changed"
    notices: list[Notice] = []
    for enr in enrollments:
        rcpt = Recipient(Owner.of(enr.owner_kind, enr.owner_id), enr.created_by, enr.id)
        who = rcpt.owner.principal(enr.created_by)
        cert = payloads.certification(who, after, publisher_ids, before.status if before else None)
        if cert is None:
            continue
        data: dict[str, Any] = {"certification": cert, "cause": event_type}
        data["officer"] = payloads.officer(who, officer_row) if officer_row else None
        notices.append((rcpt, type_, data, {"Certification": [after.id]}))
    await _write(conn, after.officer_id, notices)


Notice = tuple[Recipient, str, dict[str, Any], dict[str, list[str]]]  # (to, type, data, disclosed)


async def _write(conn: asyncpg.Connection, officer_id: str, notices: list[Notice]) -> None:
    if not notices:
        return
    await store.lock_notices(conn)
    now = datetime.now(UTC)
    deliveries: list[tuple[str, str, int | None, str, str, str, str, str]] = []
    disclosures = []
    for rcpt, type_, data, disclosed in notices:
        owner = rcpt.owner
        webhook_id = new_webhook_id()
        data = {"noticeId": webhook_id, "enrollmentId": rcpt.enrollment_id, "officerId": officer_id, **data}
        notice_pk = await store.add_notice(conn, webhook_id, owner.kind, owner.id, rcpt.enrollment_id, officer_id,
                                           type_, data, now)
        body = envelope(type_, now, data)
        for ep in await store.endpoints_of(conn, owner.kind, owner.id, active_only=True):
            deliveries.append((ids.new_id("DLV"), webhook_id, notice_pk, ep.id, owner.kind, owner.id, type_, body))
        if disclosed:
            role = owner.principal().role.value
            disclosures.append((officer_id, role, rcpt.subject, owner.id, rcpt.purpose, disclosed))
        await store.notify(conn, CHANNEL, owner.channel_key)
    if deliveries:
        await outbox.enqueue(conn, deliveries)
    if disclosures:
        await querylog.append_many(conn, disclosures)
