"""Registry-assigned identifiers: a short prefix and 12 Crockford base32 characters."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Mapping
from contextvars import ContextVar

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECORDED: ContextVar[Mapping[str, str] | None] = ContextVar("recorded_ids", default=None)


def new_id(prefix: str) -> str:
    recorded = _RECORDED.get()
    if recorded is not None and prefix in recorded:
        return recorded[prefix]
    n = int.from_bytes(secrets.token_bytes(8)) >> 4  # 60 random bits: 12 characters of 5 bits, uniform
    return prefix + "-" + "".join(_ALPHABET[(n >> shift) & 31] for shift in range(55, -1, -5))


@contextlib.contextmanager
def recorded(by_prefix: Mapping[str, str]) -> Iterator[None]:
    """While replaying the log, hand out the IDs the registry assigned when the event was first applied."""
    token = _RECORDED.set(by_prefix)
    try:
        yield
    finally:
        _RECORDED.reset(token)


def officer_id() -> str:
    return new_id("OFC")


def record_id() -> str:
    return new_id("REC")


def certification_id() -> str:
    return new_id("CRT")


def employment_id() -> str:
    return new_id("EMP")
