"""A request's objects go when it ends, not at the garbage collector's next pass.

Cyclic garbage left by every request made the collector run often, and its full passes were the lookup's p99
(docs/performance.md): graphql-core's execution context refers to itself (schema._ExecutionContext drops the link
once the response is built) and the request scope held the context that holds the request (server.py keeps a weak
reference). With the collector off, a few successful requests of each kind are made; one collection then must
find none of the server's request objects among the unreachable ones. The same for answers with errors: each
error's traceback refers to the frames that raised it, so it is dropped once the error is logged (only unexpected
errors are, and their log record keeps its own copy).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from graphql import GraphQLError
from graphql.execution import Executor
from strawberry.dataloader import DataLoader

from schema import build_schema
from schema.context import Context
from schema.loaders import Loaders
from tests.support import World, cert_issued, record_published

LOOKUP = """query($id: ID!) { officer(id: $id) { id names { fullName }
  certifications { edges { node { number status publisher { name } } } }
  employment { edges { node { startDate agency { name } } } }
  records { edges { node { kind status statusHistory { toStatus } } } } } }"""


def _request_objects(objects: list[Any]) -> list[str]:
    kinds = (Context, Loaders, DataLoader, Executor)
    return sorted({type(o).__name__ for o in objects if isinstance(o, kinds)})


async def _left_after(requests: Callable[[], Awaitable[None]]) -> list[str]:
    """The server's request objects among what one collection finds unreachable after ``requests`` (made three
    times with the collector off)."""
    await requests()  # warm: caches, connections
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            await requests()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return _request_objects(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def test_requests_leave_no_cyclic_garbage(world: World) -> None:
    officer = (await world.publish_ok("ca-post", cert_issued(number="G-1")))[0]["officerId"]
    await world.publish_ok("ca-post", record_published(source="g-rec", subj={"registryId": officer}))
    audit = {"Registry-Purpose": "OVERSIGHT_AUDIT"}

    async def requests() -> None:
        await world.ok(LOOKUP, {"id": officer}, as_="auditor", headers=audit)
        await world.ok(LOOKUP, {"id": officer}, as_="hiring_agency", agency_ori="WA0170000",
                       headers={"Registry-Purpose": "PRE_EMPLOYMENT_BACKGROUND_CHECK"})
        await world.ok('{ verifyCertification(state: "CA", number: "G-1") { status } }', as_="auditor",
                       headers=audit)

    left = await _left_after(requests)
    assert left == [], f"requests left cyclic garbage holding {left}"


async def test_answers_with_errors_leave_no_cyclic_garbage(world: World) -> None:
    """Refusals and client mistakes too: once logged (only unexpected errors are), errors drop their tracebacks."""
    officer = (await world.publish_ok("ca-post", cert_issued(number="G-2")))[0]["officerId"]
    hiring = world.token("hiring_agency", agency_ori="WA0170000")
    asks: list[tuple[str, dict[str, Any] | None]] = [
        (LOOKUP, {"id": officer}),  # PURPOSE_REQUIRED
        ("{ queryLog(first: 1) { edges { node { id } } } }", None),  # FORBIDDEN
        ("query($id: ID!) { officer(id: $id, purpose: PRE_EMPLOYMENT_BACKGROUND_CHECK) {"
         " certifications(first: 1000) { totalCount } } }", {"id": officer}),  # BAD_USER_INPUT (page size)
        ("{ officer(id: 1) { nope } }", None),  # validation
        ("{ officer(", None),  # parse
    ]

    async def requests() -> None:
        for query, variables in asks:
            resp = await world.post(query, variables, token=hiring)
            assert resp.json().get("errors"), (query, resp.text)

    left = await _left_after(requests)
    assert left == [], f"answers with errors left cyclic garbage holding {left}"


def test_an_unexpected_error_is_logged_with_its_traceback_before_it_is_dropped(
        caplog: pytest.LogCaptureFixture) -> None:
    def failing() -> None:
        raise RuntimeError("disk on fire")

    try:
        failing()
    except RuntimeError as err:
        error = GraphQLError("disk on fire", original_error=err, path=["officer"])
    with caplog.at_level(logging.ERROR, logger="registry.errors"):
        build_schema().process_errors([error])
    assert error.original_error is not None and error.original_error.__traceback__ is None  # no frames kept
    assert "unexpected error at ['officer']" in caplog.text
    assert "Traceback" in caplog.text and "in failing" in caplog.text  # the log record kept its own copy
