"""Bearer-token verification: every known way to forge or misuse a token is refused, and the
legitimate variants (legacy EdDSA, a second ES256 issuer, clock skew, key rotation) get through."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from auth.dev_issuer import (
    create_issuer_key,
    load_issuer_key,
    mint_token,
    public_jwks,
    write_public_jwks,
)
from auth.principal import Role
from auth.tokens import AuthError, TokenVerifier, TrustedIssuer

ISSUER = "https://idp.test/registry"
AUDIENCE = "officer-registry"
ISSUER_2 = "https://idp2.test"
JWKS_URL_2 = "https://idp2.test/.well-known/jwks.json"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj: Any) -> str:
    return b64(json.dumps(obj).encode())


def unb64(seg: str) -> bytes:
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


def base_claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "role": "auditor",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(over)
    return claims


def write_padded(path: Path, document: dict[str, Any], mtime_ns: int | None = None) -> None:
    """Write a JWKS padded to a fixed size, optionally pinning its mtime: lets a test replace the
    content without changing the (size, mtime) stamp, as happens on coarse-mtime filesystems."""
    path.write_text(json.dumps(document).ljust(4096))
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


@pytest.fixture
def key(tmp_path: Path) -> OKPKey:
    return create_issuer_key(tmp_path / "issuer.jwk", kid="k1")


@pytest.fixture
def jwks_file(tmp_path: Path, key: OKPKey) -> Path:
    path = tmp_path / "jwks.json"
    write_public_jwks(key, path)
    return path


@pytest.fixture
def verifier(jwks_file: Path) -> TokenVerifier:
    return TokenVerifier([TrustedIssuer(ISSUER, jwks_file, None, AUDIENCE)])


def mint(key: OKPKey | ECKey | RSAKey, **kw: Any) -> str:
    args: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, "subject": "user-1", "role": Role.AUDITOR}
    args.update(kw)
    return mint_token(key, **args)


async def refused(verifier: TokenVerifier, token: str, match: str) -> AuthError:
    with pytest.raises(AuthError, match=match) as info:
        await verifier.verify(token)
    assert info.value.code == "UNAUTHENTICATED"
    return info.value


# --------------------------------------------------------------------------------- attacks


async def test_alg_none_refused(verifier: TokenVerifier) -> None:
    token = f"{b64json({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{b64json(base_claims())}."
    await refused(verifier, token, "unsupported algorithm")


async def test_alg_none_case_variants_refused(verifier: TokenVerifier) -> None:
    for alg in ("None", "NONE", "nOnE", ""):
        token = f"{b64json({'alg': alg, 'kid': 'k1'})}.{b64json(base_claims())}."
        await refused(verifier, token, "unsupported algorithm")


async def test_hs256_with_public_key_as_secret_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    # Classic key confusion: the attacker knows the public key and uses it as an HMAC secret.
    # (joserfc's OctKey refuses PEM public keys as secrets, so the HMAC is computed by hand.)
    pem = key.as_pem(private=False)
    raw_x = unb64(str(key.as_dict(private=False)["x"]))
    for secret in (pem, raw_x, json.dumps(public_jwks(key)).encode()):
        for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
            signing_input = f"{b64json({'alg': alg, 'kid': 'k1'})}.{b64json(base_claims(role='admin'))}"
            sig = hmac.new(secret, signing_input.encode(), digest).digest()
            await refused(verifier, f"{signing_input}.{b64(sig)}", "unsupported algorithm")


async def test_rs256_header_with_okp_kid_refused(verifier: TokenVerifier) -> None:
    attacker = RSAKey.generate_key(2048)
    token = jwt.encode(
        {"alg": "RS256", "kid": "k1"}, base_claims(role="admin"), attacker, algorithms=["RS256"]
    )
    await refused(verifier, token, "signing key does not match the token algorithm")


async def test_key_type_checked_even_when_jwk_has_no_alg(tmp_path: Path, key: OKPKey) -> None:
    # Many IdPs omit "alg" from their JWKs, so the key-type check must stand on its own.
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    verifier = TokenVerifier([TrustedIssuer(ISSUER, path, None, AUDIENCE)])
    for alg, attacker in (("RS256", RSAKey.generate_key(2048)), ("ES256", ECKey.generate_key("P-256"))):
        token = jwt.encode({"alg": alg, "kid": "k1"}, base_claims(role="admin"), attacker, algorithms=[alg])
        await refused(verifier, token, "signing key does not match the token algorithm")
    assert await verifier.verify(mint(key, alg="EdDSA"))


async def test_es256_header_with_okp_kid_refused(verifier: TokenVerifier) -> None:
    attacker = ECKey.generate_key("P-256")
    token = jwt.encode({"alg": "ES256", "kid": "k1"}, base_claims(), attacker, algorithms=["ES256"])
    await refused(verifier, token, "signing key does not match the token algorithm")


async def test_expired_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    token = mint(key, now=time.time() - 7200, ttl_seconds=3600)
    await refused(verifier, token, "token expired")


async def test_expired_beyond_leeway_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    token = mint(key, now=time.time() - 3600 - 45, ttl_seconds=3600)
    await refused(verifier, token, "token expired")


async def test_not_yet_valid_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    token = mint(key, extra_claims={"nbf": int(time.time()) + 120})
    await refused(verifier, token, "not yet valid")


async def test_issued_in_future_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    token = mint(key, extra_claims={"iat": int(time.time()) + 120, "nbf": None})
    await refused(verifier, token, "issued in the future")


async def test_wrong_audience_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    await refused(verifier, mint(key, audience="someone-else"), "audience mismatch")
    await refused(verifier, mint(key, audience=["a", "b"]), "audience mismatch")


async def test_missing_audience_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    await refused(verifier, mint(key, extra_claims={"aud": None}), "missing required claim")


async def test_wrong_issuer_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    await refused(verifier, mint(key, issuer="https://evil.test"), "issuer is not trusted")
    await refused(verifier, mint(key, extra_claims={"iss": None}), "issuer missing")


async def test_unknown_kid_refused(verifier: TokenVerifier, tmp_path: Path) -> None:
    stranger = create_issuer_key(tmp_path / "stranger.jwk", kid="k-unknown")
    await refused(verifier, mint(stranger), "unknown signing key")


async def test_missing_kid_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    token = jwt.encode({"alg": "Ed25519"}, base_claims(), key, algorithms=["Ed25519"])
    await refused(verifier, token, "unknown signing key")


async def test_tampered_payload_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    header, payload, sig = mint(key).split(".")
    claims = json.loads(unb64(payload))
    claims["role"] = "admin"
    await refused(verifier, f"{header}.{b64json(claims)}.{sig}", "invalid token signature")


async def test_tampered_header_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    # Swapping Ed25519 -> EdDSA changes the signing input, so the signature no longer matches.
    _, payload, sig = mint(key).split(".")
    header = b64json({"alg": "EdDSA", "kid": "k1", "typ": "JWT"})
    await refused(verifier, f"{header}.{payload}.{sig}", "invalid token signature")


async def test_missing_role_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    await refused(verifier, mint(key, role=None), "no role")


async def test_unknown_role_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    await refused(verifier, mint(key, role="superuser"), "role is not recognised")
    await refused(verifier, mint(key, role=None, extra_claims={"role": ["admin"]}), "role is not recognised")


async def test_a_single_entry_roles_list_is_the_role(verifier: TokenVerifier, key: OKPKey) -> None:
    """Microsoft Entra ID emits app roles as a `roles` array and cannot emit `role`: one entry is accepted."""
    principal = await verifier.verify(mint(key, role=None, extra_claims={"roles": ["auditor"]}))
    assert principal.role is Role.AUDITOR
    await refused(verifier, mint(key, role=None, extra_claims={"roles": ["auditor", "admin"]}), "several roles")
    await refused(verifier, mint(key, role=None, extra_claims={"roles": []}), "several roles")
    await refused(verifier, mint(key, role=None, extra_claims={"roles": "auditor"}), "not a list")
    await refused(verifier, mint(key, role=None, extra_claims={"roles": ["superuser"]}), "role is not recognised")
    # `role` decides when both are present (the roles list of another provider is not a second identity)
    both = await verifier.verify(mint(key, extra_claims={"roles": ["admin", "auditor"]}))
    assert both.role is Role.AUDITOR


async def test_missing_subject_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    await refused(verifier, mint(key, extra_claims={"sub": None}), "missing required claim")
    await refused(verifier, mint(key, subject=""), "subject is invalid")


async def test_missing_exp_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    await refused(verifier, mint(key, extra_claims={"exp": None}), "missing required claim")


@pytest.mark.parametrize(
    ("role", "binding"),
    [
        (Role.OFFICER, "officer_id"),
        (Role.HIRING_AGENCY, "agency_ori"),
        (Role.PUBLISHER, "publisher_id"),
        (Role.CREDENTIALING_BODY, "publisher_id"),
        (Role.PARTNER, "partner_id"),
    ],
)
async def test_role_without_binding_refused(
    verifier: TokenVerifier, key: OKPKey, role: Role, binding: str
) -> None:
    await refused(verifier, mint(key, role=role), f"lacks its {binding} binding")
    await refused(verifier, mint(key, role=role, extra_claims={binding: ""}), f"lacks its {binding}")
    await refused(verifier, mint(key, role=role, extra_claims={binding: 42}), f"lacks its {binding}")


async def test_officer_without_officer_id_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    # An agency binding does not stand in for the officer's own.
    token = mint(key, role=Role.OFFICER, agency_ori="CA0010000")
    await refused(verifier, token, "lacks its officer_id binding")


async def test_truncated_token_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    token = mint(key)
    header, payload, sig = token.split(".")
    await refused(verifier, token[:-10], "signature|malformed")
    await refused(verifier, f"{header}.{payload}", "malformed")
    await refused(verifier, f"{header}.{payload}.", "signature|malformed")
    await refused(verifier, f"{header}.{payload[: len(payload) // 2]}.{sig}", "malformed|signature")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "garbage",
        "a.b.c",
        "...",
        "Bearer x.y.z",
        "eyJ.eyJ.sig",
        "é.é.é",
        "x" * 20_000,
        "W10.W10.",
        "bnVsbA.e30.",
    ],
)
async def test_garbage_refused(verifier: TokenVerifier, garbage: str) -> None:
    await refused(verifier, garbage, "malformed|unsupported algorithm")


async def test_deeply_nested_json_refused(verifier: TokenVerifier) -> None:
    token = f"{b64json({'alg': 'Ed25519', 'kid': 'k1'})}.{b64(b'[' * 10_000)}.c2ln"
    await refused(verifier, token, "malformed")


async def test_untrusted_key_with_trusted_kid_refused(verifier: TokenVerifier, tmp_path: Path) -> None:
    impostor = create_issuer_key(tmp_path / "impostor.jwk", kid="k1")
    await refused(verifier, mint(impostor, role=Role.ADMIN), "invalid token signature")


async def test_crit_header_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    # Validly signed by the real key, but demands processing rules (crit / RFC 7797 b64) we do not implement.
    for header in (
        {"alg": "Ed25519", "kid": "k1", "crit": ["x-bind"], "x-bind": 1},
        {"alg": "Ed25519", "kid": "k1", "b64": True, "crit": ["b64"]},
    ):
        signing_input = f"{b64json(header)}.{b64json(base_claims())}"
        sig = key.private_key.sign(signing_input.encode())  # type: ignore[union-attr]
        await refused(verifier, f"{signing_input}.{b64(sig)}", "unsupported header")


async def test_foreign_typ_refused(verifier: TokenVerifier, key: OKPKey) -> None:
    token = jwt.encode(
        {"alg": "Ed25519", "kid": "k1", "typ": "dpop+jwt"}, base_claims(), key, algorithms=["Ed25519"]
    )
    await refused(verifier, token, "not an access token")


@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")
async def test_weak_rsa_key_refused(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # joserfc warns on <2048; we want the weak key
        weak = RSAKey.import_key(
            rsa.generate_private_key(public_exponent=65537, key_size=1024), {"kid": "weak"}
        )
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [weak.as_dict(private=False)]}))
    verifier = TokenVerifier([TrustedIssuer(ISSUER, path, None, AUDIENCE)])
    token = jwt.encode({"alg": "RS256", "kid": "weak"}, base_claims(), weak, algorithms=["RS256"])
    await refused(verifier, token, "signing key does not match")


async def test_es256_with_wrong_curve_refused(tmp_path: Path) -> None:
    p384 = ECKey.generate_key("P-384", parameters={"kid": "p384"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [p384.as_dict(private=False)]}))
    verifier = TokenVerifier([TrustedIssuer(ISSUER, path, None, AUDIENCE)])
    token = jwt.encode({"alg": "ES384", "kid": "p384"}, base_claims(), p384, algorithms=["ES384"])
    await refused(verifier, token, "unsupported algorithm")
    # Even a forged ES256 header cannot get a P-384 key used.
    _, p, s = token.split(".")
    await refused(verifier, f"{b64json({'alg': 'ES256', 'kid': 'p384'})}.{p}.{s}", "does not match")


async def test_key_declared_for_other_alg_refused(tmp_path: Path) -> None:
    # An RSA JWK pinned to PS256 must not be used for RS256.
    rsa_key = RSAKey.generate_key(2048, parameters={"kid": "r1"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [rsa_key.as_dict(private=False, alg="PS256")]}))
    verifier = TokenVerifier([TrustedIssuer(ISSUER, path, None, AUDIENCE)])
    token = jwt.encode({"alg": "RS256", "kid": "r1"}, base_claims(), rsa_key, algorithms=["RS256"])
    await refused(verifier, token, "does not match")


async def test_messages_do_not_leak_internals(verifier: TokenVerifier, key: OKPKey, jwks_file: Path) -> None:
    err = await refused(verifier, mint(key, audience="x"), "audience")
    assert str(jwks_file) not in str(err) and "joserfc" not in str(err)


async def test_unreadable_jwks_refused_without_leaking_path(tmp_path: Path, key: OKPKey) -> None:
    missing = tmp_path / "nope.json"
    verifier = TokenVerifier([TrustedIssuer(ISSUER, missing, None, AUDIENCE)])
    err = await refused(verifier, mint(key), "unavailable")
    assert str(missing) not in err.message


# ---------------------------------------------------------------------------------- accepts


async def test_ed25519_accepted(verifier: TokenVerifier, key: OKPKey) -> None:
    principal = await verifier.verify(mint(key, role=Role.OFFICER, officer_id="OFF-1", subject="alice"))
    assert principal.role is Role.OFFICER
    assert principal.officer_id == "OFF-1"
    assert principal.subject == "alice"
    assert principal.issuer == ISSUER
    assert principal.authenticated


async def test_legacy_eddsa_accepted(verifier: TokenVerifier, key: OKPKey) -> None:
    # The JWKS pins the key to "Ed25519"; the legacy polymorphic name must still verify.
    assert public_jwks(key)["keys"][0]["alg"] == "Ed25519"
    token = mint(key, alg="EdDSA", role=Role.HIRING_AGENCY, agency_ori="CA0010000")
    assert json.loads(unb64(token.split(".")[0]))["alg"] == "EdDSA"
    principal = await verifier.verify(token)
    assert principal.role is Role.HIRING_AGENCY and principal.agency_ori == "CA0010000"


async def test_audience_list_containing_ours_accepted(verifier: TokenVerifier, key: OKPKey) -> None:
    principal = await verifier.verify(mint(key, audience=["other", AUDIENCE]))
    assert principal.role is Role.AUDITOR


async def test_leeway_honoured(verifier: TokenVerifier, key: OKPKey) -> None:
    # Expired 10 s ago, 30 s leeway.
    token = mint(key, now=time.time() - 3610, ttl_seconds=3600)
    assert (await verifier.verify(token)).role is Role.AUDITOR
    # nbf 10 s ahead (issuer clock fast) is within leeway too.
    assert await verifier.verify(mint(key, extra_claims={"nbf": int(time.time()) + 10}))


async def test_zero_leeway_refuses_same_token(jwks_file: Path, key: OKPKey) -> None:
    strict = TokenVerifier([TrustedIssuer(ISSUER, jwks_file, None, AUDIENCE)], leeway_seconds=0)
    await refused(strict, mint(key, now=time.time() - 3610, ttl_seconds=3600), "token expired")


@pytest.mark.parametrize(
    ("role", "kw", "field"),
    [
        (Role.OFFICER, {"officer_id": "OFF-9"}, "officer_id"),
        (Role.HIRING_AGENCY, {"agency_ori": "TX0000000"}, "agency_ori"),
        (Role.PUBLISHER, {"publisher_id": "pub-ca-post"}, "publisher_id"),
        (Role.CREDENTIALING_BODY, {"publisher_id": "calea"}, "publisher_id"),
        (Role.PARTNER, {"partner_id": "partner-7"}, "partner_id"),
        (Role.AUDITOR, {}, None),
        (Role.ADMIN, {}, None),
    ],
)
async def test_role_bindings_mapped(
    verifier: TokenVerifier, key: OKPKey, role: Role, kw: dict[str, str], field: str | None
) -> None:
    # Every binding is offered; only the role's own may survive into the Principal.
    stray = {"officer_id": "X", "agency_ori": "X", "publisher_id": "X", "partner_id": "X"}
    principal = await verifier.verify(mint(key, role=role, **{**stray, **kw}))
    assert principal.role is role
    for name in stray:
        expected = kw.get(name) if name == field else None
        assert getattr(principal, name) == expected


async def test_rotation_via_file(
    verifier: TokenVerifier, key: OKPKey, jwks_file: Path, tmp_path: Path
) -> None:
    assert await verifier.verify(mint(key))  # caches the old set
    new_key = create_issuer_key(tmp_path / "issuer-2.jwk", kid="k2")
    write_public_jwks([key, new_key], jwks_file)
    assert (await verifier.verify(mint(new_key))).role is Role.AUDITOR
    assert await verifier.verify(mint(key))  # old key still listed, still good


async def test_rotation_found_by_kid_even_if_mtime_unchanged(
    verifier: TokenVerifier, key: OKPKey, jwks_file: Path, tmp_path: Path
) -> None:
    # Coarse-mtime filesystems: the unknown-kid reload must not depend on the stamp changing.
    write_padded(jwks_file, public_jwks(key), mtime_ns=1_700_000_000_000_000_000)
    assert await verifier.verify(mint(key))
    new_key = create_issuer_key(tmp_path / "issuer-2.jwk", kid="k2")
    write_padded(jwks_file, public_jwks([key, new_key]), mtime_ns=1_700_000_000_000_000_000)
    assert await verifier.verify(mint(new_key))


async def test_removed_key_refused_after_file_change(
    verifier: TokenVerifier, key: OKPKey, jwks_file: Path, tmp_path: Path
) -> None:
    assert await verifier.verify(mint(key))
    new_key = create_issuer_key(tmp_path / "issuer-2.jwk", kid="k2")
    write_public_jwks(new_key, jwks_file)
    await refused(verifier, mint(key), "unknown signing key")


# ------------------------------------------------------------------------- second issuer / URL


class FakeIdP:
    """The remote IdP's JWKS endpoint, served through httpx.MockTransport."""

    def __init__(self, *keys: OKPKey | ECKey | RSAKey) -> None:
        self.keys = list(keys)
        self.calls = 0
        self.status = 200

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == JWKS_URL_2
        self.calls += 1
        if self.status != 200:
            return httpx.Response(self.status)
        return httpx.Response(200, json=public_jwks(self.keys))

    def factory(self) -> Callable[[], httpx.AsyncClient]:
        return lambda: httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def es_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "es-1"})


