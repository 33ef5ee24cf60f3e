"""Identity matching leaves unread the officers whose birth date rules them out (issue 13: most of a large block at
10^6 officers), and ranks exactly as if it had read and ranked every officer the blocking keys found.

The reference is the ranking of everyone found (``identity.score.rank`` over ``store.officers.for_matching`` of
every key hit), compared whole (officer, score, reasons, strength) for searches and publish-time lookups, with
limits and floors on both sides of where the unread officers are needed; and the statements say when they are read.
"""

from __future__ import annotations

import asyncio
import re
from datetime import date
from itertools import product
from typing import Any

import pytest

from identity import NameParts, matching, query_key_weights
from identity.matching import CANDIDATE_LIMIT, PUBLISH_FLOOR, SEARCH_FLOOR
from identity.phonetic import IDF_SCALE, KEY_UNITS
from identity.score import Candidate, Match, Query, rules_out_by_date
from identity.score import rank as rank_candidates
from store import officers
from tests.support import World, cert_issued, subject

DOB = "1983-06-14"
#: Sharing keys with Nora Ellison born 1983-06-14: namesakes born on other days (ruled out by the date), people born
#: that day with other names, a near date, a name written family name first, and a pet name.
ON_FILE = [
    ("Nora", "Ellison", DOB), ("Nora", "Ellison", "1983-06-15"), ("Nora", "Ellison", "1979-02-02"),
    ("Nora", "Ellison", "1991-11-30"), ("Norah", "Elison", "1983-09-01"), ("Ellison", "Nora", "1960-01-01"),
    ("Nora", "Ellis", "1983-06-14"), ("Victor", "Tran", DOB), ("Grace", "Okafor", DOB), ("Omar", "Haddad", DOB),
    ("Nora", "Ellison", "1983-04-16"), ("Eleanor", "Ellison", "1972-06-14"), ("Nell", "Ellison", "1983-06-14"),
    ("Nora Jane", "Ellison", "1975-05-05"), ("Nora", "Ellison Jr", "1990-01-01"), ("Nora Jane", "Ellison Jr", DOB),
]


def _as_tuples(ranked: list[Match]) -> list[tuple[Any, ...]]:
    return [(m.officer_id, m.score, tuple(m.reasons), m.strong, tuple(m.conflicts)) for m in ranked]


async def _everyone_ranked(conn: Any, query: Query, limit: int, floor: float) -> list[Match]:
    """The ranking before officers were left unread: every officer found by the keys read and ranked."""
    ids = await officers.ids_by_blocking_keys(conn, query_key_weights(list(query.names), query.dob),
                                              limit=CANDIDATE_LIMIT, idf_scale=IDF_SCALE, units=KEY_UNITS)
    candidates = {c.officer_id: c for r in await officers.for_matching(conn, ids) for c in [matching._candidate(r)]}
    return rank_candidates(query, candidates.values(), limit=limit, floor=floor)


def _first(ranked: list[Match], limit: int, floor: float) -> list[Match]:
    """What a search answer shows of a ranking: the first ``limit`` scoring at least ``floor``."""
    return [m for m in ranked if m.score >= floor][:limit]


async def _on_file(world: World, extra: int = 0) -> None:
    people = [*ON_FILE, *((g, "Ellison", DOB) for g in ["Anya", "Bea", "Cleo", "Dora", "Edie", "Fay", "Gia",
                                                        "Hana", "Iris", "Jo", "Kay", "Lia"][:extra])]
    await world.publish_ok("ca-post", *(cert_issued(number=f"N{i}", subj=subject(
        g.partition(" ")[0], f, d, name_extra={"middleName": g.partition(" ")[2]} if " " in g else {}))
        for i, (g, f, d) in enumerate(people)))


#: A given name of two words is a given and a middle name (a middle name and a suffix let names lift a contradicted
#: date to the search floor: "Nora Jane Ellison" born 1975 scores above it for any of these dates).
QUERIES = [("Nora", "Ellison", DOB), ("Nora", "Ellison", "1983-04-16"), ("Ellison", "Nora", "1960-01-01"),
           ("Nell", "Ellison", "2001-01-01"), ("Norah", "Ellisen", DOB), ("Nora Jane", "Ellison", DOB),
           ("Nora Jane", "Ellison", "1979-02-02"), ("Nora", "Ellison Jr", "1991-11-30"), ("Nora J", "Ellison", DOB)]


def _name(given: str, family: str) -> NameParts:
    first, _, middle = given.partition(" ")
    return NameParts(given=first, middle=middle, family=family)



