"""The printable background-check report: ``GET /reports/background-check.pdf?officer=<ID>`` (a PDF).

What the report shows is exactly what the caller could read through the API: the route runs a fixed GraphQL
document through the app's own schema with a Context built as ``/graphql`` builds it (the caller's Principal
and declared purpose, the same read routing), so the one policy table (``auth.policy``) decides every field
and the schema's ``FieldPolicy`` extension writes the read to the officer's query log, as for any API read.
A field the caller may not read comes back null with a FORBIDDEN error and is left out of the report like a
field with no value: the report has no wording for "not shown to you", so a record the caller may not see
(e.g. one still in due process) changes nothing in it.

The route needs ``Authorization: Bearer`` (wrapped in server.Authenticate, like the grant-eligibility report)
and a purpose (``Registry-Purpose`` header or ``purpose`` query parameter). It answers one JSON error with a
code when it cannot give a report: 400 BAD_USER_INPUT, 401 UNAUTHENTICATED, 403 FORBIDDEN, 404 NOT_FOUND (the
same for an ID that does not exist and one the caller may not read), 503 SERVICE_UNAVAILABLE, 500.
docs/background-report.md describes the report and how to verify its proofs offline.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from xml.sax.saxutils import escape

import asyncpg
from graphql import GraphQLError
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, Paragraph, Preformatted, SimpleDocTemplate, Spacer, Table, TableStyle
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, request_response
from starlette.types import ASGIApp
from strawberry.http.temporal_response import TemporalResponse
from strawberry.schema.base import BaseSchema
from strawberry.types.graphql import OperationType

from auth import policy
from auth.disclosure_log import DisclosureLog
from auth.principal import Principal
from registry import logs, metrics
from registry.config import Settings
from registry.replicas import Replicas
from schema.context import Context
from schema.enums import QueryPurpose
from schema.loaders import Loaders
from web import metrics as metrics_route
from web import read_routing
from web.responses import graphql_error

__all__ = ["PATH", "Report", "render", "route"]

log = logging.getLogger("registry.background_report")

PATH = "/reports/background-check.pdf"
#: Follow-up pages of one connection at most (each ``settings.max_page_size`` long); a longer history is refused
#: (500), never printed in part.
MAX_PAGES = 100
_RENDERING = threading.Lock()  # one PDF at a time per process: ReportLab keeps some module-level state
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SAFE_ID = re.compile(r"[^A-Za-z0-9-]")


class AppState(Protocol):
    pool: asyncpg.Pool | None
    settings: Settings
    services: Any
    replicas: Replicas | None
    write_marks: read_routing.WriteMarks

    @property
    def disclosure_log(self) -> DisclosureLog: ...


# -- the GraphQL documents (fixed: the caller chooses only the officer ID and the purpose) -------------------

_FRAGMENTS = {
    "certifications": "fragment ReportCertification on Certification {\n"
                      "  id state number kind status issuedOn expiresOn statusReason\n}\n",
    "employment": "fragment ReportEmployment on Employment {\n"
                  "  id agency { ori name } position startDate endDate separationReason\n}\n",
    "records": "fragment ReportRecord on MisconductRecord {\n"
               "  id kind state reasonCategory actionDate status fairProcessAttested disputed subjectStatement\n"
               "  narrative caseReference agency { ori name } publisher { id name }\n"
               "  statusHistory { fromStatus toStatus fairProcessAttested reason changedAt }\n"
               "  proof { logIndex treeSize leafHash inclusionProof checkpoint }\n}\n",
}
_SPREAD = {"certifications": "ReportCertification", "employment": "ReportEmployment", "records": "ReportRecord"}


def _connection(name: str, after: bool) -> str:
    args = "first: $first, after: $after" if after else "first: $first"
    return f"{name}({args}) {{ pageInfo {{ hasNextPage endCursor }} edges {{ node {{ ...{_SPREAD[name]} }} }} }}"


#: The report: the caller's agency name (public) and the officer's identity and first page of each history.
DOCUMENT = ("query BackgroundCheckReport($id: ID!, $purpose: QueryPurpose!, $first: Int!, $ori: String! = \"\", "
            "$withAgency: Boolean! = false) {\n"
            "  agency(ori: $ori) @include(if: $withAgency) { ori name }\n"
            "  officer(id: $id, purpose: $purpose) {\n    id names { kind fullName } dateOfBirth\n"
            + "".join(f"    {_connection(name, after=False)}\n" for name in _FRAGMENTS)
            + "  }\n}\n" + "".join(_FRAGMENTS.values()))
#: A further page of one connection, when the first did not hold all of it (each such read is logged too).
PAGE_DOCUMENTS = {
    name: ("query BackgroundCheckReportPage($id: ID!, $purpose: QueryPurpose!, $first: Int!, $after: String!) {\n"
           f"  officer(id: $id, purpose: $purpose) {{\n    {_connection(name, after=True)}\n  }}\n}}\n{fragment}")
    for name, fragment in _FRAGMENTS.items()
}


# -- what the report holds -----------------------------------------------------------------------------------

@dataclass
class Report:
    """Everything printed, as the schema answered it (dicts of GraphQL field names; a None is left out)."""

    officer: dict[str, Any]
    certifications: list[dict[str, Any]] | None
    employment: list[dict[str, Any]] | None
    records: list[dict[str, Any]] | None
    purpose: str
    retrieved_at: datetime
    requester: str
    log_origin: str
    checkpoints: list[str] = field(default_factory=list)


class Refusal(Exception):
    """The route's one JSON error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, " ".join(message.split())  # one line

    def response(self) -> JSONResponse:
        response = graphql_error(self.status, self.code, self.message)
        response.headers["Cache-Control"] = "no-store"
        if self.code == "SERVICE_UNAVAILABLE":
            response.headers["Retry-After"] = "5"
        return response


