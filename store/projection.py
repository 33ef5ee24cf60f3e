"""The registry's state as a projection of the signed log: what the replay audit copies and compares.

``snapshot`` reads the tables the log determines, keyed so that two databases can be compared row by row;
timestamps the registry sets itself and officer-side data that is not logged (statements, disputes, SSN
blind indexes) are left out.
"""

from __future__ import annotations

from typing import Any

import asyncpg

__all__ = ["TABLES", "copy_proposal", "expunged_records", "replayable_events", "snapshot"]

#: table -> (key columns, compared columns, row filter)
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "agencies": (("ori",), ("name", "state", "level"), "TRUE"),
    "publishers": (("id",), ("kind", "name", "state", "agency_ori"), "TRUE"),
    "publisher_keys": (("kid",), ("publisher_id", "public_jwk", "valid_from", "revoked_at"), "TRUE"),
    "officers": (("id",), ("date_of_birth", "merged_into"), "TRUE"),
    "officer_names": (("officer_id", "kind", "normalized"), ("given_name", "middle_name", "family_name", "suffix"),
                      "TRUE"),
    "certifications": (("id",), ("officer_id", "publisher_id", "source_id", "state", "number", "kind", "status",
                                 "issued_on", "expires_on", "status_reason", "refresher_months"), "TRUE"),
    "certification_status_history": (("certification_id", "step"), ("status", "effective_on", "completed_on",
                                                                     "current_through"), "TRUE"),
    "employment": (("id",), ("officer_id", "publisher_id", "source_id", "agency_ori", "position", "start_date",
                             "end_date", "separation_reason"), "TRUE"),
    "misconduct_records": (("id",), ("officer_id", "publisher_id", "source_id", "kind", "state", "agency_ori",
                                     "reason_category", "action_date", "narrative", "case_reference", "status",
                                     "fair_process_attested"), "status <> 'EXPUNGED'"),
    "agency_programs": (("id",), ("publisher_id", "source_id", "agency_ori", "kind", "partner_type", "start_date",
                                  "end_date", "end_reason"), "TRUE"),
    "record_status_history": (("record_id", "step"), ("from_status", "to_status", "fair_process_attested",
                                                      "reason"),
                              "record_id IN (SELECT id FROM misconduct_records WHERE status <> 'EXPUNGED')"),
}


async def snapshot(conn: asyncpg.Connection) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    out: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    for table, (keys, columns, where) in TABLES.items():
        source = table
        if table == "record_status_history":  # its serial ID differs between databases: number the steps
            source = ("(SELECT *, row_number() OVER (PARTITION BY record_id ORDER BY id) AS step "
                      "FROM record_status_history) AS h")
        rows = await conn.fetch(f"SELECT {', '.join(keys + columns)} FROM {source} WHERE {where}")
        out[table] = {tuple(r[k] for k in keys): {c: r[c] for c in columns} for r in rows}
    return out


async def copy_proposal(src: asyncpg.Connection, dst: asyncpg.Connection, proposal_id: int) -> None:
    """A link proposal (made by matching, not logged) that a logged decision is about."""
    row = await src.fetchrow("SELECT id, officer_id, candidate_id, score, reasons, proposed_by, created_at "
                             "FROM link_proposals WHERE id = $1", proposal_id)
    if row is not None:
        await dst.execute("INSERT INTO link_proposals (id, officer_id, candidate_id, score, reasons, proposed_by, "
                          "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING", *tuple(row))


async def replayable_events(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every log entry in log order: events (with their publisher's kind) and registrations (``registration``)."""
    return list(await conn.fetch(
        """SELECT e.log_index, e.jws, e.publisher_id, e.officer_id, e.entity_id, e.type, e.accepted_at,
                  e.payload ->> 'proposalId' AS proposal_id, p.kind AS publisher_kind, false AS registration, e.kid
             FROM events e JOIN publishers p ON p.id = e.publisher_id
           UNION ALL
           SELECT r.log_index, r.jws, NULL, NULL, NULL, r.type, r.accepted_at, NULL, NULL, true, r.kid
             FROM registry_entries r
           ORDER BY log_index"""))


async def expunged_records(conn: asyncpg.Connection) -> set[str]:
    return {r["id"] for r in await conn.fetch("SELECT id FROM misconduct_records WHERE status = 'EXPUNGED'")}
