"""GET /metrics: Prometheus text exposition of the process (or all workers) and of the database's state.

Off unless ``REGISTRY_METRICS_TOKEN`` is set (then a scrape must send ``Authorization: Bearer <token>``) or the
server runs in development mode. Metrics say nothing about any officer, but publish counts and outbox depth
over time say when matters move, so they are not public.
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable

import asyncpg
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from registry import database, metrics
from registry.config import Settings
from registry.replicas import Replicas
from store import gauges
from web.responses import graphql_error

__all__ = ["CONTENT_TYPE", "endpoint", "observe_pool"]

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


@functools.cache
def _pool_gauges(name: str) -> tuple[Gauge, Gauge, Gauge]:
    """The pool's three series (in use, idle, max), looked up once: ``labels`` takes a lock and builds a key on
    every call, and the GraphQL route updates them on every request (so that under ``--workers`` a scrape reads
    every worker's current figures, not those of its last scrape)."""
    pc = metrics.pool_connections
    return pc.labels(name, "in_use"), pc.labels(name, "idle"), pc.labels(name, "max")


_observed_at: dict[str, float] = {}


def observe_pool(name: str, pool: asyncpg.Pool, *, every: float = 0.0) -> None:
    """Sets the pool's gauges; ``every``: not again within that many seconds (the request path: reading a pool's
    sizes walks its connections, about 50 calls, on every request otherwise)."""
    if every:
        now = time.monotonic()
        if now - _observed_at.get(name, -every) < every:
            return
        _observed_at[name] = now
    size, idle = pool.get_size(), pool.get_idle_size()
    in_use, idle_gauge, max_gauge = _pool_gauges(name)
    in_use.set(size - idle)
    idle_gauge.set(idle)
    max_gauge.set(pool.get_max_size())


def _gauge(name: str, doc: str, value: float | None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc)
    if value is not None:
        family.add_metric([], value)
    return family


def _replica_families(replicas: Replicas) -> list[Metric]:
    up = GaugeMetricFamily("registry_replica_up", "1 if the replica answers and is a standby in recovery.",
                           labels=["replica"])
    seconds = GaugeMetricFamily("registry_replica_lag_seconds", "How long ago the primary passed the position "
                                "the replica has replayed.", labels=["replica"])
    size = GaugeMetricFamily("registry_replica_lag_bytes", "WAL bytes the replica has not replayed yet.",
                             labels=["replica"])
    for r in replicas.replicas:
        up.add_metric([r.name], 1 if r.up else 0)
        if r.up and r.lag_seconds is not None and r.lag_bytes is not None:
            seconds.add_metric([r.name], r.lag_seconds)
            size.add_metric([r.name], r.lag_bytes)
        if r.pool is not None:
            observe_pool(r.name, r.pool)
    return [up, seconds, size]


async def _database_families(pool: asyncpg.Pool) -> list[Metric]:
    try:
        g = await gauges.read(pool)
    except database.OUTAGES as err:
        log.warning("metrics: database unavailable: %s", err)
        return [_gauge("registry_database_up", "1 if the primary answered this scrape.", 0)]
    families: list[Metric] = [
        _gauge("registry_database_up", "1 if the primary answered this scrape.", 1),
        _gauge("registry_log_size", "Entries in the signed log.", g.log_size),
        _gauge("registry_checkpoint_size", "Tree size of the latest signed checkpoint.", g.checkpoint_size),
        _gauge("registry_checkpoint_age_seconds", "Seconds since the latest checkpoint was signed.",
               g.checkpoint_age_seconds),
        _gauge("registry_log_unsigned_entries", "Log entries not yet covered by a signed checkpoint.",
               g.log_size - (g.checkpoint_size or 0)),
        _gauge("registry_webhook_outbox_pending", "Webhook deliveries waiting to be sent or retried.",
               g.outbox_pending),
        _gauge("registry_webhook_dead_letters", "Webhook deliveries that gave up (replayable).", g.dead_letters),
    ]
    return families


def endpoint(settings: Settings, pool: Callable[[], asyncpg.Pool | None],
             replicas: Callable[[], Replicas | None] = lambda: None) -> Callable[[Request], Awaitable[Response]]:
    token = settings.metrics_token

    async def handler(request: Request) -> Response:
        if token is None and not settings.development:
            return PlainTextResponse("metrics are off: set REGISTRY_METRICS_TOKEN and scrape with that bearer "
                                     "token\n", status_code=404)
        if token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
                return graphql_error(401, "UNAUTHENTICATED", "send Authorization: Bearer <REGISTRY_METRICS_TOKEN>")
        current, standby = pool(), replicas()
        if current is not None:
            observe_pool("primary", current)
        standby_families = [] if standby is None else _replica_families(standby)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            process = CollectorRegistry()
            MultiProcessCollector(process)  # type: ignore[no-untyped-call]  # every worker's counters, summed
        else:
            process = REGISTRY
        body = generate_latest(process)
        if current is not None:
            own = CollectorRegistry()
            own.register(_Families(await _database_families(current) + standby_families))
            body += generate_latest(own)
        return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})

    return handler