def two_issuers(jwks_file: Path, idp: FakeIdP, clock: Clock | None = None) -> TokenVerifier:
    return TokenVerifier(
        [
            TrustedIssuer(ISSUER, jwks_file, None, AUDIENCE),
            TrustedIssuer(ISSUER_2, None, JWKS_URL_2, "registry-api"),
        ],
        client_factory=idp.factory(),
        clock=clock or time.time,
    )


async def test_es256_second_issuer_over_url_accepted(jwks_file: Path, key: OKPKey, es_key: ECKey) -> None:
    idp = FakeIdP(es_key)
    verifier = two_issuers(jwks_file, idp)
    token = mint_token(
        es_key,
        issuer=ISSUER_2,
        audience="registry-api",
        subject="svc",
        role=Role.PARTNER,
        partner_id="p-1",
        alg="ES256",
    )
    principal = await verifier.verify(token)
    assert principal.role is Role.PARTNER and principal.partner_id == "p-1" and principal.issuer == ISSUER_2
    assert (await verifier.verify(mint(key))).issuer == ISSUER
    # Our audience for issuer 1 is not valid for issuer 2, and vice versa.
    await refused(
        verifier,
        mint_token(es_key, issuer=ISSUER_2, audience=AUDIENCE, subject="s", role=Role.AUDITOR, alg="ES256"),
        "audience mismatch",
    )


