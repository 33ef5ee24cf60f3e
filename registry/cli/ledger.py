"""``registry keygen | sign | publish | verify | audit``: the ledger from a publisher's or auditor's desk.

A board can create its key, sign and bulk-upload events without writing crypto code; anyone can
verify a record bundle offline; an operator can audit the log in the database. Exit codes: 0 all
good, 1 something did not verify / was not accepted / the audit found tampering, 2 bad input
(missing file, bad JSON, unusable key) -- reported as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from ledger.checkpoint import CheckpointError, NoteVerifier
from ledger.events import generate_ed25519_jwk, public_jwk_dict, sign_event
from registry.cli.common import CliError, connected, database_url, fail, log_verifiers
from registry.config import Settings

__all__ = ["RowReport", "add_commands", "publish_events"]

MAX_BATCH = 1000  # the API's limit per publishEvents call
PUBLISH_MUTATION = """mutation($e: [EventSubmission!]!, $d: Boolean!) { publishEvents(events: $e, dryRun: $d) {
  committed results { index status eventId entityId officerId logIndex code message } } }"""


# --------------------------------------------------------------------------------------------
# helpers


def _read_json(path: str, what: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{what} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {what} {path}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{what} {path} is not valid JSON: {exc}") from None


def _load_private_key(path: str) -> OKPKey:
    doc = _read_json(path, "key file")
    if not isinstance(doc, dict) or "d" not in doc:
        raise CliError(f"{path} is not a private JWK (create one with `registry keygen`)")
    try:
        key = OKPKey.import_key(doc)
    except (JoseError, ValueError, TypeError) as exc:
        raise CliError(f"{path} is not a usable JWK: {exc}") from None
    if key.curve_name != "Ed25519" or not key.is_private:
        raise CliError(f"{path} is not an Ed25519 private key")
    return key


def _kid(key: OKPKey, given: str | None, path: str) -> str:
    kid = given or key.kid
    if not kid:
        raise CliError(f"{path} has no kid; pass --kid (the kid registered for this key)")
    return kid


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _sign(event: Any, key: OKPKey, kid: str) -> str:
    """Sign one event, adding ``issuedAt`` (now) if absent; ``sign_event`` adds the salt."""
    if not isinstance(event, dict):
        raise CliError("an event must be a JSON object")
    body = dict(event)
    body.setdefault("issuedAt", _now())
    try:
        return sign_event(body, key, kid)
    except (ValueError, TypeError) as exc:
        raise CliError(f"cannot sign the event: {exc}") from None


# --------------------------------------------------------------------------------------------
# keygen and sign


def cmd_keygen(args: argparse.Namespace, _settings: Settings) -> int:
    kid = args.kid or f"{args.publisher}-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
    key = generate_ed25519_jwk(kid)
    out = Path(args.out)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if args.force else os.O_EXCL)
    try:
        fd = os.open(out, flags, 0o600)
    except FileExistsError:
        return fail(CliError(f"{out} exists; refusing to overwrite a private key (use --force)"))
    except OSError as exc:
        return fail(CliError(f"cannot create {out}: {exc}"))
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(key.as_dict(private=True), f)
        f.write("\n")
    print(json.dumps(public_jwk_dict(key)))
    print(f"private key written to {out} (keep it secret); register the public JWK above for publisher "
          f"{args.publisher} (admin: addPublisherKey)", file=sys.stderr)
    return 0


def cmd_sign(args: argparse.Namespace, _settings: Settings) -> int:
    try:
        key = _load_private_key(args.key)
        kid = _kid(key, args.kid, args.key)
        jws = _sign(_read_json(args.event, "event file"), key, kid)
        _check_event(jws)  # the server's own event models: a signed event it would refuse is not printed
        print(jws)
    except CliError as exc:
        return fail(exc)
    return 0


# --------------------------------------------------------------------------------------------
# publish


@dataclass
class RowReport:
    """What happened to one line of the input file."""

    line: int
    event_id: str | None
    status: str  # ACCEPTED, DUPLICATE, REJECTED, NOT_APPLIED, FAILED
    log_index: int | None = None
    code: str | None = None
    message: str | None = None
    entity_id: str | None = None   # the certification, employment or record the event made or changed
    officer_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ACCEPTED", "DUPLICATE")


@dataclass(frozen=True)
class _Item:
    line: int
    event_id: str | None
    jws: str
    ssn: str | None


def _read_events(path: str, key: OKPKey, kid: str, *, fmt: str, publisher: str | None) -> list[_Item]:
    """Parse, check and sign every row first, so a bad row stops the upload before anything is sent.

    NDJSON: a line is an unsigned event object, or ``{"event": {...}, "ssn": "..."}`` when an SSN
    (never signed, never logged) accompanies it. CSV: the column mapping of publishing/csv_rows.py.
    """
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    if fmt == "auto":
        fmt = "csv" if path.lower().endswith(".csv") else "ndjson"
    rows = _csv_rows(text, publisher) if fmt == "csv" else _ndjson_rows(text)
    items: list[_Item] = []
    problems: list[str] = []
    for row in rows:
        if isinstance(row, str):
            problems.append(row)
            continue
        number, event, ssn = row
        try:
            jws = _sign(event, key, kid)
            _check_event(jws)
            items.append(_Item(number, event.get("eventId"), jws, ssn))
        except CliError as exc:
            problems.append(f"line {number}: {exc}")
    if problems:
        raise CliError(f"{path} has {len(problems)} bad row(s), nothing was sent:\n  " + "\n  ".join(problems))
    if not items:
        raise CliError(f"{path} holds no events")
    return items


def _ndjson_rows(text: str) -> Iterator[str | tuple[int, dict[str, Any], str | None]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {number}: not valid JSON: {exc}"
            continue
        event, ssn = (obj.get("event"), obj.get("ssn")) if isinstance(obj, dict) and "event" in obj else (obj, None)
        if not isinstance(event, dict):
            yield f"line {number}: an event must be a JSON object"
        elif ssn is not None and not isinstance(ssn, str):
            yield f"line {number}: ssn must be a string"
        else:
            yield number, event, ssn


def _csv_rows(text: str, publisher: str | None) -> Iterator[str | tuple[int, dict[str, Any], str | None]]:
    from publishing.csv_rows import CsvRowError, read_csv

    for row in read_csv(text, default_publisher=publisher):
        yield str(row) if isinstance(row, CsvRowError) else (row.line, row.event, row.ssn)


def _check_event(jws: str) -> None:
    """Validate the signed payload with the server's own event models, to report bad rows before upload."""
    from pydantic import ValidationError

    from publishing.payloads import EVENT_ADAPTER

    payload = json.loads(_b64url(jws.split(".")[1]))
    try:
        EVENT_ADAPTER.validate_python(payload)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"] if "tagged-union" not in str(p) and "function-" not in str(p))
        raise CliError(f"{where or 'event'}: {first['msg']}") from None


