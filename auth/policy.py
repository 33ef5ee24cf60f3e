"""The one field-access policy (SPEC: Field visibility). Deny by default.

``ROWS`` says who may see an object of a type at all (an invisible row is absent);
``FIELDS`` says, for every field of every type, who may read it (a denied field is null plus a
FORBIDDEN error). Both are enforced by ``auth.enforce`` on every path — root fields, nested
fields, connections and federation ``_entities`` — so no resolver carries its own role checks.
A test walks the schema and fails on any field missing here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from auth.principal import Principal, Role


@dataclass(frozen=True, slots=True)
class Guard:
    """What the policy needs to know about an object: whose data it is and who published it."""

    officer_id: str | None
    publisher_id: str | None = None
    publisher_ids: frozenset[str] = frozenset()
    status: str | None = None
    fair_process_attested: bool = False


@dataclass(frozen=True, slots=True)
class AgencyGuard:
    """An agency's own (unpublished) figures: which agency, and which publishers act for or credential it."""

    agency_ori: str
    publisher_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Grant:
    """A named condition under which a caller may read; ``name`` is what the docs and tests show. ``roles``:
    for a condition on the caller's role alone, the roles it admits (so ``Access`` decides it by a set lookup)."""

    name: str
    test: Callable[[Principal, Any], bool]
    roles: frozenset[Role] | None = None

    def __or__(self, other: Grant | Access) -> Access:
        return Access((self,)) | other

    def allows(self, who: Principal, obj: Any) -> bool:
        try:
            return self.test(who, obj)
        except AttributeError:  # a condition on an object, asked about no object: deny
            return False


