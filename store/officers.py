"""Officers and their names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from store.models import NameRow, OfficerRow

_SELECT = """
SELECT o.id, o.date_of_birth,
       coalesce((SELECT json_agg(json_build_object(
                  'kind', n.kind, 'given_name', n.given_name, 'middle_name', n.middle_name,
                  'family_name', n.family_name, 'suffix', n.suffix) ORDER BY n.kind, n.id)
                 FROM officer_names n WHERE n.officer_id = o.id), '[]') AS names,
       ARRAY(SELECT publisher_id FROM certifications c WHERE c.officer_id = o.id
             UNION SELECT publisher_id FROM employment e WHERE e.officer_id = o.id
             UNION SELECT publisher_id FROM misconduct_records r WHERE r.officer_id = o.id) AS publisher_ids
FROM officers o
"""


def officer_from(row: asyncpg.Record) -> OfficerRow:
    names = tuple(NameRow(**n) for n in row["names"])
    return OfficerRow(row["id"], row["date_of_birth"], names, frozenset(row["publisher_ids"]))


# Asked for by ID: a merged officer's old ID answers with the officer it was merged into (also store.officer_tree).
BY_REQUESTED_ID = _SELECT.replace("SELECT o.id,", "SELECT req.id AS requested, o.id,").replace(
    "FROM officers o", "FROM officers req JOIN officers o ON o.id = coalesce(req.merged_into, req.id)")


async def by_ids(conn: asyncpg.Connection | asyncpg.Pool, ids: Sequence[str]) -> list[OfficerRow | None]:
    rows = await conn.fetch(BY_REQUESTED_ID + " WHERE req.id = ANY($1::text[])", list(ids))
    found = {r["requested"]: officer_from(r) for r in rows}
    return [found.get(i) for i in ids]


@dataclass(frozen=True, slots=True)
class Standing:
    """An officer as an event naming them by registry ID needs them: the officer the ID is (a merged officer's old ID
    answers with the one it was merged into), their birth date, and whether the publisher has published about them
    (``OfficerRow.publisher_ids`` without reading every publisher, nor the names)."""

    officer_id: str
    date_of_birth: date | None
    published_by: bool


async def standings(conn: asyncpg.Connection, ids: Sequence[str], publisher_id: str) -> dict[str, Standing]:
    """``Standing`` by requested ID, in one statement (unknown IDs are left out)."""
    rows = await conn.fetch(
        """SELECT req.id AS requested, o.id, o.date_of_birth,
                  EXISTS (SELECT 1 FROM certifications c WHERE c.officer_id = o.id AND c.publisher_id = $2)
                  OR EXISTS (SELECT 1 FROM employment e WHERE e.officer_id = o.id AND e.publisher_id = $2)
                  OR EXISTS (SELECT 1 FROM misconduct_records r WHERE r.officer_id = o.id AND r.publisher_id = $2)
                    AS published_by
           FROM officers req JOIN officers o ON o.id = coalesce(req.merged_into, req.id)
           WHERE req.id = ANY($1::text[])""", list(ids), publisher_id)
    return {r["requested"]: Standing(r["id"], r["date_of_birth"], r["published_by"]) for r in rows}


@dataclass(frozen=True, slots=True)
class MatchRow:
    """What identity matching compares for one officer: names (primary first), birth date, SSN blind index and
    certification numbers as (state, number)."""

    id: str
    date_of_birth: date | None
    names: tuple[NameRow, ...]
    ssn_blind_index: bytes | None
    certifications: tuple[tuple[str, str], ...]


_FOR_MATCHING = """
SELECT o.id, o.date_of_birth, o.ssn_blind_index,
       ARRAY(SELECT ROW(n.kind::text, n.given_name, n.middle_name, n.family_name, n.suffix) FROM officer_names n
             WHERE n.officer_id = o.id ORDER BY n.kind <> 'PRIMARY', n.kind, n.id) AS names,
       ARRAY(SELECT ROW(c.state, c.number) FROM certifications c WHERE c.officer_id = o.id ORDER BY c.id) AS certs
