"""The registry's own log key: the Ed25519 key that signs checkpoints.

Stored as golang.org/x/mod/sumdb/note's signer key string (``PRIVATE+KEY+name+hex8+base64``) so
operators can move it between this registry and Go tooling. Production sets
``REGISTRY_LOG_SIGNER_KEY`` (from a secret store); single-node installs get a 0600 file created on
first use. Losing the key means future checkpoints cannot be linked to past ones by signature, so
the file is created once, atomically, and replaced only by ``registry rotate-key log``
(``registry.keyring``), which keeps the previous key signing beside the new one until
``registry retire-key log`` ends the overlap, and its public half after that: a checkpoint signed
before the rotation bears only the old key's signature, and still verifies.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledger.checkpoint import CheckpointError, NoteSigner, NoteVerifier
from registry import keyring
from registry.secret_files import read_or_create

__all__ = ["DEFAULT_FILE", "ENV_VAR", "LogKeyError", "LogKeys", "key_kind", "load_log_verifier", "load_log_verifiers",
           "load_or_create_log_keys", "load_or_create_log_signer"]

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
    _check_name(signer.name, where, name)
    return signer


def _parse_public(text: str, where: str, name: str) -> NoteVerifier:
    try:
        verifier = NoteVerifier.from_vkey(text.strip())
    except CheckpointError as exc:
        raise LogKeyError(f"{where} holds a line that is not a verifier key (name+keyid+key): {exc}") from None
    _check_name(verifier.name, where, name)
    return verifier


def _check_name(found: str, where: str, name: str) -> None:
    if found != name:
        raise LogKeyError(f"{where} holds a key named {found!r}, but this log's origin is {name!r}; "
                          "a checkpoint key is named after the log it signs")


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


# --- rotation ----------------------------------------------------------------------------------------
def key_kind(name: str) -> keyring.KeyKind:
    """The log key of the log ``name`` in ``registry.keyring``: it keeps signing while it retires, and its
    public half is kept after, for the checkpoints it signed."""

    def kid(text: str) -> str:
        text = text.strip()
        if text.startswith("PRIVATE+"):
            return f"{_parse(text, 'a log key', name).key_id:08x}"
        return f"{_parse_public(text, 'a log key', name).key_id:08x}"

    return keyring.KeyKind(name="log", env_var=ENV_VAR, error=LogKeyError,
                           new=lambda: NoteSigner.generate(name).signer_key_string(), kid=kid,
                           retiring=lambda text: text.strip(),
                           retired=lambda text: _parse(text, "a log key", name).verifier_key_string())


@dataclass(frozen=True)
class LogKeys:
    current: NoteSigner                   # signs every checkpoint
    retiring: NoteSigner | None = None    # during a rotation's overlap: signs every checkpoint too
    retired: tuple[NoteVerifier, ...] = ()  # signs nothing more; kept to verify the checkpoints it signed


def load_or_create_log_keys(path: Path, name: str) -> LogKeys:
    """The log's keys: ``$REGISTRY_LOG_SIGNER_KEY`` alone if set, else the key in ``path`` (created if absent)
    with the retiring and retired keys beside it."""
    if os.environ.get(ENV_VAR):
        return LogKeys(load_or_create_log_signer(path, name))
    keys = keyring.load(path, key_kind(name))
    assert keys is not None
    return _log_keys(keys, path, name)


def load_log_verifiers(path: Path, name: str) -> tuple[NoteVerifier, ...]:
    """The public halves of the configured log keys (current, retiring, retired); none when no key exists yet
    (never creates one)."""
    if os.environ.get(ENV_VAR):
        return (load_or_create_log_signer(path, name).verifier(),)
    stored = keyring.load(path, key_kind(name), create=False)
    if stored is None:
        return ()
    keys = _log_keys(stored, path, name)
    return (keys.current.verifier(), *([keys.retiring.verifier()] if keys.retiring else []), *keys.retired)


def _log_keys(keys: keyring.StoredKeys, path: Path, name: str) -> LogKeys:
    retiring = _parse(keys.retiring, f"{path}.retiring", name) if keys.retiring is not None else None
    return LogKeys(_parse(keys.current, str(path), name), retiring,
                   tuple(_parse_public(k, f"{path}.retired", name) for k in keys.retired))
