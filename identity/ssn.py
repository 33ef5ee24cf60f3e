"""Social Security numbers: checked at the door, then kept only as a keyed blind index.

The registry never stores or shows an SSN; it stores HMAC-SHA256(key, "ssn:v1:" + 9 digits), which
finds the same number again but cannot be reversed without the key (the SSN space is only 10**9,
so an unkeyed hash could be). Error messages never repeat the number.

``validate_ssn`` rejects what the Social Security Administration never issues or has voided:
  * a shape other than 9 digits, with or without the usual dashes or spaces (AAA-GG-SSSS);
  * area (first three digits) 000, 666 or 900-999 (the 9xx range is taxpayer ID numbers, ITINs);
  * group (middle two digits) 00, and serial (last four digits) 0000;
  * numbers made public and voided: 078-05-1120 (the Woolworth wallet card), 219-09-9999 (an SSA
    pamphlet sample) and 123-45-6789 (an advertising sample);
  * one digit repeated nine times (111-11-1111 ...), a placeholder clerks type when they have none.
Hand-written, as no library at hand validates SSNs.
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["MIN_KEY_BYTES", "InvalidSSNError", "ssn_blind_index", "validate_ssn"]

MIN_KEY_BYTES = 16  # 32 random bytes recommended

_SHAPE = re.compile(r"([0-9]{3})[- ]?([0-9]{2})[- ]?([0-9]{4})")
_VOIDED = frozenset({"078051120", "219099999", "123456789"})
_DOMAIN = b"ssn:v1:"


class InvalidSSNError(ValueError):
    """An SSN that cannot be real; the message is written for the clerk who typed it."""


def validate_ssn(s: str) -> str:
    """Return the SSN as 9 digits, or raise ``InvalidSSNError`` saying what is wrong (see module doc)."""
    m = _SHAPE.fullmatch(s.strip())
    if m is None:
        raise InvalidSSNError(
            "A Social Security number has 9 digits, written AAA-GG-SSSS or without the dashes."
        )
    area, group, serial = m.groups()
    digits = area + group + serial
    if area in ("000", "666") or area >= "900":
        raise InvalidSSNError(
            "The first three digits of a Social Security number are never 000, 666 or 900 to 999 "
            "(numbers starting with 9 are taxpayer ID numbers, not SSNs)."
        )
    if group == "00":
        raise InvalidSSNError("The middle two digits of a Social Security number are never 00.")
    if serial == "0000":
        raise InvalidSSNError("The last four digits of a Social Security number are never 0000.")
    if digits in _VOIDED:
        raise InvalidSSNError(
            "This is a well-known sample Social Security number that was never valid; "
            "enter the person's own number, or leave it blank."
        )
    if len(set(digits)) == 1:
        raise InvalidSSNError(
            "A Social Security number of one digit repeated is a placeholder; "
            "enter the person's own number, or leave it blank."
        )
    return digits


def ssn_blind_index(ssn: str, key: bytes) -> bytes:
    """HMAC-SHA256(key, b"ssn:v1:" + 9 digits): equal for equal SSNs however they were written.

    Validates first, so a mistyped number raises instead of being indexed. The "v1" domain tag lets
    a future scheme (or key) coexist during re-indexing.
    """
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the SSN blind-index key must be at least {MIN_KEY_BYTES} bytes (32 recommended)")
    digits = validate_ssn(ssn)
    return hmac.new(key, _DOMAIN + digits.encode("ascii"), hashlib.sha256).digest()