@pytest.mark.parametrize("crowd", [0, 12], ids=["few-agree", "many-agree"])
async def test_the_ranking_is_that_of_everyone_found(world: World, crowd: int) -> None:
    """With few or many officers agreeing on the date, for every limit and floor, the ranking is the one of everyone
    found."""
    await _on_file(world, crowd)
    lifted = 0
    async with world.pool.acquire() as conn:
        for (given, family, dob), number in product(QUERIES, (None, "N1")):
            # a certification number the query gives: N1 is held, N10 to N15 are one character off it
            query = Query(names=[_name(given, family)], dob=date.fromisoformat(dob), state="CA" if number else None,
                          cert_number=number)
            for limit in (1, 3, 10, 25):
                for floor in (0.0, SEARCH_FLOOR, PUBLISH_FLOOR):
                    got = await matching._ranked(conn, query, [], limit, floor)
                    want = await _everyone_ranked(conn, query, limit, floor)
                    assert _as_tuples(got) == _as_tuples(want), (given, family, dob, number, limit, floor)
                    # a search answer scores only those that may be among its first: the same first
                    first = await matching._ranked(conn, query, [], limit, floor, first_only=True)
                    assert _as_tuples(_first(first, limit, floor)) == _as_tuples(_first(want, limit, floor))
                    lifted += any(m.score >= SEARCH_FLOOR and "date of birth differs" in m.conflicts for m in got)
    assert lifted  # a contradicted date lifted to the floor by the names is in some answer: the case is exercised


async def test_a_search_reads_only_the_officers_that_can_count(world: World) -> None:
    """A search is one statement (the key lookup, with the names of the officers found whose birth date does not rule
    them out); the names of the others are read by a second only when the names asked for could lift one to the
    search floor (a middle name or a suffix) and fewer than ten others score above what one can."""
    await _on_file(world, 12)
    statements: list[tuple[str, Any]] = []
    async with world.pool.acquire() as conn:
        # (asyncpg's own introspection, the first time a connection meets a type, is not the registry's)
        conn.add_query_logger(lambda q: None if "typeinfo_tree" in q.query else statements.append((q.query, q.args)))

        async def searched(person: matching.Person) -> tuple[list[matching.SearchHit], list[tuple[str, Any]]]:
            await asyncio.sleep(0)
            statements.clear()
            hits = await matching.rank(conn, person, [], limit=10)
            await asyncio.sleep(0)  # asyncpg calls query loggers soon after, not at once
            return hits, list(statements)

        def ruled_out(person: matching.Person, found: list[officers.KeyHit]) -> set[str]:
            query = Query(names=list(person.names), dob=person.dob)
            return {h.current_id for h in found
                    if rules_out_by_date(query, Candidate(h.current_id, (), h.date_of_birth))}

        async def everyone(person: matching.Person) -> list[officers.KeyHit]:
            return (await officers.key_hits_many(conn, [query_key_weights(list(person.names), person.dob)],
                                                 limit=CANDIDATE_LIMIT, idf_scale=IDF_SCALE, units=KEY_UNITS))[0]

        person = matching.Person(names=[NameParts(given="Nora", family="Ellison")], dob=date(1983, 6, 14))
        hits, said = await searched(person)
        assert len(said) == 1 and "officer_names" in said[0][0], said
        out = ruled_out(person, await everyone(person))
        assert len(out) >= 4 and not out & {h.officer_id for h in hits}
        # the birth dates whose officers' names were read
        near = set(next(a for a in said[0][1] if isinstance(a, list) and a and isinstance(a[0], date)))
        assert date(1983, 6, 14) in near and date(1983, 6, 15) in near and date(1979, 2, 2) not in near

        lonely = matching.Person(names=[NameParts(given="Nora", family="Ellison")], dob=date(1979, 2, 2))
        alone, said = await searched(lonely)
        # few agree on this date, but names without a middle name or a suffix cannot lift a contradicted date to the
        # search floor: one statement
        assert len(said) == 1, said
        assert alone[0].score > 0.9 and "date of birth matches" in alone[0].reasons

        middle = matching.Person(names=[NameParts(given="Nora", middle="Jane", family="Ellison")], dob=date(1979, 2, 2))
        got, said = await searched(middle)
        assert [h.officer_id for h in got][:1] == [alone[0].officer_id]
        # with one, and fewer than ten scoring above what a contradicted date can, they are read: by a second statement
        assert len(said) == 2 and "officer_names" in said[1][0], said
        assert set(said[1][1][0]) == ruled_out(middle, await everyone(middle))

        crowded = matching.Person(names=[NameParts(given="Nora", middle="Jane", family="Ellison")],
                                  dob=date(1983, 6, 14))
        got, said = await searched(crowded)
        # ten and more agree on this date and score above what a contradicted date can: not read
        assert len(got) == 10 and len(said) == 1, said
        assert ruled_out(crowded, await everyone(crowded))


