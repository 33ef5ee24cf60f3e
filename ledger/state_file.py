"""Small JSON state files that must survive crashes and concurrent processes (signer and witness memory).

``locked`` holds an exclusive lock (a ``.lock`` file beside the state) across a read-check-write;
``write`` replaces the file atomically and durably (temporary file, fsync, rename, fsync of the folder).
``read_head`` / ``write_head`` keep one tree head, ``{"size", "root"}``: what a signer last signed, what a
monitor last saw.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["TreeHead", "locked", "read_head", "write", "write_head"]


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes


def read_head(path: Path) -> TreeHead | None:
    """The head kept in ``path``, None before the first; ValueError (saying why) when it is unreadable."""
    try:
        doc = json.loads(path.read_text())
        return TreeHead(int(doc["size"]), bytes.fromhex(doc["root"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(str(err)) from None


def write_head(path: Path, head: TreeHead) -> None:
    write(path, {"size": head.size, "root": head.root.hex()})


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write(path: Path, doc: Any) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
