"""GraphQL types for partners: a certification's status with a signed, short-lived attestation."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

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
    jws: str = strawberry.field(
        description="Compact JWS (alg Ed25519, typ registry-attestation+jwt): iss, iat, exp, jti, sub (certification "
                    "ID), state, number, kind, status, expiresOn, and officerId when asked through an officer.")
    sd_jwt: str = strawberry.field(
        description="The same claims as an SD-JWT (RFC 9901, typ registry-attestation+sd-jwt): every claim but iss, "
                    "iat, exp and jti is selectively disclosable; present only the disclosures you choose.")
    guard: strawberry.Private[Guard]
