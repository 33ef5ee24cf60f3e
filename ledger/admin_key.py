"""The registry's admin key: the Ed25519 key that signs registrations (agencies, publishers, publisher keys and
their revocations) as log entries, so that who may publish is itself in the signed log.

A private JWK in the secrets directory (``registry-admin.jwk``, 0600, created on first use) or
``$REGISTRY_ADMIN_KEY``. It rotates like the attestation key (``registry rotate-key admin``): the new key signs at
once, the previous one's public half stays known (retiring, then retired) because the entries it signed stay in
the log forever and every audit checks them. Its public keys are served at ``/.well-known/registry-admin-keys``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from registry import keyring
from registry.urls import read_key_source

__all__ = ["DEFAULT_FILE", "ENV_VAR", "AdminKeyError", "AdminKeys", "key_kind", "load_or_create_keys",
           "load_public_keys", "new_key", "read_jwks"]

ENV_VAR = "REGISTRY_ADMIN_KEY"
DEFAULT_FILE = "registry-admin.jwk"


class AdminKeyError(ValueError):
    """The admin key is unreadable, malformed or too widely readable."""


@dataclass(frozen=True)
class AdminKeys:
    current: OKPKey                 # signs new registrations
    older: tuple[OKPKey, ...] = ()  # public halves of earlier keys: what they signed stays in the log

    @property
    def kid(self) -> str:
        return str(self.current.kid)

    @cached_property
    def _by_kid(self) -> dict[str, OKPKey]:  # imported once: publishing asks on every batch
        out = {str(k.kid): _public(k) for k in self.older}
        out[self.kid] = _public(self.current)
        return out

    def public(self) -> dict[str, OKPKey]:
        """Every key a logged registration may bear, by kid (public halves only)."""
        return dict(self._by_kid)

    def jwks(self) -> dict[str, object]:
        return {"keys": [{**k.as_dict(private=False), "use": "sig", "alg": "Ed25519"} for k in self.public().values()]}


def new_key() -> OKPKey:
    key = OKPKey.generate_key("Ed25519", private=True)
    key.ensure_kid()
    return key


def _public(key: OKPKey) -> OKPKey:
    return OKPKey.import_key(key.as_dict(private=False))


def _parse(text: str, where: str, *, private: bool) -> OKPKey:
    try:
        doc = json.loads(text)
        if not private and isinstance(doc, dict):
            doc = {k: v for k, v in doc.items() if k != "d"}
        key = OKPKey.import_key(doc)
    except (ValueError, AttributeError, JoseError) as err:
        raise AdminKeyError(f"{where} is not an Ed25519 JWK: {err}") from None
    if key.curve_name != "Ed25519" or (private and not key.is_private):
        raise AdminKeyError(f"{where} must be {'a private ' if private else 'an '}Ed25519 JWK (kty OKP, crv Ed25519"
                            f"{', with d' if private else ''})")
    key.ensure_kid()
    return key


def _public_text(text: str) -> str:
    return json.dumps(_parse(text, "an admin key", private=False).as_dict(private=False))


def key_kind() -> keyring.KeyKind:
    """The admin key in ``registry.keyring``: its private half is dropped when it starts retiring."""
    return keyring.KeyKind(name="admin", env_var=ENV_VAR, error=AdminKeyError,
                           new=lambda: json.dumps(new_key().as_dict(private=True)),
                           kid=lambda text: str(_parse(text, "an admin key", private=False).kid),
                           retiring=_public_text, retired=_public_text)


def load_or_create_keys(path: Path) -> AdminKeys:
    """``$REGISTRY_ADMIN_KEY`` if set (that key alone), else the keys beside ``path`` (created if absent)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return AdminKeys(_parse(env, ENV_VAR, private=True))
    keys = keyring.load(path, key_kind())
    assert keys is not None
    return AdminKeys(_parse(keys.current, str(path), private=True), _older(keys, path))


def _older(keys: keyring.StoredKeys, path: Path) -> tuple[OKPKey, ...]:
    older = ([keys.retiring] if keys.retiring else []) + list(keys.retired)
    return tuple(_parse(k, f"{path} (a retiring or retired key)", private=False) for k in older)


def read_jwks(source: str, *, timeout: float = 10.0) -> dict[str, OKPKey]:
    """Admin public keys from a JWKS file or an https (or loopback http) URL (``/.well-known/registry-admin-keys``)."""
    text = read_key_source(source, AdminKeyError, timeout=timeout)
    try:
        doc = json.loads(text)
        keys = [_parse(json.dumps(k), f"{source} (a key)", private=False) for k in doc["keys"]]
    except (ValueError, KeyError, TypeError) as err:
        raise AdminKeyError(f"{source} is not a JWKS of Ed25519 keys: {err}") from None
    if not keys:
        raise AdminKeyError(f"{source} holds no keys")
    return {str(k.kid): k for k in keys}


def load_public_keys(path: Path) -> Mapping[str, OKPKey] | None:
    """The public admin keys for an audit, or None when this registry has none yet (never creates one)."""
    if os.environ.get(ENV_VAR):
        return load_or_create_keys(path).public()
    keys = keyring.load(path, key_kind(), create=False)
    if keys is None:
        return None
    return AdminKeys(_parse(keys.current, str(path), private=True), _older(keys, path)).public()