async def test_cross_issuer_key_not_usable(jwks_file: Path, key: OKPKey, es_key: ECKey) -> None:
    # Issuer 2's key must not sign for issuer 1 even though both are trusted.
    verifier = two_issuers(jwks_file, FakeIdP(es_key))
    token = mint_token(es_key, issuer=ISSUER, audience=AUDIENCE, subject="s", role=Role.ADMIN, alg="ES256")
    await refused(verifier, token, "unknown signing key")


async def test_url_jwks_cached_and_refetched_on_rotation(jwks_file: Path, es_key: ECKey) -> None:
    idp = FakeIdP(es_key)
    clock = Clock()
    verifier = two_issuers(jwks_file, idp, clock)

    def es_token(k: ECKey) -> str:
        return mint_token(
            k,
            issuer=ISSUER_2,
            audience="registry-api",
            subject="s",
            role=Role.AUDITOR,
            alg="ES256",
            now=clock.now,
        )

    await verifier.verify(es_token(es_key))
    await verifier.verify(es_token(es_key))
    assert idp.calls == 1  # cached

    rotated = ECKey.generate_key("P-256", parameters={"kid": "es-2"})
    idp.keys.append(rotated)
    await verifier.verify(es_token(rotated))
    assert idp.calls == 2  # one refetch for the unknown kid

    # A flood of made-up kids within the cooldown costs the IdP nothing more.
    for i in range(5):
        bogus = ECKey.generate_key("P-256", parameters={"kid": f"bogus-{i}"})
        await refused(verifier, es_token(bogus), "unknown signing key")
    assert idp.calls == 2  # the rotation refetch just happened: all five hit the cooldown

    clock.now += 11  # past the cooldown, still inside the cache lifetime
    await refused(verifier, es_token(bogus), "unknown signing key")
    await refused(verifier, es_token(bogus), "unknown signing key")
    assert idp.calls == 3  # one refetch per cooldown window, however many bogus kids

    clock.now += 301  # cache expiry
    await verifier.verify(es_token(es_key))
    assert idp.calls == 4


