"""EO 13929 Sec. 2 and 3(d): credentialing-body decisions, agency credentials and their history,
"nothing to report" attestations, and the per-agency submission counts grant eligibility reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from store.models import PublisherRow, fetch_grouped, row_to


@dataclass(frozen=True, slots=True)
class BodyDecisionRow:
    id: int
    body_id: str
    status: str
    standards_version: str
    effective_on: date
    valid_until: date | None
    reason: str | None
    authority_id: str
    submitted_by: str
    recorded_at: datetime
    log_index: int


@dataclass(frozen=True, slots=True)
class CredentialRow:
    id: str
    body_id: str
    source_id: str
    agency_ori: str
    status: str
    status_date: date
    expires_on: date | None
    policy_adheres_to_law: bool
    chokeholds_prohibited: bool
    topics_reviewed: tuple[str, ...]
    standards_version: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CredentialChangeRow:
    id: int
    credential_id: str
    status: str
    status_date: date
    expires_on: date | None
    policy_adheres_to_law: bool
    chokeholds_prohibited: bool
    topics_reviewed: tuple[str, ...]
    standards_version: str
    reason: str | None
    recorded_at: datetime
    log_index: int


@dataclass(frozen=True, slots=True)
class AttestationRow:
    agency_ori: str
    reporting_year: int
    publisher_id: str
    statement: str | None
    recorded_at: datetime
    kind: str = "NOTHING_TO_REPORT"  # or SUBMITTED: the agency's annual Sec. 3(d) statement


_DECISION = """SELECT d.id, d.body_id, d.status::text AS status, d.standards_version, d.effective_on, d.valid_until,
                      d.reason, d.authority_id, d.submitted_by, d.recorded_at, e.log_index
               FROM credentialing_body_decisions d JOIN events e ON e.id = d.event_id"""
_CREDENTIAL = """SELECT id, body_id, source_id, agency_ori, status::text AS status, status_date, expires_on,
                        policy_adheres_to_law, chokeholds_prohibited, topics_reviewed, standards_version, updated_at
                 FROM agency_credentials"""
_CHANGE = """SELECT h.id, h.credential_id, h.status::text AS status, h.status_date, h.expires_on,
                    h.policy_adheres_to_law, h.chokeholds_prohibited, h.topics_reviewed, h.standards_version,
                    h.reason, h.recorded_at, e.log_index
             FROM agency_credential_history h JOIN events e ON e.id = h.event_id"""


def _credential(r: asyncpg.Record) -> CredentialRow:
    return CredentialRow(**{**dict(r), "topics_reviewed": tuple(r["topics_reviewed"])})


def _change(r: asyncpg.Record) -> CredentialChangeRow:
    return CredentialChangeRow(**{**dict(r), "topics_reviewed": tuple(r["topics_reviewed"])})


# -- credentialing bodies --------------------------------------------------------------------------

async def bodies(conn: asyncpg.Connection | asyncpg.Pool) -> list[PublisherRow]:
    rows = await conn.fetch(
        "SELECT id, kind::text AS kind, name, state, agency_ori FROM publishers"
        " WHERE kind = 'CREDENTIALING_BODY' ORDER BY id"
    )
    return [row_to(PublisherRow, r) for r in rows]


async def decisions_by_body_ids(
    conn: asyncpg.Connection | asyncpg.Pool, body_ids: Sequence[str]
) -> list[list[BodyDecisionRow]]:
    """Each body's decisions in effect order (effective date, then the order they were recorded)."""
    return await fetch_grouped(
        conn, BodyDecisionRow,
        f"{_DECISION} WHERE d.body_id = ANY($1::text[]) ORDER BY d.body_id, d.effective_on, d.id", body_ids,
        key="body_id",
    )


async def lock_body(conn: asyncpg.Connection, body_id: str) -> None:
    """Serialize decisions about one body (and credentials checked against it) within a transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('credentialing-body:' || $1))", body_id)


async def insert_decision(
    conn: asyncpg.Connection, *, body_id: str, status: str, standards_version: str, effective_on: date,
    valid_until: date | None, reason: str | None, authority_id: str, submitted_by: str, event_pk: int,
) -> None:
    await conn.execute(
        """INSERT INTO credentialing_body_decisions (body_id, status, standards_version, effective_on, valid_until,
               reason, authority_id, submitted_by, event_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        body_id, status, standards_version, effective_on, valid_until, reason, authority_id, submitted_by, event_pk,
    )


# -- agency credentials ----------------------------------------------------------------------------

async def credential_by_source(conn: asyncpg.Connection, body_id: str, source_id: str) -> CredentialRow | None:
    row = await conn.fetchrow(f"{_CREDENTIAL} WHERE body_id = $1 AND source_id = $2 FOR UPDATE", body_id, source_id)
    return None if row is None else _credential(row)


async def credentials_by_agency_oris(
    conn: asyncpg.Connection | asyncpg.Pool, oris: Sequence[str]
) -> list[list[CredentialRow]]:
    return await fetch_grouped(
        conn, CredentialRow,
        f"{_CREDENTIAL} WHERE agency_ori = ANY($1::text[]) ORDER BY agency_ori, status_date, id", oris,
        key="agency_ori", build=_credential,
    )


