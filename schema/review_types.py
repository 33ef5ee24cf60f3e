"""GraphQL types of the identity review queue."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from auth.policy import Guard
from schema.types import PersonName, Publisher, load_publisher
from store.link_proposals import ProposalRow
from store.models import CertificationRow, OfficerRow


@strawberry.enum
class LinkProposalStatus(Enum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"


@strawberry.type(description="One side of a proposed link: enough identity to decide whether it is one person.")
class ProposalParty:
    registry_id: str
    names: list[PersonName]
    date_of_birth: date | None
    certification_numbers: list[str] = strawberry.field(description='"STATE NUMBER (KIND)" of each certification.')
    guard: strawberry.Private[Guard]

    @classmethod
    def build(
        cls, requested: str, row: OfficerRow | None, certs: list[CertificationRow], guard: Guard
    ) -> ProposalParty:
        return cls(
            registry_id=requested,
            names=[PersonName.from_row(n) for n in row.names] if row else [],
            date_of_birth=row.date_of_birth if row else None,
            certification_numbers=[f"{c.state} {c.number} ({c.kind})" for c in certs],
            guard=guard,
        )


@strawberry.type(
    description="A possible duplicate found when a publisher registered a new officer; a publisher "
    "with either officer in its jurisdiction confirms (merge) or rejects it by a signed event."
)
class LinkProposal:
    id: strawberry.ID
    score: float
    reasons: list[str]
    status: LinkProposalStatus
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    officer: ProposalParty
    candidate: ProposalParty
    row: strawberry.Private[ProposalRow]
    guard: strawberry.Private[Guard]

    @strawberry.field
    async def proposed_by(self, info: Info) -> Publisher | None:
        return await load_publisher(info, self.row.proposed_by)

    @strawberry.field
    async def decided_by(self, info: Info) -> Publisher | None:
        return None if self.row.decided_by is None else await load_publisher(info, self.row.decided_by)
