"""The log in PostgreSQL: appends match the in-memory RFC 9162 tree, proofs read O(log n) rows in one
query, bad sizes are refused clearly, and checkpoints are signed once per new tree head."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from ledger import checkpointer, log_store, merkle, proofs
from ledger.checkpoint import NoteSigner, NoteVerifier, open_checkpoint

ORIGIN = "test.example/log"


def reference_from_leaves(leaf_hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every perfect node of the tree, computed in memory."""
    nodes: dict[tuple[int, int], bytes] = {}
    cr = merkle.CompactRange()
    for h in leaf_hashes:
        for level, idx, node in cr.append(h):
            nodes[(level, idx)] = node
    return nodes


def reference(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    return reference_from_leaves([merkle.leaf_hash(d) for d in leaves])


async def append(pool: asyncpg.Pool, leaves: list[bytes]) -> list[tuple[int, bytes]]:
    async with pool.acquire() as conn, conn.transaction():
        return await log_store.append_leaves(conn, leaves)


async def grow(pool: asyncpg.Pool, n: int, seed: int = 7) -> list[bytes]:
    rnd = random.Random(seed)
    leaves = [rnd.randbytes(rnd.randrange(1, 80)) for _ in range(n)]
    pos = 0
    while pos < n:
        step = min(n - pos, rnd.choice([1, 1, 2, 3, 7, 16, 40]))
        got = await append(pool, leaves[pos : pos + step])
        assert [i for i, _ in got] == list(range(pos, pos + step))
        assert [h for _, h in got] == [merkle.leaf_hash(d) for d in leaves[pos : pos + step]]
        pos += step
    return leaves


async def test_stored_nodes_are_exactly_the_perfect_subtrees(pool: asyncpg.Pool, clean: None) -> None:
    leaves = await grow(pool, 137)
    stored = {(r["level"], r["idx"]): bytes(r["hash"]) for r in await pool.fetch("SELECT * FROM log_nodes")}
    assert stored == reference(leaves)
    assert await log_store.size(pool) == 137
    assert await append(pool, []) == []


async def test_proofs_match_the_in_memory_tree(pool: asyncpg.Pool, clean: None) -> None:
    leaves = await grow(pool, 203, seed=11)
    nodes = reference(leaves)

    def get(level: int, idx: int) -> bytes:
        return nodes[(level, idx)]

    rnd = random.Random(3)
    for size in [1, 2, 3, 4, 5, 8, 63, 64, 65, 128, 200, 203]:
        assert await proofs.root_at(pool, size) == merkle.root_hash(size, get)
        for index in {0, size - 1, rnd.randrange(size)}:
            assert await proofs.inclusion_proof(pool, index, size) == merkle.inclusion_proof(index, size, get)
        for old in {0, 1, size, rnd.randrange(size + 1)}:
            assert await proofs.consistency_proof(pool, old, size) == merkle.consistency_proof(old, size, get)
            both = await proofs.consistency_with_roots(pool, old, size)
            assert both.old_root == merkle.root_hash(old, get) and both.new_root == merkle.root_hash(size, get)
            merkle.verify_consistency(old, size, both.proof, both.old_root, both.new_root)
    assert await proofs.root_at(pool, 0) == merkle.EMPTY_ROOT
    batch = await proofs.inclusion_proofs(pool, [(5, 9), (100, 203), (0, 1)])
    for inc in batch:
        merkle.verify_inclusion(inc.leaf_hash, inc.index, inc.size, inc.proof, merkle.root_hash(inc.size, get))


async def test_each_proof_is_one_query_of_logarithmic_rows(pool: asyncpg.Pool, clean: None) -> None:
    await grow(pool, 1000, seed=5)
    statements: list[str] = []

    def log(record: Any) -> None:
        statements.append(record.query)

    async with pool.acquire() as conn:
        conn.add_query_logger(log)
        try:
            await proofs.inclusion_proof(conn, 123, 999)
            await proofs.consistency_proof(conn, 377, 999)
            await proofs.root_at(conn, 999)
            await proofs.consistency_with_roots(conn, 377, 999)
            await proofs.inclusion_proofs(conn, [(1, 1000), (2, 999), (998, 999)])
        finally:
            conn.remove_query_logger(log)
    assert len(statements) == 5 and all("FROM log_nodes" in q for q in statements)
    assert len(merkle.inclusion_proof_nodes(123, 999).ids) <= 2 * (999).bit_length()


async def test_out_of_range_sizes_are_refused(pool: asyncpg.Pool, clean: None) -> None:
    await grow(pool, 10)
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: proofs.root_at(pool, 11), lambda: proofs.inclusion_proof(pool, 3, 11),
        lambda: proofs.inclusion_proof(pool, 10, 10), lambda: proofs.consistency_proof(pool, 4, 11),
        lambda: proofs.consistency_proof(pool, 0, 11), lambda: proofs.consistency_proof(pool, 11, 11),
        lambda: proofs.consistency_proof(pool, 5, 4), lambda: proofs.root_at(pool, -1),
        lambda: proofs.inclusion_proof(pool, -1, 3), lambda: proofs.consistency_with_roots(pool, 2, 12)]
    for call in calls:
        with pytest.raises(proofs.TreeSizeError):
            await call()
    assert await proofs.consistency_proof(pool, 10, 10) == []
    await pool.execute("DELETE FROM log_nodes WHERE level = 3 AND idx = 0")
    with pytest.raises(proofs.LogIntegrityError, match="registry audit"):
        await proofs.root_at(pool, 10)
    with pytest.raises(RuntimeError, match="right-edge"):
        await append(pool, [b"more"])


