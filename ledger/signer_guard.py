"""The checkpoint signer's memory, kept beside its key and outside the database: the last tree it signed.

A checkpoint is a promise that every later checkpoint extends it. The database cannot keep that promise
on its own: restored from an earlier backup, it no longer holds the tree the registry last signed, and new
entries would make a second history under the same signature. So before signing, the checkpointer proves
from the database that the new tree extends the last (size, root) recorded here, and it records the new
head here (atomically, under a file lock) before the signature leaves. A tree that does not extend it is
refused with one error; docs/ledger-operations.md says what an operator does after a restore.

The memory belongs to the log, not to a key: a key rotation (``registry rotate-key log``) changes who signs,
never the head recorded here, so the new key is held to every tree the old one signed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from joserfc.jwk import OKPKey

from ledger import state_file
from ledger.checkpoint import NoteSigner, NoteVerifier
from ledger.witnessing import WitnessEndpoint

__all__ = ["LogSigner", "SignedHead", "SignerState", "StateError"]

DEFAULT_FILE = "log-signer.state"


class StateError(RuntimeError):
    """The signer state file cannot be read or written."""


SignedHead = state_file.TreeHead


class SignerState:
    """The last signed head, in a JSON file (``None``: kept in memory, for throwaway test signers)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._memory: SignedHead | None = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        with state_file.locked(self.path):
            yield

    def last(self) -> SignedHead | None:
        if self.path is None:
            return self._memory
        try:
            return state_file.read_head(self.path)
        except ValueError as err:
            raise StateError(f"the log signer state {self.path} is unreadable ({err}); it must not be guessed: "
                             "restore it from backup (docs/ledger-operations.md)") from None

    def record(self, head: SignedHead) -> None:
        if self.path is None:
            self._memory = head
            return
        state_file.write_head(self.path, head)


@dataclass
class LogSigner:
    """The registry's checkpoint key together with the memory of what it signed.

    ``verify_entries``: check every new entry against its publisher's registered key before signing
    (``ledger.entry_check``). A bare ``NoteSigner`` handed to the checkpointer is the generic Merkle log
    (raw leaves, as in the log's own tests): it keeps no memory between calls and checks no entries.

    During a key rotation's overlap ``retiring`` (the previous key, same name) signs every checkpoint too, so
    verifiers that still hold only its public key keep verifying; ``retired`` keys sign nothing more but the
    checkpoints stored from before still bear their signatures. One ``state`` guards them all.
    """

    key: NoteSigner
    state: SignerState
    verify_entries: bool = True
    witnesses: tuple[WitnessEndpoint, ...] = ()  # asked to cosign every new checkpoint
    retiring: NoteSigner | None = None
    retired: tuple[NoteVerifier, ...] = ()
    # The registry admin keys a logged registration must verify under before a checkpoint covers it.
    admin_keys: Mapping[str, OKPKey] = field(default_factory=dict)

    @classmethod
    def of(cls, signer: NoteSigner | LogSigner) -> LogSigner:
        return signer if isinstance(signer, LogSigner) else cls(signer, SignerState(), verify_entries=False)

    @classmethod
    def generate(cls, name: str) -> LogSigner:
        return cls(NoteSigner.generate(name), SignerState())

    @property
    def name(self) -> str:
        return self.key.name

    def signing_keys(self) -> tuple[NoteSigner, ...]:
        """Who signs a new checkpoint: during an overlap the retiring key's line comes first, where it was before
        the rotation (a verifier that wrongly reads only the first line keeps working), then the current key's."""
        return (self.key,) if self.retiring is None else (self.retiring, self.key)

    def verifier(self) -> NoteVerifier:
        """The current key's public half (``/.well-known/registry-log-key``)."""
        return self.key.verifier()

    def verifier_key_string(self) -> str:
        return self.key.verifier_key_string()

    def verifiers(self) -> tuple[NoteVerifier, ...]:
        """Every key a checkpoint of this log may bear: current, retiring, retired (``registry-log-keys``)."""
        retiring = (self.retiring.verifier(),) if self.retiring is not None else ()
        return (self.key.verifier(), *retiring, *self.retired)

    def verifier_key_strings(self) -> list[str]:
        return [v.verifier_key_string() for v in self.verifiers()]
