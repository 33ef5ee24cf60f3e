"""The auditor's verified watermark: the largest log prefix a clean audit proved, kept outside the database.

Whoever can write the database could also write a watermark kept there, and move it past what was really
checked. So the auditor keeps its own file (``audit.state`` in the data directory's secrets, or
``registry audit --state FILE``), written atomically under a file lock with ``ledger.state_file``, as the
signer keeps its last signed head. A later audit first proves that the log extends the recorded
``(size, root)`` (or names the fork), then verifies only what came after it.

The watermark only moves forward: a smaller clean tree (a restored backup) or a concurrent auditor that got
further first never moves it back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger import state_file

__all__ = ["DEFAULT_FILE", "AuditStateError", "Watermark", "read", "record"]

DEFAULT_FILE = "audit.state"


class AuditStateError(ValueError):
    """The state file cannot be read, is for another log, or cannot be written."""


@dataclass(frozen=True)
class Watermark:
    """A verified prefix: ``size`` entries with ``root``, audited clean at ``verified_at``.

    ``replay``: that audit also replayed the log into the state tables; ``replayed_size`` / ``replayed_at``:
    the last clean replay, carried forward by audits that do not replay.
    """

    origin: str
    size: int
    root: bytes
    verified_at: datetime
    replay: bool
    replayed_size: int | None = None
    replayed_at: datetime | None = None

    @property
    def head(self) -> state_file.TreeHead:
        return state_file.TreeHead(self.size, self.root)

    def as_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "size": self.size, "root": self.root.hex(),
                "verified_at": _iso(self.verified_at), "replay": self.replay, "replayed_size": self.replayed_size,
                "replayed_at": None if self.replayed_at is None else _iso(self.replayed_at)}


def read(path: Path, origin: str) -> Watermark | None:
    """The watermark in ``path`` (None before the first clean audit); AuditStateError when unusable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise AuditStateError(f"the audit state {path} is unreadable ({err}); restore it from backup, or move it "
                              "aside to start again from a full audit") from None
    try:
        mark = Watermark(str(doc["origin"]), int(doc["size"]), bytes.fromhex(doc["root"]),
                         _time(doc["verified_at"]), bool(doc["replay"]),
                         None if doc.get("replayed_size") is None else int(doc["replayed_size"]),
                         None if doc.get("replayed_at") is None else _time(doc["replayed_at"]))
    except (KeyError, TypeError, ValueError) as err:
        raise AuditStateError(f"the audit state {path} is not an audit watermark ({err!r}); restore it from "
                              "backup, or move it aside to start again from a full audit") from None
    if mark.size < 0 or len(mark.root) != 32:
        raise AuditStateError(f"the audit state {path} holds an impossible tree head (size {mark.size})")
    if mark.origin != origin:
        raise AuditStateError(f"the audit state {path} is for the log {mark.origin!r}, not {origin!r}: give this "
                              "log its own --state FILE")
    return mark


def record(path: Path, origin: str, size: int, root: bytes, *, replay: bool,
           at: datetime | None = None) -> Watermark:
    """Record a clean audit of the tree ``(size, root)``; return the watermark now in force.

    Under the file lock: re-read, and keep the recorded one when it is further (never move back).
    """
    now = at or datetime.now(UTC)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # beside the keys: not for other users
        with state_file.locked(path):
            old = read(path, origin)
            if old is not None and old.size > size:
                return old
            if old is not None and old.size == size and old.root != root:
                raise AuditStateError(f"refusing to record size {size} root {root.hex()}: {path} already holds "
                                      f"root {old.root.hex()} at that size (a fork)")
            kept = (size, now) if replay else (
                (old.replayed_size, old.replayed_at) if old is not None else (None, None))
            mark = Watermark(origin, size, root, now, replay, kept[0], kept[1])
            state_file.write(path, mark.as_dict())
            return mark
    except OSError as err:
        raise AuditStateError(f"cannot write the audit state {path}: {err}") from None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _time(text: Any) -> datetime:
    when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return when
