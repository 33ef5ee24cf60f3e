"""Credential verification for partners: status by number, with a signed attestation.

``verifyCredential(state, number)`` is the partner-facing root field ("status by number" in the
SPEC); ``Certification.attestation`` gives the same attestation to whoever may read the officer's
certification (then with ``officerId``), through the usual purpose check and query log.
Who sees which attestation is decided by ``auth.policy`` (ROWS and FIELDS of CredentialAttestation).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from auth import policy
from auth.policy import Guard
from credentials import attestation
from resolvers import search
from schema import enums
from schema.partner_types import CredentialAttestation
from store import certifications as cert_store
from store.models import CertificationRow


def attest(ctx: Any, row: CertificationRow, guard: Guard, *, officer_id: str | None = None) -> CredentialAttestation:
    """Sign what the caller may see of one certification: status by number, never a name or birth date."""
    facts: dict[str, Any] = {
        "sub": row.id, "state": row.state, "number": row.number, "kind": row.kind, "status": row.status,
        "expiresOn": row.expires_on.isoformat() if row.expires_on else None,
    }
    if officer_id is not None:
        facts["officerId"] = officer_id
    signed = attestation.issue(ctx.services.attestation_key, ctx.settings.attestation_issuer, facts)
    return CredentialAttestation(
        state=row.state, number=row.number, kind=enums.CertificationKind(row.kind),
        status=enums.CertificationStatus(row.status), expires_on=row.expires_on, checked_at=signed.issued_at,
        valid_until=signed.expires_at, kid=signed.kid, jws=signed.jws, sd_jwt=signed.sd_jwt, guard=guard,
    )


def attest_certification(ctx: Any, row: CertificationRow, guard: Guard) -> CredentialAttestation | None:
    """``Certification.attestation``: the caller already reads the certification, so it may know the officer."""
    if not policy.row_visible("CredentialAttestation", ctx.principal, guard):
        return None
    return attest(ctx, row, guard, officer_id=row.officer_id)


def _guard(row: CertificationRow) -> Guard:
    return Guard(officer_id=row.officer_id, publisher_id=row.publisher_id)


@strawberry.type
class PartnerQuery:
    @strawberry.field(description="Verify a state certification by number: its current status and a signed, "
                                  "10-minute attestation (JWS and SD-JWT). No personal data.")
    async def verify_credential(self, info: Info, state: str, number: str) -> list[CredentialAttestation]:
        ctx = info.context
        search.check_state(state)
        rows = await cert_store.by_number(ctx.pool, state.upper(), number.strip())
        visible = [r for r in rows if policy.row_visible("CredentialAttestation", ctx.principal, _guard(r))]
        return [attest(ctx, r, _guard(r)) for r in visible]
