"""GraphQL types of the transparency log: signed events, inclusion and consistency proofs.

Hashes are lowercase hex and proofs are RFC 9162 order (bottom-up), exactly as in the offline
bundle (docs/ledger-formats.md), so a client can pass them straight to its own verifier.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from auth.policy import Guard


@strawberry.type(description="A publisher's signed event about a record, as committed to the transparency log.")
class SignedEvent:
    jws: str | None = strawberry.field(
        description="The compact JWS exactly as signed (the log leaf's bytes); null once expunged.")
    log_index: int = strawberry.field(description="Position of the event in the log (0-based).")
    accepted_at: datetime = strawberry.field(description="When the registry accepted the event.")
    type: str = strawberry.field(description="The event type, e.g. record.published.")
    expunged: bool = strawberry.field(
        description="True when the content was expunged: only the log's leaf hash remains.")
    superseded: bool = strawberry.field(
        default=False,
        description="True when a later correction replaced content of this event. Its JWS is then shown only to "
                    "the officer, the record's publisher and auditors; the current content is in the later event.")


@strawberry.type(description="A log entry made in a publisher's name or under one of its keys (for its monitor).")
class LogEntry:
    log_index: int
    leaf_hash: str = strawberry.field(description="SHA-256(0x00 || JWS bytes), hex: compare with your journal.")
    kid: str
    event_id: str
    type: str
    publisher_id: str = strawberry.field(description="The publisher the events row names.")
    guard: strawberry.Private[Guard]


@strawberry.type(description="Proof that an event is in the log, against a signed checkpoint (RFC 9162 2.1.3).")
class LogProof:
    log_index: int
    leaf_hash: str = strawberry.field(description="SHA-256(0x00 || JWS bytes), hex.")
    tree_size: int = strawberry.field(description="Size of the tree the proof is for: the checkpoint's size.")
    inclusion_proof: list[str] = strawberry.field(description="Sibling hashes from the leaf up, hex.")
    checkpoint: str = strawberry.field(description="The signed checkpoint note (C2SP tlog-checkpoint).")


@strawberry.type(description="Proof that the tree of newSize leaves extends the tree of oldSize (RFC 9162 2.1.4).")
class ConsistencyProof:
    old_size: int
    new_size: int
    proof: list[str] = strawberry.field(description="Consistency proof hashes, bottom-up, hex.")
    old_root: str = strawberry.field(description="Root hash of the first oldSize leaves, hex.")
    new_root: str = strawberry.field(description="Root hash of the first newSize leaves, hex.")
