"""Registering agencies, publishers and publisher keys: each change applied and logged in one transaction.

``record`` is the only way the registry changes who may publish: it applies the registration to the tables and
appends it, signed by the admin key, to the log, so that both commit or neither. ``apply`` is what the replay
audit re-runs for each logged registration, the same code on the same payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg

from ledger import admin_entries
from ledger.admin_key import AdminKeys
from ledger.events import new_salt
from ledger.log_store import Appender
from store import agencies, publishers
from store import registrations as store
from store.models import AgencyRow, PublisherRow

__all__ = ["AlreadyLogged", "RegistrationRefused", "adopt", "apply", "record"]


class RegistrationRefused(Exception):
    """A logged registration that changes nothing (a key revoked twice): the live registry refused it too."""


async def record(conn: asyncpg.Connection, keys: AdminKeys, entry: Mapping[str, Any], *, by: str) -> int:
    """Apply ``entry`` (from ``ledger.admin_entries``) and log it signed, in the caller's transaction; returns its
    log index. A constraint the tables enforce (a duplicate, a missing agency) raises asyncpg's error, and the
    caller's rollback drops the log entry with the rest."""
    appender = await Appender.open(conn)  # the log's lock first: registrations and events get one order
    payload = {**entry, "by": by, "issuedAt": admin_entries.timestamp(datetime.now(UTC)), "salt": new_salt()}
    await apply(conn, payload)
    index = await _append(conn, appender, keys, payload)
    await appender.flush(conn)
    return index


async def _append(conn: asyncpg.Connection, appender: Appender, keys: AdminKeys, payload: dict[str, Any]) -> int:
    jws = admin_entries.sign(payload, keys.current)
    index, _ = appender.append(jws.encode("ascii"))
    await store.insert(conn, log_index=index, type_=payload["type"], kid=keys.kid, jws=jws, payload=payload)
    return index


class AlreadyLogged(Exception):
    """Registrations are in the log already: adopting the tables again would launder rows written behind the API."""


async def adopt(conn: asyncpg.Connection, keys: AdminKeys, *, by: str) -> dict[str, int]:
    """Once, after upgrading a registry whose registrations predate logged registrations: log every agency,
    publisher and publisher key (and its revocation) as the tables hold them, marked ``adopted``, in one
    transaction. Refused once any registration is logged. Returns the counts by table."""
    async with conn.transaction():
        appender = await Appender.open(conn)
        if await store.any_logged(conn):
            raise AlreadyLogged("registrations are already logged; new ones go through the admin API, and a row "
                                "no logged registration makes is named by `registry audit`")
        stamp = {"by": by, "issuedAt": admin_entries.timestamp(datetime.now(UTC)), "adopted": True}
        counts = {"agencies": 0, "publishers": 0, "publisher_keys": 0, "revocations": 0}

        async def log(entry: dict[str, Any], table: str) -> None:
            await _append(conn, appender, keys, {**entry, **stamp, "salt": new_salt()})
            counts[table] += 1

        for agency in await agencies.all_agencies(conn):
            await log(admin_entries.agency_entry(agency), "agencies")
        for pub in await publishers.all_publishers(conn):
            await log(admin_entries.publisher_entry(pub), "publishers")
        for key in sorted((await publishers.all_keys(conn)).values(), key=lambda k: (k.valid_from, k.kid)):
            await log(admin_entries.key_entry(key.publisher_id, key.kid, key.public_jwk, key.valid_from),
                      "publisher_keys")
            if key.revoked_at is not None:
                await log(admin_entries.revocation_entry(key.kid, key.revoked_at), "revocations")
        await appender.flush(conn)
    return counts


async def apply(conn: asyncpg.Connection, payload: Mapping[str, Any]) -> None:
    kind = payload.get("type")
    if kind == admin_entries.AGENCY:
        a = payload["agency"]
        await agencies.upsert(conn, AgencyRow(a["ori"], a["name"], a["state"], a["level"]))
    elif kind == admin_entries.PUBLISHER:
        p = payload["publisher"]
        await publishers.insert(conn, PublisherRow(p["id"], p["kind"], p["name"], p["state"], p["agencyOri"]))
    elif kind == admin_entries.KEY_ADDED:
        await publishers.add_key(conn, payload["publisherId"], payload["kid"], dict(payload["jwk"]),
                                 datetime.fromisoformat(payload["validFrom"]))
    elif kind == admin_entries.KEY_REVOKED:
        if not await publishers.revoke_key(conn, payload["kid"], datetime.fromisoformat(payload["revokedAt"])):
            raise RegistrationRefused(f"key {payload['kid']} is unknown or already revoked")
    else:
        raise RegistrationRefused(f"unknown registration type {kind!r}")
