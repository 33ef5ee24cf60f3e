"""Resolve the officer an event is about: by registry ID, certification number or identity match.

An event that names no registry ID is linked to an existing officer only on strong evidence
(same state certification number, or an identity match the matcher calls strong); otherwise
a new officer is registered. Weaker matches are left for review rather than merged.
"""

from __future__ import annotations

import asyncpg

from identity import matching
from identity.matching import Person, name_key
from identity.normalize import NameParts
from publishing import review
from publishing.payloads import PersonName, Subject
from registry import ids
from registry.errors import Conflict, NotFound
from store import officers
from store.models import NameRow


def normalized_name(name: PersonName | NameRow) -> str:
    """The comparable form of a full name (case, accents and punctuation folded)."""
    if isinstance(name, PersonName):
        return name_key(name.givenName, name.middleName, name.familyName)
    return name_key(name.given_name, name.middle_name, name.family_name)


def _parts(name: PersonName) -> NameParts:
    return NameParts(given=name.givenName, middle=name.middleName or "", family=name.familyName,
                     suffix=name.suffix or "")


def person(subject: Subject) -> Person:
    """The subject as identity matching sees it: the primary name first, then aliases and former names."""
    names = ([subject.name] if subject.name else []) + list(subject.aliases) + list(subject.formerNames)
    return Person(names=[_parts(n) for n in names], dob=subject.dateOfBirth,
                  primary=_parts(subject.name) if subject.name else None)


def to_row(name: PersonName, kind: str) -> NameRow:
    return NameRow(kind, name.givenName, name.middleName, name.familyName, name.suffix)


async def resolve(
    conn: asyncpg.Connection, subject: Subject, publisher_id: str, *, ssn_index: bytes | None,
    cert: tuple[str, str] | None = None,
) -> str:
    """Return the officer ID for the subject, registering a new officer when none matches strongly."""
    if subject.registryId is not None:
        canonical = await officers.canonical_id(conn, subject.registryId)
        if canonical is None:
            raise NotFound(f"no officer with registry ID {subject.registryId}")
        officer_id = canonical
        await matching.check_consistent(conn, officer_id, person(subject),
                                        f"the event names officer {officer_id}")
    else:
        near: list[tuple[str, float, list[str]]] = []
        found = await matching.strong_match(conn, person(subject), ssn_index, cert, publisher_id, near)
        if found is None:
            officer_id = await _register(conn, subject, publisher_id, ssn_index)
            await review.propose(conn, officer_id, near, publisher_id)
        else:
            officer_id = found
    await _add_names(conn, officer_id, subject)
    if ssn_index is not None:
        existing = await officers.ssn_index(conn, officer_id)
        if existing is not None and existing != ssn_index:
            raise Conflict("the SSN given does not match the one on file for this officer")
        await officers.set_ssn_index_if_missing(conn, officer_id, ssn_index)
    return officer_id


async def _register(conn: asyncpg.Connection, subject: Subject, publisher_id: str, ssn_index: bytes | None) -> str:
    officer_id = ids.officer_id()
    await officers.insert(
        conn, officer_id=officer_id, date_of_birth=subject.dateOfBirth, ssn_blind_index=ssn_index,
        created_by=publisher_id,
    )
    return officer_id


async def _add_names(conn: asyncpg.Connection, officer_id: str, subject: Subject) -> None:
    named = [(subject.name, "PRIMARY")] if subject.name else []
    named += [(n, "ALIAS") for n in subject.aliases] + [(n, "FORMER") for n in subject.formerNames]
    if not named:
        return
    existing = await officers.by_ids(conn, [officer_id])
    has_primary = bool(existing[0] and any(n.kind == "PRIMARY" for n in existing[0].names))
    on_file = {normalized_name(n) for n in existing[0].names} if existing[0] else set()
    for name, kind in named:
        if normalized_name(name) in on_file:
            continue
        # A second publisher's spelling of the primary name is kept as an alias.
        row_kind = "ALIAS" if kind == "PRIMARY" and has_primary else kind
        await officers.add_name(conn, officer_id, row_kind, to_row(name, row_kind), normalized_name(name))
    dob = subject.dateOfBirth
    if dob is None and existing[0] is not None:
        dob = existing[0].date_of_birth
    await officers.add_blocking_keys(conn, officer_id, matching.keys_for(person(subject.model_copy(
        update={"dateOfBirth": dob}))))
