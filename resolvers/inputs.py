"""Checks of administrative inputs, naming the field: a value the database would refuse is the caller's
mistake (BAD_USER_INPUT), never an internal error."""

from __future__ import annotations

import re

from registry.errors import BadInput

ORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{7}$")
STATE = re.compile(r"^[A-Z]{2}$")
PUBLISHER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def text(field: str, value: str, *, most: int, least: int = 1) -> str:
    value = value.strip()
    if not least <= len(value) <= most:
        raise BadInput(f"{field} must be {least} to {most} characters (got {len(value)})", field=field)
    return value


def matching(field: str, value: str, pattern: re.Pattern[str], what: str) -> str:
    value = value.strip()
    if len(value) > 200 or not pattern.match(value):
        raise BadInput(f"{field} must be {what}", field=field)
    return value
