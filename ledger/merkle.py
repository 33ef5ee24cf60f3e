"""RFC 9162 (section 2.1) Merkle tree hashing, proof generation and proof verification.

The log is stored as *perfect subtrees*: node ``(level, index)`` is the hash of the
2**level leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf
hashes. A perfect node never changes once its last leaf exists, so a database can
keep one row per node and answer any proof with O(log n) reads. Nodes of the right
edge that are *not* perfect ("ephemeral" nodes) are never stored: the generators
here recompute them from the perfect nodes that cover them.

Proof generation is split in two steps so a store can batch its reads:
``inclusion_proof_nodes`` / ``consistency_proof_nodes`` say which ``(level, index)``
nodes are needed (fetch them in one query), and ``ProofNodes.assemble`` turns their
hashes into the RFC 9162 proof. ``inclusion_proof`` / ``consistency_proof`` do both
with a ``get_node`` callback.

The index arithmetic follows transparency-dev/merkle (``proof`` and ``compact``
packages); the verifiers follow its ``proof/verify.go``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "GetNode",
    "NewNode",
    "NodeID",
    "ProofError",
    "ProofNodes",
    "consistency_proof",
    "consistency_proof_nodes",
    "inclusion_proof",
    "inclusion_proof_nodes",
    "leaf_hash",
    "node_hash",
    "range_nodes",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_from_leaves",
    "root_hash",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
#: MTH({}) = SHA-256() -- the root of the empty tree (RFC 9162 section 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: ``(level, index)`` of a perfect subtree; level 0 = leaves.
NodeID = tuple[int, int]
#: Returns the stored hash of the perfect subtree ``(level, index)``.
GetNode = Callable[[int, int], bytes]
#: ``(level, index, hash)`` of a perfect node created by an append.
NewNode = tuple[int, int, bytes]


class ProofError(ValueError):
    """A proof, or the sizes and hashes it is checked against, does not verify."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the 0x00 prefix keeps leaves distinct from interior nodes."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{name} must be {HASH_SIZE} bytes")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_size(name: str, value: int) -> None:
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")


# --------------------------------------------------------------------------------------
# Perfect-subtree decomposition


def range_nodes(begin: int, end: int) -> list[NodeID]:
    """The minimal perfect subtrees covering leaves ``[begin, end)``, left to right.

    Each step takes the largest subtree that starts at the cursor (aligned) and still
    fits. For ``begin == 0`` (and any aligned ``begin``) the levels strictly decrease:
    these are the "right edge" nodes of a tree of ``end - begin`` leaves.
    """
    _check_size("begin", begin)
    _check_size("end", end)
    if begin > end:
        raise ValueError(f"begin {begin} > end {end}")
    out: list[NodeID] = []
    pos = begin
    while pos < end:
        level = (end - pos).bit_length() - 1
        if pos:
            level = min(level, (pos & -pos).bit_length() - 1)
        out.append((level, pos >> level))
        pos += 1 << level
    return out


def _is_valid_subtree(start: int, end: int) -> bool:
    """True when ``[start, end)`` is a node of some tree: start is a multiple of bit_ceil(end - start)."""
    if start >= end:
        return False
    size = end - start
    ceil = 1 << (size - 1).bit_length()
    return start % ceil == 0


def subtree_hash(start: int, end: int, get_node: GetNode) -> bytes:
    """MTH(D[start:end]) for a (possibly imperfect) subtree, from perfect-node hashes only.

    Reads exactly ``range_nodes(start, end)`` -- at most one node per level -- and folds
    them right to left, which is the RFC 9162 recursion with every split at the largest
    power of two. ``start`` must be a multiple of bit_ceil(end - start) (always true for
    ``start == 0`` and for the ephemeral nodes used in proofs).
    """
    if not _is_valid_subtree(start, end):
        raise ValueError(f"[{start}, {end}) is not a subtree")
    hashes = [get_node(level, index) for level, index in range_nodes(start, end)]
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def root_hash(size: int, get_node: GetNode) -> bytes:
    """MTH of the first ``size`` leaves; reads ``range_nodes(0, size)``."""
    _check_size("size", size)
    if size == 0:
        return EMPTY_ROOT
    return subtree_hash(0, size, get_node)


