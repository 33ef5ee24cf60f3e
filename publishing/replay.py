"""The replay audit: rebuild the registry's state from the signed log with the code that applied it, and
name every row and field of the live tables that the log does not explain.

Each logged event is verified again and re-applied, in log order, to an empty database (the publisher keys
valid at the time it was first accepted decide its signature), with the IDs and officer links the registry
assigned when it first applied it (matching used evidence the log does not carry, such as the SSN's blind
index). The replayed tables are then compared with the live ones (``store.projection.TABLES``).

Registrations (agencies, publishers, publisher keys and revocations) are log entries too, signed by the registry's
admin key: they are re-applied in their place with ``publishing.registrations.apply``, so the replayed key
table is the log's, and every event's signature is checked against it.

What it cannot check (docs/ledger-operations.md): the officer's own statements and disputes; SSN blind
indexes; and the content of expunged records, of which the log keeps only hashes (their rows are checked to
be empty by the database).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from joserfc.jwk import OKPKey

from auth.principal import Principal, Role
from ledger import admin_entries
from ledger.events import EventSignatureError
from publishing import registrations
from publishing.apply import Publisher, Replayed, Submission
from store import projection
from store import registrations as registration_store

__all__ = ["ReplayFinding", "ReplayReport", "replay"]

_ROLE_OF_KIND = {"POST_BOARD": Role.PUBLISHER, "AGENCY": Role.PUBLISHER, "CREDENTIALING_BODY": Role.CREDENTIALING_BODY,
                 "CERTIFYING_AUTHORITY": Role.AUDITOR}


@dataclass(frozen=True)
class ReplayFinding:
    code: str   # ROW_NOT_IN_LOG, ROW_MISSING, FIELD_DIFFERS, EVENT_NOT_REPLAYED
    table: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.code:<18} {self.table:<22} {self.where:<40} {self.message}"


@dataclass
class ReplayReport:
    replayed: int = 0
    registrations: int = 0
    expunged: int = 0
    rows_compared: int = 0
    findings: list[ReplayFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


#: Events replayed per transaction. A batch holds consecutive events of one publisher; one that fails is
#: replayed again one event at a time, as the log was first applied, so that each failure is named.
BATCH = 500


async def replay(live: asyncpg.Connection, scratch: asyncpg.Connection, *,
                 admin_keys: Mapping[str, OKPKey] | None = None) -> ReplayReport:
    """Replay ``live``'s log into the freshly migrated, empty ``scratch`` database and compare. With ``admin_keys``
    each registration's signature is checked before it is applied."""
    report = ReplayReport()
    expunged = await projection.expunged_records(live)
    batch: list[asyncpg.Record] = []
    entries = await projection.replayable_events(live)
    # Registrations adopted at an upgrade (``registrations.adopt``) were logged after the events that used them:
    # they stand for what the registry held from the start, so they are applied first.
    adopted = {ev["log_index"] for ev in entries if ev["registration"] and _adopted(ev["jws"])}
    for ev in entries:
        if ev["log_index"] in adopted:
            await _register(scratch, ev, admin_keys, report)
    for ev in entries:
        if ev["log_index"] in adopted:
            continue
        if ev["registration"]:
            if batch:
                await _apply(scratch, batch, report, admin_keys)
                batch = []
            await _register(scratch, ev, admin_keys, report)
            continue
        if ev["jws"] is None or ev["entity_id"] in expunged:
            report.expunged += 1  # only its leaf remains (or it is about content that was expunged)
            continue
        if batch and (ev["proposal_id"] is not None or ev["publisher_id"] != batch[0]["publisher_id"]
                      or len(batch) >= BATCH):
            await _apply(scratch, batch, report, admin_keys)
            batch = []
        if ev["proposal_id"] is not None:  # the proposal it confirms or rejects, as it stood then
            await projection.copy_proposal(live, scratch, int(ev["proposal_id"]))
        batch.append(ev)
    if batch:
        await _apply(scratch, batch, report, admin_keys)
    _compare(await projection.snapshot(live), await projection.snapshot(scratch), report)
    return report


