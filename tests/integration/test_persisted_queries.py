"""Automatic persisted queries through the real app: the protocol's answers, and one store per caller (whether a
hash is known never tells a caller what another caller asked)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from auth.dev_issuer import mint_token
from tests.support import AUDIENCE, ISSUER, World, cert_issued, subject
from web.persisted_queries import QueryStore

ME = "query Me { me { role } }"


def _sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def _token(world: World, subject_: str, role: str = "auditor", **bindings: Any) -> str:
    return mint_token(world.issuer_key, issuer=ISSUER, audience=AUDIENCE, subject=subject_, role=role, **bindings)


async def _send(world: World, token: str | None, *, query: str | None = None, digest: str | None = None,
                version: Any = 1, variables: dict[str, Any] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": version, "sha256Hash": digest}}}
    if query is not None:
        body["query"] = query
    if variables is not None:
        body["variables"] = variables
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await world.http.post("/graphql", json=body, headers=headers)


def _code(resp: httpx.Response) -> str:
    return str(resp.json()["errors"][0]["extensions"]["code"])


async def test_a_hash_sent_with_its_query_runs_later_alone(world: World) -> None:
    token = _token(world, "auditor-a")
    unknown = await _send(world, token, digest=_sha(ME))
    assert unknown.status_code == 200 and _code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown.json()["errors"][0]["message"] == "PersistedQueryNotFound"  # what Apollo's clients look for
    first = await _send(world, token, query=ME, digest=_sha(ME))
    assert first.status_code == 200 and first.json() == {"data": {"me": {"role": "auditor"}}}
    again = await _send(world, token, digest=_sha(ME))
    assert again.status_code == 200 and again.json() == first.json()


async def test_the_hash_must_be_the_querys_and_the_shape_the_protocols(world: World) -> None:
    token = _token(world, "auditor-a")
    wrong = await _send(world, token, query=ME, digest=_sha(ME + " "))
    assert wrong.status_code == 400 and _code(wrong) == "BAD_REQUEST" and "SHA-256" in wrong.json()["errors"][0][
        "message"]
    assert _code(await _send(world, token, digest=_sha(ME))) == "PERSISTED_QUERY_NOT_FOUND"  # nothing was kept
    for version, digest in ((2, _sha(ME)), (1, _sha(ME).upper()), (1, "abc"), ("1", _sha(ME)), (1, None)):
        bad = await _send(world, token, query=ME, digest=digest, version=version)
        assert bad.status_code == 400 and _code(bad) == "BAD_REQUEST", (version, digest, bad.text)
    odd = await world.http.post("/graphql", json={"query": ME, "extensions": {"persistedQuery": "yes"}},
                                headers={"Authorization": f"Bearer {token}"})
    assert odd.status_code == 400 and _code(odd) == "BAD_REQUEST"


async def test_anonymous_callers_have_no_store(world: World) -> None:
    alone = await _send(world, None, digest=_sha(ME))
    assert alone.status_code == 200 and _code(alone) == "PERSISTED_QUERY_NOT_SUPPORTED"
    with_query = await _send(world, None, query="{ __typename }", digest=_sha("{ __typename }"))
    assert with_query.status_code == 200 and with_query.json() == {"data": {"__typename": "Query"}}
    assert _code(await _send(world, None, digest=_sha("{ __typename }"))) == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_one_callers_queries_are_not_anothers(world: World) -> None:
    """Non-interference: caller B's answers are the same whether or not caller A ran (and so stored) a query
    naming an officer; B cannot use A's hash."""
    [row] = await world.publish_ok("ca-post", cert_issued(number="P-1", subj=subject("Ada", "Byrne", "1980-02-03")))
    about = f'query About {{ officer(id: "{row["officerId"]}", purpose: OVERSIGHT_AUDIT) {{ id }} }}'
    a, b = _token(world, "auditor-a"), _token(world, "auditor-b")
    before = await _send(world, b, digest=_sha(about))
    stored = await _send(world, a, query=about, digest=_sha(about))
    assert stored.status_code == 200 and "errors" not in stored.json()
    after = await _send(world, b, digest=_sha(about))
    assert (before.status_code, before.json()) == (after.status_code, after.json())
    assert _code(after) == "PERSISTED_QUERY_NOT_FOUND"
    assert (await _send(world, a, digest=_sha(about))).json() == stored.json()  # A's own hash still works


async def test_a_persisted_query_runs_under_every_rule_of_a_sent_one(world: World) -> None:
    """The stored text is run as if sent: the caller's role and the purpose rule still apply."""
    [row] = await world.publish_ok("ca-post", cert_issued(number="P-2", subj=subject("Ada", "Byrne", "1980-02-03")))
    lookup = "query L($id: ID!) { officer(id: $id) { id } }"
    hiring = _token(world, "hr-1", "hiring_agency", agency_ori="WA0010000")
    sent = await _send(world, hiring, query=lookup, digest=_sha(lookup), variables={"id": row["officerId"]})
    persisted = await _send(world, hiring, digest=_sha(lookup), variables={"id": row["officerId"]})
    assert sent.json() == persisted.json()
    assert sent.json()["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"


def test_the_store_is_bounded_per_caller_and_in_callers() -> None:
    store = QueryStore(bytes_per_caller=100, callers=2)
    store.put(("i", "a"), "h1", "x" * 60)
    store.put(("i", "a"), "h2", "y" * 30)
    assert store.get(("i", "a"), "h1") == "x" * 60  # h1 is now the most recently used
    store.put(("i", "a"), "h3", "z" * 30)  # 120 bytes: the least recently used (h2) goes
    assert [store.get(("i", "a"), h) for h in ("h1", "h2", "h3")] == ["x" * 60, None, "z" * 30]
    store.put(("i", "a"), "big", "w" * 101)  # larger than a caller's whole store: kept nowhere
    assert store.get(("i", "a"), "big") is None and store.get(("i", "a"), "h1") == "x" * 60
    store.put(("i", "b"), "h", "b")
    store.put(("i", "c"), "h", "c")  # a third caller: the least recently used caller (a) goes
    assert store.get(("i", "a"), "h1") is None and store.get(("i", "b"), "h") == "b"
    assert store.get(("j", "b"), "h") is None  # the same subject from another issuer is another caller

