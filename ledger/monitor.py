"""A publisher's own monitor of the log: every entry made in its name must be one it sent.

``registry publish`` keeps a journal (one JSON line per event it signed: eventId and leaf hash, written
before the event is sent). The monitor follows the registry's checkpoints (each must verify with the log key
and extend the last one it saw, by a consistency proof) and lists every entry under the publisher's name
or keys whose leaf is not in the journal: an event in the board's name that the board never signed (a
stolen key, an insider, a row inserted behind the API).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ledger import state_file
from ledger.checkpoint import Checkpoint
from ledger.merkle import ProofError, leaf_hash, verify_consistency

__all__ = ["MonitorError", "Seen", "append_journal", "check_extends", "journal_leaves", "load_seen",
           "not_in_journal", "save_seen"]


class MonitorError(Exception):
    """The log cannot be trusted as seen (a fork) or the monitor's own files are unusable."""


Seen = state_file.TreeHead  # the last checkpoint the monitor saw


def load_seen(path: Path) -> Seen | None:
    try:
        return state_file.read_head(path)
    except ValueError as err:
        raise MonitorError(f"the monitor state {path} is unreadable ({err})") from None


def save_seen(path: Path, seen: Seen) -> None:
    with state_file.locked(path):
        state_file.write_head(path, seen)


def append_journal(path: Path, events: Iterable[tuple[str | None, str]]) -> None:
    """Record (eventId, compact JWS) pairs before they are sent (append, flushed to disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        for event_id, jws in events:
            f.write(json.dumps({"eventId": event_id, "leafHash": leaf_hash(jws.encode("ascii")).hex()}) + "\n")
        f.flush()
        os.fsync(f.fileno())


def journal_leaves(path: Path) -> set[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise MonitorError(f"no journal at {path}: `registry publish` writes it (--journal)") from None
    leaves = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            leaves.add(str(json.loads(line)["leafHash"]))
        except (ValueError, KeyError, TypeError):
            raise MonitorError(f"{path} line {number} is not a journal line") from None
    return leaves


def check_extends(seen: Seen | None, new: Checkpoint, proof: Sequence[bytes], old_root_at: bytes | None) -> None:
    """Raise unless ``new`` extends what the monitor saw before (a split view otherwise)."""
    if seen is None:
        return
    if new.size < seen.size:
        raise MonitorError(f"the registry now shows a tree of {new.size} entries, smaller than the {seen.size} "
                           "it showed before: a rollback or a split view")
    try:
        verify_consistency(seen.size, new.size, proof, seen.root, new.root_hash)
    except ProofError as err:
        raise MonitorError(f"the checkpoint at size {new.size} does not extend the one seen at size {seen.size} "
                           f"({err}): the registry showed two histories") from None
    if old_root_at is not None and old_root_at != seen.root:
        raise MonitorError("the registry's consistency proof starts from another root than the one seen")


def not_in_journal(entries: Iterable[Mapping[str, Any]], journal: set[str]) -> list[Mapping[str, Any]]:
    return [e for e in entries if e["leafHash"] not in journal]
