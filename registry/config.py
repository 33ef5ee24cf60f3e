"""Settings from the environment, with development defaults kept in a per-user data directory.

``Settings`` holds everything a process needs; ``MonitoringConfig`` is its part about webhook delivery and
notices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from registry.urls import https_or_loopback


class ConfigError(ValueError):
    """A setting the registry cannot start with; the message names the variable (or file) and the fix."""


Env = dict[str, str] | os._Environ[str]


def _seconds(env: Env, name: str, default: float) -> float:
    raw = env.get(name)
    try:
        value = default if raw is None else float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds (0 = off), not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be a number of seconds (0 = off), not {raw!r}")
    return value


def _positive_seconds(env: Env, name: str, default: float) -> float:
    raw = env.get(name)
    try:
        value = default if raw is None else float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name} must be a number of seconds greater than 0, not {raw!r}")
    return value


def _int(env: Env, name: str, default: int, low: int = 1, high: int = 2**31 - 1) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return value


def _choice(env: Env, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, default)
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _issuer_url(env: Env, name: str, default: str) -> str:
    """An issuer identifier: SD-JWT VC wants an https URL with no query or fragment (http only for localhost)."""
    value = env.get(name, default)
    parts = urlsplit(value)
    if not parts.hostname or not https_or_loopback(parts) or parts.query or parts.fragment \
            or "?" in value or "#" in value:
        raise ConfigError(f"{name} must be an https URL without query or fragment "
                          f"(e.g. https://registry.example), not {value!r}")
    return value


def _secret(env: Env, name: str) -> str | None:
    value = env.get(name) or None
    if value is not None and (len(value) < 16 or any(c.isspace() for c in value)):
        raise ConfigError(f"{name} must be at least 16 characters without spaces (e.g. from: openssl rand -hex 24)")
    return value


def _replica_urls(env: Env, name: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in env.get(name, "").split(",") if u.strip())
    for url in urls:
        if urlsplit(url).scheme not in ("postgresql", "postgres"):
            shown = url.split("@")[-1]  # never echo a password
            raise ConfigError(f"{name} must be a comma-separated list of postgresql:// URLs, not ...{shown!r}")
    return urls


def _flag(env: Env, name: str, default: bool) -> bool:
    value = env.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class MonitoringConfig:
    """How webhooks are delivered and what endpoints may be registered.

    Retries: attempt ``n`` that fails is retried after a random delay in
    ``[0, min(backoff_cap, backoff_base * 2**(n-1))]`` (exponential backoff with full jitter), or
    later if the receiver sent ``Retry-After``; after ``max_attempts`` the delivery is a dead letter.
    A claimed delivery is leased for ``lease_seconds`` (longer than ``timeout``): a worker that dies
    mid-request delays it by at most that much.
    """

    worker: bool = True                 # run the delivery worker inside `registry serve`
    allow_http: bool = False            # accept http:// endpoint URLs (https only by default)
    allow_private_targets: bool = False  # accept loopback/private/link-local endpoint addresses
    timeout: float = 15.0
    max_attempts: int = 16             # about a day of retries on average, two at most (full jitter)
    backoff_base: float = 30.0
    backoff_cap: float = 6 * 3600.0
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    batch_size: int = 20
    max_endpoints: int = 10             # per enrollee
    subscription_poll_seconds: float = 5.0  # fallback when a NOTIFY is missed
    roster_max_bytes: int = 1_000_000
    roster_max_rows: int = 10_000

    @classmethod
    def from_env(cls, development: bool = False) -> MonitoringConfig:
        env = os.environ
        return cls(
            worker=_flag(env, "REGISTRY_WEBHOOK_WORKER", True),
            allow_http=_flag(env, "REGISTRY_WEBHOOK_ALLOW_HTTP", development),
            allow_private_targets=_flag(env, "REGISTRY_WEBHOOK_ALLOW_PRIVATE", development),
            timeout=_seconds(env, "REGISTRY_WEBHOOK_TIMEOUT", 15.0),
            max_attempts=_int(env, "REGISTRY_WEBHOOK_MAX_ATTEMPTS", 16),
            backoff_base=_seconds(env, "REGISTRY_WEBHOOK_BACKOFF_BASE", 30.0),
            backoff_cap=_seconds(env, "REGISTRY_WEBHOOK_BACKOFF_CAP", 6 * 3600.0),
            lease_seconds=_seconds(env, "REGISTRY_WEBHOOK_LEASE", 60.0),
        )

    def __post_init__(self) -> None:
        if self.lease_seconds <= self.timeout:
            raise ConfigError("REGISTRY_WEBHOOK_LEASE must be longer than REGISTRY_WEBHOOK_TIMEOUT")
        if self.max_attempts < 1 or self.backoff_base < 0 or self.backoff_cap < self.backoff_base:
            raise ConfigError("webhook retries need REGISTRY_WEBHOOK_MAX_ATTEMPTS >= 1 and "
                              "REGISTRY_WEBHOOK_BACKOFF_BASE <= REGISTRY_WEBHOOK_BACKOFF_CAP")




def default_data_dir() -> Path:
    return Path(os.environ.get("REGISTRY_DATA_DIR") or platformdirs.user_data_dir("officer-registry"))


@dataclass(frozen=True)
class Settings:
    """Everything the server needs; secrets default to files created in ``data_dir`` on first use."""

    database_url: str | None = None
    data_dir: Path = field(default_factory=default_data_dir)
    development: bool = False
    graphiql: bool = False
    introspection: str = "authenticated"  # "authenticated", "public" or "off"
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_page_size: int = 100
    max_body_bytes: int = 8 * 1024 * 1024  # a POST /graphql body larger than this is refused (413)
    # Officer lookups that fit a compiled plan skip graphql-core's generic execution (schema/plan.py); off: every
    # document goes through graphql-core (REGISTRY_COMPILED_PLANS=0), a switch for operators should a plan err.
    compiled_plans: bool = True
    issuers_file: Path | None = None
    audience: str = "officer-registry"
    log_origin: str = "officer-registry.example/log"
    # Checkpoint timer; a publish signs a checkpoint only when the last is older than this (0: timer off,
    # every publish signs). Readers of /checkpoint, proofs and bundles get one on demand.
    checkpoint_seconds: float = 10.0
    # How long a batch of an upload waits for the batch before it to be decided (publishing.uploads).
    upload_wait_seconds: float = 30.0
    statement_max_length: int = 4000
    stats_min_cell: int = 11  # public statistics: counts below this are suppressed (EO 13929 Sec. 3(c))
    attestation_issuer: str = "https://officer-registry.example"  # the `iss` of credential attestations
    # If set, /graphql answers only requests carrying it in Registry-Subgraph-Secret (from the router).
    subgraph_secret: str | None = field(default=None, repr=False)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)  # webhooks and notices
    # Streaming replicas that answer reads of hiring agencies, partners and the public (registry.replicas).
    replica_urls: tuple[str, ...] = field(default=(), repr=False)
    replica_max_lag: float = 5.0   # a replica further behind than this many seconds answers nothing
    replica_wait: float = 0.5      # read-your-writes: how long a read waits for a replica to replay the caller's LSN
    port: int = 8000              # `registry serve` (PORT; --port wins)
    workers: int = 1              # `registry serve` processes (REGISTRY_WORKERS; --workers wins)
    db_pool_size: int = 10        # connections per process to each database (REGISTRY_DB_POOL_SIZE)
    log_format: str = "text"  # "text" or "json" (one object per line, with the request ID)
    # GET /metrics answers scrapes carrying it as a bearer token; unset: /metrics is off (on in development).
    metrics_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        dev = _choice(env, "REGISTRY_ENV", "production", ("production", "development")) == "development"
        issuers = env.get("REGISTRY_ISSUERS_FILE")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=default_data_dir(),
            development=dev,
            graphiql=env.get("REGISTRY_GRAPHIQL", "1" if dev else "0") == "1",
            introspection=_choice(env, "REGISTRY_INTROSPECTION", "authenticated", ("authenticated", "public", "off")),
            max_depth=_int(env, "REGISTRY_MAX_DEPTH", 12),
            max_aliases=_int(env, "REGISTRY_MAX_ALIASES", 30),
            max_tokens=_int(env, "REGISTRY_MAX_TOKENS", 5000),
            max_page_size=_int(env, "REGISTRY_MAX_PAGE_SIZE", 100),
            max_body_bytes=_int(env, "REGISTRY_MAX_BODY_BYTES", 8 * 1024 * 1024, low=1024),
            compiled_plans=_flag(env, "REGISTRY_COMPILED_PLANS", True),
            issuers_file=Path(issuers) if issuers else None,
            audience=env.get("REGISTRY_AUDIENCE", "officer-registry"),
            log_origin=env.get("REGISTRY_LOG_ORIGIN", "officer-registry.example/log"),
            checkpoint_seconds=_seconds(env, "REGISTRY_CHECKPOINT_SECONDS", 10.0),
            upload_wait_seconds=_positive_seconds(env, "REGISTRY_UPLOAD_WAIT_SECONDS", 30.0),
            stats_min_cell=_int(env, "REGISTRY_STATS_MIN_CELL", 11, low=2),
            attestation_issuer=_issuer_url(env, "REGISTRY_ATTESTATION_ISSUER", "https://officer-registry.example"),
            subgraph_secret=env.get("REGISTRY_SUBGRAPH_SECRET") or None,
            monitoring=MonitoringConfig.from_env(dev),
            replica_urls=_replica_urls(env, "DATABASE_REPLICA_URLS"),
            replica_max_lag=_positive_seconds(env, "REGISTRY_REPLICA_MAX_LAG", 5.0),
            replica_wait=_seconds(env, "REGISTRY_REPLICA_WAIT", 0.5),
            port=_int(env, "PORT", 8000, low=0, high=65535),
            workers=_int(env, "REGISTRY_WORKERS", 1, high=64),
            db_pool_size=_int(env, "REGISTRY_DB_POOL_SIZE", 10, low=2, high=1000),
            log_format=_choice(env, "REGISTRY_LOG_FORMAT", "text", ("text", "json")),
            metrics_token=_secret(env, "REGISTRY_METRICS_TOKEN"),
        )

    @property
    def secrets_dir(self) -> Path:
        return self.data_dir / "secrets"
