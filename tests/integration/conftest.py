from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.support import World


@pytest.fixture
async def world(pool: asyncpg.Pool, clean: None, tmp_path: Path) -> World:
    w = World(pool, tmp_path)
    await w.setup()
    return w
