"""Registry-assigned identifiers: a short prefix and 12 Crockford base32 characters."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix: str) -> str:
    return prefix + "-" + "".join(secrets.choice(_ALPHABET) for _ in range(12))


def officer_id() -> str:
    return new_id("OFC")


def record_id() -> str:
    return new_id("REC")


def certification_id() -> str:
    return new_id("CRT")


def employment_id() -> str:
    return new_id("EMP")
