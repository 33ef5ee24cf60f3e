"""Error paths are answers: a malformed request gets a 4xx with one line and a code, never a 500, and every
GraphQL error carries ``extensions.code``; a database outage says so (503-style), not a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from reporting import csv_export
from tests.support import World, free_port

JSON = {"content-type": "application/json"}


def _only_error(body: dict[str, Any]) -> tuple[str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


@pytest.mark.parametrize(("raw", "says"), [
    (b'{"query": "{ me { role } }", "x": "\xff"}', "not valid UTF-8"),
    (b"null", "must be a JSON object"),
    (b"42", "must be a JSON object"),
    (b'"{ me { role } }"', "must be a JSON object"),
    (b"{nope", "not valid JSON"),
    (b'{"query": "{ me { role } }", "variables": ' + b"[" * 1000 + b"]" * 1000 + b"}", "nested deeper"),
    (b"[" * 100_000 + b"]" * 100_000, "nested deeper"),
    (b'{"query": "{ me { role } }", "variables": {"a": ' + b'{"b": ' * 70 + b"1" + b"}" * 71 + b"}", "nested deeper"),
    (b'[{"query": "{ me { role } }"}]', "batched requests are not supported"),
    (b'{"query": 5}', "'query' must be a string"),
    (b'{"query": "{ me { role } }", "variables": [1]}', "'variables' must be an object"),
    (b'{"query": "{ me { role } }", "operationName": 7}', "'operationName' must be a string"),
], ids=["invalid utf-8", "null", "number", "string", "not json", "deep variables", "deep list", "deep objects",
        "batch", "query not a string", "variables a list", "operation name not a string"])
async def test_a_malformed_body_is_a_400_with_a_code(world: World, raw: bytes, says: str) -> None:
    resp = await world.http.post("/graphql", content=raw, headers=JSON)
    assert resp.status_code == 400, resp.text
    code, message = _only_error(resp.json())
    assert code == "BAD_REQUEST" and says in message, message


async def test_a_body_over_the_limit_is_refused_before_it_is_read(pool: asyncpg.Pool, clean: None,
                                                                  tmp_path: Path) -> None:
    world = World(pool, tmp_path, max_body_bytes=2048)
    small = json.dumps({"query": "{ me { role } }"})
    assert (await world.http.post("/graphql", content=small, headers=JSON)).status_code == 200
    big = json.dumps({"query": "{ me { role } }", "variables": {"pad": "x" * 4096}})
    resp = await world.http.post("/graphql", content=big, headers=JSON)
    assert resp.status_code == 413 and _only_error(resp.json())[0] == "PAYLOAD_TOO_LARGE"
    assert "REGISTRY_MAX_BODY_BYTES" in _only_error(resp.json())[1]

    async def chunks() -> Any:  # no content-length: counted as it arrives
        for _ in range(4):
            yield b" " * 1024
    resp = await world.http.post("/graphql", content=chunks(), headers=JSON)
    assert resp.status_code == 413


@pytest.mark.parametrize(("query", "code"), [
    ("{ nosuchfield }", "GRAPHQL_VALIDATION_FAILED"),
    ("{ me { ", "GRAPHQL_PARSE_FAILED"),
    ("{" * 3000 + "}" * 3000, "GRAPHQL_PARSE_FAILED"),
    ("{ " + " ".join(f"a{i}: me {{ role }}" for i in range(40)) + " }", "GRAPHQL_VALIDATION_FAILED"),
    ("{ __schema { types { name } } }", "GRAPHQL_VALIDATION_FAILED"),  # introspection refused to the anonymous
    ('query($d: Date!) { searchOfficers(input: {givenName: "a", familyName: "b", dateOfBirth: $d}) { score } }',
     "BAD_USER_INPUT"),  # a variable never given
], ids=["unknown field", "syntax", "deep document", "too many aliases", "introspection", "missing variable"])
async def test_every_graphql_error_has_a_code(world: World, query: str, code: str) -> None:
    resp = await world.post(query)
    assert resp.status_code in (200, 400), resp.text
    codes = {e.get("extensions", {}).get("code") for e in resp.json()["errors"]}
    assert codes == {code}, resp.text


async def test_a_variable_that_cannot_be_read_is_bad_user_input_not_masked(world: World) -> None:
    query = 'query($d: Date!) { searchOfficers(input: {givenName: "a", familyName: "b", dateOfBirth: $d}) { score } }'
    for value in ("2020-13-45", "yesterday", 5):
        resp = await world.post(query, {"d": value}, token=world.token("auditor"))
        code, message = _only_error(resp.json())
        assert code == "BAD_USER_INPUT" and "Internal error" not in message, resp.text


async def test_an_unexpected_error_is_masked_and_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """A failure inside the registry (here a column its code reads has gone) reaches the caller as one line with
    a code, nothing of the cause; the cause goes to the log. Subscriptions' events are masked by the same rule."""
    await world.pool.execute("ALTER TABLE agencies RENAME COLUMN name TO name_moved_away")
    try:
        with caplog.at_level("ERROR", logger="registry.errors"):
            body = await world.gql('{ agency(ori: "WA0170000") { ori name } }', as_="auditor")
    finally:
        await world.pool.execute("ALTER TABLE agencies RENAME COLUMN name_moved_away TO name")
    [error] = body["errors"]
    assert len(error["extensions"].pop("requestId")) == 32  # to find the log line by
    assert error == {"message": "Internal error; it has been logged.", "locations": [{"line": 1, "column": 3}],
                     "path": ["agency"], "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
    assert "moved_away" not in json.dumps(body)
    assert any(isinstance(r.exc_info[1], asyncpg.UndefinedColumnError) for r in caplog.records if r.exc_info)


async def test_a_forged_entity_representation_is_bad_user_input(world: World) -> None:
    for rep in ({"__typename": "Officer", "id": "OFC-0000000000Z0", "dateOfBirth": "1980-01-01"},
                {"__typename": "Officer"}, {"__typename": "Officer", "id": 5}, {"__typename": "Nope", "id": "x"},
                {"id": "x"}):
        body = await world.gql("query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
                               {"r": [rep]}, as_="auditor", headers={"Registry-Purpose": "OVERSIGHT_AUDIT"})
        assert body["data"]["_entities"] == [None], body
        assert _only_error(body)[0] == "BAD_USER_INPUT", body



async def test_a_database_outage_is_service_unavailable_not_a_traceback(tmp_path: Path) -> None:
    dead = await asyncpg.create_pool(f"postgresql://registry@127.0.0.1:{free_port()}/registry", min_size=0,
                                     max_size=1, timeout=2)
    world = World(dead, tmp_path)
    body = await world.gql('query { officer(id: "OFC-0000000000Z0", purpose: OVERSIGHT_AUDIT) { id } }',
                           as_="auditor")
    code, message = _only_error(body)
    assert code == "SERVICE_UNAVAILABLE" and "try again" in message and "Traceback" not in json.dumps(body)
    for path in ("/checkpoint", "/public", "/public/statistics.csv"):
        resp = await world.http.get(path)
        assert resp.status_code == 503, (path, resp.text)
        assert resp.json()["error"]["code"] == "SERVICE_UNAVAILABLE" and resp.headers["retry-after"] == "5"
    await dead.close()


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"])
def test_a_csv_cell_that_starts_like_a_formula_stays_text(value: str) -> None:
    text = csv_export.write(["name", "n"], [[value, -3]])
    assert text.splitlines()[1].lstrip('"').startswith("'"), text
    assert text.rstrip("\n").endswith(",-3")  # numbers stay numbers
    assert csv_export.write(["name"], [["Bayview PD"]]) == "name\nBayview PD\n"


async def test_the_auditor_csv_neutralises_a_formula_in_an_agency_name(world: World) -> None:
    await world.ok("mutation($i: AgencyInput!) { registerAgency(input: $i) { ori } }",
                   {"i": {"ori": "CA0990000", "name": "=HYPERLINK(\"http://evil.example\",\"x\")", "state": "CA",
                          "level": "LOCAL"}}, as_="admin")
    resp = await world.http.get("/reports/grant-eligibility.csv?year=2024&state=CA",
                                headers={"Authorization": f"Bearer {world.token('auditor')}"})
    assert resp.status_code == 200, resp.text
    line = next(row for row in resp.text.splitlines() if row.startswith("CA0990000"))
    assert ",\"'=HYPERLINK(" in line and ",\"=HYPERLINK(" not in line, line


async def test_cached_documents_keep_every_rule_for_every_caller(world: World) -> None:
    """Parsing and validation are cached by document (schema/limits.py). A document validated for one caller is
    not thereby valid for another: introspection an authenticated caller may run stays refused to the anonymous
    one, in either order; a refused document stays refused when repeated; and a repeat is a cache hit."""
    from strawberry.extensions.parser_cache import _get_parse_cache

    from schema import limits

    parse_cache: Any = _get_parse_cache(limits.DOCUMENT_CACHE_SIZE)  # functools.lru_cache
    doc = "{ __schema { queryType { name } } }"
    for _ in range(2):
        assert (await world.ok(doc, as_="auditor"))["__schema"]["queryType"]["name"] == "Query"
        body = await world.gql(doc)
        assert body.get("data") is None and body["errors"], body
        assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
    too_deep = "{ " + "officer(id: \"x\") { records { edges { node { officer { " * 4 + "id" + " } } } } }" * 4 + " }"
    refused = [await world.gql(too_deep, as_="auditor") for _ in range(2)]
    assert refused[0] == refused[1] and refused[0]["errors"]
    assert {e["extensions"]["code"] for e in refused[0]["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("exceeds maximum operation depth" in e["message"] for e in refused[0]["errors"]), refused[0]
    deep = '{ me { role } officer(id: "x") { id } }'  # two root fields: graphql-core's, not a compiled plan's
    validated: Any = limits._validator(limits.DOCUMENT_CACHE_SIZE)  # keyed by the cached document's identity
    before, checked = parse_cache.cache_info().hits, validated.cache_info()
    await world.gql(deep, as_="publisher", publisher_id="ca-post")
    await world.gql(deep, as_="publisher", publisher_id="ca-post")
    assert parse_cache.cache_info().hits >= before + 1
    assert validated.cache_info().hits >= checked.hits + 1 and validated.cache_info().misses <= checked.misses + 1


async def test_a_long_query_is_answered_but_not_cached(world: World) -> None:
    """The token limit does not bound a comment's length, and a cached document holds its whole text: a query
    longer than CACHED_QUERY_CHARS is parsed, validated and executed each time, never kept (neither by the parse
    and validation caches, the compiled plans nor the replica routing's operation kinds)."""
    from strawberry.extensions.parser_cache import _get_parse_cache

    from schema import limits

    parse_cache: Any = _get_parse_cache(limits.DOCUMENT_CACHE_SIZE)
    validated: Any = limits._validator(limits.DOCUMENT_CACHE_SIZE)
    planner = world.app.state.planner
    padding = "# " + "x" * (limits.CACHED_QUERY_CHARS + 1) + "\n"
    query = padding + '{ officer(id: "OFC-000000000000") { id } }'
    from web import read_routing

    operations: Any = read_routing._remembered
    before = (parse_cache.cache_info().currsize, validated.cache_info().currsize, planner.plan_for.cache_info(),
              operations.cache_info().currsize)
    for _ in range(2):
        assert await world.ok(query, as_="auditor", headers={"Registry-Purpose": "OVERSIGHT_AUDIT"}) == \
            {"officer": None}
    assert (parse_cache.cache_info().currsize, validated.cache_info().currsize) == before[:2]
    assert planner.plan_for.cache_info() == before[2]
    assert operations.cache_info().currsize == before[3]  # the replica routing's operation kind
    # the same query without the comment is cached, and a compiled plan answers it
    short = query.removeprefix(padding)
    planned = planner.counts["planned"]
    assert await world.ok(short, as_="auditor", headers={"Registry-Purpose": "OVERSIGHT_AUDIT"}) == {"officer": None}
    assert planner.counts["planned"] == planned + 1
