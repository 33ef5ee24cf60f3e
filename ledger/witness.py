"""A C2SP tlog-witness: cosigns a log's checkpoint only when it extends the last one it cosigned.

``add_checkpoint`` implements the protocol's one call (c2sp.org/tlog-witness): the request body is
``old <size>`` and the consistency proof lines (base64 hashes), an empty line, then the signed checkpoint.
The witness checks the log's signature (404 unknown origin, 403 no valid signature from a trusted key),
that ``old`` is the size it last cosigned (409 with its size, ``text/x.tlog.size``), the proof (422), and
at equal sizes the root (409); then it records the new head (atomically, under a lock, before answering)
and returns its cosignature line. A log that was restored and forked, or a signer with two histories,
gets no cosignature: the witness remembers the tree it cosigned, whatever the log says now.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ledger import state_file
from ledger.checkpoint import CheckpointError, NoteVerifier, open_note, parse_checkpoint
from ledger.cosignature import Cosigner
from ledger.merkle import ProofError, verify_consistency

__all__ = ["MAX_BODY", "Answer", "Witness"]

MAX_BODY = 64 * 1024
_OLD = re.compile(r"^old (0|[1-9][0-9]{0,19})$")
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class Witness:
    def __init__(self, cosigner: Cosigner, logs: Mapping[str, NoteVerifier | Sequence[NoteVerifier]],
                 state_path: Path | None) -> None:
        self.cosigner = cosigner
        # origin -> the log's checkpoint keys: one, or several while the log rotates its key (either may sign)
        self.logs = {origin: (keys,) if isinstance(keys, NoteVerifier) else tuple(keys)
                     for origin, keys in logs.items()}
        self.state_path = state_path
        self._memory: dict[str, dict[str, object]] = {}
        self._lock = threading.Lock()

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            old, proof, note = _parse(body)
        except ValueError as err:
            return Answer(400, f"{err}\n")
        origin = note.split("\n", 1)[0]
        verifiers = self.logs.get(origin)
        if verifiers is None:
            return Answer(404, f"unknown log {origin!r}\n")
        try:
            text = open_note(note, verifiers)
            cp = parse_checkpoint(text)
        except CheckpointError as err:
            return Answer(403, f"the checkpoint is not signed by the log's key: {err}\n")
        if old > cp.size:
            return Answer(400, "old size is larger than the checkpoint's size\n")
        with self._locked():
            known = self._load().get(origin)
            size = int(known["size"]) if known else 0  # type: ignore[call-overload]
            root = bytes.fromhex(str(known["root"])) if known else None
            if old != size:
                return Answer(409, f"{size}\n", SIZE_TYPE)
            if known is not None and cp.size == size and cp.root_hash != root:
                return Answer(409, f"{size}\n", SIZE_TYPE)
            if known is not None and cp.size > size:
                assert root is not None
                try:
                    verify_consistency(size, cp.size, proof, root, cp.root_hash)
                except ProofError as err:
                    return Answer(422, f"the consistency proof does not verify: {err}\n")
            elif proof and size == 0:
                return Answer(422, "the proof must be empty from size 0\n")
            state = self._load()
            state[origin] = {"size": cp.size, "root": cp.root_hash.hex()}
            self._save(state)
        return Answer(200, self.cosigner.cosign(text))

    # -- state: {origin: {"size", "root"}}, persisted before any answer ---------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            if self.state_path is None:
                yield
                return
            with state_file.locked(self.state_path):
                yield

    def _load(self) -> dict[str, dict[str, object]]:
        if self.state_path is None:
            return dict(self._memory)
        try:
            doc = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return {}
        if not isinstance(doc, dict):
            raise RuntimeError(f"witness state {self.state_path} is not a JSON object")
        return doc

    def _save(self, state: dict[str, dict[str, object]]) -> None:
        if self.state_path is None:
            self._memory = state
            return
        state_file.write(self.state_path, state)


def _parse(body: bytes) -> tuple[int, list[bytes], str]:
    if len(body) > MAX_BODY:
        raise ValueError("request too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("the request is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise ValueError("expected the old size and proof lines, an empty line, then the checkpoint")
    lines = head.split("\n")
    match = _OLD.match(lines[0])
    if not match:
        raise ValueError("the first line must be 'old <size>'")
    if len(lines) - 1 > 63:
        raise ValueError("more than 63 consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            value = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a proof line is not base64") from None
        if len(value) != 32:
            raise ValueError("a proof hash is not 32 bytes")
        proof.append(value)
    return int(match.group(1)), proof, note
