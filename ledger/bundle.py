"""Offline verification of a record bundle: everything needed to trust one event, in one JSON.

A bundle carries the publisher's compact JWS, the publisher's keys, the time the registry
accepted the event, its log position with an inclusion proof, and a signed checkpoint. With
only the registry's verifier key (and the log origin) anyone can check that the publisher
signed the event with a key valid at the time, that the event is leaf ``log_index`` of the
log, and that the registry signed that log state; given an older checkpoint and a
consistency proof, also that the log only grew in between.

``verify_bundle`` never raises for bad input: it reports each check with a reason, so a
partner's UI can show exactly what failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from .checkpoint import Checkpoint, CheckpointError, NoteVerifier, open_checkpoint, verifiers_from
from .events import EventSignatureError, VerifiedEvent, verify_event
from .merkle import HASH_SIZE, ProofError, leaf_hash, verify_consistency, verify_inclusion

__all__ = [
    "CHECK_CHECKPOINT",
    "CHECK_CONSISTENCY",
    "CHECK_INCLUSION",
    "CHECK_LEAF_HASH",
    "CHECK_PUBLISHER_SIGNATURE",
    "BundleReport",
    "CheckResult",
    "build_bundle",
    "key_valid_at",
    "verify_bundle",
]

CHECK_PUBLISHER_SIGNATURE = "publisher_signature"
CHECK_LEAF_HASH = "leaf_hash"
CHECK_INCLUSION = "inclusion"
CHECK_CHECKPOINT = "checkpoint_signature"
CHECK_CONSISTENCY = "consistency"

Status = Literal["ok", "failed", "skipped"]
#: JWK members that say when a publisher key may sign; not part of RFC 7517.
_VALIDITY_FIELDS = ("valid_from", "revoked_at")


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    reason: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class BundleReport:
    """One result per check; ``ok`` only if none failed."""

    checks: tuple[CheckResult, ...]
    event: VerifiedEvent | None = field(default=None, compare=False)
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return all(c.status != "failed" for c in self.checks)

    def check(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checks": [{"name": c.name, "status": c.status, "reason": c.reason} for c in self.checks],
        }


def _parse_time(value: object, what: str) -> datetime:
    """ISO-8601 with an explicit offset: a bare local time cannot be compared safely."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be an ISO-8601 string")
    try:
        t = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{what} is not ISO-8601: {value!r}") from exc
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{what} has no time zone: {value!r}")
    return t


def key_valid_at(jwk: Mapping[str, Any], at: datetime) -> tuple[bool, str]:
    """Whether a publisher key may have signed at ``at``: ``valid_from <= at < revoked_at``."""
    valid_from = jwk.get("valid_from")
    revoked_at = jwk.get("revoked_at")
    if valid_from is not None and at < _parse_time(valid_from, "valid_from"):
        return False, f"key {jwk.get('kid')!r} only valid from {valid_from}"
    if revoked_at is not None and at >= _parse_time(revoked_at, "revoked_at"):
        return False, f"key {jwk.get('kid')!r} revoked at {revoked_at}"
    return True, "key valid at that time"


