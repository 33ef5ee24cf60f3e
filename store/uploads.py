"""The decided batches of uploads (``upload_batches``): the order publishing.uploads keeps between requests."""

from __future__ import annotations

from typing import Literal

import asyncpg

#: A batch committed, was not committed (events rejected, or a dry run) or failed as a whole (an error); the
#: table's CHECK allows these and nothing else.
Decision = Literal["COMMITTED", "NOT_COMMITTED", "FAILED"]


async def decision(conn: asyncpg.Connection, issuer: str, subject: str, upload: str, position: int) -> str | None:
    """What became of a batch (None: not decided, or never received)."""
    found: str | None = await conn.fetchval(
        "SELECT decision FROM upload_batches WHERE issuer = $1 AND subject = $2 AND upload = $3 AND position = $4",
        issuer, subject, upload, position)
    return found


async def decide(conn: asyncpg.Connection, issuer: str, subject: str, upload: str, position: int,
                 decision: Decision) -> None:
    """Record a batch's decision (a batch sent again is decided again) and forget what its successor no longer
    needs: the upload's batches before its predecessor, and (once per upload, at its first batch) every row older
    than a day. One statement: it runs in a committing batch's transaction."""
    await conn.execute(
        """WITH passed AS (DELETE FROM upload_batches
                           WHERE (issuer, subject, upload) = ($1, $2, $3) AND position < $4 - 1
                              OR ($4 = 0 AND (issuer, subject, upload) <> ($1, $2, $3)
                                  AND decided_at < now() - interval '1 day'))
           INSERT INTO upload_batches (issuer, subject, upload, position, decision) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (issuer, subject, upload, position)
           DO UPDATE SET decision = excluded.decision, decided_at = now()""",
        issuer, subject, upload, position, decision)