def _code(error: GraphQLError) -> str:
    return str((error.extensions or {}).get("code") or "INTERNAL_SERVER_ERROR")


def _check(errors: Sequence[GraphQLError] | None, who: Principal) -> None:
    """Raise the refusal the errors amount to. A FORBIDDEN below the root is a field the caller may not read:
    it is left out, like a field without a value. Anything else means the report would be incomplete."""
    for error in errors or []:
        code, path = _code(error), list(error.path or [])
        metrics.graphql_errors.labels(code).inc()  # as RegistryGraphQL.process_result counts them
        if code == "FORBIDDEN" and len(path) > 1:
            continue
        if code == "FORBIDDEN":
            if not who.authenticated:
                raise Refusal(401, "UNAUTHENTICATED", "this report needs a bearer token")
            raise Refusal(403, "FORBIDDEN", error.message)
        if code in ("BAD_USER_INPUT", "PURPOSE_REQUIRED"):
            raise Refusal(400, "BAD_USER_INPUT", error.message)
        if code == "SERVICE_UNAVAILABLE":
            raise Refusal(503, "SERVICE_UNAVAILABLE", error.message)
        log.error("background-check report failed at %s: %s", path, error.message,
                  exc_info=error.original_error)
        rid = logs.request_id.get()
        raise Refusal(500, "INTERNAL_SERVER_ERROR", "the report could not be produced; it has been logged"
                      + (f" (request ID {rid})" if rid else ""))


