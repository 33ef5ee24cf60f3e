"""GraphQL types of continuous monitoring: enrollments, notices, webhook endpoints and deliveries.

Each carries an ``EnrolleeGuard`` (whose it is), read by the ENROLLEE grant of ``auth.policy``.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import cast

import strawberry
from strawberry.scalars import JSON

from monitoring.owners import EnrolleeGuard
from resolvers.pagination import encode_cursor
from store.monitoring import EndpointRow, EnrollmentRow, NoticeRow
from store.outbox import AttemptRow, DeliveryRow


@strawberry.enum(description="How deliveries to an endpoint are signed (Standard Webhooks).")
class WebhookScheme(Enum):
    V1A = "v1a"
    V1 = "v1"


@strawberry.enum
class WebhookDeliveryState(Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    DEAD = "DEAD"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="What became of one roster row.")
class RosterRowStatus(Enum):
    ENROLLED = "ENROLLED"
    ALREADY_ENROLLED = "ALREADY_ENROLLED"
    NOT_FOUND = "NOT_FOUND"
    AMBIGUOUS = "AMBIGUOUS"
    MISMATCH = "MISMATCH"
    INVALID = "INVALID"
    LIMITED = "LIMITED"


def _guard(owner_kind: str, owner_id: str, officer_id: str | None = None) -> EnrolleeGuard:
    return EnrolleeGuard(owner_kind, owner_id, officer_id)


@strawberry.type(description="An officer you monitor: you are notified when a record about them becomes visible "
                             "to you or changes, and when a certification of theirs changes status.")
class Enrollment:
    id: strawberry.ID
    officer_id: str
    created_at: datetime
    created_by: str
    guard: strawberry.Private[EnrolleeGuard]

    @classmethod
    def from_row(cls, row: EnrollmentRow) -> Enrollment:
        return cls(id=strawberry.ID(row.id), officer_id=row.officer_id, created_at=row.created_at,
                   created_by=row.created_by, guard=_guard(row.owner_kind, row.owner_id, row.officer_id))


@strawberry.type(description="A change you are told about. `data` is the same JSON as the webhook's `data`, and "
                             "holds only what you may read (a hiring agency sees records once FINAL with fair "
                             "process attested; a partner sees certification status only).")
class MonitoringNotice:
    id: strawberry.ID = strawberry.field(description="The notice ID; the `webhook-id` of its webhook deliveries.")
    cursor: str = strawberry.field(description="Pass as `after` to resume from this notice.")
    type: str = strawberry.field(description="record.visible, record.changed, record.withdrawn, record.revised (to "
                                             "an agency shown the record before), certification.issued, "
                                             "certification.status_changed; to publishers: dispute.opened, "
                                             "statement.changed")
    officer_id: str
    enrollment_id: str | None
    occurred_at: datetime
    data: JSON
    guard: strawberry.Private[EnrolleeGuard]

    @classmethod
    def from_row(cls, row: NoticeRow) -> MonitoringNotice:
        return cls(id=strawberry.ID(row.public_id), cursor=encode_cursor(str(row.id)), type=row.type,
                   officer_id=row.officer_id, enrollment_id=row.enrollment_id, occurred_at=row.occurred_at,
                   data=cast(JSON, row.payload), guard=_guard(row.owner_kind, row.owner_id, row.officer_id))


@strawberry.type(description="Where your notices are POSTed, signed per Standard Webhooks.")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    scheme: WebhookScheme
    description: str | None
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    guard: strawberry.Private[EnrolleeGuard]

    @classmethod
    def from_row(cls, row: EndpointRow) -> WebhookEndpoint:
        return cls(id=strawberry.ID(row.id), url=row.url, scheme=WebhookScheme(row.scheme),
                   description=row.description, created_at=row.created_at, disabled_at=row.disabled_at,
                   disabled_reason=row.disabled_reason, guard=_guard(row.owner_kind, row.owner_id))


@strawberry.type(description="A new endpoint. `secret` (v1 only) is shown this once: store it.")
class WebhookEndpointRegistration:
    endpoint: WebhookEndpoint
    secret: str | None = strawberry.field(description="The whsec_ HMAC key of a v1 endpoint; never shown again.")
    public_key: str = strawberry.field(description="The registry's whpk_ Ed25519 key that signs v1a signatures.")
    guard: strawberry.Private[EnrolleeGuard]


@strawberry.type(description="One attempt to deliver a webhook.")
class WebhookAttempt:
    attempt: int
    worker: str
    started_at: datetime
    finished_at: datetime | None = strawberry.field(description="Null if the worker stopped mid-request.")
    status_code: int | None
    error: str | None
    retry_at: datetime | None = strawberry.field(description="When the next attempt was scheduled.")
    guard: strawberry.Private[EnrolleeGuard]

    @classmethod
    def from_row(cls, row: AttemptRow, guard: EnrolleeGuard) -> WebhookAttempt:
        return cls(attempt=row.attempt, worker=row.worker, started_at=row.started_at, finished_at=row.finished_at,
                   status_code=row.status_code, error=row.error, retry_at=row.retry_at, guard=guard)


@strawberry.type(description="One notice on its way to one endpoint; a dead letter when its attempts ran out.")
class WebhookDelivery:
    id: strawberry.ID
    webhook_id: str = strawberry.field(description="The `webhook-id` header: the same on every attempt and replay.")
    endpoint_id: str
    event_type: str
    state: WebhookDeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    dead_at: datetime | None
    attempt_log: list[WebhookAttempt]
    guard: strawberry.Private[EnrolleeGuard]

    @classmethod
    def from_row(cls, row: DeliveryRow, attempts: list[AttemptRow]) -> WebhookDelivery:
        guard = _guard(row.owner_kind, row.owner_id)
        return cls(id=strawberry.ID(row.public_id), webhook_id=row.webhook_id, endpoint_id=row.endpoint_id,
                   event_type=row.event_type, state=WebhookDeliveryState(row.state), attempts=row.attempts,
                   next_attempt_at=row.next_attempt_at if row.state == "PENDING" else None,
                   last_status_code=row.last_status, last_error=row.last_error, created_at=row.created_at,
                   delivered_at=row.delivered_at, dead_at=row.dead_at,
                   attempt_log=[WebhookAttempt.from_row(a, guard) for a in attempts], guard=guard)


@strawberry.type(description="The registry's public key for v1a webhook signatures (also at /.well-known/webhook-key).")
class WebhookSigningKey:
    public_key: str = strawberry.field(description="whpk_ + base64 of the raw 32-byte Ed25519 public key.")
    jwk: JSON
    kid: str


@strawberry.type
class RosterRow:
    line: int = strawberry.field(description="The CSV line the row starts on (the header is line 1).")
    status: RosterRowStatus
    officer_id: str | None
    enrollment_id: str | None
    reason: str | None
    guard: strawberry.Private[EnrolleeGuard]


@strawberry.type(description="What a roster upload did, row by row.")
class RosterReport:
    enrolled: int
    already_enrolled: int
    not_enrolled: int
    rows: list[RosterRow]
    guard: strawberry.Private[EnrolleeGuard]
