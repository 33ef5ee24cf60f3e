"""The registry's Prometheus metrics, defined once so every layer counts into the same series.

Under ``registry serve --workers N`` the supervisor sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start,
so counters and histograms of every worker add up in one scrape (prometheus-client's multiprocess mode).
Gauges read from the database (log size, checkpoint age, outbox depth, replica lag) are not kept here: they
are read when /metrics is scraped (``web.metrics``).
"""

from __future__ import annotations

import re
import threading
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["OperationNames", "child", "graphql_errors", "graphql_plans", "graphql_seconds", "operation_label",
           "pool_connections", "publish_events", "requests_refused"]

graphql_seconds = Histogram(
    "registry_graphql_request_seconds", "Time from request to GraphQL result, by operation name.",
    ["operation"], buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10),
)
graphql_plans = Counter(
    "registry_graphql_plans_total", "GraphQL requests by who executed them: a compiled plan (planned), graphql-core "
    "for a document no plan fits (unplanned), graphql-core for a request its plan handed over (fallback: a "
    "refusal, a missing purpose, an error).", ["outcome"])
graphql_errors = Counter("registry_graphql_errors_total", "GraphQL errors returned, by extensions.code.", ["code"])
requests_refused = Counter("registry_http_refusals_total",
                           "Requests refused before GraphQL ran (token, body, purpose), by code.", ["code"])
publish_events = Counter("registry_publish_events_total", "Events sent to publishEvents, by outcome and mode "
                         "(publish or dry_run).", ["outcome", "mode"])
pool_connections = Gauge("registry_db_pool_connections", "Database pool connections of this process, by state.",
                         ["pool", "state"], multiprocess_mode="livesum")

#: Operation names are chosen by callers: only this many distinct ones get their own series, the rest are
#: counted as "other" (a caller inventing names cannot grow the scrape without bound).
MAX_OPERATIONS = 200
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")


class OperationNames:
    """Labels for GraphQL operation names: the name itself (first ``limit`` distinct ones), "anonymous" or
    "other"."""

    def __init__(self, limit: int = MAX_OPERATIONS) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: object) -> str:
        if not isinstance(name, str) or not name:
            return "anonymous"
        if not _NAME.fullmatch(name):
            return "other"
        with self._lock:
            if name not in self._seen:
                if len(self._seen) >= self.limit:
                    return "other"
                self._seen.add(name)
            return name


operation_label = OperationNames().label

_children: dict[tuple[int, tuple[str, ...]], Any] = {}


def child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once per series: ``labels`` takes a lock and builds its key on every
    call, and the request path counts several series per request. Every caller's labels come from a bounded set
    (outcomes, codes, operation labels)."""
    key = (id(metric), labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found
