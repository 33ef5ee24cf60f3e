"""One DataLoader per access path, created per request so no cache outlives its caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import asyncpg
from strawberry.dataloader import DataLoader

from store import accreditation as credentials_store
from store import (
    agencies,
    officer_tree,
    officers,
    publishers,
    querylog,
)
from store import certifications as certifications_store
from store import employment as employment_store
from store import notifications as notifications_store
from store import records as records_store
from store.accreditation import BodyDecisionRow, CredentialChangeRow, CredentialRow
from store.models import (
    AgencyRow,
    CertificationRow,
    DisputeRow,
    EmploymentRow,
    OfficerRow,
    PublisherRow,
    QueryLogRow,
    RecordRow,
    StatusChangeRow,
)
from store.notifications import NotificationRow

K = TypeVar("K")
V = TypeVar("V")


def _loader(pool: asyncpg.Pool, fn: Callable[[Any, Sequence[K]], Awaitable[list[V]]]) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> list[V]:
        return await fn(pool, keys)

    return DataLoader(load_fn=load)


class _Loader(Generic[K, V]):
    """A request's loader of one access path, made when the request first uses it (a history lookup uses 8 of
    the 14)."""

    def __init__(self, fn: Callable[[Any, Sequence[K]], Awaitable[list[V]]]) -> None:
        self.fn = fn

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, loaders: Loaders, owner: type | None = None) -> DataLoader[K, V]:
        made = _loader(loaders._pool, self.fn)
        loaders.__dict__[self.name] = made  # read from the instance from now on
        return made


class Loaders:
    officer = _Loader[str, OfficerRow | None](officers.by_ids)
    certifications = _Loader[str, list[CertificationRow]](certifications_store.by_officer_ids)
    employment = _Loader[str, list[EmploymentRow]](employment_store.by_officer_ids)
    records = _Loader[str, list[RecordRow]](records_store.by_officer_ids)
    record = _Loader[str, RecordRow | None](records_store.by_ids)
    history = _Loader[str, list[StatusChangeRow]](records_store.history_by_record_ids)
    disputes = _Loader[str, list[DisputeRow]](records_store.disputes_by_record_ids)
    agency = _Loader[str, AgencyRow | None](agencies.by_oris)
    publisher = _Loader[str, PublisherRow | None](publishers.by_ids)
    query_log = _Loader[str, list[QueryLogRow]](querylog.by_officer_ids)
    notifications = _Loader[str, list[NotificationRow]](notifications_store.by_officer_ids)
    # EO 13929 Sec. 2: credentialing bodies' decisions and agency credentials
    body_decisions = _Loader[str, list[BodyDecisionRow]](credentials_store.decisions_by_body_ids)
    agency_credential = _Loader[str, CredentialRow | None](credentials_store.credentials_by_ids)
    credential_history = _Loader[str, list[CredentialChangeRow]](credentials_store.history_by_credential_ids)

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._trees: set[str] = set()

    async def officer_with(self, officer_id: str, parts: frozenset[str]) -> OfficerRow | None:
        """The officer, with the lists in ``parts`` read in the same statement (``store.officer_tree``) and put in
        these loaders' caches, so the nested fields of a lookup answer without a statement of their own."""
        if parts and officer_id not in self._trees:
            self._trees.add(officer_id)
            self._prime(officer_id, await officer_tree.by_id(self._pool, officer_id, parts))
        return await self.officer.load(officer_id)

    def _prime(self, requested_id: str, tree: officer_tree.OfficerTree | None) -> None:
        """The same values each loader would read (a test compares them), never replacing one already read."""
        self.officer.prime(requested_id, None if tree is None else tree.officer)
        if tree is None:
            return
        oid = tree.officer.id
        if tree.certifications is not None:
            self.certifications.prime(oid, tree.certifications)
        if tree.employment is not None:
            self.employment.prime(oid, tree.employment)
        if tree.records is not None:
            self.records.prime(oid, tree.records)
            self.record.prime_many({r.id: r for r in tree.records})
        if tree.history is not None:
            self.history.prime_many(tree.history)
        self.publisher.prime_many({p.id: p for p in tree.publishers})
        if tree.agencies is not None:
            self.agency.prime_many({a.ori: a for a in tree.agencies})
