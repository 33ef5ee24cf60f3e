"""Configuration mistakes stop the registry with one line before any database starts; input the database
would refuse is BAD_USER_INPUT naming the field, on every mutation, never an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from ledger.events import generate_ed25519_jwk, public_jwk_dict
from schema import build_schema
from tests.support import World

ROOT = Path(__file__).resolve().parents[2]


def _registry(args: list[str], env: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_") and k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "registry.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**base, "REGISTRY_DATA_DIR": str(data_dir), **env}, timeout=120, check=False)


@pytest.mark.parametrize(("env", "names"), [
    ({}, "REGISTRY_ISSUERS_FILE"),  # production mode with no identity provider
    ({"REGISTRY_ISSUERS_FILE": "/nonexistent/issuers.json"}, "REGISTRY_ISSUERS_FILE /nonexistent/issuers.json"),
    ({"REGISTRY_MAX_DEPTH": "deep"}, "REGISTRY_MAX_DEPTH"),
    ({"REGISTRY_ENV": "prod"}, "REGISTRY_ENV"),
    ({"REGISTRY_INTROSPECTION": "sometimes"}, "REGISTRY_INTROSPECTION"),
    ({"REGISTRY_CHECKPOINT_SECONDS": "soon"}, "REGISTRY_CHECKPOINT_SECONDS"),
    ({"REGISTRY_WEBHOOK_TIMEOUT": "90"}, "REGISTRY_WEBHOOK_LEASE"),
    ({"REGISTRY_ENV": "development", "REGISTRY_SSN_KEY": "not-hex"}, "REGISTRY_SSN_KEY"),
    ({"REGISTRY_ENV": "development", "REGISTRY_LOG_SIGNER_KEY": "garbage"}, "REGISTRY_LOG_SIGNER_KEY"),
    ({"REGISTRY_ENV": "development", "REGISTRY_ATTESTATION_ISSUER": "registry.example"}, "REGISTRY_ATTESTATION_ISSUER"),
    ({"REGISTRY_ENV": "development", "REGISTRY_ATTESTATION_ISSUER": "https://r.example/?t=1"},
     "REGISTRY_ATTESTATION_ISSUER"),
    ({"REGISTRY_LOG_FORMAT": "xml"}, "REGISTRY_LOG_FORMAT"),
    ({"REGISTRY_METRICS_TOKEN": "short"}, "REGISTRY_METRICS_TOKEN"),
    ({"DATABASE_REPLICA_URLS": "postgresql://r1/db, mysql://u:secret@r2/db"}, "DATABASE_REPLICA_URLS"),
    ({"REGISTRY_REPLICA_MAX_LAG": "-1"}, "REGISTRY_REPLICA_MAX_LAG"),
    ({"PORT": "http"}, "PORT"),
    ({"REGISTRY_WORKERS": "two"}, "REGISTRY_WORKERS"),
    ({"REGISTRY_DB_POOL_SIZE": "1"}, "REGISTRY_DB_POOL_SIZE"),
], ids=["no issuers", "missing file", "not a number", "unknown mode", "unknown choice", "bad seconds",
        "lease shorter than timeout", "ssn key", "log key", "issuer not a URL", "issuer with a query", "log format",
        "metrics token", "replica URL", "replica lag", "port", "workers", "pool size"])
def test_serve_with_a_configuration_mistake_says_so_in_one_line(tmp_path: Path, env: dict[str, str],
                                                                names: str) -> None:
    done = _registry(["serve", "--port", "1"], env, tmp_path)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and names in lines[0], done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "pgdata").exists()  # no database was started
    check = _registry(["check-config"], env, tmp_path)
    assert check.returncode == 2 and check.stderr.strip() == lines[0]


def test_check_config_summarises_a_good_configuration(tmp_path: Path) -> None:
    done = _registry(["check-config", "--dev"], {}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("configuration OK (development mode): 1 trusted token issuer(s)")


async def test_register_publisher_names_the_field_it_refuses(world: World) -> None:
    query = "mutation($i: PublisherInput!) { registerPublisher(input: $i) { id } }"
    cases = [
        ({"id": "ny-post", "kind": "POST_BOARD", "name": "New York POST", "state": "New York"}, "state"),
        ({"id": "NY POST", "kind": "POST_BOARD", "name": "New York POST", "state": "NY"}, "id"),
        ({"id": "ny-post", "kind": "POST_BOARD", "name": "x" * 301, "state": "NY"}, "name"),
        ({"id": "ny-pd", "kind": "AGENCY", "name": "NYPD", "agencyOri": "NYPD"}, "agencyOri"),
    ]
    for value, field in cases:
        body = await world.gql(query, {"i": value}, as_="admin")
        [error] = body["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, (value, error)
        assert field in error["message"]
    ok = await world.ok(query, {"i": {"id": "ny-post", "kind": "POST_BOARD", "name": "x" * 300, "state": "ny"}},
                        as_="admin")
    assert ok["registerPublisher"]["id"] == "ny-post"


async def test_one_public_key_is_registered_once(world: World) -> None:
    key = generate_ed25519_jwk("first-kid")
    query = "mutation($p: String!, $j: JSON!) { addPublisherKey(publisherId: $p, jwk: $j) { kid } }"
    await world.ok(query, {"p": "ca-post", "j": public_jwk_dict(key)}, as_="admin")
    again = {**public_jwk_dict(key), "kid": "second-kid"}
    for publisher in ("ca-post", "tx-tcole"):
        body = await world.gql(query, {"p": publisher, "j": again}, as_="admin")
        [error] = body["errors"]
        assert error["extensions"]["code"] == "CONFLICT" and "already registered as kid first-kid" in error["message"]


def _value(kind: GraphQLInputType, long: str) -> Any:
    """A value of the type with every string as long as ``long`` (enums: their first value)."""
    if isinstance(kind, GraphQLNonNull):
        return _value(kind.of_type, long)
    if isinstance(kind, GraphQLList):
        return [_value(kind.of_type, long)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        return {name: _value(f.type, long) for name, f in kind.fields.items()}
    assert isinstance(kind, GraphQLScalarType)
    return {"Int": 1, "Float": 1.0, "Boolean": False, "JSON": {"kid": long}, "Date": "2020-01-01",
            "DateTime": "2020-01-01T00:00:00Z"}.get(kind.name, long)


def _mutations() -> list[tuple[str, str, list[str]]]:
    mutation = build_schema()._schema.mutation_type
    assert mutation is not None
    out = []
    for name, field in sorted(mutation.fields.items()):
        params = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
        call = ", ".join(f"{a}: ${a}" for a in field.args)
        selection = " { __typename }" if not isinstance(_unwrap(field.type), GraphQLScalarType) else ""
        text = f"mutation{f'({params})' if params else ''} {{ {name}{f'({call})' if call else ''}{selection} }}"
        out.append((name, text, list(field.args)))
    return out


def _unwrap(kind: Any) -> Any:
    while hasattr(kind, "of_type"):
        kind = kind.of_type
    return kind


@pytest.fixture
async def impatient(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    """A registry whose upload batches wait a quarter of a second for the batch before them: a publishEvents of a
    later batch of an upload nobody sent would otherwise wait the default 30 s before its (correct) refusal."""
    world = World(pool, tmp_path, upload_wait_seconds=0.25)
    await world.setup()
    return world


@pytest.mark.parametrize("length", [40, 201, 4001, 100_000])
async def test_no_mutation_fails_inside_on_long_strings(impatient: World, length: int) -> None:
    """Every mutation, every string input at and past its limits, as every role that may call something."""
    world = impatient
    mutation = build_schema()._schema.mutation_type
    assert mutation is not None
    roles = [("admin", {}), ("officer", {"officer_id": "OFC-0000000000Z0"}), ("publisher", {"publisher_id": "ca-post"}),
             ("hiring_agency", {"agency_ori": "TX2270000"}), ("partner", {"partner_id": "p"})]
    checked = 0
    for name, text, args in _mutations():
        variables = {a: _value(mutation.fields[name].args[a].type, "x" * length) for a in args}
        for role, bindings in roles:
            resp = await world.post(text, variables, token=world.token(role, **bindings))
            assert resp.status_code in (200, 400, 413), (name, role, resp.text[:300])
            codes = {e.get("extensions", {}).get("code") for e in resp.json().get("errors") or []}
            assert "INTERNAL_SERVER_ERROR" not in codes and None not in codes, (name, role, resp.text[:500])
            checked += 1
    assert checked == len(_mutations()) * len(roles) and len(_mutations()) >= 15
