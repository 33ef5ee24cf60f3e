"""Registrations as signed log entries: what they say, how they are signed and checked, and what they add up to.

An admin action that changes who may publish (an agency or a publisher registered, a publisher key registered or
revoked) is a JWS under the registry's admin key (``ledger.admin_key``), typ ``registry-admin+jws``, over the
RFC 8785 JSON of the entry, appended to the same log as publishers' events. The log is then the only source of
publisher keys: an event's signature is checked against the keys logged registrations make (``derive``), never
against the ``publisher_keys`` table, and the tables are compared with what the entries add up to.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from joserfc.jwk import OKPKey

from ledger.events import EventSignatureError, sign_event, verify_event
from ledger.merkle import leaf_hash
from store import registrations
from store.models import AgencyRow, PublisherRow
from store.publishers import PublisherKeyRow

__all__ = ["AGENCY", "KEY_ADDED", "KEY_REVOKED", "PUBLISHER", "TYP", "TYPES", "Registrations", "agency_entry",
           "check_admin_entry", "derive", "key_entry", "logged_key", "publisher_entry", "revocation_entry", "sign",
           "signed_payload", "timestamp", "verified_payloads"]

TYP = "registry-admin+jws"
AGENCY = "registry.agency.registered"
PUBLISHER = "registry.publisher.registered"
KEY_ADDED = "registry.key.registered"
KEY_REVOKED = "registry.key.revoked"
TYPES = (AGENCY, PUBLISHER, KEY_ADDED, KEY_REVOKED)


def timestamp(at: datetime) -> str:
    return at.isoformat()


def agency_entry(row: AgencyRow) -> dict[str, Any]:
    return {"type": AGENCY, "agency": {"ori": row.ori, "name": row.name, "state": row.state, "level": row.level}}


def publisher_entry(row: PublisherRow) -> dict[str, Any]:
    return {"type": PUBLISHER, "publisher": {"id": row.id, "kind": row.kind, "name": row.name, "state": row.state,
                                             "agencyOri": row.agency_ori}}


def key_entry(publisher_id: str, kid: str, jwk: Mapping[str, Any], valid_from: datetime) -> dict[str, Any]:
    return {"type": KEY_ADDED, "publisherId": publisher_id, "kid": kid, "jwk": dict(jwk),
            "validFrom": timestamp(valid_from)}


def revocation_entry(kid: str, revoked_at: datetime) -> dict[str, Any]:
    return {"type": KEY_REVOKED, "kid": kid, "revokedAt": timestamp(revoked_at)}


def sign(entry: Mapping[str, Any], key: OKPKey) -> str:
    return sign_event(entry, key, str(key.kid), typ=TYP)


def check_admin_entry(jws: str, leaf: bytes | None, admin_keys: Mapping[str, OKPKey]) -> str | None:
    """Why this entry is not a registration the registry's admin key signed, or None when it is."""
    if leaf is None:
        return "no leaf is stored for it"
    if leaf_hash(jws.encode("ascii", "replace")) != leaf:
        return "the stored leaf is not the hash of the stored entry"

    def resolve(kid: str) -> OKPKey:
        return admin_keys[kid]

    try:
        entry = verify_event(jws, resolve, typ=TYP)
    except EventSignatureError as err:
        return f"not signed by a registry admin key ({err.code}: {err.message})"
    if entry.payload.get("type") not in TYPES:
        return f"unknown registration type {entry.payload.get('type')!r}"
    return None


def signed_payload(jws: str, admin_keys: Mapping[str, OKPKey] | None) -> dict[str, Any]:
    """The registration a logged JWS signs (its signature checked unless ``admin_keys`` is None); raises
    ``EventSignatureError``."""
    if admin_keys is None:
        return dict(json.loads(base64.urlsafe_b64decode(jws.split(".")[1] + "==")))
    return verify_event(jws, lambda kid: admin_keys[kid], typ=TYP).payload


_VERIFIED: dict[tuple[str, frozenset[str]], dict[str, Any] | None] = {}


def verified_payloads(jws_list: Iterable[str], admin_keys: Mapping[str, OKPKey] | None) -> list[dict[str, Any]]:
    """The registrations that ``jws_list`` (in log order) signs under ``admin_keys``, skipping any that does not
    verify (the audit names those); every one when ``admin_keys`` is None. What the signer and the audits derive
    keys from: the signed bytes, never the payload column. Verified texts are remembered (registrations are few)."""
    out = []
    ring = frozenset(admin_keys) if admin_keys is not None else frozenset()
    for jws in jws_list:
        if admin_keys is None:
            out.append(signed_payload(jws, None))
            continue
        cached = _VERIFIED.get((jws, ring), ...)
        if cached is ...:
            try:
                cached = signed_payload(jws, admin_keys)
            except EventSignatureError:
                cached = None
            _VERIFIED[(jws, ring)] = cached
        if cached is not None:
            out.append(cached)
    return out


@dataclass
class Registrations:
    """What logged registrations add up to: the rows agencies, publishers and publisher_keys must hold."""

    agencies: dict[str, AgencyRow] = field(default_factory=dict)
    publishers: dict[str, PublisherRow] = field(default_factory=dict)
    keys: dict[str, PublisherKeyRow] = field(default_factory=dict)


def derive(payloads: Iterable[Mapping[str, Any]]) -> Registrations:
    """Apply registrations in log order, as the tables apply them (an agency registered again is updated; a
    publisher or kid registered again, or a key revoked twice, was refused and changes nothing)."""
    out = Registrations()
    for p in payloads:
        kind = p.get("type")
        if kind == AGENCY:
            a = p["agency"]
            out.agencies[a["ori"]] = AgencyRow(a["ori"], a["name"], a["state"], a["level"])
        elif kind == PUBLISHER:
            pub = p["publisher"]
            out.publishers.setdefault(pub["id"], PublisherRow(pub["id"], pub["kind"], pub["name"], pub["state"],
                                                             pub["agencyOri"]))
        elif kind == KEY_ADDED:
            out.keys.setdefault(p["kid"], PublisherKeyRow(p["publisherId"], p["kid"], dict(p["jwk"]),
                                                          datetime.fromisoformat(p["validFrom"]), None))
        elif kind == KEY_REVOKED:
            key = out.keys.get(p["kid"])
            if key is not None and key.revoked_at is None:
                out.keys[p["kid"]] = PublisherKeyRow(key.publisher_id, key.kid, key.public_jwk, key.valid_from,
                                                     datetime.fromisoformat(p["revokedAt"]))
    return out


async def logged_key(conn: asyncpg.Connection, kid: str, admin_keys: Mapping[str, OKPKey] | None, *,
                     below: int | None = None) -> PublisherKeyRow | None:
    """A publisher key as its logged registration and revocations (those that verify under ``admin_keys``; all
    when None; those below log index ``below`` when given) make it: how publishing and the checkpoint signer
    resolve a kid, never from the ``publisher_keys`` table."""
    return derive(verified_payloads(await registrations.for_kid(conn, kid, below), admin_keys)).keys.get(kid)
