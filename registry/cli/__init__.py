"""The ``registry`` command: one module per command group, assembled here.

``service`` runs the registry (serve, migrate, demo, token, schema); ``keys`` rotates its own signing keys
(rotate-key, retire-key); ``ledger`` is the publisher's and
auditor's desk (keygen, sign, publish, verify, audit); ``monitoring`` delivers webhooks and uploads
rosters; ``partner`` verifies and presents credentials offline; ``witness`` runs a log witness; ``identity`` runs
the registry-wide duplicate sweep (dedupe). ``common`` holds what they share.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from registry import logs
from registry.cli import identity, keys, ledger, log_monitor, monitoring, partner, service, witness
from registry.cli.common import CliError
from registry.config import ConfigError, Settings

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="registry",
        description="Officer certification registry. Uses DATABASE_URL if set, otherwise an embedded "
                    "PostgreSQL kept in REGISTRY_DATA_DIR (default: your user data directory).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (service, keys, ledger, log_monitor, partner, monitoring, witness, identity):
        group.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logs.configure("text")
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # pgserver's socket dir falls back to /tmp
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        logs.configure(settings.log_format)
        code: int = args.func(args, settings)
    except (ConfigError, CliError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code
