"""The holder's side of an SD-JWT attestation: show a third party only the claims it needs.

The issuer's signature still verifies on the presented token and the withheld claims stay hidden;
only claims in ``attestation.DISCLOSABLE`` can be chosen (``iss``, ``iat``, ``exp`` and ``jti`` are
always visible).
"""

from __future__ import annotations

from collections.abc import Iterable

from credentials import sd_jwt
from credentials.attestation import DISCLOSABLE

__all__ = ["PresentationError", "present"]


class PresentationError(ValueError):
    """A claim that cannot be disclosed, or a token that is not an SD-JWT."""


def present(token: str, keep: Iterable[str]) -> str:
    """The SD-JWT with only the disclosures of the claims in ``keep``."""
    wanted = [c.strip() for c in keep if c.strip()]
    unknown = sorted(set(wanted) - set(DISCLOSABLE))
    if unknown:
        raise PresentationError(f"not a disclosable claim: {', '.join(unknown)} (choose from {', '.join(DISCLOSABLE)})")
    try:
        return sd_jwt.present(token, wanted)
    except sd_jwt.SdJwtError as err:
        raise PresentationError(str(err)) from None
