"""Root mutation fields: signed publishing, subject rights, and registry administration."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg
import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from auth.policy import Guard
from ledger import admin_entries
from ledger.checkpointer import try_publish_checkpoint
from monitoring import hooks
from publishing import registrations, uploads
from publishing.apply import Publisher as BatchPublisher
from publishing.apply import Submission
from registry import metrics
from registry.errors import BadInput, Conflict, Forbidden, NotFound
from resolvers import fetch, inputs
from schema import enums
from schema.types import Agency, EventResult, MisconductRecord, PublisherKey, PublishResult
from schema.types import Publisher as PublisherType
from store import publishers as publisher_store
from store import records as record_store
from store.models import AgencyRow, PublisherRow

MAX_BATCH = 1000
_NO_GUARD = Guard(officer_id=None)


@strawberry.input(description="One signed event: a compact JWS over the RFC 8785 JSON of the event. The optional "
                              "SSN travels beside the signature, is never logged, and is kept only as a blind index.")
class EventSubmission:
    jws: str
    ssn: str | None = None


def _submission(cls: type[EventSubmission], value: Mapping[str, Any], _ctx: Any) -> EventSubmission:
    """An EventSubmission from its input value as graphql-core coerced it (both fields strings, ssn null or left
    out): what strawberry's generic conversion builds, without its per-field type inspection, a tenth of the
    server's own work per event in a batch of 500 (docs/performance.md)."""
    return cls(jws=value["jws"], ssn=value.get("ssn"))


# strawberry's hook for input types that build their own value (``StrawberryObjectDefinition.from_input``)
EventSubmission.__strawberry_definition__.from_input = _submission  # type: ignore[attr-defined]


@strawberry.input(description="A batch's place in an upload sent in several batches. The registry applies a batch only "
                              "once the batch before it (same id, same caller) is decided, so an uploader may send "
                              "the next batch before this one's answer is back.")
class UploadBatch:
    id: str = strawberry.field(description="The uploader's ID for the upload: 1-64 letters, digits, . _ : -")
    position: int = strawberry.field(description="This batch's place in the upload, from 0.")


@strawberry.input
class AgencyInput:
    ori: str
    name: str
    state: str
    level: enums.JurisdictionLevel


