"""How many SQL statements a publish batch costs (issue 13: round trips, not CPU, bound publishing). Counted, not
timed: the batch's log append, idempotency and agency reads are per batch, not per event, and a repeat of an
event within the batch is still a DUPLICATE."""

from __future__ import annotations

from datetime import date

import asyncpg

from auth.principal import Principal, Role
from publishing.apply import Publisher, Submission
from store.models import NameRow
from tests.support import World, cert_issued, employment_started, record_published, subject

# asyncpg's own, the first time a connection meets a type (the count would depend on which test ran first)
_INTROSPECTION = ("typeinfo_tree", "set_config('jit'")


async def _publish_counted(world: World, publisher_id: str, payloads: list[dict[str, object]],
                           *, repeat_first: bool = False, ssns: list[str] | None = None,
                           ) -> tuple[list[str], list[str]]:
    """Publish one batch on one connection; returns the outcomes' statuses and the statements it ran."""
    seen: list[str] = []
    caller = Principal(role=Role.PUBLISHER, subject="t", publisher_id=publisher_id)
    subs = [Submission(world.sign(publisher_id, p), ssns[i] if ssns else None) for i, p in enumerate(payloads)]
    if repeat_first:
        subs.append(subs[0])
    async with world.pool.acquire() as conn:
        assert isinstance(conn, asyncpg.pool.PoolConnectionProxy)
        def logged(record: asyncpg.connection.LoggedQuery) -> None:
            if not any(mark in record.query for mark in _INTROSPECTION):
                seen.append(record.query)

        conn.add_query_logger(logged)
        try:
            result = await Publisher(conn, caller, world.services.ssn_key,
                                             admin_keys=world.services.admin_keys.public()).run(subs, dry_run=False)
        finally:
            conn.remove_query_logger(logged)
    return [o.status for o in result.outcomes], seen


async def test_a_batch_reads_the_log_idempotency_and_agencies_once(world: World) -> None:
    [row] = await world.publish_ok("ca-post", cert_issued(number="S-1", subj=subject("Ada", "Byrne", "1980-02-03")))
    ref = {"registryId": row["officerId"]}
    jobs = [employment_started(source=f"emp-{i}", subj=ref) for i in range(20)]
    statuses, seen = await _publish_counted(world, "sunnyvale-dps", jobs, repeat_first=True)
    assert statuses == ["ACCEPTED"] * 20 + ["DUPLICATE"]

    def count(fragment: str) -> int:
        return sum(fragment in q for q in seen)

    assert count("FROM log_state WHERE id FOR UPDATE") == 1
    assert count("INSERT INTO log_nodes") == 1 and count("UPDATE log_state SET size") == 1
    assert count("FROM agencies WHERE") == 1
    # one read for the batch, and one for the repeat (which the first of the pair may have stored)
    assert count("FROM events WHERE (publisher_id, event_id) IN") == 1
    assert count("FROM events WHERE publisher_id = $1 AND event_id = $2") == 1
    # per event today: the officer (read once for the jurisdiction and the identity check) and its merge target,
    # the employment by source, the employment and event inserts (5); 6 when the officer was read twice, 7 when the
    # subject was set by an update after, 9 with a savepoint per event, 13 before the batch reads
    # once per event, and once by the set-based plan of the run, which stops at its first event (outside)
    assert count("SELECT req.id AS requested") == 20 + 1
    per_event = len(seen) / 21
    assert per_event <= 5.5, f"{per_event:.1f} statements per event:\n" + "\n".join(seen)
    assert count("UPDATE events SET officer_id") == 0
    assert count("SAVEPOINT") == 0  # none needed: no event failed


async def test_a_batch_with_a_rejected_event_leaves_the_log_as_it_was(world: World) -> None:
    [row] = await world.publish_ok("ca-post", cert_issued(number="S-1", subj=subject("Ada", "Byrne", "1980-02-03")))
    before = await world.pool.fetchval("SELECT size FROM log_state")
    nodes = await world.pool.fetchval("SELECT count(*) FROM log_nodes")
    ref = {"registryId": row["officerId"]}
    good = record_published(source="r-1", subj=ref)
    bad = record_published(source="r-2", subj=ref, status="OVERTURNED")  # a new record cannot start there
    statuses, _ = await _publish_counted(world, "ca-post", [good, bad, record_published(source="r-3", subj=ref)])
    assert statuses == ["NOT_APPLIED", "REJECTED", "NOT_APPLIED"]
    assert await world.pool.fetchval("SELECT size FROM log_state") == before
    assert await world.pool.fetchval("SELECT count(*) FROM log_nodes") == nodes
    # and the next batch appends right after what was there
    statuses, _ = await _publish_counted(world, "ca-post", [good])
    assert statuses == ["ACCEPTED"]
    assert await world.pool.fetchval("SELECT size FROM log_state") == before + 1
    assert await world.pool.fetchval("SELECT log_index FROM events ORDER BY log_index DESC LIMIT 1") == before


