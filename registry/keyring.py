"""Signing keys that rotate with an overlap: the current key, the previous one while it retires, and the
public keys kept after that.

One kind of key (attestation, webhook, log) lives in the secrets directory as up to three files, all 0600:

``<file>``
    the current key, exactly as before rotation existed (created on first use, or by ``rotate``);
``<file>.retiring``
    the previous key during the overlap, in the form it still needs: its private key while it must still
    sign (webhook, log), only its public key when it just stays published (attestation);
``<file>.retired``
    public keys kept after their overlap, so that what they signed still verifies; one per line.

``rotate`` and ``retire`` change these files under a lock, one atomic step at a time, in an order that makes
every intermediate state load as the state before or after (a retiring key equal to the current one is the
current key; a retired key that is also retiring is retiring) and lets the same command, run again, finish.
``load`` reads them in the opposite order, so a process starting during a rotation sees a whole state too.
A running registry reads its keys at start-up only: restart it after a rotation or a retirement.

What a key looks like is the caller's business (``KeyKind``): this module only keeps the texts.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from registry.secret_files import read_or_create, read_private, remove_private, replace_private

__all__ = ["KeyKind", "Retirement", "Rotation", "RotationError", "StoredKeys", "load", "retire", "retire_command",
           "rotate"]


class RotationError(ValueError):
    """A rotation or retirement that cannot be done as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class KeyKind:
    """What the keyring needs to know about one kind of key."""

    name: str                             # "attestation", "webhook", "log": as the CLI names it
    env_var: str                          # when set, the key comes from there, not from the files
    error: type[Exception]                # raised for a file others may read (and by the callables below)
    new: Callable[[], str]                # a fresh private key, as ``<file>`` holds it
    kid: Callable[[str], str]             # the key ID of a stored key, private or public form
    retiring: Callable[[str], str]        # what is kept of the current key when it starts retiring
    retired: Callable[[str], str] | None  # what is kept of it once retired (None: nothing)


@dataclass(frozen=True)
class StoredKeys:
    current: str
    retiring: str | None = None
    retired: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rotation:
    current: str   # the new key's ID
    retiring: str  # the previous key's ID


@dataclass(frozen=True)
class Retirement:
    kid: str
    was: str           # "retiring" or "retired"
    kept_public: bool  # its public key stays (in ``<file>.retired``)


def retire_command(kind: str, kid: str, *options: str) -> str:
    """The ``registry retire-key`` command line for ``kid`` (after ``--`` when it starts with a dash, as a
    base64url attestation kid may)."""
    return " ".join(["registry retire-key", *options, kind, *(["--"] if kid.startswith("-") else []), kid])


def _retiring_path(path: Path) -> Path:
    return path.with_name(path.name + ".retiring")


def _retired_path(path: Path) -> Path:
    return path.with_name(path.name + ".retired")


def _read(path: Path, kind: KeyKind) -> str | None:
    try:
        return read_private(path, kind.error)
    except FileNotFoundError:
        return None


def load(path: Path, kind: KeyKind, *, create: bool = True) -> StoredKeys | None:
    """The keys kept in ``path`` and beside it; the current key is created if absent (``create``), else None."""
    if create:
        current: str | None = read_or_create(path, lambda: kind.new() + "\n", kind.error)
    else:
        current = _read(path, kind)
    if current is None:
        return None
    current = current.strip()
    retiring = _read(_retiring_path(path), kind)
    retired_text = _read(_retired_path(path), kind) or ""
    seen = {kind.kid(current)}
    if retiring is not None:
        retiring = retiring.strip()
        if kind.kid(retiring) in seen:  # a rotation that stopped after its first step: no rotation yet
            retiring = None
        else:
            seen.add(kind.kid(retiring))
    retired = []
    for line in retired_text.splitlines():
        line = line.strip()
        if line and kind.kid(line) not in seen:  # a retirement that stopped after its first step: still retiring
            seen.add(kind.kid(line))
            retired.append(line)
    return StoredKeys(current, retiring, tuple(retired))


