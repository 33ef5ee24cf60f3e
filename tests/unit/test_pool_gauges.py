"""The request path sets the pool gauges at most every POOL_GAUGE_SECONDS; a scrape sets them every time."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import REGISTRY

from server import POOL_GAUGE_SECONDS
from web.metrics import observe_pool


class _Sizes:
    """What observe_pool reads of an asyncpg pool."""

    def __init__(self, size: int, idle: int) -> None:
        self.size, self.idle = size, idle

    def get_size(self) -> int:
        return self.size

    def get_idle_size(self) -> int:
        return self.idle

    def get_max_size(self) -> int:
        return 10


def _in_use(name: str) -> Any:
    return REGISTRY.get_sample_value("registry_db_pool_connections", {"pool": name, "state": "in_use"})


def test_request_path_is_throttled_and_scrape_is_not() -> None:
    pool: Any = _Sizes(4, 1)
    observe_pool("gauge-test", pool, every=POOL_GAUGE_SECONDS)
    assert _in_use("gauge-test") == 3
    pool.idle = 4
    observe_pool("gauge-test", pool, every=POOL_GAUGE_SECONDS)  # within the interval: not read again
    assert _in_use("gauge-test") == 3
    time.sleep(POOL_GAUGE_SECONDS * 1.5)
    observe_pool("gauge-test", pool, every=POOL_GAUGE_SECONDS)
    assert _in_use("gauge-test") == 0
    pool.idle = 2
    observe_pool("gauge-test", pool)  # a scrape: always
    assert _in_use("gauge-test") == 2
