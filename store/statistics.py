"""The counts behind the public statistics (EO 13929 Sec. 3(c))."""

from __future__ import annotations

import asyncpg

#: Which records are counted: FINAL, with the publisher's attestation that fair process was afforded —
#: the same records a hiring agency may see. Pending, overturned, rescinded and expunged ones never are.
BASIS = "misconduct records that are FINAL and whose publisher attested that fair process was afforded"


async def final_attested_counts(conn: asyncpg.Connection | asyncpg.Pool) -> dict[tuple[str, int, str, str], int]:
    """(state, year of the action, record kind, reason category) -> number of records."""
    rows = await conn.fetch(
        """SELECT state::text AS state, extract(year FROM action_date)::int AS year, kind::text AS kind,
                  coalesce(reason_category::text, 'OTHER') AS reason, count(*) AS n
           FROM misconduct_records
           WHERE status = 'FINAL' AND fair_process_attested AND action_date IS NOT NULL
           GROUP BY 1, 2, 3, 4"""
    )
    return {(r["state"], r["year"], r["kind"], r["reason"]): int(r["n"]) for r in rows}
