"""``load``: register the cast and publish the plan through the ordinary publishing path, in one transaction."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
from joserfc.jwk import OKPKey

from auth.principal import Principal, Role
from demo.cast import AGENCIES, ALREADY_LOADED, DEMO_OFFICER_ID, KEY_VALID_FROM, PUBLISHERS, SEED
from demo.events import PendingEvent, batches, events_of, issued_at
from demo.keys import publisher_key
from demo.plan import make_plan
from ledger.events import public_jwk_dict, sign_event
from publishing.apply import BatchResult, Publisher, Submission
from registry import database
from registry.config import Settings
from registry.services import ssn_key
from store import agencies, officers, publishers


async def load(dsn: str, settings: Settings) -> str:
    """Load the demo data set unless it is already there; return a one-line summary."""
    pool = await database.create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            if (await publishers.by_ids(conn, ["ca-post"]))[0] is not None:
                return ALREADY_LOADED
            key_dir = settings.data_dir / "demo-keys"
            key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            keys = {p.id: publisher_key(key_dir, p.id) for p in PUBLISHERS}
            planner = make_plan(random.Random(SEED))  # noqa: S311 - demo data, not security
            events = events_of(planner)
            secret = ssn_key(settings)
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('registry.demo.load'))")
                if (await publishers.by_ids(conn, ["ca-post"]))[0] is not None:
                    return ALREADY_LOADED
                await _register(conn, keys)
                showcase = planner.people[0]
                await officers.insert(conn, officer_id=DEMO_OFFICER_ID, date_of_birth=showcase.dob,
                                      ssn_blind_index=None, created_by="ca-post")
                await _publish(conn, events, keys, secret)
            counts = await _counts(conn)
    finally:
        await pool.close()
    return (f"demo data loaded: {counts['agencies']} agencies, {counts['publishers']} publishers, "
            f"{counts['officers']} officers, {counts['certifications']} certifications, "
            f"{counts['employment']} employment periods, {counts['misconduct_records']} misconduct records, "
            f"{counts['agency_programs']} crisis-response programs, {counts['events']} signed events "
            f"(publisher keys in {key_dir})")


async def _register(conn: asyncpg.Connection, keys: dict[str, tuple[OKPKey, str]]) -> None:
    for agency in AGENCIES:
        await agencies.upsert(conn, agency)
    for pub in PUBLISHERS:
        await publishers.insert(conn, pub)
        key, kid = keys[pub.id]
        await publishers.add_key(conn, pub.id, kid, public_jwk_dict(key), KEY_VALID_FROM)


async def _publish(conn: asyncpg.Connection, events: Sequence[PendingEvent], keys: dict[str, tuple[OKPKey, str]],
                   secret: bytes) -> None:
    """Register everybody first (their first certification), then publish the rest by registry ID."""
    now = datetime.now(UTC)
    numbered = list(enumerate(events, start=1))
    officer_ids: dict[int, str] = {}
    for phase in (True, False):
        chosen = [(n, e) for n, e in numbered if (e.registers is not None) == phase]
        for publisher_id, batch in batches(chosen):
            key, kid = keys[publisher_id]
            submissions = []
            for n, event in batch:
                payload = {**event.payload, "eventId": f"demo-{n}", "publisher": publisher_id,
                           "issuedAt": issued_at(event.when, n, now)}
                if event.about is not None:
                    payload["subject"] = {"registryId": officer_ids[event.about]}
                submissions.append(Submission(sign_event(payload, key, kid)))
            caller = Principal(role=Role.PUBLISHER, subject="demo-loader", publisher_id=publisher_id)
            result = await Publisher(conn, caller, secret).run(submissions, dry_run=False)
            _check(publisher_id, result, [f"demo-{n}" for n, _ in batch])
            for (_, event), outcome in zip(batch, result.outcomes, strict=True):
                if event.registers is not None:
                    assert outcome.officer_id is not None
                    officer_ids[event.registers] = outcome.officer_id


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
                  (SELECT count(*) FROM agency_programs) AS agency_programs,
                  (SELECT count(*) FROM events) AS events"""
    )
    assert row is not None
    return {name: int(value) for name, value in row.items()}