@strawberry.input
class PublisherInput:
    id: str
    kind: enums.PublisherKind
    name: str
    state: str | None = None
    agency_ori: str | None = None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Publish a batch of signed events. The batch is atomic: if any event is "
                                     "rejected, none is applied. dryRun validates without writing.")
    async def publish_events(self, info: Info, events: list[EventSubmission],
                             dry_run: bool = False, upload: UploadBatch | None = None) -> PublishResult:
        ctx = info.context
        if not events:
            raise BadInput("send at least one event")
        if len(events) > MAX_BATCH:
            raise BadInput(f"a batch holds at most {MAX_BATCH} events; split it")
        place = uploads.Place.of(ctx.principal, upload.id, upload.position) if upload is not None else None
        async with ctx.pool.acquire() as conn:
            result = await BatchPublisher(conn, ctx.principal, ctx.services.ssn_key,
                                          admin_keys=ctx.services.admin_keys.public()).run(
                [Submission(e.jws, e.ssn) for e in events], dry_run=dry_run, place=place,
                wait=ctx.settings.upload_wait_seconds)
        if result.committed:
            await try_publish_checkpoint(ctx.pool, ctx.services.log_signer, ctx.settings.log_origin,
                                         min_interval=ctx.settings.checkpoint_seconds)
        outcomes = result.outcomes
        for o in outcomes:
            metrics.publish_events.labels(o.status, "dry_run" if dry_run else "publish").inc()
        return PublishResult(
            committed=result.committed,
            accepted=sum(o.status == "ACCEPTED" for o in outcomes),
            duplicates=sum(o.status == "DUPLICATE" for o in outcomes),
            rejected=sum(o.status == "REJECTED" for o in outcomes),
            results=[EventResult(index=o.index, status=enums.EventStatus(o.status), event_type=o.event_type,
                                 event_id=o.event_id, entity_id=o.entity_id, officer_id=o.officer_id,
                                 log_index=o.log_index, code=o.code, message=o.message, guard=_NO_GUARD)
                     for o in outcomes],
            guard=_NO_GUARD,
        )

    @strawberry.mutation(description="Attach (or, with null, withdraw) your statement to a record about you.")
    async def add_statement(self, info: Info, record_id: strawberry.ID, text: str | None) -> MisconductRecord:
        ctx = info.context
        if text is not None:
            text = text.strip()
            if not text:
                raise BadInput("the statement is empty; send null to withdraw it")
            if len(text) > ctx.settings.statement_max_length:
                raise BadInput(f"a statement may be at most {ctx.settings.statement_max_length} characters")
        async with ctx.pool.acquire() as conn, conn.transaction():
            row = await _own_record_for_update(conn, ctx, str(record_id))
            await record_store.set_statement(conn, row.id, text)
            cause = "statement.added" if text is not None else "statement.withdrawn"
            # revised reports to enrollees and to agencies shown the record before; a notice to its publisher
            await hooks.on_record(conn, row.officer_id, row.id, row, cause)
            after = (await record_store.by_ids(conn, [row.id]))[0] or row
            await hooks.to_publisher(conn, after, "statement.changed", cause)
        ctx.fresh_loaders()
        return await _reload(ctx, row.id)

    @strawberry.mutation(description="Dispute a record about you; readers see it as disputed until the publisher "
                                     "corrects or affirms it.")
    async def open_dispute(self, info: Info, record_id: strawberry.ID, reason: str) -> MisconductRecord:
        ctx = info.context
        reason = reason.strip()
        if not reason or len(reason) > 4000:
            raise BadInput("give a reason of 1 to 4000 characters")
        async with ctx.pool.acquire() as conn, conn.transaction():
            row = await _own_record_for_update(conn, ctx, str(record_id))
            if not await record_store.open_dispute(conn, row.id, row.officer_id, reason):
                raise Conflict("this record already has an open dispute")
            await hooks.on_record(conn, row.officer_id, row.id, row, "dispute.opened")
            after = (await record_store.by_ids(conn, [row.id]))[0] or row
            dispute = await record_store.open_dispute_of(conn, row.id)
            assert dispute is not None
            await hooks.to_publisher(conn, after, "dispute.opened", "dispute.opened",
                                     {"dispute": {"id": str(dispute.id), "openedAt": dispute.opened_at.isoformat()}})
        ctx.fresh_loaders()
        return await _reload(ctx, row.id)

    @strawberry.mutation
    async def register_agency(self, info: Info, input: AgencyInput) -> Agency:
        row = AgencyRow(inputs.matching("ori", input.ori.upper(), inputs.ORI, "9 characters: a 2-letter state and 7 "
                                        "letters or digits (e.g. CA0194100)"),
                        inputs.text("name", input.name, most=300),
                        inputs.matching("state", input.state.upper(), inputs.STATE, "a 2-letter code such as CA"),
                        input.level.value)
        try:
            await _register(info, admin_entries.agency_entry(row))
        except asyncpg.CheckViolationError:
            raise BadInput("ORI must be 9 characters (2-letter state + 7 letters or digits), state 2 letters, "
                           "name 1-300 characters") from None
        return Agency.from_row(row)

    @strawberry.mutation
    async def register_publisher(self, info: Info, input: PublisherInput) -> PublisherType:
        row = PublisherRow(
            inputs.matching("id", input.id, inputs.PUBLISHER_ID, "2 to 63 lowercase letters, digits and dashes"),
            input.kind.value, inputs.text("name", input.name, most=300),
            inputs.matching("state", input.state.upper(), inputs.STATE, "a 2-letter postal code such as NY")
            if input.state else None,
            inputs.matching("agencyOri", input.agency_ori.upper(), inputs.ORI, "a 9-character ORI such as NY0512300")
            if input.agency_ori else None)
        try:
            await _register(info, admin_entries.publisher_entry(row))
        except asyncpg.UniqueViolationError:
            raise Conflict(f"publisher {row.id} already exists") from None
        except asyncpg.ForeignKeyViolationError:
            raise NotFound(f"no agency with ORI {row.agency_ori}; register the agency first") from None
        except asyncpg.CheckViolationError:
            raise BadInput("publisher id must be lowercase letters, digits and dashes; a POST board needs a state "
                           "and an agency publisher an agencyOri") from None
        return PublisherType.from_row(row)

    @strawberry.mutation(description="Register an Ed25519 public key (JWK with kid) for a publisher.")
    async def add_publisher_key(self, info: Info, publisher_id: str, jwk: JSON,
                                valid_from: datetime | None = None) -> PublisherKey:
        from publishing.keys import checked_public_jwk

        public, kid = checked_public_jwk(jwk)
        async with info.context.pool.acquire() as conn:
            if (await publisher_store.by_ids(conn, [publisher_id]))[0] is None:
                raise NotFound(f"no publisher {publisher_id}")
            same = [k for k in (await publisher_store.all_keys(conn)).values() if k.public_jwk.get("x") == public["x"]]
            if same:  # one key, two kids: a signature could no longer say which registration it stands for
                raise Conflict(f"this public key is already registered as kid {same[0].kid} "
                               f"(publisher {same[0].publisher_id}); a key is registered once")
            try:
                async with conn.transaction():
                    await registrations.record(conn, info.context.services.admin_keys,
                                               admin_entries.key_entry(publisher_id, kid, public,
                                                                       valid_from or datetime.now(UTC)),
                                               by=info.context.principal.subject)
            except asyncpg.UniqueViolationError:
                raise Conflict(f"a key with kid {kid} is already registered") from None
            key = await publisher_store.key_by_kid(conn, kid)
        assert key is not None
        return PublisherKey.from_row(key)

    @strawberry.mutation(description="Revoke a publisher key from a time on (default now); events signed after "
                                     "it are refused.")
    async def revoke_publisher_key(self, info: Info, kid: str, revoked_at: datetime | None = None) -> PublisherKey:
        async with info.context.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    await registrations.record(conn, info.context.services.admin_keys,
                                               admin_entries.revocation_entry(kid, revoked_at or datetime.now(UTC)),
                                               by=info.context.principal.subject)
            except registrations.RegistrationRefused:
                if await publisher_store.key_by_kid(conn, kid) is None:
                    raise NotFound(f"no key with kid {kid}") from None
                raise Conflict(f"key {kid} is already revoked") from None
            key = await publisher_store.key_by_kid(conn, kid)
        assert key is not None
        return PublisherKey.from_row(key)


async def _register(info: Info, entry: dict[str, object]) -> None:
    """One registration applied and logged under the admin key, in its own transaction."""
    async with info.context.pool.acquire() as conn, conn.transaction():
        await registrations.record(conn, info.context.services.admin_keys, entry, by=info.context.principal.subject)


async def _own_record_for_update(conn: asyncpg.Connection, ctx: object, record_id: str) -> record_store.RecordRow:
    row = await record_store.for_update(conn, record_id)
    who = ctx.principal  # type: ignore[attr-defined]
    if row is None or row.officer_id != who.officer_id:
        raise NotFound(f"you have no record {record_id}")
    if row.status == "EXPUNGED":
        raise Conflict("this record was expunged")
    return row


async def _reload(ctx: object, record_id: str) -> MisconductRecord:
    row = await fetch.record(ctx, record_id)
    if row is None:
        raise Forbidden("the record is not visible to you")
    return MisconductRecord.from_row(row)
