"""Candidate search: blocking keys (and the SSN's blind index) find candidates, the identity scorer ranks them
with reasons."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from identity import matching
from identity.matching import SearchHit
from identity.normalize import NameParts
from identity.ssn import InvalidSSNError, ssn_blind_index
from registry.errors import BadInput
from store import officers as officer_store

__all__ = ["BadInput", "SearchHit", "SearchQuery", "check_state", "find"]

_STATE = re.compile(r"^[A-Za-z]{2}$")


def check_state(state: str) -> None:
    if not _STATE.match(state.strip()):
        raise BadInput("state must be a two-letter postal code such as CA")


@dataclass(frozen=True)
class SearchQuery:
    given_name: str | None
    middle_name: str | None
    family_name: str | None
    date_of_birth: date | None
    state: str | None
    certification_number: str | None
    ssn: str | None = field(default=None, repr=False)  # never shown, not even in a traceback's locals repr


def _ssn_index(ctx: Any, ssn: str) -> bytes:
    """The SSN's keyed blind index (the number itself goes no further); a malformed one is refused with a
    message that does not repeat it."""
    try:
        return ssn_blind_index(ssn, ctx.services.ssn_key)  # validates the number first
    except InvalidSSNError as err:
        raise BadInput(f"ssn: {err}") from None


async def find(ctx: Any, q: SearchQuery, *, limit: int) -> list[SearchHit]:
    by_cert = q.state is not None and q.certification_number is not None
    by_name = q.given_name is not None and q.family_name is not None and q.date_of_birth is not None
    by_ssn = q.ssn is not None
    if not by_cert and not by_name and not by_ssn:
        raise BadInput("search by givenName, familyName and dateOfBirth, by state and certificationNumber, "
                       "or by ssn")
    ssn_index = _ssn_index(ctx, q.ssn) if q.ssn is not None else None
    found: dict[str, SearchHit] = {}
    if by_cert:
        assert q.state is not None and q.certification_number is not None
        check_state(q.state)
        for oid in await officer_store.ids_by_certification(ctx.reads, q.state.upper(), q.certification_number.strip()):
            reason = f"certification {q.state.upper()} {q.certification_number} matches"
            found[oid] = SearchHit(oid, 1.0, [reason], True)
    if by_name or ssn_index is not None:
        names: list[NameParts] = []
        if by_name:
            names = [NameParts(given=q.given_name or "", middle=q.middle_name or "", family=q.family_name or "")]
        person = matching.Person(names=names, dob=q.date_of_birth, primary=names[0] if names else None)
        # Without a name, the candidates are the officers holding the SSN and those holding the certification
        # number (seeded): no blocking keys.
        return await matching.rank(ctx.reads, person, list(found), limit=limit,
                                   state=q.state.upper() if q.state else None, cert_number=q.certification_number,
                                   ssn_index=ssn_index)
    return list(found.values())[:limit]