@dataclass(frozen=True)
class Access:
    grants: tuple[Grant, ...]
    #: the roles admitted whatever the object, and the grants that look at the object: read on every field of
    #: every answer, so decided by a set lookup first
    _roles: frozenset[Role] = field(init=False, repr=False, compare=False)
    _conditions: tuple[Grant, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_roles", frozenset(r for g in self.grants if g.roles is not None for r in g.roles))
        object.__setattr__(self, "_conditions", tuple(g for g in self.grants if g.roles is None))

    def __or__(self, other: Grant | Access) -> Access:
        more = (other,) if isinstance(other, Grant) else other.grants
        return Access(self.grants + more)

    def allows(self, who: Principal, obj: Any) -> bool:
        if who.role in self._roles:
            return True
        for g in self._conditions:  # noqa: SIM110 (a loop, not any(): asked for every object of every answer)
            if g.allows(who, obj):
                return True
        return False

    @property
    def names(self) -> list[str]:
        return [g.name for g in self.grants]


def _roles(name: str, *roles: Role) -> Grant:
    """A grant on the caller's role alone."""
    admitted = frozenset(roles)
    return Grant(name, lambda who, _obj: who.role in admitted, admitted)


# --- the grants ---------------------------------------------------------------------------
ANYONE = _roles("anyone", *Role)
AUTHENTICATED = _roles("any authenticated caller", *(r for r in Role if r is not Role.PUBLIC))
HIRING = _roles("hiring agency", Role.HIRING_AGENCY)
PARTNER = _roles("partner", Role.PARTNER)
AUDITOR = _roles("auditor", Role.AUDITOR)
ADMIN = _roles("admin", Role.ADMIN)
PUBLISHER = _roles("publisher", Role.PUBLISHER)
OFFICER = _roles("officer", Role.OFFICER)
CREDENTIALING = _roles("credentialing body", Role.CREDENTIALING_BODY)

# Conditions on the object. Every guarded object exposes ``officer_id`` (whose data it is) and,
# where relevant, ``publisher_id`` (who published it) and ``publisher_ids`` (who has published
# about the officer: the publishers whose jurisdiction it falls in).
SELF = Grant("the officer themself",
             lambda w, o: w.role is Role.OFFICER and w.officer_id is not None and w.officer_id == o.officer_id)
OWN_JURISDICTION = Grant(
    "publisher, own jurisdiction",
    lambda w, o: w.role is Role.PUBLISHER and w.publisher_id is not None and w.publisher_id in o.publisher_ids,
)
OWN_RECORDS = Grant(
    "publisher, own records",
    lambda w, o: w.role is Role.PUBLISHER and w.publisher_id is not None and w.publisher_id == o.publisher_id,
)
HIRING_FINAL = Grant(
    "hiring agency, FINAL with fair process attested",
    lambda w, o: w.role is Role.HIRING_AGENCY and o.status == "FINAL" and bool(o.fair_process_attested),
)
ENROLLEE = Grant(
    "the notices' recipient itself (its ORI, partner ID or publisher ID)",
    lambda w, o: (w.role is Role.HIRING_AGENCY and w.agency_ori is not None and o.owner_kind == "AGENCY"
                  and o.owner_id == w.agency_ori)
    or (w.role is Role.PARTNER and w.partner_id is not None and o.owner_kind == "PARTNER"
        and o.owner_id == w.partner_id)
    or (w.role is Role.PUBLISHER and w.publisher_id is not None and o.owner_kind == "PUBLISHER"
        and o.owner_id == w.publisher_id),
)
AGENCY_ITSELF = Grant(
    "the agency itself (a hiring agency of its ORI, its own publisher) or a credentialing body with a credential "
    "for it",
    lambda w, o: (w.role is Role.HIRING_AGENCY and w.agency_ori is not None and w.agency_ori == o.agency_ori)
    or (w.role in (Role.PUBLISHER, Role.CREDENTIALING_BODY) and w.publisher_id is not None
        and w.publisher_id in o.publisher_ids),
)
NOBODY = Access(())

# --- who may read what ----------------------------------------------------------------------
IDENTITY = SELF | HIRING | OWN_JURISDICTION | AUDITOR          # names, aliases, certifications
RECORD_READERS = SELF | HIRING_FINAL | OWN_RECORDS | AUDITOR    # record summary and narrative
# A dispute's reason and resolution: the officer who filed it, the record's publisher who must answer it, and
# auditors. Hiring agencies see only the record's `disputed` flag (SPEC: record summary).
DISPUTE_READERS = SELF | OWN_RECORDS | AUDITOR
PUBLIC = Access((ANYONE,))
# Who may submit signed events. What each may submit is decided per event (publishing/jurisdiction.py): a
# credentialing body its agency credentials; an auditor, acting for the Attorney General, only certification
# decisions signed with the certifying authority's key (publishing/accreditation.admit).
SUBMITTERS = PUBLISHER | CREDENTIALING | AUDITOR

ROWS: dict[str, Access] = {
    "Officer": IDENTITY,
    "Certification": IDENTITY,
    "Employment": IDENTITY,
    "MisconductRecord": RECORD_READERS,
    "StatusChange": RECORD_READERS,
    "RecordDispute": DISPUTE_READERS,
    "QueryLogEntry": SELF | AUDITOR,
    "LogEntry": OWN_RECORDS | AUDITOR,
    "Notification": Access((SELF,)),
    "CertificationVerification": PARTNER | HIRING | AUDITOR | PUBLISHER,
    "CredentialAttestation": PARTNER | HIRING | AUDITOR | PUBLISHER | SELF,  # status by number; officers own
    "Agency": PUBLIC,
    "Publisher": PUBLIC,
    "PublisherKey": PUBLIC,
    # continuous monitoring: an enrollee sees only its own enrollments, notices, endpoints, deliveries
    **dict.fromkeys(("Enrollment", "MonitoringNotice", "WebhookEndpoint", "WebhookEndpointRegistration",
                     "WebhookDelivery", "WebhookAttempt", "RosterReport", "RosterRow"), Access((ENROLLEE,))),
}


def _all(access: Access, *names: str) -> dict[str, Access]:
    return dict.fromkeys(names, access)


_RECORD_SUMMARY = ("id", "kind", "actionDate", "publisher", "reasonCategory", "status", "disputed",
                   "subjectStatement", "state", "agency", "fairProcessAttested", "statusHistory", "updatedAt")

FIELDS: dict[str, dict[str, Access]] = {
    "Query": {
        "officer": Access((AUTHENTICATED,)),
        "officers": AUDITOR | PUBLISHER,
        "searchOfficers": HIRING | AUDITOR | PUBLISHER,
        "record": Access((AUTHENTICATED,)),
        "verifyCertification": PARTNER | HIRING | AUDITOR | PUBLISHER,
        "verifyCredential": PARTNER | HIRING | AUDITOR | PUBLISHER | OFFICER,  # rows: CredentialAttestation
        "verifyPresentation": PARTNER | HIRING | AUDITOR | PUBLISHER | OFFICER,  # only what the token shows
        "agency": PUBLIC,
        "agencies": PUBLIC,
        "publisher": PUBLIC,
        "publishers": PUBLIC,
        "me": PUBLIC,
        "checkpoint": PUBLIC,
        "consistencyProof": PUBLIC,
        "registryLogKey": PUBLIC,
        "queryLog": Access((AUDITOR,)),
        "logEntries": PUBLISHER | AUDITOR,
        "disputeInbox": PUBLISHER | AUDITOR,
        "_entities": PUBLIC,      # every entity is then checked by ROWS and FIELDS like any other path
        "_service": Access((AUTHENTICATED,)),
    },
    "Mutation": {
        "publishEvents": SUBMITTERS,
        "addStatement": Access((OFFICER,)),
        "openDispute": Access((OFFICER,)),
        "registerAgency": Access((ADMIN,)),
        "registerPublisher": Access((ADMIN,)),
        "addPublisherKey": Access((ADMIN,)),
        "revokePublisherKey": Access((ADMIN,)),
    },
    "_Service": {"sdl": Access((AUTHENTICATED,))},
    "Viewer": _all(PUBLIC, "role", "subject", "officerId", "agencyOri", "publisherId", "partnerId"),
    "Officer": {
        "id": IDENTITY,
        "names": IDENTITY,
        "primaryName": IDENTITY,
        "dateOfBirth": IDENTITY,
        "certifications": IDENTITY,
        "employment": IDENTITY,
        "records": SELF | HIRING | OWN_JURISDICTION | AUDITOR,  # rows then filtered by RECORD_READERS
        "queryLog": SELF | AUDITOR,
        "notifications": Access((SELF,)),
    },
    "PersonName": _all(PUBLIC, "kind", "givenName", "middleName", "familyName", "suffix", "fullName"),
    "Certification": _all(IDENTITY, "id", "state", "number", "kind", "status", "issuedOn", "expiresOn",
                          "statusReason", "publisher", "updatedAt", "attestation"),
    "Employment": _all(IDENTITY, "id", "agency", "position", "startDate", "endDate", "separationReason",
                       "publisher"),
    "MisconductRecord": {
        **_all(RECORD_READERS, *_RECORD_SUMMARY),
        "narrative": RECORD_READERS,
        "caseReference": RECORD_READERS,
        "officer": RECORD_READERS,
        "disputes": DISPUTE_READERS,
        "events": RECORD_READERS,
        "proof": RECORD_READERS,
        "bundle": RECORD_READERS,
    },
    "StatusChange": _all(RECORD_READERS, "fromStatus", "toStatus", "fairProcessAttested", "reason", "changedAt"),
    "RecordDispute": _all(DISPUTE_READERS, "id", "recordId", "reason", "openedAt", "ageDays", "resolution",
                          "resolutionReason", "resolvedAt", "record"),
    "QueryLogEntry": _all(SELF | AUDITOR, "id", "actorRole", "actorSubject", "actorOrganization",
                          "actorOrganizationName", "purpose", "returned", "queriedAt", "officerId"),
    "Notification": _all(Access((SELF,)), "id", "kind", "message", "recordId", "createdAt"),
    "CredentialAttestation": _all(PARTNER | HIRING | AUDITOR | PUBLISHER | SELF, "state", "number", "kind",
                                  "status", "expiresOn", "checkedAt", "validUntil", "kid", "jws", "sdJwt", "sdJwtVc",
                                  "holderBound"),
    "PresentationCheck": _all(PARTNER | HIRING | AUDITOR | PUBLISHER | OFFICER, "valid", "error", "form", "kid",
                              "claims", "undisclosed", "holderBound", "keyBound", "logIndex"),
    "CertificationVerification": _all(PARTNER | HIRING | AUDITOR | PUBLISHER, "state", "number", "kind",
                                      "status", "expiresOn", "checkedAt"),
    "OfficerMatch": _all(HIRING | AUDITOR | PUBLISHER, "officer", "score", "reasons", "strong"),
    "Agency": _all(PUBLIC, "ori", "name", "state", "level"),
    "Publisher": _all(PUBLIC, "id", "kind", "name", "state", "agencyOri", "keys"),
    "PublisherKey": _all(PUBLIC, "kid", "publicJwk", "validFrom", "revokedAt"),
    "PublishResult": _all(SUBMITTERS, "committed", "accepted", "duplicates", "rejected", "results"),
    "EventResult": _all(SUBMITTERS, "index", "status", "eventType", "eventId", "entityId",
                        "officerId", "logIndex", "code", "message"),
    "PageInfo": _all(PUBLIC, "hasNextPage", "endCursor"),
    # Reached only through a record the caller may read, or carrying hashes and signatures only.
    "SignedEvent": _all(PUBLIC, "jws", "logIndex", "acceptedAt", "type", "expunged", "superseded"),
    "LogProof": _all(PUBLIC, "logIndex", "leafHash", "treeSize", "inclusionProof", "checkpoint"),
    "ConsistencyProof": _all(PUBLIC, "oldSize", "newSize", "proof", "oldRoot", "newRoot"),
    # What was logged in a publisher's name: for that publisher's own monitor, and auditors.
    "LogEntry": _all(OWN_RECORDS | AUDITOR, "logIndex", "leafHash", "kid", "eventId", "type", "publisherId"),
}

# Connections and edges carry no data of their own: their nodes are checked by ROWS and FIELDS.
for _node in ("Officer", "Certification", "Employment", "MisconductRecord", "QueryLogEntry", "Agency",
              "Notification", "RecordDispute"):
    FIELDS[f"{_node}Connection"] = _all(PUBLIC, "edges", "pageInfo", "totalCount")
    FIELDS[f"{_node}Edge"] = _all(PUBLIC, "cursor", "node")

# Continuous monitoring (hiring agencies and partners enroll officers). Publishers receive notices about their
# own records (disputes, statements) through the same notices, subscription and webhooks, but enroll nobody.
# Every row is the caller's own (ENROLLEE); what a notice *contains* is decided by the rows above, asked for
# the recipient (monitoring/payloads.py).
MONITORS = HIRING | PARTNER
NOTICE_READERS = MONITORS | PUBLISHER
_OWN = Access((ENROLLEE,))
FIELDS["Query"].update({
    "enrollments": MONITORS,
    **_all(NOTICE_READERS, "monitoringNotices", "webhookEndpoints", "webhookDeliveries", "deadLetters",
           "webhookDelivery"),
    "webhookSigningKey": PUBLIC,
})
FIELDS["Mutation"].update({
    **_all(MONITORS, "enrollOfficer", "removeEnrollment"),
    **_all(NOTICE_READERS, "registerWebhookEndpoint", "removeWebhookEndpoint", "sendTestWebhook",
           "replayDeadLetter", "replayDeadLetters"),
    **_all(MONITORS, "enrollRoster", "enrollByCertification"),
})
FIELDS["Subscription"] = {"monitoringNotices": NOTICE_READERS}


# --- what a caller may send: input fields and enum values (deny by default, like FIELDS) -----------------
#: For every field of every input type, who may send it (a value other than null). A field not listed here
#: is refused to everyone: adding an input field means deciding who may use it, here.
INPUTS: dict[str, dict[str, Access]] = {
    "OfficerSearchInput": _all(HIRING | AUDITOR | PUBLISHER, "givenName", "middleName", "familyName",
                               "dateOfBirth", "state", "certificationNumber", "ssn"),
    # an SSN goes only with a publisher's own signed events (write-only, kept as a keyed blind index)
    "EventSubmission": {"jws": SUBMITTERS, "ssn": Access((PUBLISHER,))},
    "UploadBatch": _all(SUBMITTERS, "id", "position"),  # the order of a submitter's own batches
    "AgencyInput": _all(Access((ADMIN,)), "ori", "name", "state", "level"),
    "PublisherInput": _all(Access((ADMIN,)), "id", "kind", "name", "state", "agencyOri"),
    "WebhookEndpointInput": _all(NOTICE_READERS, "url", "scheme", "description"),
}
_ANY_CALLER = Access((ANYONE,))  # the field that takes the value decides who may call it
#: The roles whose reads go into the officer's query log, with the purpose they declare.
LOGGED_ROLES = frozenset({Role.HIRING_AGENCY, Role.PARTNER, Role.AUDITOR})
_UNLOGGED = _roles("a role whose reads are not logged (its purpose is recorded nowhere)",
                   *(r for r in Role if r not in LOGGED_ROLES))
#: For every value of every enum a caller can send, who may send it. A purpose is a statement written into
#: the officer's query log, so each names the roles for which it is true.
ENUM_VALUES: dict[str, dict[str, Access]] = {
    "QueryPurpose": {
        "PRE_EMPLOYMENT_BACKGROUND_CHECK": HIRING | PARTNER | AUDITOR | _UNLOGGED,
        "CONTINUOUS_MONITORING": HIRING | PARTNER | AUDITOR | _UNLOGGED,
        "CREDENTIAL_VERIFICATION": HIRING | PARTNER | AUDITOR | _UNLOGGED,
        "OVERSIGHT_AUDIT": AUDITOR | _UNLOGGED,
        "LITIGATION_HOLD": AUDITOR | _UNLOGGED,
        "CERTIFICATION_ACTION": AUDITOR | _UNLOGGED,
    },
    "CoverageBreakdown": _all(_ANY_CALLER, "TOTAL", "STATE", "SIZE_BAND"),
    "DisputeState": _all(_ANY_CALLER, "OPEN", "ALL"),
    "JurisdictionLevel": _all(_ANY_CALLER, "FEDERAL", "STATE", "LOCAL", "TRIBAL", "TERRITORIAL"),
    "LinkProposalStatus": _all(_ANY_CALLER, "PENDING", "CONFIRMED", "REJECTED"),
    "PublisherKind": _all(_ANY_CALLER, "POST_BOARD", "AGENCY", "CREDENTIALING_BODY", "CERTIFYING_AUTHORITY"),
    "StatisticsDimension": _all(_ANY_CALLER, "STATE", "YEAR", "RECORD_KIND", "REASON_CATEGORY"),
    "WebhookDeliveryState": _all(_ANY_CALLER, "PENDING", "DELIVERED", "DEAD", "CANCELLED"),
    "WebhookScheme": _all(_ANY_CALLER, "V1A", "V1"),
}


def input_access(type_name: str, name: str) -> Access:
    """Who may send input field (or enum value) ``name`` of ``type_name``; nobody if it is not listed."""
    table = INPUTS if type_name in INPUTS else ENUM_VALUES
    return table.get(type_name, {}).get(name, NOBODY)
FIELDS.update({
    "Enrollment": _all(_OWN, "id", "officerId", "createdAt", "createdBy"),
    "MonitoringNotice": _all(_OWN, "id", "cursor", "type", "officerId", "enrollmentId", "occurredAt", "data"),
    "WebhookEndpoint": _all(_OWN, "id", "url", "scheme", "description", "createdAt", "disabledAt",
                            "disabledReason"),
    "WebhookEndpointRegistration": _all(_OWN, "endpoint", "secret", "publicKey"),
    "WebhookDelivery": _all(_OWN, "id", "webhookId", "endpointId", "eventType", "state", "attempts",
                            "nextAttemptAt", "lastStatusCode", "lastError", "createdAt", "deliveredAt", "deadAt",
                            "attemptLog"),
    "WebhookAttempt": _all(_OWN, "attempt", "worker", "startedAt", "finishedAt", "statusCode", "error", "retryAt"),
    "RosterReport": _all(_OWN, "enrolled", "alreadyEnrolled", "notEnrolled", "rows"),
    "RosterRow": _all(_OWN, "line", "status", "officerId", "enrollmentId", "reason"),
    "WebhookSigningKey": _all(PUBLIC, "publicKey", "jwk", "kid"),
})
for _node in ("Enrollment", "MonitoringNotice", "WebhookDelivery"):
    FIELDS[f"{_node}Connection"] = _all(PUBLIC, "edges", "pageInfo", "totalCount")
    FIELDS[f"{_node}Edge"] = _all(PUBLIC, "cursor", "node")

# EO 13929 Sec. 2 and 3(c)-(d) (resolvers/accreditation.py). Accreditation, eligibility and the aggregated
# statistics are public; how an agency's Sec. 3(b) information was submitted (how many records, or which
# publisher attested nothing to report) and who submitted a certification decision are for auditors only.
FIELDS["Query"].update({
    **_all(PUBLIC, "credentialingBodies", "credentialingBody", "agencyCredentials", "grantEligibility",
           "publicStatistics"),
    "grantEligibilityReport": Access((AUDITOR,)),  # also guards /reports/grant-eligibility.csv
})
FIELDS.update({
    "CredentialingBody": _all(PUBLIC, "id", "name", "status", "standardsVersion", "history", "publisher"),
    "CredentialingBodyDecision": {
        **_all(PUBLIC, "status", "standardsVersion", "effectiveOn", "validUntil", "reason", "certifyingAuthority",
               "recordedAt", "logIndex"),
        "submittedBy": Access((AUDITOR,)),
    },
    "AgencyCredential": _all(PUBLIC, "id", "agencyOri", "agency", "body", "status", "statusDate", "expiresOn",
                             "policyAdheresToLaw", "chokeholdsProhibitedExceptWhereDeadlyForceAllowed",
                             "topicsReviewed", "standardsVersion", "updatedAt", "history"),
    "AgencyCredentialChange": _all(PUBLIC, "status", "statusDate", "expiresOn", "policyAdheresToLaw",
                                   "chokeholdsProhibitedExceptWhereDeadlyForceAllowed", "topicsReviewed",
                                   "standardsVersion", "reason", "recordedAt", "logIndex"),
    "GrantEligibility": {
        **_all(PUBLIC, "ori", "year", "periodStart", "periodEnd", "eligible", "credentialRequirementMet",
               "submissionRequirementMet", "reasons", "agency", "qualifyingCredential"),
        **_all(Access((AUDITOR,)), "recordsSubmitted", "nothingToReportAttestedBy", "submissionAttestedBy"),
    },
    "PublicStatistics": _all(PUBLIC, "basis", "minimumCellSize", "generatedAt", "cells"),
    "StatisticsCell": _all(PUBLIC, "state", "year", "kind", "reasonCategory", "count", "suppressed"),
})

# EO 13929 Sec. 4(b) (resolvers/training.py): programs and the aggregated coverage are public; an agency's own
# coverage (unsuppressed counts of its roster) is for the agency itself, its credentialing bodies and auditors.
AGENCY_READERS = AGENCY_ITSELF | AUDITOR
ROWS["AgencyTrainingCoverage"] = AGENCY_READERS
FIELDS["Query"].update({
    **_all(PUBLIC, "trainingCoverage", "agencyPrograms"),
    "agencyTrainingCoverage": HIRING | PUBLISHER | CREDENTIALING | AUDITOR,  # rows: AgencyTrainingCoverage
})
FIELDS["GrantEligibility"].update(_all(PUBLIC, "informationalReasons", "trainingCoverage"))  # rows decide the latter
FIELDS.update({
    "TrainingCoverage": _all(PUBLIC, "basis", "minimumCellSize", "generatedAt", "firstYear", "lastYear", "rows"),
    "TrainingCoverageRow": _all(PUBLIC, "state", "sizeBand", "year", "activeOfficers", "currentCrisisTraining",
                                "shareCurrent", "suppressed", "coResponderAgencies", "crisisProgramAgencies"),
    "AgencyProgram": _all(PUBLIC, "id", "agencyOri", "kind", "partnerType", "startDate", "endDate", "endReason",
                          "publisherId", "logIndex"),
    "AgencyTrainingCoverage": _all(AGENCY_READERS, "ori", "on", "activeOfficers", "currentCrisisTraining",
                                   "shareCurrent", "sizeBand", "programs", "reason"),
})
FIELDS["Certification"]["refresherMonths"] = IDENTITY

# Identity review queue (resolvers/review.py): a proposal shows both sides' identity to the publishers that
# published about either officer (they must judge whether it is one person) and to auditors.
REVIEWERS = OWN_JURISDICTION | AUDITOR
ROWS["LinkProposal"] = REVIEWERS
FIELDS["Query"]["linkProposals"] = PUBLISHER | AUDITOR
FIELDS.update({
    "LinkProposal": _all(REVIEWERS, "id", "score", "reasons", "status", "createdAt", "decidedAt", "decisionReason",
                         "officer", "candidate", "proposedBy", "decidedBy"),
    "ProposalParty": _all(REVIEWERS, "registryId", "names", "dateOfBirth", "certificationNumbers"),
    "LinkProposalConnection": _all(PUBLIC, "edges", "pageInfo", "totalCount"),
    "LinkProposalEdge": _all(PUBLIC, "cursor", "node"),
})

# Reading any of these about an officer, as a role in LOGGED_ROLES, needs a declared purpose and is logged: every
# field, ``__typename``, and the connections and edges that carry them (a count or a cursor is a disclosure too).
# A partner's or hiring agency's status check by number is such a read about the officer who holds the number.
DISCLOSED_TYPES = frozenset({"Officer", "Certification", "Employment", "MisconductRecord", "OfficerMatch",
                             "CredentialAttestation", "CertificationVerification"})
# Root fields whose very answer (found or not, how many) tells about officers: a logged role declares its
# purpose before they run, so that no existence answer comes without a purpose.
PURPOSE_ROOT_FIELDS = frozenset({"officer", "officers", "searchOfficers", "record", "_entities",
                                 "verifyCredential", "verifyCertification"})


def field_access(type_name: str, field_name: str) -> Access:
    return FIELDS.get(type_name, {}).get(field_name, NOBODY)


def row_visible(type_name: str, who: Principal, obj: Any) -> bool:
    return ROWS.get(type_name, NOBODY).allows(who, obj)
