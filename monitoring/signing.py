"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Signed content is ``{webhook-id}.{webhook-timestamp}.{body}``. ``v1a`` is Ed25519 with the
registry's webhook key (public key ``whpk_<base64>``, published at ``/.well-known/webhook-key``);
``v1`` is HMAC-SHA256 with a per-endpoint secret ``whsec_<base64>``. Every delivery carries a ``v1a``
signature; deliveries to a ``v1`` endpoint carry a ``v1`` signature as well (the header is a
space-separated list, and a verifier uses the one it knows).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

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


def signature_header(signer: WebhookSigner, scheme: str, secret: bytes | None, webhook_id: str, timestamp: int,
                     body: str) -> str:
    sigs = []
    if scheme == "v1":
        assert secret is not None
        sigs.append(hmac_signature(secret, webhook_id, timestamp, body))
    sigs.append(signer.sign(webhook_id, timestamp, body))
    return " ".join(sigs)


def load_or_create(secrets_dir: Path) -> WebhookSigner:
    """REGISTRY_WEBHOOK_SIGNING_KEY (whsk_...) if set, else a 0600 file created once in the secrets dir."""
    env = os.environ.get(ENV_VAR)
    if env:
        return WebhookSigner.from_secret_string(env)
    path = secrets_dir / DEFAULT_FILE
    text = read_or_create(path, lambda: WebhookSigner.generate().secret_string() + "\n", WebhookKeyError)
    return WebhookSigner.from_secret_string(text)
