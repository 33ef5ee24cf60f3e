"""Signed credential attestations: what the registry says about one certification, verifiable offline.

An attestation comes in two forms, signed by the same registry Ed25519 key (``alg: Ed25519``, RFC 9864):

* a compact JWS (``typ: registry-attestation+jwt``) whose claims are all visible;
* an SD-JWT (RFC 9901, ``typ: registry-attestation+sd-jwt``) with the same facts as selectively
  disclosable claims, so the holder can show a third party, say, ``status`` and ``expiresOn`` only.

Claims: ``iss``, ``iat``, ``exp`` (10 minutes later), ``jti``, ``sub`` (the registry's certification
ID), ``state``, ``number``, ``kind``, ``status``, ``expiresOn`` and, when the caller asked through an
officer it may read, ``officerId``. Never a name or a date of birth: partners see status by number only.

The private key is ``$REGISTRY_ATTESTATION_KEY`` (a private JWK, from a secret store) or a 0600 file in
the secrets directory created on first use; the public half is served at ``/.well-known/jwks.json``.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet, OKPKey

from auth.dev_issuer import public_jwks
from credentials import sd_jwt
from registry.secret_files import read_or_create

__all__ = [
    "ALG",
    "DEFAULT_FILE",
    "DISCLOSABLE",
    "ENV_VAR",
    "JWS_TYP",
    "SD_JWT_TYP",
    "TTL_SECONDS",
    "Attestation",
    "AttestationError",
    "Verified",
    "issue",
    "jwks",
    "load_jwks",
    "load_or_create_key",
    "new_key",
    "verify",
]

ALG: Final = "Ed25519"
ENV_VAR: Final = "REGISTRY_ATTESTATION_KEY"
DEFAULT_FILE: Final = "attestation.jwk"
JWS_TYP: Final = "registry-attestation+jwt"
SD_JWT_TYP: Final = "registry-attestation+sd-jwt"
TTL_SECONDS: Final = 600
LEEWAY_SECONDS: Final = 30
#: The claims an SD-JWT holder may choose to show or hide; iss, iat, exp and jti are always visible.
DISCLOSABLE: Final = ("sub", "state", "number", "kind", "status", "expiresOn", "officerId")
_MAX_JWKS_BYTES: Final = 1_048_576


class AttestationError(ValueError):
    """An attestation that is malformed, badly signed, by an unknown key, expired or tampered with."""


# --- the key ---------------------------------------------------------------------------------------
def new_key() -> OKPKey:
    key = OKPKey.generate_key("Ed25519", private=True)
    key.ensure_kid()
    return key


def _parse_key(text: str, where: str) -> OKPKey:
    try:
        key = OKPKey.import_key(json.loads(text))
    except (ValueError, JoseError) as err:
        raise AttestationError(f"{where} is not an Ed25519 private JWK: {err}") from None
    if key.curve_name != "Ed25519" or not key.is_private:
        raise AttestationError(f"{where} must be a private Ed25519 JWK (kty OKP, crv Ed25519, with d)")
    key.ensure_kid()
    return key


def load_or_create_key(path: Path) -> OKPKey:
    """``$REGISTRY_ATTESTATION_KEY`` if set, else the JWK in ``path``, created (0600, atomically) if absent."""
    env = os.environ.get(ENV_VAR)
    if env:
        return _parse_key(env, ENV_VAR)
    text = read_or_create(path, lambda: json.dumps(new_key().as_dict(private=True)) + "\n", AttestationError)
    return _parse_key(text, str(path))


def jwks(key: OKPKey) -> dict[str, Any]:
    """The public JWKS partners verify attestations with (``use: sig``, ``alg: Ed25519``, ``kid``)."""
    return public_jwks(key)


def load_jwks(source: str, *, timeout: float = 10.0) -> KeySet:
    """A JWKS from a file or an http(s) URL, public members only."""
    if source.startswith(("https://", "http://")):
        resp = httpx.get(source, timeout=timeout, follow_redirects=False)
        if resp.status_code != 200:
            raise AttestationError(f"{source} answered HTTP {resp.status_code}")
        text = resp.text
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as err:
            raise AttestationError(f"cannot read {source}: {err.strerror}") from None
    if len(text) > _MAX_JWKS_BYTES:
        raise AttestationError("the JWKS is too large")
    try:
        doc = json.loads(text)
        keys = [{k: v for k, v in jwk.items() if k != "d"} for jwk in doc["keys"]]
        return KeySet.import_key_set({"keys": keys})
    except (ValueError, KeyError, TypeError, AttributeError, JoseError) as err:
        raise AttestationError(f"{source} is not a JWKS: {err}") from None


# --- issuing ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attestation:
    jws: str
    sd_jwt: str
    kid: str
    issued_at: datetime
    expires_at: datetime
    claims: dict[str, Any] = field(repr=False)


def issue(key: OKPKey, issuer: str, facts: Mapping[str, Any], *, now: float | None = None,
          ttl_seconds: int = TTL_SECONDS) -> Attestation:
    """Sign ``facts`` (sub, state, number, kind, status, expiresOn[, officerId]) in both forms."""
    unknown = set(facts) - set(DISCLOSABLE)
    if unknown:
        raise ValueError(f"not an attestation claim: {sorted(unknown)}")
    iat = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": issuer, "iat": iat, "exp": iat + ttl_seconds,
                              "jti": secrets.token_urlsafe(12), **facts}
    key.ensure_kid()
    kid = str(key.kid)
    token = jwt.encode({"alg": ALG, "kid": kid, "typ": JWS_TYP}, claims, key, algorithms=[ALG])
    payload, disclosures = sd_jwt.conceal(claims, DISCLOSABLE)
    signed = jwt.encode({"alg": ALG, "kid": kid, "typ": SD_JWT_TYP}, payload, key, algorithms=[ALG])
    return Attestation(
        jws=token,
        sd_jwt=sd_jwt.SdJwt(signed, tuple(disclosures), "").serialize(),
        kid=kid,
        issued_at=datetime.fromtimestamp(iat, UTC),
        expires_at=datetime.fromtimestamp(iat + ttl_seconds, UTC),
        claims=claims,
    )


# --- verifying -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verified:
    form: str                  # "jws" or "sd-jwt"
    claims: dict[str, Any]     # for an SD-JWT: the always-visible claims plus the disclosed ones
    kid: str
    undisclosed: int = 0       # SD-JWT digests not disclosed, at any depth: withheld claims or decoys


def _signed(token: str, keys: KeySet, typ: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        decoded = jwt.decode(token, keys, algorithms=[ALG])
    except JoseError as err:
        raise AttestationError(f"bad signature or unknown key ({err.error})") from None
    except ValueError:
        raise AttestationError("not a compact JWS") from None
    header = dict(decoded.header)
    if header.get("typ") != typ:
        raise AttestationError(f"not a registry attestation (typ {header.get('typ')!r}, expected {typ!r})")
    return header, dict(decoded.claims)


def _check_times(claims: Mapping[str, Any], issuer: str | None, now: float | None) -> None:
    options: dict[str, Any] = {"iat": {"essential": True}, "exp": {"essential": True}}
    options["iss"] = {"essential": True, "value": issuer} if issuer else {"essential": True}
    registry = jwt.JWTClaimsRegistry(now=int(now) if now is not None else None, leeway=LEEWAY_SECONDS, **options)
    try:
        registry.validate(dict(claims))
    except ExpiredTokenError:
        raise AttestationError("the attestation has expired") from None
    except JoseError as err:
        raise AttestationError(f"invalid claims: {err.description or err.error}") from None


def verify(token: str, keys: KeySet | Mapping[str, Any], *, issuer: str | None = None,
           now: float | None = None) -> Verified:
    """Verify a JWS or SD-JWT attestation offline with the registry's JWKS; raise AttestationError if not valid."""
    keyset = keys if isinstance(keys, KeySet) else KeySet.import_key_set(dict(keys))  # type: ignore[arg-type]
    token = token.strip()
    if "~" not in token:
        header, claims = _signed(token, keyset, JWS_TYP)
        _check_times(claims, issuer, now)
        return Verified("jws", claims, str(header.get("kid")))
    try:
        parsed = sd_jwt.parse(token)
    except sd_jwt.SdJwtError as err:
        raise AttestationError(str(err)) from None
    if parsed.key_binding:
        raise AttestationError("unexpected key-binding JWT: registry attestations are not key-bound")
    header, payload = _signed(parsed.jwt, keyset, SD_JWT_TYP)
    try:
        claims, hidden = sd_jwt.resolve_counting(payload, parsed.disclosures)
    except sd_jwt.SdJwtError as err:
        raise AttestationError(str(err)) from None
    _check_times(claims, issuer, now)
    return Verified("sd-jwt", claims, str(header.get("kid")), undisclosed=hidden)
