"""What a new misconduct record, employment or certification must satisfy before it is written, whichever path
writes it (one event at a time in ``publishing.apply``, or set-based in ``publishing.bulk_rows``): one set of rules
for both."""

from __future__ import annotations

from publishing import jurisdiction, lifecycle
from publishing.payloads import CertificationIssued, EmploymentStarted, RecordPublished
from registry.errors import BadInput, Forbidden, NotFound, RegistryError
from store.models import AgencyRow, PublisherRow


def record_refusal(pub: PublisherRow, ev: RecordPublished, agency: AgencyRow | None) -> RegistryError | None:
    """Why ``pub`` may not publish this new record (``agency``: the one its ``agencyOri`` names, looked up), if so."""
    if ev.agencyOri is not None and agency is None:
        return NotFound(f"no agency with ORI {ev.agencyOri} is registered")
    if (reason := jurisdiction.check_record(pub, ev.kind, ev.state, agency)) is not None:
        return Forbidden(reason)
    if not lifecycle.initial_status_allowed(ev.status):
        return BadInput(f"a new record cannot start as {ev.status}")
    if ev.fairProcessAttested and ev.status != "FINAL":
        return BadInput("fair process can be attested only when the record is FINAL")
    return None


def employment_refusal(pub: PublisherRow, ev: EmploymentStarted, agency: AgencyRow | None) -> RegistryError | None:
    """Why ``pub`` may not publish this new employment (``agency``: its ``agencyOri`` looked up), if so."""
    if agency is None:
        return NotFound(f"no agency with ORI {ev.agencyOri} is registered")
    if (reason := jurisdiction.check_employment(pub, agency)) is not None:
        return Forbidden(reason)
    return None


def certification_refusal(pub: PublisherRow, ev: CertificationIssued) -> RegistryError | None:
    """Why ``pub`` may not issue this certification as written, if so (before the registry looks at its rows)."""
    if (reason := jurisdiction.check_certification(pub, ev.state)) is not None:
        return Forbidden(reason)
    if ev.expiresOn is not None and ev.expiresOn < ev.issuedOn:
        return BadInput("expiresOn is before issuedOn")
    return None