class _Reader:
    """Runs the report's documents as the caller, as /graphql would (RegistryGraphQL.get_context)."""

    def __init__(self, state: AppState, schema: BaseSchema, request: Request, purpose: str) -> None:
        self.state, self.schema, self.request, self.purpose = state, schema, request, purpose
        self.who: Principal = request.state.principal

    async def context(self) -> Context:
        pool = self.state.pool
        assert pool is not None, "the database pool is not ready"
        metrics_route.observe_pool("primary", pool)
        ctx = Context(principal=self.who, pool=pool, settings=self.state.settings, loaders=Loaders(pool),
                      services=self.state.services, purpose=self.purpose, request=self.request,
                      response=TemporalResponse(), disclosure_log=self.state.disclosure_log)
        if self.state.replicas is not None:  # as RegistryGraphQL.parse_http_body routes a query's reads
            read = await read_routing.read_pool_for(self.state.replicas, self.who, "query",
                                                    self.request.scope.get("state", {}).get("min_lsn"),
                                                    self.state.write_marks)
            if read is not None:
                ctx.read_pool, ctx.loaders = read, Loaders(read)
        return ctx

    async def run(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        ctx = await self.context()
        result = await self.schema.execute(document, variable_values=variables, context_value=ctx,
                                           allowed_operation_types={OperationType.QUERY})
        # The schema's FieldPolicy extension has written what was shown to the query log when execution
        # ended, exactly as on /graphql; this finds nothing left to write unless that was skipped.
        await ctx.flush_disclosures()
        _check(result.errors, self.who)
        return dict(result.data or {})


async def fetch(state: AppState, schema: BaseSchema, request: Request, officer_id: str, purpose: str) -> Report:
    """The report's data, read through the schema as the caller; raises Refusal."""
    reader = _Reader(state, schema, request, purpose)
    first = state.settings.max_page_size
    ori = reader.who.agency_ori
    variables = {"id": officer_id, "purpose": purpose, "first": first, "ori": ori or "", "withAgency": bool(ori)}
    data = await reader.run(DOCUMENT, variables)
    officer: dict[str, Any] | None = data.get("officer")
    if officer is None:
        raise Refusal(404, "NOT_FOUND", "no officer you may read has this registry ID")
    lists: dict[str, list[dict[str, Any]] | None] = {}
    for name in _FRAGMENTS:
        conn = officer.get(name)
        if conn is None:
            lists[name] = None
            continue
        nodes = [e["node"] for e in conn.get("edges") or []]
        page, pages = conn.get("pageInfo") or {}, 0
        while page.get("hasNextPage") and page.get("endCursor"):
            pages += 1
            if pages > MAX_PAGES:
                raise Refusal(500, "INTERNAL_SERVER_ERROR", f"this officer's {name} are too many for one printed "
                                                            "report; read them through the API")
            more = (await reader.run(PAGE_DOCUMENTS[name], {"id": officer_id, "purpose": purpose, "first": first,
                                                            "after": page["endCursor"]})).get("officer") or {}
            conn = more.get(name) or {}
            nodes += [e["node"] for e in conn.get("edges") or []]
            page = conn.get("pageInfo") or {}
        lists[name] = nodes
    notes: list[str] = []
    for record in lists["records"] or []:
        note = (record.get("proof") or {}).get("checkpoint")
        if note and note not in notes:
            notes.append(note)
    return Report(officer=officer, certifications=lists["certifications"], employment=lists["employment"],
                  records=lists["records"], purpose=purpose, retrieved_at=datetime.now(UTC),
                  requester=_requester(reader.who, data.get("agency")), log_origin=state.settings.log_origin,
                  checkpoints=notes)


def _requester(who: Principal, agency: dict[str, Any] | None) -> str:
    role = who.role.value.replace("_", " ")
    if who.agency_ori:
        name = (agency or {}).get("name")
        org = f"{name} (ORI {who.agency_ori})" if name else f"ORI {who.agency_ori}"
    else:
        org = who.partner_id or who.publisher_id or who.officer_id or ""
    return ", ".join(x for x in (org, role, f"user {who.subject}") if x)


# -- the route -----------------------------------------------------------------------------------------------

def route(state: AppState, schema: BaseSchema, authenticate: Callable[[ASGIApp], ASGIApp]) -> Route:
    """``GET /reports/background-check.pdf``; ``authenticate`` puts the caller's Principal (and a checked
    Registry-Purpose header) on the request, as for /graphql."""

    async def report(request: Request) -> Response:
        if request.method != "GET":  # Starlette adds HEAD: it would be a logged read that shows nothing
            return Response(status_code=405, headers={"Allow": "GET"})
        try:
            officer_id, purpose = _parameters(request)
            data = await fetch(state, schema, request, officer_id, purpose)
        except Refusal as refusal:
            return refusal.response()
        pdf = await asyncio.to_thread(render, data)
        name = _SAFE_ID.sub("", str(data.officer.get("id") or officer_id))[:40] or "officer"
        day = data.retrieved_at.strftime("%Y%m%d")
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="background-check-{name}-{day}.pdf"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    return Route(PATH, authenticate(request_response(report)), methods=["GET"])


def _parameters(request: Request) -> tuple[str, str]:
    who: Principal = request.state.principal
    if not policy.field_access("Query", "officer").allows(who, None):
        if not who.authenticated:
            raise Refusal(401, "UNAUTHENTICATED", "this report needs an Authorization: Bearer <token> header")
        raise Refusal(403, "FORBIDDEN", "your role may not read officers")
    officer_id = (request.query_params.get("officer") or "").strip()
    if not officer_id:
        raise Refusal(400, "BAD_USER_INPUT", "give the officer's registry ID: ?officer=OFC-...")
    header: str | None = request.scope.get("state", {}).get("purpose")  # checked by Authenticate
    param = (request.query_params.get("purpose") or "").strip().upper() or None
    if param is not None and param not in QueryPurpose._value2member_map_:
        allowed = ", ".join(QueryPurpose._value2member_map_)
        raise Refusal(400, "BAD_USER_INPUT", f"purpose must be one of {allowed}")
    if header is not None and param is not None and header != param:
        raise Refusal(400, "BAD_USER_INPUT", "the Registry-Purpose header and the purpose parameter differ")
    purpose = header or param
    if purpose is None:
        raise Refusal(400, "BAD_USER_INPUT", "declare the purpose of this report: the Registry-Purpose header "
                                             "or ?purpose=PRE_EMPLOYMENT_BACKGROUND_CHECK")
    return officer_id, purpose


# -- the PDF -------------------------------------------------------------------------------------------------

_STYLES = getSampleStyleSheet()
_BODY = ParagraphStyle("ReportBody", parent=_STYLES["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12.5)
_SMALL = ParagraphStyle("ReportSmall", parent=_BODY, fontSize=8, leading=10)
_CELL = ParagraphStyle("ReportCell", parent=_BODY, fontSize=8.5, leading=10.5, spaceBefore=0, spaceAfter=0)
_HEAD_CELL = ParagraphStyle("ReportHeadCell", parent=_CELL, fontName="Helvetica-Bold")
_LABEL = ParagraphStyle("ReportLabel", parent=_HEAD_CELL, spaceBefore=6, spaceAfter=1)
_TITLE = ParagraphStyle("ReportTitle", parent=_STYLES["Title"], fontName="Helvetica-Bold", fontSize=18,
                        leading=22, alignment=0, spaceAfter=4)
_H2 = ParagraphStyle("ReportH2", parent=_STYLES["Heading2"], fontName="Helvetica-Bold", fontSize=12.5,
                     leading=15, spaceBefore=12, spaceAfter=4, textColor=colors.HexColor("#1f3b5a"))
_H3 = ParagraphStyle("ReportH3", parent=_STYLES["Heading3"], fontName="Helvetica-Bold", fontSize=10.5,
                     leading=13, spaceBefore=10, spaceAfter=3)
_MONO = ParagraphStyle("ReportMono", parent=_BODY, fontName="Courier", fontSize=7.5, leading=9)
_MARGIN = 0.75 * inch
_WIDTH = LETTER[0] - 2 * _MARGIN
_GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf2")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
])
_PAIRS = TableStyle([
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (0, -1), 0),
])
_SCOPE = ("This report holds what the registry's access policy let the requesting organization read when it "
          "was retrieved, for the purpose stated. For hiring agencies that is the officer's identity, "
          "certifications and employment, and the misconduct records whose due process is complete (final, with "
          "fair process attested). The officer may add a statement to a record and dispute it; both are shown "
          "with the record. This retrieval is recorded in the officer's query log, which the officer can read.")


