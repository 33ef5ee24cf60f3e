"""registry.jsonfast writes what the standard library writes (orjson where the two agree)."""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import jsonfast

_SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63 - 5, max_value=2**64 + 5)
            | st.floats() | st.text())
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4), max_leaves=20)


def _same(a: Any, b: Any) -> bool:
    """Equal JSON values, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _outcome(fn: Any, arg: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(arg)
    except Exception as err:  # the kind of error is what must agree
        return "error", type(err).__mro__[1] if type(err).__module__.startswith("orjson") else type(err)


@settings(max_examples=1500, deadline=None)
@given(_VALUES)
def test_writing_gives_the_json_value_the_standard_library_writes(value: Any) -> None:
    ours, theirs = _outcome(jsonfast.dumps, value), _outcome(json.dumps, value)
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert _same(json.loads(ours[1]), json.loads(theirs[1]))
        assert "NaN" not in theirs[1] or "NaN" in ours[1]  # a non-finite float is written as json writes it
    response = _outcome(jsonfast.compact_bytes, value)
    if response[0] == "ok" and theirs[0] == "ok" and "NaN" not in theirs[1] and "Infinity" not in theirs[1]:
        assert _same(json.loads(response[1]), json.loads(theirs[1]))


class _Kind(enum.StrEnum):
    RECORD = "record"


@dataclass
class _Row:
    id: str


@pytest.mark.parametrize("value", [
    {"at": datetime(2026, 12, 6, tzinfo=UTC)}, {"on": date(2026, 12, 6)}, {"row": _Row("x")},  # json refuses these
    {"kind": _Kind.RECORD}, {1: "one", 2.5: "x", None: 1, False: 2}, {"big": 2**70, "small": -(2**70)},
    {"nan": float("nan")}, [float("inf")], {"s": "\ud800 lone surrogate", "e": "\u00e9"},
])
def test_values_orjson_would_write_otherwise_are_written_as_json_writes_them(value: Any) -> None:
    ours, theirs = _outcome(jsonfast.dumps, value), _outcome(json.dumps, value)
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert _same(json.loads(ours[1]), json.loads(theirs[1]))
        assert ("NaN" in ours[1]) == ("NaN" in theirs[1]) and ("Infinity" in ours[1]) == ("Infinity" in theirs[1])