async def credentials_by_ids(conn: asyncpg.Connection | asyncpg.Pool, ids: Sequence[str]) -> list[CredentialRow | None]:
    rows = await conn.fetch(f"{_CREDENTIAL} WHERE id = ANY($1::text[])", list(ids))
    found = {r["id"]: _credential(r) for r in rows}
    return [found.get(i) for i in ids]


async def all_credentials(conn: asyncpg.Connection | asyncpg.Pool) -> list[CredentialRow]:
    return [_credential(r) for r in await conn.fetch(f"{_CREDENTIAL} ORDER BY agency_ori, status_date, id")]


async def history_by_credential_ids(
    conn: asyncpg.Connection | asyncpg.Pool, credential_ids: Sequence[str]
) -> list[list[CredentialChangeRow]]:
    """Each credential's statuses in effect order (status date, then the order they were recorded)."""
    return await fetch_grouped(
        conn, CredentialChangeRow,
        f"{_CHANGE} WHERE h.credential_id = ANY($1::text[]) ORDER BY h.credential_id, h.status_date, h.id",
        credential_ids, key="credential_id", build=_change,
    )


async def save_credential(conn: asyncpg.Connection, row: CredentialRow, *, new: bool) -> None:
    values = (row.id, row.body_id, row.source_id, row.agency_ori, row.status, row.status_date, row.expires_on,
              row.policy_adheres_to_law, row.chokeholds_prohibited, list(row.topics_reviewed), row.standards_version)
    if new:
        await conn.execute(
            """INSERT INTO agency_credentials (id, body_id, source_id, agency_ori, status, status_date, expires_on,
                   policy_adheres_to_law, chokeholds_prohibited, topics_reviewed, standards_version)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
            *values,
        )
    else:
        await conn.execute(
            """UPDATE agency_credentials SET status = $5, status_date = $6, expires_on = $7,
                   policy_adheres_to_law = $8, chokeholds_prohibited = $9, topics_reviewed = $10,
                   standards_version = $11, updated_at = now()
               WHERE id = $1 AND body_id = $2 AND source_id = $3 AND agency_ori = $4""",
            *values,
        )


async def add_history(conn: asyncpg.Connection, row: CredentialRow, reason: str | None, event_pk: int) -> None:
    await conn.execute(
        """INSERT INTO agency_credential_history (credential_id, status, status_date, expires_on, policy_adheres_to_law,
               chokeholds_prohibited, topics_reviewed, standards_version, reason, event_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        row.id, row.status, row.status_date, row.expires_on, row.policy_adheres_to_law, row.chokeholds_prohibited,
        list(row.topics_reviewed), row.standards_version, reason, event_pk,
    )


# -- Sec. 3(d) statements ("submitted", "nothing to report") and the records behind them ---------------

async def add_attestation(conn: asyncpg.Connection, *, agency_ori: str, year: int, publisher_id: str,
                          statement: str | None, event_pk: int, kind: str = "NOTHING_TO_REPORT") -> bool:
    """False when this publisher already made a statement (of either kind) for this agency and year."""
    done = await conn.fetchval(
        """INSERT INTO reporting_attestations (agency_ori, reporting_year, publisher_id, statement, event_id, kind)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agency_ori, reporting_year, publisher_id) DO NOTHING
           RETURNING id""",
        agency_ori, year, publisher_id, statement, event_pk, kind,
    )
    return done is not None


async def attestations(conn: asyncpg.Connection | asyncpg.Pool, oris: Sequence[str] | None,
                       year: int) -> dict[str, list[AttestationRow]]:
    rows = await conn.fetch(
        """SELECT agency_ori, reporting_year, publisher_id, statement, recorded_at, kind FROM reporting_attestations
           WHERE reporting_year = $2 AND ($1::text[] IS NULL OR agency_ori = ANY($1::text[]))
           ORDER BY agency_ori, id""",
        None if oris is None else list(oris), year,
    )
    grouped: dict[str, list[AttestationRow]] = defaultdict(list)
    for r in rows:
        grouped[r["agency_ori"]].append(row_to(AttestationRow, r))
    return grouped


async def records_submitted(conn: asyncpg.Connection | asyncpg.Pool, oris: Sequence[str] | None,
                            start: date, end: date) -> dict[str, int]:
    """Misconduct records naming each agency with an action date in [start, end], whatever their due-process
    status (a submission is a submission); expunged records keep no date and so do not count."""
    rows = await conn.fetch(
        """SELECT agency_ori, count(*) AS n FROM misconduct_records
           WHERE agency_ori IS NOT NULL AND ($1::text[] IS NULL OR agency_ori = ANY($1::text[]))
             AND action_date BETWEEN $2 AND $3
           GROUP BY agency_ori""",
        None if oris is None else list(oris), start, end,
    )
    return {r["agency_ori"]: int(r["n"]) for r in rows}
