"""Checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, signed with Ed25519.

Formats (c2sp.org/signed-note, c2sp.org/tlog-checkpoint; key strings as
golang.org/x/mod/sumdb/note so Go witnesses and tools interoperate):

- note: ``text`` (ends in "\\n") + "\\n" + one or more ``"— <name> <base64(keyid4 || sig)>\\n"``;
- key ID: first 4 bytes of SHA-256(name || "\\n" || 0x01 || 32-byte public key);
- verifier key: ``"<name>+<8 hex key ID>+<base64(0x01 || public key)>"``;
- checkpoint text: origin, decimal size, base64 root hash, optional extension lines.

Parsing is strict (canonical numbers and base64, no control characters) so a
checkpoint has exactly one textual form and verifiers written elsewhere agree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

__all__ = [
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "CheckpointError",
    "NoteSigner",
    "NoteVerifier",
    "format_checkpoint",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "sign_checkpoint",
    "sign_note",
    "verifiers_from",
]

#: Signature type byte of Ed25519 in signed notes.
ALG_ED25519 = 0x01
#: Notes with more signature lines are refused outright (sumdb/note uses 100).
MAX_SIGNATURES = 100
_SIG_PREFIX = "\u2014 "  # em dash, space
_HASH_SIZE = 32
_KEY_ID_RE = re.compile(r"[0-9a-fA-F]{8}")
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A note, key string or checkpoint is malformed, unsigned, or signed by the wrong key."""


def _b64decode(value: str) -> bytes:
    """Standard base64 (RFC 4648 section 4), padded, and canonical: one text per byte string."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise CheckpointError("invalid base64") from exc
    if base64.b64encode(raw).decode("ascii") != value:
        raise CheckpointError("non-canonical base64")
    return raw


def _valid_name(name: str) -> bool:
    """Key names: non-empty, no Unicode spaces, no '+' (signed-note)."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name) and _no_controls(name)


def _no_controls(text: str) -> bool:
    return not any(ord(c) < 0x20 and c != "\n" for c in text)


def _is_utf8(text: str) -> bool:
    """False for strings holding lone surrogates, which have no UTF-8 encoding."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_line(text: str) -> bool:
    """A non-empty line of UTF-8 text without control characters (newline included)."""
    return bool(text) and not any(ord(c) < 0x20 for c in text) and _is_utf8(text)


def _key_id(name: str, alg_and_key: bytes) -> int:
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + alg_and_key).digest()
    return int.from_bytes(digest[:4], "big")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class NoteVerifier:
    """An Ed25519 note verifier: key name, key ID and public key."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        if not _valid_name(name):
            raise CheckpointError(f"invalid key name {name!r}")
        self.name = name
        self.public_key = public_key
        self.key_id = _key_id(name, bytes([ALG_ED25519]) + _raw_public(public_key))

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``"name+hex8+base64(0x01 || key)"``, checking the key ID matches the key."""
        parts = vkey.split("+", 2)  # the base64 key may itself contain '+'
        if len(parts) != 3:
            raise CheckpointError("verifier key must be name+keyid+key")
        name, key_id_hex, key_b64 = parts
        if not _valid_name(name) or not _KEY_ID_RE.fullmatch(key_id_hex):
            raise CheckpointError("malformed verifier key")
        raw = _b64decode(key_b64)
        if len(raw) != 1 + 32 or raw[0] != ALG_ED25519:
            raise CheckpointError("verifier key is not an Ed25519 note key")
        if _key_id(name, raw) != int(key_id_hex, 16):
            raise CheckpointError("verifier key ID does not match the key")
        return cls(name, Ed25519PublicKey.from_public_bytes(raw[1:]))

    def verifier_key_string(self) -> str:
        """The ``name+hex8+base64`` form that operators publish and partners configure."""
        key = base64.b64encode(bytes([ALG_ED25519]) + _raw_public(self.public_key)).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{key}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """True when ``signature`` (64 bytes, no key ID) is this key's Ed25519 signature of ``text``."""
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"NoteVerifier({self.verifier_key_string()!r})"


def verifiers_from(keys: str | Sequence[str]) -> list[NoteVerifier]:
    """Verifier keys given as one string, several lines of one (as ``/.well-known/registry-log-keys`` serves
    them) or a list: a log has several keys while it rotates its key, and keeps its old keys' public halves."""
    lines = keys.splitlines() if isinstance(keys, str) else [line for k in keys for line in k.splitlines()]
    verifiers = [NoteVerifier.from_vkey(line.strip()) for line in lines if line.strip()]
    if not verifiers:
        raise CheckpointError("no verifier key given")
    return verifiers


