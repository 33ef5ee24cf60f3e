"""Why the registry would refuse an unsigned event, one problem per field, from the models it applies.

``registry sign`` and ``registry publish`` check every event with the same pydantic models the server parses
signed events with (publishing/payloads.py), before anything is signed or sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from publishing.payloads import EVENT_ADAPTER, EVENT_TYPES

__all__ = ["FieldProblem", "event_problems"]


@dataclass(frozen=True)
class FieldProblem:
    """One bad field: ``field`` is its dotted path in the event (``subject.name.familyName``), or ``event``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def event_problems(event: Mapping[str, Any]) -> list[FieldProblem]:
    """Every problem the registry's event models find in ``event`` (empty: the models accept it)."""
    try:
        EVENT_ADAPTER.validate_python(dict(event))
    except ValidationError as err:
        return [_problem(e, event) for e in err.errors(include_url=False)]
    return []


def _problem(error: ErrorDetails, event: Mapping[str, Any]) -> FieldProblem:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    types = ", ".join(EVENT_TYPES)
    if kind == "union_tag_not_found":
        return FieldProblem("type", f"required: one of {types}")
    if kind == "union_tag_invalid":
        return FieldProblem("type", f"{event.get('type')!r} is not an event type; one of {types}")
    loc = list(error["loc"])
    if loc and loc[0] == event.get("type"):
        loc = loc[1:]  # the union's tag: the event type itself, not a field
    field = ""
    for part in loc:
        if isinstance(part, int):
            field += f"[{part}]"
        elif not part.startswith(("function-", "tagged-union")):
            field += f".{part}" if field else part
    if kind == "missing":
        message = "required"
    elif kind == "extra_forbidden":
        message = f"not a field of {event.get('type')} events" if "." not in field else "not a field here"
    elif kind == "literal_error":
        message = f"must be {ctx.get('expected')}; got {given!r}"
    elif kind == "string_pattern_mismatch":
        message = f"must match {ctx.get('pattern')}; got {given!r}"
    elif kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
    else:
        message = str(error["msg"])
        if isinstance(given, str | int | float | bool) and len(repr(given)) <= 60:
            message += f"; got {given!r}"
    return FieldProblem(field or "event", message)
