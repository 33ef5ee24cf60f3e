"""Identity resolution at publish time, through the real publishing path: the SSN links and blocks, names and a
birth date alone never merge two people, and whatever is not linked but plausible reaches the review queue."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from registry.cli import main
from tests.support import World, cert_issued, employment_started, subject


async def proposals(world: World) -> list[dict[str, Any]]:
    rows = await world.pool.fetch("SELECT officer_id, candidate_id, score, reasons, status FROM link_proposals "
                                  "ORDER BY id")
    return [dict(r) for r in rows]


def tx(number: str, subj: dict[str, Any], source: str | None = None) -> dict[str, Any]:
    return cert_issued(publisher="tx-tcole", state="TX", number=number, subj=subj, source=source)


async def test_the_ssn_links_a_re_entry_spelt_differently_with_a_date_a_day_off(world: World) -> None:
    first = subject("Katherine", "Smyth", "1979-04-02", name_extra={"middleName": "Ann"})
    [ca] = await world.publish_ok("ca-post", cert_issued(number="S-1", subj=first), ssn="287-65-4321")
    again = subject("Catherine", "Smith-Lopez", "1979-04-03")
    [linked] = await world.publish_ok("tx-tcole", tx("T-1", again), ssn="287 65 4321")
    assert linked["officerId"] == ca["officerId"]
    names = {(r["given_name"], r["family_name"]) for r in await world.pool.fetch(
        "SELECT given_name, family_name FROM officer_names WHERE officer_id = $1", ca["officerId"])}
    assert names == {("Katherine", "Smyth"), ("Catherine", "Smith-Lopez")}
    assert await proposals(world) == []


async def test_a_conflicting_ssn_keeps_an_identical_person_apart_and_files_a_review(world: World) -> None:
    person = subject("John", "Public", "1975-05-05", name_extra={"middleName": "Quincy"})
    [ca] = await world.publish_ok("ca-post", cert_issued(number="S-1", subj=person), ssn="287-65-4321")
    [other] = await world.publish_ok("tx-tcole", tx("T-1", person), ssn="512-34-9876")
    assert other["officerId"] != ca["officerId"]
    [proposal] = await proposals(world)
    assert (proposal["officer_id"], proposal["candidate_id"]) == (other["officerId"], ca["officerId"])
    assert proposal["status"] == "PENDING" and proposal["score"] >= 0.5
    assert "but Social Security number differs" in proposal["reasons"]
    assert {"date of birth matches", "middle name matches"} <= set(proposal["reasons"])


async def test_two_people_with_one_name_and_birth_date_are_never_merged(world: World) -> None:
    """Same full name, middle name and birth date, no SSN: another board, the same board with the next
    certification number, an agency of another state. Each is a new officer, and each goes to review."""
    twin = subject("Michael", "Johnson", "1980-01-01", name_extra={"middleName": "Paul"})
    [first] = await world.publish_ok("ca-post", cert_issued(number="100001", subj=twin))
    [second] = await world.publish_ok("tx-tcole", tx("T-1", twin))
    [third] = await world.publish_ok("ca-post", cert_issued(number="100002", subj=twin, source="c-3"))
    [fourth] = await world.publish_ok("austin-pd", employment_started(publisher="austin-pd", ori="TX2270000",
                                                                        subj=twin))
    ids = [r["officerId"] for r in (first, second, third, fourth)]
    assert len(set(ids)) == 4, "publishing merged people on name and birth date alone"
    filed = await proposals(world)
    for new in ids[1:]:
        assert any(p["officer_id"] == new and p["candidate_id"] == first["officerId"] for p in filed), (new, filed)
    assert all(p["score"] > 0.9 for p in filed)


async def test_the_publishers_own_officer_is_still_found_by_name_and_birth_date(world: World) -> None:
    """Within the publisher's jurisdiction an event without a certification number (an employment start) is
    attached to the one officer it already published about under that exact name and birth date."""
    person = subject("Rosa", "Delgado", "1983-07-21")
    [cert] = await world.publish_ok("sunnyvale-dps", employment_started(subj=person))
    [again] = await world.publish_ok("sunnyvale-dps", employment_started(subj=person, source="emp-2"))
    assert again["officerId"] == cert["officerId"]


async def test_family_first_order_and_a_hypocorism_reach_the_review_queue(world: World) -> None:
    [ca] = await world.publish_ok("ca-post", cert_issued(number="S-1", subj=subject("Paul", "Ng", "1961-10-19")))
    [swapped] = await world.publish_ok("tx-tcole", tx("T-1", subject("NG", "PAUL", "1961-10-20")))
    [ca2] = await world.publish_ok("ca-post", cert_issued(number="S-2", subj=subject("José", "Ortega", "1970-02-11"),
                                                          source="c-2"))
    [pepe] = await world.publish_ok("tx-tcole", tx("T-2", subject("Pepe", "Ortega", "1970-02-11"), source="t-2"))
    filed = {(p["officer_id"], p["candidate_id"]): p for p in await proposals(world)}
    one = filed[(swapped["officerId"], ca["officerId"])]
    assert any("read family name first" in r for r in one["reasons"])
    assert "date of birth is one day off" in one["reasons"]
    two = filed[(pepe["officerId"], ca2["officerId"])]
    assert "given name 'Pepe' is a nickname of 'José'" in two["reasons"] and two["score"] > 0.9


async def test_keys_are_rederived_from_every_name_when_publishing(world: World) -> None:
    [ca] = await world.publish_ok("ca-post", cert_issued(number="S-1", subj=subject("Maria", "Lopez", "1986-03-09")))
    oid = ca["officerId"]
    async with world.pool.acquire() as conn:
        # an officer keyed under scheme 1 (before migration 0014): only the old key families, marked as such
        await conn.execute("DELETE FROM officer_blocking_keys WHERE officer_id = $1 AND key !~ '^(gs|sy|sm|gd):'",
                           oid)
        await conn.execute("UPDATE officers SET blocking_scheme = 1 WHERE id = $1", oid)
        await conn.execute("INSERT INTO officer_blocking_keys (key, officer_id) VALUES ('gs:STALE:X000', $1)", oid)
    married = {"registryId": oid, "name": {"givenName": "Maria", "familyName": "Whitcombe"},
               "dateOfBirth": "1986-03-09", "formerNames": [{"givenName": "Maria", "familyName": "Lopez"}]}
    await world.publish_ok("ca-post", cert_issued(number="S-2", subj=married, source="c-2"))
    async with world.pool.acquire() as conn:
        keys = {r["key"] for r in await conn.fetch("SELECT key FROM officer_blocking_keys WHERE officer_id = $1",
                                                   oid)}
        scheme = await conn.fetchval("SELECT blocking_scheme FROM officers WHERE id = $1", oid)
    assert scheme == 2 and "gs:STALE:X000" not in keys
    assert {"d:19860309", "gym:MR:198603", "gd:MR:19860309"} <= keys
    assert any(k.startswith("sy:W") for k in keys) and any(k.startswith("sy:L") for k in keys)  # both surnames


async def test_the_rekey_backfill_brings_every_officer_to_the_current_scheme(
        world: World, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`registry rekey`, as an operator runs it after the upgrade: every officer keyed under scheme 1 gets the
    same keys as one registered under scheme 2, and a second run has nothing to do."""
    monkeypatch.setenv("DATABASE_URL", database_url)

    async def rekey() -> str:
        code = await asyncio.to_thread(main, ["rekey", "--batch", "2"])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return captured.out

    for i, (given, family) in enumerate((("Ana", "Ruiz"), ("Tom", "Becker"), ("Lee", "Park"))):
        who = subject(given, family, f"1990-01-0{i + 1}")
        await world.publish_ok("ca-post", cert_issued(number=f"S-{i}", subj=who, source=f"c-{i}"))
    async with world.pool.acquire() as conn:
        before = {r["key"] for r in await conn.fetch("SELECT key FROM officer_blocking_keys")}
        await conn.execute("DELETE FROM officer_blocking_keys WHERE key ~ '^(d|gym|gyd|gmd):'")
        await conn.execute("UPDATE officers SET blocking_scheme = 1")
    assert "re-keyed 3 officers" in await rekey()
    assert "re-keyed 0 officers" in await rekey()  # idempotent
    async with world.pool.acquire() as conn:
        after = {r["key"] for r in await conn.fetch("SELECT key FROM officer_blocking_keys")}
        schemes = {r["blocking_scheme"] for r in await conn.fetch("SELECT blocking_scheme FROM officers")}
    assert after == before and schemes == {2}
