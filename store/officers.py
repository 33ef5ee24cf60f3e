"""Officers and their names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

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


class MatchRow(NamedTuple):
    """What identity matching compares for one officer: names (primary first), birth date, SSN blind index and
    certification numbers as (state, number). (A named tuple: a search builds about 150, a third the cost of a
    frozen dataclass's.)"""

    id: str
    date_of_birth: date | None
    names: tuple[NameRow, ...]
    ssn_blind_index: bytes | None
    certifications: tuple[tuple[str, str], ...]
    requested: tuple[str, ...] = ()  # the IDs asked for that answer with this officer (a merged officer's old IDs)


#: An officer's names (primary first) and certification numbers as arrays of rows, for the officer ID in ``{id}``.
_NAMES_ARRAY = """
       ARRAY(SELECT ROW(n.kind::text, n.given_name, n.middle_name, n.family_name, n.suffix) FROM officer_names n
             WHERE n.officer_id = {id} ORDER BY n.kind <> 'PRIMARY', n.kind, n.id)"""
_NAMES = _NAMES_ARRAY + " AS names"
_NUMBERS = "ARRAY(SELECT ROW(c.state, c.number) FROM certifications c WHERE c.officer_id = {id} ORDER BY c.id)"
_NAMES_AND_NUMBERS = _NAMES + ",\n       " + _NUMBERS + " AS certs"

_FOR_MATCHING = """
WITH req AS (SELECT coalesce(r.merged_into, r.id) AS id, array_agg(r.id ORDER BY r.id) AS requested
             FROM officers r WHERE r.id = ANY($1::text[]) GROUP BY 1)
SELECT o.id, req.requested, o.date_of_birth, o.ssn_blind_index,""" + _NAMES_AND_NUMBERS.format(id="o.id") + """
FROM req JOIN officers o ON o.id = req.id
ORDER BY o.id
"""


async def for_matching(conn: asyncpg.Connection | asyncpg.Pool, ids: Sequence[str]) -> list[MatchRow]:
    """The officers with these IDs as identity matching sees them; a merged officer's old ID answers with the
    officer it was merged into, each officer once; unknown IDs are left out. One statement, names and
    certification numbers as arrays of rows: for the 30 or so candidates of a publish-time match at 10^5 officers,
    1.4 against 2.0 ms for three flat statements on one connection; at 150 (a search at 10^6), about the same."""
    return [MatchRow(r["id"], r["date_of_birth"], tuple(NameRow(*n) for n in r["names"]),
                     bytes(r["ssn_blind_index"]) if r["ssn_blind_index"] is not None else None,
                     tuple((state, number) for state, number in r["certs"]), tuple(r["requested"]))
            for r in await conn.fetch(_FOR_MATCHING, list(ids))]


async def names_of(conn: asyncpg.Connection | asyncpg.Pool, ids: Sequence[str]) -> dict[str, tuple[NameRow, ...]]:
    """The names (primary first, as ``for_matching``) of these officers: those a key lookup found but left unread
    (``key_hits_many``), whose birth date and SSN index the caller already holds; the officers table is not read."""
    rows = await conn.fetch("SELECT i.id," + _NAMES.format(id="i.id") + " FROM unnest($1::text[]) AS i(id)", list(ids))
    return {r["id"]: tuple(NameRow(*n) for n in r["names"]) for r in rows}


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
    return (await ids_by_certifications(conn, [(state, number)]))[0]


async def ids_by_certifications(conn: asyncpg.Connection | asyncpg.Pool, numbers: Sequence[tuple[str, str]],
                                ) -> list[list[str]]:
    """For each (state, number): the officers holding that certification number (case folded), in one statement."""
    rows = await conn.fetch(
        """SELECT q.n, c.officer_id
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(state, number, n)
           JOIN certifications c ON c.state = q.state AND upper(c.number) = upper(q.number)
           GROUP BY q.n, c.officer_id ORDER BY q.n, c.officer_id""",
        [s for s, _ in numbers], [n for _, n in numbers],
    )
    return _per_query(rows, len(numbers), first=1)


def _per_query(rows: Sequence[asyncpg.Record], count: int, *, first: int = 0) -> list[list[str]]:
    """The officer IDs of rows answering several questions at once (column ``n``, numbered from ``first``), in order,
    one list per question."""
    out: list[list[str]] = [[] for _ in range(count)]
    for r in rows:
        out[r["n"] - first].append(r["officer_id"])
    return out


@dataclass(frozen=True, slots=True)
class Registration:
    """A new officer as first named: names (each with its normalized form) and the blocking keys derived from them
    under ``scheme``."""

    officer_id: str
    date_of_birth: date | None
    ssn_blind_index: bytes | None
    names: Sequence[tuple[NameRow, str]]
    keys: Sequence[str]
    scheme: int


async def register(conn: asyncpg.Connection, new: Sequence[Registration], created_by: str) -> None:
    """New officers with their names and blocking keys, in one statement however many: a person a publisher names
    for the first time costs one round trip, not three, and a batch's new people one between them."""
    names = [(r.officer_id, n, z) for r in new for n, z in r.names]
    keys = [(r.officer_id, key) for r in new for key in r.keys]
    await conn.execute(
        """WITH o AS (INSERT INTO officers (id, date_of_birth, ssn_blind_index, created_by, blocking_scheme)
                      SELECT i, d, x, $4, v
                      FROM unnest($1::text[], $2::date[], $3::bytea[], $5::int[]) AS o(i, d, x, v)),
                n AS (INSERT INTO officer_names (officer_id, kind, given_name, middle_name, family_name, suffix,
                                                 normalized)
                      SELECT i, k::name_kind, g, m, f, s, z
                      FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                                  $12::text[]) WITH ORDINALITY AS x(i, k, g, m, f, s, z, nth)
                      ORDER BY nth
                      ON CONFLICT (officer_id, kind, normalized) DO NOTHING)
           INSERT INTO officer_blocking_keys (key, officer_id)
           SELECT key, i FROM unnest($13::text[], $14::text[]) AS k(i, key)
           ON CONFLICT DO NOTHING""",
        [r.officer_id for r in new], [r.date_of_birth for r in new], [r.ssn_blind_index for r in new], created_by,
        [r.scheme for r in new],
        [i for i, _, _ in names], [n.kind for _, n, _ in names], [n.given_name for _, n, _ in names],
        [n.middle_name for _, n, _ in names], [n.family_name for _, n, _ in names], [n.suffix for _, n, _ in names],
        [z for _, _, z in names],
        [i for i, _ in keys], [key for _, key in keys],
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


async def ids_by_blocking_keys(conn: asyncpg.Connection | asyncpg.Pool, weighted: Mapping[str, float], *,
                               limit: int, idf_scale: float, units: int) -> list[str]:
    """The officer IDs of ``key_hits_many`` for one lookup."""
    return [h.officer_id for h in
            (await key_hits_many(conn, [weighted], limit=limit, idf_scale=idf_scale, units=units))[0]]


class KeyHit(NamedTuple):
    """An officer sharing blocking keys with a lookup, with what tells whether scoring it can matter (its birth date
    and SSN blind index; those of the officer it was merged into, for a merged officer's old ID), and its names and
    certification numbers when they were read with it (``NamesRead``). (A named tuple, as ``MatchRow``.)"""

    officer_id: str  # as the keys hold it
    current_id: str  # the officer it answers with (itself unless merged away)
    date_of_birth: date | None
    ssn_blind_index: bytes | None
    names: tuple[NameRow, ...] | None = None  # primary first, as ``for_matching``; None: not read
    certifications: tuple[tuple[str, str], ...] = ()  # (state, number); read only when asked


class NamesRead(NamedTuple):
    """What ``key_hits_many`` reads with a lookup's hits: the names of the officers born on one of ``dates`` or with
    no birth date on file (``dates`` None: of every officer found), and their certification numbers too when
    ``numbers``."""

    dates: Sequence[date] | None
    numbers: bool = False


#: The officers sharing the keys of each lookup n (its keys and their weights in ``q``), ranked (see ``key_hits_many``)
_RANKED_HITS = """WITH q AS (SELECT * FROM unnest($1::int[], $2::text[], $3::float8[]) AS q(n, key, weight)),
     hit AS (SELECT q.n, b.officer_id, q.weight, b.holders FROM q CROSS JOIN LATERAL
             (SELECT b.officer_id, count(*) OVER () AS holders FROM officer_blocking_keys b WHERE b.key = q.key
              OFFSET 0) b),
     scored AS (SELECT hit.n, hit.officer_id,
                       row_number() OVER (PARTITION BY hit.n ORDER BY
                                          sum(round(hit.weight * ln(1 + $5::float8 / hit.holders) * $6::float8)
                                              ::bigint) DESC,
                                          hit.officer_id) AS place
                FROM hit GROUP BY hit.n, hit.officer_id),
     top AS (SELECT s.n, s.place, s.officer_id, coalesce(o.id, r.id) AS current_id,
                    CASE WHEN o.id IS NULL THEN r.date_of_birth ELSE o.date_of_birth END AS date_of_birth,
                    CASE WHEN o.id IS NULL THEN r.ssn_blind_index ELSE o.ssn_blind_index END AS ssn_blind_index
             FROM scored s JOIN officers r ON r.id = s.officer_id LEFT JOIN officers o ON o.id = r.merged_into
             WHERE s.place <= $4)"""
_KEY_HITS = _RANKED_HITS + """
SELECT n, officer_id, current_id, date_of_birth, ssn_blind_index FROM top ORDER BY n, place"""
#: ... and the names (and numbers) each lookup's ``NamesRead`` asks for: ``rd`` says per lookup whether every officer's
#: names are read (``every``) and whether the numbers are (``numbered``), ``near`` the birth dates read otherwise.
_KEY_HITS_READ = _RANKED_HITS + """,
     rd AS (SELECT n - 1 AS n, every, numbered
            FROM unnest($7::bool[], $8::bool[]) WITH ORDINALITY AS rd(every, numbered, n)),
     near AS (SELECT DISTINCT n, d FROM unnest($9::int[], $10::date[]) AS near(n, d))
SELECT t.n, t.officer_id, t.current_id, t.date_of_birth, t.ssn_blind_index,
       CASE WHEN rd.every OR t.date_of_birth IS NULL OR (t.n, t.date_of_birth) IN (SELECT n, d FROM near)
            THEN""" + _NAMES_ARRAY.format(id="t.current_id") + """ END AS names,
       CASE WHEN rd.numbered THEN """ + _NUMBERS.format(id="t.current_id") + """ ELSE '{}' END AS certs
FROM top t JOIN rd ON rd.n = t.n ORDER BY t.n, t.place"""


async def key_hits_many(conn: asyncpg.Connection | asyncpg.Pool, lookups: Sequence[Mapping[str, float]],
                        *, limit: int, idf_scale: float, units: int, read: Sequence[NamesRead] | None = None,
                        ) -> list[list[KeyHit]]:
    """For each lookup (blocking keys with their weights): the officers sharing any of its keys, at most ``limit``,
    those with the largest summed weight of shared keys first (then by ID), each key's weight multiplied by
    ``ln(1 + idf_scale / n)``, n the officers holding it (a key few officers share counts for more than one many
    share), and counted in whole ``1 / units`` (rounded half to even, as ``identity.phonetic.shared_key_units``), so
    that the sums, and the ties at the last officer kept, are the same whatever order a plan adds them in. One
    statement for all the lookups, each ranked on its own (a batch's new people at once), with the names and
    certification numbers each lookup's ``read`` asks for (one per lookup; None: none read): identity matching's
    candidates in one round trip, the names of those whose birth date rules them out left unread."""
    # One index probe per key, whatever the statistics say: a plain join on a table not analyzed yet (a new
    # registry's first upload, before autovacuum's next round) was planned as a hash join over a full scan of
    # officer_blocking_keys, ten times slower at 34,000 keys; OFFSET 0 keeps the subquery from being flattened. Each
    # key's holders are counted in the same probe (a window over its rows): at 10^6 officers about a tenth less time
    # for the statement than counting them in a second pass over the hits and joining the counts back (possible since
    # the sums are exact: the order the terms are added in no longer matters).
    flat = [(n, key, weight) for n, lookup in enumerate(lookups) for key, weight in sorted(lookup.items())]
    args: list[object] = [[n for n, _, _ in flat], [k for _, k, _ in flat], [w for _, _, w in flat], limit, idf_scale,
                          float(units)]
    if read is None:
        rows = await conn.fetch(_KEY_HITS, *args)
        return _hits(rows, len(lookups), with_names=False)
    if len(read) != len(lookups):
        raise ValueError("key_hits_many: one NamesRead per lookup")
    near = [(n, d) for n, r in enumerate(read) if r.dates is not None for d in r.dates]
    rows = await conn.fetch(_KEY_HITS_READ, *args, [r.dates is None for r in read], [r.numbers for r in read],
                            [n for n, _ in near], [d for _, d in near])
    return _hits(rows, len(lookups), with_names=True)


def _hits(rows: Sequence[asyncpg.Record], count: int, *, with_names: bool) -> list[list[KeyHit]]:
    out: list[list[KeyHit]] = [[] for _ in range(count)]
    for r in rows:
        ssn = r["ssn_blind_index"]
        ssn_index = bytes(ssn) if ssn is not None else None
        if not with_names:
            out[r["n"]].append(KeyHit(r["officer_id"], r["current_id"], r["date_of_birth"], ssn_index))
            continue
        names = r["names"]
        out[r["n"]].append(KeyHit(r["officer_id"], r["current_id"], r["date_of_birth"], ssn_index,
                                  None if names is None else tuple(NameRow(*n) for n in names),
                                  tuple((state, number) for state, number in r["certs"])))
    return out


async def canonical_id(conn: asyncpg.Connection, officer_id: str) -> str | None:
    """The registry ID to write under: a merged officer's ID resolves to the one it was merged into."""
    value: str | None = await conn.fetchval(
        "SELECT coalesce(merged_into, id) FROM officers WHERE id = $1", officer_id
    )
    return value


async def exists(conn: asyncpg.Connection, officer_id: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM officers WHERE id = $1)", officer_id))