async def test_names_and_numbers_are_read_from_the_officer_indexes_alone(world: World) -> None:
    """The candidates' names and certification numbers come from the covering officer indexes (migration 0016):
    an index-only scan with no table page visited, once VACUUM has set the visibility map, in the key lookup that
    reads them and in the later read of names a ranking needs. A column read that the indexes do not carry would make
    it an index scan with a table visit per row (at 10^6 officers, a sixth more of the database's CPU per search)."""
    await _on_file(world, 12)
    async with world.pool.acquire() as conn:
        await conn.execute("VACUUM (ANALYZE) officer_names, certifications, officer_blocking_keys")
        captured: list[tuple[str, Any]] = []
        conn.add_query_logger(lambda q: captured.append((q.query, q.args)))
        weights = query_key_weights([_name("Nora", "Ellison")], date.fromisoformat(DOB))

        async def lookup(numbers: bool) -> list[officers.KeyHit]:
            return (await officers.key_hits_many(conn, [weights], limit=CANDIDATE_LIMIT, idf_scale=IDF_SCALE,
                                                 units=KEY_UNITS, read=[officers.NamesRead(None, numbers)]))[0]

        unnumbered = await lookup(False)
        found = await lookup(True)
        every = [h.current_id for h in found]
        later = await officers.names_of(conn, every)
        await asyncio.sleep(0)
        assert sum(len(h.names or ()) for h in found) >= 15 and all(h.certifications for h in found)
        # the numbers are read only when asked (a query without a certification number needs none)
        assert [h.names for h in unnumbered] == [h.names for h in found] == [later[i] for i in every]
        assert not any(h.certifications for h in unnumbered)
        plans = []
        for sql, args in captured[-2:]:  # the key lookup reading names and numbers, then the names read later
            async with conn.transaction():  # small tables: the planner would rather read them whole
                await conn.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
                plans.append("\n".join(r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + sql, *args)))
    assert "Index Only Scan using officer_names_officer on officer_names" in plans[0], plans[0]
    assert "Index Only Scan using certifications_officer on certifications" in plans[0], plans[0]
    assert "Index Only Scan using officer_names_officer on officer_names" in plans[1], plans[1]
    for plan in plans:  # (the officers' own rows, for their birth dates, are read by the key lookup on purpose)
        assert set(re.findall(r"Heap Fetches: (\d+)", plan)) == {"0"}, plan


async def test_the_search_floor_reads_no_more_than_a_search(world: World) -> None:
    """bench.search_floor (the database's floor in bench.identity_latency) reads the names of officers every search
    reads too, none other, and writes a query-log entry for each officer it would show: it is a floor, not a
    different workload."""
    from bench.search_floor import SearchFloor

    await _on_file(world, 12)
    before = await world.pool.fetchval("SELECT count(*) FROM query_log")
    written = fewer = 0
    floor = SearchFloor(world.pool)
    for given, family, dob in QUERIES:
        first, _, middle = given.partition(" ")
        read = await floor.search({"givenName": first, "middleName": middle or None, "familyName": family,
                                   "dateOfBirth": dob}, "BENCH0000")
        async with world.pool.acquire() as conn:
            considered = (await matching._ranked_many(
                conn, [Query(names=[_name(given, family)], dob=date.fromisoformat(dob))], [[]], 10, SEARCH_FLOOR,
                first_only=True))[0]
        assert set(read) <= set(considered.candidates), (given, family, dob)
        written += min(10, len(considered.compared))
        fewer += len(read) < len(considered.candidates)
    assert fewer  # some search reads more than the floor (a middle name may lift a contradicted date): both cases
    assert await world.pool.fetchval("SELECT count(*) FROM query_log") - before == written


async def test_the_key_lookup_ranks_by_exact_sums_whatever_the_plan(world: World) -> None:
    """The key lookup orders officers by the summed weights of the keys they share counted in whole units
    (``identity.phonetic.shared_key_units``), then by ID: exactly a reference computed in Python from the keys'
    holders, and the same whatever plan PostgreSQL picks (float sums added in another order could break a tie at the
    last officer kept differently)."""
    from identity.phonetic import shared_key_units

    await _on_file(world, 12)
    async with world.pool.acquire() as conn:
        for given, family, dob in QUERIES:
            weights = query_key_weights([_name(given, family)], date.fromisoformat(dob))
            holders = {r["key"]: r["officer_ids"] for r in await conn.fetch(
                "SELECT key, array_agg(officer_id) AS officer_ids FROM officer_blocking_keys"
                " WHERE key = ANY($1::text[]) GROUP BY key", list(weights))}
            sums: dict[str, int] = {}
            for key, ids in holders.items():
                for officer_id in ids:
                    sums[officer_id] = sums.get(officer_id, 0) + shared_key_units(weights[key], len(ids))
            for limit in (3, 10, CANDIDATE_LIMIT):
                want = sorted(sums, key=lambda i: (-sums[i], i))[:limit]
                got = await officers.ids_by_blocking_keys(conn, weights, limit=limit, idf_scale=IDF_SCALE,
                                                          units=KEY_UNITS)
                assert got == want, (given, family, dob, limit)
                async with conn.transaction():  # another plan: no hash joins, no sorts where it can avoid them
                    await conn.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_sort = off;"
                                       " SET LOCAL enable_hashagg = off")
                    assert await officers.ids_by_blocking_keys(conn, weights, limit=limit, idf_scale=IDF_SCALE,
                                                               units=KEY_UNITS) == want
