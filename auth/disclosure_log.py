"""Writes what requests disclosed to the officers' query log, several requests' entries in one transaction.

The promise to the officer: a disclosure is on the log before it happens. ``write`` returns only once the entries
are committed, and the request sends its answer only after that (``schema.context.Context.flush_disclosures``),
so no answer leaves without its entry, even if the process dies right after. What changes is only how many
requests share a commit: while one write is in flight, the entries of requests that finish meanwhile wait and
go together in the next one (no timer, so a lone request never waits for company). If a shared write fails,
each request's entries are written again on their own, so one bad entry fails only its own request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from registry.errors import RegistryError
from store import querylog

log = logging.getLogger(__name__)

Entry = tuple[Any, ...]  # (officer_id, role, subject, org, purpose, returned), as store.querylog.append_many takes


class DisclosureLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._waiting: list[tuple[Sequence[Entry], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, entries: Sequence[Entry]) -> None:
        """Return once ``entries`` are committed; raise a RegistryError (INTERNAL, one line) if they could not be."""
        if not entries:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((entries, done))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        await asyncio.shield(done)  # a request cancelled meanwhile does not cancel the others' write

    async def _drain(self) -> None:
        batch: list[tuple[Sequence[Entry], asyncio.Future[None]]] = []
        try:
            while self._waiting:
                # One connection for batches that follow each other; a failed shared write gives it back, and
                # each request's entries are written alone on whatever connection the pool gives.
                try:
                    async with self._pool.acquire() as conn:
                        while self._waiting:
                            batch, self._waiting = self._waiting, []
                            if len(batch) > 1 and await self._shared(conn, batch):
                                continue
                            if len(batch) == 1 and await self._alone(conn, *batch[0]):
                                continue
                            break
                except Exception as err:  # no connection from the pool (or none given back): each one alone
                    log.warning("the query log's connection failed (%s); writing each request's entries alone", err)
                    batch, self._waiting = batch + self._waiting, []
                for entries, done in batch:
                    if not done.done():
                        await self._alone(self._pool, entries, done)
                batch = []
        finally:  # also when cancelled (shutdown): nobody is left waiting for a write that will not come
            self._writer = None
            stopped = _not_logged()
            for _, done in batch + self._waiting:
                _settle(done, stopped)
            self._waiting = []

    @staticmethod
    async def _shared(conn: Any, batch: list[tuple[Sequence[Entry], asyncio.Future[None]]]) -> bool:
        try:
            await querylog.append_many(conn, [e for entries, _ in batch for e in entries])
        except Exception as err:  # written again one request at a time: only a bad one fails
            log.warning("a shared query-log write failed (%s); writing each request's entries alone", err)
            return False
        for _, done in batch:
            _settle(done, None)
        return True

    @staticmethod
    async def _alone(conn: Any, entries: Sequence[Entry], done: asyncio.Future[None]) -> bool:
        try:
            await querylog.append_many(conn, entries)
        except Exception as err:
            log.warning("a query-log write failed: %s", err)
            _settle(done, _not_logged())
            return False
        _settle(done, None)
        return True


def _not_logged() -> RegistryError:
    return RegistryError("what you asked for could not be written to the officer's query log, so it is not shown: "
                         "try again shortly")


def _settle(done: asyncio.Future[None], err: BaseException | None) -> None:
    if done.done():
        return
    if err is None:
        done.set_result(None)
    else:
        done.set_exception(err)
