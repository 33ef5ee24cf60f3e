"""The due-process lifecycle of a misconduct record (SPEC: Due process).

NOTICE_PENDING → NOTICE_SERVED → HEARING_PENDING → APPEAL_PENDING → FINAL, moving forward only
(a step may be skipped: an officer may waive a hearing or not appeal), and from any state to
OVERTURNED, RESCINDED or EXPUNGED. OVERTURNED and RESCINDED may still be EXPUNGED; EXPUNGED is the end.
"""

from __future__ import annotations

CHAIN = ("NOTICE_PENDING", "NOTICE_SERVED", "HEARING_PENDING", "APPEAL_PENDING", "FINAL")
CLOSING = ("OVERTURNED", "RESCINDED", "EXPUNGED")
ALL_STATUSES = CHAIN + CLOSING


def allowed_next(current: str) -> tuple[str, ...]:
    if current == "EXPUNGED":
        return ()
    if current in ("OVERTURNED", "RESCINDED"):
        return ("EXPUNGED",)
    position = CHAIN.index(current)
    return CHAIN[position + 1 :] + CLOSING


def check_transition(current: str, target: str) -> str | None:
    """None when the move is allowed, else a sentence saying why not."""
    if target not in ALL_STATUSES:
        return f"unknown due-process status {target}"
    if target == current:
        return f"the record is already {current}"
    allowed = allowed_next(current)
    if target not in allowed:
        if not allowed:
            return f"a record that is {current} can no longer change"
        return f"a record that is {current} can move only to {', '.join(allowed)}, not {target}"
    return None


def initial_status_allowed(status: str) -> bool:
    """A new record starts somewhere on the chain (a board may publish a decision already FINAL)."""
    return status in CHAIN
