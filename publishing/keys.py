"""Checking publisher public keys before they are registered."""

from __future__ import annotations

from typing import Any

from joserfc.jwk import OKPKey

from registry.errors import BadInput

_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


def import_public_jwk(jwk: dict[str, Any]) -> OKPKey:
    """A registered public JWK as a joserfc key (for signature checks)."""
    return OKPKey.import_key(jwk)


def checked_public_jwk(jwk: Any) -> tuple[dict[str, Any], str]:
    """An Ed25519 public JWK with a kid, stripped to its public members; refuses private keys."""
    if not isinstance(jwk, dict):
        raise BadInput("jwk must be a JSON object")
    if any(m in jwk for m in _PRIVATE_MEMBERS):
        raise BadInput("that JWK contains a private key; send only the public key (never share the private key)")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise BadInput("publisher keys must be Ed25519 public keys (kty OKP, crv Ed25519, x)")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not 1 <= len(kid) <= 200:
        raise BadInput("the JWK needs a kid of 1 to 200 characters")
    public = {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": kid}
    try:
        import_public_jwk(public)
    except Exception:
        raise BadInput("the JWK's x is not a valid Ed25519 public key") from None
    return public, kid
