"""The incremental audit: prove the log extends the auditor's watermark, then check only what came after it.

A full audit (``ledger.audit``) is O(n) in the log. Once a clean audit has recorded a watermark
``(size, root)`` outside the database (``ledger.audit_state``), the prefix below it is pinned: a consistency
proof from the stored nodes, checked with ``ledger.merkle.verify_consistency``, shows the current tree contains
it unchanged, or it is a ``FORK``. Then each new entry is checked as the full audit checks it (its leaf is the
hash of its JWS, the JWS is what a registered key signed, the payload column is the signed one), the tree above
the watermark is recomputed from the right edge of the verified prefix and compared node by node, and new
checkpoints are checked against it. Cost: O(new entries + log n).

What it cannot see is an edit that leaves the tree alone: an event row's content changed below the watermark
(its leaf still pins the original). One cheap count catches rows inserted or deleted there; a periodic full
``registry audit`` names any edit (docs/ledger-operations.md, "Continuous audit").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg
from joserfc.jwk import OKPKey

from ledger import log_store, proofs
from ledger.audit import (
    AuditReport,
    Finding,
    Progress,
    check_signed,
    checked_checkpoint,
    content_to_check,
    entry_where,
    fork,
    logged_keys,
)
from ledger.checkpoint import NoteVerifier
from ledger.merkle import CompactRange, NodeID, leaf_hash, range_nodes
from ledger.state_file import TreeHead
from store import publishers

__all__ = ["audit_since"]

_CHUNK = 5000


class _Since:
    def __init__(self, conn: asyncpg.Connection, mark: TreeHead, verifier: NoteVerifier | Sequence[NoteVerifier] | None,
                 origin: str | None, progress: Progress | None, admin_keys: Mapping[str, OKPKey] | None) -> None:
        self.conn, self.mark, self.verifier, self.origin, self.progress = conn, mark, verifier, origin, progress
        self.admin_keys = admin_keys
        self.report = AuditReport(verified_from=mark.size)
        self.roots: dict[int, bytes] = {}  # recomputed roots at the sizes of new checkpoints

    def find(self, code: str, table: str, where: str, message: str) -> None:
        self.report.findings.append(Finding(code, table, where, message))

    async def run(self) -> AuditReport:
        size: int = await self.conn.fetchval("SELECT size FROM log_state WHERE id")
        self.report.log_size = size
        self.report.signatures_checked = self.verifier is not None and self.origin is not None
        compact = await self._extends(size)
        if compact is None:
            return self.report
        await self._prefix_rows()
        checkpoints = await self.conn.fetch(
            "SELECT size, root_hash, note FROM checkpoints WHERE size > $1 ORDER BY size", self.mark.size)
        wanted = {cp["size"] for cp in checkpoints}
        keys = await logged_keys(self.conn, self.admin_keys, self.find)  # small tables: compared whole every round
        self.report.admin_signatures_checked = self.admin_keys is not None
        for low in range(self.mark.size, size, _CHUNK):
            await self._chunk(low, min(size, low + _CHUNK), compact, keys, wanted)
            if self.progress is not None:
                self.progress(f"{min(size, low + _CHUNK) - self.mark.size} of {size - self.mark.size} new entries "
                              "checked")
        await self._beyond(size)
        if compact.size == size:
            self.report.root = compact.root()
        self._checkpoints(checkpoints, size)
        return self.report

    async def _extends(self, size: int) -> CompactRange | None:
        """The verified prefix's right edge, once the log is proved to extend it; None (and a FORK) if not."""
        mark = self.mark
        if size < mark.size:
            self.find_fork(size, None, None)
            return None
        try:
            ok, step = await proofs.extends(self.conn, mark.size, mark.root, size)
        except (proofs.LogIntegrityError, proofs.TreeSizeError) as err:
            self.find("NODE_MISSING", "log_nodes", f"size={size}", f"cannot prove the log extends the watermark: {err}")
            return None
        if not ok:
            self.find_fork(size, step.new_root, step.old_root)
            return None
        edge = await log_store.fetch_nodes(self.conn, range_nodes(0, mark.size))
        return CompactRange(mark.size, [edge[node] for node in range_nodes(0, mark.size)])

    def find_fork(self, size: int, root: bytes | None, at_mark: bytes | None) -> None:
        self.report.findings.append(fork(self.mark, size, root, at_mark))

    async def _prefix_rows(self) -> None:
        """One events row per verified index, still: a row inserted or deleted below the watermark."""
        below: int = await self.conn.fetchval("SELECT count(*) FROM log_entries WHERE log_index < $1",
                                              self.mark.size)
        if below != self.mark.size:
            self.find("PREFIX_ROWS_CHANGED", "log_entries", f"log_index<{self.mark.size}",
                      f"{below} events and registry_entries rows below the verified size {self.mark.size}, which "
                      f"has {self.mark.size} entries: a row was inserted or deleted behind the API; run a full "
                      "`registry audit` to name it")

    async def _chunk(self, low: int, high: int, compact: CompactRange, keys: dict[str, publishers.PublisherKeyRow],
                     wanted: set[int]) -> None:
        leaves = {r["idx"]: bytes(r["hash"]) for r in await self.conn.fetch(
            "SELECT idx, hash FROM log_nodes WHERE level = 0 AND idx >= $1 AND idx < $2", low, high)}
        rows = await self.conn.fetch(
            "SELECT id, log_index, jws, payload, expunged_at, kid, source FROM log_entries WHERE log_index >= $1"
            " AND log_index < $2 ORDER BY log_index, id", low, high)
        self.report.leaves += len(leaves)
        self._events(rows, leaves, keys)
        computed: dict[NodeID, bytes] = {}
        for index in range(low, high):
            leaf = leaves.get(index)
            if leaf is None:
                self.find("LEAF_MISSING", "log_nodes", f"level=0 idx={index}",
                          "no leaf stored for an index below the size")
            if leaf is None or compact.size != index:
                continue  # the tree above a missing leaf cannot be recomputed
            for level, idx, h in compact.append(leaf)[1:]:
                computed[(level, idx)] = h
            if compact.size in wanted:
                self.roots[compact.size] = compact.root()
        stored = await log_store.fetch_nodes(self.conn, computed)
        for (level, idx), want in computed.items():
            got = stored.get((level, idx))
            where = f"level={level} idx={idx}"
            if got is None:
                self.find("NODE_MISSING", "log_nodes", where, "a perfect subtree of the log has no stored node")
                continue
            self.report.nodes_checked += 1
            if got != want:
                self.find("NODE_CHANGED", "log_nodes", where, f"stored {got.hex()}, recomputed from the leaves "
                                                             f"{want.hex()}")

    def _events(self, rows: Sequence[asyncpg.Record], leaves: dict[int, bytes],
                keys: dict[str, publishers.PublisherKeyRow]) -> None:
        seen: set[int] = set()
        for r in rows:
            self.report.events += r["source"] == "events"
            index, jws, table = r["log_index"], r["jws"], r["source"]
            where = entry_where(r)
            stored = leaves.get(index)
            if stored is None:
                self.find("EVENT_WITHOUT_LEAF", table, where,
                          "no leaf at this log index: the row was inserted behind the API (or its leaf removed)")
                continue
            if index in seen:
                self.find("DUPLICATE_LOG_INDEX", table, where, "another row claims the same leaf")
                continue
            seen.add(index)
            if not content_to_check(r, where, self.find, self.report):
                continue
            computed = leaf_hash(jws.encode("utf-8"))
            if computed != stored:
                self.find("EVENT_LEAF_MISMATCH", table, where,
                          f"the JWS hashes to {computed.hex()} but the stored leaf is {stored.hex()}")
                continue
            check_signed(r, stored, keys, self.admin_keys, where, self.find, self.report)
        for index in sorted(leaves.keys() - seen):
            self.find("LEAF_WITHOUT_EVENT", "log_nodes", f"level=0 idx={index}",
                      "no events or registry_entries row for this leaf: the row was deleted behind the API")

    async def _beyond(self, size: int) -> None:
        """Rows past the log's size: inserted behind the API (a leaf, a node, an events row)."""
        for r in await self.conn.fetch(
            "SELECT n.level, n.idx FROM generate_series(0, 62) AS l(level) CROSS JOIN LATERAL ("
            " SELECT level, idx FROM log_nodes WHERE level = l.level AND idx >= ($1::bigint >> l.level)"
            " ORDER BY idx LIMIT 100) AS n ORDER BY 1, 2", size):
            self.find("UNEXPECTED_NODE", "log_nodes", f"level={r['level']} idx={r['idx']}",
                      f"not a perfect subtree of a log of size {size}: inserted behind the API")
        for r in await self.conn.fetch("SELECT id, log_index, source FROM log_entries WHERE log_index >= $1 "
                                       "ORDER BY log_index", size):
            self.find("EVENT_WITHOUT_LEAF", r["source"], entry_where(r),
                      "no leaf at this log index: the row was inserted behind the API (or its leaf removed)")

    def _checkpoints(self, rows: Sequence[asyncpg.Record], size: int) -> None:
        """The checkpoints signed since the watermark: their signature, row and root at their size."""
        for r in rows:
            where = f"size={r['size']}"
            cp = checked_checkpoint(r, size, self.verifier, self.origin, self.find, self.report)
            if cp is None:
                continue
            root = self.roots.get(cp.size)
            if root is not None and root != cp.root_hash:
                self.find("CHECKPOINT_ROOT_MISMATCH", "checkpoints", where,
                          f"signed root {cp.root_hash.hex()}, recomputed from the stored leaves {root.hex()}")


async def audit_since(conn: asyncpg.Connection, mark: TreeHead, *,
                      verifier: NoteVerifier | Sequence[NoteVerifier] | None = None, origin: str | None = None,
                      progress: Progress | None = None, admin_keys: Mapping[str, OKPKey] | None = None
                      ) -> AuditReport:
    """Audit, in one read-only snapshot, only the entries after the verified prefix ``mark``.

    ``report.verified_from`` is ``mark.size``; the counts (leaves, events, signatures, nodes, checkpoints) are
    of the new part only. A log that does not extend ``mark`` yields one ``FORK`` finding and nothing else.
    """
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await _Since(conn, mark, verifier, origin, progress, admin_keys).run()
