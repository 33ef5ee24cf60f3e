"""An attestation's anchor in the transparency log: the signed event its status comes from, provably logged.

The ``log`` claim names the publisher event that set the certification's current state (its log index and
leaf hash, SHA-256(0x00 || JWS)) with an RFC 9162 inclusion proof against a checkpoint signed by the
registry's log key (C2SP signed note). A verifier holding that key (``/.well-known/registry-log-key``,
obtained out of band) checks offline that the registry has committed, in its append-only log, to an event
behind this status; the POST board that signed the event finds the same leaf in its own monitor. The
event's content stays private (the leaf hash is over a salted JWS), so the anchor tells nobody more than
the status already does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.checkpoint import CheckpointError, open_checkpoint, verifiers_from
from ledger.merkle import ProofError, verify_inclusion

__all__ = ["AnchorError", "LogAnchor", "claim", "verify"]


class AnchorError(ValueError):
    """A ``log`` claim that is malformed, signed by another key, or whose proof does not hold."""


@dataclass(frozen=True)
class LogAnchor:
    index: int
    leaf_hash: str
    tree_size: int
    origin: str


def claim(index: int, leaf_hash: bytes, proof: Sequence[bytes], checkpoint: str) -> dict[str, Any]:
    """The ``log`` claim: everything needed to check the event's inclusion with the log key alone."""
    return {"index": index, "leafHash": leaf_hash.hex(), "inclusionProof": [h.hex() for h in proof],
            "checkpoint": checkpoint}


def _hex32(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise AnchorError(f"log.{what} must be 64 hex digits")
    return raw


def verify(log: Any, log_key: str | Sequence[str], origin: str | None = None) -> LogAnchor:
    """Check the ``log`` claim against the registry's log verifier key (``name+keyid+base64``), or any of its keys
    (several lines or a list: during a key rotation a checkpoint signed by either one holds).

    ``origin`` defaults to the (first) key's name, as for ``registry verify``.
    """
    try:
        verifiers = verifiers_from(log_key)
    except (CheckpointError, ValueError, TypeError, AttributeError) as err:
        raise AnchorError(f"the log key is unusable: {err}") from None
    if not isinstance(log, Mapping):
        raise AnchorError("the log claim is not an object")
    index, note, proof = log.get("index"), log.get("checkpoint"), log.get("inclusionProof")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise AnchorError("log.index must be a non-negative integer")
    if not isinstance(note, str) or not isinstance(proof, list):
        raise AnchorError("log.checkpoint must be a signed note and log.inclusionProof a list")
    leaf = _hex32(log.get("leafHash"), "leafHash")
    path = [_hex32(h, "inclusionProof[]") for h in proof]
    try:
        cp = open_checkpoint(note, verifiers, origin or verifiers[0].name)
        verify_inclusion(leaf, index, cp.size, path, cp.root_hash)
    except CheckpointError as err:
        raise AnchorError(f"the checkpoint does not verify with the log key: {err}") from None
    except ProofError as err:
        raise AnchorError(f"the event is not proven in the log: {err}") from None
    return LogAnchor(index=index, leaf_hash=leaf.hex(), tree_size=cp.size, origin=cp.origin)
