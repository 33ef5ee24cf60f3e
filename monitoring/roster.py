"""Roster upload: enroll every officer of an agency from one CSV, with a verdict per row.

Columns (header row required; names are case-insensitive, spaces and dashes count as underscores):

* ``registry_id`` -- the registry's officer ID (e.g. ``OFC-7K2M9P4Q1R3T``), or
* ``state`` and ``certification_number`` -- a state certification held by the officer;
* optional ``given_name``, ``family_name``, ``date_of_birth`` (YYYY-MM-DD) -- checked against the
  registry (nicknames and any recorded alias or former name match) when the uploader may read them;
  a disagreement is reported as MISMATCH and the row is not enrolled.

Other columns (e.g. your own badge number) are ignored. Verdicts: ENROLLED, ALREADY_ENROLLED,
NOT_FOUND, AMBIGUOUS (a certification number held by more than one officer), MISMATCH, INVALID, LIMITED.

A partner may not read officers' names or birth dates, so it enrolls by ``state`` and
``certification_number`` (what ``verifyCertification`` answers about) with the holder's ``date_of_birth`` as
a check against typos. That check answers one more thing than ``verifyCertification`` does (whether the date
is the holder's), so it is bounded and disclosed: each mismatch goes into the officer's query log, and a
caller gets at most ``DOB_MISMATCHES_PER_DAY`` of them a day (then LIMITED), far too few to guess a date.
Names given by such a caller are not compared (that would answer more); the answer to a mismatch carries no
registry ID.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import asyncpg

from auth import policy
from auth.guards import officer_guard
from auth.principal import Principal
from identity.nicknames import are_nickname_related
from identity.normalize import normalize_token, split_surname
from monitoring.owners import Owner
from registry import ids
from registry.errors import BadInput
from store import monitoring as store
from store import officers, querylog
from store.models import OfficerRow

#: Birth-date mismatches a caller who may not read birth dates gets in 24 hours (then rows answer LIMITED).
DOB_MISMATCHES_PER_DAY = 20
MISMATCH_KIND = "RosterBirthDateMismatch"  # the query-log entry of such a mismatch

COLUMNS = ("registry_id", "state", "certification_number", "given_name", "family_name", "date_of_birth")
_STATE = re.compile(r"^[A-Za-z]{2}$")


@dataclass
class RowVerdict:
    line: int
    status: str
    officer_id: str | None = None
    enrollment_id: str | None = None
    reason: str | None = None


@dataclass
class _Row:
    line: int
    registry_id: str | None
    cert: tuple[str, str] | None
    given: str | None
    family: str | None
    dob: date | None


def _header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())


def parse(text: str, max_bytes: int, max_rows: int) -> tuple[list[_Row], list[RowVerdict]]:
    """Rows to look up, and the rows already judged INVALID."""
    if len(text.encode("utf-8")) > max_bytes:
        raise BadInput(f"the roster is larger than {max_bytes} bytes; split it")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [_header(h) for h in next(reader)]
    except StopIteration:
        raise BadInput("the roster is empty; the first line names the columns") from None
    except csv.Error as err:
        raise BadInput(f"the roster is not valid CSV: {err}") from None
    if "registry_id" not in header and not {"state", "certification_number"} <= set(header):
        raise BadInput("the roster needs a registry_id column, or state and certification_number columns "
                       f"(found: {', '.join(header) or 'none'})")
    where = {name: header.index(name) for name in COLUMNS if name in header}
    rows: list[_Row] = []
    invalid: list[RowVerdict] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(rows) + len(invalid) >= max_rows:
                raise BadInput(f"the roster has more than {max_rows} rows; split it")

            def cell(name: str, values: list[str] = values) -> str | None:
                i = where.get(name)
                v = values[i].strip() if i is not None and i < len(values) else ""
                return v or None

            verdict = _check(line, cell)
            if isinstance(verdict, RowVerdict):
                invalid.append(verdict)
            else:
                rows.append(verdict)
    except csv.Error as err:
        raise BadInput(f"the roster is not valid CSV at line {reader.line_num}: {err}") from None
    return rows, invalid


def _check(line: int, get: Callable[[str], str | None]) -> _Row | RowVerdict:
    registry_id, state, number = get("registry_id"), get("state"), get("certification_number")
    given, family, dob_text = get("given_name"), get("family_name"), get("date_of_birth")
    if registry_id is None and (state is None or number is None):
        return RowVerdict(line, "INVALID", reason="give registry_id, or both state and certification_number")
    if (state is None) != (number is None):
        return RowVerdict(line, "INVALID", reason="state and certification_number go together")
    if state is not None and not _STATE.match(state):
        return RowVerdict(line, "INVALID", reason=f"state {state!r} is not a 2-letter code")
    if number is not None and len(number) > 40:
        return RowVerdict(line, "INVALID", reason="certification_number is longer than 40 characters")
    if registry_id is not None and len(registry_id) > 40:
        return RowVerdict(line, "INVALID", reason="registry_id is longer than 40 characters")
    dob = None
    if dob_text is not None:
        try:
            dob = date.fromisoformat(dob_text)
        except ValueError:
            return RowVerdict(line, "INVALID", reason=f"date_of_birth {dob_text!r} is not YYYY-MM-DD")
    cert = (state.upper(), number.upper()) if state is not None and number is not None else None
    return _Row(line, registry_id.upper() if registry_id else None, cert, given, family, dob)


def _mismatch(row: _Row, officer: OfficerRow) -> str | None:
    if row.dob is not None and officer.date_of_birth is not None and row.dob != officer.date_of_birth:
        return "date_of_birth differs from the registry's"
    if row.family is not None:
        wanted = set(split_surname(row.family))
        if not any(wanted & set(split_surname(n.family_name)) for n in officer.names):
            return f"family_name {row.family!r} matches none of the officer's recorded names"
    if row.given is not None:
        g = normalize_token(row.given).split()
        first = g[0] if g else ""
        if not any(first == (normalize_token(n.given_name).split() or [""])[0]
                   or are_nickname_related(row.given, n.given_name) for n in officer.names):
            return f"given_name {row.given!r} matches none of the officer's recorded names"
    return None


class _Budget:
    """The day's birth-date mismatches of one caller (see the module's docstring)."""

    def __init__(self, used: int) -> None:
        self.used = used

    @property
    def spent(self) -> bool:
        return self.used >= DOB_MISMATCHES_PER_DAY


async def enroll(conn: asyncpg.Connection, owner: Owner, who: Principal, text: str, max_bytes: int,
                 max_rows: int) -> list[RowVerdict]:
    rows, verdicts = parse(text, max_bytes, max_rows)
    budget = _Budget(await querylog.count_recent(conn, who.role.value, owner.id, MISMATCH_KIND, 24))
    by_cert = await store.officers_by_certifications(conn, sorted({r.cert for r in rows if r.cert}))
    wanted_ids = {r.registry_id for r in rows if r.registry_id}
    for r in rows:
        if r.registry_id is None and r.cert is not None and len(by_cert.get(r.cert, ())) == 1:
            wanted_ids.add(next(iter(by_cert[r.cert])))
    found = {o.id: o for o in await officers.by_ids(conn, sorted(wanted_ids)) if o is not None}
    async with conn.transaction():
        answered = [await _one(conn, owner, who, r, by_cert, found, budget) for r in rows]
        verdicts += [v for v, _, _ in answered]
        # every row that told the uploader something about an officer is a disclosure, on the officer's record
        entries = [(oid, who.role.value, who.subject, owner.id, "CONTINUOUS_MONITORING", {kind: [oid]})
                   for _, oid, kind in answered if oid is not None]
        if entries:
            await querylog.append_many(conn, entries)
    return sorted(verdicts, key=lambda v: v.line)


def _may_read_identity(who: Principal, officer: OfficerRow) -> bool:
    guard = officer_guard(officer)
    return (policy.field_access("Officer", "names").allows(who, guard)
            and policy.field_access("Officer", "dateOfBirth").allows(who, guard))


async def _one(conn: asyncpg.Connection, owner: Owner, who: Principal, r: _Row,
               by_cert: dict[tuple[str, str], set[str]], found: dict[str, OfficerRow], budget: _Budget
               ) -> tuple[RowVerdict, str | None, str]:
    """The row's verdict, and the officer it told the uploader about (for the query log) with what, if any."""
    holders = by_cert.get(r.cert, set()) if r.cert else set()
    if r.registry_id is not None:
        officer_id = r.registry_id
        if officer_id not in found:
            return RowVerdict(r.line, "NOT_FOUND", reason=f"no officer {officer_id}"), None, ""
        if r.cert is not None and officer_id not in holders:
            return RowVerdict(r.line, "MISMATCH", officer_id, reason=f"officer {officer_id} holds no {r.cert[0]} "
                              f"certification {r.cert[1]}"), officer_id, "RosterRow"
    else:
        assert r.cert is not None
        if not holders:
            return RowVerdict(r.line, "NOT_FOUND", reason=f"no {r.cert[0]} certification number {r.cert[1]}"), None, ""
        if len(holders) > 1:
            return RowVerdict(r.line, "AMBIGUOUS", reason=f"{len(holders)} officers hold {r.cert[0]} number "
                              f"{r.cert[1]} (different kinds); give registry_id"), None, ""
        officer_id = next(iter(holders))
    officer = found[officer_id]
    readable = _may_read_identity(who, officer)
    if r.cert is not None and r.registry_id is None and not readable:
        # by number, for a caller who may not read birth dates: the date is a bounded, logged check
        if r.dob is None:
            return RowVerdict(r.line, "INVALID", reason="give the holder's date_of_birth with state and "
                              "certification_number (a check that you name the right officer)"), None, ""
        if budget.spent:
            return RowVerdict(r.line, "LIMITED", reason=f"{DOB_MISMATCHES_PER_DAY} birth dates in the last day did "
                              "not match; try again tomorrow or ask the registry operator"), None, ""
        if officer.date_of_birth != r.dob:
            budget.used += 1
            return RowVerdict(r.line, "MISMATCH", reason=f"date_of_birth is not that of the holder of {r.cert[0]} "
                              f"certification {r.cert[1]}"), officer_id, MISMATCH_KIND
    elif readable and (r.given or r.family or r.dob) and (why := _mismatch(r, officer)):
        # the uploader named the officer by number only: the answer gives no registry ID to go with it
        shown = officer_id if r.registry_id is not None else None
        return RowVerdict(r.line, "MISMATCH", shown, reason=why), officer_id, "RosterRow"
    enrollment, new = await store.enroll(conn, ids.new_id("ENR"), owner.kind, owner.id, officer_id, who.subject)
    return (RowVerdict(r.line, "ENROLLED" if new else "ALREADY_ENROLLED", officer_id, enrollment.id), officer_id,
            "RosterRow")
