from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from monitoring import live
from tests.support import World


@pytest.fixture
async def world(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    w = World(pool, tmp_path)
    await w.setup()
    return w


@pytest.fixture(autouse=True)
async def no_listening_connection_left(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After every test, no subscription may still hold the shared pool's listening connection: one that is
    never given back makes the pool's close wait forever (a hang at the end of the run, seen in CI)."""
    yield
    if "pool" not in request.fixturenames:
        return
    pool: asyncpg.Pool = request.getfixturevalue("pool")
    for _ in range(50):  # a subscription or server ending with its test finishes in the background
        if not live.listening(pool) and pool.get_size() == pool.get_idle_size():
            return
        await asyncio.sleep(0.1)
    if live.listening(pool):
        pytest.fail("a subscription left the pool's listening connection taken (monitoring.live)")
    pytest.fail(f"{pool.get_size() - pool.get_idle_size()} connection(s) of the shared pool were not given back")