FROM officers o
WHERE o.id IN (SELECT coalesce(r.merged_into, r.id) FROM officers r WHERE r.id = ANY($1::text[]))
ORDER BY o.id
"""


async def for_matching(conn: asyncpg.Connection | asyncpg.Pool, ids: Sequence[str]) -> list[MatchRow]:
    """The officers with these IDs as identity matching sees them; a merged officer's old ID answers with the
    officer it was merged into, each officer once; unknown IDs are left out. One statement, names and
    certification numbers as arrays of rows: for the 30 or so candidates of a publish-time match at 10^5 officers,
    1.4 against 2.0 ms for three flat statements on one connection; at 150 (a search at 10^6), about the same."""
    return [MatchRow(r["id"], r["date_of_birth"], tuple(NameRow(*n) for n in r["names"]),
                     bytes(r["ssn_blind_index"]) if r["ssn_blind_index"] is not None else None,
                     tuple((state, number) for state, number in r["certs"]))
            for r in await conn.fetch(_FOR_MATCHING, list(ids))]


async def page(
    conn: asyncpg.Connection | asyncpg.Pool, *, after: str | None, limit: int, publisher_id: str | None
) -> list[OfficerRow]:
    """Keyset page of officers, optionally only those a publisher has published about."""
    where = ["($1::text IS NULL OR o.id > $1)", "o.merged_into IS NULL"]
    if publisher_id is not None:
        where.append(
            "(EXISTS (SELECT 1 FROM certifications c WHERE c.officer_id = o.id AND c.publisher_id = $3)"
            " OR EXISTS (SELECT 1 FROM employment e WHERE e.officer_id = o.id AND e.publisher_id = $3)"
            " OR EXISTS (SELECT 1 FROM misconduct_records r WHERE r.officer_id = o.id AND r.publisher_id = $3))"
        )
    sql = _SELECT + " WHERE " + " AND ".join(where) + " ORDER BY o.id LIMIT $2"
    args: list[object] = [after, limit]
    if publisher_id is not None:
        args.append(publisher_id)
    return [officer_from(r) for r in await conn.fetch(sql, *args)]


async def ids_by_certification(
    conn: asyncpg.Connection | asyncpg.Pool, state: str, number: str
) -> list[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT officer_id FROM certifications WHERE state = $1 AND upper(number) = upper($2)",
        state, number,
    )
    return [r["officer_id"] for r in rows]


async def register(
    conn: asyncpg.Connection, *, officer_id: str, date_of_birth: object, ssn_blind_index: bytes | None,
    created_by: str, names: Sequence[tuple[NameRow, str]], keys: Sequence[str], scheme: int,
) -> None:
    """A new officer with its names (each with its normalized form) and its blocking keys under ``scheme``, in one
    statement: a person a publisher names for the first time costs one round trip, not three."""
    await conn.execute(
        """WITH o AS (INSERT INTO officers (id, date_of_birth, ssn_blind_index, created_by, blocking_scheme)
                      VALUES ($1, $2, $3, $4, $5)),
                n AS (INSERT INTO officer_names (officer_id, kind, given_name, middle_name, family_name, suffix,
                                                 normalized)
                      SELECT $1, k::name_kind, g, m, f, s, z
                      FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
                        AS x(k, g, m, f, s, z)
                      ON CONFLICT (officer_id, kind, normalized) DO NOTHING)
           INSERT INTO officer_blocking_keys (key, officer_id) SELECT key, $1 FROM unnest($12::text[]) AS key
           ON CONFLICT DO NOTHING""",
        officer_id, date_of_birth, ssn_blind_index, created_by, scheme,
        [n.kind for n, _ in names], [n.given_name for n, _ in names], [n.middle_name for n, _ in names],
        [n.family_name for n, _ in names], [n.suffix for n, _ in names], [z for _, z in names], list(keys),
    )


async def set_ssn_index_if_missing(conn: asyncpg.Connection, officer_id: str, index: bytes) -> None:
    await conn.execute(
        "UPDATE officers SET ssn_blind_index = $2 WHERE id = $1 AND ssn_blind_index IS NULL",
        officer_id, index,
    )


async def ssn_index(conn: asyncpg.Connection, officer_id: str) -> bytes | None:
    value: bytes | None = await conn.fetchval(
        "SELECT ssn_blind_index FROM officers WHERE id = $1", officer_id
    )
    return value


async def ssn_indexes(conn: asyncpg.Connection | asyncpg.Pool, officer_ids: Sequence[str]) -> dict[str, bytes]:
    """The SSN blind indexes on file for these officers (those without one are left out)."""
    rows = await conn.fetch("SELECT id, ssn_blind_index FROM officers WHERE id = ANY($1::text[])"
                            " AND ssn_blind_index IS NOT NULL", list(officer_ids))
    return {r["id"]: bytes(r["ssn_blind_index"]) for r in rows}


async def ids_by_ssn_index(conn: asyncpg.Connection | asyncpg.Pool, index: bytes) -> list[str]:
    """Officers (not merged away) whose SSN blind index is this one."""
    rows = await conn.fetch("SELECT id FROM officers WHERE ssn_blind_index = $1 AND merged_into IS NULL ORDER BY id",
                            index)
    return [r["id"] for r in rows]


async def add_name(
    conn: asyncpg.Connection, officer_id: str, kind: str, name: NameRow, normalized: str
) -> None:
    await conn.execute(
        """INSERT INTO officer_names (officer_id, kind, given_name, middle_name, family_name, suffix, normalized)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (officer_id, kind, normalized) DO NOTHING""",
        officer_id, kind, name.given_name, name.middle_name, name.family_name, name.suffix, normalized,
    )


async def add_blocking_keys(conn: asyncpg.Connection, officer_id: str, keys: Sequence[str]) -> None:
    await conn.execute(
        """INSERT INTO officer_blocking_keys (key, officer_id)
           SELECT k, $1 FROM unnest($2::text[]) AS k ON CONFLICT DO NOTHING""",
        officer_id, list(keys),
    )


async def replace_blocking_keys(
    conn: asyncpg.Connection, officer_id: str, keys: Sequence[str], scheme: int
) -> None:
    """Make ``keys`` (derived under blocking ``scheme``) the officer's keys: add the missing, drop the rest."""
    await conn.execute(
        """WITH wanted AS (SELECT unnest($2::text[]) AS key),
                gone AS (DELETE FROM officer_blocking_keys b WHERE b.officer_id = $1
                           AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.key = b.key)),
                marked AS (UPDATE officers SET blocking_scheme = $3 WHERE id = $1 AND blocking_scheme <> $3)
           INSERT INTO officer_blocking_keys (key, officer_id) SELECT key, $1 FROM wanted ON CONFLICT DO NOTHING""",
        officer_id, list(keys), scheme,
    )


