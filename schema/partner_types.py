"""GraphQL types for partners: a certification's status with a signed, short-lived attestation."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.scalars import JSON

from auth.policy import Guard
from schema import enums


@strawberry.type(description="A certification's current status, with the registry's signed attestation of it "
                             "(no name, no date of birth). Verify it offline with /.well-known/jwks.json.")
class CredentialAttestation:
    state: str
    number: str
    kind: enums.CertificationKind
    status: enums.CertificationStatus
    expires_on: date | None = strawberry.field(description="When the certification expires (null: no expiry).")
    checked_at: datetime = strawberry.field(description="When the registry read the status (the `iat`).")
    valid_until: datetime = strawberry.field(description="When the attestation expires (the `exp`, 10 minutes).")
    kid: str = strawberry.field(description="The `kid` of the registry attestation key that signed it.")
    jws: str | None = strawberry.field(
        description="Compact JWS (alg Ed25519, typ registry-attestation+jwt): iss, iat, exp, jti, sub (certification "
                    "ID), state, number, kind, status, expiresOn, log (the signed event behind the status with its "
                    "inclusion proof in the transparency log), and officerId when asked through an officer. A "
                    "bearer token, so null when the attestation is bound to a holder key.")
    sd_jwt: str = strawberry.field(
        description="The same claims as an SD-JWT (RFC 9901, typ registry-attestation+sd-jwt): every claim but iss, "
                    "iat, exp and jti is selectively disclosable; present only the disclosures you choose.")
    sd_jwt_vc: str = strawberry.field(
        description="The same facts as an SD-JWT VC for wallets and OpenID4VP (typ dc+sd-jwt, vct "
                    "urn:us:officer-registry:certification-status:1; the status is `certificationStatus`). Keys: "
                    "/.well-known/jwt-vc-issuer.")
    holder_bound: bool = strawberry.field(
        description="Bound to the holderKey you gave (cnf): verifiers can demand a Key Binding JWT by that key.")
    guard: strawberry.Private[Guard]


@strawberry.type(description="The registry's check of an attestation presentation (the same checks as `registry "
                             "verify-credential`). Anyone can do it offline with /.well-known/jwks.json; this saves a "
                             "partner the code.")
class PresentationCheck:
    valid: bool
    error: str | None = strawberry.field(description="Why it is not valid (null when valid).")
    form: str | None = strawberry.field(description="jws, sd-jwt or dc+sd-jwt.")
    kid: str | None
    claims: JSON | None = strawberry.field(description="The claims the holder disclosed, with iss, iat, exp, jti.")
    undisclosed: int = strawberry.field(description="Digests not disclosed: withheld claims or decoys.")
    holder_bound: bool = strawberry.field(description="The credential names a holder key (cnf).")
    key_bound: bool = strawberry.field(
        description="A Key Binding JWT by that key, over this presentation, for your audience and nonce, was checked.")
    log_index: int | None = strawberry.field(
        description="When the log claim is shown: the log entry behind the status, its inclusion proof checked "
                    "against the registry's signed checkpoint.")
