"""Root field for the identity review queue."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth import policy
from auth.policy import Guard
from resolvers.pagination import check_first, decode_cursor, encode_cursor
from schema.review_types import LinkProposal, LinkProposalStatus, ProposalParty
from schema.types import Connection, Edge, PageInfo
from store import link_proposals
from store.models import OfficerRow


@strawberry.type
class ReviewQuery:
    @strawberry.field(
        description="Proposed identity links to review, oldest first (publishers: those touching an "
        "officer in their jurisdiction; auditors: all)."
    )
    async def link_proposals(
        self,
        info: Info,
        status: LinkProposalStatus | None = LinkProposalStatus.PENDING,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[LinkProposal]:
        ctx = info.context
        first = check_first(first, ctx.settings.max_page_size)
        cursor = decode_cursor(after)
        who = ctx.principal
        rows = await link_proposals.page(
            ctx.pool,
            status=status.value if status else None,
            after=int(cursor) if cursor and cursor.isdigit() else None,
            limit=first + 1,
            publisher_id=who.publisher_id if who.role.value == "publisher" else None,
        )
        page = rows[:first]
        ids = link_proposals.ids(page)
        officers: list[OfficerRow | None] = await ctx.loaders.officer.load_many(ids)
        by_id = dict(zip(ids, officers, strict=True))
        certs = dict(zip(ids, await ctx.loaders.certifications.load_many(ids), strict=True))
        edges = []
        for r in page:
            a, b = by_id.get(r.officer_id), by_id.get(r.candidate_id)
            guard = Guard(
                officer_id=None,
                publisher_ids=(a.publisher_ids if a else frozenset()) | (b.publisher_ids if b else frozenset()),
            )
            if not policy.row_visible("LinkProposal", who, guard):
                continue
            node = LinkProposal(
                id=strawberry.ID(str(r.id)),
                score=r.score,
                reasons=list(r.reasons),
                status=LinkProposalStatus(r.status),
                created_at=r.created_at,
                decided_at=r.decided_at,
                decision_reason=r.decision_reason,
                row=r,
                guard=guard,
                officer=ProposalParty.build(r.officer_id, a, certs[r.officer_id], guard),
                candidate=ProposalParty.build(r.candidate_id, b, certs[r.candidate_id], guard),
            )
            edges.append(Edge(cursor=encode_cursor(str(r.id)), node=node))
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > first, end_cursor=encode_cursor(str(page[-1].id)) if page else None
            ),
            total_count=len(edges),
        )
