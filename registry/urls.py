"""The one rule for URLs the registry fetches keys from or names itself by: https, or plain http on loopback only
(anyone on the network path could otherwise substitute the keys)."""

from __future__ import annotations

from typing import Final
from urllib.parse import SplitResult

__all__ = ["LOOPBACK_HOSTS", "https_or_loopback"]

LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def https_or_loopback(parts: SplitResult) -> bool:
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
