"""The set-based publishing path (publishing.bulk_rows, issue 13): a batch of new records, employment and
certifications about officers named by registry ID, and of changes to the publisher's rows (separations,
certification status changes), is written with a fixed number of statements, and it is only an optimisation.
Checked where it can be observed: the same events applied one at a time write the same rows (records, history,
employment, events and their subjects, the officer's notifications, an enrollee's monitoring notices and query-log
entries), the replay audit explains them, and every batch the path does not take, or that fails while it writes,
gets the verdicts the one-at-a-time path gives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from auth.principal import Principal, Role
from publishing.apply import Outcome, Publisher, Submission
from publishing.replay import replay
from store import querylog
from tests.integration.monitoring_support import agency_token, cert_status_changed, enroll
from tests.support import (
    World,
    cert_issued,
    employment_started,
    record_published,
    second_database,
    status_changed,
    subject,
)


async def _run(world: World, payloads: list[dict[str, Any]], *, set_based: bool, publisher: str = "ca-post",
               ) -> tuple[bool, list[Outcome], list[str]]:
    """One batch on one connection through ``Publisher``: (committed, outcomes, the statements it sent)."""
    seen: list[str] = []
    caller = Principal(role=Role.PUBLISHER, subject="t", publisher_id=publisher)
    subs = [Submission(world.sign(publisher, p)) for p in payloads]
    async with world.pool.acquire() as conn:
        assert isinstance(conn, asyncpg.pool.PoolConnectionProxy)

        def logged(record: asyncpg.connection.LoggedQuery) -> None:
            if not any(m in record.query for m in ("typeinfo_tree", "'jit'")):  # asyncpg's one-time type lookups
                seen.append(record.query)

        conn.add_query_logger(logged)
        try:
            keys = world.services.admin_keys.public()
            result = await Publisher(conn, caller, world.services.ssn_key, admin_keys=keys,
                                     set_based=set_based).run(subs, dry_run=False)
        finally:
            conn.remove_query_logger(logged)
    return result.committed, result.outcomes, seen


async def _officers(world: World, n: int) -> list[str]:
    """n officers ca-post has published about (a certification each)."""
    rows = await world.publish_ok("ca-post", *[
        cert_issued(number=f"SB-{i}", subj=subject(f"Given{i}", f"Family{i}", f"19{60 + i}-0{1 + i % 9}-1{i % 10}"))
        for i in range(n)])
    return [r["officerId"] for r in rows]


def _subject(officers: list[str], i: int, dob: dict[str, str] | None) -> dict[str, Any]:
    """The i-th event's subject: one of the officers in turn, by registry ID, every other one with its birth date."""
    oid = officers[i % len(officers)]
    subj: dict[str, Any] = {"registryId": oid}
    if dob and i % 2 and oid in dob:
        subj["dateOfBirth"] = dob[oid]
    return subj


