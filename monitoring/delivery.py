"""The webhook delivery worker: claim due outbox rows, sign, POST, record, retry or dead-letter.

* Claims with ``FOR UPDATE SKIP LOCKED`` and a lease (``store.outbox.claim``), so any number of
  workers (in servers or ``registry deliver-webhooks``) share the outbox without double claims.
* A 2xx is success; anything else (3xx too: redirects are not followed), a timeout or a connection
  error is a failure, retried after ``backoff(tries)`` (exponential, full jitter; at least what a
  ``Retry-After`` header asks) until ``max_attempts``, then dead-lettered. ``410 Gone`` disables
  the endpoint (Standard Webhooks).
* Every attempt of a delivery carries the same ``webhook-id`` and a fresh ``webhook-timestamp``.
* If the worker is cancelled mid-request it hands the row back (due now); if it dies without doing
  so, the row becomes due again when its lease ends. Either way the notice is delivered later,
  at least once, under the same ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime

import asyncpg
import httpx

from monitoring.signing import WebhookSigner, signature_header
from monitoring.targets import TargetRefused, check_target
from registry.config import MonitoringConfig
from store import outbox

log = logging.getLogger("registry.webhooks")
USER_AGENT = "officer-registry-webhooks/1"


def backoff(tries: int, config: MonitoringConfig, rng: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds before the next attempt after ``tries`` failed ones: full jitter over an exponential cap."""
    ceiling = min(config.backoff_cap, config.backoff_base * (2 ** max(tries - 1, 0)))
    return rng(0.0, ceiling)


def retry_after(value: str | None, config: MonitoringConfig) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), config.backoff_cap)


class Worker:
    def __init__(self, pool: asyncpg.Pool, signer: WebhookSigner | Sequence[WebhookSigner], config: MonitoringConfig,
                 *, client: httpx.AsyncClient | None = None, name: str | None = None) -> None:
        self.pool = pool
        self.signer = signer  # several during a key rotation: each signs every delivery
        self.config = config
        self.name = name or f"{socket.gethostname()}:{secrets.token_hex(3)}"
        self._client = client
        self._owned_client = client is None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.config.timeout, follow_redirects=False,
                                             headers={"User-Agent": USER_AGENT})
        return self._client

    async def aclose(self) -> None:
        if self._owned_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run_once(self) -> int:
        """Claim one batch of due deliveries and attempt them all; returns how many were attempted."""
        async with self.pool.acquire() as conn:
            claimed = await outbox.claim(conn, worker=self.name, token=secrets.token_hex(8),
                                         limit=self.config.batch_size, lease_seconds=self.config.lease_seconds)
        results = await asyncio.gather(*(self._attempt(c) for c in claimed), return_exceptions=True)
        for c, result in zip(claimed, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException):  # not recorded: the row is retried when its lease ends
                log.error("webhook %s: unexpected error", c.webhook_id, exc_info=result)
        return len(claimed)

    async def drain(self) -> int:
        """Attempt everything due now (a retry scheduled for later is left for later)."""
        total = 0
        while n := await self.run_once():
            total += n
        return total

    async def run(self) -> None:
        """Deliver until cancelled; a database outage (or any other error) is logged and waited out."""
        try:
            while True:
                try:
                    n = await self.run_once()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                    log.warning("webhook worker: database unavailable (%s); retrying", err)
                    n = 0
                except Exception:
                    log.exception("webhook worker: unexpected error; carrying on")
                    n = 0
                if n == 0:
                    await asyncio.sleep(self.config.poll_seconds)
        finally:
            await self.aclose()

    async def _attempt(self, c: outbox.Claimed) -> None:
        try:
            await check_target(c.url, self.config)
            ts = int(time.time())
            headers = {
                "content-type": "application/json",
                "webhook-id": c.webhook_id,
                "webhook-timestamp": str(ts),
                "webhook-signature": signature_header(self.signer, c.scheme, c.secret, c.webhook_id, ts, c.body),
            }
            resp = await self.client.post(c.url, content=c.body.encode(), headers=headers,
                                          timeout=self.config.timeout)
        except asyncio.CancelledError:
            await asyncio.shield(self._release(c))
            raise
        except TargetRefused as err:
            await asyncio.shield(self._failed(c, None, f"refused target: {err}", None))
            return
        except httpx.TimeoutException:
            await asyncio.shield(self._failed(c, None, f"timed out after {self.config.timeout:g} s", None))
            return
        except httpx.HTTPError as err:
            await asyncio.shield(self._failed(c, None, f"{type(err).__name__}: {err}"[:300], None))
            return
        # The outcome is recorded even if the worker is being stopped right now (shielded).
        await asyncio.shield(self._record(c, resp))

    async def _record(self, c: outbox.Claimed, resp: httpx.Response) -> None:
        if 200 <= resp.status_code < 300:
            await outbox.mark_delivered(self.pool, c, resp.status_code)
        elif resp.status_code == 410:
            async with self.pool.acquire() as conn:
                await outbox.disable_endpoint_gone(conn, c)
        else:
            wait = retry_after(resp.headers.get("retry-after"), self.config)
            await self._failed(c, resp.status_code, f"HTTP {resp.status_code}", wait)

    async def _failed(self, c: outbox.Claimed, status: int | None, error: str, at_least: float | None) -> None:
        dead = c.tries >= self.config.max_attempts
        delay = max(backoff(c.tries, self.config), at_least or 0.0)
        await outbox.mark_failed(self.pool, c, status=status, error=error, retry_in=None if dead else delay,
                                 dead=dead)
        if dead:
            log.warning("webhook %s to %s is a dead letter after %d attempts: %s", c.webhook_id, c.endpoint_id,
                        c.tries, error)

    async def _release(self, c: outbox.Claimed) -> None:
        try:
            await outbox.release(self.pool, c, "worker stopped mid-request; handed back")
        except Exception as err:  # the lease ends anyway: the row is retried then
            log.warning("could not hand back webhook %s (%s); it is retried when its lease ends", c.webhook_id, err)