def _clean(value: Any) -> str:
    return _CONTROL.sub("", str(value))


def _p(text: Any, style: ParagraphStyle = _BODY) -> Paragraph:
    """A paragraph of data: escaped, so nothing in it is read as markup (e.g. an <img> naming a file)."""
    return Paragraph(escape(_clean(text)).replace("\n", "<br/>"), style)


def _label(value: Any) -> str:
    """An enum value as words: NOTICE_SERVED -> Notice served."""
    return str(value).replace("_", " ").capitalize()


def _yes(value: Any) -> str | None:
    return None if value is None else ("Yes" if value else "No")


def _utc(value: Any) -> str | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _org(value: dict[str, Any] | None, key: str) -> str | None:
    if not value:
        return None
    name, ident = value.get("name"), value.get(key)
    return f"{name} ({ident})" if name and ident else (name or ident)


def _pairs(rows: Iterable[tuple[str, Any]]) -> Table | None:
    """Label/value rows; a row without a value is left out."""
    shown = [[_p(k, _HEAD_CELL), _p(v, _CELL)] for k, v in rows if v not in (None, "", [])]
    if not shown:
        return None
    table = Table(shown, colWidths=[1.7 * inch, _WIDTH - 1.7 * inch], hAlign="LEFT")
    table.setStyle(_PAIRS)
    return table