def _b64url(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _graphql_url(url: str) -> str:
    return url if url.rstrip("/").endswith("/graphql") else url.rstrip("/") + "/graphql"


async def _send(client: httpx.AsyncClient, url: str, token: str, batch: Sequence[_Item],
                dry_run: bool) -> list[RowReport]:
    variables = {"e": [{"jws": i.jws, "ssn": i.ssn} for i in batch], "d": dry_run}
    try:
        resp = await client.post(url, json={"query": PUBLISH_MUTATION, "variables": variables},
                                 headers={"Authorization": f"Bearer {token}"})
        body = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        return [RowReport(i.line, i.event_id, "FAILED", code="NETWORK", message=str(exc) or type(exc).__name__)
                for i in batch]
    errors = body.get("errors") if isinstance(body, dict) else None
    data = (body.get("data") or {}).get("publishEvents") if isinstance(body, dict) else None
    if errors or not data:
        first = (errors or [{}])[0]
        code = (first.get("extensions") or {}).get("code", f"HTTP_{resp.status_code}")
        return [RowReport(i.line, i.event_id, "FAILED", code=code, message=first.get("message", resp.text[:200]))
                for i in batch]
    out = []
    for item, result in zip(batch, data["results"], strict=True):
        message = result.get("message")
        if result["status"] == "NOT_APPLIED":
            message = "not applied: another event in its batch was rejected (the batch is atomic)"
        out.append(RowReport(item.line, result.get("eventId") or item.event_id, result["status"],
                             result.get("logIndex"), result.get("code"), message, result.get("entityId"),
                             result.get("officerId")))
    return out


#: Failures of a whole request: every later batch would fail the same way, so the upload stops at the first.
STOPPING = {"NETWORK", "UNAUTHENTICATED", "FORBIDDEN", "PAYLOAD_TOO_LARGE", "SERVICE_UNAVAILABLE"}


class UploadStopped(Exception):
    def __init__(self, reports: list[RowReport], failed: RowReport, url: str) -> None:
        super().__init__(failed.message)
        self.reports, self.failed, self.url = reports, failed, url


async def publish_events(items: Sequence[_Item], *, url: str, token: str, batch_size: int, dry_run: bool,
                         transport: httpx.AsyncBaseTransport | None = None, progress: bool = True,
                         journal: Path | None = None) -> list[RowReport]:
    """Upload signed events in batches (each atomic on the server) and report every row.

    ``journal``: every event is recorded there before it is sent (not in a dry run), so that `registry
    monitor` can tell the board's own events from any other entry in its name."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ledger.monitor import append_journal

    reports: list[RowReport] = []
    columns = (TextColumn("publishing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    async with httpx.AsyncClient(transport=transport, timeout=120) as client:
        with Progress(*columns, console=Console(stderr=True), disable=not progress) as bar:
            task = bar.add_task("publish", total=len(items))
            for start in range(0, len(items), batch_size):
                batch = items[start : start + batch_size]
                if journal is not None and not dry_run:
                    append_journal(journal, [(i.event_id, i.jws) for i in batch])
                sent = await _send(client, _graphql_url(url), token, batch, dry_run)
                if sent and sent[0].status == "FAILED" and (sent[0].code in STOPPING
                                                            or (sent[0].code or "").startswith("HTTP_")):
                    raise UploadStopped(reports, sent[0], _graphql_url(url))
                reports.extend(sent)
                bar.advance(task, len(batch))
    return reports


def _print_reports(reports: Sequence[RowReport], dry_run: bool) -> None:
    for r in reports:
        where = f"log {r.log_index}" if r.log_index is not None else ""
        what = " ".join(i for i in (r.officer_id, r.entity_id if r.entity_id != r.officer_id else None) if i)
        why = f"{r.code}: {r.message}" if r.code else (r.message or "")
        print(f"line {r.line:>6}  {r.event_id or '-':<24} {r.status:<11} {where:<12} {what:<34} {why}".rstrip())
    counts = {s: sum(r.status == s for r in reports) for s in ("ACCEPTED", "DUPLICATE", "REJECTED",
                                                                 "NOT_APPLIED", "FAILED")}
    summary = ", ".join(f"{n} {s.lower().replace('_', ' ')}" for s, n in counts.items() if n)
    print(f"{'dry run: ' if dry_run else ''}{summary}")


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    token = args.token or os.environ.get("REGISTRY_TOKEN")
    try:
        if not token:
            raise CliError("give a publisher token with --token or REGISTRY_TOKEN")
        if not 1 <= args.batch_size <= MAX_BATCH:
            raise CliError(f"--batch-size must be between 1 and {MAX_BATCH}")
        key = _load_private_key(args.key)
        items = _read_events(args.file, key, _kid(key, args.kid, args.key), fmt=args.format,
                             publisher=args.publisher or _token_publisher(token))
    except CliError as exc:
        return fail(exc)
    try:
        publisher = args.publisher or _token_publisher(token) or "publisher"
        journal = Path(args.journal) if args.journal else settings.data_dir / "journals" / f"{publisher}.ndjson"
        reports = asyncio.run(publish_events(items, url=args.url, token=token, batch_size=args.batch_size,
                                             dry_run=args.dry_run, progress=not args.quiet, journal=journal))
    except UploadStopped as stop:
        if stop.reports:
            _print_reports(stop.reports, args.dry_run)
        sent = f"; the {len(stop.reports)} row(s) above were sent before it" if stop.reports else ""
        return fail(CliError(f"{stop.failed.code} from {stop.url}: {stop.failed.message} (nothing more was "
                             f"sent{sent}; re-running the file is safe: accepted rows come back DUPLICATE)"))
    _print_reports(reports, args.dry_run)
    return 0 if all(r.ok for r in reports) else 1


def _token_publisher(token: str) -> str | None:
    """The publisher a token names (read, not verified: only a default for rows that name none)."""
    try:
        claims = json.loads(_b64url(token.split(".")[1]))
    except (IndexError, ValueError):
        return None
    value = claims.get("publisher_id") if isinstance(claims, dict) else None
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------------------------
# verify


def _bundles(doc: Any) -> list[dict[str, Any]]:
    """The bundle itself, or the bundles inside a saved GraphQL response ({"data": {"record": {"bundle": ...}}})."""
    if isinstance(doc, dict):
        if "event" in doc and "checkpoint" in doc:
            return [doc]
        return [b for v in doc.values() for b in _bundles(v)]
    if isinstance(doc, list):
        return [b for v in doc for b in _bundles(v)]
    return []


def cmd_verify(args: argparse.Namespace, _settings: Settings) -> int:
    from ledger.bundle import verify_bundle

    try:
        found = _bundles(_read_json(args.bundle, "bundle"))
        if len(found) != 1:
            raise CliError(f"{args.bundle} is not a record bundle (an object with event, checkpoint, ...)" if not found
                           else f"{args.bundle} holds {len(found)} bundles; save the one to verify")
        bundle = found[0]
        verifiers = log_verifiers(args.log_key)
        witnesses = [_witness_key(k) for k in args.witness]
        if not 0 <= args.min_witnesses <= len(witnesses):
            raise CliError(f"--min-witnesses must be from 0 to the number of --witness keys ({len(witnesses)})")
        previous = None
        if args.previous_checkpoint:
            try:
                previous = Path(args.previous_checkpoint).read_text(encoding="utf-8")
            except OSError as exc:
                raise CliError(f"cannot read {args.previous_checkpoint}: {exc}") from None
        proof: list[str] | None = None
        if args.consistency_proof:
            doc = _read_json(args.consistency_proof, "consistency proof")
            doc = doc.get("proof") if isinstance(doc, dict) else doc
            if not isinstance(doc, list) or not all(isinstance(h, str) for h in doc):
                raise CliError("the consistency proof must be a JSON list of hex hashes (or {\"proof\": [...]})")
            proof = doc
    except CliError as exc:
        return fail(exc)
    report = verify_bundle(bundle, [v.verifier_key_string() for v in verifiers], args.origin or verifiers[0].name,
                           previous_checkpoint=previous, consistency_proof=proof)
    for check in report.checks:
        print(f"{check.status:<8} {check.name:<20} {check.reason}")
    ok = report.ok
    if witnesses:
        from ledger.cosignature import cosigned_by

        names = cosigned_by(str(bundle.get("checkpoint", "")), witnesses)
        enough = len(names) >= args.min_witnesses
        print(f"{'passed' if enough else 'failed':<8} {'witnesses':<20} {len(names)} of {len(witnesses)} trusted "
              f"witnesses cosigned the checkpoint ({', '.join(names) or 'none'}); {args.min_witnesses} required")
        ok = ok and enough
    print("bundle verifies" if ok else "bundle does NOT verify")
    return 0 if ok else 1


def _witness_key(value: str) -> Any:
    from ledger.cosignature import CosignatureVerifier

    text = Path(value).read_text(encoding="ascii").strip() if os.path.isfile(value) else value.strip()
    try:
        return CosignatureVerifier.from_vkey(text)
    except CheckpointError as exc:
        raise CliError(f"--witness {value!r} is not a witness key (name+keyid+base64): {exc}") from None


# --------------------------------------------------------------------------------------------
# audit


async def _audit(dsn: str, verifier: Sequence[NoteVerifier] | None, origin: str) -> Any:
    from ledger.audit import audit

    async with connected(dsn) as conn:
        return await audit(conn, verifier=verifier, origin=origin if verifier else None)


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    import asyncpg

    from ledger.keys import DEFAULT_FILE, LogKeyError, load_log_verifiers

    origin = args.origin or settings.log_origin
    try:  # the registry's own keys: current, retiring and retired, as older checkpoints bear only older keys
        verifier = (log_verifiers(args.log_key) if args.log_key
                    else load_log_verifiers(settings.secrets_dir / DEFAULT_FILE, origin)) or None
    except (CliError, LogKeyError) as exc:
        return fail(exc)
    with database_url(settings) as dsn:
        try:
            report = asyncio.run(_audit(dsn, verifier, origin))
            replayed = asyncio.run(_replay_audit(dsn)) if args.replay else None
        except asyncpg.UndefinedTableError:
            return fail(CliError("the database has no ledger tables: run `registry migrate` first"))
        except asyncpg.InsufficientPrivilegeError as exc:
            return fail(CliError(f"the replay needs a scratch database on the same server, and the role in "
                                 f"DATABASE_URL may not create one ({exc}); grant CREATEDB or run without --replay"))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return fail(CliError(f"cannot audit the database: {exc}"))
    ok = report.ok and (replayed is None or replayed.ok)
    if args.json:
        doc = report.as_dict()
        if replayed is not None:
            doc["replay"] = {"ok": replayed.ok, "replayed": replayed.replayed, "expunged": replayed.expunged,
                             "rows_compared": replayed.rows_compared,
                             "findings": [{"code": f.code, "table": f.table, "where": f.where, "message": f.message}
                                          for f in replayed.findings]}
        print(json.dumps(doc, indent=2))
        return 0 if ok else 1
    for finding in report.findings:
        print(finding)
    if replayed is not None:
        for replay_finding in replayed.findings:
            print(replay_finding)
        print(f"replay: {replayed.replayed} events re-applied ({replayed.expunged} expunged or about expunged "
              f"content), {replayed.rows_compared} rows compared, {len(replayed.findings)} difference(s)")
    print(f"log size {report.log_size}, {report.leaves} leaves, {report.events} events ({report.expunged} expunged), "
          f"{report.nodes_checked} interior nodes, {report.checkpoints_checked} checkpoints"
          f"{'' if report.latest_checkpoint is None else f' (latest at size {report.latest_checkpoint})'}; "
          f"{report.signatures_verified} publisher signatures verified; "
          f"checkpoint signatures {'checked' if report.signatures_checked else 'NOT checked (no log key)'}")
    problems = len(report.findings) + (len(replayed.findings) if replayed is not None else 0)
    print("audit clean" if ok else f"audit found {problems} problem(s)")
    return 0 if ok else 1


async def _replay_audit(dsn: str) -> Any:
    """Replay the log into a scratch database on the same server (created and dropped here) and compare."""
    import secrets as _secrets
    import urllib.parse

    from publishing.replay import replay
    from registry import migrate

    name = "registry_replay_" + _secrets.token_hex(4)
    async with connected(dsn) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        scratch_dsn = urllib.parse.urlunsplit(urllib.parse.urlsplit(dsn)._replace(path="/" + name))
        async with connected(scratch_dsn) as scratch, connected(dsn) as live:
            await migrate.migrate(scratch)
            return await replay(live, scratch)
    finally:
        async with connected(dsn) as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------------------------


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ledger commands on ``registry``'s sub-command parser."""
    p = sub.add_parser("keygen", help="create a publisher's Ed25519 signing key (private JWK file)",
                       description="Write a new Ed25519 private JWK (mode 0600) and print its public JWK, which an "
                                   "admin registers for the publisher (addPublisherKey).")
    p.add_argument("--publisher", required=True, help="publisher ID the key is for (used in the default kid)")
    p.add_argument("--out", required=True, help="file to write the private JWK to (refuses to overwrite)")
    p.add_argument("--kid", help="key ID (default: <publisher>-<date>-<random>)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("sign", help="sign one event (JSON file) and print its compact JWS",
                       description="Sign an event as a compact JWS (Ed25519 over RFC 8785 JSON). Adds a random salt "
                                   "and issuedAt (now) when missing.")
    p.add_argument("event", help="event JSON file ('-' for stdin)")
    p.add_argument("--key", required=True, help="private JWK file (from `registry keygen`)")
    p.add_argument("--kid", help="registered key ID (default: the kid in the key file)")
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("publish", help="sign and upload a file of events in batches",
                       description="Sign every event of an NDJSON file (one unsigned event object per line, or "
                                   '{"event": {...}, "ssn": "..."}) and upload them with publishEvents. Every line is '
                                   "checked before anything is sent. Each batch is atomic: one rejected event leaves "
                                   "its whole batch unapplied. Re-running is safe: already accepted events come back "
                                   "as duplicates. Exit 0 only if every event was accepted or a duplicate.")
    p.add_argument("file", help="NDJSON or CSV file of unsigned events ('-' for stdin)")
    p.add_argument("--format", choices=["auto", "ndjson", "csv"], default="auto",
                   help="file format (default: csv for a .csv file, else ndjson)")
    p.add_argument("--publisher", help="publisher ID for CSV rows without a publisher column "
                                       "(default: the publisher your token names)")
    p.add_argument("--key", required=True, help="private JWK file (from `registry keygen`)")
    p.add_argument("--kid", help="registered key ID (default: the kid in the key file)")
    p.add_argument("--url", required=True, help="registry URL, e.g. https://registry.example (/graphql is added)")
    p.add_argument("--token", help="publisher bearer token (default: $REGISTRY_TOKEN)")
    p.add_argument("--batch-size", type=int, default=500, help=f"events per request, 1-{MAX_BATCH} (default 500)")
    p.add_argument("--dry-run", action="store_true", help="validate on the server without writing anything")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--journal", help="where to record every event sent, for `registry monitor` "
                                     "(default: <data dir>/journals/<publisher>.ndjson)")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("verify", help="verify a record bundle offline",
                       description="Check a record bundle (record { bundle } from the API) with public keys only: "
                                   "the publisher's signature, the leaf hash, inclusion in the checkpoint, the "
                                   "checkpoint's signature and, given an older checkpoint and a consistency proof, "
                                   "that the log only grew. Exit 1 if any check fails.")
    p.add_argument("bundle", help="bundle JSON file, or a saved GraphQL response holding one ('-' for stdin)")
    p.add_argument("--log-key", required=True, action="append",
                   help="the registry's verifier key (name+keyid+base64, from /.well-known/registry-log-key) or a "
                        "file holding it; repeat it, or give a file of one key per line (from "
                        "/.well-known/registry-log-keys), to accept a checkpoint signed by any of the log's keys "
                        "across a key rotation")
    p.add_argument("--origin", help="the log's origin line (default: the (first) key's name)")
    p.add_argument("--previous-checkpoint", help="a checkpoint note you saw before (file)")
    p.add_argument("--consistency-proof",
                   help="JSON file: the proof from --previous-checkpoint's size to the bundle's (consistencyProof)")
    p.add_argument("--witness", action="append", default=[],
                   help="a witness's cosignature key (name+keyid+base64; repeat for each witness you trust)")
    p.add_argument("--min-witnesses", type=int, default=0,
                   help="require this many of the --witness keys to have cosigned the bundle's checkpoint")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("audit", help="recompute the transparency log from the database and report tampering",
                       description="Recompute the Merkle log from the stored events and nodes and name every row "
                                   "changed, removed or inserted behind the API; check every checkpoint against the "
                                   "recomputed tree and the registry key. Uses DATABASE_URL or the embedded "
                                   "database. Exit 1 if anything is found.")
    p.add_argument("--log-key", action="append",
                   help="verifier key to check checkpoint signatures with, or a file of them, one per line; repeatable "
                        "(default: the registry's own keys, from REGISTRY_LOG_SIGNER_KEY or the data directory: the "
                        "current one and those a key rotation retired, whose checkpoints bear only their signature)")
    p.add_argument("--origin", help="the log's origin (default: REGISTRY_LOG_ORIGIN)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--replay", action="store_true",
                   help="also replay the whole log into a scratch database with the code that applied it and name "
                        "every state-table row and field it does not explain (needs CREATE DATABASE)")
    p.set_defaults(func=cmd_audit)
