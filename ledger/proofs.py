"""Proofs and roots answered from the stored perfect subtrees, one query each.

``ledger.merkle`` says which nodes a proof needs (at most one per level); this module fetches
exactly those with ``log_store.fetch_nodes`` and assembles the RFC 9162 proof, so the cost is
O(log n) rows whatever the log's size. Stored nodes never change, so no transaction is needed:
a proof for a size the log has reached reads the same rows forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import asyncpg

from ledger import log_store, merkle
from ledger.merkle import EMPTY_ROOT, NodeID, ProofNodes, consistency_proof_nodes, inclusion_proof_nodes, range_nodes

__all__ = [
    "ConsistencyResult",
    "InclusionResult",
    "LogIntegrityError",
    "TreeSizeError",
    "consistency_proof",
    "consistency_with_roots",
    "extends",
    "inclusion_proof",
    "inclusion_proofs",
    "root_at",
]

Conn: TypeAlias = "asyncpg.Connection | asyncpg.Pool"


class TreeSizeError(ValueError):
    """A size or index the log cannot answer for: negative, out of order, or beyond the log's size."""


class LogIntegrityError(RuntimeError):
    """A node that must exist for a size the log has reached is missing: the table was tampered with."""


@dataclass(frozen=True)
class InclusionResult:
    """Inclusion proof of leaf ``index`` in the tree of ``size`` leaves, with the stored leaf hash."""

    index: int
    size: int
    leaf_hash: bytes
    proof: list[bytes]


@dataclass(frozen=True)
class ConsistencyResult:
    """Consistency proof between two sizes and the two roots it links."""

    old_size: int
    new_size: int
    proof: list[bytes]
    old_root: bytes
    new_root: bytes


def _check(index_or_size: object, name: str) -> int:
    if isinstance(index_or_size, bool) or not isinstance(index_or_size, int) or index_or_size < 0:
        raise TreeSizeError(f"{name} must be a non-negative integer")
    return index_or_size


async def _fetch(conn: Conn, ids: Sequence[NodeID], largest: int) -> dict[NodeID, bytes]:
    """Fetch ``ids``; when some are absent, say whether the size is beyond the log or the log is damaged."""
    nodes = await log_store.fetch_nodes(conn, ids)
    missing = [node for node in dict.fromkeys(ids) if node not in nodes]
    if missing:
        current = await log_store.size(conn)
        if largest > current:
            raise TreeSizeError(f"tree size {largest} is beyond the log's size {current}")
        raise LogIntegrityError(f"log_nodes {missing} are missing for tree size {largest}; run `registry audit`")
    return nodes


def _root(size: int, nodes: dict[NodeID, bytes]) -> bytes:
    return merkle.root_hash(size, lambda level, index: nodes[(level, index)])


async def root_at(conn: Conn, size: int) -> bytes:
    """MTH of the first ``size`` leaves (the empty root for 0), from the right-edge nodes."""
    size = _check(size, "size")
    if size == 0:
        return EMPTY_ROOT
    return _root(size, await _fetch(conn, range_nodes(0, size), size))


async def inclusion_proof(conn: Conn, index: int, size: int) -> list[bytes]:
    """RFC 9162 inclusion proof (bottom-up) of leaf ``index`` in the tree of ``size`` leaves."""
    return (await inclusion_proofs(conn, [(index, size)]))[0].proof


async def inclusion_proofs(conn: Conn, wanted: Sequence[tuple[int, int]]) -> list[InclusionResult]:
    """Several inclusion proofs, each with its stored leaf hash, from one query for all their nodes."""
    plans: list[tuple[int, int, ProofNodes]] = []
    for index, size in wanted:
        _check(index, "index")
        _check(size, "size")
        if index >= size:
            raise TreeSizeError(f"leaf index {index} is not in a tree of size {size}")
        plans.append((index, size, inclusion_proof_nodes(index, size)))
    if not plans:
        return []
    ids = [node for index, _, plan in plans for node in ((0, index), *plan.ids)]
    nodes = await _fetch(conn, ids, max(size for _, size, _ in plans))
    return [InclusionResult(index, size, nodes[(0, index)], plan.assemble([nodes[n] for n in plan.ids]))
            for index, size, plan in plans]


async def consistency_proof(conn: Conn, old: int, new: int) -> list[bytes]:
    """RFC 9162 consistency proof between tree sizes ``old <= new`` (empty when equal or ``old`` is 0)."""
    _check(old, "old size")
    _check(new, "new size")
    if old > new:
        raise TreeSizeError(f"old size {old} is larger than new size {new}")
    plan = consistency_proof_nodes(old, new)
    if not plan.ids:
        if new:  # nothing to prove, but still refuse a size the log has not reached: read its last leaf's node
            await _fetch(conn, range_nodes(0, new)[-1:], new)
        return []
    nodes = await _fetch(conn, plan.ids, new)
    return plan.assemble([nodes[n] for n in plan.ids])


async def consistency_with_roots(conn: Conn, old: int, new: int) -> ConsistencyResult:
    """The consistency proof and both roots, all from one query (what an API client needs to check it)."""
    _check(old, "old size")
    _check(new, "new size")
    if old > new:
        raise TreeSizeError(f"old size {old} is larger than new size {new}")
    plan = consistency_proof_nodes(old, new)
    ids = [*plan.ids, *range_nodes(0, old), *range_nodes(0, new)]
    nodes = await _fetch(conn, ids, new) if ids else {}
    proof = plan.assemble([nodes[n] for n in plan.ids])
    return ConsistencyResult(old, new, proof, _root(old, nodes), _root(new, nodes))


async def extends(conn: Conn, old_size: int, old_root: bytes, new: int) -> tuple[bool, ConsistencyResult]:
    """Whether the stored tree of size ``new`` extends the tree ``(old_size, old_root)`` someone verified or
    signed earlier: the consistency proof from the stored nodes verifies and the stored prefix has that root."""
    step = await consistency_with_roots(conn, old_size, new)
    try:
        merkle.verify_consistency(old_size, new, step.proof, old_root, step.new_root)
    except merkle.ProofError:
        return False, step
    return step.old_root == old_root, step
