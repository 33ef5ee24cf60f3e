"""Backfill after a blocking-scheme change (``registry rekey``).

Officers keyed under an older scheme (``officers.blocking_scheme``, migration 0014) get their keys re-derived
from every name on file, ``batch`` officers per transaction, in ID order, until none is left. Idempotent and
resumable: stop it at any time and run it again. Lookups work meanwhile (an older scheme's keys are a subset of
the current one's; an officer not yet re-keyed is only found less often), and publishing about an officer
re-keys them anyway.
"""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from identity import matching


async def rekey_all(conn: asyncpg.Connection, *, batch: int = 500,
                    progress: Callable[[int], None] | None = None) -> int:
    """Re-key every officer keyed under an older scheme; returns how many were (``progress`` gets the running
    count after each batch)."""
    done, after = 0, ""
    while True:
        async with conn.transaction():
            count, last = await matching.rekey_stale(conn, batch=batch, after=after)
        if last is None:
            return done
        done, after = done + count, last
        if progress is not None:
            progress(done)
