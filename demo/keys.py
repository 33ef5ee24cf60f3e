"""The demo publishers' private keys, kept (0600) in the data directory so a user can sign more events."""

from __future__ import annotations

import json
import os
from pathlib import Path

from joserfc.jwk import OKPKey

from ledger.events import generate_ed25519_jwk


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def publisher_key(directory: Path, publisher_id: str) -> tuple[OKPKey, str]:
    """The publisher's private key from ``directory``, created there (0600) when missing or unusable."""
    path = directory / f"{publisher_id}.jwk"
    if path.exists():
        try:
            key = OKPKey.import_key(json.loads(path.read_text()))
            kid = key.kid
            if key.is_private and key.curve_name == "Ed25519" and isinstance(kid, str) and kid:
                return key, kid
        except Exception:  # noqa: S110 - an unreadable key file is replaced below
            pass
    kid = f"{publisher_id}-demo-1"
    key = generate_ed25519_jwk(kid)
    _write_private(path, json.dumps(key.as_dict(private=True), indent=2).encode())
    return key, kid