def _hex_hash(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise ValueError(f"{what} is not hex") from exc
    if len(raw) != HASH_SIZE or raw.hex() != value.lower() or len(value) != 2 * HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes of hex")
    return raw


def _hex_list(value: object, what: str) -> list[bytes]:
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list of hex hashes")
    return [_hex_hash(v, f"{what}[{i}]") for i, v in enumerate(value)]


def _key_resolver(keys_doc: object, at: datetime, why: list[str]) -> Callable[[str], OKPKey]:
    """Resolve a kid in a JWKS to a key valid at ``at``; the reason for a miss goes in ``why``."""
    if not isinstance(keys_doc, Mapping) or not isinstance(keys_doc.get("keys"), list):
        raise ValueError('publisher_keys must be a JWKS: {"keys": [...]}')
    entries = [k for k in keys_doc["keys"] if isinstance(k, Mapping)]

    def resolve(kid: str) -> OKPKey:
        matches = [k for k in entries if k.get("kid") == kid]
        if len(matches) != 1:
            why.append(f"{len(matches)} keys with kid {kid!r} in publisher_keys")
            raise KeyError(kid)
        jwk = matches[0]
        try:
            valid, reason = key_valid_at(jwk, at)
        except ValueError as exc:
            why.append(str(exc))
            raise KeyError(kid) from exc
        if not valid:
            why.append(f"{reason}; the event was accepted at {at.isoformat()}")
            raise KeyError(kid)
        if "d" in jwk:
            why.append(f"key {kid!r} includes a private part")
            raise KeyError(kid)
        try:
            return OKPKey.import_key({k: v for k, v in jwk.items() if k not in _VALIDITY_FIELDS})
        except (JoseError, ValueError, TypeError) as exc:
            why.append(f"key {kid!r} is not a usable OKP JWK: {exc}")
            raise KeyError(kid) from exc

    return resolve


def _check_publisher(bundle: Mapping[str, Any], keys_doc: object) -> tuple[CheckResult, VerifiedEvent | None]:
    why: list[str] = []
    try:
        at = _parse_time(bundle.get("signed_at"), "signed_at")
        resolve = _key_resolver(keys_doc, at, why)
        compact = bundle.get("event")
        if not isinstance(compact, str):
            raise ValueError("event must be a compact JWS string")
        event = verify_event(compact, resolve)
    except ValueError as exc:
        return CheckResult(CHECK_PUBLISHER_SIGNATURE, "failed", str(exc)), None
    except EventSignatureError as exc:
        detail = f" ({'; '.join(why)})" if why else ""
        return CheckResult(CHECK_PUBLISHER_SIGNATURE, "failed", f"{exc.code}: {exc.message}{detail}"), None
    reason = f"{event.alg} signature by key {event.kid!r}, valid at signed_at {at.isoformat()}"
    return CheckResult(CHECK_PUBLISHER_SIGNATURE, "ok", reason), event


def _event_leaf(bundle: Mapping[str, Any]) -> bytes:
    event = bundle.get("event")
    if not isinstance(event, str) or not event.isascii():
        raise ValueError("event must be an ASCII compact JWS string")
    return leaf_hash(event.encode("ascii"))


def _check_leaf(bundle: Mapping[str, Any]) -> CheckResult:
    try:
        computed = _event_leaf(bundle)
        claimed = _hex_hash(bundle.get("leaf_hash"), "leaf_hash")
    except ValueError as exc:
        return CheckResult(CHECK_LEAF_HASH, "failed", str(exc))
    if computed != claimed:
        return CheckResult(CHECK_LEAF_HASH, "failed", f"SHA-256(0x00 || event) is {computed.hex()}")
    return CheckResult(CHECK_LEAF_HASH, "ok", "leaf_hash = SHA-256(0x00 || event)")


def _check_checkpoint(
    note: object, verifier: Sequence[NoteVerifier] | None, verifier_error: str, origin: str, what: str
) -> tuple[CheckResult, Checkpoint | None]:
    if verifier is None:
        return CheckResult(CHECK_CHECKPOINT, "failed", verifier_error), None
    if not isinstance(note, str):
        return CheckResult(CHECK_CHECKPOINT, "failed", f"{what} must be a signed note string"), None
    try:
        cp = open_checkpoint(note, verifier, origin)
    except CheckpointError as exc:
        return CheckResult(CHECK_CHECKPOINT, "failed", f"{what}: {exc}"), None
    return CheckResult(CHECK_CHECKPOINT, "ok", f"{what} signed by {verifier[0].name}, size {cp.size}"), cp


def _check_inclusion(bundle: Mapping[str, Any], cp: Checkpoint | None) -> CheckResult:
    if cp is None:
        return CheckResult(CHECK_INCLUSION, "failed", "cannot check: the checkpoint did not verify")
    try:
        leaf = _event_leaf(bundle)
        index = bundle.get("log_index")
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValueError("log_index must be an integer")
        proof = _hex_list(bundle.get("inclusion_proof"), "inclusion_proof")
        verify_inclusion(leaf, index, cp.size, proof, cp.root_hash)
    except (ValueError, ProofError) as exc:
        return CheckResult(CHECK_INCLUSION, "failed", str(exc))
    return CheckResult(CHECK_INCLUSION, "ok", f"event is leaf {index} of the tree of size {cp.size}")


def _check_consistency(
    cp: Checkpoint | None,
    previous_checkpoint: str | None,
    consistency_proof: Sequence[str] | None,
    verifier: Sequence[NoteVerifier] | None,
    verifier_error: str,
    origin: str,
) -> CheckResult:
    if previous_checkpoint is None:
        return CheckResult(CHECK_CONSISTENCY, "skipped", "no previous checkpoint given")
    prev_result, prev = _check_checkpoint(previous_checkpoint, verifier, verifier_error, origin, "previous checkpoint")
    if prev is None:
        return CheckResult(CHECK_CONSISTENCY, "failed", prev_result.reason)
    if cp is None:
        return CheckResult(CHECK_CONSISTENCY, "failed", "cannot check: the bundle's checkpoint did not verify")
    if prev.size > cp.size:
        return CheckResult(
            CHECK_CONSISTENCY, "failed", f"previous checkpoint (size {prev.size}) is larger than {cp.size}"
        )
    try:
        proof = _hex_list(list(consistency_proof or []), "consistency_proof")
        verify_consistency(prev.size, cp.size, proof, prev.root_hash, cp.root_hash)
    except (ValueError, ProofError) as exc:
        return CheckResult(CHECK_CONSISTENCY, "failed", str(exc))
    return CheckResult(CHECK_CONSISTENCY, "ok", f"tree of size {cp.size} extends tree of size {prev.size}")


def verify_bundle(
    bundle: Mapping[str, Any] | str | bytes,
    registry_vkey: str | Sequence[str],
    origin: str,
    previous_checkpoint: str | None = None,
    consistency_proof: Sequence[str] | None = None,
    *,
    trusted_publisher_keys: Mapping[str, Any] | None = None,
) -> BundleReport:
    """Check a record bundle offline and report every check.

    ``registry_vkey`` is the registry's note verifier key (``name+hex8+base64``), or its
    keys (a list, or one per line) when it rotated its key, and ``origin`` the log's origin
    line, both obtained out of band. The bundle's own
    ``publisher_keys`` are used unless ``trusted_publisher_keys`` (a JWKS from a source
    the caller trusts, e.g. the registry's key directory) is given. ``signed_at`` comes
    from the bundle: it is the registry's statement, not covered by the publisher's
    signature or the log.
    """
    if isinstance(bundle, str | bytes):
        try:
            bundle = json.loads(bundle)
        except ValueError:
            bundle = None  # type: ignore[assignment]
    if not isinstance(bundle, Mapping):
        reason = "bundle is not a JSON object"
        names = (CHECK_PUBLISHER_SIGNATURE, CHECK_LEAF_HASH, CHECK_INCLUSION, CHECK_CHECKPOINT)
        return BundleReport(tuple(CheckResult(n, "failed", reason) for n in names))

    verifier: list[NoteVerifier] | None = None
    verifier_error = ""
    try:
        verifier = verifiers_from(registry_vkey)
    except (CheckpointError, ValueError, TypeError, AttributeError) as exc:
        verifier_error = f"registry verifier key is unusable: {exc}"

    keys_doc = trusted_publisher_keys if trusted_publisher_keys is not None else bundle.get("publisher_keys")
    publisher, event = _check_publisher(bundle, keys_doc)
    leaf = _check_leaf(bundle)
    checkpoint, cp = _check_checkpoint(bundle.get("checkpoint"), verifier, verifier_error, origin, "checkpoint")
    inclusion = _check_inclusion(bundle, cp)
    consistency = _check_consistency(cp, previous_checkpoint, consistency_proof, verifier, verifier_error, origin)
    return BundleReport((publisher, leaf, inclusion, checkpoint, consistency), event, cp)


def build_bundle(
    event: str,
    publisher_keys: Mapping[str, Any],
    signed_at: datetime,
    log_index: int,
    inclusion_proof: Sequence[bytes],
    checkpoint: str,
) -> dict[str, Any]:
    """Assemble the bundle JSON object the registry hands out (the inverse of the parsing above)."""
    if signed_at.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    return {
        "event": event,
        "publisher_keys": dict(publisher_keys),
        "signed_at": signed_at.isoformat(),
        "log_index": log_index,
        "leaf_hash": leaf_hash(event.encode("ascii")).hex(),
        "inclusion_proof": [h.hex() for h in inclusion_proof],
        "checkpoint": checkpoint,
    }
