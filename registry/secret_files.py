"""Private key files: mode 0600, written atomically; refused when others can read them."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], str], error: type[Exception]) -> str:
    """The file's text, first writing ``make()`` into it if it does not exist yet.

    The new content goes to a private temp file that is then hard-linked into place, so a reader never
    sees a half-written key, and when two processes race the first link wins and both use its key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(make())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return read_private(path, error)


def read_private(path: Path, error: type[Exception]) -> str:
    """The text of an existing private file; ``error`` if group or others may read it."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise error(f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}")
    return path.read_text(encoding="ascii")


def replace_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0600), replacing any file there atomically and durably: a reader sees
    the old content or the new, never part of it, and after a crash the new content is there or the old."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _sync_folder(path.parent)


def remove_private(path: Path) -> None:
    """Delete ``path`` (if it exists), durably."""
    path.unlink(missing_ok=True)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
