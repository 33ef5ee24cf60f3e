"""``load``: register the cast and publish the plan through the ordinary publishing path, batch by batch.

Every row comes from a signed event accepted by :class:`publishing.apply.Publisher`, as a real publisher's
would (the one exception, as before: the showcase officer's row, inserted with his fixed ID before anything is
published). Each batch of BATCH_SIZE events is one transaction of its own: a single transaction over the whole
load made every later append slower (the log's size row is updated once per event, and PostgreSQL cannot prune
the versions a still-open transaction made), so that ten thousand events took minutes instead of seconds.

Interrupted, the load resumes where it stopped when run again: the events are the same (fixed event IDs and
content), so those already accepted come back DUPLICATE, with the officer IDs the registry assigned. The last
event published has the event ID ``COMPLETE``: a registry with it holds the whole data set.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from joserfc.jwk import OKPKey

from auth.principal import Principal, Role
from demo.cast import (
    AGENCIES,
    ALREADY_LOADED,
    ATTORNEY_GENERAL,
    DEMO_OFFICER_ID,
    KEY_VALID_FROM,
    OFFICERS,
    PUBLISHERS,
    SEED,
)
from demo.events import PendingEvent, batches, events_of, issued_at
from demo.keys import publisher_key
from demo.plan import make_plan
from identity.phonetic import BLOCKING_SCHEME_VERSION
from ledger import admin_entries, admin_key
from ledger.admin_key import AdminKeys
from ledger.events import public_jwk_dict, sign_event
from publishing import registrations
from publishing.apply import BatchResult, Publisher, Submission
from registry import database
from registry.config import Settings
from registry.services import ssn_key
from store import officers as officer_store
from store import publishers

#: The event ID of the last event the load publishes.
COMPLETE = "demo-complete"
#: How each kind of publisher submits its batches (as ``publishing.replay`` replays them).
_ROLE = {"POST_BOARD": Role.PUBLISHER, "AGENCY": Role.PUBLISHER, "CREDENTIALING_BODY": Role.CREDENTIALING_BODY,
         "CERTIFYING_AUTHORITY": Role.AUDITOR}
_LOCK = "SELECT pg_advisory_lock(hashtext('registry.demo.load'))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtext('registry.demo.load'))"


async def load(dsn: str, settings: Settings, *, officers: int = OFFICERS) -> str:
    """Load the demo data set unless it is already there (resuming an interrupted load); return a one-line
    summary. ``officers``: a smaller data set for tests (every hand-written part of it is the same)."""
    pool = await database.create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            if await _state(conn) in ("complete", "older"):
                return await _already(conn)
            key_dir = settings.data_dir / "demo-keys"
            key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            keys = {p.id: publisher_key(key_dir, p.id) for p in PUBLISHERS}
            planner = make_plan(random.Random(SEED), officers)  # noqa: S311 - demo data, not security
            events = events_of(planner)
            secret = ssn_key(settings)
            admin = admin_key.load_or_create_keys(settings.secrets_dir / admin_key.DEFAULT_FILE)
            await conn.execute(_LOCK)  # one loader at a time; the other waits, then finds it loaded
            # this connection only: a batch's commit does not wait for its WAL flush (a crash may lose the last
            # batches, which the next run publishes again; nothing is ever half applied)
            await conn.execute("SET synchronous_commit = off")
            try:
                state = await _state(conn)
                if state in ("complete", "older"):
                    return await _already(conn)
                async with conn.transaction():
                    if state == "absent":
                        await _register(conn, keys, admin)
                        await officer_store.register(conn, [officer_store.Registration(
                            DEMO_OFFICER_ID, planner.people[0].dob, None, names=[], keys=[],
                            scheme=BLOCKING_SCHEME_VERSION)], created_by="ca-post")
                    else:
                        await _check_keys(conn, keys, key_dir)
                await _publish(conn, events, keys, secret, admin)
            finally:
                await conn.execute("RESET synchronous_commit")
                await conn.execute(_UNLOCK)
            counts = await _counts(conn)
    finally:
        await pool.close()
    return _summary(counts, f"publisher keys in {key_dir}")


async def _state(conn: asyncpg.Connection) -> str:
    """``absent``, ``partial`` (an interrupted load), ``complete``, or ``older``: the demo of an earlier
    version of the registry (it has no certifying authority), which is left alone."""
    board, authority = await publishers.by_ids(conn, ["ca-post", ATTORNEY_GENERAL])
    if board is None:
        return "absent"
    if authority is None:
        return "older"
    done = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM events WHERE event_id = $1)", COMPLETE)
    return "complete" if done else "partial"


async def _already(conn: asyncpg.Connection) -> str:
    if await _state(conn) == "older":
        return f"{ALREADY_LOADED} (an earlier, smaller version; start from an empty REGISTRY_DATA_DIR for this one)"
    return ALREADY_LOADED


def _summary(counts: dict[str, int], where: str) -> str:
    return (f"demo data loaded: {counts['agencies']} agencies, {counts['publishers']} publishers, "
            f"{counts['officers']} officers, {counts['certifications']} certifications, "
            f"{counts['employment']} employment periods, {counts['misconduct_records']} misconduct records, "
            f"{counts['agency_credentials']} agency credentials, {counts['agency_programs']} crisis-response "
            f"programs, {counts['events']} signed events ({where})")


async def _register(conn: asyncpg.Connection, keys: dict[str, tuple[OKPKey, str]], admin: AdminKeys) -> None:
    """The demo's agencies, publishers and keys, logged under the registry's admin key as an admin would."""
    for agency in AGENCIES:
        await registrations.record(conn, admin, admin_entries.agency_entry(agency), by="demo-loader")
    for pub in PUBLISHERS:
        await registrations.record(conn, admin, admin_entries.publisher_entry(pub), by="demo-loader")
        key, kid = keys[pub.id]
        jwk = {**public_jwk_dict(key), "kid": kid}
        await registrations.record(conn, admin, admin_entries.key_entry(pub.id, kid, jwk, KEY_VALID_FROM),
                                   by="demo-loader")


async def _check_keys(conn: asyncpg.Connection, keys: dict[str, tuple[OKPKey, str]], key_dir: Path) -> None:
    """Resuming: the keys on disk must be the ones registered (the same data directory as the first run)."""
    for pub in PUBLISHERS:
        key, kid = keys[pub.id]
        found = await publishers.key_by_kid(conn, kid)
        if found is None or found.publisher_id != pub.id or found.public_jwk.get("x") != public_jwk_dict(key)["x"]:
            raise RuntimeError(f"an interrupted demo load cannot be resumed: the key of {pub.id} in {key_dir} is not "
                               "the one registered (run it with the data directory of the first attempt)")


async def _publish(conn: asyncpg.Connection, events: Sequence[PendingEvent], keys: dict[str, tuple[OKPKey, str]],
                   secret: bytes, admin: AdminKeys) -> None:
    """Register everybody first (their first certification), then publish the rest by registry ID."""
    now = datetime.now(UTC)
    numbered = list(enumerate(events, start=1))
    phases = [list(batches([(n, e) for n, e in numbered if (e.registers is not None) == phase]))
              for phase in (True, False)]
    last = phases[-1][-1][1][-1][0]  # the number of the last event of the last batch

    def event_id(n: int) -> str:
        return COMPLETE if n == last else f"demo-{n}"

    officer_ids: dict[int, str] = {}
    for phase in phases:
        for publisher_id, batch in phase:
            if await _done(conn, publisher_id, batch, event_id, officer_ids):
                continue
            key, kid = keys[publisher_id]
            submissions = []
            for n, event in batch:
                payload = {**event.payload, "eventId": event_id(n), "publisher": publisher_id,
                           "issuedAt": issued_at(event.when, n, now)}
                if event.about is not None:
                    payload["subject"] = {"registryId": officer_ids[event.about]}
                submissions.append(Submission(sign_event(payload, key, kid)))
            result = await Publisher(conn, _caller(publisher_id), secret,
                                     admin_keys=admin.public()).run(submissions, dry_run=False)
            _check(publisher_id, result, [event_id(n) for n, _ in batch])
            for (_, event), outcome in zip(batch, result.outcomes, strict=True):
                if event.registers is not None:
                    assert outcome.officer_id is not None
                    officer_ids[event.registers] = outcome.officer_id


async def _done(conn: asyncpg.Connection, publisher_id: str, batch: Sequence[tuple[int, PendingEvent]],
                event_id: Callable[[int], str], officer_ids: dict[int, str]) -> bool:
    """Resuming: whether every event of the batch is already accepted (then it is not sent again, and the
    officers it registered are read back: the IDs the registry assigned). A batch that is only partly there
    is sent whole, and what is there comes back DUPLICATE. A fresh load asks once per batch and finds none."""
    rows = await conn.fetch("SELECT event_id, officer_id FROM events WHERE publisher_id = $1 AND event_id = ANY($2)",
                            publisher_id, [event_id(n) for n, _ in batch])
    if len(rows) < len(batch):
        return False
    assigned = {r["event_id"]: r["officer_id"] for r in rows}
    for n, event in batch:
        if event.registers is not None:
            officer_ids[event.registers] = assigned[event_id(n)]
    return True


def _caller(publisher_id: str) -> Principal:
    kind = next(p.kind for p in PUBLISHERS if p.id == publisher_id)
    return Principal(role=_ROLE[kind], subject="demo-loader", publisher_id=publisher_id)


def _check(publisher_id: str, result: BatchResult, event_ids: Sequence[str]) -> None:
    """Raise on a batch that was not committed, naming the first rejected event."""
    if result.committed:
        return
    bad = next((o for o in result.outcomes if o.status == "REJECTED"), None)
    if bad is None:
        raise RuntimeError(f"a demo batch of {publisher_id} was not committed")
    raise RuntimeError(f"demo event {event_ids[bad.index]} of {publisher_id} was rejected: {bad.code}: {bad.message}")


async def _counts(conn: asyncpg.Connection) -> dict[str, int]:
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM agencies) AS agencies, (SELECT count(*) FROM publishers) AS publishers,
                  (SELECT count(*) FROM officers) AS officers, (SELECT count(*) FROM certifications) AS certifications,
                  (SELECT count(*) FROM employment) AS employment,
                  (SELECT count(*) FROM misconduct_records) AS misconduct_records,
                  (SELECT count(*) FROM agency_credentials) AS agency_credentials,
                  (SELECT count(*) FROM agency_programs) AS agency_programs,
                  (SELECT count(*) FROM events) AS events"""
    )
    assert row is not None
    return {name: int(value) for name, value in row.items()}
