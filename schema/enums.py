"""GraphQL enums; their values are the database's enum labels."""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar, cast

import strawberry

E = TypeVar("E", bound=Enum)


def member(cls: type[E], label: Any) -> E:
    """``cls(label)`` for a database label, by one dict lookup: calling an Enum class runs two Python frames, and a
    lookup's rows convert a dozen labels."""
    found = cls._value2member_map_.get(label)
    return cls(label) if found is None else cast(E, found)


@strawberry.enum
class JurisdictionLevel(Enum):
    FEDERAL = "FEDERAL"
    STATE = "STATE"
    LOCAL = "LOCAL"
    TRIBAL = "TRIBAL"
    TERRITORIAL = "TERRITORIAL"


@strawberry.enum
class PublisherKind(Enum):
    POST_BOARD = "POST_BOARD"
    AGENCY = "AGENCY"
    CREDENTIALING_BODY = "CREDENTIALING_BODY"
    CERTIFYING_AUTHORITY = "CERTIFYING_AUTHORITY"  # the Attorney General's office (EO 13929 Sec. 2(a))


@strawberry.enum
class CertificationKind(Enum):
    PEACE_OFFICER = "PEACE_OFFICER"
    CORRECTIONS = "CORRECTIONS"
    CRISIS_INTERVENTION_TRAINING = "CRISIS_INTERVENTION_TRAINING"
    DE_ESCALATION_TRAINING = "DE_ESCALATION_TRAINING"


@strawberry.enum
class CertificationStatus(Enum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    SUSPENDED = "SUSPENDED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    SURRENDERED = "SURRENDERED"


@strawberry.enum
class SeparationReason(Enum):
    RESIGNED = "RESIGNED"
    RETIRED = "RETIRED"
    TERMINATED = "TERMINATED"
    RESIGNED_UNDER_INVESTIGATION = "RESIGNED_UNDER_INVESTIGATION"
    RETIRED_UNDER_INVESTIGATION = "RETIRED_UNDER_INVESTIGATION"
    LAID_OFF = "LAID_OFF"
    TRANSFERRED = "TRANSFERRED"
    DECEASED = "DECEASED"
    OTHER = "OTHER"


@strawberry.enum
class RecordKind(Enum):
    DECERTIFICATION = "DECERTIFICATION"
    TERMINATION = "TERMINATION"
    CRIMINAL_CONVICTION = "CRIMINAL_CONVICTION"
    CIVIL_JUDGMENT_USE_OF_FORCE = "CIVIL_JUDGMENT_USE_OF_FORCE"
    RESIGNATION_UNDER_INVESTIGATION = "RESIGNATION_UNDER_INVESTIGATION"
    RETIREMENT_UNDER_INVESTIGATION = "RETIREMENT_UNDER_INVESTIGATION"
    SUSPENSION = "SUSPENSION"


@strawberry.enum
class ReasonCategory(Enum):
    DISHONESTY = "DISHONESTY"
    ABUSE_OF_POWER = "ABUSE_OF_POWER"
    EXCESSIVE_FORCE = "EXCESSIVE_FORCE"
    SEXUAL_ASSAULT = "SEXUAL_ASSAULT"
    BIAS = "BIAS"
    CRIMINAL_CONDUCT = "CRIMINAL_CONDUCT"
    LAW_ENFORCEMENT_GANG = "LAW_ENFORCEMENT_GANG"
    FAILURE_TO_COOPERATE = "FAILURE_TO_COOPERATE"
    FAILURE_TO_INTERVENE = "FAILURE_TO_INTERVENE"
    DOMESTIC_VIOLENCE = "DOMESTIC_VIOLENCE"
    SUBSTANCE_ABUSE = "SUBSTANCE_ABUSE"
    TRAINING_STANDARDS = "TRAINING_STANDARDS"
    OTHER = "OTHER"


@strawberry.enum(description="How the publisher closed a dispute: it corrected the record, or affirmed it.")
class DisputeResolution(Enum):
    CORRECTED = "CORRECTED"
    AFFIRMED = "AFFIRMED"


@strawberry.enum(description="Which disputes to list: those still open, or all.")
class DisputeState(Enum):
    OPEN = "OPEN"
    ALL = "ALL"


@strawberry.enum
class DueProcessStatus(Enum):
    NOTICE_PENDING = "NOTICE_PENDING"
    NOTICE_SERVED = "NOTICE_SERVED"
    HEARING_PENDING = "HEARING_PENDING"
    APPEAL_PENDING = "APPEAL_PENDING"
    FINAL = "FINAL"
    OVERTURNED = "OVERTURNED"
    RESCINDED = "RESCINDED"
    EXPUNGED = "EXPUNGED"


@strawberry.enum
class NameKind(Enum):
    PRIMARY = "PRIMARY"
    ALIAS = "ALIAS"
    FORMER = "FORMER"


@strawberry.enum(description="Why an officer's history is being read; required of hiring agencies, "
                             "partners and auditors, and recorded in the officer's query log.")
class QueryPurpose(Enum):
    PRE_EMPLOYMENT_BACKGROUND_CHECK = "PRE_EMPLOYMENT_BACKGROUND_CHECK"
    CONTINUOUS_MONITORING = "CONTINUOUS_MONITORING"
    OVERSIGHT_AUDIT = "OVERSIGHT_AUDIT"
    CREDENTIAL_VERIFICATION = "CREDENTIAL_VERIFICATION"
    CERTIFICATION_ACTION = "CERTIFICATION_ACTION"
    LITIGATION_HOLD = "LITIGATION_HOLD"


@strawberry.enum
class EventStatus(Enum):
    ACCEPTED = "ACCEPTED"
    DUPLICATE = "DUPLICATE"
    REJECTED = "REJECTED"
    NOT_APPLIED = "NOT_APPLIED"
