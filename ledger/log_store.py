"""The Merkle log in PostgreSQL: appends in the caller's transaction, proofs from stored nodes.

Each append writes the leaf and every perfect subtree it completes (amortised two rows), so any
proof needs only O(log n) stored nodes, read in one query. The hashing and index arithmetic are
``ledger.merkle``'s; this module only moves rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg

from ledger.merkle import CompactRange, NodeID, leaf_hash, range_nodes

__all__ = ["Appender", "append_leaves", "fetch_nodes", "leaf_hash", "lock_size", "size"]


async def lock_size(conn: asyncpg.Connection) -> int:
    """Take the log's append lock for this transaction and return its current size."""
    value: int = await conn.fetchval("SELECT size FROM log_state WHERE id FOR UPDATE")
    return value


class Appender:
    """A batch's appends: the leaves are hashed into the tree in memory as they come (each gets its index at
    once) and written with two statements when the batch ends (``flush``), instead of four per leaf.

    Open it in the transaction that stores what the leaves commit to, after nothing else has appended in
    it: opening takes the log's append lock (held to the commit), so no other appender can interleave; a
    rollback drops the leaves with the rest, and so does simply not flushing.
    """

    def __init__(self, compact: CompactRange) -> None:
        self._compact = compact
        self._levels: list[int] = []
        self._indexes: list[int] = []
        self._hashes: list[bytes] = []

    @classmethod
    async def open(cls, conn: asyncpg.Connection) -> Appender:
        if not conn.is_in_transaction():
            raise RuntimeError("the log must be appended inside the transaction that stores what the leaves "
                               "commit to")
        start = await lock_size(conn)
        # The right edge (one perfect subtree per set bit of the size) is all a new leaf can merge with.
        edge = range_nodes(0, start)
        stored = await fetch_nodes(conn, edge)
        missing = [node for node in edge if node not in stored]
        if missing:
            raise RuntimeError(f"log_nodes lacks right-edge nodes {missing} of a log of size {start}: "
                               "run `registry audit`")
        return cls(CompactRange(start, [stored[node] for node in edge]))

    @property
    def size(self) -> int:
        return self._compact.size

    def append(self, data: bytes) -> tuple[int, bytes]:
        """Add one entry (raw bytes); returns its index and leaf hash."""
        created = self._compact.append(leaf_hash(data))
        for level, idx, h in created:
            self._levels.append(level)
            self._indexes.append(idx)
            self._hashes.append(h)
        return created[0][1], created[0][2]

    async def flush(self, conn: asyncpg.Connection) -> None:
        """Write the appended leaves and subtrees and the new size (nothing when nothing was appended)."""
        if not self._levels:
            return
        # One statement for the whole batch: unnest is several times faster than executemany.
        await conn.execute(
            "INSERT INTO log_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])",
            self._levels, self._indexes, self._hashes,
        )
        await conn.execute("UPDATE log_state SET size = $1 WHERE id", self._compact.size)
        self._levels, self._indexes, self._hashes = [], [], []


async def append_leaves(conn: asyncpg.Connection, leaves: Sequence[bytes]) -> list[tuple[int, bytes]]:
    """Append entries (raw bytes) inside the caller's transaction; returns (index, leaf hash) each.

    The caller must run this in a transaction: the size row lock serialises appenders, so two
    concurrent publishers can neither fork the log nor leave a gap, and a rollback removes it all.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("append_leaves must run inside the transaction that stores what the leaves commit to")
    if not leaves:
        await lock_size(conn)
        return []
    appender = await Appender.open(conn)
    out = [appender.append(data) for data in leaves]
    await appender.flush(conn)
    return out


async def size(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    """The number of leaves committed so far."""
    value: int = await conn.fetchval("SELECT size FROM log_state WHERE id")
    return value


async def fetch_nodes(conn: asyncpg.Connection | asyncpg.Pool, wanted: Iterable[NodeID]) -> dict[NodeID, bytes]:
    """The stored hashes of the requested perfect subtrees, in one query; absent nodes are left out."""
    ids = list(dict.fromkeys(wanted))
    if not ids:
        return {}
    rows = await conn.fetch(
        "SELECT level, idx, hash FROM log_nodes WHERE (level, idx) IN "
        "(SELECT * FROM unnest($1::smallint[], $2::bigint[]))",
        [lv for lv, _ in ids], [ix for _, ix in ids],
    )
    return {(r["level"], r["idx"]): bytes(r["hash"]) for r in rows}
