"""The caller's identity as every layer sees it, independent of how it was authenticated."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    PUBLIC = "public"
    OFFICER = "officer"
    HIRING_AGENCY = "hiring_agency"
    PARTNER = "partner"
    PUBLISHER = "publisher"
    CREDENTIALING_BODY = "credentialing_body"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated (or anonymous) caller and what its role is bound to.

    The bindings say *whose* data a role reaches: an officer is bound to one officer ID,
    a hiring agency to its ORI, a publisher to its publisher ID, a partner to its partner ID.
    """

    role: Role
    subject: str = "anonymous"
    issuer: str | None = None
    officer_id: str | None = None
    agency_ori: str | None = None
    publisher_id: str | None = None
    partner_id: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.role is not Role.PUBLIC


ANONYMOUS = Principal(role=Role.PUBLIC)
