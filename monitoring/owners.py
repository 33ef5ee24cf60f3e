"""Who receives monitoring notices: an enrollee is a hiring agency (its ORI) or a partner (its ID); a publisher
(its ID) receives notices about its own records (disputes, statements) without enrolling anyone.

The enrollee's *principal* is what ``auth.policy`` is asked about when a notice is built, so a
notice carries exactly what that agency or partner could read through the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from auth.principal import Principal, Role
from registry.errors import Forbidden

OwnerKind = Literal["AGENCY", "PARTNER", "PUBLISHER"]


@dataclass(frozen=True, slots=True)
class Owner:
    kind: OwnerKind
    id: str

    @classmethod
    def of(cls, kind: str, id: str) -> Owner:
        if kind not in ("AGENCY", "PARTNER", "PUBLISHER"):
            raise ValueError(f"unknown enrollee kind {kind!r}")
        return cls(kind, id)  # type: ignore[arg-type]

    def principal(self, subject: str = "registry-monitoring") -> Principal:
        """The caller this enrollee is when it reads through the API (for the policy table)."""
        if self.kind == "AGENCY":
            return Principal(role=Role.HIRING_AGENCY, subject=subject, agency_ori=self.id)
        if self.kind == "PUBLISHER":
            return Principal(role=Role.PUBLISHER, subject=subject, publisher_id=self.id)
        return Principal(role=Role.PARTNER, subject=subject, partner_id=self.id)

    @property
    def channel_key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class EnrolleeGuard:
    """What the policy's ENROLLEE grant reads: whose enrollment, endpoint or notice this is."""

    owner_kind: str
    owner_id: str
    officer_id: str | None = None


def owner_of(who: Principal) -> Owner | None:
    """The enrollee a caller acts for: its role's binding (ORI or partner ID), if it has one."""
    if who.role is Role.HIRING_AGENCY and who.agency_ori:
        return Owner("AGENCY", who.agency_ori)
    if who.role is Role.PARTNER and who.partner_id:
        return Owner("PARTNER", who.partner_id)
    if who.role is Role.PUBLISHER and who.publisher_id:
        return Owner("PUBLISHER", who.publisher_id)
    return None


def require_owner(who: Principal) -> Owner:
    """Root fields are already limited by ``auth.policy``; this only maps the caller to its binding."""
    owner = owner_of(who)
    if owner is None:
        raise Forbidden("notices are for hiring agencies, partners and publishers, bound to their ORI, partner ID "
                        "or publisher ID")
    return owner


def guard(owner: Owner, officer_id: str | None = None) -> EnrolleeGuard:
    return EnrolleeGuard(owner.kind, owner.id, officer_id)
