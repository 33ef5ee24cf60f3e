"""A stand-in identity provider for development and tests.

It writes the same artefacts a real IdP would publish (a private signing key kept to itself, a
public JWKS for the registry) and mints tokens with the claims `auth.tokens.TokenVerifier` expects,
so local runs and tests exercise the real verification path instead of a bypass.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OKPKey, RSAKey

from auth.principal import Role

__all__ = [
    "SigningKey",
    "create_issuer_key",
    "load_issuer_key",
    "mint_token",
    "public_jwks",
    "write_public_jwks",
]

SigningKey = OKPKey | ECKey | RSAKey

# The algorithm each key type is published for. OKP is "Ed25519" (RFC 9864); the verifier also
# accepts legacy "EdDSA" tokens against such a key.
_PUBLISHED_ALG: dict[str, str] = {"OKP": "Ed25519", "EC": "ES256", "RSA": "RS256"}


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write atomically with `mode` from the first byte, so a reader never sees a partial or
    world-readable file (umask and a pre-existing file's permissions are both bypassed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_issuer_key(path: Path, kid: str | None = None) -> OKPKey:
    """Generate an Ed25519 signing key, store it as a private JWK (mode 0600) and return it.

    Without `kid` the RFC 7638 thumbprint is used, which is stable for the key's lifetime.
    """
    key = OKPKey.generate_key("Ed25519", parameters={"kid": kid} if kid else None)
    key.ensure_kid()
    _write_atomic(Path(path), json.dumps(key.as_dict(private=True)).encode(), 0o600)
    return key


def load_issuer_key(path: Path) -> OKPKey:
    """Read back a key written by `create_issuer_key`."""
    return OKPKey.import_key(json.loads(Path(path).read_text()))


def public_jwks(key: SigningKey | Sequence[SigningKey]) -> dict[str, Any]:
    """The JWKS document for one key or several (several = a rotation in progress)."""
    keys = [key] if isinstance(key, OKPKey | ECKey | RSAKey) else list(key)
    out = []
    for k in keys:
        k.ensure_kid()
        out.append(dict(k.as_dict(private=False, use="sig", alg=_PUBLISHED_ALG[k.key_type])))
    return {"keys": out}


def write_public_jwks(key: SigningKey | Sequence[SigningKey], path: Path) -> None:
    """Publish the public JWKS to a file, atomically so a verifier never reads half a document."""
    _write_atomic(Path(path), json.dumps(public_jwks(key), indent=2).encode(), 0o644)


def mint_token(
    key: SigningKey,
    *,
    issuer: str,
    audience: str | list[str],
    subject: str,
    role: Role | str | None,
    officer_id: str | None = None,
    agency_ori: str | None = None,
    publisher_id: str | None = None,
    partner_id: str | None = None,
    ttl_seconds: int = 3600,
    alg: str = "Ed25519",
    extra_claims: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> str:
    """Sign an access token as the issuer would.

    `role=None` omits the claim, and an `extra_claims` value of None removes that claim, so tests
    can build the malformed tokens the verifier must refuse.
    """
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
    }
    if role is not None:
        claims["role"] = role.value if isinstance(role, Role) else role
    bindings = {
        "officer_id": officer_id,
        "agency_ori": agency_ori,
        "publisher_id": publisher_id,
        "partner_id": partner_id,
    }
    claims.update({name: value for name, value in bindings.items() if value is not None})
    for name, value in (extra_claims or {}).items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value

    key.ensure_kid()
    header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
    with warnings.catch_warnings():
        # joserfc flags the deprecated "EdDSA" name; minting it is how legacy issuers are simulated.
        warnings.simplefilter("ignore", SecurityWarning)
        return jwt.encode(header, claims, key, algorithms=[alg])
