"""The holder's side of an SD-JWT attestation: show a third party only the claims it needs, and prove it is you.

The issuer's signature still verifies on the presented token and the withheld claims stay hidden; only
the claims the token's type allows can be chosen (``attestation.DISCLOSABLE`` for the registry SD-JWT,
``attestation.VC_DISCLOSABLE`` for the SD-JWT VC; ``iss``, ``iat``, ``exp``, ``jti``, ``vct`` and ``cnf``
are always visible). For a credential bound to the holder's key, the verifier's audience and nonce are
signed into a Key Binding JWT over exactly this presentation (RFC 9901 section 4.3).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, OKPKey

from credentials import attestation, sd_jwt

__all__ = ["PresentationError", "load_holder_key", "new_holder_key", "present"]


class PresentationError(ValueError):
    """A claim that cannot be disclosed, a token that is not an SD-JWT, or an unusable holder key."""


def present(token: str, keep: Iterable[str], *, holder_key: sd_jwt.HolderKey | None = None,
            audience: str | None = None, nonce: str | None = None) -> str:
    """The SD-JWT with only the disclosures of the claims in ``keep`` and, with ``holder_key``, a KB-JWT."""
    wanted = [c.strip() for c in keep if c.strip()]
    try:
        allowed = attestation.disclosable_for(token.strip())
    except attestation.AttestationError as err:
        raise PresentationError(str(err)) from None
    unknown = sorted(set(wanted) - set(allowed))
    if unknown:
        raise PresentationError(f"not a disclosable claim: {', '.join(unknown)} (choose from {', '.join(allowed)})")
    if holder_key is not None and (not audience or not nonce):
        raise PresentationError("binding to your key needs the verifier's audience and nonce")
    try:
        shown = sd_jwt.present(token, wanted)
        if holder_key is None:
            return shown
        return sd_jwt.bind(shown, holder_key, audience=str(audience), nonce=str(nonce))
    except sd_jwt.SdJwtError as err:
        raise PresentationError(str(err)) from None


def new_holder_key() -> OKPKey:
    """A fresh Ed25519 holder key (private); its public half goes to the registry as ``holderKey``."""
    return attestation.new_key()


def load_holder_key(path: Path) -> sd_jwt.HolderKey:
    """The holder's private key (a JWK file, Ed25519 or P-256) for signing KB-JWTs."""
    try:
        key = JWKRegistry.import_key(json.loads(path.read_text(encoding="utf-8")))
    except OSError as err:
        raise PresentationError(f"cannot read {path}: {err.strerror}") from None
    except (ValueError, TypeError, KeyError, JoseError) as err:
        raise PresentationError(f"{path} is not a JWK: {err}") from None
    if not isinstance(key, OKPKey | ECKey) or not key.is_private:
        raise PresentationError(f"{path} must be a private Ed25519 (OKP) or P-256 (EC) JWK")
    try:
        sd_jwt.holder_key(key.as_dict(private=False))  # the same curves a verifier accepts
    except sd_jwt.SdJwtError as err:
        raise PresentationError(f"{path}: {err}") from None
    return key
