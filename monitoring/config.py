"""Monitoring and webhook delivery settings (part of ``registry.config.Settings``)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _flag(env: dict[str, str] | os._Environ[str], name: str, default: bool) -> bool:
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
            timeout=float(env.get("REGISTRY_WEBHOOK_TIMEOUT", "15")),
            max_attempts=int(env.get("REGISTRY_WEBHOOK_MAX_ATTEMPTS", "16")),
            backoff_base=float(env.get("REGISTRY_WEBHOOK_BACKOFF_BASE", "30")),
            backoff_cap=float(env.get("REGISTRY_WEBHOOK_BACKOFF_CAP", str(6 * 3600))),
            lease_seconds=float(env.get("REGISTRY_WEBHOOK_LEASE", "60")),
        )

    def __post_init__(self) -> None:
        if self.lease_seconds <= self.timeout:
            raise ValueError("the webhook lease must be longer than the request timeout")
        if self.max_attempts < 1 or self.backoff_base < 0 or self.backoff_cap < self.backoff_base:
            raise ValueError("webhook retries: max_attempts >= 1 and 0 <= backoff_base <= backoff_cap")