def root_from_leaves(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH of a whole list of leaf hashes (in memory; for audits and tests)."""
    cr = CompactRange()
    for h in leaf_hashes:
        cr.append(h)
    return cr.root()


# --------------------------------------------------------------------------------------
# Proof generation


@dataclass(frozen=True)
class ProofNodes:
    """Which perfect nodes make up a proof, and how to turn their hashes into it.

    ``ids`` are the nodes to fetch, in proof order (bottom-up). ``ids[begin:end]``
    (empty when ``begin == end``) are the perfect pieces of one ephemeral node, from
    its lowest (rightmost) piece up; ``assemble`` folds them into that node's hash.
    """

    ids: tuple[NodeID, ...]
    begin: int = 0
    end: int = 0

    def assemble(self, hashes: Sequence[bytes]) -> list[bytes]:
        """Build the proof from the hashes of ``ids`` (same order and length)."""
        if len(hashes) != len(self.ids):
            raise ValueError(f"got {len(hashes)} hashes for {len(self.ids)} nodes")
        for h in hashes:
            _check_hash("node hash", h)
        out = list(hashes[: self.begin])
        if self.begin < self.end:
            acc = hashes[self.begin]
            for h in hashes[self.begin + 1 : self.end]:
                acc = node_hash(h, acc)
            out.append(acc)
        out.extend(hashes[self.end :])
        return [bytes(h) for h in out]

    def fetch(self, get_node: GetNode) -> list[bytes]:
        """Read every node with ``get_node`` and assemble the proof."""
        return self.assemble([get_node(level, index) for level, index in self.ids])


def _nodes(index: int, level: int, size: int) -> tuple[list[NodeID], int, int]:
    """Nodes proving that node ``(level, index)`` is in the tree of ``size`` leaves.

    The first id is the node itself. ``fork`` is the highest ancestor of the node that is
    still perfect; its sibling is the ephemeral node covering ``[fork_end, size)``.
    The result is: the node, the siblings up to the fork, the pieces of the ephemeral
    node (low to high), then the perfect subtrees left of the fork (low to high).
    """
    inner = (index ^ (size >> level)).bit_length() - 1
    fork_level, fork_index = level + inner, index >> inner
    fork_begin, fork_end = fork_index << fork_level, (fork_index + 1) << fork_level

    ids: list[NodeID] = [(level, index)]
    lvl, idx = level, index
    while lvl < fork_level:
        ids.append((lvl, idx ^ 1))
        lvl, idx = lvl + 1, idx >> 1
    begin = len(ids)
    ids.extend(reversed(range_nodes(fork_end, size)))
    end = len(ids)
    ids.extend(reversed(range_nodes(0, fork_begin)))
    if end - begin < 2:  # zero or one piece: nothing to fold
        begin = end = 0
    return ids, begin, end


def _skip_first(ids: list[NodeID], begin: int, end: int) -> ProofNodes:
    if begin < end:
        begin, end = begin - 1, end - 1
    return ProofNodes(tuple(ids[1:]), begin, end)


def inclusion_proof_nodes(index: int, size: int) -> ProofNodes:
    """Nodes needed for the inclusion proof of leaf ``index`` in the tree of ``size`` leaves.

    At most one node per level below the root: the siblings along the leaf's path while
    they are perfect, then the pieces of the one ephemeral sibling, then the perfect
    subtrees to the left.
    """
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise ValueError(f"index {index} out of range for tree size {size}")
    return _skip_first(*_nodes(index, 0, size))


def consistency_proof_nodes(old_size: int, new_size: int) -> ProofNodes:
    """Nodes needed for the RFC 9162 consistency proof from ``old_size`` to ``new_size``.

    Empty when the sizes are equal or ``old_size == 0`` (nothing to prove). Otherwise it
    is the largest perfect subtree ending at ``old_size`` (omitted when ``old_size`` is a
    power of two: the verifier already has it as the old root) followed by that node's
    inclusion path in the new tree.
    """
    _check_size("old_size", old_size)
    _check_size("new_size", new_size)
    if old_size > new_size:
        raise ValueError(f"old size {old_size} > new size {new_size}")
    if old_size in (0, new_size):
        return ProofNodes(())
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> level
    ids, begin, end = _nodes(index, level, new_size)
    if old_size & (old_size - 1) == 0:
        return _skip_first(ids, begin, end)
    return ProofNodes(tuple(ids), begin, end)


def inclusion_proof(index: int, size: int, get_node: GetNode) -> list[bytes]:
    """RFC 9162 inclusion proof (bottom-up) for leaf ``index`` in the tree of ``size`` leaves."""
    return inclusion_proof_nodes(index, size).fetch(get_node)


def consistency_proof(old_size: int, new_size: int, get_node: GetNode) -> list[bytes]:
    """RFC 9162 consistency proof between tree sizes ``old_size <= new_size``."""
    return consistency_proof_nodes(old_size, new_size).fetch(get_node)


# --------------------------------------------------------------------------------------
# Verification


def _decomp_inclusion(index: int, size: int) -> tuple[int, int]:
    """Split a proof into the part below and above where paths to ``index`` and ``size-1`` meet."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Like ``_chain_inner`` but only left siblings: the hash of the older, smaller tree."""
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def _check_proof(proof: Sequence[bytes]) -> None:
    if isinstance(proof, bytes | str):
        raise ProofError("proof must be a sequence of hashes")
    for i, h in enumerate(proof):
        _check_hash(f"proof[{i}]", h)


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf_hash`` at ``index`` in a tree of ``size``."""
    if not (_is_int(index) and _is_int(size) and 0 <= index < size):
        raise ProofError(f"index {index!r} out of range for tree size {size!r}")
    _check_hash("leaf hash", leaf_hash)
    _check_proof(proof)
    inner, border = _decomp_inclusion(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"wrong proof length {len(proof)}, want {inner + border}")
    res = _chain_inner(bytes(leaf_hash), proof[:inner], index)
    return _chain_border_right(res, proof[inner:])


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ``ProofError`` unless ``proof`` shows ``leaf_hash`` at ``index`` under ``root``."""
    _check_hash("root", root)
    got = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if not hmac.compare_digest(got, bytes(root)):
        raise ProofError("inclusion proof does not lead to the expected root")


def root_from_consistency_proof(old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes) -> bytes:
    """Check ``proof`` against ``old_root`` and return the new root it implies.

    As transparency-dev/merkle: equal sizes need an empty proof and give ``old_root``;
    ``old_size == 0`` raises, because such a proof implies no new root (see
    ``verify_consistency``, which accepts it).
    """
    for name, value in (("old_size", old_size), ("new_size", new_size)):
        if not _is_int(value) or value < 0:
            raise ProofError(f"{name} must be a non-negative integer")
    _check_hash("old root", old_root)
    _check_proof(proof)
    if new_size < old_size:
        raise ProofError(f"new size {new_size} < old size {old_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("sizes are equal but the proof is not empty")
        return bytes(old_root)
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree carries no new root")
    if not proof:
        raise ProofError("empty consistency proof")

    inner, border = _decomp_inclusion(old_size - 1, new_size)
    shift = (old_size & -old_size).bit_length() - 1
    inner -= shift
    # The proof starts with the hash of the perfect subtree of size 2**shift ending at
    # old_size, unless old_size is that very power of two (then it is old_root).
    if old_size == 1 << shift:
        seed, rest = bytes(old_root), proof
    else:
        seed, rest = bytes(proof[0]), proof[1:]
    if len(rest) != inner + border:
        raise ProofError(f"wrong proof length {len(proof)}")

    mask = (old_size - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    if not hmac.compare_digest(hash1, bytes(old_root)):
        raise ProofError("consistency proof does not lead to the old root")
    return _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])


def verify_consistency(old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes) -> None:
    """Raise ``ProofError`` unless the tree ``(new_size, new_root)`` extends ``(old_size, old_root)``.

    ``old_size == 0`` is accepted with an empty proof when ``old_root`` is the empty
    root: the empty tree is a prefix of every tree.
    """
    _check_hash("new root", new_root)
    if _is_int(old_size) and old_size == 0:
        _check_hash("old root", old_root)
        _check_proof(proof)
        if not _is_int(new_size) or new_size < 0:
            raise ProofError("new_size must be a non-negative integer")
        if proof:
            raise ProofError("a consistency proof from the empty tree must be empty")
        if not hmac.compare_digest(bytes(old_root), EMPTY_ROOT):
            raise ProofError("old root of an empty tree must be the empty root")
        if new_size == 0 and not hmac.compare_digest(bytes(new_root), EMPTY_ROOT):
            raise ProofError("new root of an empty tree must be the empty root")
        return
    got = root_from_consistency_proof(old_size, new_size, proof, old_root)
    if not hmac.compare_digest(got, bytes(new_root)):
        raise ProofError("consistency proof does not lead to the new root")


# --------------------------------------------------------------------------------------
# Appending


class CompactRange:
    """The right edge of a tree: enough state to append leaves and compute the root.

    ``hashes`` are the perfect subtrees ``range_nodes(0, size)`` (one per set bit of
    ``size``, highest level first). A store can rebuild this from its node table with
    ``CompactRange.load`` and persist what ``append`` returns.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        _check_size("size", size)
        if len(hashes) != size.bit_count():
            raise ValueError(f"size {size} needs {size.bit_count()} right-edge hashes, got {len(hashes)}")
        for h in hashes:
            _check_hash("node hash", h)
        self._size = size
        self._hashes = [bytes(h) for h in hashes]

    @classmethod
    def load(cls, size: int, get_node: GetNode) -> CompactRange:
        """Read the right-edge nodes (``range_nodes(0, size)``) of a stored tree."""
        return cls(size, [get_node(level, index) for level, index in range_nodes(0, size)])

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> list[NewNode]:
        """Append one leaf; return every perfect node it completes, leaf first.

        The leaf itself is ``(0, old_size, leaf_hash)``; then one parent per trailing 1-bit
        of the old size (amortised two nodes per append). Existing nodes never change, so
        these are exactly the rows a store must insert.
        """
        _check_hash("leaf hash", leaf_hash)
        h = bytes(leaf_hash)
        level, index = 0, self._size
        created: list[NewNode] = [(0, index, h)]
        while index & 1:
            h = node_hash(self._hashes.pop(), h)
            level, index = level + 1, index >> 1
            created.append((level, index, h))
        self._hashes.append(h)
        self._size += 1
        return created

    def root(self) -> bytes:
        """MTH of the ``size`` leaves: the right-edge nodes folded right to left."""
        if not self._hashes:
            return EMPTY_ROOT
        acc = self._hashes[-1]
        for h in reversed(self._hashes[:-1]):
            acc = node_hash(h, acc)
        return acc
