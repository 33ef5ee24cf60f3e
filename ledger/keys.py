"""The registry's own log key: the Ed25519 key that signs checkpoints.

Stored as golang.org/x/mod/sumdb/note's signer key string (``PRIVATE+KEY+name+hex8+base64``) so
operators can move it between this registry and Go tooling. Production sets
``REGISTRY_LOG_SIGNER_KEY`` (from a secret store); single-node installs get a 0600 file created on
first use. Losing the key means future checkpoints cannot be linked to past ones by signature, so
the file is created once, atomically, and never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.checkpoint import CheckpointError, NoteSigner, NoteVerifier
from registry.secret_files import read_or_create

__all__ = ["DEFAULT_FILE", "ENV_VAR", "LogKeyError", "load_log_verifier", "load_or_create_log_signer"]

ENV_VAR = "REGISTRY_LOG_SIGNER_KEY"
#: The key's file name in the registry's secrets directory.
DEFAULT_FILE = "log-signer.key"


class LogKeyError(ValueError):
    """The log key is unreadable, malformed, too widely readable, or named for another log."""


def _parse(text: str, where: str, name: str) -> NoteSigner:
    try:
        signer = NoteSigner.from_skey(text.strip())
    except CheckpointError as exc:
        raise LogKeyError(f"{where} is not a note signer key (PRIVATE+KEY+name+keyid+key): {exc}") from None
    if signer.name != name:
        raise LogKeyError(f"{where} holds a key named {signer.name!r}, but this log's origin is {name!r}; "
                          "a checkpoint key is named after the log it signs")
    return signer


def load_or_create_log_signer(path: Path, name: str) -> NoteSigner:
    """The checkpoint signer: ``$REGISTRY_LOG_SIGNER_KEY`` if set, else the key in ``path`` (created if absent)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return _parse(env, ENV_VAR, name)
    text = read_or_create(path, lambda: NoteSigner.generate(name).signer_key_string() + "\n", LogKeyError)
    return _parse(text, str(path), name)


def load_log_verifier(path: Path, name: str) -> NoteVerifier | None:
    """The public half of the configured log key, or None when no key exists yet (never creates one)."""
    if os.environ.get(ENV_VAR) or path.exists():
        return load_or_create_log_signer(path, name).verifier()
    return None
