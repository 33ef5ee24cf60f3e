"""Root fields of continuous monitoring: enroll officers, register webhook endpoints, read notices
and deliveries, replay dead letters, upload a roster, and subscribe to notices live.

Who may call each field is in ``auth.policy`` (hiring agencies and partners; the roster is for
hiring agencies); every row is scoped to the caller's own enrollee binding (ORI or partner ID).
"""

from __future__ import annotations

import csv as csv_module
import io
from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from auth import policy
from auth.enforce import forbidden
from monitoring import hooks, live, roster
from monitoring.owners import Owner, guard, require_owner
from monitoring.signing import new_hmac_secret
from monitoring.targets import TargetRefused, check_target
from registry import ids
from registry.errors import BadInput, Conflict, NotFound
from resolvers.pagination import check_first, decode_cursor, encode_cursor
from schema.monitoring_types import (
    Enrollment,
    MonitoringNotice,
    RosterReport,
    RosterRow,
    RosterRowStatus,
    WebhookDelivery,
    WebhookDeliveryState,
    WebhookEndpoint,
    WebhookEndpointRegistration,
    WebhookScheme,
    WebhookSigningKey,
)
from schema.types import Connection, Edge, PageInfo
from store import monitoring as store
from store import officers, outbox

First = Annotated[int, strawberry.argument(description="Page size (at most the configured maximum).")]


def _owner(info: Info) -> Owner:
    return require_owner(info.context.principal)


async def _enroll_csv(info: Info, text: str) -> RosterReport:
    ctx = info.context
    owner = _owner(info)
    cfg = ctx.settings.monitoring
    async with ctx.pool.acquire() as conn:
        verdicts = await roster.enroll(conn, owner, ctx.principal, text, cfg.roster_max_bytes, cfg.roster_max_rows)
    g = guard(owner)
    rows = [RosterRow(line=v.line, status=RosterRowStatus(v.status), officer_id=v.officer_id,
                      enrollment_id=v.enrollment_id, reason=v.reason, guard=g) for v in verdicts]
    enrolled = sum(v.status == "ENROLLED" for v in verdicts)
    already = sum(v.status == "ALREADY_ENROLLED" for v in verdicts)
    return RosterReport(enrolled=enrolled, already_enrolled=already,
                        not_enrolled=len(verdicts) - enrolled - already, rows=rows, guard=g)


def _int_cursor(after: str | None) -> int | None:
    raw = decode_cursor(after)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadInput("the cursor is not one this API issued") from None


async def _deliveries(info: Info, state: str | None, first: int, after: str | None) -> Connection[WebhookDelivery]:
    ctx = info.context
    owner = _owner(info)
    first = check_first(first, ctx.settings.max_page_size)
    rows = await outbox.deliveries_page(ctx.pool, owner.kind, owner.id, state=state, after=_int_cursor(after),
                                        limit=first + 1)
    page = rows[:first]
    attempts = await outbox.attempts_of(ctx.pool, [r.id for r in page])
    edges = [Edge(cursor=encode_cursor(str(r.id)), node=WebhookDelivery.from_row(r, attempts.get(r.id, [])))
             for r in page]
    return Connection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > first,
                                                      end_cursor=edges[-1].cursor if edges else None),
                      total_count=len(edges))


async def _delivery(info: Info, owner: Owner, public_id: str) -> WebhookDelivery:
    row = await outbox.delivery(info.context.pool, owner.kind, owner.id, public_id)
    if row is None:
        raise NotFound(f"you have no webhook delivery {public_id}")
    attempts = await outbox.attempts_of(info.context.pool, [row.id])
    return WebhookDelivery.from_row(row, attempts.get(row.id, []))