def rotate(path: Path, kind: KeyKind) -> Rotation:
    """Make a new current key; the current one becomes the retiring one."""
    _check_files_in_use(path, kind)
    with _locked(path, kind):
        keys = _existing(path, kind)
        if keys.retiring is not None:
            kid = kind.kid(keys.retiring)
            raise RotationError(f"the {kind.name} key {kid} is still retiring: end its overlap first "
                                f"({retire_command(kind.name, kid)}), then rotate again")
        old = kind.kid(keys.current)
        replace_private(_retiring_path(path), kind.retiring(keys.current) + "\n")
        new = kind.new()
        replace_private(path, new + "\n")
        return Rotation(current=kind.kid(new), retiring=old)


def retire(path: Path, kind: KeyKind, kid: str | None, *, drop: bool = False) -> Retirement:
    """End the overlap of the retiring key (``kid``, or whichever it is when None): it stops signing and is
    published no more, except that its public key is kept if ``kind`` keeps retired keys and not ``drop``.
    With ``drop``, ``kid`` may also be a retired key, whose kept public key is then removed."""
    _check_files_in_use(path, kind)
    with _locked(path, kind):
        keys = _existing(path, kind)
        retiring_kid = kind.kid(keys.retiring) if keys.retiring is not None else None
        if kid is None or kid == retiring_kid:
            if keys.retiring is None or retiring_kid is None:
                raise RotationError(f"nothing to retire: no {kind.name} key is retiring "
                                    f"(a rotation, registry rotate-key {kind.name}, starts one)")
            keep = kind.retired is not None and not drop
            if keep:
                assert kind.retired is not None
                kept = [*keys.retired, kind.retired(keys.retiring)]
                replace_private(_retired_path(path), "".join(line + "\n" for line in kept))
            remove_private(_retiring_path(path))
            return Retirement(retiring_kid, "retiring", keep)
        retired = {kind.kid(line): line for line in keys.retired}
        if kid in retired:
            if not drop:
                raise RotationError(f"the {kind.name} key {kid} is already retired (its public key is kept so "
                                    "that what it signed still verifies); add --drop to remove that too")
            kept = [line for k, line in retired.items() if k != kid]
            replace_private(_retired_path(path), "".join(line + "\n" for line in kept))
            return Retirement(kid, "retired", False)
        current = kind.kid(keys.current)
        if kid == current:
            raise RotationError(f"{kid} is the current {kind.name} key: rotate first (registry rotate-key "
                                f"{kind.name}), then retire it")
        known = [f"current {current}"] + ([f"retiring {retiring_kid}"] if retiring_kid else []) + (
            [f"retired {', '.join(retired)}"] if retired else [])
        raise RotationError(f"no {kind.name} key has the kid {kid} ({'; '.join(known)})")


def _existing(path: Path, kind: KeyKind) -> StoredKeys:
    keys = load(path, kind, create=False)
    if keys is None:
        raise _nothing_yet(path, kind)
    return keys


def _nothing_yet(path: Path, kind: KeyKind) -> RotationError:
    return RotationError(f"there is no {kind.name} key in {path.parent} yet (the registry creates it when it first "
                         "starts), so there is nothing to rotate or retire")


def _check_files_in_use(path: Path, kind: KeyKind) -> None:
    if os.environ.get(kind.env_var):
        raise RotationError(f"{kind.env_var} is set, so the {kind.name} key comes from your secret store, not "
                            f"from {path.parent}: rotate it there (docs/security.md, Key rotation)")


@contextlib.contextmanager
def _locked(path: Path, kind: KeyKind) -> Iterator[None]:
    """One rotation or retirement of a kind of key at a time."""
    if not path.parent.is_dir():
        raise _nothing_yet(path, kind)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
