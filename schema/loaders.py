"""One DataLoader per access path, created per request so no cache outlives its caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg
from strawberry.dataloader import DataLoader

from store import accreditation as credentials_store
from store import (
    agencies,
    certifications,
    employment,
    notifications,
    officer_tree,
    officers,
    publishers,
    querylog,
    records,
)
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


class Loaders:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._trees: set[str] = set()
        self.officer: DataLoader[str, OfficerRow | None] = _loader(pool, officers.by_ids)
        self.certifications: DataLoader[str, list[CertificationRow]] = _loader(pool, certifications.by_officer_ids)
        self.employment: DataLoader[str, list[EmploymentRow]] = _loader(pool, employment.by_officer_ids)
        self.records: DataLoader[str, list[RecordRow]] = _loader(pool, records.by_officer_ids)
        self.record: DataLoader[str, RecordRow | None] = _loader(pool, records.by_ids)
        self.history: DataLoader[str, list[StatusChangeRow]] = _loader(pool, records.history_by_record_ids)
        self.disputes: DataLoader[str, list[DisputeRow]] = _loader(pool, records.disputes_by_record_ids)
        self.agency: DataLoader[str, AgencyRow | None] = _loader(pool, agencies.by_oris)
        self.publisher: DataLoader[str, PublisherRow | None] = _loader(pool, publishers.by_ids)
        self.query_log: DataLoader[str, list[QueryLogRow]] = _loader(pool, querylog.by_officer_ids)
        self.notifications: DataLoader[str, list[NotificationRow]] = _loader(pool, notifications.by_officer_ids)
        # EO 13929 Sec. 2: credentialing bodies' decisions and agency credentials
        self.body_decisions: DataLoader[str, list[BodyDecisionRow]] = _loader(
            pool, credentials_store.decisions_by_body_ids)
        self.agency_credential: DataLoader[str, CredentialRow | None] = _loader(
            pool, credentials_store.credentials_by_ids)
        self.credential_history: DataLoader[str, list[CredentialChangeRow]] = _loader(
            pool, credentials_store.history_by_credential_ids)

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