def _records(prefix: str, officers: list[str], n: int, *, dob: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """n new records and employment over the officers: records FINAL and attested or pending, with and without an
    agency; every fifth event an employment at one of two CA agencies; some subjects with their birth date."""
    out = []
    for i in range(n):
        subj = _subject(officers, i, dob)
        if i % 5 == 3:
            job = employment_started("ca-post", source=f"{prefix}-{i}", ori=("CA0010000", "CA0190000")[i % 2],
                                     subj=subj)
            out.append({**job, "eventId": f"{prefix}-{i}", "startDate": f"2015-0{1 + i % 9}-01"})
            continue
        final = i % 3 != 1
        out.append(record_published(source=f"{prefix}-{i}", event_id=f"{prefix}-{i}", subj=subj,
                                    status="FINAL" if final else "NOTICE_PENDING", attested=final,
                                    agency="CA0190000" if i % 4 == 0 else None,
                                    narrative=f"Falsified reports in case {i}."))
    return out


async def test_a_batch_of_new_records_costs_the_same_statements_whatever_its_size(world: World) -> None:
    officers = await _officers(world, 6)
    committed, outcomes, small = await _run(world, _records("s", officers, 30), set_based=True)
    assert committed and {o.status for o in outcomes} == {"ACCEPTED"}
    committed, outcomes, large = await _run(world, _records("l", officers, 90), set_based=True)
    assert committed and [o.status for o in outcomes] == ["ACCEPTED"] * 90
    assert len(small) == len(large) <= 20, "\n".join(large)
    assert sum("INSERT INTO misconduct_records" in q for q in large) == 1
    # one at a time, the same batch costs statements per event
    committed, _, exact = await _run(world, _records("e", officers, 30), set_based=False)
    assert committed and len(exact) > 8 * 30


async def _notices(pool: asyncpg.Pool, kind: str, row_id: str, hidden: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The monitoring notices about the ``kind`` ("record", "certification") with this ID, without their generated
    IDs and the row's ``hidden`` members, each with how many webhook deliveries it queued."""
    out = []
    for r in await pool.fetch("SELECT * FROM monitoring_notices WHERE payload -> $2::text ->> 'id' = $1 ORDER BY id",
                              row_id, kind):
        data = dict(r["payload"])
        data.pop("noticeId")
        data[kind] = {k: v for k, v in data[kind].items() if k not in hidden}
        outbox = await pool.fetchval("SELECT count(*) FROM webhook_outbox WHERE webhook_id = $1", r["public_id"])
        out.append((r["owner_kind"], r["owner_id"], r["enrollment_id"], r["officer_id"], r["type"], data, outbox))
    return out


async def _facts(pool: asyncpg.Pool, prefix: str, n: int) -> list[dict[str, Any]]:
    """Everything one batch wrote about each of its records, without the generated IDs and times: the record, its
    history, its event (subject included), the officer's notification, monitoring notices and query-log entries."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        ev = await pool.fetchrow("SELECT * FROM events WHERE publisher_id = 'ca-post' AND event_id = $1",
                                 f"{prefix}-{i}")
        assert ev is not None
        payload = {k: v for k, v in ev["payload"].items() if k not in ("eventId", "sourceId", "salt", "issuedAt")}
        job = await pool.fetchrow("SELECT * FROM employment WHERE publisher_id = 'ca-post' AND source_id = $1",
                                  f"{prefix}-{i}")
        if job is not None:
            out.append({"employment": {k: v for k, v in job.items()
                                       if k not in ("id", "source_id", "created_at", "updated_at")},
                        "event": (ev["type"], ev["kid"], ev["officer_id"], ev["entity_id"] == job["id"],
                                  ev["jws"] is not None, payload)})
            continue
        rec = await pool.fetchrow("SELECT * FROM misconduct_records WHERE publisher_id = 'ca-post' AND source_id = $1",
                                  f"{prefix}-{i}")
        assert rec is not None
        history = [(h["from_status"], h["to_status"], h["fair_process_attested"], h["reason"],
                    h["event_id"] == ev["id"])
                   for h in await pool.fetch("SELECT * FROM record_status_history WHERE record_id = $1 ORDER BY id",
                                             rec["id"])]
        notes = [(r["officer_id"], r["kind"], r["message"], r["read_at"]) for r in await pool.fetch(
            "SELECT * FROM notifications WHERE record_id = $1 ORDER BY id", rec["id"])]
        notices = await _notices(pool, "record", rec["id"], ("id", "updatedAt"))
        logged = [(r["officer_id"], r["actor_role"], r["actor_subject"], r["actor_org"], r["purpose"])
                  for r in await pool.fetch("SELECT * FROM query_log WHERE returned -> 'MisconductRecord' ? $1 "
                                            "ORDER BY id", rec["id"])]
        out.append({
            "record": {k: v for k, v in rec.items() if k not in ("id", "source_id", "created_at", "updated_at")},
            "event": (ev["type"], ev["kid"], ev["officer_id"], ev["entity_id"] == rec["id"], ev["jws"] is not None,
                      payload),
            "history": history, "notifications": notes, "notices": notices, "query_log": logged,
        })
    return out


async def _alike(world: World, database_url: str, what: str, fast: list[Outcome], exact: list[Outcome],
                 a: list[Any], b: list[Any]) -> None:
    """What the set-based batch wrote (``a``) and its outcomes are those of the same events one at a time (``b``),
    and replaying the log re-derives every table."""
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x == y, f"{what} {i}:\nset-based   {x}\none by one  {y}"
    assert [(o.status, o.officer_id) for o in fast] == [(o.status, o.officer_id) for o in exact]
    async with second_database(database_url) as scratch, world.pool.acquire() as live, scratch.acquire() as conn:
        report = await replay(live, conn, admin_keys=world.services.admin_keys.public())
    assert report.ok, "\n".join(map(str, report.findings[:20]))


async def test_the_rows_are_those_the_one_at_a_time_path_writes(world: World, database_url: str) -> None:
    officers = await _officers(world, 4)
    dob = {oid: r["date_of_birth"].isoformat() for oid in officers
           if (r := await world.pool.fetchrow("SELECT date_of_birth FROM officers WHERE id = $1", oid))}
    await enroll(world, agency_token(world), officers[0])  # an enrollee is told by the monitoring hook
    n = 24
    jobs = sum(i % 5 == 3 for i in range(n))  # as _records mixes them in
    committed, fast, statements = await _run(world, _records("a", officers, n, dob=dob), set_based=True)
    assert committed and sum("INSERT INTO misconduct_records" in q for q in statements) == 1
    assert sum("INSERT INTO employment" in q for q in statements) == 1
    committed, exact, statements = await _run(world, _records("b", officers, n, dob=dob), set_based=False)
    assert committed and sum("INSERT INTO misconduct_records" in q for q in statements) == n - jobs

    a, b = await _facts(world.pool, "a", n), await _facts(world.pool, "b", n)
    assert any(f.get("notices") for f in a), "no enrollee was told: the comparison would miss the monitoring hook"
    assert sum("employment" in f for f in a) == jobs, "the batch has no employment to compare"
    # log indexes: in batch order, right after each other
    assert [o.log_index for o in fast] == list(range(fast[0].log_index or 0, (fast[0].log_index or 0) + n))
    await _alike(world, database_url, "record", fast, exact, a, b)


async def test_the_graphql_api_takes_the_set_based_path_and_repeats_are_duplicates(world: World) -> None:
    officers = await _officers(world, 2)
    batch = _records("g", officers, 10)
    first = await world.publish("ca-post", *batch)
    again = await world.publish("ca-post", *batch)
    assert first["committed"] and first["accepted"] == 10
    assert again["committed"] and again["duplicates"] == 10 and again["accepted"] == 0
    assert [r["entityId"] for r in again["results"]] == [r["entityId"] for r in first["results"]]
    assert [r["logIndex"] for r in again["results"]] == [r["logIndex"] for r in first["results"]]


def _certifications(prefix: str, officers: list[str], n: int, *, dob: dict[str, str] | None = None,
                    ) -> list[dict[str, Any]]:
    """n new certifications over the officers: peace officer and training kinds (with a refresher period and an
    expiry), ACTIVE or INACTIVE, some subjects with their birth date."""
    out = []
    for i in range(n):
        subj = _subject(officers, i, dob)
        ev = cert_issued(number=f"{prefix}-N{i}", source=f"{prefix}-{i}", event_id=f"{prefix}-{i}", subj=subj,
                         kind=("PEACE_OFFICER", "DE_ESCALATION_TRAINING", "CORRECTIONS")[i % 3],
                         status="INACTIVE" if i % 4 == 1 else "ACTIVE")
        if i % 3 == 1:
            ev["refresherMonths"] = 24
        if i % 5 == 2:
            ev["expiresOn"] = "2030-06-01"
        out.append(ev)
    return out


async def _certification_facts(pool: asyncpg.Pool, prefix: str, sources: list[str]) -> list[dict[str, Any]]:
    """Everything the events ``prefix-0``, ``prefix-1``... wrote about the certifications with these source IDs,
    without generated IDs, numbers and times: the row, its whole status history, the event (subject included) and an
    enrollee's monitoring notices."""
    out: list[dict[str, Any]] = []
    for i, src in enumerate(sources):
        ev = await pool.fetchrow("SELECT * FROM events WHERE publisher_id = 'ca-post' AND event_id = $1",
                                 f"{prefix}-{i}")
        cert = await pool.fetchrow("SELECT * FROM certifications WHERE publisher_id = 'ca-post' AND source_id = $1",
                                   src)
        assert ev is not None and cert is not None
        payload = {k: v for k, v in ev["payload"].items()
                   if k not in ("eventId", "sourceId", "certificationSourceId", "salt", "issuedAt", "number")}
        history = [tuple(h.values())[1:] for h in await pool.fetch(
            "SELECT * FROM certification_status_history WHERE certification_id = $1 ORDER BY step", cert["id"])]
        notices = await _notices(pool, "certification", cert["id"], ("id", "number", "updatedAt"))
        out.append({
            "certification": {k: v for k, v in cert.items()
                              if k not in ("id", "source_id", "number", "created_at", "updated_at")},
            "event": (ev["type"], ev["kid"], ev["officer_id"], ev["entity_id"] == cert["id"], payload),
            "history": history, "notices": notices,
        })
    return out


async def test_certifications_by_registry_id_are_written_set_based_as_one_at_a_time(world: World,
                                                                                     database_url: str) -> None:
    officers = await _officers(world, 4)
    dob = {oid: r["date_of_birth"].isoformat() for oid in officers
           if (r := await world.pool.fetchrow("SELECT date_of_birth FROM officers WHERE id = $1", oid))}
    n = 18
    committed, _, small = await _run(world, _certifications("s", officers, n), set_based=True)
    committed_large, _, large = await _run(world, _certifications("L", officers, 3 * n), set_based=True)
    assert committed and committed_large and len(large) == len(small) <= 20, "\n".join(large)
    assert sum("INSERT INTO certifications" in q for q in large) == 1

    await enroll(world, agency_token(world), officers[0])  # an enrollee is told by the monitoring hook
    committed, fast, _ = await _run(world, _certifications("c", officers, n, dob=dob), set_based=True)
    assert committed and [o.status for o in fast] == ["ACCEPTED"] * n
    committed, exact, statements = await _run(world, _certifications("d", officers, n, dob=dob), set_based=False)
    assert committed and sum("INSERT INTO certifications" in q for q in statements) == n

    a = await _certification_facts(world.pool, "c", [f"c-{i}" for i in range(n)])
    b = await _certification_facts(world.pool, "d", [f"d-{i}" for i in range(n)])
    assert any(f["notices"] for f in a), "no enrollee was told: the comparison would miss the monitoring hook"
    assert any(f["certification"]["refresher_months"] for f in a) and any(f["certification"]["expires_on"] for f in a)
    await _alike(world, database_url, "certification", fast, exact, a, b)


def _ended(source: str, *, end: str = "2020-03-31", reason: str = "RESIGNED", event_id: str | None = None,
           ) -> dict[str, Any]:
    started = employment_started("ca-post", source="unused")
    base = {k: v for k, v in started.items() if k not in ("sourceId", "subject", "agencyOri", "position", "startDate")}
    return {**base, "type": "employment.ended", "eventId": event_id or f"end-{source}", "employmentSourceId": source,
            "endDate": end, "separationReason": reason}


def _endings(prefix: str, jobs: list[str]) -> list[dict[str, Any]]:
    """Each job ended, with the separations EO 13929 names among the reasons (the ones that reveal a matter too)."""
    reasons = ("RESIGNED", "TERMINATED", "RETIRED", "RESIGNED_UNDER_INVESTIGATION", "RETIRED_UNDER_INVESTIGATION")
    return [_ended(job, end=f"2020-0{1 + i % 9}-15", reason=reasons[i % len(reasons)], event_id=f"{prefix}-{i}")
            for i, job in enumerate(jobs)]


async def _jobs(world: World, prefix: str, officers: list[str], n: int) -> list[str]:
    """n employment rows of ca-post's at CA agencies over the officers; their source IDs."""
    sources = [f"{prefix}-job-{i}" for i in range(n)]
    await world.publish_ok("ca-post", *[employment_started("ca-post", source=src, ori=("CA0010000", "CA0190000")[i % 2],
                                                           subj={"registryId": officers[i % len(officers)]})
                                        for i, src in enumerate(sources)])
    return sources


async def test_separations_are_written_set_based_as_one_at_a_time(world: World, database_url: str) -> None:
    officers = await _officers(world, 4)
    n = 16  # both batches checked before the log lock (verifying_threads.MIN_ITEMS)
    small_jobs, large_jobs = await _jobs(world, "s", officers, n), await _jobs(world, "L", officers, 3 * n)
    committed, _, small = await _run(world, _endings("s", small_jobs), set_based=True)
    committed_large, _, large = await _run(world, _endings("L", large_jobs), set_based=True)
    assert committed and committed_large and len(large) == len(small) <= 20, "\n".join(large)
    assert sum(q.lstrip().startswith("UPDATE employment") for q in large) == 1

    a_jobs, b_jobs = await _jobs(world, "a", officers, n), await _jobs(world, "b", officers, n)
    mixed = [*_endings("a", a_jobs), *_records("ar", officers, 5)]  # separations and new records in one batch
    committed, fast, _ = await _run(world, mixed, set_based=True)
    assert committed and [o.status for o in fast] == ["ACCEPTED"] * len(mixed)
    committed, exact, statements = await _run(world, [*_endings("b", b_jobs), *_records("br", officers, 5)],
                                              set_based=False)
    assert committed and sum(q.lstrip().startswith("UPDATE employment") for q in statements) == n

    async def facts(prefix: str, jobs: list[str]) -> list[tuple[Any, ...]]:
        out = []
        for i, src in enumerate(jobs):
            job = await world.pool.fetchrow(
                "SELECT * FROM employment WHERE publisher_id = 'ca-post' AND source_id = $1", src)
            ev = await world.pool.fetchrow("SELECT * FROM events WHERE publisher_id = 'ca-post' AND event_id = $1",
                                           f"{prefix}-{i}")
            assert job is not None and ev is not None
            out.append((job["officer_id"], job["agency_ori"], job["start_date"], job["end_date"],
                        job["separation_reason"], ev["type"], ev["officer_id"], ev["entity_id"] == job["id"]))
        return out

    a, b = await facts("a", a_jobs), await facts("b", b_jobs)
    assert all(f[3] is not None for f in a) and {f[4] for f in a} >= {"TERMINATED", "RESIGNED_UNDER_INVESTIGATION"}
    assert [o.entity_id for o in fast[:n]] == [await world.pool.fetchval(
        "SELECT id FROM employment WHERE publisher_id = 'ca-post' AND source_id = $1", src) for src in a_jobs]
    await _alike(world, database_url, "separation", fast, exact, a, b)


def _status_changes(prefix: str, sources: list[str]) -> list[dict[str, Any]]:
    """A new status for each certification (made by ``_certifications``): lapses, surrenders, renewals with a new
    expiry, and refreshers of the training kinds, some with a reason."""
    out = []
    for i, src in enumerate(sources):
        if i % 3 == 1:  # a DE_ESCALATION_TRAINING credential: a refresher completed
            ev = {**cert_status_changed(src, "ACTIVE"), "refreshedOn": f"2019-0{1 + i % 9}-20"}
        else:
            ev = cert_status_changed(src, ("INACTIVE", "EXPIRED", "SURRENDERED", "ACTIVE")[i % 4],
                                     reason=f"board action {i}" if i % 2 else None)
            if i % 4 == 3:
                ev["expiresOn"] = "2031-01-31"
        out.append({**ev, "eventId": f"{prefix}-{i}"})
    return out


async def test_certification_status_changes_are_written_set_based_as_one_at_a_time(world: World,
                                                                                    database_url: str) -> None:
    officers = await _officers(world, 4)
    n = 16

    async def issued(prefix: str, count: int) -> list[str]:
        await world.publish_ok("ca-post", *_certifications(prefix, officers, count))
        return [f"{prefix}-{i}" for i in range(count)]

    small, large = await issued("cs", n), await issued("cl", 3 * n)
    committed, _, few = await _run(world, _status_changes("s", small), set_based=True)
    committed_large, _, many = await _run(world, _status_changes("l", large), set_based=True)
    assert committed and committed_large and len(many) == len(few) <= 20, "\n".join(many)
    assert sum(q.lstrip().startswith("UPDATE certifications") for q in many) == 1

    await enroll(world, agency_token(world), officers[0])  # an enrollee is told by the monitoring hook
    a, b = await issued("ca", n), await issued("cb", n)
    committed, fast, _ = await _run(world, [*_status_changes("a", a), *_records("ar", officers, 4)], set_based=True)
    assert committed and [o.status for o in fast] == ["ACCEPTED"] * (n + 4)
    committed, exact, statements = await _run(world, [*_status_changes("b", b), *_records("br", officers, 4)],
                                              set_based=False)
    assert committed and sum(q.lstrip().startswith("UPDATE certifications") for q in statements) == n

    x, y = await _certification_facts(world.pool, "a", a), await _certification_facts(world.pool, "b", b)
    assert any(len(f["history"]) == 2 for f in x) and any(f["notices"] for f in x)
    assert any(f["certification"]["status_reason"] for f in x) and any(f["history"][-1][3] != f["history"][0][3]
                                                                        for f in x), "no refresher moved a date"
    await _alike(world, database_url, "certification", fast, exact, x, y)


Case = Callable[[World, list[str]], Awaitable[tuple[str, list[dict[str, Any]]]]]


async def _existing_source(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    await world.publish_ok("ca-post", record_published(source="taken", subj={"registryId": officers[0]}))
    return "ca-post", [*_records("x", officers, 3), record_published(source="taken", subj={"registryId": officers[1]})]


async def _unknown_officer(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    unknown = record_published(source="y", subj={"registryId": "OFC-NOSUCH00000"})
    return "ca-post", [*_records("x", officers, 3), unknown]


async def _birth_date_contradicts(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    return "ca-post", [record_published(source="y", subj={"registryId": officers[0], "dateOfBirth": "2001-01-01"})]


async def _cannot_start_there(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    overturned = record_published(source="y", subj={"registryId": officers[0]}, status="OVERTURNED")
    return "ca-post", [*_records("x", officers, 2), overturned]


async def _unknown_agency(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    return "ca-post", [record_published(source="y", subj={"registryId": officers[0]}, agency="CA9999999")]


async def _another_state(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    return "ca-post", [record_published(source="y", subj={"registryId": officers[0]}, state="TX")]


async def _existing_employment(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    await world.publish_ok("ca-post", employment_started("ca-post", source="job", subj={"registryId": officers[0]}))
    return "ca-post", [*_records("x", officers, 5), employment_started("ca-post", source="job",
                                                                        subj={"registryId": officers[1]})]


async def _employment_in_another_state(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    return "ca-post", [*_records("x", officers, 5), employment_started("ca-post", source="job", ori="TX2270000",
                                                                        subj={"registryId": officers[1]})]


async def _employment_at_an_unknown_agency(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    return "ca-post", [employment_started("ca-post", source="job", ori="CA9999999", subj={"registryId": officers[1]})]


async def _outside_and_out_of_budget(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """tx-tcole has never published about these officers, and has used its day's identity refusals: naming one
    is refused one at a time (subjects.IdentityTrace), so it must be refused set-based too."""
    await querylog.append_many(world.pool, [(officers[0], "publisher", "t", "tx-tcole", "CERTIFICATION_ACTION",
                                             {"IdentityRefused": [officers[0]]})] * 20)
    return "tx-tcole", [record_published("tx-tcole", source="y", state="TX", subj={"registryId": officers[1]})]


async def _fails_while_writing(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """A row the database refuses after every check passed (here a constraint this test adds): the set-based write
    fails, is rolled back, and the batch is applied one at a time, which names the event."""
    await world.pool.execute("ALTER TABLE misconduct_records ADD CONSTRAINT test_poison CHECK (narrative <> 'poison')")
    poison = record_published(source="y", subj={"registryId": officers[0]}, narrative="poison")
    return "ca-post", [*_records("x", officers, 3), poison]


async def _certification_source_taken(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    await world.publish_ok("ca-post", cert_issued(number="T-1", source="taken-cert", subj={"registryId": officers[0]}))
    return "ca-post", [*_certifications("x", officers, 3),
                       cert_issued(number="T-2", source="taken-cert", subj={"registryId": officers[1]})]


async def _certification_number_taken(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """Held by another officer: nothing the plan reads, so the write fails and the batch goes one at a time."""
    await world.publish_ok("ca-post", cert_issued(number="HELD-1", source="held", subj={"registryId": officers[0]}))
    return "ca-post", [*_certifications("x", officers, 3),
                       cert_issued(number="HELD-1", source="y", subj={"registryId": officers[1]})]


async def _certification_revoked_without_a_record(world: World, officers: list[str]
                                                  ) -> tuple[str, list[dict[str, Any]]]:
    return "ca-post", [*_certifications("x", officers, 3),
                       cert_issued(number="R-1", source="y", status="REVOKED", subj={"registryId": officers[1]})]


async def _certification_in_another_state(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    return "ca-post", [*_certifications("x", officers, 3),
                       cert_issued(number="S-1", source="y", state="TX", subj={"registryId": officers[1]})]


async def _certification_expires_before_it_is_issued(world: World, officers: list[str]
                                                     ) -> tuple[str, list[dict[str, Any]]]:
    early = {**cert_issued(number="E-1", source="y", subj={"registryId": officers[1]}), "expiresOn": "2001-01-01"}
    return "ca-post", [*_certifications("x", officers, 3), early]


async def _certification_twice_in_the_batch(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    return "ca-post", [cert_issued(number="D-1", source="y1", subj={"registryId": officers[0]}),
                       cert_issued(number="D-1", source="y2", subj={"registryId": officers[1]})]


async def _separation_of_an_unknown_job(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    jobs = await _jobs(world, "u", officers, 3)
    return "ca-post", [*_endings("x", jobs), _ended("no-such-job", event_id="x-9")]


async def _separation_twice(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    jobs = await _jobs(world, "t", officers, 3)
    return "ca-post", [*_endings("x", jobs), _ended(jobs[0], event_id="x-9")]


async def _separation_of_an_ended_job(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    jobs = await _jobs(world, "e", officers, 3)
    await world.publish_ok("ca-post", _ended(jobs[0]))
    return "ca-post", [*_endings("x", jobs[1:]), _ended(jobs[0], event_id="x-9")]


async def _separation_before_the_start(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    jobs = await _jobs(world, "b", officers, 3)
    return "ca-post", [*_endings("x", jobs[1:]), _ended(jobs[0], end="2001-01-01", event_id="x-9")]


async def _separation_of_another_publishers_job(world: World, officers: list[str]
                                                ) -> tuple[str, list[dict[str, Any]]]:
    await world.publish_ok("sunnyvale-dps", employment_started(source="theirs", subj={"registryId": officers[0]}))
    jobs = await _jobs(world, "o", officers, 2)
    return "ca-post", [*_endings("x", jobs), _ended("theirs", event_id="x-9")]


async def _status_of_an_unknown_certification(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    await world.publish_ok("ca-post", *_certifications("u", officers, 2))
    return "ca-post", [*_status_changes("x", ["u-0", "u-1"]), cert_status_changed("no-such-cert", "INACTIVE")]


async def _suspension_without_a_record(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    await world.publish_ok("ca-post", *_certifications("v", officers, 2))
    return "ca-post", [*_status_changes("x", ["v-0"]), cert_status_changed("v-1", "SUSPENDED")]


async def _status_changed_twice(world: World, officers: list[str]) -> tuple[str, list[dict[str, Any]]]:
    """Allowed one at a time (a lapse, then a renewal) but not set-based; a third event is refused, so the verdicts
    of the whole batch are compared."""
    await world.publish_ok("ca-post", *_certifications("w", officers, 2))
    return "ca-post", [cert_status_changed("w-0", "INACTIVE"), cert_status_changed("w-0", "ACTIVE"),
                       cert_status_changed("nope", "ACTIVE")]


async def _refresher_of_a_peace_officer_certificate(world: World, officers: list[str]
                                                    ) -> tuple[str, list[dict[str, Any]]]:
    await world.publish_ok("ca-post", *_certifications("r", officers, 1))  # r-0: PEACE_OFFICER
    return "ca-post", [{**cert_status_changed("r-0", "ACTIVE"), "refreshedOn": "2019-01-01"}]


@pytest.mark.parametrize("case", [_existing_source, _unknown_officer, _birth_date_contradicts, _cannot_start_there,
                                  _unknown_agency, _another_state, _outside_and_out_of_budget, _fails_while_writing,
                                  _existing_employment, _employment_in_another_state, _employment_at_an_unknown_agency,
                                  _certification_source_taken, _certification_number_taken,
                                  _certification_revoked_without_a_record, _certification_in_another_state,
                                  _certification_expires_before_it_is_issued, _certification_twice_in_the_batch,
                                  _separation_of_an_unknown_job, _separation_twice, _separation_of_an_ended_job,
                                  _separation_before_the_start, _separation_of_another_publishers_job,
                                  _status_of_an_unknown_certification, _suspension_without_a_record,
                                  _status_changed_twice, _refresher_of_a_peace_officer_certificate])
async def test_a_refused_batch_gets_the_verdicts_of_the_one_at_a_time_path(world: World, case: Case) -> None:
    officers = await _officers(world, 3)
    publisher, batch = await case(world, officers)
    size = await world.pool.fetchval("SELECT size FROM log_state")
    try:
        committed, fast, _ = await _run(world, batch, set_based=True, publisher=publisher)
        committed_exact, exact, _ = await _run(world, batch, set_based=False, publisher=publisher)
    finally:
        await world.pool.execute("ALTER TABLE misconduct_records DROP CONSTRAINT IF EXISTS test_poison")
    assert not committed and not committed_exact
    verdicts = [(o.status, o.code, o.message, o.officer_id) for o in fast]
    assert verdicts == [(o.status, o.code, o.message, o.officer_id) for o in exact]
    assert any(status == "REJECTED" for status, *_ in verdicts)
    assert await world.pool.fetchval("SELECT size FROM log_state") == size


async def test_batches_the_set_based_path_does_not_take_are_applied_one_at_a_time(world: World) -> None:
    officers = await _officers(world, 2)
    # a record and its change in one batch; a subject named by name; an event sent twice
    mixed = [record_published(source="m-1", subj={"registryId": officers[0]}),
             status_changed(source="m-1", status="HEARING_PENDING")]
    committed, outcomes, statements = await _run(world, mixed, set_based=True)
    assert committed and [o.status for o in outcomes] == ["ACCEPTED", "ACCEPTED"]
    assert sum("INSERT INTO misconduct_records" in q for q in statements) == 1
    named = [record_published(source="m-2", subj=subject("Given0", "Family0", "1960-01-10"))]
    committed, outcomes, _ = await _run(world, named, set_based=True)
    assert committed and outcomes[0].status == "ACCEPTED"
    started_and_ended = [employment_started("ca-post", source="m-job", subj={"registryId": officers[0]}),
                         _ended("m-job")]
    committed, outcomes, statements = await _run(world, started_and_ended, set_based=True)
    assert committed and [o.status for o in outcomes] == ["ACCEPTED", "ACCEPTED"]
    assert sum("INSERT INTO employment" in q for q in statements) == 1
    issued_and_changed = [*_certifications("m", officers, 1), cert_status_changed("m-0", "INACTIVE")]
    committed, outcomes, statements = await _run(world, issued_and_changed, set_based=True)
    assert committed and [o.status for o in outcomes] == ["ACCEPTED", "ACCEPTED"]
    assert sum("INSERT INTO certifications" in q for q in statements) == 1
    twice = _records("t", officers, 1) * 2
    committed, outcomes, _ = await _run(world, twice, set_based=True)
    assert committed and [o.status for o in outcomes] == ["ACCEPTED", "DUPLICATE"]


def _mixed(prefix: str, officers: list[str], n: int, dob: dict[str, str]) -> list[dict[str, Any]]:
    """``_records`` with an event the set-based path does not take after every seventh: a record naming its officer
    by name and birth date (matched by identity, one at a time)."""
    out = []
    for i, event in enumerate(_records(prefix, officers, n, dob=dob)):
        out.append(event)
        if i % 7 == 6:
            out.append(record_published(source=f"{prefix}-named-{i}", event_id=f"{prefix}-named-{i}",
                                        subj=subject("Given0", "Family0", "1960-01-10"), status="FINAL",
                                        attested=True))
    return out


async def test_a_mixed_batch_is_written_set_based_run_by_run(world: World, database_url: str) -> None:
    """Runs of events the set-based path takes, between events it does not, are each written set-based, planned
    against what the batch wrote before them; the rows, outcomes and log order are those of one at a time."""
    officers = await _officers(world, 4)
    dob = {oid: r["date_of_birth"].isoformat() for oid in officers
           if (r := await world.pool.fetchrow("SELECT date_of_birth FROM officers WHERE id = $1", oid))}
    await enroll(world, agency_token(world), officers[0])
    n = 24  # runs of 7, 7, 7 and 3 (too short to plan: one at a time), 3 named records between them
    committed, fast, statements = await _run(world, _mixed("a", officers, n, dob), set_based=True)
    assert committed and {o.status for o in fast} == {"ACCEPTED"} and len(fast) == n + 3
    # three runs set-based (one insert each), the three named records and the last three one at a time
    assert sum("INSERT INTO misconduct_records" in q for q in statements) == 3 + 3 + 2
    committed, exact, statements = await _run(world, _mixed("b", officers, n, dob), set_based=False)
    assert committed and sum("INSERT INTO misconduct_records" in q for q in statements) == n + 3 - 5
    assert [o.officer_id for o in fast if (o.event_id or "").startswith("a-named")] == [officers[0]] * 3
    assert [o.log_index for o in fast] == list(range(fast[0].log_index or 0, (fast[0].log_index or 0) + n + 3))
    a, b = await _facts(world.pool, "a", n), await _facts(world.pool, "b", n)
    assert any(f.get("notices") for f in a)
    await _alike(world, database_url, "record", fast, exact, a, b)


async def test_a_repeat_in_a_later_run_is_a_duplicate(world: World) -> None:
    """An event a set-based run stored, sent again later in the batch, is a DUPLICATE of it, as one at a time."""
    officers = await _officers(world, 2)
    first = _records("r", officers, 5)
    named = record_published(source="r-named", subj=subject("Given0", "Family0", "1960-01-10"))
    batch = [*first, named, first[0], *_records("s", officers, 4)]
    committed, outcomes, statements = await _run(world, batch, set_based=True)
    assert committed
    assert [o.status for o in outcomes] == ["ACCEPTED"] * 6 + ["DUPLICATE"] + ["ACCEPTED"] * 4
    assert outcomes[6].entity_id == outcomes[0].entity_id and outcomes[6].log_index == outcomes[0].log_index
    # the first run set-based (four records), the named record; the second run holds the repeat, so it goes one at
    # a time (three records and an employment)
    assert sum("INSERT INTO misconduct_records" in q for q in statements) == 1 + 1 + 3


async def test_a_run_is_written_up_to_the_event_that_depends_on_it_and_planned_again_after(
        world: World, database_url: str) -> None:
    """A separation of a job started earlier in the same run cannot be planned against what was stored before the
    run: the run is written set-based up to it, the separation applied one at a time (it finds the job), and the
    rest of the run planned and written set-based again; rows and outcomes are those of one at a time."""
    officers = await _officers(world, 3)

    def batch(prefix: str) -> list[dict[str, Any]]:
        events = _records(prefix, officers, 12)  # employment at 3 and 8
        return [*events[:6], _ended(f"{prefix}-3", event_id=f"{prefix}-end"), *events[6:]]

    committed, fast, statements = await _run(world, batch("p"), set_based=True)
    assert committed and [o.status for o in fast] == ["ACCEPTED"] * 13
    assert sum("INSERT INTO misconduct_records" in q for q in statements) == 2
    assert sum("INSERT INTO employment" in q for q in statements) == 2
    assert sum("UPDATE employment SET end_date" in q for q in statements) == 1  # the separation, one at a time
    committed, exact, _ = await _run(world, batch("q"), set_based=False)
    assert committed
    assert [o.log_index for o in fast] == list(range(fast[0].log_index or 0, (fast[0].log_index or 0) + 13))
    a, b = await _facts(world.pool, "p", 12), await _facts(world.pool, "q", 12)
    assert a[3]["employment"]["end_date"] is not None
    await _alike(world, database_url, "event", fast, exact, a, b)


async def test_a_certification_changed_twice_in_a_run_is_changed_once_set_based(world: World) -> None:
    """A lapse and a renewal of one certification in one batch: the lapse is written with the changes before it,
    the renewal applied one at a time after it (its step follows the lapse's), the rest planned again; no write
    fails on the way (a failed write would send the whole batch through savepoints)."""
    officers = await _officers(world, 3)
    await world.publish_ok("ca-post", *_certifications("tw", officers, 6))
    changes = [cert_status_changed("tw-0", "INACTIVE"), cert_status_changed("tw-0", "ACTIVE"),
               *[cert_status_changed(f"tw-{i}", "INACTIVE") for i in range(1, 6)]]
    committed, outcomes, statements = await _run(world, changes, set_based=True)
    assert committed and [o.status for o in outcomes] == ["ACCEPTED"] * 7
    assert not any("SAVEPOINT" in q for q in statements)
    assert sum("FROM unnest" in q and "UPDATE certifications" in q for q in statements) == 2
    history = await world.pool.fetch(
        "SELECT h.step, h.status::text AS status FROM certification_status_history h JOIN certifications c "
        "ON c.id = h.certification_id WHERE c.source_id = 'tw-0' ORDER BY h.step")
    assert [r["status"] for r in history] == ["ACTIVE", "INACTIVE", "ACTIVE"]


async def test_signatures_checked_ahead_on_threads_give_the_verdicts_of_one_at_a_time(world: World) -> None:
    """A batch large enough to have its signatures checked ahead (header and key here, the signatures alone on two
    threads, the payloads here again), with one bad event: whatever is wrong with it (its signature, key, header,
    payload bytes, salt, publisher or time), it is refused with the code and message it gets when sent alone (a batch
    of one is verified one step after another, never ahead), and the intact events are not applied (a batch with only
    that event wrong would otherwise commit)."""
    import json
    from datetime import UTC, datetime, timedelta

    from joserfc import jws

    from ledger.events import canonical_bytes, generate_ed25519_jwk, sign_event

    officers = await _officers(world, 3)
    caller = Principal(role=Role.PUBLISHER, subject="t", publisher_id="ca-post")
    key, kid = world.keys["ca-post"]
    header = {"alg": "Ed25519", "kid": kid, "typ": "registry-event+jws"}

    def forged(jws_: str) -> str:
        head, payload, sig = jws_.split(".")
        return f"{head}.{payload}.{sig[:10]}{'A' if sig[10] != 'A' else 'B'}{sig[11:]}"

    def raw(payload: bytes, head: dict[str, str] = header) -> str:
        return jws.serialize_compact(head, payload, key, algorithms=["Ed25519"])

    def one(prefix: str, **changes: Any) -> dict[str, Any]:
        return {**_records(prefix, officers, 1)[0], **changes}

    later = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    bad: dict[str, Callable[[], str]] = {
        "BAD_SIGNATURE": lambda: forged(world.sign("ca-post", one("f"))),
        "UNKNOWN_KEY": lambda: sign_event(one("u"), generate_ed25519_jwk("nobody-1"), "nobody-1"),
        "FORBIDDEN": lambda: world.sign("tx-tcole", record_published("tx-tcole", source="t-1", state="TX",
                                                                     subj={"registryId": officers[0]})),
        "NON_CANONICAL": lambda: raw(json.dumps(one("n", salt="c2FsdHNhbHRzYWx0c2FsdA"), indent=1).encode()),
        "MISSING_SALT": lambda: raw(canonical_bytes(one("s"))),
        "WRONG_TYPE": lambda: raw(canonical_bytes(one("w", salt="c2FsdHNhbHRzYWx0c2FsdA")), {**header, "typ": "JWT"}),
        "BAD_USER_INPUT": lambda: world.sign("ca-post", one("l", issuedAt=later)),
    }

    async def verdicts(signed: list[str], set_based: bool = True) -> tuple[bool, list[tuple[str, Any, Any]]]:
        async with world.pool.acquire() as conn:
            result = await Publisher(conn, caller, world.services.ssn_key,
                                     admin_keys=world.services.admin_keys.public(), set_based=set_based,
                                     ).run([Submission(j) for j in signed], dry_run=False)
        return result.committed, [(o.status, o.code, o.message) for o in result.outcomes]

    for n, (code, make) in enumerate(bad.items()):
        wrong = make()
        alone_committed, [alone] = await verdicts([wrong])
        assert not alone_committed and alone[:2] == ("REJECTED", code), (code, alone)
        signed = [world.sign("ca-post", p) for p in _records(f"v{n}", officers, 24)]
        signed[7 + n] = wrong
        for set_based in (True, False):
            committed, batch = await verdicts(signed, set_based)
            assert not committed, code
            assert [(i, v) for i, v in enumerate(batch) if v[0] == "REJECTED"] == [(7 + n, alone)], code


async def _run_jws(world: World, jws: list[str], *, set_based: bool) -> tuple[bool, list[Outcome]]:
    caller = Principal(role=Role.PUBLISHER, subject="t", publisher_id="ca-post")
    async with world.pool.acquire() as conn:
        result = await Publisher(conn, caller, world.services.ssn_key, admin_keys=world.services.admin_keys.public(),
                                 set_based=set_based).run([Submission(j) for j in jws], dry_run=False)
    return result.committed, result.outcomes


def _named_at(prefix: str, batch: list[dict[str, Any]], places: list[int]) -> list[dict[str, Any]]:
    """``batch`` with a record naming its officer by name (one at a time) put at each of ``places``."""
    out = list(batch)
    for at in places:
        out.insert(at, record_published(source=f"{prefix}-named-{at}", event_id=f"{prefix}-named-{at}",
                                        subj=subject("Given0", "Family0", "1960-01-10"), status="FINAL",
                                        attested=True))
    return out


async def test_a_long_batch_stopped_twice_is_written_as_one_at_a_time(world: World, database_url: str) -> None:
    """A batch of 302 events (its signatures checked on the verifying threads before it is read) with two records
    naming their officer by name, at 64 and 191, where the plans stop: the rows, outcomes and log order are those
    of the same events one at a time."""
    officers = await _officers(world, 4)
    dob = {oid: r["date_of_birth"].isoformat() for oid in officers
           if (r := await world.pool.fetchrow("SELECT date_of_birth FROM officers WHERE id = $1", oid))}
    await enroll(world, agency_token(world), officers[0])
    n = 300
    committed, fast, statements = await _run(world, _named_at("a", _records("a", officers, n, dob=dob), [64, 191]),
                                             set_based=True)
    assert committed and {o.status for o in fast} == {"ACCEPTED"} and len(fast) == n + 2
    # [0, 64), [65, 191) and [192, 302) set-based, one insert each; the two named records one at a time
    assert sum("INSERT INTO misconduct_records" in q for q in statements) == 3 + 2
    committed, exact, _ = await _run(world, _named_at("b", _records("b", officers, n, dob=dob), [64, 191]),
                                     set_based=False)
    assert committed
    assert [o.officer_id for o in fast if (o.event_id or "").startswith("a-named")] == [officers[0]] * 2
    assert [o.log_index for o in fast] == list(range(fast[0].log_index or 0, (fast[0].log_index or 0) + n + 2))
    a, b = await _facts(world.pool, "a", n), await _facts(world.pool, "b", n)
    await _alike(world, database_url, "record", fast, exact, a, b)


@pytest.mark.parametrize("bad", [[0], [63, 64], [150], [100, 250, 299]])
async def test_a_forged_signature_anywhere_in_a_long_batch_gets_the_verdicts_of_the_one_at_a_time_path(
        world: World, bad: list[int]) -> None:
    """A signature that does not verify, wherever it is in a batch checked on the verifying threads, refuses the
    batch with the verdicts of one at a time, and nothing is logged."""
    officers = await _officers(world, 3)
    size = await world.pool.fetchval("SELECT size FROM log_state")
    verdicts = []
    for prefix, set_based in (("f", True), ("g", False)):
        jws = [world.sign("ca-post", p) for p in _records(prefix, officers, 300)]
        for i in bad:  # one bit of the signature's first byte flipped: still canonical base64url
            head, _, sig = jws[i].rpartition(".")
            jws[i] = f"{head}.{'B' if sig[0] == 'A' else 'A'}{sig[1:]}"
        committed, outcomes = await _run_jws(world, jws, set_based=set_based)
        assert not committed
        verdicts.append([(o.status, o.code, o.officer_id) for o in outcomes])
    assert verdicts[0] == verdicts[1]
    assert [i for i, v in enumerate(verdicts[0]) if v[0] == "REJECTED"] == bad
    assert {v[1] for v in verdicts[0] if v[0] == "REJECTED"} == {"BAD_SIGNATURE"}
    assert await world.pool.fetchval("SELECT size FROM log_state") == size
