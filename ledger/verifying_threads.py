"""The process's two threads for signature checks.

cryptography releases the GIL while Ed25519 verifies, so on two cores a batch's checks run beside the event loop's
own work, and the loop keeps answering requests meanwhile. Publishing checks a batch's events here before it reads
them; the checkpointer checks here the entries it must verify in full (those another process published).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["MIN_ITEMS", "in_halves"]

T = TypeVar("T")
R = TypeVar("R")

#: Fewer items than this are checked on the caller's thread: handing them over would cost about what it saves.
MIN_ITEMS = 16


@functools.cache
def _threads(pid: int) -> concurrent.futures.ThreadPoolExecutor:
    """By process ID: a forked child does not have its parent's threads."""
    return concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"verify-{pid}")


async def in_halves(check: Callable[[Sequence[T]], R], items: Sequence[T]) -> tuple[R, R]:
    """``check`` of every other item on each thread: (its answer for the items at even places, at odd places).
    ``check`` must do no I/O and touch nothing another thread changes."""
    loop, threads = asyncio.get_running_loop(), _threads(os.getpid())
    even, odd = await asyncio.gather(loop.run_in_executor(threads, check, items[0::2]),
                                     loop.run_in_executor(threads, check, items[1::2]))
    return even, odd
