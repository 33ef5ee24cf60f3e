"""Signing tree heads: a checkpoint after each publish batch and on a timer.

Before signing a larger tree the checkpointer proves it consistent with the last checkpoint it
signed, from the stored nodes: if someone rewrote history in the database, the registry refuses
to put its signature on the forked tree (and the audit says where). Ed25519 is deterministic, so
two processes checkpointing the same size produce byte-identical notes; the first insert wins.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeAlias

import asyncpg

from ledger import entry_check, log_store, proofs, witnessing
from ledger.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from ledger.merkle import ProofError, verify_consistency
from ledger.signer_guard import LogSigner, SignedHead

__all__ = [
    "CheckpointRefused",
    "SignedMeanwhile",
    "StoredCheckpoint",
    "at_size",
    "latest",
    "on_demand",
    "publish_checkpoint",
    "run_timer",
    "try_publish_checkpoint",
]

log = logging.getLogger(__name__)
Conn: TypeAlias = "asyncpg.Connection | asyncpg.Pool"


class CheckpointRefused(RuntimeError):
    """The current tree does not extend the last signed checkpoint; nothing was signed."""


class SignedMeanwhile(CheckpointRefused):
    """Another checkpointer of this process signed while this one checked (the timer's and a batch's): nothing is
    wrong, the next attempt signs whatever is left."""


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root_hash: bytes
    note: str
    created_at: datetime


# The note as served: the registry's signed note followed by the witnesses' cosignature lines.
_SELECT = "SELECT size, root_hash, note || cosignatures AS note, created_at FROM checkpoints"


def _row(r: asyncpg.Record | None) -> StoredCheckpoint | None:
    if r is None:
        return None
    return StoredCheckpoint(r["size"], bytes(r["root_hash"]), r["note"], r["created_at"])


async def latest(conn: Conn) -> StoredCheckpoint | None:
    """The largest signed checkpoint, or None before the first."""
    return _row(await conn.fetchrow(_SELECT + " ORDER BY size DESC LIMIT 1"))


async def at_size(conn: Conn, size: int) -> StoredCheckpoint | None:
    """The checkpoint signed at exactly ``size``, if one was."""
    return _row(await conn.fetchrow(_SELECT + " WHERE size = $1", size))


async def _publish(conn: asyncpg.Connection, signer: NoteSigner | LogSigner, origin: str) -> str:
    guard = LogSigner.of(signer)
    size = await log_store.size(conn)
    last = await latest(conn)
    head = guard.state.last()
    # Only the verified prefix is signed: entries since the signer's last head must be what their keys signed.
    bad = (await entry_check.first_bad_entry(conn, head.size if head is not None else 0, size,
                                                  admin_keys=guard.admin_keys)
           if guard.verify_entries else None)
    if bad is not None:
        log.error("log entry %d does not verify (%s): checkpoints stop before it; run `registry audit`",
                  bad.index, bad.reason)
        size = bad.index
    if last is not None and last.size >= size:
        return last.note
    if last is None:
        root = await proofs.root_at(conn, size)
    else:
        step = await proofs.consistency_with_roots(conn, last.size, size)
        try:
            verify_consistency(last.size, size, step.proof, last.root_hash, step.new_root)
            if step.old_root != last.root_hash:
                raise ProofError("stored nodes give another root for the last checkpoint's size")
        except ProofError as exc:
            raise CheckpointRefused(f"the log at size {size} does not extend the checkpoint at size {last.size} "
                                    f"({exc}); refusing to sign: run `registry audit`") from exc
        root = step.new_root
    await _check_extends(conn, head, size, root)
    with guard.state.locked():
        if guard.state.last() != head:
            raise SignedMeanwhile("another checkpointer signed meanwhile; the next attempt signs")
        guard.state.record(SignedHead(size, root))  # before the signature leaves this process
    note = sign_checkpoint(Checkpoint(origin, size, root), guard.signing_keys())
    stored = await conn.fetchval(
        "INSERT INTO checkpoints (size, root_hash, note) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING"
        " RETURNING note",
        size, root, note,
    )
    if stored is None:  # a concurrent checkpointer signed this size first
        again = await at_size(conn, size)
        assert again is not None
        return again.note
    if guard.witnesses:
        lines = await witnessing.cosign(conn, size, note, guard.witnesses)
        if lines:
            await conn.execute("UPDATE checkpoints SET cosignatures = cosignatures || $2 WHERE size = $1",
                               size, "".join(lines))
            note += "".join(lines)
    return note


async def _check_extends(conn: asyncpg.Connection, head: SignedHead | None, size: int, root: bytes) -> None:
    """Refuse a tree that is not an extension of the last one this signer signed (a fork)."""
    if head is None:
        return
    if size < head.size:
        raise CheckpointRefused(
            f"this signer already signed a tree of size {head.size} but the log has {size} verified entries: the "
            "database is behind what was signed (restored from an earlier backup?); refusing to sign a second "
            "history (docs/ledger-operations.md, 'After a restore')")
    if size == head.size:
        same = root == head.root
    else:
        same, _ = await proofs.extends(conn, head.size, head.root, size)
    if not same:
        raise CheckpointRefused(
            f"the log does not extend the tree of size {head.size} this signer last signed: the database holds "
            "another history (restored from an earlier backup and written since?); refusing to sign a fork "
            "(docs/ledger-operations.md, 'After a restore')")


async def publish_checkpoint(pool_or_conn: Conn, signer: NoteSigner | LogSigner, origin: str) -> str:
    """Sign and store the current tree head if it is newer than the last checkpoint; return the latest note."""
    if isinstance(pool_or_conn, asyncpg.Pool):
        async with pool_or_conn.acquire() as conn:
            return await _publish(conn, signer, origin)
    return await _publish(pool_or_conn, signer, origin)


def _younger_than(checkpoint: StoredCheckpoint, seconds: float) -> bool:
    return (datetime.now(UTC) - checkpoint.created_at).total_seconds() < seconds


async def try_publish_checkpoint(pool_or_conn: Conn, signer: NoteSigner | LogSigner, origin: str, *,
                                 min_interval: float = 0.0) -> str | None:
    """``publish_checkpoint`` for after a committed batch: a failure is logged, not the publisher's problem.

    Coalesced: nothing is signed while the last checkpoint is younger than ``min_interval`` seconds (the timer,
    the next batch or a reader that needs a proof signs the new entries). The events are already committed.
    """
    try:
        if min_interval > 0:
            last = await latest(pool_or_conn)
            if last is not None and _younger_than(last, min_interval):
                return None
        return await publish_checkpoint(pool_or_conn, signer, origin)
    except SignedMeanwhile:
        return None
    except (asyncpg.PostgresError, OSError, CheckpointRefused, proofs.LogIntegrityError) as exc:
        log.error("checkpoint after publish failed: %s", exc)
        return None


async def on_demand(pool: asyncpg.Pool, signer: NoteSigner | LogSigner, origin: str) -> StoredCheckpoint | None:
    """The checkpoint of the current tree for a reader: signed now when entries arrived since the last one
    (publishes sign at most once per interval), None while the log is empty."""
    async with pool.acquire() as conn:
        last = await latest(conn)
        size = await log_store.size(conn)
        if size == 0 or (last is not None and last.size >= size):
            return last
        await try_publish_checkpoint(conn, signer, origin)
        return await latest(conn)


async def run_timer(pool: asyncpg.Pool, signer: NoteSigner | LogSigner, origin: str, every_seconds: float) -> None:
    """Keep the last checkpoint younger than about ``every_seconds`` until cancelled; errors are logged and retried.

    It looks twice per interval and signs when the last checkpoint is older than the interval: while batches arrive,
    the checkpoint after a batch (``try_publish_checkpoint``, same interval, looked at after every batch) signs first,
    in the process that published and verified the entries (``ledger.verified_signatures``), rather than this timer
    in another worker verifying them all again. The timer signs what no batch signs: at most 1.5 intervals old."""
    if every_seconds <= 0:
        raise ValueError("every_seconds must be positive")
    while True:
        try:
            last = await latest(pool)
            if last is None or not _younger_than(last, every_seconds):
                await publish_checkpoint(pool, signer, origin)
        except asyncio.CancelledError:
            raise
        except SignedMeanwhile:
            pass
        except CheckpointRefused as exc:  # one line: the reason says what to do
            log.error("periodic checkpoint refused: %s", exc)
        except Exception:  # keep the server's timer alive through a database outage
            log.exception("periodic checkpoint failed")
        await asyncio.sleep(every_seconds / 2)