def _grid(head: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
    data = [[_p(h, _HEAD_CELL) for h in head]] + [[_p("" if v is None else v, _CELL) for v in r] for r in rows]
    table = Table(data, colWidths=[w * _WIDTH for w in widths], repeatRows=1, hAlign="LEFT")
    table.setStyle(_GRID)
    return table


def _note(text: str, width: float) -> Preformatted:
    """A signed note as it is, line for line (a signature line is not broken: the font shrinks to fit it)."""
    lines = _clean(text).rstrip("\n").split("\n")
    widest = max((stringWidth(line, "Courier", 10) for line in lines), default=0) or 1
    size = max(4.5, min(8.0, 10 * width / widest))
    style = ParagraphStyle("ReportNote", parent=_MONO, fontSize=size, leading=size * 1.25)
    return Preformatted("\n".join(lines), style)


def _officer(report: Report) -> list[Any]:
    o = report.officer
    names = [n for n in o.get("names") or [] if n and n.get("fullName")]
    primary = next((n for n in names if n.get("kind") == "PRIMARY"), names[0] if names else None)
    others = [f"{n['fullName']} ({_label(n.get('kind') or 'name')})" for n in names if n is not primary]
    out: list[Any] = [Paragraph("Officer", _H2)]
    table = _pairs([("Name", primary and primary["fullName"]), ("Other names", "; ".join(others)),
                    ("Date of birth", o.get("dateOfBirth")), ("Registry ID", o.get("id"))])
    return [*out, table] if table is not None else out


def _certifications(items: list[dict[str, Any]] | None) -> list[Any]:
    if items is None:
        return []
    out: list[Any] = [Paragraph("Certifications", _H2)]
    if not items:
        return [*out, _p("None.")]
    rows = [[c.get("state"), c.get("number"), c.get("kind") and _label(c["kind"]),
             c.get("status") and _label(c["status"]), c.get("issuedOn"), c.get("expiresOn")] for c in items]
    out.append(_grid(["State", "Number", "Kind", "Status", "Issued", "Expires"], rows,
                     [0.08, 0.2, 0.24, 0.16, 0.16, 0.16]))
    for c in items:  # free text below the table: a long reason must not make a row taller than a page
        if c.get("statusReason"):
            out.append(_p(f"Status reason, {c.get('state') or ''} {c.get('number') or ''}: {c['statusReason']}",
                          _SMALL))
    return out


def _employment(items: list[dict[str, Any]] | None) -> list[Any]:
    if items is None:
        return []
    out: list[Any] = [Paragraph("Employment", _H2)]
    if not items:
        return [*out, _p("None.")]
    rows = [[_org(e.get("agency"), "ori"), e.get("position"), e.get("startDate"), e.get("endDate"),
             e.get("separationReason") and _label(e["separationReason"])] for e in items]
    out.append(_grid(["Agency", "Position", "Start", "End", "Separation"], rows, [0.36, 0.2, 0.13, 0.13, 0.18]))
    return out


def _record(number: int, r: dict[str, Any]) -> list[Any]:
    title = " ".join(x for x in (f"Record {number}:", r.get("kind") and _label(r["kind"]),
                                 r.get("state") and f"({r['state']})") if x)
    out: list[Any] = [Paragraph(escape(_clean(title)), _H3)]
    table = _pairs([
        ("Record ID", r.get("id")), ("Kind", r.get("kind") and _label(r["kind"])), ("State", r.get("state")),
        ("Reason category", r.get("reasonCategory") and _label(r["reasonCategory"])),
        ("Action date", r.get("actionDate")), ("Status", r.get("status") and _label(r["status"])),
        ("Fair process attested", _yes(r.get("fairProcessAttested"))),
        ("Agency", _org(r.get("agency"), "ori")), ("Published by", _org(r.get("publisher"), "id")),
        ("Case reference", r.get("caseReference")),
        ("Disputed by the officer", _yes(r.get("disputed"))),
    ])
    if table is not None:
        out.append(table)
    if r.get("narrative"):
        out += [_p("Narrative", _LABEL), _p(r["narrative"])]
    if r.get("subjectStatement"):
        out += [_p("The officer's statement", _LABEL), _p(r["subjectStatement"])]
    history = r.get("statusHistory")
    if history:
        out.append(_p("Status history", _LABEL))
        for h in history:
            change = " ".join(f"{word} {_label(h[key])}" for word, key in (("from", "fromStatus"), ("to", "toStatus"))
                              if h.get(key))
            parts = [x for x in (_utc(h.get("changedAt")), change) if x]
            if h.get("fairProcessAttested") is not None:
                parts.append(f"fair process attested: {_yes(h['fairProcessAttested'])}")
            if h.get("reason"):
                parts.append(f"reason: {h['reason']}")
            out.append(_p(" \u00b7 ".join(parts), _SMALL))
    proof = r.get("proof")
    if proof:
        block: list[Any] = [_p("Transparency log", _LABEL)]
        block.append(_p(f"Log index {proof.get('logIndex')} \u00b7 tree size {proof.get('treeSize')} "
                      f"\u00b7 leaf hash (SHA-256, hex):", _SMALL))
        block.append(Preformatted(_clean(proof.get("leafHash") or ""), _MONO))
        path = proof.get("inclusionProof") or []
        block.append(_p(f"Inclusion proof against the checkpoint below: {len(path)} sibling hash"
                      f"{'' if len(path) == 1 else 'es'}, leaf to root:", _SMALL))
        if path:
            block.append(Preformatted("\n".join(_clean(h) for h in path), _MONO))
        out.append(KeepTogether(block))
    return out


def _records(items: list[dict[str, Any]] | None) -> list[Any]:
    if items is None:
        return []
    out: list[Any] = [Paragraph("Misconduct records", _H2)]
    if not items:
        return [*out, _p("No misconduct records are included in this report.")]
    for number, r in enumerate(items, 1):
        parts = _record(number, r)
        out += [KeepTogether(parts[:2]), *parts[2:]]
    return out


def _checkpoints(report: Report) -> list[Any]:
    out: list[Any] = [Paragraph("Signed checkpoint", _H2)]
    if not report.checkpoints:
        return [*out, _p("No inclusion proofs are part of this report, so no checkpoint is needed to check them.")]
    out.append(_p("The inclusion proofs above lead to the root hash of this checkpoint of the registry's "
                  "transparency log, a signed note (C2SP tlog-checkpoint) as the registry served it:"))
    for note in report.checkpoints:
        out += [Spacer(1, 3), _note(note, _WIDTH)]
    return out


def _verify(report: Report) -> list[Any]:
    steps = (
        "Each record's log index, leaf hash and inclusion proof can be checked offline, with public keys only. "
        "Get the record's bundle through the API (GraphQL record(id: \"<record ID>\", purpose: <purpose>) "
        "{ bundle }; that read is logged like this one), the registry's verifier key from "
        "/.well-known/registry-log-key, and run:",
    )
    command = f"registry verify bundle.json --log-key log.key --origin {report.log_origin}"
    return [Paragraph("Verifying this report offline", _H2), *(_p(s) for s in steps),
            Preformatted(command, _MONO),
            _p("It checks the publisher's signature of the event, its leaf hash, its inclusion in the checkpoint "
               "and the checkpoint's signature. The bundle's log index, leaf hash and checkpoint must match those "
               "printed here (a later checkpoint also proves the same entry, with a consistency proof). "
               "docs/background-report.md describes the report.", _SMALL)]


def _story(report: Report) -> list[Any]:
    when = _utc(report.retrieved_at.isoformat())
    return [
        Paragraph("Background-check report", _TITLE),
        _p("Officer certification registry", _SMALL),
        Spacer(1, 6),
        _p(f"Retrieved at {when} by {report.requester} for purpose {report.purpose}."),
        _p(_SCOPE, _SMALL),
        *_officer(report),
        *_certifications(report.certifications),
        *_employment(report.employment),
        *_records(report.records),
        *_checkpoints(report),
        *_verify(report),
    ]


def render(report: Report) -> bytes:
    """The PDF. Built twice: the first pass counts the pages that the footers then number ("Page 2 of 3")."""
    total = 0
    subject = _clean(report.officer.get("id") or "")
    when = _utc(report.retrieved_at.isoformat())

    lines = (f"Background-check report \u00b7 officer {subject} \u00b7 retrieved {when} "
             f"\u00b7 purpose {report.purpose}",
             "Verify offline: registry verify <record bundle> --log-key <key from /.well-known/registry-log-key> "
             "(see \"Verifying this report offline\")")
    room = _WIDTH - stringWidth("Page 999 of 999", "Helvetica", 7.5) - 12
    size = min(7.5, *(7.5 * room / stringWidth(line, "Helvetica", 7.5) for line in lines))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.setStrokeColor(colors.HexColor("#9aa5b1"))
        y = _MARGIN * 0.55
        canvas.line(_MARGIN, y + 20, LETTER[0] - _MARGIN, y + 20)
        canvas.setFont("Helvetica", size)
        canvas.drawString(_MARGIN, y + 10, lines[0])
        canvas.drawString(_MARGIN, y, lines[1])
        canvas.setFont("Helvetica", 7.5)
        canvas.drawRightString(LETTER[0] - _MARGIN, y + 10, f"Page {doc.page} of {total or doc.page}")
        canvas.restoreState()

    out = io.BytesIO()
    with _RENDERING:
        for _ in range(2):
            out = io.BytesIO()
            doc = SimpleDocTemplate(out, pagesize=LETTER, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
                                    bottomMargin=_MARGIN + 12, title="Background-check report",
                                    author="Officer certification registry",
                                    subject=f"Officer {subject}, purpose {report.purpose}", creator="officer-registry")
            doc.build(_story(report), onFirstPage=footer, onLaterPages=footer)
            total = doc.page
    return out.getvalue()