async def test_url_outage_serves_last_good_keys(jwks_file: Path, es_key: ECKey) -> None:
    idp = FakeIdP(es_key)
    clock = Clock()
    verifier = two_issuers(jwks_file, idp, clock)
    token = mint_token(
        es_key,
        issuer=ISSUER_2,
        audience="registry-api",
        subject="s",
        role=Role.AUDITOR,
        alg="ES256",
        now=clock.now,
    )
    await verifier.verify(token)
    idp.status = 503
    clock.now += 301
    assert await verifier.verify(token)


async def test_url_unavailable_refused(jwks_file: Path, es_key: ECKey) -> None:
    idp = FakeIdP(es_key)
    idp.status = 500
    verifier = two_issuers(jwks_file, idp)
    token = mint_token(
        es_key, issuer=ISSUER_2, audience="registry-api", subject="s", role=Role.AUDITOR, alg="ES256"
    )
    err = await refused(verifier, token, "unavailable")
    assert JWKS_URL_2 not in err.message


async def test_jwks_private_members_ignored(tmp_path: Path, key: OKPKey) -> None:
    # A JWKS that accidentally carries private material still only yields a verifying key.
    path = tmp_path / "jwks.json"
    path.write_text(
        json.dumps({"keys": [key.as_dict(private=True), {"kty": "oct", "k": "c2VjcmV0", "kid": "o"}]})
    )
    verifier = TokenVerifier([TrustedIssuer(ISSUER, path, None, AUDIENCE)])
    assert await verifier.verify(mint(key))
    token = jwt.encode(
        {"alg": "HS256", "kid": "o"}, base_claims(), OctKey.import_key(b"secret" * 6), algorithms=["HS256"]
    )
    await refused(verifier, token, "unsupported algorithm")