@strawberry.type
class MonitoringQuery:
    @strawberry.field(description="The officers you monitor.")
    async def enrollments(self, info: Info, first: First = 50, after: str | None = None) -> Connection[Enrollment]:
        ctx = info.context
        owner = _owner(info)
        first = check_first(first, ctx.settings.max_page_size)
        rows = await store.enrollments_page(ctx.pool, owner.kind, owner.id, after=decode_cursor(after),
                                            limit=first + 1)
        edges = [Edge(cursor=encode_cursor(r.id), node=Enrollment.from_row(r)) for r in rows[:first]]
        return Connection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > first,
                                                          end_cursor=edges[-1].cursor if edges else None),
                          total_count=await store.count_enrollments(ctx.pool, owner.kind, owner.id))

    @strawberry.field(description="Your notices in the order they were written, after a cursor (to catch up "
                                  "after a disconnect; the subscription streams the same notices live).")
    async def monitoring_notices(self, info: Info, first: First = 50,
                                 after: str | None = None) -> Connection[MonitoringNotice]:
        ctx = info.context
        owner = _owner(info)
        first = check_first(first, ctx.settings.max_page_size)
        rows = await store.notices_after(ctx.pool, owner.kind, owner.id, _int_cursor(after), first + 1)
        edges = [Edge(cursor=encode_cursor(str(r.id)), node=MonitoringNotice.from_row(r)) for r in rows[:first]]
        return Connection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > first,
                                                          end_cursor=edges[-1].cursor if edges else None),
                          total_count=len(edges))

    @strawberry.field(description="Your webhook endpoints, including disabled ones.")
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        owner = _owner(info)
        return [WebhookEndpoint.from_row(r) for r in await store.endpoints_of(info.context.pool, owner.kind, owner.id)]

    @strawberry.field(description="Your webhook deliveries, newest first, optionally of one state.")
    async def webhook_deliveries(self, info: Info, state: WebhookDeliveryState | None = None, first: First = 50,
                                 after: str | None = None) -> Connection[WebhookDelivery]:
        return await _deliveries(info, state.value if state else None, first, after)

    @strawberry.field(description="Deliveries whose attempts ran out (dead letters), newest first; replay them "
                                  "with replayDeadLetter or replayDeadLetters.")
    async def dead_letters(self, info: Info, first: First = 50,
                           after: str | None = None) -> Connection[WebhookDelivery]:
        return await _deliveries(info, "DEAD", first, after)

    @strawberry.field(description="One of your webhook deliveries, with its attempts.")
    async def webhook_delivery(self, info: Info, id: strawberry.ID) -> WebhookDelivery:
        return await _delivery(info, _owner(info), str(id))

    @strawberry.field(description="The registry's public key for v1a webhook signatures.")
    def webhook_signing_key(self, info: Info) -> WebhookSigningKey:
        signer = info.context.services.webhook_signer
        return WebhookSigningKey(public_key=signer.public_string(), jwk=signer.public_jwk(), kid=signer.kid)


@strawberry.input
class WebhookEndpointInput:
    url: str
    scheme: WebhookScheme = WebhookScheme.V1A
    description: str | None = None


