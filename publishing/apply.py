"""Apply a batch of signed events atomically: verify, authorize, check idempotency, write, log.

A batch is one transaction. Each event runs under a savepoint so every row gets a verdict,
but if any event is rejected (or the batch is a dry run) nothing of the batch is kept.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from joserfc.jwk import OKPKey
from pydantic import ValidationError

import monitoring
from auth import derived
from auth.principal import Principal, Role
from ledger import admin_entries, log_store, verified_signatures, verifying_threads
from ledger import events as signing
from ledger.entry_check import CLOCK_SKEW
from ledger.events import Authentic, SignedEvent, VerifiedEvent
from publishing import (
    accreditation,
    bulk_rows,
    lifecycle,
    new_rows,
    programs,
    review,
    subjects,
    training,
    uploads,
)
from publishing.keys import import_public_jwk
from publishing.payloads import (
    EVENT_ADAPTER,
    CertificationIssued,
    CertificationStatusChanged,
    EmploymentEnded,
    EmploymentStarted,
    Event,
    LinkConfirmed,
    LinkRejected,
    RecordAffirmed,
    RecordCorrected,
    RecordPublished,
    RecordStatusChanged,
)
from registry import ids
from registry.errors import BadInput, Conflict, Forbidden, NotFound, RegistryError
from store import agencies, certifications, employment, notifications, publishers, querylog, records
from store import events as event_store
from store.models import AgencyRow, CertificationRow, EmploymentRow, PublisherRow, RecordRow
from store.publishers import PublisherKeyRow

log = logging.getLogger(__name__)


#: Events none of whose rows refer to the event's own row: stored after they are applied, subject and all, instead
#: of before and updated after (one statement fewer each).
_SUBJECT_FIRST = CertificationIssued | CertificationStatusChanged | EmploymentStarted | EmploymentEnded


#: The shortest run of events the set-based path is tried on within a batch: its reads are per run, about as many as
#: one event costs one at a time, and a plan that does not hold has cost them for nothing.
_MIN_RUN = 4


class _SetBasedFailed(Exception):
    """A write of the set-based path failed: the batch is rolled back and applied one event at a time."""


class _NeedsSavepoints(Exception):
    """An event failed while the batch ran without savepoints: the batch is rolled back and applied again with a
    savepoint per event, which gives every event its own verdict."""


class _NotYourTurn(Exception):
    """The batch before this one of its upload is not decided yet: the batch is rolled back (letting go of the log
    lock) and tried again once it is."""


@dataclass(frozen=True)
class _Ahead:
    """Signatures checked before the log lock was taken, and the keys (by kid, None: unknown) they were checked
    with: kept under the lock only if the keys read there are the same and none is revoked by then."""

    keys: dict[str, PublisherKeyRow | None]
    imported: dict[str, OKPKey]
    verified: dict[int, tuple[Event, dict[str, Any], str, bytes]]


class SignatureRejected(RegistryError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Submission:
    jws: str
    ssn: str | None = None  # write-only, never signed or logged: only its blind index is kept
    #: replaying the log only: applied as when it was first accepted (the time it is judged at, and the IDs and
    #: officer link the registry gave it then; see ``publishing.replay``)
    replayed: Replayed | None = None


@dataclass(frozen=True)
class Replayed:
    accepted_at: datetime
    assigned: Mapping[str, str]  # ID prefix -> the ID assigned then
    officer_id: str | None


@dataclass
class Outcome:
    index: int
    status: str  # ACCEPTED, DUPLICATE, REJECTED, NOT_APPLIED
    event_type: str | None = None
    event_id: str | None = None
    entity_id: str | None = None
    officer_id: str | None = None
    log_index: int | None = None
    code: str | None = None
    message: str | None = None


@dataclass
class BatchResult:
    committed: bool
    outcomes: list[Outcome]


@dataclass(frozen=True)
class Applied:
    officer_id: str | None
    entity_id: str


class Publisher:
    """One batch's worth of context: the caller, the SSN key and the connection."""

    def __init__(self, conn: asyncpg.Connection, caller: Principal, ssn_key: bytes, *,
                 admin_keys: Mapping[str, OKPKey] | None, set_based: bool = True) -> None:
        self.conn = conn
        # Runs of new rows and changes by registry ID are applied set-based (publishing.bulk_rows) when they can be;
        # False applies every batch one event at a time (the reference the set-based path is compared with).
        self.set_based = set_based
        self.caller = caller
        self.ssn_key = ssn_key
        # A publisher key is what logged registrations signed by these keys make it (None: the entries unchecked,
        # for a replay without the admin keys); the publisher_keys table is never trusted on its own.
        self.admin_keys = admin_keys
        self.trace = subjects.IdentityTrace(caller.publisher_id or "")
        self._keys: dict[str, PublisherKeyRow | None] = {}   # this batch's lookups (the batch is one transaction)
        self._imported: dict[str, OKPKey] = {}
        self._publishers: dict[str, PublisherRow] = {}
        self._log: log_store.Appender | None = None  # the batch's log appends, written when it commits
        # Idempotency, read for the whole batch at once (under the log lock, so no other batch adds events
        # meanwhile): events already stored, and pairs known not to be. A pair is taken from ``_absent`` when
        # first used, so a repeat within the batch is looked up (it may have been stored, or rolled back).
        self._stored: dict[tuple[str, str], event_store.EventRow] = {}
        self._absent: set[tuple[str, str]] = set()
        self._agencies: dict[str, AgencyRow | None] = {}  # agencies are registered by admins, never in a batch
        # Submissions verified in this attempt (by index): the set-based try verifies every one, and a run it
        # hands to the one-at-a-time path would otherwise be verified twice. Reset with the keys it was read under.
        self._verified: dict[int, tuple[Event, dict[str, Any], str, bytes]] = {}

    async def run(self, submissions: list[Submission], *, dry_run: bool, place: uploads.Place | None = None,
                  wait: float = uploads.WAIT_SECONDS) -> BatchResult:
        """Apply the batch (a batch of an upload, ``place``, once the one before it is decided: publishing.uploads;
        ``wait``: for at most so many seconds) and record its decision for the next."""
        since = time.monotonic()
        try:
            result = await self._ordered(submissions, dry_run=dry_run, place=place, since=since, wait=wait)
        except Exception:
            if place is not None:
                await self._failed(place)
            raise
        if place is not None and not result.committed:  # a committed batch's decision committed with it
            await uploads.decide(self.conn, place, "NOT_COMMITTED")
        return result

    async def _failed(self, place: uploads.Place) -> None:
        """Record that the batch failed as a whole, if the connection still can: if not, the next batch waits for
        this one's decision until its time is up, and is refused then."""
        try:
            await uploads.decide(self.conn, place, "FAILED")
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as err:
            log.warning("%s failed, and so did recording it: %s", place, err)

    async def _ordered(self, submissions: list[Submission], *, dry_run: bool, place: uploads.Place | None,
                       since: float, wait: float) -> BatchResult:
        if self.caller.role is not Role.PUBLISHER or not self.caller.publisher_id:
            # credentialing bodies, and auditors acting for the Attorney General (EO 13929 Sec. 2), or refused
            await accreditation.admit(self.conn, self.caller, [_unverified_kid(s.jws) for s in submissions])
        set_based = self.set_based and not dry_run
        # The signatures first, before the log lock: on two cores they are checked while the batch before this one
        # (of this upload, or another) is written. Under the lock they are kept only if their keys still hold.
        ahead = await self._checked_ahead(submissions) if set_based else None
        while True:
            try:
                return await self._attempts(submissions, dry_run=dry_run, set_based=set_based, place=place,
                                            ahead=ahead)
            except _NotYourTurn:
                assert place is not None
                await uploads.wait_for_predecessor(self.conn, place, since, wait)

    async def _attempts(self, submissions: list[Submission], *, dry_run: bool, set_based: bool,
                        place: uploads.Place | None, ahead: _Ahead | None) -> BatchResult:
        # First set-based where runs of the batch allow it, else one event at a time without a savepoint per event (two
        # round trips each): a batch is kept whole or not at all, so only a batch in which some event fails needs
        # them, to give every event its own verdict. Such a batch is rolled back and applied again with them.
        try:
            return await self._run(submissions, dry_run=dry_run, set_based=set_based, savepoints=False, place=place,
                                   ahead=ahead)
        except (_SetBasedFailed, _NeedsSavepoints):
            pass  # rolled back
        return await self._run(submissions, dry_run=dry_run, set_based=False, savepoints=True, place=place)

    async def _checked_ahead(self, submissions: list[Submission]) -> _Ahead:
        self._keys, self._imported, self._verified = {}, {}, {}
        await self._verify_ahead(submissions)
        return _Ahead(self._keys, self._imported, self._verified)  # _run starts from new dicts: these stay as read

    async def _still_hold(self, ahead: _Ahead) -> bool:
        """Whether the keys the signatures were checked with are, under the log lock, what they were: the same
        registration and revocations (a key registered or revoked meanwhile is read differently), and not revoked
        by now (a revocation may be dated ahead)."""
        now = datetime.now(UTC)
        for kid, key in ahead.keys.items():
            if await admin_entries.logged_key(self.conn, kid, self.admin_keys) != key:
                return False
            if key is not None and key.revoked_at is not None and key.revoked_at <= now:
                return False
        return True

    async def _run(self, submissions: list[Submission], *, dry_run: bool, set_based: bool,
                   savepoints: bool, place: uploads.Place | None, ahead: _Ahead | None = None) -> BatchResult:
        outcomes: list[Outcome] = []
        self.trace = subjects.IdentityTrace(self.caller.publisher_id or "")
        self._keys, self._publishers, self._agencies, self._imported = {}, {}, {}, {}
        self._verified = {}
        tx = self.conn.transaction()
        await tx.start()
        try:
            # The log's append lock, for the whole batch and outside every event's savepoint: a concurrent batch
            # with the same events has then committed (or rolled back), so an event sent twice at once is a
            # DUPLICATE, never a constraint error.
            self._log = await log_store.Appender.open(self.conn)
            if place is not None and not await uploads.predecessor_decided(self.conn, place):
                raise _NotYourTurn  # rolled back below: the lock is let go while it waits
            if ahead is not None and await self._still_hold(ahead):
                self._keys, self._imported, self._verified = dict(ahead.keys), dict(ahead.imported), \
                    dict(ahead.verified)
            elif set_based:  # the signatures first: a verified event's claim is read from its payload, not again
                await self._verify_ahead(submissions)
            claimed = {c for c in map(self._claimed, range(len(submissions)), submissions) if c is not None}
            self._stored = await event_store.by_publisher_events(self.conn, sorted(claimed))
            self._absent = claimed - self._stored.keys()
            if set_based:
                outcomes = await self._in_runs(submissions)
            else:
                for index, sub in enumerate(submissions):
                    outcomes.append(await self._one(index, sub, savepoints=savepoints))
            failed = any(o.status == "REJECTED" for o in outcomes)
            if not failed and not dry_run:
                await self._log.flush(self.conn)  # the accepted events' leaves, in their order
        except BaseException:
            await tx.rollback()
            raise
        if failed or dry_run:
            await tx.rollback()
            unseen = self.trace.checked | set(self.trace.refused)  # officers the publisher may not read
            for o in outcomes:
                if o.status == "ACCEPTED" and failed:
                    o.status, o.log_index = "NOT_APPLIED", None
                elif o.status == "ACCEPTED":
                    o.log_index = None
                if o.status != "DUPLICATE" and o.officer_id in unseen:
                    o.officer_id = None
            entries = self.trace.log_entries(self.caller.subject)
            if entries:  # after the rollback: the disclosure stays on record although nothing was published
                await querylog.append_many(self.conn, entries)
            return BatchResult(committed=False, outcomes=outcomes)
        try:
            if place is not None:  # seen by the next batch exactly when this one's events are
                await uploads.decide(self.conn, place, "COMMITTED")
        except BaseException:
            await tx.rollback()
            raise
        await tx.commit()
        verified_signatures.remember(self._logged(submissions, outcomes))
        return BatchResult(committed=True, outcomes=outcomes)

    def _logged(self, submissions: list[Submission], outcomes: list[Outcome],
                ) -> list[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
        """The accepted events as verified (JWS, kid, key, payload): the checkpointer need not verify them again."""
        out: list[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]] = []
        for o in outcomes:
            if o.status == "ACCEPTED" and (found := self._verified.get(o.index)) is not None:
                _event, payload, kid, _digest = found
                if (key := self._keys.get(kid)) is not None:
                    out.append((submissions[o.index].jws, kid, key.public_jwk, payload))
        return out

    async def _in_runs(self, submissions: list[Submission]) -> list[Outcome]:
        """The batch's outcomes, in its order. Consecutive events of the shapes ``publishing.bulk_rows`` takes form a
        run; the run is written set-based up to the first event that path cannot take as the one-at-a-time path
        would (planned against what the batch wrote before it), that event is applied one at a time, and the rest
        of the run is planned again (each plan reading up to twice as far as the last one took). Every other event
        is applied one at a time. A board's upload mixes them: new certifications and status changes by registry
        ID, new people and now and then someone on file named by name, or an officer hired from outside the
        agency's jurisdiction, after whom the agency's events about them can be taken."""
        outcomes: list[Outcome] = []
        indexed = list(enumerate(submissions))
        start = 0
        while start < len(indexed):
            end = start
            while end < len(indexed) and await self._takes_set_based(*indexed[end]):
                end += 1
            run = indexed[start:end]
            ahead = len(run)  # how far a plan reads: the whole run, until plans stop early
            while len(run) >= _MIN_RUN or len(run) == len(indexed):  # a whole batch is tried whatever its size
                done = await self._set_based(run[:ahead])
                if not done:
                    break  # its first event is not for this path: the run goes one at a time
                outcomes += done
                run = run[len(done):]
                if len(done) == ahead:
                    ahead *= 2
                elif run:  # the event the plan stopped at
                    outcomes.append(await self._one(*run[0], savepoints=False))
                    run = run[1:]
                    # The next plan reads about twice as far as this one took, not the whole rest again: a run that
                    # stops often (people on file among new ones) reads each event a bounded number of times.
                    ahead = max(_MIN_RUN, 2 * len(done))
            outcomes += [await self._one(index, sub, savepoints=False) for index, sub in run]
            if end < len(indexed):  # the event that ended the run
                outcomes.append(await self._one(*indexed[end], savepoints=False))
            start = end + 1
        return outcomes

    async def _takes_set_based(self, index: int, sub: Submission) -> bool:
        """Whether the set-based path may take this event (a signature that does not hold: no, and it is refused
        one at a time)."""
        if self.caller.role is not Role.PUBLISHER or sub.ssn is not None or sub.replayed is not None:
            return False
        try:
            event, *_ = await self._verify_once(index, sub)
        except RegistryError:
            return False
        return bulk_rows.eligible(event)

    async def _set_based(self, run: list[tuple[int, Submission]]) -> list[Outcome]:
        """The outcomes of the run's first events, as many as ``publishing.bulk_rows`` applies together (none:
        nothing written). Raises _SetBasedFailed if a write fails after it started."""
        outcomes: list[Outcome | None] = []
        items: list[bulk_rows.Item] = []
        slots: list[int] = []  # each item's place in outcomes
        seen: set[tuple[str, str]] = set()
        for index, sub in run:
            event, payload, kid, digest = await self._verify_once(index, sub)
            pair = (event.publisher, event.eventId)
            if pair in seen or (pair not in self._absent and pair not in self._stored):
                break  # a repeat within the batch: its verdict depends on the first
            prior = self._stored.get(pair)
            if prior is not None:
                try:
                    outcomes.append(_duplicate(index, event, prior, digest))
                except Conflict:
                    break
                seen.add(pair)
                continue
            seen.add(pair)
            assert isinstance(event, bulk_rows.BulkEvent)
            slots.append(len(outcomes))
            items.append(bulk_rows.Item(index, event, payload, kid, sub.jws, digest))
            outcomes.append(None)
        if not items:
            return [o for o in outcomes if o is not None]  # duplicates only (or nothing)
        pub = await self._publisher(items[0].event.publisher)
        named = {getattr(it.event, "agencyOri", None) for it in items}  # certifications name no agency
        found = await self._agencies_of({ori for ori in named if ori is not None})
        targets = await bulk_rows.plan(self.conn, pub, items, found)
        cut = slots[len(targets)] if len(targets) < len(items) else len(outcomes)
        taken = items[:len(targets)]
        if taken:
            assert self._log is not None  # opened by run()
            try:
                written = await bulk_rows.write(self.conn, pub, taken, targets, self._log)
            except (RegistryError, asyncpg.PostgresError) as err:
                raise _SetBasedFailed from err
            # a repeat later in the batch finds these stored (one at a time: DUPLICATE)
            self._absent -= {(it.event.publisher, it.event.eventId) for it in taken}
            for slot, it, w in zip(slots[:len(taken)], taken, written, strict=True):
                outcomes[slot] = Outcome(w.index, "ACCEPTED", it.event.type, it.event.eventId, w.entity_id,
                                         w.officer_id, w.log_index)
        done = outcomes[:cut]
        assert all(o is not None for o in done)
        return [o for o in done if o is not None]

    async def _one(self, index: int, sub: Submission, *, savepoints: bool) -> Outcome:
        if not savepoints:
            try:
                return await self._applied(index, sub)
            except (RegistryError, asyncpg.PostgresError) as err:
                raise _NeedsSavepoints from err
        sp = self.conn.transaction()
        await sp.start()
        try:
            outcome = await self._applied(index, sub)
        except RegistryError as err:
            await sp.rollback()
            return Outcome(index, "REJECTED", code=err.code, message=err.message)
        except asyncpg.PostgresError as err:
            log.warning("event %d could not be stored: %s", index, err)
            await sp.rollback()
            return Outcome(index, "REJECTED", code="BAD_USER_INPUT", message=_db_message(err))
        await sp.commit()
        return outcome

    async def _applied(self, index: int, sub: Submission) -> Outcome:
        if sub.replayed is None:
            return await self._apply(index, sub)
        with ids.recorded(sub.replayed.assigned), subjects.linked_to(sub.replayed.officer_id):
            return await self._apply(index, sub)

    async def _apply(self, index: int, sub: Submission) -> Outcome:
        event, payload, kid, digest = await self._verify_once(index, sub)
        pair = (event.publisher, event.eventId)
        if pair in self._absent:
            self._absent.discard(pair)
            prior = None
        else:
            prior = self._stored.get(pair) or await event_store.by_publisher_event(self.conn, *pair)
        if prior is not None:
            return _duplicate(index, event, prior, digest)
        publisher = await self._publisher(event.publisher)
        assert self._log is not None  # opened by run()
        log_index, _ = self._log.append(sub.jws.encode("ascii"))
        stored: dict[str, Any] = {"publisher_id": event.publisher, "event_id": event.eventId, "type_": event.type,
                                  "kid": kid, "jws": sub.jws, "payload": payload, "content_digest": digest,
                                  "log_index": log_index}
        if isinstance(event, _SUBJECT_FIRST):  # no row refers to the event: stored once, with its subject
            applied = await self._dispatch(event, publisher, sub, None)
            await event_store.insert(self.conn, **stored, officer_id=applied.officer_id, entity_id=applied.entity_id)
        else:
            event_pk = await event_store.insert(self.conn, **stored)
            applied = await self._dispatch(event, publisher, sub, event_pk)
            await event_store.set_subject(self.conn, event_pk, applied.officer_id, applied.entity_id)
        return Outcome(index, "ACCEPTED", event.type, event.eventId, applied.entity_id, applied.officer_id,
                       log_index)

    async def _key(self, kid: str) -> PublisherKeyRow | None:
        if kid not in self._keys:  # one lookup per key per batch
            self._keys[kid] = await admin_entries.logged_key(self.conn, kid, self.admin_keys)
        return self._keys[kid]

    def _resolver(self, key: PublisherKeyRow) -> Callable[[str], OKPKey]:
        """The key for ``verify_event``: only the kid it was looked up by, imported once per batch."""
        if key.kid not in self._imported:
            self._imported[key.kid] = import_public_jwk(key.public_jwk)
        imported = self._imported[key.kid]

        def resolve(wanted: str) -> OKPKey:
            if wanted != key.kid:
                raise KeyError(wanted)
            return imported

        return resolve

    async def _verify_ahead(self, submissions: list[Submission]) -> None:
        """Check the batch's signatures before its events are read, in ``verify_event``'s three steps: each event's
        header and key here; the signatures alone on the two verifying threads (Ed25519 lets go of the GIL, and with
        no other Python work between two checks the threads run 1.9 times as fast as one; with the payloads read
        there too they waited on each other's GIL and ran 1.1 times as fast); each authentic payload here. An event
        refused at any step is left for ``_verify_once``, which raises its refusal in order."""
        if len(submissions) < verifying_threads.MIN_ITEMS:
            return
        signed: list[tuple[int, Submission, str, PublisherKeyRow, SignedEvent]] = []
        for index, sub in enumerate(submissions):
            try:
                kid = _unverified_kid(sub.jws)
            except RegistryError:
                continue
            key = await self._key(kid)
            if key is None:
                continue
            with contextlib.suppress(signing.EventSignatureError):
                signed.append((index, sub, kid, key, signing.read_signed(sub.jws, self._resolver(key))))
        even, odd = await verifying_threads.in_halves(_authenticate_all, [s[-1] for s in signed])
        authentic: list[Authentic | None] = [None] * len(signed)
        authentic[0::2], authentic[1::2] = even, odd
        for (index, sub, kid, key, _), checked in zip(signed, authentic, strict=True):
            if checked is None:
                continue
            with contextlib.suppress(RegistryError, signing.EventSignatureError):
                self._verified[index] = self._judged(sub, kid, key, signing.open_payload(checked))

    def _claimed(self, index: int, sub: Submission) -> tuple[str, str] | None:
        """``_claimed_event``, from the payload where the event was verified ahead (the same JSON, read once)."""
        found = self._verified.get(index)
        return _claimed_event(sub) if found is None else _claim(found[1])

    async def _verify_once(self, index: int, sub: Submission) -> tuple[Event, dict[str, Any], str, bytes]:
        """``verify``, remembered for this attempt (a refusal is not: it is raised again by verifying again)."""
        found = self._verified.get(index)
        if found is None:
            found = self._verified[index] = await self.verify(sub)
        return found

    async def verify(self, sub: Submission) -> tuple[Event, dict[str, Any], str, bytes]:
        """The event if its signature, key, publisher and time hold: (event, signed payload, kid, content digest).
        Raises a RegistryError naming what does not. The content digest is what makes two submissions 'the same
        event': SHA-256 of the canonical payload without its salt and signing time."""
        kid = _unverified_kid(sub.jws)
        return self._checked(sub, kid, await self._key(kid))

    def _checked(self, sub: Submission, kid: str, key: PublisherKeyRow | None,
                 ) -> tuple[Event, dict[str, Any], str, bytes]:
        """``verify`` once the key is looked up."""
        if key is None:
            raise SignatureRejected("UNKNOWN_KEY", f"no publisher key with kid {kid!r} is registered")
        try:
            verified = signing.verify_event(sub.jws, self._resolver(key))
        except signing.EventSignatureError as err:
            raise SignatureRejected(err.code, err.message) from err
        return self._judged(sub, kid, key, verified)

    def _judged(self, sub: Submission, kid: str, key: PublisherKeyRow, verified: VerifiedEvent,
                ) -> tuple[Event, dict[str, Any], str, bytes]:
        """What ``verify`` checks of an event whose signature and payload verified: its shape, publisher and time."""
        event = _parse(verified.payload)
        if event.publisher != key.publisher_id:
            raise Forbidden(f"the event names publisher {event.publisher} but is signed with a key of "
                            f"{key.publisher_id}")
        if event.publisher != self.caller.publisher_id and self.caller.role is not Role.AUDITOR:  # see run()
            raise Forbidden(f"you are signed in as publisher {self.caller.publisher_id} and may not submit "
                            f"events of {event.publisher}")
        # judged at now, or a replayed event at when it was first accepted
        now = sub.replayed.accepted_at if sub.replayed is not None else datetime.now(UTC)
        if event.issuedAt.tzinfo is None:
            raise BadInput("issuedAt must carry a time zone (e.g. 2026-05-01T12:00:00Z)")
        if event.issuedAt > now + CLOCK_SKEW:
            raise BadInput("issuedAt is in the future")
        if event.issuedAt < key.valid_from - CLOCK_SKEW:
            raise SignatureRejected("KEY_NOT_YET_VALID", f"key {kid} was not valid yet when this event was signed")
        if key.revoked_at is not None and (key.revoked_at <= now or event.issuedAt >= key.revoked_at):
            raise SignatureRejected("KEY_REVOKED", f"key {kid} was revoked at {key.revoked_at.isoformat()}")
        return event, verified.payload, kid, verified.digest_without("salt", "issuedAt")

    async def _publisher(self, publisher_id: str) -> PublisherRow:
        if publisher_id not in self._publishers:
            found = (await publishers.by_ids(self.conn, [publisher_id]))[0]
            assert found is not None  # its key is registered
            self._publishers[publisher_id] = found
        return self._publishers[publisher_id]

    async def _agency(self, ori: str) -> AgencyRow | None:
        return (await self._agencies_of({ori}))[ori]

    async def _agencies_of(self, oris: set[str]) -> dict[str, AgencyRow | None]:
        """These agencies, each read once per batch (the ones not read yet in one query)."""
        missing = sorted(oris - self._agencies.keys())
        if missing:
            self._agencies.update(zip(missing, await agencies.by_oris(self.conn, missing), strict=True))
        return {ori: self._agencies[ori] for ori in oris}

    async def _dispatch(self, event: Event, pub: PublisherRow, sub: Submission, stored_as: int | None) -> Applied:
        """Apply the event; ``stored_as``: its events row, for the rows that refer to it (None for the
        ``_SUBJECT_FIRST`` types, whose event is stored afterwards)."""

        def event_pk() -> int:
            assert stored_as is not None, "this event's rows refer to its events row: store it first"
            return stored_as

        ssn_index = self._ssn_index(sub.ssn)
        if sub.ssn is not None and not isinstance(event, CertificationIssued | EmploymentStarted | RecordPublished):
            raise BadInput("an SSN may accompany only an event that identifies an officer")
        match event:
            case CertificationIssued():
                return await self._certification_issued(event, pub, ssn_index)
            case CertificationStatusChanged():
                return await self._certification_status(event, pub)
            case EmploymentStarted():
                return await self._employment_started(event, pub, ssn_index)
            case EmploymentEnded():
                return await self._employment_ended(event, pub)
            case RecordPublished():
                return await self._record_published(event, pub, ssn_index, event_pk())
            case RecordStatusChanged():
                return await self._record_status(event, pub, event_pk())
            case RecordCorrected():
                return await self._record_corrected(event, pub, event_pk())
            case RecordAffirmed():
                return await self._record_affirmed(event, pub, event_pk())
            case LinkConfirmed():
                return Applied(*await review.confirm(self.conn, event, pub, event_pk()))
            case LinkRejected():
                return Applied(*await review.reject(self.conn, event, pub, event_pk()))
            case _ if isinstance(event, programs.EVENTS):  # EO 13929 Sec. 4(b)
                return Applied(None, await programs.apply(self.conn, event, pub, event_pk()))
            case _ if isinstance(event, accreditation.EVENTS):  # EO 13929 Sec. 2 and 3(d)
                return Applied(None, await accreditation.apply(self.conn, self.caller, event, pub, event_pk()))
        raise BadInput("unsupported event type")  # pragma: no cover - the union is exhaustive

    def _ssn_index(self, ssn: str | None) -> bytes | None:
        if ssn is None:
            return None
        from identity.ssn import InvalidSSNError, ssn_blind_index

        try:
            return ssn_blind_index(ssn, self.ssn_key)  # validates the number first
        except InvalidSSNError as err:
            raise BadInput(str(err)) from None

    async def _certification_issued(self, ev: CertificationIssued, pub: PublisherRow, ssn: bytes | None) -> Applied:
        if (refused := new_rows.certification_refusal(pub, ev)) is not None:
            raise refused
        if await certifications.by_source(self.conn, pub.id, ev.sourceId) is not None:
            raise Conflict(f"certification {ev.sourceId} already exists; change it with certification.status_changed")
        subject = await subjects.resolve(self.conn, ev.subject, pub.id, ssn_index=ssn, cert=(ev.state, ev.number),
                                         trace=self.trace)
        officer_id = subject.officer_id
        await self._check_backed(officer_id, ev.status, ev.state, pub)
        row = CertificationRow(ids.certification_id(), officer_id, pub.id, ev.sourceId, ev.state, ev.number,
                               ev.kind, ev.status, ev.issuedOn, ev.expiresOn, None, datetime.now(UTC),
                               ev.refresherMonths)
        try:
            await certifications.insert(self.conn, row, training.first_step(ev))
        except asyncpg.UniqueViolationError:
            raise Conflict(f"{ev.state} certification number {ev.number} ({ev.kind}) is already registered") from None
        if not subject.fresh:  # (a fresh officer has no enrollment yet)
            await monitoring.on_certification(self.conn, officer_id, row.id, None, ev.type)
        return Applied(officer_id, row.id)

    async def _certification_status(self, ev: CertificationStatusChanged, pub: PublisherRow) -> Applied:
        cert = await certifications.by_source(self.conn, pub.id, ev.certificationSourceId)
        if cert is None:
            raise NotFound(f"you have no certification with sourceId {ev.certificationSourceId}")
        await self._check_backed(cert.officer_id, ev.status, cert.state, pub)
        step = training.next_step(cert, await certifications.last_step(self.conn, cert.id), ev)
        await certifications.set_status(self.conn, cert.id, ev.status, ev.reason, ev.expiresOn, step)
        await monitoring.on_certification(self.conn, cert.officer_id, cert.id, cert, ev.type)
        return Applied(cert.officer_id, cert.id)

    async def _check_backed(self, officer_id: str, status: str, state: str, pub: PublisherRow) -> None:
        """A status that reports misconduct needs the publisher's own settled record (auth.derived)."""
        kinds = derived.CERTIFICATION_REVEALS.get(status)
        if kinds is None:
            return
        (mine,) = await records.by_officer_ids(self.conn, [officer_id])
        if not derived.backing_records(status, state, pub.id, mine):
            raise Conflict(f"a certification can be {status} only after your {' or '.join(sorted(kinds))} record "
                           f"about this officer in {state} is FINAL with fair process attested (due process)")

    async def _employment_started(self, ev: EmploymentStarted, pub: PublisherRow, ssn: bytes | None) -> Applied:
        if (refused := new_rows.employment_refusal(pub, ev, await self._agency(ev.agencyOri))) is not None:
            raise refused
        if await employment.by_source(self.conn, pub.id, ev.sourceId) is not None:
            raise Conflict(f"employment {ev.sourceId} already exists; end it with employment.ended")
        officer_id = (await subjects.resolve(self.conn, ev.subject, pub.id, ssn_index=ssn, trace=self.trace)).officer_id
        row = EmploymentRow(ids.employment_id(), officer_id, pub.id, ev.sourceId, ev.agencyOri, ev.position,
                            ev.startDate, None, None)
        await employment.insert(self.conn, row)
        return Applied(officer_id, row.id)

    async def _employment_ended(self, ev: EmploymentEnded, pub: PublisherRow) -> Applied:
        job = await employment.by_source(self.conn, pub.id, ev.employmentSourceId)
        if job is None:
            raise NotFound(f"you have no employment with sourceId {ev.employmentSourceId}")
        if job.end_date is not None:
            raise Conflict(f"employment {ev.employmentSourceId} already ended on {job.end_date.isoformat()}")
        if ev.endDate < job.start_date:
            raise BadInput("endDate is before the employment's startDate")
        await employment.end(self.conn, job.id, ev.endDate, ev.separationReason)
        return Applied(job.officer_id, job.id)

    async def _record_published(
        self, ev: RecordPublished, pub: PublisherRow, ssn: bytes | None, event_pk: int
    ) -> Applied:
        agency = await self._agency(ev.agencyOri) if ev.agencyOri is not None else None
        if (refused := new_rows.record_refusal(pub, ev, agency)) is not None:
            raise refused
        if await records.by_source(self.conn, pub.id, ev.sourceId) is not None:
            raise Conflict(f"record {ev.sourceId} already exists; amend it with record.corrected or "
                           "record.status_changed")
        subject = await subjects.resolve(self.conn, ev.subject, pub.id, ssn_index=ssn, trace=self.trace)
        officer_id = subject.officer_id
        now = datetime.now(UTC)
        row = RecordRow(ids.record_id(), officer_id, pub.id, ev.sourceId, ev.kind, ev.state, ev.agencyOri,
                        ev.reasonCategory, ev.actionDate, ev.narrative, ev.caseReference, ev.status,
                        ev.fairProcessAttested, False, None, None, None, now, now)
        await records.insert(self.conn, row)
        await records.add_history(self.conn, row.id, None, ev.status, ev.fairProcessAttested, None, event_pk)
        await notifications.add(self.conn, officer_id, row.id, "RECORD_PUBLISHED",
                                f"{pub.name} published a {ev.kind} record about you (status {ev.status}).")
        if not subject.fresh:  # (a fresh officer has no enrollment yet, and a new record no earlier reader)
            await monitoring.on_record(self.conn, officer_id, row.id, None, ev.type)
        return Applied(officer_id, row.id)

    async def _check_nothing_stands_on(self, rec: RecordRow) -> None:
        """A record may leave FINAL only once no certification status stands on it alone."""
        (certs,) = await certifications.by_officer_ids(self.conn, [rec.officer_id])
        (mine,) = await records.by_officer_ids(self.conn, [rec.officer_id])
        standing = derived.certifications_standing_on(rec, certs, mine)
        if standing:
            c = standing[0]
            raise Conflict(f"{c.state} certification {c.number} is {c.status} on the strength of this record: "
                           "change the certification's status first")

    async def _own_record(self, pub: PublisherRow, source_id: str) -> RecordRow:
        rec = await records.by_source(self.conn, pub.id, source_id)
        if rec is None:
            raise NotFound(f"you have no record with sourceId {source_id}")
        return rec

    async def _record_status(self, ev: RecordStatusChanged, pub: PublisherRow, event_pk: int) -> Applied:
        rec = await self._own_record(pub, ev.recordSourceId)
        attesting = rec.status == ev.status == "FINAL" and ev.fairProcessAttested and not rec.fair_process_attested
        why_not = None if attesting else lifecycle.check_transition(rec.status, ev.status)
        if why_not:
            raise Conflict(why_not)
        if ev.fairProcessAttested and ev.status != "FINAL":
            raise BadInput("fair process can be attested only when the record is FINAL")
        if derived.settled(rec) and not (ev.status == "FINAL" and ev.fairProcessAttested):
            await self._check_nothing_stands_on(rec)
        if ev.status == "EXPUNGED":
            await records.expunge(self.conn, rec.id)
            await records.add_history(self.conn, rec.id, rec.status, "EXPUNGED", False, None, event_pk)
            await event_store.expunge_entity(self.conn, rec.id, keep_event_pk=event_pk)
            await notifications.add(self.conn, rec.officer_id, rec.id, "RECORD_EXPUNGED",
                                    f"{pub.name} expunged a record about you.")
            await monitoring.on_record(self.conn, rec.officer_id, rec.id, rec, ev.type)
            return Applied(rec.officer_id, rec.id)
        await records.set_status(self.conn, rec.id, ev.status, ev.fairProcessAttested)
        await records.add_history(self.conn, rec.id, rec.status, ev.status, ev.fairProcessAttested, ev.reason,
                                  event_pk)
        await notifications.add(self.conn, rec.officer_id, rec.id, "RECORD_STATUS_CHANGED",
                                f"{pub.name} changed a {rec.kind} record about you from {rec.status} to {ev.status}.")
        await monitoring.on_record(self.conn, rec.officer_id, rec.id, rec, ev.type)
        return Applied(rec.officer_id, rec.id)

    async def _record_corrected(self, ev: RecordCorrected, pub: PublisherRow, event_pk: int) -> Applied:
        rec = await self._own_record(pub, ev.recordSourceId)
        if rec.status == "EXPUNGED":
            raise Conflict("an expunged record cannot be corrected")
        changes = {
            col: value for col, value in (
                ("reason_category", ev.reasonCategory), ("action_date", ev.actionDate),
                ("narrative", ev.narrative), ("case_reference", ev.caseReference),
            ) if value is not None
        }
        if not changes and not ev.resolvesDispute:
            raise BadInput("a correction must change at least one field or resolve a dispute")
        await records.correct(self.conn, rec.id, changes)
        if ev.resolvesDispute and not await records.resolve_dispute(self.conn, rec.id, "CORRECTED", ev.reason,
                                                                    event_pk):
            raise Conflict("the record has no open dispute to resolve")
        await notifications.add(self.conn, rec.officer_id, rec.id, "RECORD_CORRECTED",
                                f"{pub.name} corrected a {rec.kind} record about you: {ev.reason}")
        await monitoring.on_record(self.conn, rec.officer_id, rec.id, rec, ev.type)
        return Applied(rec.officer_id, rec.id)

    async def _record_affirmed(self, ev: RecordAffirmed, pub: PublisherRow, event_pk: int) -> Applied:
        rec = await self._own_record(pub, ev.recordSourceId)
        if not await records.resolve_dispute(self.conn, rec.id, "AFFIRMED", ev.reason, event_pk):
            raise Conflict("the record has no open dispute to affirm")
        await notifications.add(self.conn, rec.officer_id, rec.id, "DISPUTE_AFFIRMED",
                                f"{pub.name} reviewed your dispute and affirmed the record: {ev.reason}")
        await monitoring.on_record(self.conn, rec.officer_id, rec.id, rec, ev.type)
        return Applied(rec.officer_id, rec.id)


