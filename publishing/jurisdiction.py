"""Who may publish what: a publisher writes only inside its own jurisdiction (SPEC: actors)."""

from __future__ import annotations

from store.models import AgencyRow, PublisherRow

RECORD_KINDS_BY_PUBLISHER = {
    "POST_BOARD": frozenset({"DECERTIFICATION", "SUSPENSION", "CRIMINAL_CONVICTION",
                             "CIVIL_JUDGMENT_USE_OF_FORCE"}),
    "AGENCY": frozenset({"TERMINATION", "RESIGNATION_UNDER_INVESTIGATION", "RETIREMENT_UNDER_INVESTIGATION",
                         "SUSPENSION", "CRIMINAL_CONVICTION", "CIVIL_JUDGMENT_USE_OF_FORCE"}),
    "CREDENTIALING_BODY": frozenset(),
    "CERTIFYING_AUTHORITY": frozenset(),
}


def check_certification(publisher: PublisherRow, state: str) -> str | None:
    if publisher.kind != "POST_BOARD":
        return "only a state POST board publishes certifications"
    if state != publisher.state:
        return f"{publisher.name} publishes certifications for {publisher.state} only, not {state}"
    return None


def check_employment(publisher: PublisherRow, agency: AgencyRow) -> str | None:
    if publisher.kind == "AGENCY":
        if agency.ori != publisher.agency_ori:
            return f"{publisher.name} publishes employment for its own agency {publisher.agency_ori} only"
        return None
    if publisher.kind == "POST_BOARD":
        if agency.state != publisher.state:
            return f"{publisher.name} publishes employment for agencies in {publisher.state} only"
        return None
    return "a credentialing body does not publish employment"


def check_record(publisher: PublisherRow, kind: str, state: str, agency: AgencyRow | None) -> str | None:
    if kind not in RECORD_KINDS_BY_PUBLISHER[publisher.kind]:
        return f"a {publisher.kind.replace('_', ' ').lower()} does not publish {kind} records"
    if publisher.kind == "POST_BOARD" and state != publisher.state:
        return f"{publisher.name} publishes records for {publisher.state} only, not {state}"
    if publisher.kind == "POST_BOARD" and agency is not None and agency.state != publisher.state:
        return f"{publisher.name} may name agencies in {publisher.state} only, not {agency.ori}"
    if publisher.kind == "AGENCY":
        if agency is None or agency.ori != publisher.agency_ori:
            return f"{publisher.name} publishes records for its own agency {publisher.agency_ori} only"
        if state != agency.state:
            return f"the record's state {state} is not the agency's state {agency.state}"
    return None


# --- EO 13929 Sec. 2 and 3(d) (publishing/accreditation.py) ----------------------------------------------

def check_body_decision(publisher: PublisherRow, submitted_by_auditor: bool) -> str | None:
    """The Attorney General's certification decisions: signed with a certifying authority's key and
    submitted by an auditor (who acts for the Attorney General)."""
    if publisher.kind != "CERTIFYING_AUTHORITY":
        return "only the Attorney General's certifying authority certifies, suspends or withdraws credentialing bodies"
    if not submitted_by_auditor:
        return "certification decisions are submitted by an auditor acting for the Attorney General"
    return None


def check_agency_credential(publisher: PublisherRow) -> str | None:
    if publisher.kind != "CREDENTIALING_BODY":
        return "only a credentialing body publishes agency credentials"
    return None


def check_reporting(publisher: PublisherRow, agency: AgencyRow) -> str | None:
    """A "nothing to report" attestation comes from the agency itself or from its state's POST board."""
    if publisher.kind == "AGENCY" and agency.ori == publisher.agency_ori:
        return None
    if publisher.kind == "POST_BOARD" and agency.state == publisher.state:
        return None
    return (f"{publisher.name} may not attest for {agency.ori}: only the agency's own publisher or its state's "
            "POST board may")


# --- EO 13929 Sec. 4 (publishing/programs.py) --------------------------------------------------------

def check_program(publisher: PublisherRow, agency: AgencyRow, credentialed_by: frozenset[str]) -> str | None:
    """An agency's crisis-response program is published by the agency itself or by a credentialing body
    that holds (or held) a credential record for it; ``credentialed_by`` are those bodies' IDs."""
    if publisher.kind == "AGENCY" and agency.ori == publisher.agency_ori:
        return None
    if publisher.kind == "CREDENTIALING_BODY" and publisher.id in credentialed_by:
        return None
    return (f"{publisher.name} may not publish programs of {agency.ori}: only the agency's own publisher or a "
            "credentialing body with a credential for the agency may")
