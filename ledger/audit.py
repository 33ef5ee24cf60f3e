"""Tamper audit: recompute the log from what the database stores and name every row that disagrees.

The log is redundant on purpose: each event's JWS hashes to its leaf, every stored interior node
is the hash of its children, and each checkpoint signs a root over all of it. The audit reads one
consistent snapshot, recomputes the tree level by level from the stored leaves, and compares:

- ``events`` and ``registry_entries`` (the ``log_entries`` view) with the leaves (content changed, row
  inserted or removed, payload edited), each signature checked: a registration's against the registry admin
  keys, an event's against the publisher keys the registrations make;
- ``agencies``, ``publishers`` and ``publisher_keys`` with what the registrations make (a row written behind
  the API);
- stored interior nodes with their recomputation (changed, missing or inserted nodes);
- ``log_state.size`` with the number of leaves;
- every checkpoint with the recomputed root at its size, and its signature with the registry key;
- given the auditor's watermark (``ledger.audit_state``), the recomputed root at its size with the one a
  previous clean audit recorded: a log that no longer extends it is a ``FORK``.

When an event and its leaf disagree, the stored parent node (or, for the last leaf, the signed
checkpoint) says which of the two rows was edited. Expunged events keep only their leaf: that is
expected and counted, not reported. Memory is O(n) bytes (32 per leaf), not O(n) Python objects.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from joserfc.jwk import OKPKey

from ledger import admin_entries, entry_check, verifying_threads
from ledger.checkpoint import Checkpoint, CheckpointError, NoteVerifier, open_checkpoint, parse_checkpoint
from ledger.merkle import EMPTY_ROOT, HASH_SIZE, NodeID, leaf_hash, node_hash, range_nodes
from ledger.state_file import TreeHead
from store import agencies, publishers, registrations

__all__ = ["AuditReport", "Finding", "Progress", "audit", "fork", "payload_matches"]

#: Called now and then during a long audit with what is done: for a progress line on stderr.
Progress = Callable[[str], None]

_PREFETCH = 5000
_VERDICT_BLOCK = 2000  # rows whose signatures are checked together on the verifying threads


@dataclass(frozen=True)
class Finding:
    """One disagreement: a stable ``code``, the table and row it names, and what is wrong."""

    code: str
    table: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.table}[{self.where}]: {self.message}"


@dataclass
class AuditReport:
    log_size: int = 0
    leaves: int = 0
    events: int = 0
    expunged: int = 0
    nodes_checked: int = 0
    checkpoints_checked: int = 0
    latest_checkpoint: int | None = None
    signatures_checked: bool = False
    signatures_verified: int = 0  # signatures of logged entries checked (events: logged keys; registrations: admin)
    registrations: int = 0  # log entries that register an agency, a publisher or a key, or revoke a key
    admin_signatures_checked: bool = False  # whether registrations were checked against the registry admin keys
    root: bytes = EMPTY_ROOT
    verified_from: int = 0  # the watermark's size: entries below it were proved by an earlier audit (0: all now)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "log_size": self.log_size, "leaves": self.leaves, "events": self.events,
            "expunged": self.expunged, "nodes_checked": self.nodes_checked,
            "checkpoints_checked": self.checkpoints_checked, "latest_checkpoint": self.latest_checkpoint,
            "signatures_checked": self.signatures_checked, "signatures_verified": self.signatures_verified,
            "registrations": self.registrations, "admin_signatures_checked": self.admin_signatures_checked,
            "root": self.root.hex(), "verified_from": self.verified_from,
            "entries_verified": self.log_size - self.verified_from,
            "findings": [{"code": f.code, "table": f.table, "where": f.where, "message": f.message}
                         for f in self.findings],
        }


class _Level:
    """One level of the recomputed tree: ``count`` hashes packed in a bytearray, and which are known."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.hashes = bytearray(HASH_SIZE * count)
        self.known = bytearray(count)

    def get(self, i: int) -> bytes | None:
        return bytes(self.hashes[HASH_SIZE * i : HASH_SIZE * (i + 1)]) if self.known[i] else None

    def set(self, i: int, h: bytes) -> None:
        self.hashes[HASH_SIZE * i : HASH_SIZE * (i + 1)] = h
        self.known[i] = 1

    def parents(self) -> _Level:
        up = _Level(self.count // 2)
        for j in range(up.count):
            left, right = self.get(2 * j), self.get(2 * j + 1)
            if left is not None and right is not None:
                up.set(j, node_hash(left, right))
        return up


@dataclass
class _Mismatch:
    """An entry (an event or a registration) whose JWS does not hash to the stored leaf at its index."""

    table: str
    where: str
    index: int
    event_leaf: bytes
    stored_leaf: bytes


class _Auditor:
    def __init__(self, conn: asyncpg.Connection, verifier: NoteVerifier | Sequence[NoteVerifier] | None,
                 origin: str | None, watermark: TreeHead | None = None, progress: Progress | None = None,
                 admin_keys: Mapping[str, OKPKey] | None = None) -> None:
        self.conn = conn
        self.admin_keys = admin_keys
        self.verifier = verifier
        self.origin = origin
        self.watermark = watermark
        self.progress = progress
        self.report = AuditReport()

    def find(self, code: str, table: str, where: str, message: str) -> None:
        self.report.findings.append(Finding(code, table, where, message))

    async def run(self) -> AuditReport:
        size: int = await self.conn.fetchval("SELECT size FROM log_state WHERE id")
        self.report.log_size = size
        checkpoints = await self.conn.fetch("SELECT size, root_hash, note FROM checkpoints ORDER BY size")
        # The right-edge nodes of every checkpointed size (and the current one), kept by level as computed.
        sizes = {size, *(cp["size"] for cp in checkpoints if 0 < cp["size"] <= size)}
        mark = self.watermark
        if mark is not None and 0 < mark.size <= size:
            sizes.add(mark.size)
        wanted: dict[int, list[int]] = defaultdict(list)
        for node_level, idx in {node for s in sizes for node in range_nodes(0, s)}:
            wanted[node_level].append(idx)

        leaves = await self._leaves(size)
        mismatches = await self._events(size, leaves)
        edge = await self._tree(size, leaves, mismatches, wanted)
        unexplained = {m.index: m for m in mismatches}
        self._checkpoints(checkpoints, size, edge, unexplained)
        for m in unexplained.values():
            self.find("EVENT_LEAF_MISMATCH", m.table, m.where,
                      f"the JWS hashes to {m.event_leaf.hex()} but the stored leaf is {m.stored_leaf.hex()}; no "
                      "stored parent or signed checkpoint covers it yet to tell which row was edited")
        root = _root(size, edge)
        if root is not None:
            self.report.root = root
        if mark is not None:
            at_mark = _root(mark.size, edge) if mark.size <= size else None
            if mark.size > size or (at_mark is not None and at_mark != mark.root):
                self.report.findings.append(fork(mark, size, root, at_mark))
        return self.report

    async def _leaves(self, size: int) -> _Level:
        leaves = _Level(size)
        count = 0
        async for r in self.conn.cursor("SELECT idx, hash FROM log_nodes WHERE level = 0 ORDER BY idx",
                                        prefetch=_PREFETCH):
            count += 1
            idx, h = r["idx"], bytes(r["hash"])
            if idx >= size:
                self.find("UNEXPECTED_NODE", "log_nodes", f"level=0 idx={idx}",
                          f"a leaf beyond the log's size {size}: inserted behind the API")
                continue
            leaves.set(idx, h)
        self.report.leaves = count
        if count != size:
            self.find("SIZE_MISMATCH", "log_state", f"size={size}",
                      f"log_state.size is {size} but log_nodes holds {count} leaves")
        for i in _zeros(leaves.known):
            self.find("LEAF_MISSING", "log_nodes", f"level=0 idx={i}", "no leaf stored for an index below the size")
        return leaves

    async def _events(self, size: int, leaves: _Level) -> list[_Mismatch]:
        has_event = bytearray(size)
        mismatches: list[_Mismatch] = []
        keys = await logged_keys(self.conn, self.admin_keys, self.find)
        self.report.admin_signatures_checked = self.admin_keys is not None
        imported = {kid: entry_check.import_key(key) for kid, key in keys.items()}  # once for the whole audit
        async for r, ahead in _with_verdicts(self.conn.cursor(
                "SELECT id, log_index, jws, payload, expunged_at, kid, source FROM log_entries ORDER BY log_index, id",
                prefetch=_PREFETCH), leaves, keys, imported):
            self.report.events += r["source"] == "events"
            if self.progress is not None and self.report.events % 20_000 == 0:
                self.progress(f"{self.report.events} of {size} entries checked")
            index, jws, table = r["log_index"], r["jws"], r["source"]
            where = entry_where(r)
            stored = leaves.get(index) if 0 <= index < size else None
            if stored is None:
                self.find("EVENT_WITHOUT_LEAF", table, where,
                          "no leaf at this log index: the row was inserted behind the API (or its leaf removed)")
                continue
            if has_event[index]:
                self.find("DUPLICATE_LOG_INDEX", table, where, "another row claims the same leaf")
                continue
            has_event[index] = 1
            if not content_to_check(r, where, self.find, self.report):
                continue
            computed = leaf_hash(jws.encode("utf-8"))
            if computed != stored:
                mismatches.append(_Mismatch(table, where, index, computed, stored))
                continue
            check_signed(r, stored, keys, self.admin_keys, where, self.find, self.report, ahead=ahead)
        for i in _zeros(has_event):
            if leaves.known[i]:
                self.find("LEAF_WITHOUT_EVENT", "log_nodes", f"level=0 idx={i}",
                          "no events or registry_entries row for this leaf: the row was deleted behind the API")
        return mismatches

    async def _tree(self, size: int, leaves: _Level, mismatches: list[_Mismatch],
                    wanted: dict[int, list[int]]) -> dict[NodeID, bytes]:
        """Recompute every level from the leaves, compare with the stored nodes, keep the ``wanted`` ones."""
        edge: dict[NodeID, bytes] = {}
        if size < 2:
            self._keep(0, leaves, wanted, edge)
        below, level = leaves, 1
        while size >> level:
            computed = below.parents()
            stored = await self._stored_level(level, computed.count)
            if level == 1:  # leaves first: a corrected leaf must be used for everything above it
                self._classify(leaves, computed, stored, mismatches)
                self._keep(0, leaves, wanted, edge)
            for j in range(computed.count):
                want, got = computed.get(j), stored.get(j)
                if got is None:
                    self.find("NODE_MISSING", "log_nodes", f"level={level} idx={j}",
                              "a perfect subtree of the log has no stored node")
                elif want is not None:
                    self.report.nodes_checked += 1
                    if want != got:
                        self.find("NODE_CHANGED", "log_nodes", f"level={level} idx={j}",
                                  f"stored {got.hex()}, recomputed from the leaves {want.hex()}")
            self._keep(level, computed, wanted, edge)
            below, level = computed, level + 1
        for r in await self.conn.fetch("SELECT level, idx FROM log_nodes WHERE level >= $1 ORDER BY level, idx",
                                       level):
            self.find("UNEXPECTED_NODE", "log_nodes", f"level={r['level']} idx={r['idx']}",
                      f"not a perfect subtree of a log of size {size}: inserted behind the API")
        return edge

    async def _stored_level(self, level: int, count: int) -> _Level:
        stored = _Level(count)
        async for r in self.conn.cursor("SELECT idx, hash FROM log_nodes WHERE level = $1 ORDER BY idx", level,
                                        prefetch=_PREFETCH):
            if r["idx"] >= count:
                self.find("UNEXPECTED_NODE", "log_nodes", f"level={level} idx={r['idx']}",
                          "a node beyond the log's size: inserted behind the API")
            else:
                stored.set(r["idx"], bytes(r["hash"]))
        return stored

    def _classify(self, leaves: _Level, parents: _Level, stored: _Level, mismatches: list[_Mismatch]) -> None:
        """Decide, from the stored parent, whether the events row or the leaf row was edited."""
        for m in list(mismatches):
            p = m.index >> 1
            if p >= parents.count or (stored_parent := stored.get(p)) is None:
                continue  # the last leaf of an odd tree: only a checkpoint can tell
            sibling = leaves.get(m.index ^ 1)
            if sibling is None:
                continue
            pair = (m.event_leaf, sibling) if m.index % 2 == 0 else (sibling, m.event_leaf)
            if stored_parent == parents.get(p):
                self.find("EVENT_CHANGED", m.table, m.where,
                          "the JWS no longer hashes to the leaf the log committed to: the row was edited")
            elif stored_parent == node_hash(*pair):
                self.find("LEAF_CHANGED", "log_nodes", f"level=0 idx={m.index}",
                          f"the leaf was edited: {m.table} row ({m.where}) and the stored parent agree on "
                          f"{m.event_leaf.hex()}")
                leaves.set(m.index, m.event_leaf)  # recompute the ancestors from the true leaf
                parents.set(p, stored_parent)
            else:
                continue
            mismatches.remove(m)

    def _keep(self, level: int, nodes: _Level, wanted: dict[int, list[int]], edge: dict[NodeID, bytes]) -> None:
        for idx in wanted.get(level, ()):
            if idx < nodes.count and (h := nodes.get(idx)) is not None:
                edge[(level, idx)] = h

    def _checkpoints(self, rows: Iterable[asyncpg.Record], size: int, edge: dict[NodeID, bytes],
                     unexplained: dict[int, _Mismatch]) -> None:
        self.report.signatures_checked = self.verifier is not None and self.origin is not None
        for r in rows:
            where = f"size={r['size']}"
            cp = checked_checkpoint(r, size, self.verifier, self.origin, self.find, self.report)
            if cp is None:
                continue
            root = _root(cp.size, edge)
            if root is None:
                continue
            last = unexplained.pop(cp.size - 1, None)
            if last is not None and root == cp.root_hash:
                self.find("EVENT_CHANGED", last.table, last.where,
                          "the JWS no longer hashes to the leaf the signed checkpoint covers: the row was edited")
            elif last is not None and _root(cp.size, {**edge, (0, last.index): last.event_leaf}) == cp.root_hash:
                self.find("LEAF_CHANGED", "log_nodes", f"level=0 idx={last.index}",
                          f"the leaf was edited: {last.table} row ({last.where}) and the signed checkpoint agree")
            elif root != cp.root_hash:
                if last is not None:
                    unexplained[last.index] = last
                self.find("CHECKPOINT_ROOT_MISMATCH", "checkpoints", where,
                          f"signed root {cp.root_hash.hex()}, recomputed from the stored leaves {root.hex()}")


def content_to_check(row: asyncpg.Record, where: str, find: Callable[[str, str, str, str], None],
                     report: AuditReport) -> bool:
    """An events row against the expunge rules: whether it holds a JWS to check further (an expunged event
    keeps only its leaf, with no JWS and no payload; one whose content is gone must have been expunged)."""
    if row["jws"] is None:
        if row["expunged_at"] is None:
            find("CONTENT_REMOVED", "events", where, "the JWS is gone but the event was never expunged")
        elif row["payload"] is not None:
            find("PAYLOAD_MISMATCH", "events", where, "an expunged event still has a payload")
        else:
            report.expunged += 1
        return False
    if row["expunged_at"] is not None:
        find("EXPUNGED_CONTENT_PRESENT", "events", where, "the event was expunged but its content is back in the row")
    return True


def entry_where(row: asyncpg.Record) -> str:
    """How a finding names a log entry's row: an events row by ID and index, a registration by its index."""
    if row["source"] == "registry_entries":
        return f"log_index={row['log_index']}"
    return f"id={row['id']} log_index={row['log_index']}"


@dataclass(frozen=True)
class Verdict:
    """``entry_check.check_entry``'s answer for an event, computed ahead on the verifying threads."""

    why: str | None


async def _with_verdicts(rows: AsyncIterator[asyncpg.Record], leaves: _Level,
                         keys: Mapping[str, publishers.PublisherKeyRow], imported: Mapping[str, OKPKey | None],
                         ) -> AsyncIterator[tuple[asyncpg.Record, Verdict | None]]:
    """The rows in order, each event with a stored leaf with its signature's verdict, checked a block at a time on
    the verifying threads (``ledger.verifying_threads``) so that the audit of a large log is not bound by one core.
    The verdicts are ``check_signed``'s own check, made earlier; nothing else changes order."""
    block: list[asyncpg.Record] = []

    async def flush() -> list[tuple[asyncpg.Record, Verdict | None]]:
        # every event with content and a leaf (check_entry compares the two itself; a row whose leaf differs, or that
        # check_signed never reaches, has a verdict nobody asks for)
        todo = [(p, r) for p, r in enumerate(block) if r["source"] == "events" and r["jws"] is not None
                and 0 <= r["log_index"] < leaves.count and leaves.get(r["log_index"]) is not None]

        def check(part: Sequence[tuple[int, asyncpg.Record]]) -> dict[int, Verdict]:
            return {p: Verdict(entry_check.check_entry(r["jws"], leaves.get(r["log_index"]), keys.get(r["kid"]),
                                                       imported=imported.get(r["kid"]))) for p, r in part}

        verdicts: dict[int, Verdict] = {}
        if len(todo) >= verifying_threads.MIN_ITEMS:
            for found in await verifying_threads.in_halves(check, todo):
                verdicts.update(found)
        out = [(r, verdicts.get(p)) for p, r in enumerate(block)]
        block.clear()
        return out

    async for r in rows:
        block.append(r)
        if len(block) >= _VERDICT_BLOCK:
            for pair in await flush():
                yield pair
    for pair in await flush():
        yield pair


def check_signed(row: asyncpg.Record, leaf: bytes, keys: dict[str, publishers.PublisherKeyRow],
                 admin_keys: Mapping[str, OKPKey] | None, where: str, find: Callable[[str, str, str, str], None],
                 report: AuditReport, *, ahead: Verdict | None = None) -> None:
    """A log entry whose JWS hashes to its leaf: the payload column is the signed one, and the JWS is what the key
    its kid names signed: for an event, a key that logged registrations made (``keys``); for a registration, a
    registry admin key (not checked without ``admin_keys``). ``ahead``: the event's signature already checked."""
    table = row["source"]
    if not payload_matches(row["jws"], row["payload"]):
        find("PAYLOAD_MISMATCH", table, where, "the payload column differs from the signed JWS")
    if table == "registry_entries":
        report.registrations += 1
        if admin_keys is None:
            return
        why = admin_entries.check_admin_entry(row["jws"], leaf, admin_keys)
        if why is not None:
            find("BAD_SIGNATURE", table, where, f"not a registration the registry signed: {why}")
        else:
            report.signatures_verified += 1
        return
    why = ahead.why if ahead is not None else entry_check.check_entry(row["jws"], leaf, keys.get(row["kid"]))
    if why is not None:
        find("BAD_SIGNATURE", table, where, f"not what a logged publisher key signed: {why}")
    else:
        report.signatures_verified += 1


async def logged_keys(conn: asyncpg.Connection, admin_keys: Mapping[str, OKPKey] | None,
                      find: Callable[[str, str, str, str], None]) -> dict[str, publishers.PublisherKeyRow]:
    """The publisher keys logged registrations make (those the admin keys signed, when given), after naming every
    row of agencies, publishers and publisher_keys that they do not explain (written behind the API) or that
    they make but the table lacks."""
    derived = admin_entries.derive(admin_entries.verified_payloads(await registrations.signed(conn), admin_keys))
    compare_rows("agencies", "ori", {r.ori: r for r in await agencies.all_agencies(conn)}, derived.agencies, find)
    compare_rows("publishers", "id", {r.id: r for r in await publishers.all_publishers(conn)}, derived.publishers,
                 find)
    compare_rows("publisher_keys", "kid", await publishers.all_keys(conn), derived.keys, find)
    return derived.keys


def compare_rows(table: str, key: str, rows: Mapping[str, Any], logged: Mapping[str, Any],
                 find: Callable[[str, str, str, str], None]) -> None:
    for k in sorted(rows.keys() | logged.keys()):
        where = f"{key}={k}"
        if k not in logged:
            find("ROW_NOT_IN_LOG", table, where, "no logged registration makes this row: written behind the API")
        elif k not in rows:
            find("ROW_MISSING", table, where, "a logged registration makes this row but the table lacks it: deleted")
        elif rows[k] != logged[k]:
            differs = [f for f in type(rows[k]).__dataclass_fields__ if getattr(rows[k], f) != getattr(logged[k], f)]
            find("FIELD_DIFFERS", table, where,
                 "; ".join(f"{f} is {getattr(rows[k], f)!r} but the log says {getattr(logged[k], f)!r}"
                           for f in differs))


def checked_checkpoint(row: asyncpg.Record, size: int, verifier: NoteVerifier | Sequence[NoteVerifier] | None,
                       origin: str | None, find: Callable[[str, str, str, str], None],
                       report: AuditReport) -> Checkpoint | None:
    """A stored checkpoint's signed note (its signature checked when keys are given), after checking that its
    row says what the note says; None, with a finding, when the note does not verify or is beyond the log."""
    report.checkpoints_checked += 1
    report.latest_checkpoint = row["size"]
    where = f"size={row['size']}"
    try:
        if verifier is not None and origin is not None:
            cp = open_checkpoint(row["note"], verifier, origin)
        else:
            cp = parse_checkpoint(row["note"][: row["note"].rfind("\n\n") + 1])
    except CheckpointError as exc:
        find("CHECKPOINT_SIGNATURE", "checkpoints", where, f"the note does not verify: {exc}")
        return None
    if cp.size != row["size"] or cp.root_hash != bytes(row["root_hash"]):
        find("CHECKPOINT_ROW_CHANGED", "checkpoints", where,
             f"the row says size {row['size']} root {bytes(row['root_hash']).hex()}, its signed note says "
             f"size {cp.size} root {cp.root_hash.hex()}")
    if cp.size > size:
        find("CHECKPOINT_BEYOND_LOG", "checkpoints", where,
             f"signed at size {cp.size} but the log has only {size} entries: entries were removed")
        return None
    return cp


def fork(mark: TreeHead, size: int, root: bytes | None, at_mark: bytes | None) -> Finding:
    """The one line that says the log is not an extension of the tree an earlier clean audit verified."""
    now = f"size {size}, root {root.hex() if root is not None else 'unknown'}"
    if mark.size > size:
        what = (f"the log ({now}) is smaller than the tree the audit verified (size {mark.size}, root "
                f"{mark.root.hex()}): entries were removed (restored from an earlier backup?)")
    else:
        what = (f"the log ({now}) does not extend the tree the audit verified (size {mark.size}, root "
                f"{mark.root.hex()}): at size {mark.size} it now has root "
                f"{at_mark.hex() if at_mark is not None else 'unknown'}; history below the watermark was rewritten")
    return Finding("FORK", "log", f"size={mark.size}", what)


def _zeros(flags: bytearray) -> Iterable[int]:
    i = flags.find(0)
    while i >= 0:
        yield i
        i = flags.find(0, i + 1)


def _root(size: int, edge: dict[NodeID, bytes]) -> bytes | None:
    if size == 0:
        return EMPTY_ROOT
    hashes = [edge.get(node) for node in range_nodes(0, size)]
    if any(h is None for h in hashes):
        return None
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)  # type: ignore[arg-type]
    return acc


def payload_matches(jws: str, payload: Any) -> bool:
    parts = jws.split(".")
    if len(parts) != 3:
        return False
    try:
        signed = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        stored = json.loads(payload) if isinstance(payload, str) else payload
    except (binascii.Error, ValueError):
        return False
    return bool(signed == stored)


async def audit(conn: asyncpg.Connection, *, verifier: NoteVerifier | Sequence[NoteVerifier] | None = None,
                origin: str | None = None, watermark: TreeHead | None = None,
                progress: Progress | None = None, admin_keys: Mapping[str, OKPKey] | None = None) -> AuditReport:
    """Recompute the log in one read-only snapshot and report every disagreement.

    With ``verifier`` (the log's key, or its keys: current, retiring and retired ones, as a checkpoint signed
    before a key rotation bears only the old key's signature) and ``origin`` the checkpoints' signatures are
    checked too; without, only their contents (``signatures_checked`` says which). With ``watermark`` (the
    auditor's verified prefix) a log that no longer extends it is reported as ``FORK``. With ``admin_keys`` (the
    registry admin keys, current and earlier) every logged registration's signature is checked too.
    """
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        return await _Auditor(conn, verifier, origin, watermark, progress, admin_keys).run()