def _adopted(jws: str) -> bool:
    try:
        return bool(admin_entries.signed_payload(jws, None).get("adopted"))
    except (ValueError, IndexError):
        return False


async def _register(scratch: asyncpg.Connection, entry: asyncpg.Record, admin_keys: Mapping[str, OKPKey] | None,
                    report: ReplayReport) -> None:
    """Re-apply one registration from the bytes the admin key signed (not from the payload column)."""
    try:
        payload = admin_entries.signed_payload(entry["jws"], admin_keys)
        async with scratch.transaction():
            await registrations.apply(scratch, payload)
            # kept as the live registry keeps it: publishing resolves keys through the logged registrations
            await registration_store.insert(scratch, log_index=entry["log_index"], type_=payload["type"],
                                            kid=entry["kid"], jws=entry["jws"], payload=payload)
    except (EventSignatureError, registrations.RegistrationRefused, asyncpg.PostgresError, KeyError,
            ValueError) as err:
        report.findings.append(ReplayFinding("EVENT_NOT_REPLAYED", "registry_entries",
                                             f"log_index={entry['log_index']}", f"registration not re-applied: {err}"))
        return
    report.registrations += 1


def _submission(ev: asyncpg.Record) -> Submission:
    assigned = {"OFC": ev["officer_id"]} if ev["officer_id"] else {}
    if ev["entity_id"]:
        assigned[ev["entity_id"].split("-", 1)[0]] = ev["entity_id"]
    return Submission(ev["jws"], replayed=Replayed(ev["accepted_at"], assigned, ev["officer_id"]))


async def _apply(scratch: asyncpg.Connection, events: list[asyncpg.Record], report: ReplayReport,
                 admin_keys: Mapping[str, OKPKey] | None) -> None:
    """Re-apply consecutive events of one publisher: in one transaction, or, when one of them fails, one at a
    time (the registry applied each on its own, and a failed one changed nothing)."""
    first = events[0]
    caller = Principal(role=_ROLE_OF_KIND.get(first["publisher_kind"], Role.PUBLISHER), subject="replay-audit",
                       publisher_id=first["publisher_id"])
    subs = [_submission(ev) for ev in events]
    result = await Publisher(scratch, caller, b"\0" * 32, admin_keys=admin_keys).run(subs, dry_run=False)
    if not result.committed and len(events) > 1:
        for ev in events:
            await _apply(scratch, [ev], report, admin_keys)
        return
    for ev, outcome in zip(events, result.outcomes, strict=True):
        if outcome.status != "ACCEPTED":
            report.findings.append(ReplayFinding("EVENT_NOT_REPLAYED", "events", f"log_index={ev['log_index']}",
                                                 f"{outcome.code}: {outcome.message}"))
            continue
        report.replayed += 1


def _compare(live: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
             replayed: dict[str, dict[tuple[Any, ...], dict[str, Any]]], report: ReplayReport) -> None:
    for table, rows in live.items():
        keys, _, _ = projection.TABLES[table]
        other = replayed[table]
        for key in sorted(rows.keys() | other.keys(), key=str):
            where = " ".join(f"{k}={v}" for k, v in zip(keys, key, strict=True))
            if key not in other:
                report.findings.append(ReplayFinding("ROW_NOT_IN_LOG", table, where,
                                                     "no logged event makes this row: written behind the API"))
                continue
            if key not in rows:
                report.findings.append(ReplayFinding("ROW_MISSING", table, where,
                                                     "the log makes this row but the table lacks it: deleted"))
                continue
            report.rows_compared += 1
            for name, value in rows[key].items():
                if other[key][name] != value:
                    report.findings.append(ReplayFinding(
                        "FIELD_DIFFERS", table, where,
                        f"{name} is {value!r} but the log says {other[key][name]!r}"))
