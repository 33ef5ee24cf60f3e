"""The one rule for URLs the registry fetches keys from or names itself by: https, or plain http on loopback only
(anyone on the network path could otherwise substitute the keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import SplitResult, urlsplit

__all__ = ["LOOPBACK_HOSTS", "https_or_loopback", "read_key_source"]

LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})


def https_or_loopback(parts: SplitResult) -> bool:
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)


def read_key_source(source: str, error: type[Exception], *, timeout: float = 10.0,
                    max_bytes: int = 1_048_576) -> str:
    """The text of a key document (a JWKS) from a file or an https (or loopback http) URL; ``error`` with one
    line saying why not."""
    if source.startswith(("https://", "http://")):
        import httpx

        if not https_or_loopback(urlsplit(source)):
            raise error(f"{source}: keys are fetched over https (plain http only from this machine)")
        try:
            resp = httpx.get(source, timeout=timeout, follow_redirects=False)
        except httpx.HTTPError as err:
            raise error(f"cannot fetch {source}: {err}") from None
        if resp.status_code != 200:
            raise error(f"{source} answered HTTP {resp.status_code}")
        text = resp.text
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as err:
            raise error(f"cannot read {source}: {err.strerror}") from None
    if len(text) > max_bytes:
        raise error(f"{source}: the key document is too large")
    return text