class NoteSigner:
    """An Ed25519 note signer: the registry's checkpoint key under its key name."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._verifier = NoteVerifier(name, private_key.public_key())

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parse sumdb/note's ``"PRIVATE+KEY+name+hex8+base64(0x01 || seed)"`` signer key."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise CheckpointError("signer key must be PRIVATE+KEY+name+keyid+key")
        name, key_id_hex, key_b64 = parts[2:]
        if not _valid_name(name) or not _KEY_ID_RE.fullmatch(key_id_hex):
            raise CheckpointError("malformed signer key")
        raw = _b64decode(key_b64)
        if len(raw) != 1 + 32 or raw[0] != ALG_ED25519:
            raise CheckpointError("signer key is not an Ed25519 note key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id != int(key_id_hex, 16):
            raise CheckpointError("signer key ID does not match the key")
        return signer

    @property
    def name(self) -> str:
        return self._verifier.name

    @property
    def key_id(self) -> int:
        return self._verifier.key_id

    def verifier(self) -> NoteVerifier:
        return self._verifier

    def verifier_key_string(self) -> str:
        return self._verifier.verifier_key_string()

    def signer_key_string(self) -> str:
        """The secret ``PRIVATE+KEY+name+hex8+base64(0x01 || seed)`` form that ``from_skey`` reads back."""
        seed = self._private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        key = base64.b64encode(bytes([ALG_ED25519]) + seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{key}"

    def sign(self, text: bytes) -> bytes:
        """Raw Ed25519 signature of the note text (deterministic, RFC 8032)."""
        return self._private_key.sign(text)

    def signature_line(self, text: str) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.sign(text.encode("utf-8"))
        return f"{_SIG_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}\n"

    def __repr__(self) -> str:
        return f"NoteSigner({self.name!r}, key_id={self.key_id:08x})"


def _check_text(text: str) -> None:
    if not text.endswith("\n") or not _no_controls(text) or not _is_utf8(text):
        raise CheckpointError("note text must end with a newline and contain no control characters")


def sign_note(text: str, signers: NoteSigner | Sequence[NoteSigner]) -> str:
    """The signed note: ``text``, a blank line, one signature line per signer."""
    _check_text(text)
    if isinstance(signers, NoteSigner):
        signers = [signers]
    if not signers:
        raise CheckpointError("at least one signer is required")
    return text + "\n" + "".join(s.signature_line(text) for s in signers)


def open_note(note: str, verifiers: NoteVerifier | Sequence[NoteVerifier]) -> str:
    """Verify a signed note and return its text.

    As the signed-note spec: signatures from keys not in ``verifiers`` (name and key ID)
    are ignored; a signature from a known key that does not verify rejects the note; at
    least one known signature must verify.
    """
    if isinstance(verifiers, NoteVerifier):
        verifiers = [verifiers]
    known: dict[tuple[str, int], NoteVerifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known and known[(v.name, v.key_id)].verifier_key_string() != (v.verifier_key_string()):
            raise CheckpointError(f"ambiguous key {v.name}+{v.key_id:08x}")
        known[(v.name, v.key_id)] = v

    if not isinstance(note, str) or not _no_controls(note) or not _is_utf8(note):
        raise CheckpointError("malformed note")
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("malformed note: no signature block")
    text, sigs = note[: split + 1], note[split + 2 :]
    if not sigs or not sigs.endswith("\n"):
        raise CheckpointError("malformed note: no signatures")
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError("malformed note: too many signatures")

    text_bytes = text.encode("utf-8")
    verified = 0
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise CheckpointError("malformed note: bad signature line")
        name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or not _valid_name(name) or not b64:
            raise CheckpointError("malformed note: bad signature line")
        blob = _b64decode(b64)
        if len(blob) < 5:
            raise CheckpointError("malformed note: short signature")
        verifier = known.get((name, int.from_bytes(blob[:4], "big")))
        if verifier is None:
            continue  # someone else's signature (a witness, a rotated key): ignored
        if not verifier.verify(text_bytes, blob[4:]):
            raise CheckpointError(f"invalid signature for key {name}+{verifier.key_id:08x}")
        verified += 1
    if not verified:
        raise CheckpointError("note has no signature from a trusted key")
    return text


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: the log's origin, its size and the RFC 9162 root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not _clean_line(self.origin):
            raise CheckpointError("origin must be a non-empty single line")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 <= self.size < 1 << 64:
            raise CheckpointError("size must be an integer in [0, 2**64)")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != _HASH_SIZE:
            raise CheckpointError("root hash must be 32 bytes")
        for ext in self.extensions:
            if not isinstance(ext, str) or not _clean_line(ext):
                raise CheckpointError("extension lines must be non-empty single lines")


def format_checkpoint(cp: Checkpoint) -> str:
    """The checkpoint note text (the part that is signed)."""
    lines = [cp.origin, str(cp.size), base64.b64encode(cp.root_hash).decode("ascii"), *cp.extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text (already verified); strict about every line."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("checkpoint needs origin, size and root hash lines, none empty")
    origin, size, root, *extensions = lines
    if not _SIZE_RE.fullmatch(size):
        raise CheckpointError("tree size must be a decimal number without leading zeros")
    return Checkpoint(origin, int(size), _b64decode(root), tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signer: NoteSigner | Sequence[NoteSigner]) -> str:
    """The full signed-note text of ``cp``."""
    return sign_note(format_checkpoint(cp), signer)


def open_checkpoint(note: str, verifier: NoteVerifier | Sequence[NoteVerifier], origin: str) -> Checkpoint:
    """Verify the note's signature, parse its body and check it is the expected log's."""
    cp = parse_checkpoint(open_note(note, verifier))
    if cp.origin != origin:
        raise CheckpointError(f"checkpoint origin {cp.origin!r} is not {origin!r}")
    return cp
