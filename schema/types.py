"""GraphQL object types. Each wraps a store row plus the ``guard`` the field policy reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from auth import guards
from auth.policy import Guard
from resolvers import fetch
from resolvers import ledger as ledger_resolvers
from resolvers.pagination import check_first, encode_cursor, window
from resolvers.ready import Maybe, settled, then
from schema import enums
from schema.ledger_types import LogProof, SignedEvent
from schema.partner_types import CredentialAttestation
from store.models import (
    AgencyRow,
    CertificationRow,
    DisputeRow,
    EmploymentRow,
    NameRow,
    OfficerRow,
    PublisherRow,
    QueryLogRow,
    RecordRow,
    StatusChangeRow,
)
from store.notifications import NotificationRow
from store.publishers import PublisherKeyRow

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


def connect(items: list[Any], key: Any, first: int, after: str | None, info: Info) -> Connection[Any]:
    first = check_first(first, info.context.settings.max_page_size)
    page, more = window(items, key, first, after)
    edges = [Edge(cursor=encode_cursor(key(n)), node=n) for n in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
        total_count=len(items),
    )


@strawberry.type
class PersonName:
    kind: enums.NameKind
    given_name: str
    middle_name: str | None
    family_name: str
    suffix: str | None

    @strawberry.field
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_name, self.family_name, self.suffix) if p)

    @classmethod
    def from_row(cls, row: NameRow) -> PersonName:
        return cls(
            kind=enums.member(enums.NameKind, row.kind),
            given_name=row.given_name,
            middle_name=row.middle_name,
            family_name=row.family_name,
            suffix=row.suffix,
        )


@strawberry.federation.type(keys=["ori"], description="A law-enforcement agency, by its ORI code.")
class Agency:
    ori: strawberry.ID
    name: str
    state: str
    level: enums.JurisdictionLevel
    guard: strawberry.Private[Guard]

    @classmethod
    def from_row(cls, row: AgencyRow) -> Agency:
        return cls(
            ori=strawberry.ID(row.ori),
            name=row.name,
            state=row.state,
            level=enums.member(enums.JurisdictionLevel, row.level),
            guard=guards.NO_OFFICER,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, ori: strawberry.ID) -> Agency | None:
        return await load_agency(info, str(ori))


def agency_of(info: Info, ori: str | None) -> Maybe[Agency | None]:
    if ori is None:
        return None
    return then(info.context.loaders.agency.load(ori), lambda row: None if row is None else Agency.from_row(row))


async def load_agency(info: Info, ori: str | None) -> Agency | None:
    return await settled(agency_of(info, ori))


@strawberry.type
class PublisherKey:
    kid: str
    public_jwk: JSON
    valid_from: datetime
    revoked_at: datetime | None
    guard: strawberry.Private[Guard]

    @classmethod
    def from_row(cls, row: PublisherKeyRow) -> PublisherKey:
        return cls(
            kid=row.kid,
            public_jwk=cast(JSON, row.public_jwk),
            valid_from=row.valid_from,
            revoked_at=row.revoked_at,
            guard=guards.NO_OFFICER,
        )


@strawberry.federation.type(keys=["id"], description="A POST board, agency or credentialing body that signs events.")
class Publisher:
    id: strawberry.ID
    kind: enums.PublisherKind
    name: str
    state: str | None
    agency_ori: str | None
    guard: strawberry.Private[Guard]

    @strawberry.field(description="Ed25519 keys this publisher signs with, including rotated and revoked ones.")
    async def keys(self, info: Info) -> list[PublisherKey]:
        from store import publishers

        return [PublisherKey.from_row(k) for k in await publishers.keys_for(info.context.pool, str(self.id))]

    @classmethod
    def from_row(cls, row: PublisherRow) -> Publisher:
        return cls(
            id=strawberry.ID(row.id),
            kind=enums.member(enums.PublisherKind, row.kind),
            name=row.name,
            state=row.state,
            agency_ori=row.agency_ori,
            guard=guards.NO_OFFICER,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Publisher | None:
        return await load_publisher(info, str(id))


def publisher_of(info: Info, publisher_id: str) -> Maybe[Publisher | None]:
    return then(info.context.loaders.publisher.load(publisher_id),
                lambda row: None if row is None else Publisher.from_row(row))


async def load_publisher(info: Info, publisher_id: str) -> Publisher | None:
    return await settled(publisher_of(info, publisher_id))


@strawberry.type(description="A state certification or training credential.")
class Certification:
    id: strawberry.ID
    state: str | None
    number: str | None
    kind: enums.CertificationKind | None
    status: enums.CertificationStatus | None
    issued_on: date | None
    expires_on: date | None
    status_reason: str | None
    updated_at: datetime | None
    refresher_months: int | None = strawberry.field(
        description="Training kinds: months the training stays current after it was completed (EO 13929 Sec. 4).")
    row: strawberry.Private[CertificationRow]
    guard: strawberry.Private[Guard]

    @strawberry.field(graphql_type=Publisher | None)
    def publisher(self, info: Info) -> Maybe[Publisher | None]:
        return publisher_of(info, self.row.publisher_id)

    @strawberry.field(description="A signed, 10-minute attestation of this certification's status (with officerId). "
                                  "An officer asking with holderKey gets a credential only they can present.")
    async def attestation(
        self, info: Info,
        holder_key: Annotated[JSON | None, strawberry.argument(description="Your public key (JWK): see "
                                                                           "verifyCredential(holderKey:).")] = None,
    ) -> CredentialAttestation | None:
        from resolvers.partner import attest_certification, holder_key_arg

        return await attest_certification(info, self.row, self.guard, holder_key_arg(holder_key))

    @classmethod
    def from_row(cls, row: CertificationRow, guard: Guard) -> Certification:
        return cls(
            id=strawberry.ID(row.id),
            state=row.state,
            number=row.number,
            kind=enums.member(enums.CertificationKind, row.kind),
            status=enums.member(enums.CertificationStatus, row.status),
            issued_on=row.issued_on,
            expires_on=row.expires_on,
            status_reason=row.status_reason,
            updated_at=row.updated_at,
            refresher_months=row.refresher_months,
            row=row,
            guard=guard,
        )


@strawberry.type(description="A period of employment at an agency.")
class Employment:
    id: strawberry.ID
    position: str | None
    start_date: date | None
    end_date: date | None
    separation_reason: enums.SeparationReason | None
    row: strawberry.Private[EmploymentRow]
    guard: strawberry.Private[Guard]

    @strawberry.field(graphql_type=Agency | None)
    def agency(self, info: Info) -> Maybe[Agency | None]:
        return agency_of(info, self.row.agency_ori)

    @strawberry.field(graphql_type=Publisher | None)
    def publisher(self, info: Info) -> Maybe[Publisher | None]:
        return publisher_of(info, self.row.publisher_id)

    @classmethod
    def from_row(cls, row: EmploymentRow, guard: Guard) -> Employment:
        reason = enums.member(enums.SeparationReason, row.separation_reason) if row.separation_reason else None
        return cls(
            id=strawberry.ID(row.id),
            position=row.position,
            start_date=row.start_date,
            end_date=row.end_date,
            separation_reason=reason,
            row=row,
            guard=guard,
        )


@strawberry.type(description="One due-process step of a record.")
class StatusChange:
    from_status: enums.DueProcessStatus | None
    to_status: enums.DueProcessStatus | None
    fair_process_attested: bool | None
    reason: str | None
    changed_at: datetime | None
    guard: strawberry.Private[Guard]

    @classmethod
    def from_row(cls, row: StatusChangeRow, guard: Guard) -> StatusChange:
        return cls(
            from_status=enums.member(enums.DueProcessStatus, row.from_status) if row.from_status else None,
            to_status=enums.member(enums.DueProcessStatus, row.to_status),
            fair_process_attested=row.fair_process_attested,
            reason=row.reason,
            changed_at=row.changed_at,
            guard=guard,
        )


@strawberry.type(description="An officer's dispute of a record: the reason, and how the publisher closed it.")
class RecordDispute:
    id: strawberry.ID
    record_id: strawberry.ID
    reason: str | None
    opened_at: datetime | None
    resolution: enums.DisputeResolution | None
    resolution_reason: str | None
    resolved_at: datetime | None
    row: strawberry.Private[DisputeRow]
    guard: strawberry.Private[Guard]

    @strawberry.field(description="Whole days the dispute has been open (until it was resolved).")
    def age_days(self) -> int | None:
        end = self.row.resolved_at or datetime.now(self.row.opened_at.tzinfo)
        return (end - self.row.opened_at).days

    @strawberry.field(description="The disputed record.")
    async def record(self, info: Info) -> MisconductRecord | None:
        row = await fetch.record(info.context, self.row.record_id)
        return None if row is None else MisconductRecord.from_row(row)

    @classmethod
    def from_row(cls, row: DisputeRow) -> RecordDispute:
        return cls(
            id=strawberry.ID(str(row.id)),
            record_id=strawberry.ID(row.record_id),
            reason=row.reason,
            opened_at=row.opened_at,
            resolution=enums.member(enums.DisputeResolution, row.resolution) if row.resolution else None,
            resolution_reason=row.resolution_reason,
            resolved_at=row.resolved_at,
            row=row,
            guard=Guard(officer_id=row.officer_id, publisher_id=row.publisher_id),
        )


@strawberry.federation.type(
    keys=["id"], description="A misconduct instance of EO 13929 Sec. 3(b), with its due-process status."
)
class MisconductRecord:
    id: strawberry.ID
    kind: enums.RecordKind | None
    state: str | None
    reason_category: enums.ReasonCategory | None
    action_date: date | None
    status: enums.DueProcessStatus | None
    fair_process_attested: bool | None
    disputed: bool | None
    subject_statement: str | None = strawberry.field(
        description="The officer's own statement, shown with the record to everyone who may see it."
    )
    narrative: str | None
    case_reference: str | None
    updated_at: datetime | None
    row: strawberry.Private[RecordRow]
    guard: strawberry.Private[Guard]

    @strawberry.field(graphql_type=Publisher | None)
    def publisher(self, info: Info) -> Maybe[Publisher | None]:
        return publisher_of(info, self.row.publisher_id)

    @strawberry.field(graphql_type=Agency | None)
    def agency(self, info: Info) -> Maybe[Agency | None]:
        return agency_of(info, self.row.agency_ori)

    @strawberry.field(graphql_type=list[StatusChange] | None)
    def status_history(self, info: Info) -> Maybe[list[StatusChange] | None]:
        return then(fetch.history_of(info.context, self.row),
                    lambda rows: [StatusChange.from_row(h, self.guard) for h in rows])

    @strawberry.field
    async def officer(self, info: Info) -> Officer | None:
        row = await fetch.officer(info.context, self.row.officer_id)
        return None if row is None else Officer.from_row(row)

    @strawberry.field(description="The officer's disputes of this record, oldest first, with their reasons (the "
                                  "officer, the record's publisher and auditors; others see only `disputed`).")
    async def disputes(self, info: Info) -> list[RecordDispute] | None:
        return [RecordDispute.from_row(d) for d in await fetch.disputes_of(info.context, self.row)]

    @strawberry.field(description="The signed events about this record, in log order.")
    async def events(self, info: Info) -> list[SignedEvent] | None:
        return await ledger_resolvers.record_events(info, self.row)

    @strawberry.field(description="Inclusion proof of the record's latest event against the latest checkpoint.")
    async def proof(self, info: Info) -> LogProof | None:
        return await ledger_resolvers.record_proof(info, self.row)

    @strawberry.field(description="Offline-verification bundle of the latest event (docs/ledger-formats.md).")
    async def bundle(self, info: Info) -> JSON | None:
        return await ledger_resolvers.record_bundle(info, self.row)

    @classmethod
    def from_row(cls, row: RecordRow) -> MisconductRecord:
        return cls(
            id=strawberry.ID(row.id),
            kind=enums.member(enums.RecordKind, row.kind),
            state=row.state,
            reason_category=None if row.reason_category is None
            else enums.member(enums.ReasonCategory, row.reason_category),
            action_date=row.action_date,
            status=enums.member(enums.DueProcessStatus, row.status),
            fair_process_attested=row.fair_process_attested,
            disputed=row.disputed,
            subject_statement=row.subject_statement,
            narrative=row.narrative,
            case_reference=row.case_reference,
            updated_at=row.updated_at,
            row=row,
            guard=guards.record_guard(row),
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> MisconductRecord | None:
        row = await fetch.record(info.context, str(id))
        return None if row is None else cls.from_row(row)


@strawberry.type(description="One disclosure of an officer's history: who read it, when, why and what.")
class QueryLogEntry:
    id: strawberry.ID
    officer_id: str
    actor_role: str
    actor_subject: str
    actor_organization: str | None
    purpose: enums.QueryPurpose
    returned: JSON
    queried_at: datetime
    guard: strawberry.Private[Guard]

    @strawberry.field(description="The reader's organisation by name: the agency of a hiring agency's ORI, or "
                                  "the publisher; null where the registry has no name for it (a partner).")
    async def actor_organization_name(self, info: Info) -> str | None:
        org = self.actor_organization
        if org is None:
            return None
        if self.actor_role == "hiring_agency":
            agency = await info.context.loaders.agency.load(org)
            return None if agency is None else str(agency.name)
        if self.actor_role in ("publisher", "credentialing_body"):
            publisher = await info.context.loaders.publisher.load(org)
            return None if publisher is None else str(publisher.name)
        return None

    @classmethod
    def from_row(cls, row: QueryLogRow) -> QueryLogEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            officer_id=row.officer_id,
            actor_role=row.actor_role,
            actor_subject=row.actor_subject,
            actor_organization=row.actor_org,
            purpose=enums.member(enums.QueryPurpose, row.purpose),
            returned=cast(JSON, row.returned),
            queried_at=row.queried_at,
            guard=Guard(officer_id=row.officer_id),
        )


@strawberry.type
class Notification:
    id: strawberry.ID
    kind: str
    message: str
    record_id: str | None
    created_at: datetime
    guard: strawberry.Private[Guard]

    @classmethod
    def from_row(cls, row: NotificationRow) -> Notification:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            message=row.message,
            record_id=row.record_id,
            created_at=row.created_at,
            guard=Guard(officer_id=row.officer_id),
        )


First = Annotated[int, strawberry.argument(description="Page size (at most the configured maximum).")]


@strawberry.federation.type(keys=["id"], description="A person in the registry, by registry-assigned ID.")
class Officer:
    id: strawberry.ID
    row: strawberry.Private[OfficerRow]
    guard: strawberry.Private[Guard]

    @strawberry.field(description="Primary name first, then aliases and former names.")
    def names(self) -> list[PersonName] | None:
        return [PersonName.from_row(n) for n in self.row.names]

    @strawberry.field
    def primary_name(self) -> PersonName | None:
        primary = [n for n in self.row.names if n.kind == "PRIMARY"] or list(self.row.names)
        return PersonName.from_row(primary[0]) if primary else None

    @strawberry.field
    def date_of_birth(self) -> date | None:
        return self.row.date_of_birth

    @strawberry.field(graphql_type=Connection[Certification] | None)
    def certifications(
        self, info: Info, first: First = 20, after: str | None = None
    ) -> Maybe[Connection[Certification] | None]:
        return then(fetch.certifications_of(info.context, self.row),
                    lambda rows: self._owned_page(Certification.from_row, rows, first, after, info))

    @strawberry.field(graphql_type=Connection[Employment] | None)
    def employment(
        self, info: Info, first: First = 20, after: str | None = None
    ) -> Maybe[Connection[Employment] | None]:
        return then(fetch.employment_of(info.context, self.row),
                    lambda rows: self._owned_page(Employment.from_row, rows, first, after, info))

    def _owned_page(self, make: Any, rows: list[Any], first: int, after: str | None, info: Info) -> Connection[Any]:
        """A page of this officer's rows that their publishers own (certifications, employment), each guarded so."""
        items = [make(r, guards.owned_guard(r.officer_id, r.publisher_id, self.row.publisher_ids)) for r in rows]
        return connect(items, lambda x: str(x.id), first, after, info)

    @strawberry.field(
        description="Records the caller may see: hiring agencies see FINAL records with fair "
        "process attested; publishers their own; the officer and auditors all.",
        graphql_type=Connection[MisconductRecord] | None,
    )
    def records(
        self, info: Info, first: First = 20, after: str | None = None
    ) -> Maybe[Connection[MisconductRecord] | None]:
        return then(fetch.records_of(info.context, self.row), lambda rows: connect(
            [MisconductRecord.from_row(r) for r in rows], lambda r: str(r.id), first, after, info))

    @strawberry.field(description="Who read this officer's history, when and why (the officer and auditors).")
    async def query_log(
        self, info: Info, first: First = 20, after: str | None = None
    ) -> Connection[QueryLogEntry] | None:
        items = [QueryLogEntry.from_row(r) for r in await fetch.query_log_of(info.context, self.row.id)]
        return connect(items, lambda e: str(e.id), first, after, info)

    @strawberry.field(description="Notices to the officer about records and changes (the officer only).")
    async def notifications(
        self, info: Info, first: First = 20, after: str | None = None
    ) -> Connection[Notification] | None:
        items = [Notification.from_row(r) for r in await fetch.notifications_of(info.context, self.row.id)]
        return connect(items, lambda n: str(n.id), first, after, info)

    @classmethod
    def from_row(cls, row: OfficerRow) -> Officer:
        return cls(id=strawberry.ID(row.id), row=row, guard=guards.officer_guard(row))

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Officer | None:
        row = await fetch.officer(info.context, str(id))
        return None if row is None else cls.from_row(row)


@strawberry.type(description="A search candidate, with how strongly and why it matched.")
class OfficerMatch:
    officer: Officer | None
    score: float
    reasons: list[str]
    strong: bool
    guard: strawberry.Private[Guard]


@strawberry.type(description="Certification status only, for credential verification by partners.")
class CertificationVerification:
    state: str
    number: str
    kind: enums.CertificationKind
    status: enums.CertificationStatus
    expires_on: date | None
    checked_at: datetime
    guard: strawberry.Private[Guard]


@strawberry.type(description="Who the API thinks you are.")
class Viewer:
    role: str
    subject: str
    officer_id: str | None
    agency_ori: str | None
    publisher_id: str | None
    partner_id: str | None
    guard: strawberry.Private[Guard]


@strawberry.type
class EventResult:
    index: int
    status: enums.EventStatus
    event_type: str | None
    event_id: str | None
    entity_id: str | None
    officer_id: str | None
    log_index: int | None
    code: str | None
    message: str | None
    guard: strawberry.Private[Guard]


@strawberry.type
class PublishResult:
    committed: bool
    accepted: int
    duplicates: int
    rejected: int
    results: list[EventResult]
    guard: strawberry.Private[Guard]
