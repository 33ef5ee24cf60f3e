"""The registry-wide duplicate sweep (`registry dedupe`): it proposes the duplicates publishing left as two officers,
never strangers, never a pair already proposed or rejected, nothing on a dry run or a second run, and merges
nothing. The linkage itself is checked on a generated population (bench.population) with known duplicates."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import asyncpg
import pytest

from bench.dedupe_bench import registry
from identity.dedupe import DedupeSettings, link
from registry.cli import main
from tests.integration.test_review_queue import PROPOSALS, decision
from tests.support import World, cert_issued, subject


def _tx(number: str, subj: dict[str, Any]) -> dict[str, Any]:
    return cert_issued(publisher="tx-tcole", state="TX", number=number, subj=subj)


async def _publish(world: World) -> dict[str, str]:
    """Officers from two states; returns their registry IDs by a short name."""
    ids: dict[str, str] = {}

    async def put(name: str, publisher: str, event: dict[str, Any]) -> None:
        [row] = await world.publish_ok(publisher, event)
        ids[name] = row["officerId"]

    # One person entered by California and, years later, by Texas with a nickname and a typo in the surname.
    await put("hartley_ca", "ca-post", cert_issued(number="200001", subj=subject(
        "William", "Hartley", "1980-03-15", name_extra={"middleName": "Robert"})))
    await put("hartley_tx", "tx-tcole", _tx("300001", subject(
        "Bill", "Hartly", "1980-03-15", name_extra={"middleName": "Robert"})))
    # One person Texas entered under her married name with the birth year's digits transposed: nothing to go on
    # at publish time. Texas later sends her maiden name, which is California's record of her, but publishing
    # compares a person with the registry only when it registers them.
    await put("delacroix_ca", "ca-post", cert_issued(number="200002", subj=subject(
        "Katherine", "Delacroix", "1979-06-02", name_extra={"middleName": "Ann"})))
    await put("morrow_tx", "tx-tcole", _tx("300002", subject("Kathy", "Morrow", "1997-06-02")))
    late = subject("Kathy", "Morrow", "1997-06-02", registryId=ids["morrow_tx"],
                   formerNames=[{"givenName": "Katherine", "middleName": "Ann", "familyName": "Delacroix"}])
    await put("morrow_tx_again", "tx-tcole", _tx("300003", late))
    assert ids["morrow_tx_again"] == ids["morrow_tx"]
    # Namesakes: same names, other birth dates and middle names.
    await put("garcia_ca", "ca-post", cert_issued(number="200003", subj=subject(
        "Maria", "Garcia", "1985-01-21", name_extra={"middleName": "Elena"})))
    await put("garcia_tx", "tx-tcole", _tx("300004", subject(
        "Maria", "Garcia", "1962-11-30", name_extra={"middleName": "Luisa"})))
    # Strangers.
    await put("okafor_ca", "ca-post", cert_issued(number="200004", subj=subject("Daniel", "Okafor", "1990-07-04")))
    await put("lindqvist_tx", "tx-tcole", _tx("300005", subject("Sven", "Lindqvist", "1971-12-09")))
    await put("nguyen_ca", "ca-post", cert_issued(number="200005", subj=subject("Thi", "Nguyen", "1993-02-17")))
    # A pair publishing proposed and a person rejected: the sweep must not ask again.
    await put("mills_ca", "ca-post", cert_issued(number="200006", subj=subject("Katherine", "Mills", "1988-03-14")))
    await put("mills_tx", "tx-tcole", _tx("300006", subject("Kate", "Mills", "1988-03-14")))
    return ids


async def _proposals(pool: asyncpg.Pool) -> list[tuple[str, str, str, str]]:
    rows = await pool.fetch(
        "SELECT officer_id, candidate_id, status::text, proposed_by FROM link_proposals ORDER BY id")
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _pairs(rows: list[tuple[str, str, str, str]]) -> set[frozenset[str]]:
    return {frozenset(r[:2]) for r in rows}


async def _dedupe(monkeypatch: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str],
                  *args: str) -> dict[str, Any]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    code = await asyncio.to_thread(main, ["dedupe", "--json", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary: dict[str, Any] = json.loads(captured.out)
    return summary


async def test_the_sweep_proposes_the_duplicates_publishing_left(
        world: World, pool: asyncpg.Pool, database_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    ids = await _publish(world)
    officers = ids.keys() - {"morrow_tx_again"}
    assert len({ids[k] for k in officers}) == len(officers), "every entry above registered its own officer"
    hartley = frozenset((ids["hartley_ca"], ids["hartley_tx"]))
    delacroix = frozenset((ids["delacroix_ca"], ids["morrow_tx"]))
    mills = frozenset((ids["mills_ca"], ids["mills_tx"]))
    published = await _proposals(pool)
    assert delacroix not in _pairs(published), "publishing was not meant to see this pair"
    assert mills in _pairs(published)
    mills_id = await pool.fetchval("SELECT id FROM link_proposals WHERE officer_id = ANY($1::text[])", list(mills))
    await world.publish_ok("ca-post", decision("identity.link_rejected", "ca-post", str(mills_id),
                                               "Two people: different academies."))
    before = await _proposals(pool)

    dry = await _dedupe(monkeypatch, database_url, capsys, "--dry-run")
    assert dry["dry_run"] and dry["officers_read"] == len(officers)
    assert await _proposals(pool) == before, "a dry run writes nothing"
    would = {frozenset((p["officerId"], p["candidateId"])) for p in dry["proposals"]}
    assert delacroix in would, json.dumps(dry, indent=1)

    summary = await _dedupe(monkeypatch, database_url, capsys)
    after = await _proposals(pool)
    assert summary["proposed"] == len(after) - len(before) >= 1
    assert {frozenset((p["officerId"], p["candidateId"])) for p in summary["proposals"]} == would
    assert summary["skipped_rejected"] >= 1 and mills not in would
    assert summary["skipped_ssn_conflict"] == 0
    found = {frozenset(r[:2]): r for r in after}
    # the duplicates are proposed (Hartley by publishing or by the sweep), newer officer first, under Texas
    assert hartley in found and found[hartley][2] == "PENDING"
    assert found[delacroix] == (ids["morrow_tx"], ids["delacroix_ca"], "PENDING", "tx-tcole")
    # strangers and namesakes are not
    strangers = [ids[k] for k in ("garcia_ca", "garcia_tx", "okafor_ca", "lindqvist_tx", "nguyen_ca")]
    assert not [r for r in after if r[0] in strangers or r[1] in strangers]

    # the review queue shows the sweep's proposal to both publishers involved, with its reasons, and to nobody else
    for publisher in ("ca-post", "tx-tcole"):
        data = await world.ok(PROPOSALS, as_="publisher", publisher_id=publisher)
        nodes = [e["node"] for e in data["linkProposals"]["edges"]]
        [node] = [n for n in nodes if {n["officer"]["registryId"], n["candidate"]["registryId"]} == delacroix]
        assert node["proposedBy"]["id"] == "tx-tcole" and node["status"] == "PENDING"
        assert node["reasons"][0].startswith("registry-wide duplicate sweep")
        assert any("Delacroix" in r for r in node["reasons"]) and 0.9 <= node["score"] <= 1
    data = await world.ok(PROPOSALS, as_="publisher", publisher_id="austin-pd")
    assert data["linkProposals"]["edges"] == []

    # nothing is merged, and a second run files nothing new
    assert await pool.fetchval("SELECT count(*) FROM officers WHERE merged_into IS NOT NULL") == 0
    again = await _dedupe(monkeypatch, database_url, capsys)
    assert again["proposed"] == 0 and again["skipped_pending"] >= 2 and await _proposals(pool) == after


async def test_text_summary_and_one_line_errors(
        world: World, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    ids = await _publish(world)
    monkeypatch.setenv("DATABASE_URL", database_url)
    code = await asyncio.to_thread(main, ["dedupe", "--dry-run", "--limit", "0", "--memory-limit", "1GB"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"officers read: {len(set(ids.values()))}" in captured.out
    assert "proposals would be filed (dry run): 0" in captured.out
    assert "left for the next run by --limit:" in captured.out
    assert "dedupe: reading officers" in captured.err  # progress goes to stderr
    with pytest.raises(SystemExit) as exit_:
        main(["dedupe", "--threshold", "1.5"])
    assert exit_.value.code == 2
    assert "between 0 and 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["dedupe", "--memory-limit", "lots"])
    assert "a size such as 512MB or 8GB" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    code = await asyncio.to_thread(main, ["dedupe"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: cannot reach the database"), err


@pytest.fixture(scope="module")
def population() -> tuple[list[Any], dict[frozenset[str], str]]:
    officers, truth, _ = registry(4000, seed=11)
    return officers, truth


def test_linkage_on_a_generated_population_is_accurate_and_deterministic(
        population: tuple[list[Any], dict[frozenset[str], str]]) -> None:
    officers, truth = population
    settings = replace(DedupeSettings(), u_max_pairs=5e5, min_em_pairs=500)
    first = link(officers, settings)
    assert any(t.startswith("EM blocked on birth date:") for t in first.trained), first.trained
    proposed = [p for p in first.pairs if not p.ssn_conflict]
    hits = sum(frozenset((p.a, p.b)) in truth for p in proposed)
    assert hits / len(proposed) >= 0.93, (hits, len(proposed))  # precision
    assert hits / len(truth) >= 0.85, (hits, len(truth))  # recall
    again = link(list(reversed(officers)), settings)
    assert [(p.a, p.b, p.probability, p.reasons) for p in again.pairs] == \
        [(p.a, p.b, p.probability, p.reasons) for p in first.pairs]
