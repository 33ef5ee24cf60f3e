"""C2SP tlog-cosignature (Ed25519, ``cosignature/v1``): a witness's timestamped statement that a checkpoint is
the largest consistent tree it has seen of that log.

A cosignature is a signed-note signature line ``— <name> base64(key ID || timestamp || signature)``:

- key ID: SHA-256(name || "\\n" || 0x04 || 32-byte Ed25519 public key)[:4];
- timestamp: 8 bytes big-endian, POSIX seconds;
- signature: Ed25519 over ``"cosignature/v1\\n" + "time <timestamp>\\n" + <checkpoint note text>``.

Keys are written like the registry's note keys, with algorithm byte 0x04: ``name+hex8+base64(0x04 || key)``
for the verifier and ``PRIVATE+KEY+name+hex8+base64(0x04 || seed)`` for the signer.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from ledger.checkpoint import _KEY_ID_RE, _SIG_PREFIX, CheckpointError, _b64decode, _key_id, _valid_name

__all__ = ["ALG_COSIGNATURE_V1", "CosignatureVerifier", "Cosigner", "cosigned_by", "signed_message"]

ALG_COSIGNATURE_V1 = 0x04


def signed_message(text: str, timestamp: int) -> bytes:
    """What a cosignature signs: the header, the time line, then the checkpoint note text."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode("utf-8")


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class CosignatureVerifier:
    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        if not _valid_name(name):
            raise CheckpointError(f"invalid cosigner name {name!r}")
        self.name = name
        self.public_key = public_key
        self.key_id = _key_id(name, bytes([ALG_COSIGNATURE_V1]) + _raw(public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> CosignatureVerifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not _valid_name(parts[0]) or not _KEY_ID_RE.fullmatch(parts[1]):
            raise CheckpointError("a witness key is name+keyid+key")
        raw = _b64decode(parts[2])
        if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
            raise CheckpointError("not an Ed25519 cosignature/v1 key (algorithm byte 0x04)")
        verifier = cls(parts[0], Ed25519PublicKey.from_public_bytes(raw[1:]))
        if verifier.key_id != int(parts[1], 16):
            raise CheckpointError("the witness key ID does not match the key")
        return verifier

    def verifier_key_string(self) -> str:
        key = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + _raw(self.public_key)).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{key}"

    def timestamp_of(self, text: str, line: str) -> int | None:
        """The timestamp of a valid cosignature line of this witness over ``text``, else None."""
        if not line.startswith(_SIG_PREFIX):
            return None
        name, _, b64 = line[len(_SIG_PREFIX):].strip().partition(" ")
        if name != self.name:
            return None
        try:
            blob = _b64decode(b64)
        except CheckpointError:
            return None
        if len(blob) != 4 + 8 + 64 or int.from_bytes(blob[:4], "big") != self.key_id:
            return None
        stamp = int.from_bytes(blob[4:12], "big")
        try:
            self.public_key.verify(blob[12:], signed_message(text, stamp))
        except InvalidSignature:
            return None
        return stamp


class Cosigner(CosignatureVerifier):
    """A witness's signing key under its name."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        super().__init__(name, private_key.public_key())
        self._private = private_key

    @classmethod
    def generate(cls, name: str) -> Cosigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Cosigner:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _valid_name(parts[2]):
            raise CheckpointError("a witness signer key is PRIVATE+KEY+name+keyid+key")
        raw = _b64decode(parts[4])
        if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
            raise CheckpointError("not an Ed25519 cosignature/v1 signer key (algorithm byte 0x04)")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if not _KEY_ID_RE.fullmatch(parts[3]) or signer.key_id != int(parts[3], 16):
            raise CheckpointError("the witness signer key ID does not match the key")
        return signer

    def signer_key_string(self) -> str:
        seed = self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        key = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{key}"

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)

    def cosign(self, text: str, timestamp: int | None = None) -> str:
        """The signature line for a checkpoint note text."""
        stamp = int(time.time()) if timestamp is None else timestamp
        blob = self.key_id.to_bytes(4, "big") + stamp.to_bytes(8, "big") + self._private.sign(
            signed_message(text, stamp))
        return f"{_SIG_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


def cosigned_by(note: str, witnesses: Sequence[CosignatureVerifier]) -> list[str]:
    """The names of the given witnesses with a valid cosignature on the note (its text, signature lines)."""
    split = note.rfind("\n\n")
    if split < 0:
        return []
    text, lines = note[: split + 1], note[split + 2:].splitlines()
    return [w.name for w in witnesses if any(w.timestamp_of(text, line) is not None for line in lines)]