async def test_a_new_person_named_by_a_certification_is_not_read_back(world: World) -> None:
    """An officer registered by the event itself has nothing on file to read back or compare with: its names,
    birth date and SSN are the event's, and a match that found no candidate without a conflict reads no officer."""
    given = ["Ada", "Brandon", "Celia", "Dmitri", "Esther", "Farid", "Gwen", "Hiroshi", "Ines", "Jonas"]
    jobs = [cert_issued(number=f"N-{i}", source=f"n-{i}",
                        subj=subject(g, f"Quintero{i}", f"19{70 + i}-0{1 + i % 9}-1{i}"))
            for i, g in enumerate(given)]
    statuses, seen = await _publish_counted(world, "ca-post", jobs, ssns=[f"219-45-{6780 + i}" for i in range(10)])
    assert statuses == ["ACCEPTED"] * len(jobs)

    def count(fragment: str) -> int:
        return sum(fragment in q for q in seen)

    assert count("SELECT req.id AS requested") == 0  # no officer read back (by_ids)
    assert count("SELECT ssn_blind_index FROM officers WHERE id") == 0
    assert count("UPDATE officers SET ssn_blind_index") == 0
    assert count("INSERT INTO officers") == len(jobs)
    assert count("FROM monitoring_enrollments") == 0  # nobody can have enrolled an officer registered just now
    assert count("FROM officer_names n") <= len(jobs)  # the candidates' names, in the one matching read per event
    rows = await world.pool.fetch("SELECT o.id, o.ssn_blind_index IS NOT NULL AS ssn, count(n.*) AS names"
                                  " FROM officers o JOIN officer_names n ON n.officer_id = o.id GROUP BY o.id")
    assert len(rows) == len(jobs) and all(r["ssn"] and r["names"] == 1 for r in rows)


async def test_a_run_by_registry_id_costs_the_same_statements_at_any_size(world: World) -> None:
    """Set-based: the officers of a run are read once, with only what the checks need (``officers.standings``).
    Both sizes have their signatures checked before the log lock (at least verifying_threads.MIN_ITEMS events),
    which reads the key once more under the lock (publishing.apply._still_hold)."""
    rows = [(await world.publish_ok("ca-post", cert_issued(number=f"R-{i}", source=f"rc-{i}",
                                                           subj=subject("Ada", f"Byrne{i}x", "1980-02-03"))))[0]
            for i in range(3)]
    counts = []
    for size, prefix in ((16, "a"), (40, "b")):
        recs = [record_published(source=f"{prefix}-{i}", subj={"registryId": rows[i % 3]["officerId"]})
                for i in range(size)]
        statuses, seen = await _publish_counted(world, "ca-post", recs)
        assert statuses == ["ACCEPTED"] * size
        assert sum("SELECT req.id AS requested" in q for q in seen) == 1
        counts.append(len(seen))
    assert counts[0] == counts[1]


async def test_a_new_person_is_registered_with_names_and_keys_in_one_statement_as_the_update_path_would(
        world: World) -> None:
    """``officers.register`` writes what the officer, ``add_name`` and ``matching.rekey`` wrote in three round trips:
    the same name rows, and keys that re-deriving from every name on file leaves unchanged."""
    from identity import matching
    from identity.phonetic import BLOCKING_SCHEME_VERSION

    subj = subject("Maria", "Garcia-Lopez", "1979-11-30", name_extra={"middleName": "Elena", "suffix": "Jr"},
                   aliases=[{"givenName": "Elena", "familyName": "Whitfield"}],
                   formerNames=[{"givenName": "Maria", "familyName": "Okonkwo"},
                                {"givenName": "Maria", "familyName": "Okonkwo"}])  # the same one twice
    statuses, seen = await _publish_counted(world, "ca-post", [cert_issued(number="ONE-1", subj=subj)])
    assert statuses == ["ACCEPTED"]
    assert sum("INSERT INTO officers" in q for q in seen) == 1
    assert not any("INSERT INTO officer_names" in q and "INSERT INTO officers" not in q for q in seen)
    assert not any("DELETE FROM officer_blocking_keys" in q for q in seen)
    officer_id = await world.pool.fetchval("SELECT id FROM officers WHERE created_by = 'ca-post' ORDER BY id DESC")
    names = await world.pool.fetch("SELECT kind::text, given_name, middle_name, family_name, suffix FROM officer_names"
                                   " WHERE officer_id = $1 ORDER BY id", officer_id)
    assert [tuple(n) for n in names] == [("PRIMARY", "Maria", "Elena", "Garcia-Lopez", "Jr"),
                                         ("ALIAS", "Elena", None, "Whitfield", None),
                                         ("FORMER", "Maria", None, "Okonkwo", None)]

    async def keys() -> list[str]:
        return [r["key"] for r in await world.pool.fetch(
            "SELECT key FROM officer_blocking_keys WHERE officer_id = $1 ORDER BY key", officer_id)]

    registered = await keys()
    assert registered and await world.pool.fetchval(
        "SELECT blocking_scheme FROM officers WHERE id = $1", officer_id) == BLOCKING_SCHEME_VERSION
    rows = await world.pool.fetch("SELECT given_name, middle_name, family_name, suffix FROM officer_names"
                                  " WHERE officer_id = $1", officer_id)
    async with world.pool.acquire() as conn:
        await matching.rekey(conn, officer_id, [matching.row_parts(NameRow("x", *r)) for r in rows],
                             date.fromisoformat("1979-11-30"))
    assert await keys() == registered
