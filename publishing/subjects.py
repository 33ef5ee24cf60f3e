"""Resolve the officer an event is about: by registry ID, certification number or identity match.

An event that names no registry ID is linked to an existing officer only on strong evidence
(same state certification number, or an identity match the matcher calls strong); otherwise
a new officer is registered. Weaker matches are left for review rather than merged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

import asyncpg

from identity import matching
from identity.matching import Person, name_key
from identity.normalize import NameParts
from publishing import review
from publishing.payloads import PersonName, Subject
from registry import ids
from registry.errors import Conflict, NotFound, RateLimited
from store import officers, querylog
from store.models import NameRow, OfficerRow

_LINKED: ContextVar[str | None] = ContextVar("replayed_link", default=None)


@contextlib.contextmanager
def linked_to(officer_id: str | None) -> Iterator[None]:
    """While replaying the log: resolve an event that names no registry ID to the officer it was linked to
    when first applied (matching used evidence the log does not hold, such as the SSN's blind index)."""
    token = _LINKED.set(officer_id)
    try:
        yield
    finally:
        _LINKED.reset(token)


#: Identity refusals about officers outside a publisher's jurisdiction, per publisher and day, before
#: further such checks are refused: each one tells "this is not that person", so guessing is bounded.
IDENTITY_REFUSALS_PER_DAY = 20
CHECKED, REFUSED = "IdentityCheck", "IdentityRefused"  # their kinds in the query log


@dataclass
class IdentityTrace:
    """Officers outside the publisher's jurisdiction that one batch compared a subject with.

    A publisher may not read those officers, so a comparison that does not end in a committed event (a dry
    run, a refused batch) is a disclosure: the batch writes it to the officer's query log, hides the officer
    ID from its answer, and a publisher gets at most ``IDENTITY_REFUSALS_PER_DAY`` refusals a day.
    """

    publisher_id: str
    checked: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)  # one entry per refusal: each is a guess answered
    _earlier: int | None = None

    async def outside(self, conn: asyncpg.Connection, officer_id: str) -> bool:
        return self.is_outside((await officers.by_ids(conn, [officer_id]))[0])

    def is_outside(self, row: OfficerRow | None) -> bool:
        """Whether the publisher may not read this officer (it never published about them)."""
        return row is not None and self.publisher_id not in row.publisher_ids

    async def check(self, conn: asyncpg.Connection, officer_id: str, compare: Callable[[], Awaitable[None]]) -> None:
        """Run ``compare`` (which raises Conflict on a contradiction) within the day's budget, and record it."""
        if self._earlier is None:
            self._earlier = await querylog.count_recent(conn, "publisher", self.publisher_id, REFUSED, 24)
        if self._earlier + len(self.refused) >= IDENTITY_REFUSALS_PER_DAY:
            raise RateLimited(f"{IDENTITY_REFUSALS_PER_DAY} events in the last day named officers outside your "
                              "jurisdiction whose identity they contradicted; try again tomorrow or ask the "
                              "registry operator")
        try:
            await compare()
        except Conflict:
            self.refused.append(officer_id)
            raise
        self.checked.add(officer_id)

    def log_entries(self, subject: str) -> list[tuple[str, str, str, str, str, dict[str, list[str]]]]:
        checked = sorted(self.checked - set(self.refused))
        return [(oid, "publisher", subject, self.publisher_id, "CERTIFICATION_ACTION", {kind: [oid]})
                for kind, ids_ in ((REFUSED, self.refused), (CHECKED, checked)) for oid in ids_]


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


@dataclass(frozen=True)
class Resolved:
    """Whom an event is about. ``fresh``: registered by this very event, in this uncommitted transaction, so
    that nothing refers to the officer yet (no enrollment, no earlier reader, no name or SSN on file)."""

    officer_id: str
    fresh: bool


