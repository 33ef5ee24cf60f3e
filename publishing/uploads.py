"""The order of an upload's batches across requests.

`registry publish` keeps two batches in flight: it sends the next one before the last one's answer is back, so
that one batch's signatures are checked while the one before it is written. Each batch names its upload (an ID
the uploader chose) and its position in it, and the registry applies a batch only once the batch before it is
decided: committed, not committed (some event rejected, or a dry run: the upload goes on, as it does when the
batches are sent one by one), or failed as a whole (then every later batch of the upload is refused with
UPLOAD_STOPPED, nothing in it applied). A batch whose predecessor is not decided within the wait (it was never
sent, or the registry refused it before reading it: a bad token, a body too large) is refused with
UPLOAD_OUT_OF_ORDER, nothing in it applied. The decisions are in ``upload_batches``: a committed batch's is
written in its own transaction, so a successor that finds it also finds its events, whichever process served it.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

import asyncpg

from auth.principal import Principal
from registry.errors import BadInput, RegistryError
from store import uploads as upload_store

__all__ = ["WAIT_SECONDS", "OutOfOrder", "Place", "UploadFailed", "decide", "predecessor_decided",
           "wait_for_predecessor"]

#: How long a batch waits for the batch before it (REGISTRY_UPLOAD_WAIT_SECONDS).
WAIT_SECONDS = 30.0

_UPLOAD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_MAX_POSITION = 2**31 - 1
_POLL_FIRST, _POLL_MAX = 0.002, 0.05  # seconds between looks while waiting: doubling from the first to the most


class OutOfOrder(RegistryError):
    code = "UPLOAD_OUT_OF_ORDER"


class UploadFailed(RegistryError):
    code = "UPLOAD_STOPPED"


@dataclass(frozen=True)
class Place:
    """A batch's place: whose upload (the token's issuer and subject), which upload, which batch of it (from 0)."""

    issuer: str
    subject: str
    upload: str
    position: int

    @classmethod
    def of(cls, caller: Principal, upload: str, position: int) -> Place:
        if not _UPLOAD_ID.fullmatch(upload):
            raise BadInput("upload.id must be 1-64 characters of letters, digits and . _ : -")
        if not 0 <= position <= _MAX_POSITION:
            raise BadInput(f"upload.position must be between 0 and {_MAX_POSITION}")
        return cls(caller.issuer or "", caller.subject, upload, position)

    def __str__(self) -> str:
        return f"batch {self.position} of upload {self.upload}"


async def predecessor_decided(conn: asyncpg.Connection, place: Place) -> bool:
    """Whether the batch before this one is decided (the first batch has none). Raises UploadFailed if it failed
    as a whole."""
    if place.position == 0:
        return True
    found = await upload_store.decision(conn, place.issuer, place.subject, place.upload, place.position - 1)
    if found == "FAILED":
        raise UploadFailed(f"{place} is not applied: batch {place.position - 1} of the upload failed as a whole; "
                           "nothing in this batch was applied")
    return found is not None


async def wait_for_predecessor(conn: asyncpg.Connection, place: Place, since: float, wait: float) -> None:
    """Until the batch before this one is decided (looking now and then, holding no lock). Raises OutOfOrder
    ``wait`` seconds after ``since`` (time.monotonic: when the batch came), UploadFailed if it failed."""
    pause = _POLL_FIRST
    while not await predecessor_decided(conn, place):
        left = since + wait - time.monotonic()
        if left <= 0:
            raise OutOfOrder(f"{place} is not applied: batch {place.position - 1} of the upload was not decided "
                             f"within {wait:g} s (never sent, or refused before it was read); nothing in this "
                             "batch was applied")
        await asyncio.sleep(min(pause, left))
        pause = min(2 * pause, _POLL_MAX)


async def decide(conn: asyncpg.Connection, place: Place, decision: upload_store.Decision) -> None:
    await upload_store.decide(conn, place.issuer, place.subject, place.upload, place.position, decision)
