"""Live notices for GraphQL subscriptions: PostgreSQL LISTEN/NOTIFY as a wake-up, the notices
table as the source of truth.

The publish transaction that writes a notice also runs ``pg_notify('registry_monitoring',
'<KIND>:<ID>')`` (naming only the enrollee, never content); PostgreSQL delivers it only if that
transaction commits. Each server process keeps one listening connection per pool (taken when the
first subscriber arrives, given back after the last leaves) and wakes the subscribers of that
enrollee, which then read their new notices by id. So a subscriber gets exactly its own notices,
in commit order, and a missed NOTIFY (a dropped listening connection) costs only latency: every
subscriber also re-reads on a timer. A client that reconnects passes its last cursor as ``after``
to receive what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg

from monitoring.hooks import CHANNEL
from monitoring.owners import Owner
from store import monitoring as store
from store.monitoring import NoticeRow

log = logging.getLogger("registry.monitoring")
PAGE = 100


class NoticeHub:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.waiters: dict[str, set[asyncio.Event]] = {}
        self._conn: asyncpg.pool.PoolConnectionProxy | None = None
        self._lock = asyncio.Lock()
        self.closed = False  # released with its app: takes no connection any more, its streams end

    async def _listen(self) -> None:
        if self.closed or (self._conn is not None and not self._conn.is_closed()):
            return
        # Shielded: a subscriber cancelled here (its socket closed) must not interrupt the pool's protocol
        # mid-statement (asyncpg can then hand the connection back while the server still holds a transaction
        # open, and the next TRUNCATE waits forever: seen in CI). The opening finishes on its own.
        await asyncio.shield(self._open_listener())

    async def _open_listener(self) -> None:
        try:
            conn = await self.pool.acquire()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.warning("cannot LISTEN for monitoring notices (%s); subscribers fall back to polling", err)
            return
        try:
            await conn.add_listener(CHANNEL, self._on_notify)
            conn.add_termination_listener(self._on_lost)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            await self.pool.release(conn)
            log.warning("cannot LISTEN for monitoring notices (%s); subscribers fall back to polling", err)
            return
        if self.closed or not self.waiters or (self._conn is not None and not self._conn.is_closed()):
            # everyone left while it opened (or another opening won): give it back
            with contextlib.suppress(Exception):
                await conn.remove_listener(CHANNEL, self._on_notify)
            await self.pool.release(conn)
            return
        self._conn = conn

    async def _unlisten(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            await conn.remove_listener(CHANNEL, self._on_notify)
        with contextlib.suppress(Exception):
            await self.pool.release(conn)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        for event in self.waiters.get(payload, ()):
            event.set()

    def _on_lost(self, _conn: object) -> None:
        self._conn = None
        for events in self.waiters.values():
            for event in events:
                event.set()

    async def join(self, owner: Owner, event: asyncio.Event) -> None:
        async with self._lock:
            self.waiters.setdefault(owner.channel_key, set()).add(event)
            await self._listen()

    async def leave(self, owner: Owner, event: asyncio.Event) -> None:
        async with self._lock:
            events = self.waiters.get(owner.channel_key)
            if events is not None:
                events.discard(event)
                if not events:
                    del self.waiters[owner.channel_key]
            if not self.waiters:
                await self._unlisten()

    async def stream(self, owner: Owner, after: int | None, poll_seconds: float) -> AsyncIterator[NoticeRow]:
        """The enrollee's notices after ``after`` (default: from now on), as they commit."""
        event = asyncio.Event()
        try:  # join inside: a subscriber cancelled while joining still leaves (else the hub listens forever)
            await self.join(owner, event)
            # each read shielded: a cancelled subscriber never interrupts a statement (see _listen)
            last = after if after is not None else await asyncio.shield(
                store.last_notice_id(self.pool, owner.kind, owner.id))
            while not self.closed:
                event.clear()  # cleared before reading: a NOTIFY arriving meanwhile is not lost
                rows = await asyncio.shield(store.notices_after(self.pool, owner.kind, owner.id, last, PAGE))
                for row in rows:
                    last = row.id
                    yield row
                if len(rows) == PAGE:
                    continue
                if self._conn is None:
                    async with self._lock:
                        await self._listen()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), poll_seconds)
        finally:
            await asyncio.shield(self.leave(owner, event))


_hubs: dict[int, NoticeHub] = {}  # asyncpg pools take no weak references; there are only ever a few


async def release(pool: asyncpg.Pool) -> None:
    """Give back the pool's listening connection (the app is stopping: its subscriptions end with it), so the
    pool can close instead of waiting for a connection that is never released."""
    hub = _hubs.pop(id(pool), None)
    if hub is not None:
        async with hub._lock:
            hub.closed = True
            for events in hub.waiters.values():
                for event in events:
                    event.set()  # wake the streams: they see the hub closed and end
            hub.waiters.clear()
            await hub._unlisten()


def listening(pool: asyncpg.Pool) -> bool:
    """Whether this process holds a listening connection from ``pool`` (for tests and diagnostics)."""
    hub = _hubs.get(id(pool))
    return hub is not None and hub._conn is not None


def hub_for(pool: asyncpg.Pool) -> NoticeHub:
    hub = _hubs.get(id(pool))
    if hub is None or hub.pool is not pool:
        hub = _hubs[id(pool)] = NoticeHub(pool)
    return hub
