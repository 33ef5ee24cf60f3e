"""``registry keygen | sign | publish | publish-reference | verify | audit``: the ledger from a publisher's or
auditor's desk.

A board can create its key, sign and bulk-upload events without writing crypto code; anyone can
verify a record bundle offline; an operator can audit the log in the database. Exit codes: 0 all
good, 1 something did not verify / was not accepted / the audit found tampering, 2 bad input
(missing file, bad JSON, unusable key, an event the registry's models refuse) or an upload that stopped
(registry unreachable, token refused, --url not the registry) -- reported as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
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
from ledger.events import generate_ed25519_jwk, new_salt, public_jwk_dict, sign_event
from registry import jsonfast
from registry.cli.common import CliError, connected, database_url, fail, log_verifiers
from registry.config import Settings

__all__ = ["RowReport", "add_commands", "publish_events"]

MAX_BATCH = 1000  # the API's limit per publishEvents call
PUBLISH_MUTATION = """mutation($e: [EventSubmission!]!, $d: Boolean!, $u: UploadBatch) {
  publishEvents(events: $e, dryRun: $d, upload: $u) {
  committed results { index status eventType eventId entityId officerId logIndex code message } } }"""

#: Batches `registry publish` sends before the first one's answer is back (--in-flight): the registry applies an
#: upload's batches in order (publishing.uploads), and with two in flight one batch's signatures are checked while
#: the one before it is written.
IN_FLIGHT = 2
MAX_IN_FLIGHT = 4


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


class EventRefused(CliError):
    """An event the registry's own payload models refuse: one problem per field, nothing signed."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _checked(event: Any, csv_type: str | None = None) -> dict[str, Any]:
    """The event as it will be signed (``issuedAt`` now and a fresh salt when absent), checked with the models
    the server applies (publishing/payloads.py). ``csv_type``: a CSV row's type, to name its columns, not fields."""
    from publishing.event_check import event_problems
    from publishing.reference import csv_column

    if not isinstance(event, dict):
        raise CliError("an event must be a JSON object")
    body = dict(event)
    body.setdefault("issuedAt", _now())
    body.setdefault("salt", new_salt())
    problems = event_problems(body)
    if problems:
        raise EventRefused([f"{(csv_column(csv_type, p.field) if csv_type else None) or p.field}: {p.message}"
                            for p in problems])
    return body


def _sign(event: Any, key: OKPKey, kid: str, csv_type: str | None = None) -> str:
    """Check one event (see ``_checked``) and sign it as a compact JWS."""
    body = _checked(event, csv_type)
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
        jws = _sign(_read_json(args.event, "event file"), key, kid)  # checked with the server's models first
    except EventRefused as refused:  # one line per bad field, nothing signed
        for problem in refused.problems:
            fail(CliError(problem))
        return 2
    except CliError as exc:
        return fail(exc)
    print(jws)
    return 0


# --------------------------------------------------------------------------------------------
# publish


@dataclass
class RowReport:
    """What happened to one line of the input file."""

    line: int
    event_id: str | None
    status: str  # ACCEPTED, DUPLICATE, REJECTED, NOT_APPLIED (FAILED: the request failed, see UploadStopped)
    log_index: int | None = None
    code: str | None = None
    message: str | None = None
    entity_id: str | None = None   # the certification, employment or record the event made or changed
    officer_id: str | None = None  # the officer's registry ID
    event_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ACCEPTED", "DUPLICATE")

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "eventId": self.event_id, "eventType": self.event_type, "status": self.status,
                "logIndex": self.log_index, "entityId": self.entity_id, "officerId": self.officer_id,
                "code": self.code, "message": self.message}


@dataclass(frozen=True)
class _Item:
    line: int
    event_id: str | None
    jws: str
    ssn: str | None
    publisher: str | None = None


@dataclass(frozen=True)
class _Bad:
    line: int
    message: str


def _read_events(path: str, key: OKPKey, kid: str, *, fmt: str, publisher: str | None) -> list[_Item]:
    """Parse, check and sign every row first, so a bad row stops the upload before anything is sent.

    NDJSON: a line is an unsigned event object, or ``{"event": {...}, "ssn": "..."}`` when an SSN
    (never signed, never logged) accompanies it. CSV: the column mapping of publishing/csv_rows.py.
    ``publisher``: the publisher of rows (CSV) and events (NDJSON) that name none.
    """
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    if fmt == "auto":
        fmt = "csv" if path.lower().endswith(".csv") else "ndjson"
    rows = _csv_rows(text, publisher) if fmt == "csv" else _ndjson_rows(text, publisher)
    items: list[_Item] = []
    problems: list[_Bad] = []
    for row in rows:
        if isinstance(row, _Bad):
            problems.append(row)
            continue
        number, event, ssn = row
        try:  # CSV: problems named by column; NDJSON: by event field
            jws = _sign(event, key, kid, csv_type=str(event.get("type")) if fmt == "csv" else None)
            items.append(_Item(number, event.get("eventId"), jws, ssn, event.get("publisher")))
        except CliError as exc:
            problems.append(_Bad(number, str(exc)))
    if problems:
        raise CliError(_bad_rows(path, problems))
    if not items:
        raise CliError(f"{path} holds no events")
    return items


