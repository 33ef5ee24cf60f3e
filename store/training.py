"""The counts behind training coverage (EO 13929 Sec. 4(b)): who was on an agency's roster on a day, and
whose training was current that day (rule: ``publishing.training``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg


@dataclass(frozen=True, slots=True)
class AgencyDay:
    """One agency on one reference day: officers employed there, and how many of them had current training."""

    day: date
    agency_ori: str
    state: str
    active: int
    current: int


async def agency_days(conn: asyncpg.Connection | asyncpg.Pool, days: Sequence[date], kinds: Sequence[str],
                      hidden_ends: Sequence[tuple[str, str]], oris: Sequence[str] | None = None) -> list[AgencyDay]:
    """Every agency (or those of ``oris``) with an officer employed on one of ``days``. An officer counts once
    per agency (whatever the number of employment rows there) and at each agency that employed them; a merged
    officer counts as the person it was merged into.

    ``hidden_ends``: (separation reason, record kind) pairs. An employment that ended for such a reason still
    counts as running unless the officer has a settled record (FINAL, fair process attested) of that kind for
    the agency: until then the end is a fact of a matter still in due process, which counts must not show."""
    rows = await conn.fetch(
        """WITH days AS (SELECT DISTINCT unnest($1::date[]) AS day),
           active AS (
             SELECT DISTINCT d.day, coalesce(o.merged_into, o.id) AS person, e.agency_ori, a.state
               FROM days d
               JOIN employment e ON e.start_date <= d.day
               JOIN officers o ON o.id = e.officer_id
               JOIN agencies a ON a.ori = e.agency_ori
              WHERE ($3::text[] IS NULL OR e.agency_ori = ANY($3::text[]))
                AND (e.end_date IS NULL OR e.end_date >= d.day
                     OR (e.separation_reason::text = ANY($4::text[])
                         AND NOT EXISTS (
                           SELECT 1 FROM misconduct_records r, unnest($4::text[], $5::text[]) AS h(reason, kind)
                            WHERE h.reason = e.separation_reason::text AND r.kind::text = h.kind
                              AND r.officer_id = e.officer_id AND (r.agency_ori IS NULL OR r.agency_ori = e.agency_ori)
                              AND r.status = 'FINAL' AND r.fair_process_attested)))),
           current AS (
             SELECT DISTINCT d.day, coalesce(o.merged_into, o.id) AS person
               FROM days d
               JOIN certifications c ON c.kind::text = ANY($2::text[]) AND c.issued_on <= d.day
               JOIN officers o ON o.id = c.officer_id
               JOIN LATERAL (SELECT h.status, h.current_through FROM certification_status_history h
                              WHERE h.certification_id = c.id AND h.effective_on <= d.day
                              ORDER BY h.step DESC LIMIT 1) h ON TRUE
              WHERE h.status = 'ACTIVE' AND (h.current_through IS NULL OR h.current_through >= d.day))
           SELECT a.day, a.agency_ori, a.state::text AS state, count(*) AS active, count(t.person) AS current
             FROM active a LEFT JOIN current t ON t.day = a.day AND t.person = a.person
            GROUP BY 1, 2, 3 ORDER BY 1, 2""",
        list(days), list(kinds), None if oris is None else list(oris), [r for r, _ in hidden_ends],
        [k for _, k in hidden_ends])
    return [AgencyDay(r["day"], r["agency_ori"], r["state"], int(r["active"]), int(r["current"])) for r in rows]


async def programs_by_year(conn: asyncpg.Connection | asyncpg.Pool, first: int, last: int
                           ) -> list[tuple[int, str, str, str]]:
    """(year, agency ORI, agency state, program kind) for every program running on some day of a year."""
    rows = await conn.fetch(
        """SELECT DISTINCT y.year, p.agency_ori, a.state::text AS state, p.kind
             FROM generate_series($1::int, $2::int) AS y(year)
             JOIN agency_programs p ON p.start_date <= make_date(y.year, 12, 31)
                                   AND (p.end_date IS NULL OR p.end_date >= make_date(y.year, 1, 1))
             JOIN agencies a ON a.ori = p.agency_ori
            ORDER BY 1, 2, 4""", first, last)
    return [(r["year"], r["agency_ori"], r["state"], r["kind"]) for r in rows]


async def agency_readers(conn: asyncpg.Connection | asyncpg.Pool, ori: str) -> frozenset[str]:
    """The publishers that act for an agency (its own) or credential it (bodies with a credential record)."""
    rows = await conn.fetch(
        """SELECT id FROM publishers WHERE kind = 'AGENCY' AND agency_ori = $1
           UNION SELECT body_id FROM agency_credentials WHERE agency_ori = $1""", ori)
    return frozenset(r["id"] for r in rows)
