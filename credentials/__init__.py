"""Credentials a partner verifies offline: what the registry attests about one certification.

``attestation`` issues and verifies the signed attestations (a compact JWS and an RFC 9901 SD-JWT, both
Ed25519 under the registry's attestation key); ``sd_jwt`` is the selective-disclosure format itself;
``presentation`` is the holder's side, choosing which claims a third party sees.
"""
