"""Each identity provider vouches only for the roles and bindings its entry names, for a bounded time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auth import issuers_file
from auth.dev_issuer import create_issuer_key, mint_token, write_public_jwks
from auth.principal import Role
from auth.tokens import AuthError, IssuerScope, TokenVerifier, TrustedIssuer
from registry.cli import main

STATE_IDP = "https://idp.ca.example"
AUDIENCE = "officer-registry"
CA_SCOPE = IssuerScope(frozenset({Role.PUBLISHER, Role.HIRING_AGENCY, Role.OFFICER}),
                       {"publisher_id": ("ca-*",), "agency_ori": ("CA*",), "officer_id": ("*",)})


@pytest.fixture
def state_idp(tmp_path: Path) -> tuple[TokenVerifier, Any]:
    key = create_issuer_key(tmp_path / "ca.jwk", kid="ca-1")
    write_public_jwks(key, tmp_path / "ca-jwks.json")
    verifier = TokenVerifier([TrustedIssuer(STATE_IDP, tmp_path / "ca-jwks.json", None, AUDIENCE, scope=CA_SCOPE)])
    return verifier, key


def token(key: Any, role: str, ttl: int = 600, **bindings: Any) -> str:
    return mint_token(key, issuer=STATE_IDP, audience=AUDIENCE, subject="someone", role=role, ttl_seconds=ttl,
                      **bindings)


@pytest.mark.parametrize(("role", "bindings", "says"), [
    ("auditor", {}, "may not assert the role auditor"),
    ("admin", {}, "may not assert the role admin"),
    ("partner", {"partner_id": "hr"}, "may not assert the role partner"),
    ("publisher", {"publisher_id": "tx-tcole"}, "may not assert publisher_id tx-tcole"),
    ("hiring_agency", {"agency_ori": "TX2270000"}, "may not assert agency_ori TX2270000"),
    ("credentialing_body", {"publisher_id": "ca-calea"}, "may not assert the role credentialing_body"),
])
async def test_a_state_provider_cannot_mint_beyond_its_scope(state_idp: tuple[TokenVerifier, Any], role: str,
                                                             bindings: dict[str, Any], says: str) -> None:
    verifier, key = state_idp
    with pytest.raises(AuthError, match=says):
        await verifier.verify(token(key, role, **bindings))


async def test_a_state_provider_mints_within_its_scope(state_idp: tuple[TokenVerifier, Any]) -> None:
    verifier, key = state_idp
    assert (await verifier.verify(token(key, "publisher", publisher_id="ca-post"))).publisher_id == "ca-post"
    assert (await verifier.verify(token(key, "hiring_agency", agency_ori="CA0194100"))).agency_ori == "CA0194100"
    assert (await verifier.verify(token(key, "officer", officer_id="OFC-DEM000000001"))).role is Role.OFFICER


async def test_a_token_living_longer_than_allowed_is_refused(state_idp: tuple[TokenVerifier, Any]) -> None:
    verifier, key = state_idp
    await verifier.verify(token(key, "publisher", ttl=3600, publisher_id="ca-post"))
    with pytest.raises(AuthError, match="lifetime exceeds 3600 seconds"):
        await verifier.verify(token(key, "publisher", ttl=7200, publisher_id="ca-post"))
    with pytest.raises(AuthError, match="lifetime exceeds"):  # no iat: counted from now
        await verifier.verify(mint_token(key, issuer=STATE_IDP, audience=AUDIENCE, subject="s", role="publisher",
                                         publisher_id="ca-post", ttl_seconds=30 * 86400, extra_claims={"iat": None}))


def _write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


GOOD = {"issuer": STATE_IDP, "jwks_url": "https://idp.ca.example/jwks", "roles": ["publisher", "hiring_agency"],
        "publisher_ids": ["ca-*"], "agency_oris": ["CA*"], "max_token_lifetime_seconds": 900}


def test_the_issuers_file_is_read_with_its_scope(tmp_path: Path) -> None:
    [issuer] = issuers_file.load(_write(tmp_path, [GOOD]), AUDIENCE)
    assert issuer.audience == AUDIENCE and issuer.max_lifetime_seconds == 900
    assert issuer.scope == IssuerScope(frozenset({Role.PUBLISHER, Role.HIRING_AGENCY}),
                                       {"publisher_id": ("ca-*",), "agency_ori": ("CA*",)})


@pytest.mark.parametrize(("doc", "says"), [
    ("{not json", "not valid JSON"),
    ([], "non-empty JSON list"),
    ([{k: v for k, v in GOOD.items() if k != "roles"}], "'roles' must list the roles"),
    ([GOOD | {"roles": ["publisher", "superuser"]}], "unknown role"),
    ([GOOD | {"roles": ["partner"]}], "role partner needs 'partner_ids'"),
    ([GOOD | {"agency_oris": "CA*"}], "'agency_oris' must be a list"),
    ([GOOD | {"role": "admin"}], "unknown key(s) role"),
    ([GOOD | {"max_token_lifetime_seconds": 10 ** 7}], "from 60 to 86400"),
    ([GOOD | {"jwks_url": "http://idp.example/jwks"}], "jwks_url must be https"),
], ids=["bad json", "empty", "no roles", "unknown role", "binding missing", "binding not a list", "typo",
        "lifetime", "plain http"])
def test_an_unusable_issuers_file_says_what_to_fix(tmp_path: Path, doc: Any, says: str) -> None:
    path = _write(tmp_path, doc)
    with pytest.raises(issuers_file.IssuersFileError) as err:
        issuers_file.load(path, AUDIENCE)
    assert says in str(err.value) and "REGISTRY_ISSUERS_FILE" in str(err.value) and str(path) in str(err.value)


def test_a_missing_issuers_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(issuers_file.IssuersFileError, match="no such file"):
        issuers_file.load(tmp_path / "absent.json", AUDIENCE)


def test_registry_token_refuses_outside_development_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REGISTRY_ENV", raising=False)
    assert main(["token", "--role", "auditor"]) == 2
    assert "REGISTRY_ENV=development" in capsys.readouterr().err
    monkeypatch.setenv("REGISTRY_ENV", "development")
    assert main(["token", "--role", "auditor", "--ttl", str(30 * 86400)]) == 2
    assert main(["token", "--role", "auditor"]) == 0
    assert capsys.readouterr().out.count(".") == 2  # a compact JWT
