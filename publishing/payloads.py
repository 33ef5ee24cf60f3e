"""The JSON events publishers sign, as strict models: unknown fields and bad values are refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, TypeAdapter, model_validator

Str200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
NameStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
State = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Ori = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[A-Z0-9]{7}$")]
CertKind = Literal["PEACE_OFFICER", "CORRECTIONS", "CRISIS_INTERVENTION_TRAINING", "DE_ESCALATION_TRAINING"]
TRAINING_KINDS = ("CRISIS_INTERVENTION_TRAINING", "DE_ESCALATION_TRAINING")
CertStatus = Literal["ACTIVE", "INACTIVE", "SUSPENDED", "REVOKED", "EXPIRED", "SURRENDERED"]
Separation = Literal[
    "RESIGNED", "RETIRED", "TERMINATED", "RESIGNED_UNDER_INVESTIGATION", "RETIRED_UNDER_INVESTIGATION",
    "LAID_OFF", "TRANSFERRED", "DECEASED", "OTHER",
]
RecordKind = Literal[
    "DECERTIFICATION", "TERMINATION", "CRIMINAL_CONVICTION", "CIVIL_JUDGMENT_USE_OF_FORCE",
    "RESIGNATION_UNDER_INVESTIGATION", "RETIREMENT_UNDER_INVESTIGATION", "SUSPENSION",
]
Reason = Literal[
    "DISHONESTY", "ABUSE_OF_POWER", "EXCESSIVE_FORCE", "SEXUAL_ASSAULT", "BIAS", "CRIMINAL_CONDUCT",
    "LAW_ENFORCEMENT_GANG", "FAILURE_TO_COOPERATE", "FAILURE_TO_INTERVENE", "DOMESTIC_VIOLENCE",
    "SUBSTANCE_ABUSE", "TRAINING_STANDARDS", "OTHER",
]
DueProcess = Literal[
    "NOTICE_PENDING", "NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING", "FINAL",
    "OVERTURNED", "RESCINDED", "EXPUNGED",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonName(_Strict):
    givenName: NameStr
    middleName: NameStr | None = None
    familyName: NameStr
    suffix: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None


class Subject(_Strict):
    """Who the event is about: a registry ID, or the identity the registry matches or registers."""

    registryId: Str200 | None = None
    name: PersonName | None = None
    aliases: list[PersonName] = Field(default_factory=list, max_length=20)
    formerNames: list[PersonName] = Field(default_factory=list, max_length=20)
    dateOfBirth: date | None = None

    @model_validator(mode="after")
    def _identified(self) -> Subject:
        if self.registryId is None and (self.name is None or self.dateOfBirth is None):
            raise ValueError("subject needs a registryId, or a name and a dateOfBirth")
        if self.dateOfBirth is not None and not date(1900, 1, 1) <= self.dateOfBirth <= date.today():
            raise ValueError("dateOfBirth must be between 1900-01-01 and today")
        return self


class _Event(_Strict):
    eventId: Str200
    publisher: Str200
    issuedAt: datetime
    salt: Annotated[str, StringConstraints(min_length=16, max_length=64)]


class CertificationIssued(_Event):
    type: Literal["certification.issued"]
    sourceId: Str200
    subject: Subject
    state: State
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    kind: CertKind
    status: CertStatus = "ACTIVE"
    issuedOn: date
    expiresOn: date | None = None
    #: Training kinds (EO 13929 Sec. 4): months the training stays current after it was completed.
    refresherMonths: Annotated[int, Field(ge=1, le=120)] | None = None

    @model_validator(mode="after")
    def _refresher_for_training(self) -> CertificationIssued:
        if self.refresherMonths is not None and self.kind not in TRAINING_KINDS:
            raise ValueError(f"refresherMonths applies to training certifications only ({', '.join(TRAINING_KINDS)})")
        return self


class CertificationStatusChanged(_Event):
    type: Literal["certification.status_changed"]
    certificationSourceId: Str200
    status: CertStatus
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None
    expiresOn: date | None = None
    #: Training kinds: the day the officer completed a refresher, which restarts the refresher interval.
    refreshedOn: date | None = None


class EmploymentStarted(_Event):
    type: Literal["employment.started"]
    sourceId: Str200
    subject: Subject
    agencyOri: Ori
    position: Annotated[str, StringConstraints(max_length=100)] | None = None
    startDate: date


class EmploymentEnded(_Event):
    type: Literal["employment.ended"]
    employmentSourceId: Str200
    endDate: date
    separationReason: Separation


class RecordPublished(_Event):
    type: Literal["record.published"]
    sourceId: Str200
    subject: Subject
    kind: RecordKind
    state: State
    agencyOri: Ori | None = None
    reasonCategory: Reason
    actionDate: date
    narrative: Annotated[str, StringConstraints(max_length=20000)] | None = None
    caseReference: Annotated[str, StringConstraints(max_length=200)] | None = None
    status: DueProcess = "NOTICE_PENDING"
    fairProcessAttested: bool = False


class RecordStatusChanged(_Event):
    type: Literal["record.status_changed"]
    recordSourceId: Str200
    status: DueProcess
    fairProcessAttested: bool = False
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class RecordCorrected(_Event):
    type: Literal["record.corrected"]
    recordSourceId: Str200
    reasonCategory: Reason | None = None
    actionDate: date | None = None
    narrative: Annotated[str, StringConstraints(max_length=20000)] | None = None
    caseReference: Annotated[str, StringConstraints(max_length=200)] | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    resolvesDispute: bool = False


class RecordAffirmed(_Event):
    type: Literal["record.affirmed"]
    recordSourceId: Str200
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# --- EO 13929 Sec. 2 and 3(d): credentialing bodies, agency credentials, reporting attestations --------
# Handled by publishing/accreditation.py; who may publish them is in publishing/jurisdiction.py.
StandardsVersion = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
PublisherId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
AgencyCredentialStatus = Literal["APPLIED", "IN_PROCESS", "GRANTED", "EXPIRED", "REVOKED"]
AccreditationTopic = Literal["DE_ESCALATION_TRAINING", "EARLY_WARNING_SYSTEMS", "COMMUNITY_ENGAGEMENT"]


class CredentialingBodyCertified(_Event):
    """The Attorney General certifies (or re-certifies) a credentialing body against a standards version."""

    type: Literal["credentialing_body.certified"]
    bodyId: PublisherId
    standardsVersion: StandardsVersion
    effectiveOn: date
    validUntil: date | None = None
    reason: Note | None = None


class CredentialingBodySuspended(_Event):
    type: Literal["credentialing_body.suspended"]
    bodyId: PublisherId
    effectiveOn: date
    reason: Note


class CredentialingBodyWithdrawn(_Event):
    type: Literal["credentialing_body.withdrawn"]
    bodyId: PublisherId
    effectiveOn: date
    reason: Note


class UseOfForceConfirmations(_Strict):
    """Sec. 2(c): (i) the agency's use-of-force policies adhere to applicable law; (ii) they prohibit
    chokeholds except where the use of deadly force is allowed by law. Strict booleans: only true is true."""

    policyAdheresToLaw: StrictBool
    chokeholdsProhibitedExceptWhereDeadlyForceAllowed: StrictBool


class _CredentialState(_Event):
    statusDate: date
    expiresOn: date | None = None
    confirmations: UseOfForceConfirmations | None = None
    topicsReviewed: list[AccreditationTopic] | None = Field(default=None, max_length=3)
    reason: Note | None = None

    @model_validator(mode="after")
    def _distinct_topics(self) -> _CredentialState:
        if self.topicsReviewed is not None and len(set(self.topicsReviewed)) != len(self.topicsReviewed):
            raise ValueError("topicsReviewed lists a topic twice")
        return self


class AgencyCredentialPublished(_CredentialState):
    """A certified credentialing body publishes an agency's credential (Sec. 2(b)-(c))."""

    type: Literal["agency_credential.published"]
    sourceId: Str200
    agencyOri: Ori
    status: AgencyCredentialStatus


