"""Long-lived collaborators built once at start-up: keys, token verifier, log signer."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc.jwk import OKPKey

from auth import issuers_file
from auth.tokens import TokenVerifier, TrustedIssuer
from credentials import attestation
from ledger import admin_key, signer_guard
from ledger.checkpoint import CheckpointError
from ledger.cosignature import CosignatureVerifier
from ledger.keys import DEFAULT_FILE, LogKeyError, load_or_create_log_keys
from ledger.signer_guard import LogSigner, SignerState, StateError
from ledger.witnessing import WitnessEndpoint
from monitoring import signing as webhook_signing
from registry.config import ConfigError, Settings
from registry.secret_files import read_or_create

DEV_ISSUER = "https://dev-issuer.officer-registry.local"
DEV_TOKEN_SECONDS = 12 * 3600  # the lifetime of the tokens `registry serve --dev` prints


def ssn_key(settings: Settings) -> bytes:
    env = os.environ.get("REGISTRY_SSN_KEY")
    if env:
        try:
            key = bytes.fromhex(env)
        except ValueError:
            raise ConfigError("REGISTRY_SSN_KEY must be hex (at least 64 hex digits)") from None
        if len(key) < 32:
            raise ConfigError("REGISTRY_SSN_KEY must be at least 32 bytes, hex-encoded")
        return key
    text = read_or_create(settings.secrets_dir / "ssn-blind-index.hex", lambda: secrets.token_hex(32) + "\n",
                          ValueError)
    return bytes.fromhex(text.strip())


def dev_issuer_paths(settings: Settings) -> tuple[Path, Path]:
    return settings.secrets_dir / "dev-issuer.jwk", settings.secrets_dir / "dev-issuer.jwks.json"


def ensure_dev_issuer(settings: Settings) -> Path:
    """Create the local development token issuer (private key and public JWKS) if missing."""
    from auth.dev_issuer import create_issuer_key, load_issuer_key, write_public_jwks

    key_path, jwks_path = dev_issuer_paths(settings)
    key = load_issuer_key(key_path) if key_path.exists() else create_issuer_key(key_path)
    write_public_jwks(key, jwks_path)
    return jwks_path


def trusted_issuers(settings: Settings) -> list[TrustedIssuer]:
    issuers: list[TrustedIssuer] = []
    if settings.issuers_file is not None:
        issuers += issuers_file.load(settings.issuers_file, settings.audience)
    if settings.development:  # the local issuer vouches for any role; it exists only in development mode
        issuers.append(TrustedIssuer(issuer=DEV_ISSUER, jwks_file=ensure_dev_issuer(settings), jwks_url=None,
                                     audience=settings.audience, max_lifetime_seconds=DEV_TOKEN_SECONDS))
    return issuers


def log_signer(settings: Settings) -> LogSigner:
    """The checkpoint key, named after the log's origin (REGISTRY_LOG_SIGNER_KEY or a 0600 file; with the
    retiring and retired keys beside the file after a rotation), with the memory of the last tree signed
    (REGISTRY_LOG_SIGNER_STATE, default beside the key file), which no rotation changes."""
    keys = load_or_create_log_keys(settings.secrets_dir / DEFAULT_FILE, settings.log_origin)
    state = os.environ.get("REGISTRY_LOG_SIGNER_STATE")
    return LogSigner(keys.current,
                     SignerState(Path(state) if state else settings.secrets_dir / signer_guard.DEFAULT_FILE),
                     witnesses=witnesses(os.environ.get("REGISTRY_WITNESSES")), retiring=keys.retiring,
                     retired=keys.retired)


def witnesses(raw: str | None) -> tuple[WitnessEndpoint, ...]:
    """REGISTRY_WITNESSES: a JSON list of {"url": submission prefix, "key": the witness's verifier key}."""
    if not raw:
        return ()
    try:
        doc = json.loads(raw)
        if not isinstance(doc, list):
            raise ValueError("not a list")
        return tuple(WitnessEndpoint(str(w["url"]), CosignatureVerifier.from_vkey(str(w["key"]))) for w in doc)
    except (ValueError, KeyError, TypeError, CheckpointError) as err:
        raise ConfigError('REGISTRY_WITNESSES must be a JSON list of {"url": ..., "key": "name+keyid+base64"} '
                          f"({err})") from None


@dataclass
class Services:
    ssn_key: bytes
    verifier: TokenVerifier
    # Tests get a throwaway key; a server always builds the configured one.
    log_signer: LogSigner = field(default_factory=lambda: LogSigner.generate(Settings.log_origin))
    # Signs credential attestations (verifyCredential); its public half is /.well-known/jwks.json.
    attestation_key: OKPKey = field(default_factory=attestation.new_key)
    # Public halves of earlier attestation keys published beside it (retiring, and retired ones kept):
    # the attestations they signed still verify (docs/security.md, Key rotation).
    attestation_older_keys: tuple[OKPKey, ...] = ()
    # Signs webhooks (Standard Webhooks v1a); its public half is /.well-known/webhook-key.
    webhook_signer: webhook_signing.WebhookSigner = field(default_factory=webhook_signing.WebhookSigner.generate)
    # The previous webhook key during a rotation's overlap: every delivery carries its signature too.
    webhook_retiring: webhook_signing.WebhookSigner | None = None
    # Signs registrations (agencies, publishers, keys) as log entries; /.well-known/registry-admin-keys.
    admin_keys: admin_key.AdminKeys = field(default_factory=lambda: admin_key.AdminKeys(admin_key.new_key()))

    def __post_init__(self) -> None:
        # The checkpoint signer covers logged registrations only once they verify under these keys.
        if not self.log_signer.admin_keys:
            self.log_signer.admin_keys = self.admin_keys.public()

    def attestation_jwks(self) -> dict[str, Any]:
        """Every attestation key still published: the signing key, then the older ones."""
        return attestation.jwks(self.attestation_key, *self.attestation_older_keys)

    @property
    def webhook_keys(self) -> webhook_signing.WebhookKeys:
        return webhook_signing.WebhookKeys(self.webhook_signer, self.webhook_retiring)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Everything a process needs before it touches the database; a configuration mistake is one
        ``ConfigError`` naming the variable or file and the fix, never a traceback."""
        try:
            settings.secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # before any key file goes in
            issuers = trusted_issuers(settings)
            if not issuers:
                raise ConfigError("no trusted token issuer: set REGISTRY_ISSUERS_FILE to a JSON list of identity "
                                  "providers (docs/security.md), or serve with --dev for the local development issuer")
            attestation_key, older = attestation.load_or_create_keys(settings.secrets_dir / attestation.DEFAULT_FILE)
            webhook = webhook_signing.load_or_create_keys(settings.secrets_dir)
            return cls(ssn_key=ssn_key(settings), verifier=TokenVerifier(issuers), log_signer=log_signer(settings),
                       attestation_key=attestation_key, attestation_older_keys=older,
                       webhook_signer=webhook.current, webhook_retiring=webhook.retiring,
                       admin_keys=admin_key.load_or_create_keys(settings.secrets_dir / admin_key.DEFAULT_FILE))
        except ConfigError:
            raise
        except (issuers_file.IssuersFileError, LogKeyError, attestation.AttestationError,
                webhook_signing.WebhookKeyError, StateError, admin_key.AdminKeyError) as err:
            raise ConfigError(str(err)) from None
        except ValueError as err:  # the issuer list itself (duplicates), the SSN key
            raise ConfigError(str(err)) from None
        except OSError as err:
            raise ConfigError(f"cannot use the data directory {settings.data_dir} (REGISTRY_DATA_DIR): {err}") from None
