"""The Merkle log in PostgreSQL: appends in the caller's transaction, proofs from stored nodes.

Each append writes the leaf and every perfect subtree it completes (amortised two rows), so any
proof needs only O(log n) stored nodes, read in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import asyncpg

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(_LEAF + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


async def lock_size(conn: asyncpg.Connection) -> int:
    """Take the log's append lock for this transaction and return its current size."""
    size: int = await conn.fetchval("SELECT size FROM log_state WHERE id FOR UPDATE")
    return size


async def append_leaves(conn: asyncpg.Connection, leaves: Sequence[bytes]) -> list[tuple[int, bytes]]:
    """Append entries (raw bytes) inside the caller's transaction; returns (index, leaf hash) each.

    The caller must run this in a transaction: the size row lock serialises appenders, so two
    concurrent publishers can neither fork the log nor leave a gap, and a rollback removes it all.
    """
    size = await lock_size(conn)
    rows: list[tuple[int, int, bytes]] = []
    out: list[tuple[int, bytes]] = []
    # Right-edge perfect subtrees that new leaves may complete, fetched once.
    pending: dict[tuple[int, int], bytes] = {}
    needed = _right_edge(size)
    if needed:
        got = await conn.fetch(
            "SELECT level, idx, hash FROM log_nodes WHERE (level, idx) IN "
            "(SELECT * FROM unnest($1::smallint[], $2::bigint[]))",
            [lv for lv, _ in needed], [ix for _, ix in needed],
        )
        pending = {(r["level"], r["idx"]): bytes(r["hash"]) for r in got}
    for data in leaves:
        index = size
        h = leaf_hash(data)
        out.append((index, h))
        level, idx, current = 0, index, h
        pending[(0, index)] = h
        rows.append((0, index, h))
        while idx % 2 == 1:
            left = pending[(level, idx - 1)]
            current = _node(left, current)
            level, idx = level + 1, idx // 2
            pending[(level, idx)] = current
            rows.append((level, idx, current))
        size += 1
    await conn.executemany("INSERT INTO log_nodes (level, idx, hash) VALUES ($1, $2, $3)", rows)
    await conn.execute("UPDATE log_state SET size = $1 WHERE id", size)
    return out


def _right_edge(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees covering [0, size): the ones a new leaf may be merged into."""
    nodes: list[tuple[int, int]] = []
    start = 0
    for level in range(63, -1, -1):
        width = 1 << level
        if size - start >= width:
            nodes.append((level, start >> level))
            start += width
    return nodes


async def size(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    value: int = await conn.fetchval("SELECT size FROM log_state WHERE id")
    return value


async def fetch_nodes(
    conn: asyncpg.Connection | asyncpg.Pool, wanted: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT level, idx, hash FROM log_nodes WHERE (level, idx) IN "
        "(SELECT * FROM unnest($1::smallint[], $2::bigint[]))",
        [lv for lv, _ in wanted], [ix for _, ix in wanted],
    )
    return {(r["level"], r["idx"]): bytes(r["hash"]) for r in rows}
