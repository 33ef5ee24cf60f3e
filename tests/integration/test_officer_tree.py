"""A history lookup reads the officer and their lists in one statement (store.officer_tree) and primes the
request's loaders with them: the rows must be exactly the loaders' own, every caller must get exactly the answer
the loaders' path gives (federation ``_entities`` reads through the loaders alone), and the lookup must take two
statements (the tree and the query-log entry) whatever the officer holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from registry import database
from server import create_app
from store import agencies, certifications, employment, officer_tree, officers, publishers, records
from tests.integration.test_n_plus_one import ours
from tests.support import World, cert_issued, employment_started, record_published, status_changed, subject

LISTS = """
  certifications { totalCount edges { node { id state number kind status statusReason issuedOn expiresOn
    publisher { id name } } } }
  employment { totalCount edges { node { id position startDate endDate separationReason agency { ori name }
    publisher { id } } } }
  records { totalCount edges { node { id kind state status actionDate reasonCategory narrative caseReference
    disputed subjectStatement fairProcessAttested publisher { id name } statusHistory { fromStatus toStatus reason }
  } } }"""
FIELDS = "id dateOfBirth names { kind fullName }" + LISTS
LOOKUP = "query($id: ID!) { officer(id: $id) { " + FIELDS + " } }"
NAMES_ONLY = "query($id: ID!) { officer(id: $id) { names { fullName } } }"
ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Officer { " + FIELDS + " } } }"

CALLERS: list[tuple[str | None, dict[str, str], str]] = [
    (None, {}, "OVERSIGHT_AUDIT"),
    ("hiring_agency", {"agency_ori": "WA0170000"}, "PRE_EMPLOYMENT_BACKGROUND_CHECK"),
    ("partner", {"partner_id": "acme-hr"}, "CREDENTIAL_VERIFICATION"),
    ("publisher", {"publisher_id": "ca-post"}, "OVERSIGHT_AUDIT"),
    ("publisher", {"publisher_id": "sunnyvale-dps"}, "OVERSIGHT_AUDIT"),
    ("publisher", {"publisher_id": "tx-tcole"}, "OVERSIGHT_AUDIT"),
    ("credentialing_body", {"publisher_id": "calea"}, "OVERSIGHT_AUDIT"),
    ("auditor", {}, "OVERSIGHT_AUDIT"),
    ("admin", {}, "OVERSIGHT_AUDIT"),
]


def _decision(proposal: str) -> dict[str, Any]:
    return {"type": "identity.link_confirmed", "publisher": "tx-tcole", "eventId": f"confirm-{proposal}",
            "issuedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "proposalId": int(proposal),
            "reason": "Same person: same academy class."}


@pytest.fixture
async def people(world: World) -> dict[str, str]:
    """An officer with every kind of row in every due-process state, one with nothing but a certification, and
    a merged pair (the old ID answers with the survivor)."""
    o = await world.publish_ok("ca-post", cert_issued(number="T-1", subj=subject("Olivia", "Ortega", "1984-02-03")))
    ref = {"registryId": o[0]["officerId"]}
    await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number="T-2", subj=ref,
                                                   source="tx-2"))
    await world.publish_ok("sunnyvale-dps", employment_started(subj=ref))
    await world.publish_ok("ca-post", record_published(source="final", subj=ref, status="FINAL", attested=True),
                           record_published(source="pending", subj=ref))
    await world.publish_ok("sunnyvale-dps", record_published(
        publisher="sunnyvale-dps", source="unattested", subj=ref, kind="TERMINATION", agency="CA0010000",
        status="FINAL", attested=False))
    await world.publish_ok("ca-post", status_changed(source="pending", status="HEARING_PENDING"))
    bare = await world.publish_ok("ca-post", cert_issued(number="T-3", subj=subject("Basil", "Bare", "1990-01-01"),
                                                         source="bare"))
    old = await world.publish_ok("ca-post", cert_issued(number="KM-1", subj=subject("Katherine", "Mills",
                                                                                       "1988-03-14"), source="km1"))
    new = await world.publish_ok("tx-tcole", cert_issued(publisher="tx-tcole", state="TX", number="KM-2",
                                                         subj=subject("Kate", "Mills", "1988-03-14"), source="km2"))
    await world.publish_ok("tx-tcole", record_published(publisher="tx-tcole", source="km-rec", state="TX",
                                                        subj={"registryId": new[0]["officerId"]}))
    proposals = await world.ok("{ linkProposals { edges { node { id } } } }", as_="publisher", publisher_id="tx-tcole")
    [proposal] = [e["node"]["id"] for e in proposals["linkProposals"]["edges"]]
    await world.publish_ok("tx-tcole", _decision(proposal))
    return {"full": ref["registryId"], "bare": bare[0]["officerId"], "survivor": old[0]["officerId"],
            "merged": new[0]["officerId"], "absent": "OFC-0000000000000"}


async def test_tree_rows_are_the_loaders_rows(world: World, people: dict[str, str]) -> None:
    pool = world.pool
    for requested in people.values():
        tree = await officer_tree.by_id(pool, requested, officer_tree.PARTS)
        [row] = await officers.by_ids(pool, [requested])
        if row is None:
            assert tree is None
            continue
        assert tree is not None and tree.officer == row
        oid = row.id
        [certs] = await certifications.by_officer_ids(pool, [oid])
        [jobs] = await employment.by_officer_ids(pool, [oid])
        [recs] = await records.by_officer_ids(pool, [oid])
        assert (tree.certifications, tree.employment, tree.records) == (certs, jobs, recs)
        ids = [r.id for r in recs]
        assert tree.history == dict(zip(ids, await records.history_by_record_ids(pool, ids), strict=True))
        if requested == people["full"]:
            assert len(recs) == 3 and any(tree.history.values()) and len(certs) == 2 and jobs
        pub_ids = sorted(row.publisher_ids)
        assert sorted(tree.publishers, key=lambda p: p.id) == await publishers.by_ids(pool, pub_ids)
        oris = sorted({j.agency_ori for j in jobs} | {r.agency_ori for r in recs if r.agency_ori})
        assert tree.agencies is not None
        assert sorted(tree.agencies, key=lambda a: a.ori) == [a for a in await agencies.by_oris(pool, oris) if a]
    only = await officer_tree.by_id(pool, people["full"], frozenset({"employment"}))
    assert only is not None and only.employment and (only.certifications, only.records, only.history) == (None,) * 3


async def test_every_caller_gets_the_loaders_answer(world: World, people: dict[str, str]) -> None:
    """The lookup (tree, primed loaders) and ``_entities`` (loaders alone) answer alike, errors and all, and log
    the same disclosures."""
    for role, bindings, purpose in CALLERS:
        token = world.token(role, **bindings) if role else None
        headers = {"Registry-Purpose": purpose}
        for requested in people.values():
            before = await world.pool.fetchval("SELECT count(*) FROM query_log")
            lookup = await world.gql(LOOKUP, {"id": requested}, token=token, headers=headers)
            logged = await world.pool.fetch("SELECT officer_id, returned FROM query_log ORDER BY id OFFSET $1", before)
            before += len(logged)
            entity = await world.gql(ENTITIES, {"r": [{"__typename": "Officer", "id": requested}]}, token=token,
                                     headers=headers)
            logged_too = await world.pool.fetch("SELECT officer_id, returned FROM query_log ORDER BY id OFFSET $1",
                                                before)
            where = (role, bindings, requested)
            assert (lookup.get("data") or {}).get("officer") == ((entity.get("data") or {}).get("_entities")
                                                                 or [None])[0], where
            assert _errors(lookup, 1) == _errors(entity, 2), where
            assert [dict(r) for r in logged] == [dict(r) for r in logged_too], where
    seen = await world.gql(LOOKUP, {"id": people["full"]}, as_="auditor", headers={"Registry-Purpose":
                                                                                  "OVERSIGHT_AUDIT"})
    officer = seen["data"]["officer"]
    assert len(officer["records"]["edges"]) == 3 and len(officer["certifications"]["edges"]) == 2
    assert any(e["node"]["statusHistory"] for e in officer["records"]["edges"])


def _errors(body: dict[str, Any], depth: int) -> list[tuple[tuple[Any, ...], str, str | None]]:
    """Each error below the officer (``depth``: the officer's own path's length): path, message and code. (Who may
    ask the root field at all differs by path: anonymous callers may not use ``officer``.)"""
    return [(tuple(e["path"][depth:]), e.get("message", ""), e.get("extensions", {}).get("code"))
            for e in body.get("errors") or [] if len(e.get("path") or []) > depth]


async def test_a_lookup_is_two_statements(world: World, people: dict[str, str], database_url: str) -> None:
    statements: list[str] = []
    pool: asyncpg.Pool = await database.create_pool(database_url, min_size=1, max_size=4,
                                                    on_query=lambda q: statements.append(q.query))
    app = create_app(world.settings, pool=pool, services=world.services)
    fragment = ("query($id: ID!) { officer(id: $id) { ...O } } fragment O on Officer { id ... on Officer {"
                + LISTS + " } }")
    counts = {}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client:
            for label, query, requested in [("full", LOOKUP, people["full"]), ("merged", LOOKUP, people["merged"]),
                                            ("fragments", fragment, people["full"]),
                                            ("names only", NAMES_ONLY, people["full"])]:
                statements.clear()
                resp = await client.post("/graphql", json={"query": query, "variables": {"id": requested}},
                                         headers={"Authorization": f"Bearer {world.token('auditor')}",
                                                  "Registry-Purpose": "OVERSIGHT_AUDIT"})
                body = resp.json()
                assert not body.get("errors") and body["data"]["officer"], body
                counts[label] = [s for s in statements if ours(s)]
    finally:
        await pool.close()
    for label in ("full", "merged", "fragments"):
        assert len(counts[label]) == 2 and "tree_certifications" in counts[label][0], (label, counts[label])
        assert counts[label][1].lstrip().startswith("INSERT INTO query_log"), counts[label]
    assert len(counts["names only"]) == 2 and "tree_" not in counts["names only"][0], counts["names only"]
