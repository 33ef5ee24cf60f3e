"""RFC 9162 Merkle tree: published vectors, and properties against a naive reference.

Vectors are copied from github.com/transparency-dev/merkle (Apache-2.0):
- ``testonly/constants.go``: the 8 leaf inputs, every perfect node hash and every root
  hash of that reference tree (sizes 0..8);
- ``rfc6962/rfc6962_test.go``: empty root, empty-leaf, leaf and node hashes;
- ``proof/verify_test.go`` and ``testonly/reference_test.go``: inclusion and consistency
  proofs over the reference tree, and the corrupted-proof probes;
- ``proof/proof_test.go``: which (level, index) nodes each proof reads, and where the
  ephemeral node is rebuilt (``rehash(begin, end, ...)``);
- ``testonly/vectors_test.go``: rolling SHA-256 over all subtree hashes and subtree
  inclusion proofs of a 130-leaf tree (from draft-ietf-plants-merkle-tree-certs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    ProofNodes,
    consistency_proof,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    range_nodes,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    root_from_leaves,
    root_hash,
    subtree_hash,
    verify_consistency,
    verify_inclusion,
)


def h(s: str) -> bytes:
    return bytes.fromhex(s)


# --- transparency-dev/merkle testonly/constants.go ------------------------------------

LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]

NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [
        h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
]

ROOT_HASHES = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# --- proof/verify_test.go (leaf indexes 0-based here) and testonly/reference_test.go --

INCLUSION_PROOFS: list[tuple[int, int, list[str]]] = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
]

CONSISTENCY_PROOFS: list[tuple[int, int, list[str]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def reference_get_node(level: int, index: int) -> bytes:
    return NODE_HASHES[level][index]


# --- hashing -------------------------------------------------------------------------


def test_rfc6962_hasher_vectors() -> None:
    assert h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == EMPTY_ROOT
    assert leaf_hash(b"") == h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert leaf_hash(b"L123456") == h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    assert node_hash(b"N123", b"N456") == h("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")


def test_reference_tree_nodes_and_roots() -> None:
    assert [leaf_hash(d) for d in LEAF_INPUTS] == NODE_HASHES[0]
    for size in range(9):
        leaves = [leaf_hash(d) for d in LEAF_INPUTS[:size]]
        assert root_from_leaves(leaves) == ROOT_HASHES[size]
        assert root_hash(size, reference_get_node) == ROOT_HASHES[size]


def test_compact_range_emits_every_perfect_node() -> None:
    cr = CompactRange()
    emitted: dict[tuple[int, int], bytes] = {}
    for size, data in enumerate(LEAF_INPUTS, start=1):
        for level, index, value in cr.append(leaf_hash(data)):
            assert (level, index) not in emitted
            emitted[(level, index)] = value
        assert cr.size == size
        assert cr.root() == ROOT_HASHES[size]
        assert CompactRange.load(size, reference_get_node).hashes == cr.hashes
    expected = {(lvl, i): v for lvl, row in enumerate(NODE_HASHES) for i, v in enumerate(row)}
    assert emitted == expected


def test_compact_range_rejects_wrong_edge() -> None:
    with pytest.raises(ValueError):
        CompactRange(3, [SOME_HASH])
    with pytest.raises(ValueError):
        CompactRange(1, [b"short"])


# --- proof generation: published proofs and node addresses ---------------------------


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_PROOFS)
def test_inclusion_proof_vectors(index: int, size: int, proof: list[str]) -> None:
    want = [h(p) for p in proof]
    assert inclusion_proof(index, size, reference_get_node) == want
    leaf = NODE_HASHES[0][index]
    assert root_from_inclusion_proof(leaf, index, size, want) == ROOT_HASHES[size]
    verify_inclusion(leaf, index, size, want, ROOT_HASHES[size])
    for probe in corrupt_inclusion(index, size, want, ROOT_HASHES[size], leaf):
        with pytest.raises(ProofError):
            verify_inclusion(*probe)


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY_PROOFS)
def test_consistency_proof_vectors(size1: int, size2: int, proof: list[str]) -> None:
    want = [h(p) for p in proof]
    assert consistency_proof(size1, size2, reference_get_node) == want
    root1, root2 = ROOT_HASHES[size1], ROOT_HASHES[size2]
    verify_consistency(size1, size2, want, root1, root2)
    assert root_from_consistency_proof(size1, size2, want, root1) == root2
    if want:
        for probe in corrupt_consistency(size1, size2, want, root1, root2):
            with pytest.raises(ProofError):
                verify_consistency(*probe)


# proof/proof_test.go TestInclusion: (size, index, ids, begin, end); begin == end when
# nothing is rebuilt ("nodes(...)"), else the "rehash(begin, end, ...)" slice.
INCLUSION_NODES: list[tuple[int, int, list[tuple[int, int]], int, int]] = [
    (1, 0, [], 0, 0),
    (2, 0, [(0, 1)], 0, 0),
    (2, 1, [(0, 0)], 0, 0),
    (3, 1, [(0, 0), (0, 2)], 0, 0),
    (7, 0, [(0, 1), (1, 1), (0, 6), (1, 2)], 2, 4),
    (7, 1, [(0, 0), (1, 1), (0, 6), (1, 2)], 2, 4),
    (7, 2, [(0, 3), (1, 0), (0, 6), (1, 2)], 2, 4),
    (7, 3, [(0, 2), (1, 0), (0, 6), (1, 2)], 2, 4),
    (7, 4, [(0, 5), (0, 6), (2, 0)], 0, 0),
    (7, 5, [(0, 4), (0, 6), (2, 0)], 0, 0),
    (7, 6, [(1, 2), (2, 0)], 0, 0),
    (4, 2, [(0, 3), (1, 0)], 0, 0),
    (5, 3, [(0, 2), (1, 0), (0, 4)], 0, 0),
    (6, 3, [(0, 2), (1, 0), (1, 2)], 0, 0),
    (6, 4, [(0, 5), (2, 0)], 0, 0),
    (15, 10, [(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)], 2, 4),
    (31, 24, [(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)], 2, 4),
    (95, 81, [(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)], 3, 6),
]

# proof/proof_test.go TestConsistency: (size1, size2, ids, begin, end).
CONSISTENCY_NODES: list[tuple[int, int, list[tuple[int, int]], int, int]] = [
    (1, 2, [(0, 1)], 0, 0),
    (1, 4, [(0, 1), (1, 1)], 0, 0),
    (1, 6, [(0, 1), (1, 1), (1, 2)], 0, 0),
    (2, 3, [(0, 2)], 0, 0),
    (2, 8, [(1, 1), (2, 1)], 0, 0),
    (3, 7, [(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)], 3, 5),
    (4, 7, [(0, 6), (1, 2)], 0, 2),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)], 0, 0),
    (6, 7, [(1, 2), (0, 6), (2, 0)], 0, 0),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)], 0, 0),
    (1, 1, [], 0, 0),
    (2, 2, [], 0, 0),
    (3, 3, [], 0, 0),
    (4, 4, [], 0, 0),
    (5, 5, [], 0, 0),
    (7, 7, [], 0, 0),
    (8, 8, [], 0, 0),
    (2, 4, [(1, 1)], 0, 0),
    (3, 5, [(0, 2), (0, 3), (1, 0), (0, 4)], 0, 0),
    (3, 6, [(0, 2), (0, 3), (1, 0), (1, 2)], 0, 0),
    (4, 6, [(1, 2)], 0, 0),
    (1, 7, [(0, 1), (1, 1), (0, 6), (1, 2)], 2, 4),
    (10, 15, [(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)], 2, 4),
    (24, 31, [(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)], 1, 4),
    (81, 95, [(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)], 4, 7),
]


@pytest.mark.parametrize(("size", "index", "ids", "begin", "end"), INCLUSION_NODES)
def test_inclusion_node_addresses(size: int, index: int, ids: list[tuple[int, int]], begin: int, end: int) -> None:
    assert inclusion_proof_nodes(index, size) == ProofNodes(tuple(ids), begin, end)


@pytest.mark.parametrize(("size1", "size2", "ids", "begin", "end"), CONSISTENCY_NODES)
def test_consistency_node_addresses(size1: int, size2: int, ids: list[tuple[int, int]], begin: int, end: int) -> None:
    assert consistency_proof_nodes(size1, size2) == ProofNodes(tuple(ids), begin, end)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (3, 0), (8, 7)])
def test_inclusion_nodes_bad_params(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        inclusion_proof_nodes(index, size)


def test_consistency_nodes_bad_params() -> None:
    with pytest.raises(ValueError):
        consistency_proof_nodes(5, 0)
    with pytest.raises(ValueError):
        consistency_proof_nodes(9, 8)
    assert consistency_proof_nodes(0, 5) == ProofNodes(())


def test_assemble_rehash() -> None:
    # proof/proof_test.go TestRehash: hashes of "Hash 1".."Hash 5".
    hs = [leaf_hash(f"Hash {i}".encode()) for i in range(1, 6)]
    assert inclusion_proof_nodes(3, 8).assemble(hs[:3]) == hs[:3]
    assert inclusion_proof_nodes(9, 15).assemble(hs) == [hs[0], hs[1], node_hash(hs[3], hs[2]), hs[4]]
    assert inclusion_proof_nodes(2, 7).assemble(hs[:4]) == [hs[0], hs[1], node_hash(hs[3], hs[2])]
    with pytest.raises(ValueError):
        inclusion_proof_nodes(2, 7).assemble(hs[:3])


def test_range_nodes() -> None:
    assert range_nodes(0, 0) == []
    assert range_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert range_nodes(4, 7) == [(1, 2), (0, 6)]
    assert range_nodes(3, 9) == [(0, 3), (2, 1), (0, 8)]
    with pytest.raises(ValueError):
        range_nodes(5, 4)
    with pytest.raises(ValueError):
        subtree_hash(1, 3, reference_get_node)  # not a subtree: 1 is not a multiple of 2


# --- verification edge cases (proof/verify_test.go TestVerifyInclusion etc.) ---------


def test_verify_inclusion_single_entry() -> None:
    hh = leaf_hash(b"data")
    verify_inclusion(hh, 0, 1, [], hh)
    for leaf, root in [(hh, b""), (b"", hh), (b"", b"")]:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, 0, 1, [], root)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_verify_inclusion_rejects_empty_proofs(index: int, size: int) -> None:
    for leaf, root in [(SOME_HASH, b""), (b"", EMPTY_ROOT), (SOME_HASH, EMPTY_ROOT)]:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, index, size, [], root)


def test_verify_consistency_edge_cases() -> None:
    r1, r2 = SOME_HASH, ROOT_HASHES[3]
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(0, 5, [], EMPTY_ROOT, ROOT_HASHES[5])
    verify_consistency(3, 3, [], r2, r2)
    bad = [
        (1, 1, [], r1, r2),  # equal sizes, different roots
        (0, 1, [], r1, r2),  # old root of an empty tree must be the empty root
        (0, 0, [], EMPTY_ROOT, r2),
        (1, 0, [], r1, r2),  # time travel
        (2, 1, [], r1, r2),
        (1, 2, [], r1, r2),  # empty proof
        (0, 0, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT),  # equal roots, non-empty proof
        (0, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT),
        (1, 1, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT),
        (3, 3, [], b"short", b"short"),
    ]
    for args in bad:
        with pytest.raises(ProofError):
            verify_consistency(*args)


def test_verify_rejects_malformed_types() -> None:
    leaf = NODE_HASHES[0][0]
    with pytest.raises(ProofError):
        verify_inclusion(leaf, True, 2, [NODE_HASHES[0][1]], ROOT_HASHES[2])  # bool index
    with pytest.raises(ProofError):
        verify_inclusion(leaf, 0, 2, NODE_HASHES[0][1], ROOT_HASHES[2])  # type: ignore[arg-type]
    with pytest.raises(ProofError):
        verify_inclusion(leaf, 0, 2, [NODE_HASHES[0][1][:31]], ROOT_HASHES[2])


# --- draft-ietf-plants-merkle-tree-certs vectors, via testonly/vectors_test.go --------

SUBTREE_VECTOR_MAX = 130


@cache
def vector_tree() -> dict[tuple[int, int], bytes]:
    return build_nodes([leaf_hash(bytes([i])) for i in range(SUBTREE_VECTOR_MAX)])


def valid_subtree(start: int, end: int) -> bool:
    n = end - start
    return start % (1 << (n - 1).bit_length()) == 0


def test_subtree_hash_rolling_vector() -> None:
    nodes = vector_tree()
    acc = hashlib.sha256()
    for end in range(1, SUBTREE_VECTOR_MAX + 1):
        for start in range(end):
            if valid_subtree(start, end):
                value = subtree_hash(start, end, lambda lvl, i: nodes[(lvl, i)])
                acc.update(f"[{start}, {end}) {value.hex()}\n".encode())
    assert acc.hexdigest() == "94a95384a8c69acea9b50d035a58285b3a777cb7a724005faa5e1f1e1190007f"


def test_subtree_inclusion_rolling_vector() -> None:
    # A valid subtree [start, end) is itself a tree whose perfect nodes are those of the
    # big tree shifted by start: our generator answers it with an offset get_node.
    nodes = vector_tree()
    acc = hashlib.sha256()
    for end in range(1, SUBTREE_VECTOR_MAX + 1):
        for start in range(end):
            if not valid_subtree(start, end):
                continue

            def get(level: int, index: int, start: int = start) -> bytes:
                return nodes[(level, index + (start >> level))]

            for index in range(start, end):
                proof = inclusion_proof(index - start, end - start, get)
                line = f"{index} [{start}, {end})" + "".join(" " + p.hex() for p in proof) + "\n"
                acc.update(line.encode())
    assert acc.hexdigest() == "ac2a8f989e44d99e399db448050ff5f19757df53cfb716aa81015d3955d8163f"


# --- naive RFC 9162 reference and property tests --------------------------------------


def ref_mth(hs: list[bytes]) -> bytes:
    if not hs:
        return EMPTY_ROOT
    if len(hs) == 1:
        return hs[0]
    k = 1 << ((len(hs) - 1).bit_length() - 1)
    return node_hash(ref_mth(hs[:k]), ref_mth(hs[k:]))


def ref_path(m: int, hs: list[bytes]) -> list[bytes]:
    if len(hs) == 1:
        return []
    k = 1 << ((len(hs) - 1).bit_length() - 1)
    if m < k:
        return [*ref_path(m, hs[:k]), ref_mth(hs[k:])]
    return [*ref_path(m - k, hs[k:]), ref_mth(hs[:k])]


def ref_subproof(m: int, hs: list[bytes], complete: bool) -> list[bytes]:
    n = len(hs)
    if m == n:
        return [] if complete else [ref_mth(hs)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*ref_subproof(m, hs[:k], complete), ref_mth(hs[k:])]
    return [*ref_subproof(m - k, hs[k:], False), ref_mth(hs[:k])]


def build_nodes(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    nodes = {(0, i): v for i, v in enumerate(leaves)}
    level, row = 0, leaves
    while len(row) > 1:
        row = [node_hash(row[2 * i], row[2 * i + 1]) for i in range(len(row) // 2)]
        level += 1
        nodes.update({(level, i): v for i, v in enumerate(row)})
    return nodes


MAX_SIZE = 300
LEAVES = [leaf_hash(f"leaf {i}".encode()) for i in range(MAX_SIZE)]
NODES = build_nodes(LEAVES)


def getter(size: int) -> Callable[[int, int], bytes]:
    """A store of the first ``size`` leaves: refuses nodes that do not exist yet."""

    def get(level: int, index: int) -> bytes:
        assert (index + 1) << level <= size, f"read ({level}, {index}) beyond size {size}"
        return NODES[(level, index)]

    return get


def flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    out = list(proof)
    b = bytearray(out[i])
    b[bit // 8] ^= 1 << (bit % 8)
    out[i] = bytes(b)
    return out


def corrupt_inclusion(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[bytes, int, int, list[bytes], bytes]]:
    """The probes of verify_test.go corruptInclusionProof, as verify_inclusion arguments."""
    probes = [
        (leaf, index - 1, size, proof, root),
        (leaf, index + 1, size, proof, root),
        (leaf, index ^ 2, size, proof, root),
        (leaf, index, size * 2, proof, root),
        (leaf, index, size // 2, proof, root),
        (b"WrongLeaf", index, size, proof, root),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, b""], root),
        (leaf, index, size, [*proof, root], root),
        (leaf, index, size, [b"", *proof], root),
        (leaf, index, size, [root, *proof], root),
    ]
    probes += [(leaf, index, size, flip(proof, i, 3), root) for i in range(len(proof))]
    if proof:
        probes.append((leaf, index, size, proof[:-1], root))
    if len(proof) > 1:
        probes.append((leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root))
    return probes


def corrupt_consistency(
    size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes
) -> list[tuple[int, int, list[bytes], bytes, bytes]]:
    """The probes of verify_test.go corruptConsistencyProof (non-empty proofs only)."""
    probes = [
        (size1 - 1, size2, proof, root1, root2),
        (size1 + 1, size2, proof, root1, root2),
        (size1 ^ 2, size2, proof, root1, root2),
        (size1, size2 * 2, proof, root1, root2),
        (size1, size2 // 2, proof, root1, root2),
        (size1, size2, proof, b"WrongRoot", root2),
        (size1, size2, proof, root1, b"WrongRoot"),
        (size1, size2, proof, root2, root1),
        (size1, size2, [], root1, root2),
        (size1, size2, [*proof, b""], root1, root2),
        (size1, size2, [*proof, root1], root1, root2),
        (size1, size2, [*proof, root2], root1, root2),
        (size1, size2, [b"", *proof], root1, root2),
        (size1, size2, [root1, *proof], root1, root2),
        (size1, size2, [root2, *proof], root1, root2),
        (size1, size2, [proof[0], *proof], root1, root2),
        (size1, size2, proof[:-1], root1, root2),
    ]
    probes += [(size1, size2, flip(proof, i, 4), root1, root2) for i in range(len(proof))]
    return probes


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_inclusion_properties(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, MAX_SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    leaves = LEAVES[:size]
    root = ref_mth(leaves)
    proof = inclusion_proof(index, size, getter(size))
    assert proof == ref_path(index, leaves)
    assert root_hash(size, getter(size)) == root
    verify_inclusion(leaves[index], index, size, proof, root)
    for probe in corrupt_inclusion(index, size, proof, root, leaves[index]):
        with pytest.raises(ProofError):
            verify_inclusion(*probe)
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, flip(proof, i, bit), root)
    other = data.draw(st.integers(0, size - 1).filter(lambda j: j != index) if size > 1 else st.none())
    if other is not None:
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], other, size, proof, root)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_consistency_properties(data: st.DataObject) -> None:
    size2 = data.draw(st.integers(1, MAX_SIZE), label="size2")
    size1 = data.draw(st.integers(1, size2), label="size1")
    root1, root2 = ref_mth(LEAVES[:size1]), ref_mth(LEAVES[:size2])
    proof = consistency_proof(size1, size2, getter(size2))
    assert proof == ref_subproof(size1, LEAVES[:size2], True)
    verify_consistency(size1, size2, proof, root1, root2)
    if proof:
        for probe in corrupt_consistency(size1, size2, proof, root1, root2):
            with pytest.raises(ProofError):
                verify_consistency(*probe)
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        bit = data.draw(st.integers(0, 255), label="bit")
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, flip(proof, i, bit), root1, root2)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, MAX_SIZE), st.integers(0, 40))
def test_compact_range_properties(size: int, more: int) -> None:
    more = min(more, MAX_SIZE - size)
    cr = CompactRange.load(size, getter(size))
    assert cr.root() == ref_mth(LEAVES[:size])
    for i in range(size, size + more):
        for level, index, value in cr.append(LEAVES[i]):
            assert (index + 1) << level == i + 1 or level == 0
            assert NODES[(level, index)] == value
    assert cr.root() == ref_mth(LEAVES[: size + more])
    assert cr.hashes == CompactRange.load(size + more, getter(size + more)).hashes


# --- the RFC 9162 verification algorithms as written in docs/ledger-formats.md ----------


def rfc9162_inclusion_ok(leaf: bytes, m: int, n: int, proof: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2, transcribed literally (the pseudo-code partners are given)."""
    if not 0 <= m < n or any(len(p) != 32 for p in proof):
        return False
    fn, sn, r = m, n - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def rfc9162_consistency_ok(m: int, n: int, proof: list[bytes], old: bytes, new: bytes) -> bool:
    """RFC 9162 section 2.1.4.2 for 0 < m < n, transcribed literally."""
    if not 0 < m < n or not proof or any(len(p) != 32 for p in proof):
        return False
    if m & (m - 1) == 0:
        proof = [old, *proof]
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old and sr == new


def accepts(verify: Callable[..., None], *args: object) -> bool:
    try:
        verify(*args)
    except ProofError:
        return False
    return True


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_documented_algorithms_agree(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, MAX_SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = ref_mth(LEAVES[:size])
    proof = inclusion_proof(index, size, getter(size))
    assert rfc9162_inclusion_ok(LEAVES[index], index, size, proof, root)
    for probe in corrupt_inclusion(index, size, proof, root, LEAVES[index]):
        assert not rfc9162_inclusion_ok(*probe)
        assert not accepts(verify_inclusion, *probe)
    old = data.draw(st.integers(1, size), label="old")
    if old < size:
        old_root = ref_mth(LEAVES[:old])
        cproof = consistency_proof(old, size, getter(size))
        assert rfc9162_consistency_ok(old, size, cproof, old_root, root)
        for cprobe in corrupt_consistency(old, size, cproof, old_root, root):
            assert not rfc9162_consistency_ok(*cprobe)
