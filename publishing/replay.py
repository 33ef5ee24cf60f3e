"""The replay audit: rebuild the registry's state from the signed log with the code that applied it, and
name every row and field of the live tables that the log does not explain.

Each logged event is verified again and re-applied, in log order, to an empty database (the publisher keys
valid at the time it was first accepted decide its signature), with the IDs and officer links the registry
assigned when it first applied it (matching used evidence the log does not carry, such as the SSN's blind
index). The replayed tables are then compared with the live ones (``store.projection.TABLES``).

What it cannot check (docs/ledger-operations.md): registrations of agencies, publishers and keys (copied,
not yet log entries); the officer's own statements and disputes; SSN blind indexes; and the content of
expunged records, of which the log keeps only hashes (their rows are checked to be empty by the database).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from auth.principal import Principal, Role
from publishing.apply import Publisher, Replayed, Submission
from store import projection

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
    expunged: int = 0
    rows_compared: int = 0
    findings: list[ReplayFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


#: Events replayed per transaction. A batch holds consecutive events of one publisher; one that fails is
#: replayed again one event at a time, as the log was first applied, so that each failure is named.
BATCH = 500


async def replay(live: asyncpg.Connection, scratch: asyncpg.Connection) -> ReplayReport:
    """Replay ``live``'s log into the freshly migrated, empty ``scratch`` database and compare."""
    report = ReplayReport()
    await projection.copy_registrations(live, scratch)
    expunged = await projection.expunged_records(live)
    batch: list[asyncpg.Record] = []
    for ev in await projection.replayable_events(live):
        if ev["jws"] is None or ev["entity_id"] in expunged:
            report.expunged += 1  # only its leaf remains (or it is about content that was expunged)
            continue
        if batch and (ev["proposal_id"] is not None or ev["publisher_id"] != batch[0]["publisher_id"]
                      or len(batch) >= BATCH):
            await _apply(scratch, batch, report)
            batch = []
        if ev["proposal_id"] is not None:  # the proposal it confirms or rejects, as it stood then
            await projection.copy_proposal(live, scratch, int(ev["proposal_id"]))
        batch.append(ev)
    if batch:
        await _apply(scratch, batch, report)
    _compare(await projection.snapshot(live), await projection.snapshot(scratch), report)
    return report


def _submission(ev: asyncpg.Record) -> Submission:
    assigned = {"OFC": ev["officer_id"]} if ev["officer_id"] else {}
    if ev["entity_id"]:
        assigned[ev["entity_id"].split("-", 1)[0]] = ev["entity_id"]
    return Submission(ev["jws"], replayed=Replayed(ev["accepted_at"], assigned, ev["officer_id"]))


async def _apply(scratch: asyncpg.Connection, events: list[asyncpg.Record], report: ReplayReport) -> None:
    """Re-apply consecutive events of one publisher: in one transaction, or, when one of them fails, one at a
    time (the registry applied each on its own, and a failed one changed nothing)."""
    first = events[0]
    caller = Principal(role=_ROLE_OF_KIND.get(first["publisher_kind"], Role.PUBLISHER), subject="replay-audit",
                       publisher_id=first["publisher_id"])
    subs = [_submission(ev) for ev in events]
    result = await Publisher(scratch, caller, b"\0" * 32).run(subs, dry_run=False)
    if not result.committed and len(events) > 1:
        for ev in events:
            await _apply(scratch, [ev], report)
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