# ------------------------------------------------------------------------------ configuration


def test_trusted_issuer_needs_exactly_one_source(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        TrustedIssuer(ISSUER, None, None, AUDIENCE)
    with pytest.raises(ValueError):
        TrustedIssuer(ISSUER, tmp_path / "j.json", JWKS_URL_2, AUDIENCE)
    with pytest.raises(ValueError):
        TrustedIssuer(ISSUER, None, "http://idp.example/jwks", AUDIENCE)
    assert TrustedIssuer(ISSUER, None, "http://127.0.0.1:8080/jwks", AUDIENCE)


def test_duplicate_issuer_rejected(jwks_file: Path) -> None:
    with pytest.raises(ValueError):
        TokenVerifier([TrustedIssuer(ISSUER, jwks_file, None, AUDIENCE)] * 2)


def test_dev_issuer_key_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "issuer.jwk"
    key = create_issuer_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key.kid == key.thumbprint()
    assert load_issuer_key(path).as_dict(private=True) == key.as_dict(private=True)
    pub = public_jwks(key)["keys"][0]
    assert "d" not in pub and pub["use"] == "sig" and pub["kty"] == "OKP"


def test_auth_error_shape() -> None:
    err = AuthError("token expired")
    assert err.code == "UNAUTHENTICATED" and err.message == "token expired" and str(err) == "token expired"


# ------------------------------------------------------------------ the cache of verified tokens


async def test_a_remembered_token_still_expires(jwks_file: Path, key: OKPKey) -> None:
    """A token answered from the cache is refused once it expires, as if it were verified again."""
    now = [float(int(time.time()))]
    verifier = TokenVerifier([TrustedIssuer(ISSUER, jwks_file, None, AUDIENCE)], leeway_seconds=30,
                             clock=lambda: now[0])
    token = mint(key, now=now[0], ttl_seconds=60)
    assert (await verifier.verify(token)).role is Role.AUDITOR
    now[0] += 60 + 29  # the last second of the leeway: still good, and now from the cache
    assert (await verifier.verify(token)).role is Role.AUDITOR
    now[0] += 1
    await refused(verifier, token, "token expired")


async def test_a_remembered_token_is_refused_once_its_key_is_gone(
    verifier: TokenVerifier, key: OKPKey, jwks_file: Path, tmp_path: Path
) -> None:
    token = mint(key)
    assert await verifier.verify(token)
    assert await verifier.verify(token)  # remembered
    write_public_jwks(create_issuer_key(tmp_path / "issuer-2.jwk", kid="k2"), jwks_file)
    await refused(verifier, token, "unknown signing key")
    # and a key of the same kid with other material does not vouch for it either
    write_public_jwks(create_issuer_key(tmp_path / "issuer-3.jwk", kid="k1"), jwks_file)
    await refused(verifier, token, "signature")
