"""Weak identity matches go to a review queue; a signed decision merges or keeps them apart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support import World, cert_issued, subject

PROPOSALS = """{ linkProposals { totalCount edges { node { id score reasons status
  officer { registryId names { fullName } dateOfBirth certificationNumbers }
  candidate { registryId names { fullName } certificationNumbers } proposedBy { id } } } } }"""


def decision(
    kind: str, publisher: str, proposal: str, reason: str = "Same person: same academy class."
) -> dict[str, Any]:
    return {
        "type": kind,
        "publisher": publisher,
        "eventId": f"{kind}-{proposal}",
        "issuedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "proposalId": int(proposal),
        "reason": reason,
    }


@pytest.fixture
async def pair(world: World) -> dict[str, str]:
    ca = await world.publish_ok("ca-post", cert_issued(number="KM-1", subj=subject("Katherine", "Mills", "1988-03-14")))
    tx = await world.publish_ok(
        "tx-tcole",
        cert_issued(publisher="tx-tcole", state="TX", number="KM-2", subj=subject("Kate", "Mills", "1988-03-14")),
    )
    assert ca[0]["officerId"] != tx[0]["officerId"], "a nickname without more evidence must not auto-link"
    return {"old": ca[0]["officerId"], "new": tx[0]["officerId"]}


async def proposals(world: World, publisher: str) -> list[dict[str, Any]]:
    data = await world.ok(PROPOSALS, as_="publisher", publisher_id=publisher)
    return [e["node"] for e in data["linkProposals"]["edges"]]


async def test_weak_match_is_proposed_to_the_publishers_involved(world: World, pair: dict[str, str]) -> None:
    [p] = await proposals(world, "tx-tcole")
    assert (p["officer"]["registryId"], p["candidate"]["registryId"]) == (pair["new"], pair["old"])
    assert p["candidate"]["certificationNumbers"] == ["CA KM-1 (PEACE_OFFICER)"]
    assert any("nickname" in r for r in p["reasons"]) and p["status"] == "PENDING"
    assert [q["id"] for q in await proposals(world, "ca-post")] == [p["id"]]
    assert await proposals(world, "austin-pd") == []
    hiring = await world.gql(PROPOSALS, as_="hiring_agency", agency_ori="WA0170000")
    assert hiring["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_confirmation_merges_and_the_old_id_keeps_resolving(world: World, pair: dict[str, str]) -> None:
    [p] = await proposals(world, "tx-tcole")
    done = await world.publish_ok("tx-tcole", decision("identity.link_confirmed", "tx-tcole", p["id"]))
    assert done[0]["officerId"] == pair["old"]
    for officer_id in (pair["old"], pair["new"]):
        data = await world.ok(
            "query($id: ID!) { officer(id: $id) { id names { fullName kind } "
            "certifications { edges { node { number } } } } }",
            {"id": officer_id},
            as_="auditor",
            headers={"Registry-Purpose": "OVERSIGHT_AUDIT"},
        )
        officer = data["officer"]
        assert officer["id"] == pair["old"]
        assert {e["node"]["number"] for e in officer["certifications"]["edges"]} == {"KM-1", "KM-2"}
        assert {(n["fullName"], n["kind"]) for n in officer["names"]} == {
            ("Katherine Mills", "PRIMARY"),
            ("Kate Mills", "ALIAS"),
        }
    later = await world.publish_ok(
        "tx-tcole",
        cert_issued(
            publisher="tx-tcole",
            state="TX",
            number="KM-3",
            subj={"registryId": pair["new"]},
            source="km-3",
            kind="DE_ESCALATION_TRAINING",
        ),
    )
    assert later[0]["officerId"] == pair["old"]
    again = await world.publish(
        "tx-tcole", decision("identity.link_confirmed", "tx-tcole", p["id"]) | {"eventId": "x2"}
    )
    assert again["results"][0]["code"] == "CONFLICT"


async def test_rejection_keeps_two_people(world: World, pair: dict[str, str]) -> None:
    [p] = await proposals(world, "ca-post")
    await world.publish_ok("ca-post", decision("identity.link_rejected", "ca-post", p["id"], "Different academies."))
    data = await world.ok("{ linkProposals(status: REJECTED) { edges { node { status } } } }", as_="auditor")
    assert [e["node"]["status"] for e in data["linkProposals"]["edges"]] == ["REJECTED"]
    assert await proposals(world, "ca-post") == []
    for officer_id in (pair["old"], pair["new"]):  # still two officers, each resolving to itself
        data = await world.ok("query($id: ID!) { officer(id: $id) { id } }", {"id": officer_id}, as_="auditor",
                              headers={"Registry-Purpose": "OVERSIGHT_AUDIT"})
        assert data["officer"]["id"] == officer_id
    merged = await world.pool.fetchval("SELECT count(*) FROM officers WHERE merged_into IS NOT NULL")
    assert merged == 0


async def test_outsiders_cannot_decide(world: World, pair: dict[str, str]) -> None:
    [p] = await proposals(world, "tx-tcole")
    result = await world.publish("austin-pd", decision("identity.link_confirmed", "austin-pd", p["id"]))
    assert result["results"][0]["code"] == "FORBIDDEN"
