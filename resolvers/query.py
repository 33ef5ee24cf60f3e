"""Root query fields."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from auth import guards, policy
from auth.policy import Guard
from resolvers import fetch, lookahead, search
from resolvers import ledger as ledger_resolvers
from resolvers.pagination import check_first, decode_cursor, encode_cursor
from schema import enums
from schema.ledger_types import ConsistencyProof, LogEntry
from schema.types import (
    Agency,
    CertificationVerification,
    Connection,
    Edge,
    MisconductRecord,
    Officer,
    OfficerMatch,
    PageInfo,
    Publisher,
    QueryLogEntry,
    Viewer,
    load_agency,
    load_publisher,
)
from store import agencies as agency_store
from store import certifications as cert_store
from store import officers as officer_store
from store import publishers as publisher_store
from store import querylog

PurposeArg = Annotated[enums.QueryPurpose | None, strawberry.argument(
    description="Why you are reading this (required of hiring agencies, partners and auditors; recorded in the "
                "officer's query log).")]


@strawberry.input(description="A person to look for. Give a name and date of birth, a state and certification "
                              "number, a Social Security number, or any of them together.")
class OfficerSearchInput:
    given_name: str | None = None
    middle_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    state: str | None = None
    certification_number: str | None = None
    ssn: str | None = strawberry.field(
        default=None,
        description="The person's Social Security number (9 digits, with or without dashes). Compared through the "
                    "registry's keyed blind index only: it is never stored, logged or shown, and answers never "
                    "contain it.")


async def officer_by_id(ctx: Any, officer_id: str, purpose: str | None, parts: frozenset[str]) -> Officer | None:
    """``Query.officer``, for graphql-core's resolver and schema.plan's compiled lookups alike."""
    ctx.declare_purpose(purpose)
    row = await fetch.officer(ctx, officer_id, parts)
    return None if row is None else Officer.from_row(row)


@strawberry.type
class Query:
    @strawberry.field(description="An officer by registry ID; null when absent or not visible to you.")
    async def officer(self, info: Info, id: strawberry.ID,
                      purpose: PurposeArg = None) -> Officer | None:
        return await officer_by_id(info.context, str(id), purpose.value if purpose else None,
                                   lookahead.officer_parts(info))

    @strawberry.field(description="Officers you may list: all for auditors, those in your jurisdiction for "
                                  "publishers.")
    async def officers(self, info: Info, first: int = 20, after: str | None = None,
                       purpose: PurposeArg = None) -> Connection[Officer]:
        ctx = info.context
        ctx.declare_purpose(purpose.value if purpose else None)
        first = check_first(first, ctx.settings.max_page_size)
        rows = await officer_store.page(ctx.pool, after=decode_cursor(after), limit=first + 1,
                                        publisher_id=ctx.principal.publisher_id if ctx.principal.publisher_id
                                        and ctx.principal.role.value == "publisher" else None)
        more = len(rows) > first
        visible = [r for r in rows[:first] if policy.row_visible("Officer", ctx.principal,
                                                                       guards.officer_guard(r))]
        edges = [Edge(cursor=encode_cursor(r.id), node=Officer.from_row(r)) for r in visible]
        end = encode_cursor(rows[first - 1].id) if more and first else (edges[-1].cursor if edges else None)
        return Connection(edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=end),
                          total_count=len(edges))

    @strawberry.field(description="Ranked candidates for a person, with the reasons each matched.")
    async def search_officers(self, info: Info, input: OfficerSearchInput,
                              purpose: PurposeArg = None, first: int = 10) -> list[OfficerMatch]:
        ctx = info.context
        ctx.declare_purpose(purpose.value if purpose else None)
        first = check_first(first, ctx.settings.max_page_size)
        matches = await search.find(ctx, search.SearchQuery(
            given_name=input.given_name, middle_name=input.middle_name, family_name=input.family_name,
            date_of_birth=input.date_of_birth, state=input.state, certification_number=input.certification_number,
            ssn=input.ssn,
        ), limit=first)
        rows = {r.id: r for r in await fetch.officers(ctx, [m.officer_id for m in matches])}
        return [OfficerMatch(officer=Officer.from_row(rows[m.officer_id]), score=m.score, reasons=m.reasons,
                             strong=m.strong, guard=Guard(officer_id=m.officer_id))
                for m in matches if m.officer_id in rows]

    @strawberry.field(description="A misconduct record by ID; null when absent or not visible to you.")
    async def record(self, info: Info, id: strawberry.ID,
                     purpose: PurposeArg = None) -> MisconductRecord | None:
        info.context.declare_purpose(purpose.value if purpose else None)
        row = await fetch.record(info.context, str(id))
        return None if row is None else MisconductRecord.from_row(row)

    @strawberry.field(description="Status of a state certification by number (no personal data).")
    async def verify_certification(self, info: Info, state: str, number: str,
                                   purpose: PurposeArg = None) -> list[CertificationVerification]:
        info.context.declare_purpose(purpose.value if purpose else None)
        search.check_state(state)
        now = datetime.now(UTC)
        # the guard names the officer so that the read goes into their query log (nothing else reads it)
        return [CertificationVerification(state=c.state, number=c.number, kind=enums.CertificationKind(c.kind),
                                          status=enums.CertificationStatus(c.status), expires_on=c.expires_on,
                                          checked_at=now, guard=Guard(officer_id=c.officer_id))
                for c in await cert_store.by_number(info.context.reads, state.upper(), number.strip())]

    @strawberry.field
    async def agency(self, info: Info, ori: str) -> Agency | None:
        return await load_agency(info, ori.strip().upper())

    @strawberry.field
    async def agencies(self, info: Info, state: str | None = None, first: int = 50,
                       after: str | None = None) -> Connection[Agency]:
        ctx = info.context
        first = check_first(first, ctx.settings.max_page_size)
        if state is not None:
            search.check_state(state)
        rows = await agency_store.page(ctx.reads, state=state.upper() if state else None,
                                       after=decode_cursor(after), limit=first + 1)
        edges = [Edge(cursor=encode_cursor(r.ori), node=Agency.from_row(r)) for r in rows[:first]]
        return Connection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > first,
                                                          end_cursor=edges[-1].cursor if edges else None),
                          total_count=len(edges))

    @strawberry.field
    async def publisher(self, info: Info, id: strawberry.ID) -> Publisher | None:
        return await load_publisher(info, str(id))

    @strawberry.field
    async def publishers(self, info: Info) -> list[Publisher]:
        return [Publisher.from_row(r) for r in await publisher_store.all_publishers(info.context.pool)]

    @strawberry.field(description="The whole query log, newest first (auditors).")
    async def query_log(self, info: Info, first: int = 50, after: str | None = None) -> Connection[QueryLogEntry]:
        ctx = info.context
        first = check_first(first, ctx.settings.max_page_size)
        cursor = decode_cursor(after)
        try:
            after_id = int(cursor) if cursor is not None else None
        except ValueError:
            raise search.BadInput("the cursor is not one this API issued") from None
        rows = await querylog.page(ctx.pool, after=after_id, limit=first + 1)
        edges = [Edge(cursor=encode_cursor(str(r.id)), node=QueryLogEntry.from_row(r)) for r in rows[:first]]
        return Connection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > first,
                                                          end_cursor=edges[-1].cursor if edges else None),
                          total_count=len(edges))

    @strawberry.field(description="The latest signed checkpoint of the transparency log (C2SP signed note).")
    async def checkpoint(self, info: Info) -> str | None:
        return await ledger_resolvers.latest_checkpoint(info)

    @strawberry.field(description="RFC 9162 consistency proof between two tree sizes, with both roots.")
    async def consistency_proof(self, info: Info, old_size: int, new_size: int) -> ConsistencyProof | None:
        return await ledger_resolvers.consistency_proof(info, old_size, new_size)

    @strawberry.field(description="Log entries made in a publisher's name or under its keys, after a log index "
                                  "(the publisher itself and auditors): a board's monitor compares them with its "
                                  "journal to find events it never signed.")
    async def log_entries(self, info: Info, publisher_id: strawberry.ID, after: int = -1,
                          first: int = 1000) -> list[LogEntry]:
        return await ledger_resolvers.log_entries(info, str(publisher_id), after, first)

    @strawberry.field(description="The registry's checkpoint verifier key (name+keyid+base64, as Go's sumdb/note).")
    def registry_log_key(self, info: Info) -> str:
        return ledger_resolvers.registry_log_key(info)

    @strawberry.field(description="Who the API thinks you are.")
    def me(self, info: Info) -> Viewer:
        p = info.context.principal
        return Viewer(role=p.role.value, subject=p.subject, officer_id=p.officer_id, agency_ori=p.agency_ori,
                      publisher_id=p.publisher_id, partner_id=p.partner_id, guard=Guard(officer_id=None))
