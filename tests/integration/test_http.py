"""HTTP-level behaviour: tokens, probes, GraphiQL, batching, limits, suggestions, introspection."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import asyncpg
import httpx

from auth.dev_issuer import create_issuer_key, mint_token
from server import create_app
from tests.support import AUDIENCE, ISSUER, World


async def test_forged_tokens_are_401_not_anonymous(world: World, tmp_path: Path) -> None:
    stranger = create_issuer_key(tmp_path / "stranger.jwk")
    good = world.token("auditor")
    head, payload, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    none_head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    cases = {
        "tampered": f"{head}.{forged_payload}.{sig}",
        "alg none": f"{none_head}.{payload}.",
        "untrusted key": mint_token(stranger, issuer=ISSUER, audience=AUDIENCE, subject="x", role="admin"),
        "expired": mint_token(world.issuer_key, issuer=ISSUER, audience=AUDIENCE, subject="x", role="auditor",
                              now=time.time() - 7200, ttl_seconds=60),
        "wrong audience": mint_token(world.issuer_key, issuer=ISSUER, audience="other", subject="x", role="auditor"),
        "garbage": "not.a.token",
    }
    for name, token in cases.items():
        resp = await world.post("{ me { role } }", token=token)
        assert resp.status_code == 401, name
        assert resp.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name
    resp = await world.http.post("/graphql", json={"query": "{ me { role } }"}, headers={"Authorization": "Basic x"})
    assert resp.status_code == 401


async def test_me_reports_the_principal(world: World) -> None:
    data = await world.ok("{ me { role publisherId } }", as_="publisher", publisher_id="ca-post")
    assert data["me"] == {"role": "publisher", "publisherId": "ca-post"}
    assert (await world.ok("{ me { role } }"))["me"]["role"] == "public"


async def test_health_and_readiness(world: World) -> None:
    assert (await world.http.get("/healthz")).json() == {"status": "ok"}
    ready = await world.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_readiness_fails_without_database(tmp_path: Path, world: World) -> None:
    broken = await asyncpg.create_pool("postgresql://nobody@127.0.0.1:1/none", min_size=0)
    app = create_app(world.settings, pool=broken, services=world.services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as client:
        resp = await client.get("/readyz")
    await broken.close()
    assert resp.status_code == 503 and "unreachable" in resp.json()["reason"]


async def test_graphiql_only_when_configured(world: World, pool: asyncpg.Pool, tmp_path: Path) -> None:
    html = {"Accept": "text/html"}
    off = await world.http.get("/graphql", headers=html)
    assert off.status_code == 404 and "graphiql" not in off.text.lower(), (off.status_code, off.text[:200])
    dev = World(pool, tmp_path / "dev", graphiql=True)
    page = await dev.http.get("/graphql", headers=html)
    assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_batching_is_off(world: World) -> None:
    resp = await world.http.post("/graphql", json=[{"query": "{ me { role } }"}, {"query": "{ me { role } }"}])
    assert resp.status_code == 400


async def test_depth_alias_and_token_limits(world: World) -> None:
    deep = "{ record(id: \"x\") { officer { records { edges { node { officer { records { edges { node { officer {" \
           " records { edges { node { id } } } } } } } } } } } } } }"
    body = await world.gql(deep, as_="auditor")
    assert "depth" in body["errors"][0]["message"].lower()
    aliases = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(40)) + " }"
    body = await world.gql(aliases)
    assert "alias" in body["errors"][0]["message"].lower()
    tokens = "{ me { " + " ".join(["role"] * 6000) + " } }"
    body = await world.gql(tokens)
    assert "token" in body["errors"][0]["message"].lower()


async def test_page_size_is_capped(world: World) -> None:
    body = await world.gql("{ agencies(first: 5000) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = await world.gql("{ agencies(first: 2, after: \"%%%\") { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_no_field_suggestions(world: World) -> None:
    body = await world.gql("{ officr(id: \"x\") { id } }", as_="auditor")
    message = body["errors"][0]["message"]
    assert "Did you mean" not in message and "officer" not in message


async def test_introspection_and_service_sdl_need_authentication(world: World) -> None:
    anon = await world.gql("{ __schema { queryType { name } } }")
    assert anon.get("errors") and "introspection" in anon["errors"][0]["message"].lower()
    anon_sdl = await world.gql("{ _service { sdl } }")
    assert anon_sdl["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    authed = await world.ok("{ __schema { queryType { name } } _service { sdl } }", as_="partner", partner_id="acme")
    assert authed["__schema"]["queryType"]["name"] == "Query" and "type Officer" in authed["_service"]["sdl"]


async def test_client_mistakes_are_not_500(world: World) -> None:
    for payload in [b"{not json", b'{"query": 5}', b'{"variables": {}}']:
        resp = await world.http.post("/graphql", content=payload, headers={"Content-Type": "application/json"})
        assert 400 <= resp.status_code < 500, payload
    body = await world.gql("query($id: ID!) { officer(id: $id) { id } }", {"id": None}, as_="auditor")
    assert body["errors"] and "Traceback" not in json.dumps(body)
    body = await world.gql("{ verifyCertification(state: \"California\", number: \"1\", "
                           "purpose: CREDENTIAL_VERIFICATION) { status } }",
                           as_="partner", partner_id="acme")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
