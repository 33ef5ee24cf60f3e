"""``registry dedupe``: the registry-wide duplicate sweep (``identity.dedupe``), which files link proposals;
``registry rekey``: re-derive blocking keys stored under an older scheme (``identity.rekey``).

It never merges: every pair it finds goes to the review queue (``linkProposals``) for a publisher with either
officer in its jurisdiction to confirm or reject. Exit codes: 0 done (whatever it found), 2 a mistake or a
database it cannot use, as one line.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from registry.cli.common import CliError, connected, database_url, fail
from registry.config import Settings

__all__ = ["add_commands"]


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"a match probability is between 0 and 1 (exclusive), not {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _size(text: str) -> str:
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip(), re.IGNORECASE):
        raise argparse.ArgumentTypeError(f"a size such as 512MB or 8GB, not {text!r}")
    return text.strip()


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from identity.dedupe import DEFAULT_THRESHOLD

    p = sub.add_parser(
        "dedupe",
        help="find officers registered twice, registry-wide, and file link proposals for review",
        description="Compare every officer with every plausible other (same birth date or SSN index; same surname "
                    "sound and birth year; same given name, nicknames folded, with the birthday, the surname sound "
                    "or the middle initial and birth year) using probabilistic record linkage (splink: a "
                    "Fellegi-Sunter model whose parameters are estimated on the registry's own data, or hand-set "
                    "for a registry too small to estimate them from), and file each "
                    "pair scoring at least --threshold as a PENDING link proposal, for a publisher with either "
                    "officer in its jurisdiction to confirm (merge) or reject. Nothing is merged here. Pairs "
                    "already proposed (pending, confirmed or rejected) are skipped, and so are pairs whose SSNs on "
                    "file differ. Running it again files nothing new unless the registry changed. Uses "
                    "DATABASE_URL or the embedded PostgreSQL; progress goes to stderr, the summary to stdout. "
                    "See docs/dedupe.md.",
    )
    p.add_argument("--threshold", type=_probability, default=DEFAULT_THRESHOLD, metavar="P",
                   help=f"lowest match probability proposed, between 0 and 1 (default {DEFAULT_THRESHOLD})")
    p.add_argument("--dry-run", action="store_true", help="report what would be proposed; write nothing")
    p.add_argument("--limit", type=_count, default=None, metavar="N",
                   help="file at most N proposals, the most probable first (the rest are found again next run)")
    p.add_argument("--memory-limit", metavar="SIZE", default=None, type=_size,
                   help="memory the linkage may use before it spills to a temporary directory, e.g. 8GB "
                        "(default: 40%% of RAM; a national registry needs several GB, see docs/dedupe.md)")
    p.add_argument("--json", action="store_true",
                   help="print the summary, with every proposal filed (or, on a dry run, that would be), as JSON")
    p.set_defaults(func=cmd_dedupe)

    r = sub.add_parser(
        "rekey",
        help="re-derive the identity blocking keys of officers keyed under an older scheme",
        description="After an upgrade that changes the identity blocking scheme (migration 0014 made scheme 2), "
                    "re-derive each officer's blocking keys from every name on file, --batch officers per "
                    "transaction, in ID order. Idempotent and resumable: stop it and run it again. Search and "
                    "publishing work meanwhile (an officer not yet re-keyed is only found less often), and "
                    "publishing about an officer re-keys them anyway. Uses DATABASE_URL or the embedded "
                    "PostgreSQL. See docs/identity.md, 'Migration and backfill'.",
    )
    r.add_argument("--batch", type=_count, default=500, metavar="N",
                   help="officers per transaction (default 500)")
    r.set_defaults(func=cmd_rekey)


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A spinner with the current step on a terminal; plain lines on stderr otherwise."""
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda step: print(f"dedupe: {step}", file=sys.stderr, flush=True)
        return
    with console.status("dedupe: starting") as status:
        yield lambda step: status.update(f"dedupe: {step}")


async def _sweep(dsn: str, args: argparse.Namespace, progress: Callable[[str], None]) -> Any:
    from identity.dedupe import DedupeSettings, sweep

    async with connected(dsn) as conn:
        settings = DedupeSettings(threshold=args.threshold, memory_limit=args.memory_limit)
        return await sweep(conn, settings, dry_run=args.dry_run, limit=args.limit, progress=progress)


def cmd_dedupe(args: argparse.Namespace, settings: Settings) -> int:
    import asyncpg

    try:
        import splink  # noqa: F401
    except ImportError:
        return fail(CliError("registry dedupe needs splink 4: pip install 'splink>=4,<5'"))
    with database_url(settings) as dsn, _progress() as progress:
        try:
            summary = asyncio.run(_sweep(dsn, args, progress))
        except asyncpg.UndefinedTableError:
            return fail(CliError("the database has no registry tables: run `registry migrate` first"))
        except ValueError as exc:  # a blocking rule that would compare too many pairs
            return fail(CliError(f"cannot run the sweep: {exc}".replace("\n", " ")))
        except MemoryError:
            return fail(CliError("the sweep ran out of memory: see docs/dedupe.md, 'Limits'"))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return fail(CliError(f"cannot reach the database: {exc}"))
    if args.json:
        print(json.dumps(dataclasses.asdict(summary), indent=2, ensure_ascii=False))
        return 0
    _print(summary)
    return 0


def cmd_rekey(args: argparse.Namespace, settings: Settings) -> int:
    import asyncpg

    from identity.phonetic import BLOCKING_SCHEME_VERSION
    from identity.rekey import rekey_all

    if args.batch < 1:
        return fail(CliError("--batch must be at least 1"))

    async def run(dsn: str) -> int:
        async with connected(dsn) as conn:
            return await rekey_all(conn, batch=args.batch,
                                   progress=lambda n: print(f"rekey: {n:,} officers re-keyed", file=sys.stderr,
                                                            flush=True))

    with database_url(settings) as dsn:
        try:
            done = asyncio.run(run(dsn))
        except asyncpg.UndefinedColumnError:
            return fail(CliError("the database predates blocking schemes: run `registry migrate` first"))
        except asyncpg.UndefinedTableError:
            return fail(CliError("the database has no registry tables: run `registry migrate` first"))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return fail(CliError(f"cannot reach the database: {exc}"))
    print(f"re-keyed {done:,} officers; every officer is keyed under blocking scheme {BLOCKING_SCHEME_VERSION}")
    return 0


def _print(s: Any) -> None:
    verb = "would be filed (dry run)" if s.dry_run else "filed"
    rules = "; ".join(f"{name} {n:,}" for name, n in s.pairs_by_rule.items() if n)
    print(f"officers read: {s.officers_read:,}")
    print(f"pairs compared: {s.pairs_compared:,}" + (f" ({rules})" if rules else ""))
    print(f"pairs at or above {s.threshold:g}: {s.above_threshold:,}")
    print(f"proposals {verb}: {s.proposed:,}")
    print(f"skipped, already proposed: {s.skipped_pending:,} pending, {s.skipped_rejected:,} rejected, "
          f"{s.skipped_confirmed:,} confirmed")
    print(f"skipped, different SSNs on file: {s.skipped_ssn_conflict:,}")
    if s.skipped_no_publisher:
        print(f"skipped, no publisher to file under: {s.skipped_no_publisher:,}")
    if s.left_by_limit:
        print(f"left for the next run by --limit: {s.left_by_limit:,}")
    trained = "; ".join(s.trained) if s.trained else "no EM (fewer than two officers)"
    print(f"model: prior match probability {s.prior:.3g}; {trained}")
    print(f"took {s.seconds.get('total', 0):.1f} s")