async def ids_keyed_before(conn: asyncpg.Connection, scheme: int, after: str, limit: int) -> list[str]:
    """Officers (not merged away) whose blocking keys follow a scheme older than ``scheme``, by ID after ``after``."""
    rows = await conn.fetch(
        """SELECT id FROM officers WHERE id > $2 AND blocking_scheme < $1 AND merged_into IS NULL
           ORDER BY id LIMIT $3""",
        scheme, after, limit,
    )
    return [r["id"] for r in rows]


async def ids_by_blocking_keys(
    conn: asyncpg.Connection | asyncpg.Pool, keys: Sequence[str], limit: int = 500,
    weights: Sequence[float] | None = None, idf_scale: float | None = None,
) -> list[str]:
    """Candidate officers sharing any blocking key, those with the largest summed weight of shared keys first.

    ``weights``: one per key (without them every key weighs 1, so those sharing most keys come first); with
    ``idf_scale``, each key's weight is multiplied by ``ln(1 + idf_scale / n)``, n the officers holding it, so a
    key few officers share counts for more than one many share.
    """
    # One index probe per key, whatever the statistics say: a plain join on a table not analyzed yet (a new
    # registry's first upload, before autovacuum's next round) was planned as a hash join over a full scan of
    # officer_blocking_keys, ten times slower at 34,000 keys; OFFSET 0 keeps the subquery from being flattened.
    rows = await conn.fetch(
        """WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[]) AS q(key, weight)),
                hit AS MATERIALIZED (SELECT b.key, b.officer_id, q.weight FROM q CROSS JOIN LATERAL
                                     (SELECT b.key, b.officer_id FROM officer_blocking_keys b
                                       WHERE b.key = q.key OFFSET 0) b),
                size AS (SELECT key, count(*) AS n FROM hit GROUP BY key)
           SELECT hit.officer_id FROM hit JOIN size ON size.key = hit.key
           GROUP BY hit.officer_id
           ORDER BY sum(hit.weight * CASE WHEN $4::float8 IS NULL THEN 1 ELSE ln(1 + $4::float8 / size.n) END) DESC,
                    hit.officer_id
           LIMIT $3""",
        list(keys), list(weights) if weights is not None else [1.0] * len(keys), limit, idf_scale,
    )
    return [r["officer_id"] for r in rows]


async def canonical_id(conn: asyncpg.Connection, officer_id: str) -> str | None:
    """The registry ID to write under: a merged officer's ID resolves to the one it was merged into."""
    value: str | None = await conn.fetchval(
        "SELECT coalesce(merged_into, id) FROM officers WHERE id = $1", officer_id
    )
    return value


async def exists(conn: asyncpg.Connection, officer_id: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM officers WHERE id = $1)", officer_id))
