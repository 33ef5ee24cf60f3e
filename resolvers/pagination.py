"""Relay-style cursor paging over lists already loaded for the request (by DataLoader)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from registry.errors import BadInput

T = TypeVar("T")


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        decoded = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadInput("the cursor is not one this API issued") from None
    if not decoded:
        raise BadInput("the cursor is not one this API issued")
    return decoded


def check_first(first: int, max_page_size: int) -> int:
    if first < 0:
        raise BadInput("first must not be negative")
    if first > max_page_size:
        raise BadInput(f"first may be at most {max_page_size}")
    return first


def window(items: Sequence[T], key: Callable[[T], str], first: int, after: str | None) -> tuple[list[T], bool]:
    """The page after the cursor, and whether more follow."""
    start = 0
    after_key = decode_cursor(after)
    if after_key is not None:
        keys = [key(i) for i in items]
        if after_key not in keys:
            raise BadInput("the cursor does not belong to this list")
        start = keys.index(after_key) + 1
    page = list(items[start : start + first])
    return page, start + first < len(items)