async def resolve(
    conn: asyncpg.Connection, subject: Subject, publisher_id: str, *, ssn_index: bytes | None,
    cert: tuple[str, str] | None = None, trace: IdentityTrace | None = None,
) -> Resolved:
    """The officer the subject is, registering a new officer when none matches strongly.

    A comparison with an officer outside the publisher's jurisdiction goes through ``trace``: its refusal
    names no field (the publisher may not read the officer), and it is bounded and logged by the batch.
    """
    trace = trace or IdentityTrace(publisher_id)
    who = person(subject)
    linked = _LINKED.get()
    fresh = False  # registered by this event: nothing on file yet to read back or compare with
    if linked is not None and subject.registryId in (None, linked):  # replaying: the link the registry made then
        fresh = (await officers.by_ids(conn, [linked]))[0] is None
        officer_id = await _register(conn, subject, publisher_id, ssn_index) if fresh else linked
    elif subject.registryId is not None:
        canonical = await officers.canonical_id(conn, subject.registryId)
        if canonical is None:
            raise NotFound(f"no officer with registry ID {subject.registryId}")
        officer_id = canonical
        row = (await officers.by_ids(conn, [officer_id]))[0]
        outside = trace.is_outside(row)

        async def compare() -> None:
            await matching.check_row_consistent(conn, row, who, f"the event names officer {officer_id}",
                                                detail=not outside)
        await (trace.check(conn, officer_id, compare) if outside else compare())
    else:
        officer_id, fresh = await _match(conn, subject, who, publisher_id, ssn_index, cert, trace)
    await _add_names(conn, officer_id, subject, fresh=fresh)
    if ssn_index is not None and not fresh:  # (a fresh officer was registered with it)
        existing = await officers.ssn_index(conn, officer_id)
        if existing is not None and existing != ssn_index:
            if officer_id in trace.checked:
                trace.refused.append(officer_id)
            raise Conflict("the SSN given does not match the one on file for this officer")
        await officers.set_ssn_index_if_missing(conn, officer_id, ssn_index)
    return Resolved(officer_id, fresh)


async def _match(conn: asyncpg.Connection, subject: Subject, who: Person, publisher_id: str,
                 ssn_index: bytes | None, cert: tuple[str, str] | None, trace: IdentityTrace) -> tuple[str, bool]:
    """The officer the subject is, and whether it was registered just now (nothing matched strongly)."""
    holders = await officers.ids_by_certification(conn, *cert) if cert is not None else []
    holder = holders[0] if len(holders) == 1 else None
    outside_holder = holder is not None and await trace.outside(conn, holder)
    near: list[tuple[str, float, list[str]]] = []
    found: str | None = None

    async def compare() -> None:
        nonlocal found
        try:
            found = await matching.strong_match(conn, who, ssn_index, cert, publisher_id, near, holders)
        except Conflict:
            if not outside_holder:
                raise
            assert cert is not None
            raise Conflict(f"{cert[0]} certification number {cert[1]} belongs to a different person") from None
    if outside_holder:
        assert holder is not None
        await trace.check(conn, holder, compare)
    else:
        await compare()
    if found is None:
        officer_id = await _register(conn, subject, publisher_id, ssn_index)
        await review.propose(conn, officer_id, near, publisher_id)
        return officer_id, True
    if found != holder and await trace.outside(conn, found):
        trace.checked.add(found)  # linked by name and birth date to an officer the publisher may not read
    return found, False


def _named(subject: Subject) -> list[tuple[PersonName, str]]:
    named = [(subject.name, "PRIMARY")] if subject.name else []
    return named + [(n, "ALIAS") for n in subject.aliases] + [(n, "FORMER") for n in subject.formerNames]


def registration(subject: Subject, ssn_index: bytes | None) -> officers.Registration:
    """A new officer for the subject, with its names and the blocking keys derived from them (as ``_add_names``
    would add them to an officer with nothing on file)."""
    named = _named(subject)
    keys, scheme = matching.keys_now(Person(names=[_parts(n) for n, _ in named], dob=subject.dateOfBirth))
    return officers.Registration(ids.officer_id(), subject.dateOfBirth, ssn_index,
                                 names=[(to_row(n, kind), normalized_name(n)) for n, kind in named], keys=keys,
                                 scheme=scheme)


async def _register(conn: asyncpg.Connection, subject: Subject, publisher_id: str, ssn_index: bytes | None) -> str:
    new = registration(subject, ssn_index)
    await officers.register(conn, [new], publisher_id)
    return new.officer_id


async def _add_names(conn: asyncpg.Connection, officer_id: str, subject: Subject, *, fresh: bool) -> None:
    """The subject's names not on file yet, and the officer's keys derived again (``_register`` did both for a
    fresh officer)."""
    named = _named(subject)
    if not named or fresh:
        return
    row = (await officers.by_ids(conn, [officer_id]))[0]
    names_on_file = row.names if row is not None else ()
    has_primary = any(n.kind == "PRIMARY" for n in names_on_file)
    on_file = {normalized_name(n) for n in names_on_file}
    every_name = [matching.row_parts(n) for n in names_on_file]
    for name, kind in named:
        if normalized_name(name) in on_file:
            continue
        # A second publisher's spelling of the primary name is kept as an alias.
        row_kind = "ALIAS" if kind == "PRIMARY" and has_primary else kind
        await officers.add_name(conn, officer_id, row_kind, to_row(name, row_kind), normalized_name(name))
        every_name.append(_parts(name))
    dob = row.date_of_birth if row is not None else None
    # The keys are re-derived from every name on file, so an officer keyed under an older scheme is brought
    # up to date by the next event that names them.
    await matching.rekey(conn, officer_id, every_name, dob or subject.dateOfBirth)
