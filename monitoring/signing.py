"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Signed content is ``{webhook-id}.{webhook-timestamp}.{body}``. ``v1a`` is Ed25519 with the
registry's webhook key (public key ``whpk_<base64>``, published at ``/.well-known/webhook-key``);
``v1`` is HMAC-SHA256 with a per-endpoint secret ``whsec_<base64>``. Every delivery carries a ``v1a``
signature; deliveries to a ``v1`` endpoint carry a ``v1`` signature as well (the header is a
space-separated list, and a verifier uses the one it knows).

The webhook key rotates (``registry rotate-key webhook``, ``registry.keyring``): during the overlap every
delivery carries a ``v1a`` signature by the retiring key and one by the new key, so a receiver holding
either public key verifies. A retired webhook key is not kept: each delivery is signed when it is sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from registry import keyring
from registry.secret_files import read_or_create

ENV_VAR = "REGISTRY_WEBHOOK_SIGNING_KEY"
DEFAULT_FILE = "webhook-signing.key"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a format prefix, not a secret)
PUBLIC_PREFIX = "whpk_"
PRIVATE_PREFIX = "whsk_"


class WebhookKeyError(ValueError):
    """The webhook key is malformed or too widely readable."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def signed_content(webhook_id: str, timestamp: int, body: str) -> bytes:
    if "." in webhook_id:
        raise ValueError("a webhook-id never contains a full stop")
    return f"{webhook_id}.{timestamp}.{body}".encode()


@dataclass(frozen=True)
class WebhookSigner:
    """The registry's Ed25519 webhook key."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> WebhookSigner:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_secret_string(cls, text: str) -> WebhookSigner:
        text = text.strip()
        if not text.startswith(PRIVATE_PREFIX):
            raise WebhookKeyError(f"a webhook signing key starts with {PRIVATE_PREFIX}")
        try:
            seed = base64.b64decode(text[len(PRIVATE_PREFIX):], validate=True)
            return cls(Ed25519PrivateKey.from_private_bytes(seed))
        except ValueError:
            raise WebhookKeyError("the webhook signing key is not base64 of a 32-byte Ed25519 seed") from None

    def secret_string(self) -> str:
        seed = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return PRIVATE_PREFIX + _b64(seed)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_bytes(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    def public_string(self) -> str:
        return PUBLIC_PREFIX + _b64(self.public_bytes)

    @property
    def kid(self) -> str:
        return hashlib.sha256(self.public_bytes).hexdigest()[:16]

    def public_jwk(self) -> dict[str, str]:
        x = base64.urlsafe_b64encode(self.public_bytes).decode("ascii").rstrip("=")
        return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "use": "sig", "alg": "EdDSA"}

    def sign(self, webhook_id: str, timestamp: int, body: str) -> str:
        return "v1a," + _b64(self.private.sign(signed_content(webhook_id, timestamp, body)))


def new_hmac_secret() -> tuple[bytes, str]:
    """A fresh 32-byte HMAC key and its ``whsec_`` form (shown to the enrollee once)."""
    key = secrets.token_bytes(32)
    return key, SECRET_PREFIX + _b64(key)


def hmac_signature(secret: bytes, webhook_id: str, timestamp: int, body: str) -> str:
    return "v1," + _b64(hmac.new(secret, signed_content(webhook_id, timestamp, body), hashlib.sha256).digest())


def signature_header(signer: WebhookSigner | Sequence[WebhookSigner], scheme: str, secret: bytes | None,
                     webhook_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value: the ``v1`` HMAC for a ``v1`` endpoint, then one ``v1a`` per key, in the
    order given (during a rotation the retiring key's first, where the only one was before)."""
    sigs = []
    if scheme == "v1":
        assert secret is not None
        sigs.append(hmac_signature(secret, webhook_id, timestamp, body))
    for key in (signer,) if isinstance(signer, WebhookSigner) else signer:
        sigs.append(key.sign(webhook_id, timestamp, body))
    return " ".join(sigs)


def load_or_create(secrets_dir: Path) -> WebhookSigner:
    """REGISTRY_WEBHOOK_SIGNING_KEY (whsk_...) if set, else a 0600 file created once in the secrets dir."""
    env = os.environ.get(ENV_VAR)
    if env:
        return WebhookSigner.from_secret_string(env)
    path = secrets_dir / DEFAULT_FILE
    text = read_or_create(path, lambda: WebhookSigner.generate().secret_string() + "\n", WebhookKeyError)
    return WebhookSigner.from_secret_string(text)


def key_kind() -> keyring.KeyKind:
    """The webhook key in ``registry.keyring``: it signs while it retires, and nothing of it is kept after."""
    return keyring.KeyKind(name="webhook", env_var=ENV_VAR, error=WebhookKeyError,
                           new=lambda: WebhookSigner.generate().secret_string(),
                           kid=lambda text: WebhookSigner.from_secret_string(text).kid,
                           retiring=lambda text: text.strip(), retired=None)


@dataclass(frozen=True)
class WebhookKeys:
    current: WebhookSigner
    retiring: WebhookSigner | None = None  # during a rotation's overlap

    @property
    def signers(self) -> tuple[WebhookSigner, ...]:
        """Who signs a delivery: during an overlap the retiring key first, where its signature was before the
        rotation (a receiver that wrongly checks only the first ``v1a`` keeps working), then the current key."""
        return (self.current,) if self.retiring is None else (self.retiring, self.current)

    def document(self) -> dict[str, Any]:
        """``/.well-known/webhook-key``: the current key at the top level (as before rotation existed), and in
        ``keys`` every key that signs deliveries now, each with its ``status`` (current or retiring)."""
        def entry(key: WebhookSigner, status: str) -> dict[str, Any]:
            return {"publicKey": key.public_string(), "kid": key.kid, "jwk": key.public_jwk(), "status": status}

        retiring = [entry(self.retiring, "retiring")] if self.retiring is not None else []
        return {"publicKey": self.current.public_string(), "kid": self.current.kid, "jwk": self.current.public_jwk(),
                "keys": [entry(self.current, "current"), *retiring]}


def load_or_create_keys(secrets_dir: Path) -> WebhookKeys:
    """The current key (as ``load_or_create``) and, during a rotation's overlap, the retiring one."""
    if os.environ.get(ENV_VAR):
        return WebhookKeys(load_or_create(secrets_dir))
    keys = keyring.load(secrets_dir / DEFAULT_FILE, key_kind())
    assert keys is not None
    retiring = WebhookSigner.from_secret_string(keys.retiring) if keys.retiring is not None else None
    return WebhookKeys(WebhookSigner.from_secret_string(keys.current), retiring)
