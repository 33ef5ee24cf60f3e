"""People named by name, set-based (publishing.bulk_rows, issue 13): a board's upload of certifications, records and
employment about people new to the registry is matched together (the candidates of the whole run read in three
statements) and written with one statement per table. It is only an optimisation, so it is checked by
non-interference: the same batch on the same registry, once set-based and once one event at a time (each inside a
transaction rolled back afterwards, so both start from one state), answers the same outcomes and leaves the same rows
in every table identity matching and publishing touch (officers, names, blocking keys, link proposals for review,
query-log entries, rows, events), new officers' IDs aside. The batches are those where the set-based path could go
wrong: people already on file, near misses for review, officers outside the publisher's jurisdiction, the same
person twice in one batch, numbers already held or given twice, people who share blocking keys, an officer named by
registry ID before a person whose candidate they are, and a random mixture of all of them."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from auth.principal import Principal, Role
from identity import matching
from publishing.apply import Outcome, Publisher, Submission
from tests.support import World, cert_issued, record_published, subject

GIVEN = ["Amelia", "Bartholomew", "Cornelius", "Desmond", "Evangeline", "Fitzgerald", "Gwendolyn", "Horatio",
         "Isadora", "Jebediah", "Kassandra", "Leopold", "Millicent", "Nathaniel", "Octavia", "Percival", "Quentin",
         "Rosalind", "Sebastian", "Theodora", "Ulysses", "Valentina", "Winifred", "Xavier", "Yolanda", "Zebulon"]
FAMILY = ["Abernathy", "Blackwood", "Castellano", "Dunmore", "Ellsworth", "Fairbanks", "Galloway", "Hargrove",
          "Inglewood", "Jablonski", "Kowalczyk", "Lindqvist", "Montgomery", "Northcott", "Oyelaran", "Pemberton",
          "Quiroga", "Rutherford", "Szymanski", "Thistlewood", "Underhill", "Vanderbilt", "Whitcombe", "Yamamoto"]

#: On file before each batch (ca-post publishes about the first and the third, tx-tcole about the second).
MARIA = subject("Maria", "Garcia", "1980-03-14")
ROBERT = subject("Robert", "Smith", "1975-05-05")
JONATHAN = subject("Jonathan", "Miller", "1988-07-21")
VICTOR = subject("Victor", "Lindqvist", "1979-09-09", name_extra={"middleName": "A"})  # a record, no certification

Batch = list[dict[str, Any]]


def _person(i: int) -> dict[str, Any]:
    """The i-th new person: a name and birth date no other shares (so no blocking key either, unless made to)."""
    return subject(GIVEN[i % len(GIVEN)], FAMILY[(i * 7) % len(FAMILY)],
                   f"{1970 + i % 25}-{1 + (i * 5) % 12:02d}-{1 + (i * 11) % 28:02d}")


def _event(n: int, subj: dict[str, Any], *, number: str | None = None) -> dict[str, Any]:
    """The n-th event of a batch about ``subj``: mostly certifications, every fourth a record by ca-post."""
    if n % 4 == 3 and number is None:
        return record_published(source=f"r-{n}", event_id=f"e-{n}", subj=subj, status="FINAL", attested=True)
    return cert_issued(number=number or f"N-{n}", source=f"c-{n}", event_id=f"e-{n}", subj=subj,
                       kind=("PEACE_OFFICER", "CORRECTIONS")[n % 2])


def _new_people(n: int) -> Batch:
    return [_event(i, _person(i)) for i in range(n)]


def _same_person_twice(n: int) -> Batch:
    batch = _new_people(n)
    batch.insert(n // 2, _event(n, _person(3)))  # a second certification for the fourth person, by name again
    return batch


def _a_day_off(n: int) -> Batch:
    """One person twice, the second time born a day later: they share keys of neighbouring dates but not the date."""
    batch = _new_people(n)
    batch[n // 3] = _event(n // 3, subject("Amelia", "Blackwood", "1981-02-11"))
    batch[n // 2] = _event(n // 2, subject("Amelia", "Blackwood", "1981-02-12"))
    return batch


def _people_on_file(n: int) -> Batch:
    batch = _new_people(n)
    batch[n // 3] = _event(n // 3, MARIA, number="G-200")  # the board's own officer, another number
    batch[n // 2] = _event(n + 1, MARIA)  # ... and a record about her (n + 1: a record)
    return batch


def _near_miss(n: int) -> Batch:
    batch = _new_people(n)
    batch[n // 2] = _event(n // 2, subject("Jonathon", "Miller", "1988-07-21"))  # a typo: proposed for review
    return batch


def _outside_jurisdiction(n: int) -> Batch:
    batch = _new_people(n)
    batch[n // 2] = _event(n // 2, ROBERT)  # tx-tcole's officer, of the same name and birth date
    return batch


def _number_held(n: int) -> Batch:
    """Jonathan Miller's number, for another person and another kind (no unique constraint refuses it): refused."""
    batch = _new_people(n)
    batch[n // 2] = cert_issued(number="M-7", source="c-x", event_id="e-x", subj=_person(n), kind="CORRECTIONS")
    return batch


def _number_twice(n: int) -> Batch:
    """The third person's number again, for another person and another kind: refused."""
    batch = _new_people(n)
    batch[n // 2] = cert_issued(number="N-2", source="c-x", event_id="e-x", subj=_person(n), kind="CORRECTIONS")
    return batch


def _sharing_keys(n: int) -> Batch:
    """New people who share blocking keys: one surname and birth year, or one birth date, other given names."""
    out = []
    for i in range(n):
        dob = f"19{80 + i % 3}-0{1 + i % 2}-1{i % 5}"
        out.append(_event(i, subject(GIVEN[i % len(GIVEN)], ("Blackwood", "Galloway")[i % 2], dob)))
    return out


def _by_id_then_by_name(n: int, victor: str) -> Batch:
    """Victor A. Lindqvist's first CA certification, by registry ID, then Victor B. Lindqvist of the same birth date
    by name (a near miss for review): one at a time, Victor A. holds another CA number by then, a second
    contradiction, so he is proposed with a lower score and one more reason."""
    batch = _new_people(n)
    batch[n // 3] = cert_issued(number="V-1", source="c-x", event_id="e-x", subj={"registryId": victor})
    batch[n // 2] = _event(n // 2, subject("Victor", "Lindqvist", "1979-09-09", name_extra={"middleName": "B"}))
    return batch


def _mixture(seed: int, n: int) -> Batch:
    """New people, people already on file or earlier in the batch, near misses and people sharing keys, at random.
    No one (counting Maria and Marla Garcia as one, and the Blackwoods born one day) appears more than three times:
    the review queue takes the first five candidates, ties in order of officer ID, and new officers' IDs are random,
    so a sixth equal candidate would make two worlds differ by chance."""
    rng = random.Random(seed)
    pool: list[Callable[[int], dict[str, Any]]] = [
        lambda i: _person(i),
        lambda i: _person(rng.randrange(i + 1)),  # maybe someone earlier in the batch
        lambda i: subject(GIVEN[i % len(GIVEN)], "Blackwood", "1981-02-11"),
        lambda i: rng.choice([MARIA, ROBERT, JONATHAN]),
        lambda i: subject("Marla", "Garcia", "1980-03-14"),
    ]
    seen: dict[str, int] = {}
    out = []
    for i in range(n):
        subj = rng.choices(pool, weights=[8, 2, 2, 1, 1])[0](i)
        family = subj["name"]["familyName"]
        key = family if family in ("Garcia", "Blackwood") else json.dumps(subj, sort_keys=True)
        seen[key] = seen.get(key, 0) + 1
        out.append(_event(i, subj if seen[key] <= 3 else _person(i)))
    return out


async def _on_file(world: World) -> dict[str, str]:
    maria, jonathan = await world.publish_ok("ca-post", cert_issued(number="G-100", subj=MARIA),
                                             cert_issued(number="M-7", subj=JONATHAN))
    (robert,) = await world.publish_ok("tx-tcole", cert_issued("tx-tcole", "T-1", "TX", subj=ROBERT))
    (victor,) = await world.publish_ok("ca-post", record_published(source="r-victor", subj=VICTOR))
    return {"maria": maria["officerId"], "jonathan": jonathan["officerId"], "robert": robert["officerId"],
            "victor": victor["officerId"]}


async def _in_a_world(world: World, jws: list[str], *, set_based: bool,
                      ) -> tuple[list[tuple[Any, ...]], dict[str, list[str]], list[asyncpg.connection.LoggedQuery]]:
    """The batch published on the registry as it stands, in a transaction rolled back afterwards: its outcomes and
    every table it touches (new officers named by the order they first appear in the outcomes, rows by source), and
    the statements it sent."""
    seen: list[asyncpg.connection.LoggedQuery] = []
    caller = Principal(role=Role.PUBLISHER, subject="t", publisher_id="ca-post")
    async with world.pool.acquire() as conn:
        assert isinstance(conn, asyncpg.pool.PoolConnectionProxy)
        before = {r["id"] for r in await conn.fetch("SELECT id FROM officers")}
        outer = conn.transaction()
        await outer.start()
        try:
            def logged(record: asyncpg.connection.LoggedQuery) -> None:
                seen.append(record)

            conn.add_query_logger(logged)
            try:
                result = await Publisher(conn, caller, world.services.ssn_key, set_based=set_based,
                                         admin_keys=world.services.admin_keys.public(),
                                         ).run([Submission(j) for j in jws], dry_run=False)
            finally:
                conn.remove_query_logger(logged)
            names = _names(before, result.outcomes, await conn.fetch("SELECT id FROM officers"))
            names.update({r["id"]: f"{r['t']}:{r['publisher_id']}:{r['source_id']}" for r in await conn.fetch(
                """SELECT 'cert' AS t, id, publisher_id, source_id FROM certifications
                   UNION ALL SELECT 'record', id, publisher_id, source_id FROM misconduct_records
                   UNION ALL SELECT 'job', id, publisher_id, source_id FROM employment""")})
            tables = {table: sorted(json.dumps(_renamed(dict(r["row"]) if isinstance(r["row"], dict)
                                                        else json.loads(r["row"]), names), sort_keys=True)
                                    for r in await conn.fetch(sql))
                      for table, sql in _TABLES.items()}
        finally:
            await outer.rollback()
    outcomes = [(o.index, o.status, o.code, o.message, o.event_type, o.event_id, names.get(o.entity_id or ""),
                 names.get(o.officer_id or "", o.officer_id), o.log_index) for o in result.outcomes]
    return [(result.committed, *o) for o in outcomes], tables, seen


def _names(before: set[str], outcomes: list[Outcome], now: list[asyncpg.Record]) -> dict[str, str]:
    """New officers named by the order they first appear in the outcomes (a refused batch's outcomes name officers its
    rollback took back)."""
    order = list(dict.fromkeys(o.officer_id for o in outcomes if o.officer_id not in before and o.officer_id))
    assert {r["id"] for r in now} - before <= set(order), "an officer was registered that no outcome names"
    return {oid: f"new officer {k}" for k, oid in enumerate(order)}


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


#: Each table as JSON rows, without what differs between two worlds by construction (serial IDs, times).
_TABLES = {
    "officers": "SELECT to_jsonb(t) - 'created_at' AS row FROM officers t",
    "officer_names": "SELECT to_jsonb(t) - 'id' AS row FROM officer_names t",
    "officer_blocking_keys": "SELECT to_jsonb(t) AS row FROM officer_blocking_keys t",
    "certifications": "SELECT to_jsonb(t) - 'created_at' - 'updated_at' AS row FROM certifications t",
    "certification_status_history": "SELECT to_jsonb(t) AS row FROM certification_status_history t",
    "misconduct_records": "SELECT to_jsonb(t) - 'created_at' - 'updated_at' AS row FROM misconduct_records t",
    "record_status_history": """SELECT to_jsonb(t) - 'id' - 'changed_at' - 'event_id'
                                       || jsonb_build_object('event', e.event_id) AS row
                                FROM record_status_history t LEFT JOIN events e ON e.id = t.event_id""",
    "employment": "SELECT to_jsonb(t) - 'created_at' AS row FROM employment t",
    "events": "SELECT to_jsonb(t) - 'id' - 'accepted_at' AS row FROM events t",
    "link_proposals": "SELECT to_jsonb(t) - 'id' - 'created_at' AS row FROM link_proposals t",
    "notifications": "SELECT to_jsonb(t) - 'id' - 'created_at' AS row FROM notifications t",
    "query_log": "SELECT to_jsonb(t) - 'id' - 'queried_at' AS row FROM query_log t",
}


async def _both_ways(world: World, batch: Batch,
                     ) -> tuple[list[tuple[Any, ...]], list[asyncpg.connection.LoggedQuery]]:
    """The batch set-based and one at a time give the same outcomes and rows: the outcomes and the set-based
    statements."""
    jws = [world.sign("ca-post", p) for p in batch]
    fast, a, statements = await _in_a_world(world, jws, set_based=True)
    exact, b, _ = await _in_a_world(world, jws, set_based=False)
    assert fast == exact, "\n".join(f"{x}\n{y}\n" for x, y in zip(fast, exact, strict=True) if x != y)
    for table in _TABLES:
        extra, missing = sorted(set(a[table]) - set(b[table])), sorted(set(b[table]) - set(a[table]))
        assert a[table] == b[table], f"{table}: set-based only {extra[:3]}, one at a time only {missing[:3]}"
    return fast, statements


CASES = {
    "new people": _new_people, "the same person twice": _same_person_twice, "a day off": _a_day_off,
    "people on file": _people_on_file,
    "a near miss": _near_miss, "outside the jurisdiction": _outside_jurisdiction, "a number held": _number_held,
    "a number given twice": _number_twice, "people sharing blocking keys": _sharing_keys,
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_people_by_name_set_based_as_one_at_a_time(world: World, case: str) -> None:
    await _on_file(world)
    outcomes, _ = await _both_ways(world, CASES[case](24))
    statuses = {o[2] for o in outcomes}
    assert statuses == ({"REJECTED", "NOT_APPLIED"} if "number" in case else {"ACCEPTED"}), statuses


async def test_an_officer_named_by_registry_id_before_a_person_whose_candidate_they_are(world: World) -> None:
    on_file = await _on_file(world)
    outcomes, _ = await _both_ways(world, _by_id_then_by_name(24, on_file["victor"]))
    assert {o[2] for o in outcomes} == {"ACCEPTED"}


@pytest.mark.parametrize("seed", range(4))
async def test_a_random_mixture_set_based_as_one_at_a_time(world: World, seed: int) -> None:
    await _on_file(world)
    await _both_ways(world, _mixture(seed, 40))


@pytest.mark.parametrize("case", ["new people", "people sharing blocking keys"])
async def test_new_people_cost_the_same_statements_whatever_their_number(world: World, case: str) -> None:
    await _on_file(world)
    jws = [world.sign("ca-post", p) for p in CASES[case](60)]
    _, _, small = await _in_a_world(world, jws[:20], set_based=True)
    _, _, large = await _in_a_world(world, jws, set_based=True)
    assert len(small) == len(large) <= 24, "\n".join(q.query for q in large)
    assert sum(q.query.lstrip().startswith("WITH o AS (INSERT INTO officers") for q in large) == 1


async def test_a_batch_that_stops_often_reads_each_person_a_bounded_number_of_times(world: World) -> None:
    """Every third event is a record about Maria, on file (linked one at a time): each stops a plan, and the next
    plan reads about twice as far as the last one took, not the whole rest of the batch again."""
    await _on_file(world)
    n = 60
    batch = [record_published(source=f"r-{i}", event_id=f"e-{i}", subj=MARIA, status="FINAL", attested=True)
             if i % 3 == 2 else _event(i, _person(i)) for i in range(n)]
    outcomes, statements = await _both_ways(world, batch)
    assert {o[2] for o in outcomes} == {"ACCEPTED"}
    plans = [q for q in statements if "FROM unnest($1::int[], $2::text[], $3::float8[])" in q.query]
    read = sum(len(set(q.args[0])) for q in plans)  # the people each plan looked up
    assert len(plans) >= n // 3 and read <= 3 * n, (len(plans), read)


def _crowded(n: int) -> Batch:
    """Amelia Blackwood three times, whose lookup finds two Blackwoods of her birth date on file with other CA numbers
    (both close enough for review): capped at 3, the third Amelia's lookup one at a time keeps the first two Amelias
    and only one of them."""
    batch = _new_people(n)
    for place in (n // 4, n // 2, 3 * n // 4):
        batch[place] = _event(place, subject("Amelia", "Blackwood", "1981-02-11"))
    return batch


@pytest.mark.parametrize("case", ["people sharing blocking keys", "the same person twice", "mixture", "crowded"])
async def test_capped_lookups_set_based_as_one_at_a_time(world: World, case: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """With the lookup's cap lowered to 3 officers (CANDIDATE_LIMIT; 150 at the registry's size), most lookups are
    capped: a person whose candidates the run's new people would crowd out goes one at a time."""
    await _on_file(world)
    await world.publish_ok("ca-post", *[cert_issued(number=f"C-{i}", subj=subject(given, "Blackwood", "1981-02-11"))
                                        for i, given in enumerate(["Amalia", "Emelia"])])
    monkeypatch.setattr(matching, "CANDIDATE_LIMIT", 3)
    batch = _mixture(7, 40) if case == "mixture" else _crowded(24) if case == "crowded" else CASES[case](24)
    outcomes, _ = await _both_ways(world, batch)
    assert {o[2] for o in outcomes} == {"ACCEPTED"}


async def test_at_most_five_near_misses_are_filed_for_review(world: World) -> None:
    """Seven people on file close to the new one (other CA numbers: each a contradiction, none a link): both paths file
    five of them for review (publishing.review.MAX_PROPOSALS, the first five of the ranking), the same five."""
    await _on_file(world)
    close = ["Amelia", "Amalia", "Emelia", "Amelie", "Emilia", "Amella", "Ameliah"]
    on_file = await world.publish_ok("ca-post", *[
        cert_issued(number=f"C-{i}", subj=subject(given, "Blackwood", "1981-02-11")) for i, given in enumerate(close)])
    batch = _new_people(8)
    batch[4] = _event(4, subject("Amelia", "Blackwood", "1981-02-11"))
    jws = [world.sign("ca-post", p) for p in batch]
    for set_based in (True, False):
        outcomes, tables, _ = await _in_a_world(world, jws, set_based=set_based)
        filed = [p for r in tables["link_proposals"] if (p := json.loads(r))["officer_id"] == "new officer 4"]
        assert {o[2] for o in outcomes} == {"ACCEPTED"} and len(filed) == 5, filed
        assert {p["candidate_id"] for p in filed} < {r["officerId"] for r in on_file}
        assert min(p["score"] for p in filed) >= 0.5
    await _both_ways(world, batch)