@strawberry.type
class MonitoringMutation:
    @strawberry.mutation(description="Monitor an officer (by registry ID). Enrolling twice is harmless.")
    async def enroll_officer(self, info: Info, officer_id: strawberry.ID) -> Enrollment:
        ctx = info.context
        owner = _owner(info)
        officer_key = str(officer_id).strip().upper()
        async with ctx.pool.acquire() as conn:
            if (await officers.by_ids(conn, [officer_key]))[0] is None:
                raise NotFound(f"no officer {officer_key}")
            row, _ = await store.enroll(conn, ids.new_id("ENR"), owner.kind, owner.id, officer_key,
                                        ctx.principal.subject)
        return Enrollment.from_row(row)

    @strawberry.mutation(description="Stop monitoring an officer; pending deliveries about them are cancelled.")
    async def remove_enrollment(self, info: Info, officer_id: strawberry.ID) -> bool:
        owner = _owner(info)
        async with info.context.pool.acquire() as conn, conn.transaction():
            removed = await store.remove_enrollment(conn, owner.kind, owner.id, str(officer_id).strip().upper())
        if not removed:
            raise NotFound(f"you do not monitor officer {officer_id}")
        return True

    @strawberry.mutation(description="Enroll the officers listed in a CSV roster (see the README for the columns); "
                                     "returns a verdict for every row.")
    async def enroll_roster(self, info: Info, csv: str) -> RosterReport:
        return await _enroll_csv(info, csv)

    @strawberry.mutation(description="Enroll the holder of a state certification, by its number, with the holder's "
                                     "date of birth as a check (what a partner, who may not read names, can do); "
                                     "the row's verdict is the roster's (ENROLLED, NOT_FOUND, MISMATCH, ...).")
    async def enroll_by_certification(self, info: Info, state: str, number: str, date_of_birth: date) -> RosterRow:
        buffer = io.StringIO()
        writer = csv_module.writer(buffer)
        writer.writerow(["state", "certification_number", "date_of_birth"])
        writer.writerow([state.strip(), number.strip(), date_of_birth.isoformat()])
        report = await _enroll_csv(info, buffer.getvalue())
        [row] = report.rows
        return row

    @strawberry.mutation(description="Register a URL to receive your notices. v1a (default): signed with the "
                                     "registry's Ed25519 key. v1: HMAC with a new whsec_ secret, returned once.")
    async def register_webhook_endpoint(self, info: Info, input: WebhookEndpointInput) -> WebhookEndpointRegistration:
        ctx = info.context
        owner = _owner(info)
        cfg = ctx.settings.monitoring
        url = input.url.strip()
        try:
            await check_target(url, cfg)
        except TargetRefused as err:
            raise BadInput(str(err)) from None
        description = input.description.strip() if input.description else None
        if description is not None and len(description) > 300:
            raise BadInput("a description is at most 300 characters")
        secret, shown = new_hmac_secret() if input.scheme is WebhookScheme.V1 else (None, None)
        row = store.EndpointRow(ids.new_id("WHE"), owner.kind, owner.id, url, input.scheme.value, secret, description,
                                ctx.principal.subject, datetime.now(UTC), None, None)
        async with ctx.pool.acquire() as conn, conn.transaction():
            active = await store.endpoints_of(conn, owner.kind, owner.id, active_only=True)
            if len(active) >= cfg.max_endpoints:
                raise Conflict(f"you have {len(active)} active endpoints, the most allowed; remove one first")
            await store.add_endpoint(conn, row)
            saved = await store.endpoint(conn, owner.kind, owner.id, row.id)
        assert saved is not None
        return WebhookEndpointRegistration(endpoint=WebhookEndpoint.from_row(saved), secret=shown,
                                           public_key=ctx.services.webhook_signer.public_string(), guard=guard(owner))

    @strawberry.mutation(description="Disable an endpoint: nothing more is sent to it; pending deliveries are "
                                     "cancelled. Its delivery history stays readable.")
    async def remove_webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint:
        owner = _owner(info)
        async with info.context.pool.acquire() as conn, conn.transaction():
            row = await store.endpoint(conn, owner.kind, owner.id, str(id))
            if row is None:
                raise NotFound(f"you have no webhook endpoint {id}")
            await store.disable_endpoint(conn, row.id, "removed by the enrollee")
            row = await store.endpoint(conn, owner.kind, owner.id, str(id))
        assert row is not None
        return WebhookEndpoint.from_row(row)

    @strawberry.mutation(description="Queue a signed `webhook.test` delivery to an endpoint, to check your receiver.")
    async def send_test_webhook(self, info: Info, endpoint_id: strawberry.ID) -> WebhookDelivery:
        owner = _owner(info)
        async with info.context.pool.acquire() as conn, conn.transaction():
            ep = await store.endpoint(conn, owner.kind, owner.id, str(endpoint_id))
            if ep is None or ep.disabled_at is not None:
                raise NotFound(f"you have no active webhook endpoint {endpoint_id}")
            webhook_id, public_id = hooks.new_webhook_id(), ids.new_id("DLV")
            body = hooks.envelope("webhook.test", datetime.now(UTC), {"noticeId": webhook_id, "endpointId": ep.id})
            await outbox.enqueue(conn, [(public_id, webhook_id, None, ep.id, owner.kind, owner.id, "webhook.test",
                                         body)])
        return await _delivery(info, owner, public_id)

    @strawberry.mutation(description="Send a dead letter again (same webhook-id, a fresh budget of attempts).")
    async def replay_dead_letter(self, info: Info, id: strawberry.ID) -> WebhookDelivery:
        owner = _owner(info)
        if not await outbox.replay(info.context.pool, owner.kind, owner.id, public_id=str(id)):
            current = await _delivery(info, owner, str(id))  # NOT_FOUND if it is not yours
            raise Conflict(f"delivery {id} is {current.state.value}, not a dead letter of an active endpoint")
        return await _delivery(info, owner, str(id))

    @strawberry.mutation(description="Send all your dead letters again (of one endpoint, if given); returns how many.")
    async def replay_dead_letters(self, info: Info, endpoint_id: strawberry.ID | None = None) -> int:
        owner = _owner(info)
        replayed = await outbox.replay(info.context.pool, owner.kind, owner.id,
                                       endpoint_id=str(endpoint_id) if endpoint_id else None)
        return len(replayed)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Your notices as they are written (graphql-transport-ws; authenticate in "
                                         "connection_init). Pass `after` (a notice cursor) to first receive what "
                                         "you missed since then.")
    async def monitoring_notices(self, info: Info, after: str | None = None) -> AsyncGenerator[MonitoringNotice, None]:
        ctx = info.context
        # A subscription's source stream is not wrapped by the field-policy extension (only each event
        # is), so the same table is asked here, before anything is read.
        if not policy.field_access("Subscription", "monitoringNotices").allows(ctx.principal, None):
            raise forbidden("Subscription", "monitoringNotices")
        owner = _owner(info)
        start = _int_cursor(after)
        hub = live.hub_for(ctx.pool)
        async for row in hub.stream(owner, start, ctx.settings.monitoring.subscription_poll_seconds):
            yield MonitoringNotice.from_row(row)


__all__ = ["MonitoringMutation", "MonitoringQuery", "Subscription"]
