"""Asking the configured witnesses to cosign each new checkpoint (the client side of c2sp.org/tlog-witness).

For each witness the registry sends ``old <size>``, the consistency proof from that size and the signed
checkpoint. It starts from the size it last saw the witness cosign (0 after a restart); a witness that
answers 409 says its size, and the request is made once more from there. A returned line is kept only if it
verifies with the witness's configured key; failures are logged, never block publishing, and the next
checkpoint asks again.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
import httpx

from ledger import proofs
from ledger.cosignature import CosignatureVerifier

__all__ = ["WitnessEndpoint", "cosign"]

log = logging.getLogger(__name__)


@dataclass
class WitnessEndpoint:
    url: str  # the submission prefix; /add-checkpoint is appended
    key: CosignatureVerifier
    last_size: int = field(default=0, compare=False)  # what it last cosigned, as far as this process knows


async def cosign(conn: asyncpg.Connection, size: int, note: str, witnesses: Sequence[WitnessEndpoint],
                 *, request_seconds: float = 5.0) -> list[str]:
    """The valid cosignature lines the witnesses return for the checkpoint ``note`` of tree ``size``."""
    text = note[: note.rfind("\n\n") + 1]
    lines: list[str] = []
    async with httpx.AsyncClient(timeout=request_seconds, follow_redirects=False) as client:
        for witness in witnesses:
            try:
                line = await _ask(conn, client, witness, size, note, text)
            except (httpx.HTTPError, proofs.TreeSizeError, ValueError) as err:
                log.warning("witness %s at %s: %s", witness.key.name, witness.url, err)
                continue
            if line is not None:
                lines.append(line)
    return lines


async def _ask(conn: asyncpg.Connection, client: httpx.AsyncClient, witness: WitnessEndpoint, size: int,
               note: str, text: str) -> str | None:
    for _attempt in range(2):
        old = min(witness.last_size, size)
        proof = (await proofs.consistency_with_roots(conn, old, size)).proof if 0 < old < size else []
        body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n" + note
        resp = await client.post(witness.url.rstrip("/") + "/add-checkpoint", content=body.encode())
        if resp.status_code == 409 and resp.headers.get("content-type", "").startswith("text/x.tlog.size"):
            known = int(resp.text.strip())
            if known > size:
                log.error("witness %s has cosigned a larger tree (%d) than this checkpoint (%d): the log was "
                          "rolled back or forked", witness.key.name, known, size)
                return None
            if known == witness.last_size:
                log.error("witness %s refuses the checkpoint at size %d: it holds another tree of size %d",
                          witness.key.name, size, known)
                return None
            witness.last_size = known
            continue
        if resp.status_code != 200:
            log.error("witness %s refused the checkpoint at size %d: HTTP %d %s", witness.key.name, size,
                      resp.status_code, resp.text.strip()[:200])
            return None
        for line in resp.text.splitlines():
            if witness.key.timestamp_of(text, line) is not None:
                witness.last_size = size
                return line + "\n"
        log.error("witness %s answered without a valid cosignature", witness.key.name)
        return None
    return None