def _duplicate(index: int, event: Event, prior: event_store.EventRow, digest: bytes) -> Outcome:
    """The answer to an event already accepted: DUPLICATE if it is the same event, else a Conflict."""
    if prior.content_digest != digest:
        raise Conflict(f"event {event.eventId} was already accepted with different content; "
                       "use a new eventId for a new event")
    return Outcome(index, "DUPLICATE", event.type, event.eventId, prior.entity_id, prior.officer_id, prior.log_index)


def _deny(reason: str | None) -> None:
    if reason is not None:
        raise Forbidden(reason)


def _parse(payload: dict[str, Any]) -> Event:
    try:
        return EVENT_ADAPTER.validate_python(payload)
    except ValidationError as err:
        problems = []
        for e in err.errors(include_url=False)[:5]:
            where = ".".join(str(p) for p in e["loc"] if not str(p).startswith(("function-after", "tagged-union")))
            problems.append(f"{where or 'event'}: {e['msg']}")
        raise BadInput("the event is not valid: " + "; ".join(problems)) from None


def _authenticate_all(signed: Sequence[SignedEvent]) -> list[Authentic | None]:
    """``authenticate`` of each (run on a verifying thread: nothing but the signature checks)."""
    return [signing.authenticate(s) for s in signed]


def _unverified_kid(jws: str) -> str:
    """Read only the kid from the protected header, to find the key; nothing else is trusted yet."""
    header_b64 = jws.split(".", 1)[0]
    kid = _kid_in(header_b64) if len(header_b64) <= signing.MAX_HEADER else _kid_in.__wrapped__(header_b64)
    if not jws.isascii():
        raise SignatureRejected("MALFORMED", "a compact JWS is ASCII only")
    return kid


