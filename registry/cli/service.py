"""``registry serve | migrate | demo | token | schema``: running the registry itself."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from dataclasses import replace
from pathlib import Path

from registry import logs, migrate
from registry.cli import workers
from registry.cli.common import CliError, connected, database_url, fail
from registry.config import MonitoringConfig, Settings
from registry.services import DEV_TOKEN_SECONDS, Services

__all__ = ["add_commands", "dev_token"]

ROOT = Path(__file__).resolve().parent.parent.parent


async def _migrate(dsn: str) -> list[str]:
    """Pending migrations applied; a refused migration is one line (``registry.cli.main``), exit 2."""
    async with connected(dsn) as conn:
        try:
            return await migrate.migrate(conn)
        except migrate.MigrationError as err:
            raise CliError(str(err)) from None


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    with database_url(settings) as dsn:
        applied = asyncio.run(_migrate(dsn))
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    import demo

    with database_url(settings) as dsn:
        asyncio.run(_migrate(dsn))
        summary = asyncio.run(demo.load(dsn, settings))
    print(summary)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    # the environment's PORT and REGISTRY_WORKERS were checked with the rest of the configuration (Settings)
    args.port = settings.port if args.port is None else args.port
    args.workers = settings.workers if args.workers is None else args.workers
    if args.workers < 1 or args.workers > 64:
        raise CliError("--workers must be between 1 and 64")
    if args.workers > 1 and args.port == 0:
        raise CliError("--workers needs a fixed --port (each worker listens on it, and the kernel spreads "
                       "connections)")
    if args.demo or args.dev:
        settings = development_settings(settings)
    services = Services.build(settings)  # a configuration mistake stops here, before any database starts
    with database_url(settings) as dsn:
        applied = asyncio.run(_migrate(dsn))
        if applied:
            print("applied migrations: " + ", ".join(applied), file=sys.stderr)
        if args.demo:
            import demo

            print(asyncio.run(demo.load(dsn, settings)), file=sys.stderr)
        if settings.development:
            _print_dev_tokens(settings)
        from server import create_app

        print(f"GraphQL API on http://{args.host}:{args.port}/graphql", file=sys.stderr)
        if args.workers > 1:
            return workers.serve(settings, dsn, args.host, args.port, args.log_level, args.workers)
        app = create_app(settings, services=services, database_url=dsn, freeze_heap=True)
        # uvicorn drains on SIGTERM, then raises the signal again; exiting through Python instead lets the
        # embedded PostgreSQL be stopped on the way out (the `with` above), as after Ctrl-C.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                    log_config=logs.uvicorn_log_config(settings.log_format, args.log_level))
    return 0


def development_settings(settings: Settings) -> Settings:
    """What `serve --dev` / `--demo` runs with: as REGISTRY_ENV=development would give, GraphiQL on and
    loopback/http webhook targets allowed (unless REGISTRY_WEBHOOK_ALLOW_* say otherwise)."""
    return replace(settings, development=True, graphiql=True, monitoring=MonitoringConfig.from_env(True))


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _print_dev_tokens(settings: Settings) -> None:
    import demo

    print("\ndevelopment tokens (valid 12 h):", file=sys.stderr)
    for role, bindings in demo.DEMO_ROLES.items():
        print(f"  {role:<19} {dev_token(settings, role, bindings, DEV_TOKEN_SECONDS)}", file=sys.stderr)
    print("", file=sys.stderr)


def dev_token(settings: Settings, role: str, bindings: dict[str, str], ttl: int) -> str:
    """A token from the local development issuer (trusted only in development mode)."""
    from auth.dev_issuer import load_issuer_key, mint_token
    from registry.services import DEV_ISSUER, dev_issuer_paths, ensure_dev_issuer

    ensure_dev_issuer(settings)
    key = load_issuer_key(dev_issuer_paths(settings)[0])
    return mint_token(key, issuer=DEV_ISSUER, audience=settings.audience, subject=f"dev-{role}", role=role,
                      ttl_seconds=ttl, officer_id=bindings.get("officer_id"), agency_ori=bindings.get("agency_ori"),
                      publisher_id=bindings.get("publisher_id"), partner_id=bindings.get("partner_id"))


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.development:
        return fail(CliError("`registry token` mints tokens from the local development issuer, which only a "
                             "development server trusts: set REGISTRY_ENV=development (as `registry serve --dev` "
                             "does), or get a token from your identity provider"))
    if not 1 <= args.ttl <= DEV_TOKEN_SECONDS:
        return fail(CliError(f"--ttl must be from 1 to {DEV_TOKEN_SECONDS} seconds"))
    bindings = {k: v for k, v in (("officer_id", args.officer_id), ("agency_ori", args.agency_ori),
                                  ("publisher_id", args.publisher_id), ("partner_id", args.partner_id)) if v}
    print(dev_token(settings, args.role, bindings, args.ttl))
    return 0


def cmd_check_config(args: argparse.Namespace, settings: Settings) -> int:
    if args.dev:
        settings = replace(settings, development=True)
    services = Services.build(settings)
    issuers = len(services.verifier.issuers)
    print(f"configuration OK ({'development' if settings.development else 'production'} mode): {issuers} trusted "
          f"token issuer(s), log origin {settings.log_origin}, signer state {services.log_signer.state.path}, "
          f"database {'DATABASE_URL' if settings.database_url else f'embedded in {settings.data_dir}'}")
    return 0


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    from schema import sdl

    text = sdl()
    target = ROOT / "schema.graphql"
    if args.check:
        if not target.exists() or target.read_text() != text:
            print("schema.graphql is out of date: run `registry schema`", file=sys.stderr)
            return 1
        print("schema.graphql is up to date")
        return 0
    target.write_text(text)
    print(f"wrote {target}")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the service commands on ``registry``'s sub-command parser."""
    p = sub.add_parser("serve", help="apply migrations and serve the GraphQL API",
                       description="Check the configuration, start the embedded PostgreSQL (unless DATABASE_URL is "
                                   "set), apply pending migrations and serve /graphql, the public page and the "
                                   "key endpoints until stopped (Ctrl-C or SIGTERM drain requests and stop the "
                                   "embedded database).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, default=None, help="port to listen on (default $PORT or 8000)")
    p.add_argument("--demo", action="store_true", help="load the demo data set (implies --dev)")
    p.add_argument("--dev", action="store_true",
                   help="development mode: GraphiQL, unmasked errors, a local token issuer, tokens printed")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--workers", type=int, default=None,
                   help="server processes sharing the port (default $REGISTRY_WORKERS or 1): the kernel spreads "
                        "connections over them (SO_REUSEPORT); one of them at a time runs the checkpoint timer "
                        "and webhook delivery; a worker that dies is restarted")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending database migrations",
                       description="Apply the numbered SQL files in migrations/ that the database lacks, all in "
                                   "one transaction under an advisory lock (all or none); refuse if an applied file "
                                   "was edited or removed (exit 2). Uses DATABASE_URL or the embedded PostgreSQL.")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="load the demo data set (idempotent)",
                       description="Migrate, then publish the demo data set (agencies, publishers, officers, "
                                   "records, all signed) through the ordinary publishing path; does nothing if it "
                                   "is already loaded. Publisher keys are written to <data dir>/demo-keys/.")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("token", help="mint a development token from the local issuer (REGISTRY_ENV=development)")
    p.add_argument("--role", required=True, choices=["officer", "hiring_agency", "partner", "publisher",
                                                     "credentialing_body", "auditor", "admin"])
    p.add_argument("--officer-id")
    p.add_argument("--agency-ori")
    p.add_argument("--publisher-id")
    p.add_argument("--partner-id")
    p.add_argument("--ttl", type=int, default=3600,
                   help=f"lifetime in seconds (default 3600, at most {DEV_TOKEN_SECONDS})")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("check-config", help="check the configuration (environment, issuers file, keys) and exit",
                       description="Read the configuration as `registry serve` would and report the first problem "
                                   "in one line naming the variable or file and the fix (exit 2), or a summary "
                                   "(exit 0). Creates missing keys in the data directory, as serve would.")
    p.add_argument("--dev", action="store_true", help="check as `registry serve --dev` would run")
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("schema", help="write the GraphQL SDL to schema.graphql")
    p.add_argument("--check", action="store_true", help="fail if schema.graphql differs from the code")
    p.set_defaults(func=cmd_schema)