class AgencyCredentialStatusChanged(_CredentialState):
    """A new status of a credential; omitted confirmations and topics keep their previous values."""

    type: Literal["agency_credential.status_changed"]
    credentialSourceId: Str200
    status: AgencyCredentialStatus


class NothingToReport(_Event):
    """Sec. 3(d): the agency had no Sec. 3(b) instance to report for a calendar year."""

    type: Literal["reporting.nothing_to_report"]
    agencyOri: Ori
    reportingYear: Annotated[int, Field(ge=1900, le=9999)]
    statement: Note | None = None


class SubmissionStatement(_Event):
    """Sec. 3(d): the agency has submitted its Sec. 3(b) information for a calendar year. The public grant
    verdict rests on this signed statement, never on whether records exist (they may be in due process)."""

    type: Literal["reporting.submitted"]
    agencyOri: Ori
    reportingYear: Annotated[int, Field(ge=1900, le=9999)]
    statement: Note | None = None


# --- EO 13929 Sec. 4: crisis-response programs (publishing/programs.py) --------------------------------
ProgramKind = Literal["CO_RESPONDER", "CRISIS_INTERVENTION_TEAM", "MOBILE_CRISIS_PARTNERSHIP", "OTHER_CRISIS_RESPONSE"]
ProgramPartner = Literal["MENTAL_HEALTH_PROFESSIONAL", "SOCIAL_WORKER", "PEER_SUPPORT_SPECIALIST",
                         "SUBSTANCE_USE_COUNSELOR", "MEDICAL", "OTHER", "NONE"]


