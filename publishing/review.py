"""The identity review queue: weak matches become proposals; a signed decision confirms or rejects.

A confirmation merges the newer officer into the existing one (the older registry ID survives and
the newer one keeps resolving to it). Only a publisher with one of the two officers in its
jurisdiction may decide, and the decision is a signed event in the log like any other.
"""

from __future__ import annotations

import asyncpg

from publishing.payloads import LinkConfirmed, LinkRejected
from registry.errors import Conflict, Forbidden, NotFound
from store import link_proposals, notifications, officers
from store.models import PublisherRow

REVIEW_THRESHOLD = 0.5  # candidates scoring at least this (but not strong) are proposed for review
MAX_PROPOSALS = 5


def proposals(officer_id: str, near: list[tuple[str, float, list[str]]]) -> list[tuple[str, float, list[str]]]:
    """The near misses of a newly registered officer a person reviews: the first ``MAX_PROPOSALS`` of the ranked
    candidates that score at least ``REVIEW_THRESHOLD``."""
    return [(c, score, reasons) for c, score, reasons in near[:MAX_PROPOSALS]
            if c != officer_id and score >= REVIEW_THRESHOLD]


async def propose(
    conn: asyncpg.Connection, officer_id: str, near: list[tuple[str, float, list[str]]], publisher_id: str
) -> None:
    """Record the near misses of a newly registered officer for a person to review."""
    filed = proposals(officer_id, near)
    if filed:
        await link_proposals.add_many(conn, [(officer_id, *p) for p in filed], publisher_id)


async def _decidable(conn: asyncpg.Connection, proposal_id: int, pub: PublisherRow) -> link_proposals.ProposalRow:
    proposal = await link_proposals.for_update(conn, proposal_id)
    if proposal is None:
        raise NotFound(f"no link proposal {proposal_id}")
    if proposal.status != "PENDING":
        raise Conflict(f"link proposal {proposal_id} was already {proposal.status.lower()}")
    rows = await officers.by_ids(conn, [proposal.officer_id, proposal.candidate_id])
    if not any(r is not None and pub.id in r.publisher_ids for r in rows):
        raise Forbidden("only a publisher that has published about one of the two officers may decide this link")
    return proposal


async def confirm(conn: asyncpg.Connection, ev: LinkConfirmed, pub: PublisherRow, event_pk: int) -> tuple[str, str]:
    proposal = await _decidable(conn, ev.proposalId, pub)
    new, old = await officers.by_ids(conn, [proposal.officer_id, proposal.candidate_id])
    if new is None or old is None:
        raise NotFound("one of the two officers no longer exists")
    if new.date_of_birth and old.date_of_birth and new.date_of_birth != old.date_of_birth:
        raise Conflict("the two officers' dates of birth differ; correct one before linking them")
    a, b = await officers.ssn_index(conn, new.id), await officers.ssn_index(conn, old.id)
    if a is not None and b is not None and a != b:
        raise Conflict("the two officers have different SSNs on file; they cannot be the same person")
    await link_proposals.decide(conn, proposal.id, "CONFIRMED", pub.id, ev.reason, event_pk)
    await link_proposals.merge(conn, merged=new.id, into=old.id)
    await notifications.add(
        conn,
        old.id,
        None,
        "IDENTITY_LINKED",
        f"{pub.name} confirmed that registry ID {new.id} is you; its records are now in your file.",
    )
    return old.id, str(proposal.id)


async def reject(conn: asyncpg.Connection, ev: LinkRejected, pub: PublisherRow, event_pk: int) -> tuple[str, str]:
    proposal = await _decidable(conn, ev.proposalId, pub)
    await link_proposals.decide(conn, proposal.id, "REJECTED", pub.id, ev.reason, event_pk)
    return proposal.officer_id, str(proposal.id)