def _bad_rows(path: str, problems: Sequence[_Bad]) -> str:
    """One line per bad row, but one line for the rows sharing a problem when more than three do (a file
    without a publisher column, a wrong date format in every row: not 10,000 lines)."""
    by_message: dict[str, list[int]] = {}
    for bad in problems:
        by_message.setdefault(bad.message, []).append(bad.line)
    lines: list[tuple[int, str]] = []
    for message, numbers in by_message.items():
        if len(numbers) <= 3:
            lines += [(n, f"line {n}: {message}") for n in numbers]
        else:
            lines.append((numbers[0], f"lines {_ranges(numbers)} ({len(numbers)} rows): {message}"))
    lines.sort()
    return f"{path} has {len(problems)} bad row(s), nothing was sent:\n  " + "\n  ".join(t for _, t in lines)


def _ranges(numbers: Sequence[int], most: int = 5) -> str:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    shown = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in runs[:most])
    return shown + (", ..." if len(runs) > most else "")


def _ndjson_rows(text: str, publisher: str | None) -> Iterator[_Bad | tuple[int, dict[str, Any], str | None]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _Bad(number, f"not valid JSON: {exc}")
            continue
        event, ssn = (obj.get("event"), obj.get("ssn")) if isinstance(obj, dict) and "event" in obj else (obj, None)
        if not isinstance(event, dict):
            yield _Bad(number, "an event must be a JSON object")
        elif ssn is not None and not isinstance(ssn, str):
            yield _Bad(number, "ssn must be a string")
        else:
            if publisher is not None and "publisher" not in event:
                event = {**event, "publisher": publisher}
            yield number, event, ssn


def _csv_rows(text: str, publisher: str | None) -> Iterator[_Bad | tuple[int, dict[str, Any], str | None]]:
    from publishing.csv_rows import CsvRowError, read_csv

    for row in read_csv(text, default_publisher=publisher):
        if isinstance(row, CsvRowError):
            number, _, message = str(row).removeprefix("line ").partition(": ")
            yield _Bad(int(number), message) if number.isdigit() else _Bad(0, str(row))
        else:
            yield row.line, row.event, row.ssn


def _b64url(segment: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _graphql_url(url: str) -> str:
    return url if url.rstrip("/").endswith("/graphql") else url.rstrip("/") + "/graphql"


class _RequestFailed(Exception):
    """A request that failed as a whole: every later batch would fail the same way.

    ``cause``: one line naming the cause and the fix. ``reached``: the registry got the request (and refused it);
    ``uncertain``: it may have got and applied it (a timeout or a broken connection after sending)."""

    def __init__(self, code: str, cause: str, message: str, *, reached: bool, uncertain: bool = False) -> None:
        super().__init__(cause)
        self.code, self.cause, self.message, self.reached, self.uncertain = code, cause, message, reached, uncertain


def _unreachable(url: str, exc: httpx.HTTPError) -> _RequestFailed:
    import socket
    import ssl

    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and len(chain) < 10:
        chain.append(link)
        link = link.__cause__ or link.__context__
    host = httpx.URL(url).host
    why, fix = (str(exc) or type(exc).__name__), "check --url and your network"
    for err in chain:
        if isinstance(err, socket.gaierror):
            why, fix = f"cannot resolve the host {host}: {err.strerror or err}", "check --url"
            break
        if isinstance(err, ConnectionRefusedError):
            why, fix = "connection refused", "is the registry running? check --url"
            break
        if isinstance(err, ssl.SSLError):
            why, fix = f"TLS failed: {err.reason or err}", "check --url (https or http?) and the registry's certificate"
            break
    return _RequestFailed("NETWORK", f"cannot reach {url} ({why}): {fix}", why, reached=False)


def _refused(url: str, resp: httpx.Response, body: Any) -> _RequestFailed:
    """The failure of a request the registry (or something at --url) answered without a publishEvents result."""
    status = resp.status_code
    errors = body.get("errors") if isinstance(body, dict) else None
    error = body.get("error") if isinstance(body, dict) else None  # the registry's 503 while its database is down
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else (
        error if isinstance(error, dict) else None)
    if first is None:
        kind = resp.headers.get("content-type", "no content type").split(";")[0]
        if status >= 500:
            cause = (f"{url} answered HTTP {status} ({kind}): the registry, or a proxy in front of it, failed; "
                     "try again later")
        else:
            cause = f"{url} answered HTTP {status} ({kind}), not the registry's GraphQL API: check --url"
        return _RequestFailed(f"HTTP_{status}", cause, f"HTTP {status}", reached=True)
    code = str((first.get("extensions") or {}).get("code") or first.get("code") or f"HTTP_{status}")
    message = str(first.get("message") or "")
    what = f"({code}: {message})"
    if code == "UNAUTHENTICATED" or status == 401:
        cause = f"the registry refused the token {what}: get a new token (--token or REGISTRY_TOKEN)"
    elif code == "FORBIDDEN" or status == 403:
        cause = f"the registry refused the token {what}: use a token of a publisher (--token or REGISTRY_TOKEN)"
    elif code == "PAYLOAD_TOO_LARGE" or status == 413:
        cause = f"the registry refused a batch as too large {what}: use a smaller --batch-size"
    elif code == "SERVICE_UNAVAILABLE" or status == 503:
        cause = f"the registry is unavailable {what}: try again later"
    else:
        cause = f"the registry refused the request {what}: try again later, or tell the registry's operator"
    return _RequestFailed(code, cause, message, reached=True)


async def _send(client: httpx.AsyncClient, url: str, token: str, batch: Sequence[_Item],
                dry_run: bool, upload: tuple[str, int] | None = None) -> list[RowReport]:
    """One batch; ``upload``: (upload ID, the batch's position in it)."""
    variables: dict[str, Any] = {"e": [{"jws": i.jws, "ssn": i.ssn} for i in batch], "d": dry_run}
    if upload is not None:
        variables["u"] = {"id": upload[0], "position": upload[1]}
    try:
        request = jsonfast.compact_bytes({"query": PUBLISH_MUTATION, "variables": variables})
        resp = await client.post(url, content=request, headers={"Authorization": f"Bearer {token}",
                                                             "Content-Type": "application/json"})
    except (httpx.ConnectTimeout, httpx.PoolTimeout):
        raise _RequestFailed("NETWORK", f"cannot reach {url} (timed out connecting): is the registry running? "
                             "check --url", "timed out connecting", reached=False) from None
    except httpx.TimeoutException:
        wait = client.timeout.read
        raise _RequestFailed("NETWORK", f"no answer from {url} within {wait:g} s (timed out): is the registry "
                             "overloaded? check --url, or raise --timeout", "timed out", reached=True,
                             uncertain=True) from None
    except httpx.ConnectError as exc:
        raise _unreachable(url, exc) from None
    except httpx.HTTPError as exc:  # the connection broke after the request went out: it may have been applied
        raise _RequestFailed("NETWORK", f"the connection to {url} broke ({exc or type(exc).__name__}): check "
                             "--url and your network", str(exc), reached=True, uncertain=True) from None
    try:
        body = resp.json()
    except ValueError:
        body = None
    data = (body.get("data") or {}).get("publishEvents") if isinstance(body, dict) else None
    if not isinstance(data, dict) or body.get("errors") or not isinstance(data.get("results"), list):
        raise _refused(url, resp, body)
    out = []
    for item, result in zip(batch, data["results"], strict=True):
        status, message = result["status"], result.get("message")
        if status == "NOT_APPLIED":
            message = "not applied: another event in its batch was rejected (the batch is atomic)"
        # IDs only of what is in the registry: a batch rolled back (or a dry run) keeps none of the IDs it drew
        kept = status == "DUPLICATE" or (status == "ACCEPTED" and not dry_run)
        out.append(RowReport(item.line, result.get("eventId") or item.event_id, status, result.get("logIndex"),
                             result.get("code"), message, result.get("entityId") if kept else None,
                             result.get("officerId") if kept else None, result.get("eventType")))
    return out


class UploadStopped(Exception):
    """The upload stopped at a request that failed as a whole (network, token, URL): ``reports`` are the rows
    of the batches before it, ``batch`` the rows of the failed request, ``unsent`` how many rows were left from
    it on; ``later``: rows of batches sent after it, before its failure was known, that the registry answered
    (it applies a later batch of the upload only once the failed one is decided, so the failed one is then
    reported as maybe applied)."""

    def __init__(self, reports: list[RowReport], failure: _RequestFailed, url: str, batch: Sequence[_Item],
                 unsent: int, later: Sequence[RowReport] = ()) -> None:
        super().__init__(failure.cause)
        self.reports, self.url, self.batch, self.unsent = reports, url, list(batch), unsent
        self.later = list(later)
        # a later batch answered means the registry decided this one: it may have been applied
        self.cause, self.reached, self.uncertain = failure.cause, failure.reached, failure.uncertain or bool(later)
        self.failed = RowReport(batch[0].line, batch[0].event_id, "FAILED", code=failure.code,
                                message=failure.message)

    def summary(self, dry_run: bool) -> str:
        """After the cause: what was applied before it and where to resume."""
        first, last = self.batch[0].line, self.batch[-1].line
        again = "(applied rows come back DUPLICATE)"
        answered = (f"; lines {self.later[0].line}-{self.later[-1].line}, sent before the failure was known, were "
                    "answered (see above)" if self.later else "")
        if not self.reports:
            if self.uncertain:
                return (f"; lines {first}-{last} may or may not have been applied{answered}: re-run the same "
                        f"command {again}")
            return " (nothing was applied)" if self.reached else " (nothing was sent)"
        a, b = self.reports[0].line, self.reports[-1].line
        applied = sum(r.status == "ACCEPTED" for r in self.reports)
        duplicates = sum(r.status == "DUPLICATE" for r in self.reports)
        unapplied = sum(r.status in ("REJECTED", "NOT_APPLIED") for r in self.reports)
        if dry_run:
            before = f"lines {a}-{b} were checked before it (a dry run applies nothing)"
        elif unapplied:
            before = (f"lines {a}-{b} were sent before it ({applied} rows applied, {unapplied} in rejected batches "
                      "not applied: see above)")
        else:
            before = (f"lines {a}-{b} were committed before it ({applied} rows applied"
                      f"{f', {duplicates} duplicates' if duplicates else ''})")
        after = (f"lines {first}-{last} may or may not have been applied{answered}" if self.uncertain
                 else f"nothing from line {first} on was applied")
        return f"; {before}, {after}: re-run the same command to resume at line {first} {again}"


async def publish_events(items: Sequence[_Item], *, url: str, token: str, batch_size: int, dry_run: bool,
                         transport: httpx.AsyncBaseTransport | None = None, progress: bool = True,
                         journal: Path | None = None, request_timeout: float = 120,
                         in_flight: int = IN_FLIGHT) -> list[RowReport]:
    """Upload signed events in batches (each atomic on the server) and report every row.

    Up to ``in_flight`` batches are sent before the first one's answer is back, as one upload whose batches the
    registry applies in their order. A request that fails as a whole (the registry unreachable or silent, the
    token refused, --url not the registry) raises ``UploadStopped``: every later batch would fail the same way.
    The registry applies none of the upload's later batches unless it decided the failed one (it may have
    answered through a proxy that failed, or the connection broke), so when the failed request reached it the
    answers of the batches already sent are waited for (at most the registry's wait) and reported.
    ``journal``: every event is recorded there before it is sent (not in a dry run), so that `registry
    monitor` can tell the board's own events from any other entry in its name."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ledger.monitor import append_journal

    reports: list[RowReport] = []
    endpoint = _graphql_url(url)
    upload = secrets.token_hex(12)  # one upload per run: a re-run starts a new one
    batches = [items[start : start + batch_size] for start in range(0, len(items), batch_size)]
    columns = (TextColumn("publishing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    async with httpx.AsyncClient(transport=transport, timeout=request_timeout) as client:
        console = Console(stderr=True)  # a bar only on a terminal, gone when done: the report and errors remain
        with Progress(*columns, console=console, disable=not (progress and console.is_terminal), transient=True) as bar:
            task = bar.add_task("publish", total=len(items))
            sent: collections.deque[tuple[int, asyncio.Task[list[RowReport]]]] = collections.deque()

            def send(position: int) -> None:
                batch = batches[position]
                if journal is not None and not dry_run:
                    append_journal(journal, [(i.event_id, i.jws) for i in batch])
                sent.append((position, asyncio.ensure_future(
                    _send(client, endpoint, token, batch, dry_run, (upload, position)))))

            try:
                for position in range(min(in_flight, len(batches))):
                    send(position)
                while sent:
                    position, answer = sent.popleft()
                    try:
                        rows = await answer
                    except _RequestFailed as failure:
                        # A batch the registry got may have been decided, and the next one applied after it: wait
                        # for the answers of those sent (the registry refuses them if it was not decided).
                        later = await _answered(sent) if failure.reached else []
                        raise UploadStopped(reports, failure, endpoint, batches[position],
                                            len(items) - position * batch_size, later) from None
                    reports.extend(rows)
                    bar.advance(task, len(rows))
                    if position + in_flight < len(batches):
                        send(position + in_flight)
            finally:
                for _, pending in sent:
                    pending.cancel()
                await asyncio.gather(*(pending for _, pending in sent), return_exceptions=True)
    return reports


async def _answered(sent: collections.deque[tuple[int, asyncio.Task[list[RowReport]]]]) -> list[RowReport]:
    """The rows of the batches already sent, in order, up to the first that failed too."""
    rows: list[RowReport] = []
    while sent:
        _, answer = sent.popleft()
        try:
            rows += await answer
        except _RequestFailed:
            break
    return rows


STATUSES = ("ACCEPTED", "DUPLICATE", "REJECTED", "NOT_APPLIED")
_ENTITY = {"certification": "certification", "employment": "employment", "record": "record",
           "agency_credential": "credential", "agency_program": "program"}


def _row_line(r: RowReport) -> str:
    where = f"log {r.log_index}" if r.log_index is not None else ""
    ids = [f"officer {r.officer_id}"] if r.officer_id else []
    if r.entity_id and r.entity_id != r.officer_id:
        ids.append(f"{_ENTITY.get((r.event_type or '').split('.')[0], 'entity')} {r.entity_id}")
    why = f"{r.code}: {r.message}" if r.code else (r.message or "")
    return f"line {r.line:>6}  {r.event_id or '-':<24} {r.status:<11} {where:<10} {'  '.join(ids):<53} {why}".rstrip()


def _counts(reports: Sequence[RowReport]) -> dict[str, int]:
    return {s: n for s in STATUSES if (n := sum(r.status == s for r in reports))}


def _print_reports(reports: Sequence[RowReport], dry_run: bool, stop: UploadStopped | None = None,
                   as_json: bool = False) -> None:
    """The report on stdout: one line per row (the officer's registry ID and the certification, employment or
    record each row made or changed) and a summary; or, with ``as_json``, one JSON document."""
    if as_json:
        stopped = None if stop is None else {
            "line": stop.batch[0].line, "rowsLeft": stop.unsent, "code": stop.failed.code,
            "error": stop.cause + stop.summary(dry_run), "mayHaveBeenApplied": stop.uncertain}
        print(json.dumps({"dryRun": dry_run, "counts": _counts(reports), "stopped": stopped,
                          "rows": [r.as_dict() for r in reports]}, indent=1))
        return
    for r in reports:
        print(_row_line(r))
    summary = ", ".join(f"{n} {s.lower().replace('_', ' ')}" for s, n in _counts(reports).items())
    if dry_run:
        summary = f"dry run: {summary}"
    if stop is not None:
        summary += f"; stopped at line {stop.batch[0].line}, {stop.unsent} row(s) left"
    print(summary)


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    token = args.token or os.environ.get("REGISTRY_TOKEN")
    try:
        if not token:
            raise CliError("give a publisher token with --token or REGISTRY_TOKEN")
        if not 1 <= args.batch_size <= MAX_BATCH:
            raise CliError(f"--batch-size must be between 1 and {MAX_BATCH}")
        if not args.timeout > 0:
            raise CliError("--timeout must be a number of seconds above 0")
        if not 1 <= args.in_flight <= MAX_IN_FLIGHT:
            raise CliError(f"--in-flight must be between 1 and {MAX_IN_FLIGHT}")
        bound = _token_publisher(token)
        if args.publisher and bound and args.publisher != bound:
            raise CliError(f"--publisher {args.publisher} contradicts your token, which is for publisher {bound}: "
                           f"leave --publisher out, or use a token of {args.publisher}")
        publisher = args.publisher or bound
        key = _load_private_key(args.key)
        items = _read_events(args.file, key, _kid(key, args.kid, args.key), fmt=args.format, publisher=publisher)
        if bound:  # the registry refuses every event of another publisher than the token's: say so once
            others = [i for i in items if i.publisher != bound]
            if others:
                names = ", ".join(sorted({str(i.publisher) for i in others}))
                raise CliError(f"your token is for publisher {bound}, but {len(others)} row(s) name {names} (first: "
                               f"line {others[0].line}): the registry would refuse them; use a token of "
                               f"{names}, or correct their publisher")
    except CliError as exc:
        return fail(exc)
    journal = (Path(args.journal) if args.journal
               else settings.data_dir / "journals" / f"{publisher or 'publisher'}.ndjson")
    try:
        reports = asyncio.run(publish_events(items, url=args.url, token=token, batch_size=args.batch_size,
                                             dry_run=args.dry_run, progress=not args.quiet, journal=journal,
                                             request_timeout=args.timeout, in_flight=args.in_flight))
    except UploadStopped as stop:
        if stop.reports or stop.later or args.json:
            _print_reports(stop.reports + stop.later, args.dry_run, stop, as_json=args.json)
        return fail(CliError(stop.cause + stop.summary(args.dry_run)))
    _print_reports(reports, args.dry_run, as_json=args.json)
    return 0 if all(r.ok for r in reports) else 1


def _token_publisher(token: str) -> str | None:
    """The publisher a token is bound to (read, not verified: the server verifies; here it only fills in rows that
    name no publisher and catches a contradicting --publisher before anything is sent)."""
    from auth.principal import Role
    from auth.tokens import ROLE_BINDING

    try:
        claims = json.loads(_b64url(token.split(".")[1]))
    except (IndexError, ValueError):
        return None
    if not isinstance(claims, dict):
        return None
    roles = claims.get("roles")
    role = claims.get("role", roles[0] if isinstance(roles, list) and len(roles) == 1 else None)
    if not isinstance(role, str) or role not in Role._value2member_map_:
        return None
    if ROLE_BINDING.get(Role(role)) != "publisher_id":
        return None  # an auditor may submit for any publisher; other roles may not submit at all
    value = claims.get("publisher_id")
    return value if isinstance(value, str) and value else None


def cmd_publish_reference(_args: argparse.Namespace, _settings: Settings) -> int:
    from publishing.reference import reference

    print(reference(), end="")
    return 0


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


async def _audit(dsn: str, verifier: Sequence[NoteVerifier] | None, origin: str, mark: Any, *, incremental: bool,
                 progress: Any = None, admin_keys: Any = None) -> Any:
    """One audit in one snapshot: from the watermark ``mark`` when ``incremental`` (and there is one), else all
    of the log (still checked against ``mark``: a clean but smaller or rewritten tree is a fork)."""
    from ledger.audit import audit
    from ledger.audit_incremental import audit_since

    notes = origin if verifier else None
    async with connected(dsn) as conn:
        if incremental and mark is not None:
            return await audit_since(conn, mark.head, verifier=verifier, origin=notes, progress=progress,
                                     admin_keys=admin_keys)
        return await audit(conn, verifier=verifier, origin=notes, watermark=None if mark is None else mark.head,
                           progress=progress, admin_keys=admin_keys)


class _Progress:
    """Progress of a long audit on stderr, at most one line every few seconds (stdout stays the report)."""

    def __init__(self, every: float = 3.0) -> None:
        import time

        self.every, self.clock = every, time.monotonic
        self.next = self.clock() + every

    def __call__(self, what: str) -> None:
        if self.clock() >= self.next:
            print(f"audit: {what}", file=sys.stderr, flush=True)
            self.next = self.clock() + self.every


def _database_trouble(exc: BaseException) -> CliError | None:
    """The one line for a database the audit cannot read, or None for anything else."""
    import asyncpg

    if isinstance(exc, asyncpg.UndefinedTableError):
        return CliError("the database has no ledger tables: run `registry migrate` first")
    if isinstance(exc, asyncpg.InsufficientPrivilegeError):
        return CliError(f"the replay needs a scratch database on the same server, and the role in DATABASE_URL may "
                        f"not create one ({exc}); grant CREATEDB or run without --replay")
    if isinstance(exc, (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)):
        return CliError(f"cannot audit the database: {exc}")
    return None


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from ledger import admin_key, audit_state
    from ledger.keys import DEFAULT_FILE, LogKeyError, load_log_verifiers

    origin = args.origin or settings.log_origin
    if args.follow and args.replay:
        return fail(CliError("--follow does not replay (a replay re-applies the whole log each time): run "
                             "`registry audit --replay` on its own schedule"))
    if not args.interval > 0:
        return fail(CliError(f"--interval must be a positive number of seconds, not {args.interval}"))
    state = Path(args.state) if args.state else settings.secrets_dir / audit_state.DEFAULT_FILE
    try:  # the registry's own keys: current, retiring and retired, as older checkpoints bear only older keys
        verifier = (log_verifiers(args.log_key) if args.log_key
                    else load_log_verifiers(settings.secrets_dir / DEFAULT_FILE, origin)) or None
        mark = audit_state.read(state, origin)
        admin_keys = (admin_key.read_jwks(args.admin_keys) if args.admin_keys
                      else admin_key.load_public_keys(settings.secrets_dir / admin_key.DEFAULT_FILE))
    except (CliError, LogKeyError, audit_state.AuditStateError, admin_key.AdminKeyError) as exc:
        return fail(exc)
    incremental = args.from_watermark or args.follow
    if incremental and mark is None:
        print(f"no watermark in {state} yet: auditing the whole log", file=sys.stderr)
    with database_url(settings) as dsn:
        if args.follow:
            return _follow(args, dsn, verifier, origin, state, admin_keys)
        try:
            report = asyncio.run(_audit(dsn, verifier, origin, mark, incremental=incremental, progress=_Progress(),
                                        admin_keys=admin_keys))
            replayed = asyncio.run(_replay_audit(dsn, admin_keys)) if args.replay else None
        except Exception as exc:
            trouble = _database_trouble(exc)
            if trouble is None:
                raise
            return fail(trouble)
    ok = report.ok and (replayed is None or replayed.ok)
    recorded, state_error = None, None
    if ok:
        try:
            recorded = audit_state.record(state, origin, report.log_size, report.root, replay=replayed is not None)
        except audit_state.AuditStateError as exc:
            state_error = exc
    if args.json:
        doc = report.as_dict()
        if replayed is not None:
            doc["replay"] = {"ok": replayed.ok, "replayed": replayed.replayed, "expunged": replayed.expunged,
                             "rows_compared": replayed.rows_compared,
                             "findings": [{"code": f.code, "table": f.table, "where": f.where, "message": f.message}
                                          for f in replayed.findings]}
        doc["watermark"] = None if recorded is None else {**recorded.as_dict(), "file": str(state)}
        print(json.dumps(doc, indent=2))
    else:
        _print_audit(report, replayed)
        if recorded is not None:
            print(f"watermark: size {recorded.size} root {recorded.root.hex()} in {state}")
    if state_error is not None:
        return fail(state_error)
    return 0 if ok else 1


def _print_audit(report: Any, replayed: Any) -> None:
    for finding in report.findings:
        print(finding)
    if replayed is not None:
        for replay_finding in replayed.findings:
            print(replay_finding)
        print(f"replay: {replayed.replayed} events and {replayed.registrations} registrations re-applied "
              f"({replayed.expunged} expunged or about expunged "
              f"content), {replayed.rows_compared} rows compared, {len(replayed.findings)} difference(s)")
    since = (f"verified from the watermark at size {report.verified_from}: {report.log_size - report.verified_from} "
             f"new entries, " if report.verified_from else "")
    print(f"log size {report.log_size}, {since}{report.leaves} leaves, {report.events} events "
          f"({report.expunged} expunged), {report.nodes_checked} interior nodes, {report.checkpoints_checked} "
          f"checkpoints{'' if report.latest_checkpoint is None else f' (latest at size {report.latest_checkpoint})'}; "
          f"{report.registrations} registrations; {report.signatures_verified} signatures verified (admin signatures "
          f"{'checked' if report.admin_signatures_checked else 'NOT checked: no admin key'}); "
          f"checkpoint signatures {'checked' if report.signatures_checked else 'NOT checked (no log key)'}")
    problems = len(report.findings) + (len(replayed.findings) if replayed is not None else 0)
    ok = report.ok and (replayed is None or replayed.ok)
    print("audit clean" if ok else f"audit found {problems} problem(s)")


class _CtrlC:
    """Ctrl-C while following. Between rounds it stops at once; during a round the round finishes and the follower
    stops after it (a second Ctrl-C stops at once). asyncio.run's own handling cancels the round instead, and a
    cancellation that something inside the round absorbed was lost: the follower went on following (seen once, in
    CI under load)."""

    def __init__(self) -> None:
        self.pressed = 0
        self.in_round = False

    def __call__(self, signum: int, frame: Any) -> None:
        self.pressed += 1
        if not self.in_round or self.pressed > 1:
            raise KeyboardInterrupt


def _follow(args: argparse.Namespace, dsn: str, verifier: Sequence[NoteVerifier] | None, origin: str,
            state: Path, admin_keys: Any) -> int:
    """Audit what is new since the watermark every ``--interval`` seconds: one line per round, stop at the first
    problem (exit 1); Ctrl-C stops it cleanly (exit 0)."""
    import signal
    import time

    from ledger import audit_state

    ctrl_c = _CtrlC()
    previous = signal.signal(signal.SIGINT, ctrl_c)  # asyncio.run leaves a handler of ours in place
    try:
        while True:
            try:
                mark = audit_state.read(state, origin)
                ctrl_c.in_round = True
                report = asyncio.run(_audit(dsn, verifier, origin, mark, incremental=True, progress=_Progress(),
                                            admin_keys=admin_keys))
                ctrl_c.in_round = False
                if report.ok:
                    audit_state.record(state, origin, report.log_size, report.root, replay=False)
            except audit_state.AuditStateError as exc:
                return fail(exc)
            except Exception as exc:
                trouble = _database_trouble(exc)
                if trouble is None:
                    raise
                return fail(trouble)
            print(_round_line(report, args.json), flush=True)
            if not report.ok:
                return 1
            if ctrl_c.pressed:
                raise KeyboardInterrupt
            time.sleep(args.interval)
    except KeyboardInterrupt:
        print("audit --follow stopped", file=sys.stderr)
        return 0
    finally:
        signal.signal(signal.SIGINT, previous)


def _round_line(report: Any, as_json: bool) -> str:
    new = report.log_size - report.verified_from
    if as_json:
        return json.dumps({"time": _now(), "ok": report.ok, "entries_verified": new, "size": report.log_size,
                           "root": report.root.hex() if report.ok else None,
                           "findings": [{"code": f.code, "table": f.table, "where": f.where, "message": f.message}
                                        for f in report.findings]})
    if report.ok:
        return f"{_now()} ok: {new} new entries verified, size {report.log_size}"
    more = len(report.findings) - 1
    return (f"{_now()} PROBLEM at size {report.log_size}: {report.findings[0]}"
            + (f" (and {more} more: `registry audit --from-watermark` lists them)" if more else ""))


def cmd_adopt_registrations(args: argparse.Namespace, settings: Settings) -> int:
    """Once, after the upgrade that made registrations log entries: log what the tables hold."""
    import asyncpg

    from ledger import admin_key
    from publishing import registrations

    try:
        keys = admin_key.load_or_create_keys(settings.secrets_dir / admin_key.DEFAULT_FILE)
    except (admin_key.AdminKeyError, OSError) as exc:
        return fail(CliError(str(exc)))

    async def run(dsn: str) -> dict[str, int]:
        async with connected(dsn) as conn:
            return await registrations.adopt(conn, keys, by=args.by)

    with database_url(settings) as dsn:
        try:
            counts = asyncio.run(run(dsn))
        except registrations.AlreadyLogged as exc:
            return fail(CliError(str(exc)))
        except asyncpg.UndefinedTableError:
            return fail(CliError("the database lacks the registry_entries table: run `registry migrate` first"))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return fail(CliError(f"cannot reach the database: {exc}"))
    print(f"logged {counts['agencies']} agencies, {counts['publishers']} publishers, {counts['publisher_keys']} "
          f"publisher keys and {counts['revocations']} revocations under admin key {keys.kid}; from now on every "
          "registration is logged by the admin API")
    return 0


async def _replay_audit(dsn: str, admin_keys: Any = None) -> Any:
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
            return await replay(live, scratch, admin_keys=admin_keys)
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

    p = sub.add_parser("sign", help="check one event (JSON file) and print its compact JWS",
                       description="Check an event with the registry's own event models (one `error: FIELD: "
                                   "PROBLEM` line per bad field, exit 2, nothing signed), then sign it as a compact "
                                   "JWS (Ed25519 over RFC 8785 JSON). Adds a random salt and issuedAt (now) when "
                                   "missing.")
    p.add_argument("event", help="event JSON file ('-' for stdin)")
    p.add_argument("--key", required=True, help="private JWK file (from `registry keygen`)")
    p.add_argument("--kid", help="registered key ID (default: the kid in the key file)")
    p.set_defaults(func=cmd_sign)

    p = sub.add_parser("publish", help="sign and upload a file of events in batches",
                       description="Sign every event of an NDJSON file (one unsigned event object per line, or "
                                   '{"event": {...}, "ssn": "..."}) or a CSV file and upload them with '
                                   "publishEvents. Every line is checked before anything is sent. Each batch is "
                                   "atomic: one rejected event leaves its whole batch unapplied. The report names, per "
                                   "row, the officer's registry ID and the certification, employment or record it "
                                   "made or changed. An unreachable registry, a refused token or a URL that is not "
                                   "the registry stops the upload with one line saying what was applied and where "
                                   "to resume. Re-running is safe: already accepted events come back as "
                                   "duplicates. Exit 0 only if every event was accepted or a duplicate, 1 if some "
                                   "were rejected, 2 for bad input or a stopped upload.")
    p.add_argument("file", help="NDJSON or CSV file of unsigned events ('-' for stdin)")
    p.add_argument("--format", choices=["auto", "ndjson", "csv"], default="auto",
                   help="file format (default: csv for a .csv file, else ndjson)")
    p.add_argument("--publisher", help="publisher ID of rows and events that name none (default: the publisher "
                                       "your token is for; refused if it contradicts the token)")
    p.add_argument("--key", required=True, help="private JWK file (from `registry keygen`)")
    p.add_argument("--kid", help="registered key ID (default: the kid in the key file)")
    p.add_argument("--url", required=True, help="registry URL, e.g. https://registry.example (/graphql is added)")
    p.add_argument("--token", help="publisher bearer token (default: $REGISTRY_TOKEN)")
    p.add_argument("--batch-size", type=int, default=500, help=f"events per request, 1-{MAX_BATCH} (default 500)")
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for each request (default 120)")
    p.add_argument("--in-flight", type=int, default=IN_FLIGHT,
                   help=f"batches sent before the first one's answer is back, 1-{MAX_IN_FLIGHT} (default {IN_FLIGHT}): "
                        "the registry applies them in the file's order; 1 waits for each answer")
    p.add_argument("--dry-run", action="store_true", help="validate on the server without writing anything")
    p.add_argument("--json", action="store_true",
                   help="print the report as one JSON document (rows with line, eventId, status, logIndex, "
                        "entityId, officerId, code, message; counts; stopped)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--journal", help="where to record every event sent, for `registry monitor` "
                                     "(default: <data dir>/journals/<publisher>.ndjson)")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("publish-reference", help="print the CSV columns and allowed values of every event type",
                       description="Print, as Markdown, every event type's CSV columns (required or not, type, "
                                   "allowed values), generated from the registry's event models: the reference in "
                                   "docs/bulk-publishing.md.")
    p.set_defaults(func=cmd_publish_reference)

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
                                   "recomputed tree and the registry key. A clean audit records its (size, root) as "
                                   "the watermark in --state; every audit then checks the log still extends it "
                                   "(else FORK), and --from-watermark / --follow verify only what came after it. "
                                   "Uses DATABASE_URL or the embedded database. Exit 1 if anything is found, 2 for "
                                   "a usage or configuration mistake.")
    p.add_argument("--log-key", action="append",
                   help="verifier key to check checkpoint signatures with, or a file of them, one per line; repeatable "
                        "(default: the registry's own keys, from REGISTRY_LOG_SIGNER_KEY or the data directory: the "
                        "current one and those a key rotation retired, whose checkpoints bear only their signature)")
    p.add_argument("--admin-keys", metavar="JWKS",
                   help="the registry admin keys that sign registrations: a JWKS file, or the registry's URL of "
                        "/.well-known/registry-admin-keys (default: the registry's own, from REGISTRY_ADMIN_KEY or "
                        "the data directory; without any, registrations' signatures are not checked, and the report "
                        "says so)")
    p.add_argument("--origin", help="the log's origin (default: REGISTRY_LOG_ORIGIN)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--replay", action="store_true",
                   help="also replay the whole log into a scratch database with the code that applied it and name "
                        "every state-table row and field it does not explain (needs CREATE DATABASE)")
    p.add_argument("--state", metavar="FILE",
                   help="the auditor's watermark file: the (size, root) of the last clean audit, kept outside the "
                        "database (default: audit.state in the data directory's secrets)")
    p.add_argument("--from-watermark", action="store_true",
                   help="prove the log extends the watermark (else: FORK), then verify only the entries after it "
                        "(a whole-log audit when there is no watermark yet)")
    p.add_argument("--follow", action="store_true",
                   help="keep auditing the new entries every --interval seconds, one line per round; exit 1 at the "
                        "first problem, 0 on Ctrl-C")
    p.add_argument("--interval", type=float, default=10.0, metavar="S",
                   help="seconds between --follow rounds (default 10)")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("adopt-registrations",
                       help="once, after upgrading: log the agencies, publishers and publisher keys already registered",
                       description="Registrations (agencies, publishers, publisher keys and revocations) are signed "
                                   "log entries under the registry's admin key. A registry upgraded from a version "
                                   "that did not log them runs this once: it logs every row the three tables hold, "
                                   "as they are, marked adopted, in one transaction. Until then publishing refuses "
                                   "every key (UNKNOWN_KEY) and `registry audit` names every row ROW_NOT_IN_LOG. "
                                   "Audit the tables first (you are vouching for them). Refused (exit 2) once any "
                                   "registration is logged, so a row written behind the API later is never adopted.")
    p.add_argument("--by", default="upgrade", help="who adopts them, recorded in each entry (default: upgrade)")
    p.set_defaults(func=cmd_adopt_registrations)