async def test_concurrent_appends_serialise(pool: asyncpg.Pool, clean: None) -> None:
    async def worker(k: int) -> list[int]:
        out = []
        for j in range(5):
            out += [i for i, _ in await append(pool, [f"{k}-{j}-{n}".encode() for n in range(3)])]
        return out

    got = await asyncio.gather(*(worker(k) for k in range(6)))
    assert sorted(i for idx in got for i in idx) == list(range(90))
    rows = await pool.fetch("SELECT level, idx, hash FROM log_nodes WHERE level = 0 ORDER BY idx")
    stored = {(r["level"], r["idx"]): bytes(r["hash"]) for r in await pool.fetch("SELECT * FROM log_nodes")}
    assert stored == reference_from_leaves([bytes(r["hash"]) for r in rows])


async def test_checkpoints_are_signed_once_per_new_tree_head(pool: asyncpg.Pool, clean: None) -> None:
    signer = NoteSigner.generate(ORIGIN)
    verifier = NoteVerifier.from_vkey(signer.verifier_key_string())
    empty = await checkpointer.publish_checkpoint(pool, signer, ORIGIN)
    assert open_checkpoint(empty, verifier, ORIGIN).root_hash == merkle.EMPTY_ROOT
    leaves = await grow(pool, 21)
    note = await checkpointer.publish_checkpoint(pool, signer, ORIGIN)
    cp = open_checkpoint(note, verifier, ORIGIN)
    assert cp.size == 21 and cp.root_hash == merkle.root_from_leaves([merkle.leaf_hash(d) for d in leaves])
    async with pool.acquire() as conn:
        assert await checkpointer.publish_checkpoint(conn, signer, ORIGIN) == note  # nothing new: same note
    assert await pool.fetchval("SELECT count(*) FROM checkpoints") == 2
    latest = await checkpointer.latest(pool)
    assert latest is not None and latest.note == note and latest.size == 21
    assert (await checkpointer.at_size(pool, 0)) is not None and await checkpointer.at_size(pool, 5) is None

    # two checkpointers racing on the same head store one row and agree on it (Ed25519 is deterministic)
    await append(pool, [b"one more"])
    notes = await asyncio.gather(*(checkpointer.publish_checkpoint(pool, signer, ORIGIN) for _ in range(4)))
    assert len(set(notes)) == 1 and await pool.fetchval("SELECT count(*) FROM checkpoints") == 3


async def test_try_publish_checkpoint_logs_instead_of_failing(pool: asyncpg.Pool, clean: None,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    signer = NoteSigner.generate(ORIGIN)
    await grow(pool, 4)
    await checkpointer.publish_checkpoint(pool, signer, ORIGIN)
    await pool.execute("UPDATE log_nodes SET hash = $1 WHERE level = 2 AND idx = 0", b"\x07" * 32)
    await append(pool, [b"x"])
    with caplog.at_level(logging.ERROR, logger="ledger.checkpointer"):
        assert await checkpointer.try_publish_checkpoint(pool, signer, ORIGIN) is None
    assert "does not extend" in caplog.text


async def test_the_timer_leaves_a_fresh_checkpoint_to_the_batches_and_logs_a_refusal_in_one_line(
        pool: asyncpg.Pool, clean: None, caplog: pytest.LogCaptureFixture) -> None:
    """The timer signs only a checkpoint older than its interval (the batches' own sign first while they arrive);
    a refusal is one line in the log, no traceback."""
    signer = NoteSigner.generate(ORIGIN)
    await grow(pool, 4)
    await checkpointer.publish_checkpoint(pool, signer, ORIGIN)
    await append(pool, [b"new"])
    task = asyncio.create_task(checkpointer.run_timer(pool, signer, ORIGIN, 1.0))
    try:
        await asyncio.sleep(0.2)  # its first look: the checkpoint is younger than the interval
        assert (await checkpointer.latest(pool)).size == 4  # type: ignore[union-attr]
        for _ in range(200):  # its look after the checkpoint has aged past the interval
            if (await checkpointer.latest(pool)).size == 5:  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the timer did not sign an old checkpoint's successor")
        await pool.execute("UPDATE log_nodes SET hash = $1 WHERE level = 2 AND idx = 0", b"\x07" * 32)
        await append(pool, [b"x"])
        with caplog.at_level(logging.ERROR, logger="ledger.checkpointer"):
            for _ in range(200):
                if caplog.records:
                    break
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
    [refused] = caplog.records
    assert refused.getMessage().startswith("periodic checkpoint refused: the log at size 6 does not extend")
    assert refused.exc_info is None and "\n" not in refused.getMessage()


async def test_timer_checkpoints_until_cancelled(pool: asyncpg.Pool, clean: None) -> None:
    signer = NoteSigner.generate(ORIGIN)
    task = asyncio.create_task(checkpointer.run_timer(pool, signer, ORIGIN, 0.05))
    await grow(pool, 6)
    for _ in range(100):
        latest = await checkpointer.latest(pool)
        if latest is not None and latest.size == 6:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the timer did not checkpoint")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    with pytest.raises(ValueError, match="positive"):
        await checkpointer.run_timer(pool, signer, ORIGIN, 0)
