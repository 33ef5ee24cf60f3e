"""The request guard leaves the operation it read for the GraphQL route: only for the very body it read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from web.request_guard import BodyError, check_body, checked_operation, remember_operation


def test_the_operation_as_json_loads_reads_it() -> None:
    raw = json.dumps({"query": "{ a }", "variables": {"n": 123456789012345678901234567890}}).encode()
    op = check_body(raw)
    assert op == json.loads(raw) and op["variables"]["n"] == 123456789012345678901234567890


def test_only_for_the_body_it_read() -> None:
    scope: dict[str, Any] = {"type": "http"}
    raw = b'{"query": "{ a }"}'
    remember_operation(scope, raw, check_body(raw))
    assert checked_operation(scope, raw) == {"query": "{ a }"}
    assert checked_operation(scope, bytes(raw)) == {"query": "{ a }"}  # the same bytes, another object
    assert checked_operation(scope, b'{"query": "{ b }"}') is None  # a body rewritten since
    assert checked_operation({"type": "http"}, raw) is None  # not checked (another content type)


@pytest.mark.parametrize("raw", [b"[1]", b'{"query": 1}', b"\xff", b"{", b"[" * 100 + b"]" * 100])
def test_refused_bodies_leave_nothing(raw: bytes) -> None:
    with pytest.raises(BodyError):
        check_body(raw)