class AgencyProgramPublished(_Event):
    """An agency runs a crisis-response program: with CO_RESPONDER, social workers or mental-health
    professionals respond alongside its officers (Sec. 4(b))."""

    type: Literal["agency_program.published"]
    sourceId: Str200
    agencyOri: Ori
    kind: ProgramKind
    partnerType: ProgramPartner
    startDate: date
    endDate: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> AgencyProgramPublished:
        if self.endDate is not None and self.endDate < self.startDate:
            raise ValueError("endDate is before startDate")
        return self


class AgencyProgramEnded(_Event):
    type: Literal["agency_program.ended"]
    programSourceId: Str200
    endDate: date
    reason: Note | None = None


class LinkConfirmed(_Event):
    """A reviewer confirms a proposed identity link: the two registry IDs are one person (merge)."""

    type: Literal["identity.link_confirmed"]
    proposalId: Annotated[int, Field(ge=1)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class LinkRejected(_Event):
    """A reviewer rejects a proposed identity link: two different people."""

    type: Literal["identity.link_rejected"]
    proposalId: Annotated[int, Field(ge=1)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


PROGRAM_EVENTS = (AgencyProgramPublished, AgencyProgramEnded)
ACCREDITATION_EVENTS = (
    CredentialingBodyCertified, CredentialingBodySuspended, CredentialingBodyWithdrawn,
    AgencyCredentialPublished, AgencyCredentialStatusChanged, NothingToReport, SubmissionStatement,
)


Event = Annotated[
    CertificationIssued | CertificationStatusChanged | EmploymentStarted | EmploymentEnded
    | RecordPublished | RecordStatusChanged | RecordCorrected | RecordAffirmed
    | CredentialingBodyCertified | CredentialingBodySuspended | CredentialingBodyWithdrawn
    | AgencyCredentialPublished | AgencyCredentialStatusChanged | NothingToReport | SubmissionStatement
    | LinkConfirmed | LinkRejected | AgencyProgramPublished | AgencyProgramEnded,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
EVENT_TYPES = (
    "certification.issued", "certification.status_changed", "employment.started", "employment.ended",
    "record.published", "record.status_changed", "record.corrected", "record.affirmed",
    "credentialing_body.certified", "credentialing_body.suspended", "credentialing_body.withdrawn",
    "agency_credential.published", "agency_credential.status_changed", "reporting.nothing_to_report",
    "reporting.submitted",
    "identity.link_confirmed", "identity.link_rejected", "agency_program.published", "agency_program.ended",
)
