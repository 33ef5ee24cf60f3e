"""``registry deliver-webhooks | enroll-roster``: run the webhook delivery worker; upload a roster.

Exit codes: 0 all good, 1 some roster rows were not enrolled, 2 bad input or the registry could not be
reached (one line, never a traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from registry.cli.common import CliError, database_url, fail
from registry.config import Settings

__all__ = ["add_commands", "upload_roster"]

ROSTER_MUTATION = """mutation($csv: String!) { enrollRoster(csv: $csv) {
  enrolled alreadyEnrolled notEnrolled rows { line status officerId enrollmentId reason } } }"""


# --------------------------------------------------------------------------------------------
# deliver-webhooks


async def _deliver(dsn: str, settings: Settings, once: bool) -> int:
    from monitoring import signing
    from monitoring.delivery import Worker
    from registry import database

    signers = signing.load_or_create_keys(settings.secrets_dir).signers  # two during a key rotation's overlap
    pool = await database.create_pool(dsn, min_size=1, max_size=4)
    worker = Worker(pool, signers, settings.monitoring)
    try:
        if once:
            return await worker.drain()
        await worker.run()
        return 0
    finally:
        await worker.aclose()
        await pool.close()


def cmd_deliver(args: argparse.Namespace, settings: Settings) -> int:
    import asyncpg

    from monitoring.signing import WebhookKeyError

    with database_url(settings) as dsn:
        try:
            attempted = asyncio.run(_deliver(dsn, settings, args.once))
        except WebhookKeyError as exc:
            return fail(exc)
        except asyncpg.UndefinedTableError:
            return fail(CliError("the database has no outbox tables: run `registry migrate` first"))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return fail(CliError(f"cannot reach the database: {exc}"))
    if args.once:
        print(f"attempted {attempted} webhook deliver{'y' if attempted == 1 else 'ies'}")
    return 0


# --------------------------------------------------------------------------------------------
# enroll-roster


def _graphql_url(url: str) -> str:
    return url if url.rstrip("/").endswith("/graphql") else url.rstrip("/") + "/graphql"


async def upload_roster(text: str, *, url: str, token: str,
                        transport: httpx.AsyncBaseTransport | None = None) -> dict[str, Any]:
    """Send a roster to ``enrollRoster``; returns its report or raises CliError with the server's reason."""
    async with httpx.AsyncClient(transport=transport, timeout=120) as client:
        try:
            resp = await client.post(_graphql_url(url), json={"query": ROSTER_MUTATION, "variables": {"csv": text}},
                                     headers={"Authorization": f"Bearer {token}"})
            body = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise CliError(f"cannot reach the registry at {url}: {exc or type(exc).__name__}") from None
    errors = body.get("errors") if isinstance(body, dict) else None
    report = ((body.get("data") or {}).get("enrollRoster") if isinstance(body, dict) else None)
    if errors or not report:
        first = (errors or [{}])[0]
        code = (first.get("extensions") or {}).get("code", f"HTTP_{resp.status_code}")
        raise CliError(f"{code}: {first.get('message', resp.text[:200])}")
    result: dict[str, Any] = report
    return result


def cmd_enroll_roster(args: argparse.Namespace, _settings: Settings) -> int:
    token = args.token or os.environ.get("REGISTRY_TOKEN")
    try:
        if not token:
            raise CliError("give a hiring-agency token with --token or REGISTRY_TOKEN")
        try:
            text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CliError(f"roster {args.file}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read roster {args.file}: {exc}") from None
        report = asyncio.run(upload_roster(text, url=args.url, token=token))
    except CliError as exc:
        return fail(exc)
    for row in report["rows"]:
        print(f"line {row['line']:>6}  {row['status']:<17} {row['officerId'] or '-':<17} "
              f"{row['reason'] or ''}".rstrip())
    print(f"{report['enrolled']} enrolled, {report['alreadyEnrolled']} already enrolled, "
          f"{report['notEnrolled']} not enrolled")
    return 0 if report["notEnrolled"] == 0 else 1


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("deliver-webhooks",
                       help="deliver queued webhooks from the outbox (the server also runs this worker)",
                       description="Claim due deliveries from the outbox, sign them with the registry's webhook "
                                   "key and send them, retrying with backoff until delivered or dead; runs until "
                                   "stopped, or with --once until nothing is due. Uses DATABASE_URL or the "
                                   "embedded PostgreSQL; `registry serve` runs the same worker itself "
                                   "(REGISTRY_WEBHOOK_WORKER=0 turns that off).")
    p.add_argument("--once", action="store_true", help="attempt what is due now, then exit")
    p.set_defaults(func=cmd_deliver)

    p = sub.add_parser("enroll-roster", help="enroll the officers listed in a CSV roster; prints a verdict per row")
    p.add_argument("file", help="CSV with registry_id, or state and certification_number (optionally given_name, "
                                "family_name, date_of_birth to check); '-' for stdin")
    p.add_argument("--url", required=True, help="registry URL, e.g. https://registry.example (/graphql is added)")
    p.add_argument("--token", help="hiring-agency bearer token (default: $REGISTRY_TOKEN)")
    p.set_defaults(func=cmd_enroll_roster)
