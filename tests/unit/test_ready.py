"""``resolvers.ready.then``: at once when the value is there, later when it is not, the same answer either way."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from resolvers.ready import Maybe, settled, then


def double(x: int) -> int:
    return 2 * x


async def test_a_plain_value_and_a_finished_future_are_answered_at_once() -> None:
    assert then(21, double) == 42
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    done.set_result(21)
    assert then(done, double) == 42  # not an awaitable: graphql-core stays on its synchronous path


async def test_a_pending_value_is_answered_when_it_resolves() -> None:
    pending: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    later = then(pending, double)
    assert inspect.isawaitable(later)
    pending.set_result(21)
    assert await later == 42


async def test_a_step_that_itself_waits_is_awaited_through() -> None:
    loop = asyncio.get_running_loop()
    first: asyncio.Future[int] = loop.create_future()
    second: asyncio.Future[int] = loop.create_future()

    def add_second(x: int) -> Maybe[int]:
        def plus(y: int) -> int:
            return x + y

        return then(second, plus)

    chained = then(first, add_second)
    first.set_result(40)
    second.set_result(2)
    assert await settled(chained) == 42
    done: asyncio.Future[int] = loop.create_future()
    done.set_result(40)
    waiting: asyncio.Future[int] = loop.create_future()

    def add_waiting(x: int) -> Maybe[int]:
        def plus(y: int) -> int:
            return x + y

        return then(waiting, plus)

    mixed = then(done, add_waiting)  # ready outside, waiting inside
    waiting.set_result(2)
    assert await settled(mixed) == 42


async def test_a_failed_load_raises_as_awaiting_it_would() -> None:
    loop = asyncio.get_running_loop()
    failed: asyncio.Future[int] = loop.create_future()
    failed.set_exception(LookupError("no such row"))
    with pytest.raises(LookupError, match="no such row"):
        then(failed, double)
    pending: asyncio.Future[int] = loop.create_future()
    later = then(pending, double)
    pending.set_exception(LookupError("no such row"))
    with pytest.raises(LookupError, match="no such row"):
        await settled(later)