@functools.lru_cache(maxsize=256)
def _kid_in(header_b64: str) -> str:
    try:
        header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
        kid = header["kid"]
    except Exception:
        raise SignatureRejected("MALFORMED", "the event is not a compact JWS with a kid header") from None
    if not isinstance(kid, str) or not kid:
        raise SignatureRejected("MALFORMED", "the event's kid header must be a non-empty string")
    return kid


def _claimed_event(sub: Submission) -> tuple[str, str] | None:
    """The (publisher, eventId) an unverified event claims, to read the batch's idempotency in one query; None
    when it has none (the signature check then rejects it). Only a lookup key: nothing else is trusted."""
    try:
        body_b64 = sub.jws.split(".")[1]
        body = json.loads(base64.urlsafe_b64decode(body_b64 + "=" * (-len(body_b64) % 4)))
    except Exception:
        return None
    return _claim(body)


def _claim(payload: Any) -> tuple[str, str] | None:
    """The (publisher, eventId) a payload states, when both are strings."""
    if not isinstance(payload, dict):
        return None
    publisher, event_id = payload.get("publisher"), payload.get("eventId")
    return (publisher, event_id) if isinstance(publisher, str) and isinstance(event_id, str) else None


def _db_message(err: asyncpg.PostgresError) -> str:
    if isinstance(err, asyncpg.CheckViolationError | asyncpg.StringDataRightTruncationError):
        return "a value is outside what the registry accepts (too long or badly formed)"
    if isinstance(err, asyncpg.ForeignKeyViolationError):
        return "the event refers to something the registry does not know"
    if isinstance(err, asyncpg.UniqueViolationError):
        return "the event conflicts with data already in the registry"
    return "the event could not be stored"
