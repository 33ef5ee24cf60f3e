"""The dispute inbox: the open disputes on a publisher's records (every publisher's, for auditors), oldest
first, with the officer's reason and how long each has been open -- the queue a board works through.

Who may call it is in ``auth.policy``; a publisher sees only disputes on its own records (the rows are
checked again by ``RecordDispute``'s row rule, like on every other path)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from auth.principal import Role
from registry.errors import BadInput
from resolvers.pagination import check_first, decode_cursor, encode_cursor
from schema import enums
from schema.types import Connection, Edge, PageInfo, RecordDispute
from store import records as record_store

First = Annotated[int, strawberry.argument(description="Page size (at most the configured maximum).")]


@strawberry.type
class DisputeQuery:
    @strawberry.field(description="Disputes on your records (publishers; auditors see every publisher's), oldest "
                                  "first: by default only those still open.")
    async def dispute_inbox(self, info: Info, state: enums.DisputeState = enums.DisputeState.OPEN,
                            first: First = 50, after: str | None = None) -> Connection[RecordDispute]:
        ctx = info.context
        who = ctx.principal
        publisher_id = who.publisher_id if who.role is Role.PUBLISHER else None
        if who.role is Role.PUBLISHER and publisher_id is None:
            raise BadInput("this publisher token names no publisher")
        first = check_first(first, ctx.settings.max_page_size)
        raw = decode_cursor(after)
        try:
            after_id = None if raw is None else int(raw)
        except ValueError:
            raise BadInput("the cursor is not one this API issued") from None
        open_only = state is enums.DisputeState.OPEN
        rows = await record_store.dispute_inbox(ctx.pool, publisher_id, open_only=open_only, after=after_id,
                                                limit=first + 1)
        edges = [Edge(cursor=encode_cursor(str(r.id)), node=RecordDispute.from_row(r)) for r in rows[:first]]
        total = await record_store.count_disputes(ctx.pool, publisher_id, open_only=open_only)
        return Connection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > first,
                                                          end_cursor=edges[-1].cursor if edges else None),
                          total_count=total)
