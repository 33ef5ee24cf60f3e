"""Nested lists load through DataLoaders: the statement count does not grow with the page size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import httpx

from registry import database
from server import create_app
from tests.support import World, cert_issued, record_published, subject


def ours(statement: str) -> bool:
    """Not asyncpg's own traffic: connection reset on release, and per-connection type introspection."""
    s = statement.strip()
    return not (s.startswith("SELECT pg_advisory_unlock_all") or "typeinfo_tree" in s or "'jit'" in s)

QUERY = """query($n: Int!) { officers(first: $n, purpose: OVERSIGHT_AUDIT) { edges { node {
  id names { fullName } dateOfBirth
  certifications { edges { node { number status publisher { name } } } }
  employment { totalCount }
  records { edges { node { kind status narrative publisher { name } statusHistory { toStatus } } } } } } } }"""


async def test_constant_statements_for_50_officers(world: World, database_url: str, tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    for i in range(50):
        person = subject(f"Given{i:02d}", f"Family{i:02d}", f"19{60 + i % 30}-0{1 + i % 9}-1{i % 9}")
        events.append(cert_issued(number=f"N{i:03d}", subj=person, source=f"c{i}"))
    rows = await world.publish_ok("ca-post", *events)
    records = [record_published(source=f"r{i}", subj={"registryId": r["officerId"]}) for i, r in enumerate(rows)]
    await world.publish_ok("ca-post", *records)

    statements: list[str] = []
    pool: asyncpg.Pool = await database.create_pool(database_url, min_size=1, max_size=4,
                                                    on_query=lambda q: statements.append(q.query))
    app = create_app(world.settings, pool=pool, services=world.services)
    token = world.token("auditor")
    counts = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client:
        for n in (5, 50):
            statements.clear()
            resp = await client.post("/graphql", json={"query": QUERY, "variables": {"n": n}},
                                     headers={"Authorization": f"Bearer {token}"})
            body = resp.json()
            assert not body.get("errors"), body["errors"]
            assert len(body["data"]["officers"]["edges"]) == n
            counts[n] = len([s for s in statements if ours(s)])
    await pool.close()
    assert counts[5] == counts[50], counts
    assert counts[50] <= 10, statements
