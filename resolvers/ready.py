"""Values ready now or later.

A lookup's lists and the objects they name are read with the officer in one statement and primed in the
request's DataLoaders (``schema.loaders.Loaders.officer_with``), so most nested fields have their answer at
once. A resolver that returns it at once keeps graphql-core on its synchronous path; one that awaits, even a
finished future, sends the field and every field beside it through coroutines, tasks and a gather.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeAlias, TypeVar

T = TypeVar("T")
U = TypeVar("U")

Maybe: TypeAlias = T | Awaitable[T]


def then(value: Maybe[T], fn: Callable[[T], Maybe[U]]) -> Maybe[U]:
    """``fn`` of what ``value`` gives: at once when ``value`` is a value or a finished future (a primed or
    already loaded DataLoader key, its error raised as awaiting it would), else when it resolves."""
    if isinstance(value, asyncio.Future) and value.done():
        return fn(value.result())
    if not inspect.isawaitable(value):
        return fn(value)

    async def later() -> U:
        out = fn(await value)
        if inspect.isawaitable(out):
            return await out
        return out

    return later()


async def settled(value: Maybe[T]) -> T:
    """What ``value`` gives, for a caller that awaits anyway."""
    if inspect.isawaitable(value):
        return await value
    return value
