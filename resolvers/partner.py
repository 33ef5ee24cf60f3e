"""Credential verification for partners: status by number, with a signed attestation.

``verifyCredential(state, number)`` is the partner-facing root field ("status by number" in the
SPEC); ``Certification.attestation`` gives the same attestation to whoever may read the officer's
certification (then with ``officerId``), through the usual purpose check and query log.
Who sees which attestation is decided by ``auth.policy`` (ROWS and FIELDS of CredentialAttestation).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from auth import policy
from auth.policy import Guard
from credentials import attestation, sd_jwt
from registry.errors import BadInput
from resolvers import ledger, search
from resolvers.query import PurposeArg
from schema import enums
from schema.partner_types import CredentialAttestation, PresentationCheck
from store import certifications as cert_store
from store.models import CertificationRow

HOLDER_KEY_HELP = ("Bind the attestation to your public key (a JWK, Ed25519 or P-256): its SD-JWTs then carry cnf and "
                   "no bearer JWS is issued; present them with a Key Binding JWT (`registry present-credential "
                   "--holder-key`).")


def holder_key_arg(value: JSON | None) -> sd_jwt.HolderKey | None:
    """The ``holderKey`` argument as a public key, or BAD_USER_INPUT saying what is wrong with it."""
    if value is None:
        return None
    try:
        return sd_jwt.holder_key(value)
    except sd_jwt.SdJwtError as err:
        raise BadInput(f"holderKey: {err}") from None


async def attest(info: Info, row: CertificationRow, guard: Guard, *, officer_id: str | None = None,
                 holder: sd_jwt.HolderKey | None = None) -> CredentialAttestation:
    """Sign what the caller may see of one certification: status by number, never a name or birth date,
    anchored to the signed event behind the status in the transparency log."""
    ctx = info.context
    facts: dict[str, Any] = {
        "sub": row.id, "state": row.state, "number": row.number, "kind": row.kind, "status": row.status,
        "expiresOn": row.expires_on.isoformat() if row.expires_on else None,
    }
    if officer_id is not None:
        facts["officerId"] = officer_id
    anchor = await ledger.entity_anchor(info, row.id)
    if anchor is not None:
        facts["log"] = anchor
    signed = attestation.issue(ctx.services.attestation_key, ctx.settings.attestation_issuer, facts, holder=holder)
    return CredentialAttestation(
        state=row.state, number=row.number, kind=enums.CertificationKind(row.kind),
        status=enums.CertificationStatus(row.status), expires_on=row.expires_on, checked_at=signed.issued_at,
        valid_until=signed.expires_at, kid=signed.kid, jws=signed.jws, sd_jwt=signed.sd_jwt,
        sd_jwt_vc=signed.sd_jwt_vc, holder_bound=signed.holder_bound, guard=guard,
    )


async def attest_certification(info: Info, row: CertificationRow, guard: Guard,
                               holder: sd_jwt.HolderKey | None = None) -> CredentialAttestation | None:
    """``Certification.attestation``: the caller already reads the certification, so it may know the officer.

    This is how an officer holds their own certification: asked with the officer's token and their key.
    """
    if not policy.row_visible("CredentialAttestation", info.context.principal, guard):
        return None
    return await attest(info, row, guard, officer_id=row.officer_id, holder=holder)


def _guard(row: CertificationRow) -> Guard:
    return Guard(officer_id=row.officer_id, publisher_id=row.publisher_id)


@strawberry.type
class PartnerQuery:
    @strawberry.field(description="Verify a state certification by number: its current status and a signed, "
                                  "10-minute attestation (JWS and SD-JWT). No personal data.")
    async def verify_credential(
        self, info: Info, state: str, number: str,
        holder_key: Annotated[JSON | None, strawberry.argument(description=HOLDER_KEY_HELP)] = None,
        purpose: PurposeArg = None,
    ) -> list[CredentialAttestation]:
        ctx = info.context
        ctx.declare_purpose(purpose.value if purpose else None)
        search.check_state(state)
        holder = holder_key_arg(holder_key)
        rows = await cert_store.by_number(ctx.reads, state.upper(), number.strip())
        visible = [r for r in rows if policy.row_visible("CredentialAttestation", ctx.principal, _guard(r))]
        return [await attest(info, r, _guard(r), holder=holder) for r in visible]

    @strawberry.field(description="Check a presented attestation (JWS, SD-JWT or SD-JWT VC, with or without a Key "
                                  "Binding JWT) against the registry's keys. Give your audience and the nonce you "
                                  "handed the holder; with requireKeyBinding a bearer presentation is not valid.")
    def verify_presentation(self, info: Info, token: str, audience: str | None = None, nonce: str | None = None,
                            require_key_binding: bool = False) -> PresentationCheck:
        ctx = info.context
        if len(token) > 64_000:
            raise BadInput("token: too long")
        keys = ctx.services.attestation_jwks()  # with the keys of a rotation's overlap and those kept after
        try:
            got = attestation.verify(token, keys, issuer=ctx.settings.attestation_issuer, audience=audience,
                                     nonce=nonce, require_binding=require_key_binding)
            if "log" in got.claims:  # shown: its proof must hold too (withheld: nothing to check)
                log_key = ctx.services.log_signer.verifier_key_strings()
                got = replace(got, log=attestation.check_anchor(got.claims, log_key, ctx.settings.log_origin))
        except attestation.AttestationError as err:
            return PresentationCheck(valid=False, error=str(err), form=None, kid=None, claims=None, undisclosed=0,
                                     holder_bound=False, key_bound=False, log_index=None)
        return PresentationCheck(valid=True, error=None, form=got.form, kid=got.kid, claims=cast(JSON, got.claims),
                                 undisclosed=got.undisclosed, holder_bound=got.holder_bound,
                                 key_bound=got.key_binding is not None,
                                 log_index=got.log.index if got.log is not None else None)
