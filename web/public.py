"""Plain HTTP for EO 13929 Sec. 3(c)-(d): the public statistics as CSV, the auditors' grant-eligibility
report as CSV, and a small server-rendered public page (table, SVG chart, eligibility lookup).

No route decides access on its own: each asks ``auth.policy`` about the GraphQL field it mirrors.
The public routes answer as the anonymous caller (they show only what the policy grants everyone, and
need no token); the report route authenticates the bearer token with the same wrapper as /graphql and
then asks the policy about ``Query.grantEligibilityReport``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any, Protocol

import asyncpg
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, request_response
from starlette.types import ASGIApp

from auth import policy
from auth.principal import ANONYMOUS, Principal
from registry.config import Settings
from registry.errors import BadInput
from registry.replicas import Replicas
from reporting import csv_export, eligibility, statistics, suppression, training_coverage
from reporting.suppression import Cell
from schema import enums
from store import agencies as agency_store

_ORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{7}$")
_STATE = re.compile(r"^[A-Z]{2}$")
_KINDS = [k.value for k in enums.RecordKind]


class AppState(Protocol):
    pool: asyncpg.Pool | None
    settings: Settings
    replicas: Replicas | None


def routes(state: AppState, authenticate: Callable[[ASGIApp], ASGIApp]) -> list[Route]:
    """The routes; ``authenticate`` wraps an ASGI app so that it sees the caller's Principal."""

    def pool() -> asyncpg.Pool:
        assert state.pool is not None, "the database pool is not ready"
        return state.pool

    async def public_reads() -> asyncpg.Pool:
        """The public's pages read from a streaming replica when one is within the lag bound."""
        replica = None if state.replicas is None else await state.replicas.read_pool()
        return replica or pool()

    async def statistics_csv(_request: Request) -> Response:
        if not _may(ANONYMOUS, "Query", "publicStatistics"):
            return _refuse(ANONYMOUS)
        tab = await statistics.tabulate(await public_reads(), state.settings.stats_min_cell)
        return _csv(statistics.to_csv(tab), "officer-registry-statistics.csv", "public, max-age=60")

    async def coverage_csv(_request: Request) -> Response:
        if not _may(ANONYMOUS, "Query", "trainingCoverage"):
            return _refuse(ANONYMOUS)
        cov = await training_coverage.tabulate(await public_reads(), state.settings.stats_min_cell)
        return _csv(training_coverage.to_csv(cov), "officer-registry-training-coverage.csv", "public, max-age=60")

    async def eligibility_csv(request: Request) -> Response:
        who: Principal = request.state.principal
        if not _may(who, "Query", "grantEligibilityReport"):
            return _refuse(who)
        try:
            year = _year(request.query_params.get("year"), required=True)
            st = (request.query_params.get("state") or "").strip().upper() or None
            if st is not None and not _STATE.match(st):
                raise BadInput("state must be a two-letter postal code such as CA")
        except BadInput as err:
            return _json_error(400, err.code, err.message)
        rows = await eligibility.agencies_in(pool(), st)
        results = await eligibility.evaluate(pool(), rows, year, all_agencies=st is None)
        return _csv(_eligibility_csv(who, results), f"grant-eligibility-{year}.csv", "no-store")

    async def page(request: Request) -> Response:
        if not _may(ANONYMOUS, "Query", "publicStatistics"):
            return _refuse(ANONYMOUS)
        reads = await public_reads()
        tab = await statistics.tabulate(reads, state.settings.stats_min_cell)
        cov = (await training_coverage.tabulate(reads, state.settings.stats_min_cell)
               if _may(ANONYMOUS, "Query", "trainingCoverage") else None)
        lookup = await _lookup(reads, request.query_params.get("ori"), request.query_params.get("year"))
        return HTMLResponse(_page(tab, cov, lookup, request.query_params), headers={"Cache-Control": "no-cache"})

    return [
        Route("/public", page, methods=["GET"]),
        Route("/public/statistics.csv", statistics_csv, methods=["GET"]),
        Route("/public/training-coverage.csv", coverage_csv, methods=["GET"]),
        Route("/reports/grant-eligibility.csv", authenticate(request_response(eligibility_csv)), methods=["GET"]),
    ]


# -- access, through the policy table ------------------------------------------------------------

def _may(who: Principal, type_name: str, field_name: str) -> bool:
    return policy.field_access(type_name, field_name).allows(who, None)


def _csv(text: str, filename: str, cache: str) -> Response:
    """A CSV download."""
    return PlainTextResponse(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": cache})


def _json_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


def _refuse(who: Principal) -> Response:
    if not who.authenticated:
        return _json_error(401, "UNAUTHENTICATED", "this report needs a bearer token of a role allowed to read it")
    return _json_error(403, "FORBIDDEN", "your role may not read this report")


def _year(raw: str | None, *, required: bool) -> int:
    if raw is None or not raw.strip():
        if required:
            raise BadInput("give the reporting year, e.g. ?year=2024")
        return datetime.now(UTC).year - 1
    try:
        year = int(raw.strip())
    except ValueError:
        raise BadInput("year must be a number such as 2024") from None
    eligibility.check_year(year)
    return year


# -- CSV -----------------------------------------------------------------------------------------

_REPORT_COLUMNS: Sequence[tuple[str, str]] = (
    ("ori", "ori"), ("agency_name", "agency"), ("state", "agency"), ("year", "year"), ("eligible", "eligible"),
    ("credential_requirement_met", "credentialRequirementMet"),
    ("submission_requirement_met", "submissionRequirementMet"),
    ("records_submitted", "recordsSubmitted"), ("submission_attested_by", "submissionAttestedBy"),
    ("nothing_to_report_attested_by", "nothingToReportAttestedBy"),
    ("qualifying_credential", "qualifyingCredential"), ("reasons", "reasons"),
)


def _eligibility_csv(who: Principal, results: Sequence[eligibility.Eligibility]) -> str:
    columns = [(name, f) for name, f in _REPORT_COLUMNS if _may(who, "GrantEligibility", f)]
    rows = []
    for r in results:
        values: dict[str, Any] = {
            "ori": r.agency.ori, "agency_name": r.agency.name, "state": r.agency.state, "year": r.year,
            "eligible": str(r.eligible).lower(), "credential_requirement_met": str(r.credential_met).lower(),
            "submission_requirement_met": str(r.submission_met).lower(), "records_submitted": r.records_submitted,
            "submission_attested_by": " ".join(a.publisher_id for a in r.attestations if a.kind == "SUBMITTED"),
            "nothing_to_report_attested_by": " ".join(a.publisher_id for a in r.attestations
                                                      if a.kind == "NOTHING_TO_REPORT"),
            "qualifying_credential": r.qualifying_credential_id or "", "reasons": "; ".join(r.reasons),
        }
        rows.append([values[name] for name, _ in columns])
    return csv_export.write([name for name, _ in columns], rows)


# -- the public page -----------------------------------------------------------------------------

class _Lookup:
    def __init__(self, ori: str, year: int, result: eligibility.Eligibility | None, error: str | None) -> None:
        self.ori, self.year, self.result, self.error = ori, year, result, error


async def _lookup(conn: asyncpg.Pool, raw_ori: str | None, raw_year: str | None) -> _Lookup | None:
    if raw_ori is None:
        return None
    ori = raw_ori.strip().upper()
    try:
        year = _year(raw_year, required=False)
    except BadInput as err:
        return _Lookup(ori, 0, None, err.message)
    if not _may(ANONYMOUS, "Query", "grantEligibility"):
        return _Lookup(ori, year, None, "eligibility lookups are not public")
    if not _ORI.match(ori):
        return _Lookup(ori, year, None, "an ORI is 9 characters: a 2-letter state and 7 letters or digits")
    agency = (await agency_store.by_oris(conn, [ori]))[0]
    if agency is None:
        return _Lookup(ori, year, None, f"no agency with ORI {ori} is registered")
    [result] = await eligibility.evaluate(conn, [agency], year)
    return _Lookup(ori, year, result, None)


def _fmt(cell: Cell | None) -> tuple[str, str]:
    """(text, css class) of one published count."""
    if cell is None:
        return "0", "zero"
    if cell.suppressed:
        return "suppressed", "suppressed"
    return f"{cell.count:,}", "count"


def _td(cell: Cell | None, tag: str = "td") -> str:
    text, cls = _fmt(cell)
    return f'<{tag} class="{cls}">{escape(text)}</{tag}>'


def _label(kind: str) -> str:
    return kind.replace("_", " ").lower().capitalize()


def _value_label(dim: int, value: Any) -> str:
    return _label(str(value)) if dim in (2, 3) else str(value)


def _crosstab(tab: statistics.Tabulation, rows_dim: int, cols_dim: int, table_id: str, caption: str) -> str:
    """One published two-way table with its row totals, column totals and grand total."""

    def key(at: dict[int, Any]) -> suppression.Key:
        return tuple(at.get(d) for d in range(len(statistics.DIMENSIONS)))

    pair = tab.table(rows_dim, cols_dim)
    row_totals, col_totals = tab.table(rows_dim), tab.table(cols_dim)
    grand = tab.table().get(key({}))
    row_values = sorted((k[rows_dim] for k in row_totals), key=_sort_value)
    col_values = sorted((k[cols_dim] for k in col_totals), key=_sort_value)
    names = ("State", "Year", "Record kind", "Reason category")
    head = "".join(f'<th scope="col">{escape(_value_label(cols_dim, c))}</th>' for c in col_values)
    body = []
    for r in row_values:
        cells = "".join(_td(pair.get(key({rows_dim: r, cols_dim: c}))) for c in col_values)
        body.append(f'<tr><th scope="row">{escape(_value_label(rows_dim, r))}</th>{cells}'
                    f"{_td(row_totals.get(key({rows_dim: r})))}</tr>")
    if not row_values:
        body.append(f'<tr><td colspan="{len(col_values) + 2}">No records are counted yet.</td></tr>')
    foot = "".join(_td(col_totals.get(key({cols_dim: c}))) for c in col_values)
    return (f'<table id="{table_id}"><caption>{escape(caption)}</caption><thead><tr>'
            f'<th scope="col">{names[rows_dim]}</th>{head}<th scope="col">Total</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody><tfoot><tr><th scope="row">Total</th>{foot}{_td(grand)}</tr></tfoot>'
            "</table>")


def _sort_value(value: Any) -> tuple[int, Any]:
    if isinstance(value, int):
        return (0, value)
    return (1, _KINDS.index(value)) if value in _KINDS else (2, str(value))


def _chart(tab: statistics.Tabulation) -> str:
    """Records by year (all states) as an inline SVG bar chart, a column for every year of the range; a
    suppressed year gets no bar, only a label, and a year with no counted record a 0."""
    by_year = {key[statistics.YEAR]: cell for key, cell in tab.table(statistics.YEAR).items()}
    years = [(year, by_year[year]) for year in tab.years]
    if not years:
        return '<p id="statistics-chart">No records are counted yet.</p>'
    width, height, pad, bar = 72 * len(years) + 40, 220, 30, 44
    top = max((c.count for _, c in years if not c.suppressed), default=1) or 1
    parts = []
    if not any(c.count and not c.suppressed for _, c in years):
        parts.append(f'<text x="30" y="{pad}" font-size="12">Every yearly count with records is below '
                     f"{tab.threshold} or could be worked out from the others, so each is suppressed.</text>")
    for i, (year_value, cell) in enumerate(years):
        x = 30 + i * 72
        year = escape(str(year_value))
        if cell.suppressed:
            parts.append(f'<g class="bar suppressed"><text x="{x + bar / 2}" y="{height - pad - 6}" '
                         f'text-anchor="middle" font-size="10">suppressed</text>')
        else:
            h = round((height - 2 * pad) * cell.count / top)
            parts.append(f'<g class="bar"><rect x="{x}" y="{height - pad - h}" width="{bar}" height="{h}" '
                         f'fill="#2f5d8a"><title>{year}: {cell.count}</title></rect>'
                         f'<text x="{x + bar / 2}" y="{height - pad - h - 4}" text-anchor="middle" '
                         f'font-size="11">{cell.count:,}</text>')
        parts.append(f'<text x="{x + bar / 2}" y="{height - pad + 14}" text-anchor="middle" '
                     f'font-size="11">{year}</text></g>')
    return (f'<svg id="statistics-chart" role="img" aria-label="Records by year, all states" '
            f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f'<line x1="20" y1="{height - pad}" x2="{width - 10}" y2="{height - pad}" stroke="#555"/>'
            f'{"".join(parts)}</svg>')


#: Years of coverage shown on the page (the CSV and the API have all of ``training_coverage.YEARS_SHOWN``).
_PAGE_YEARS = 5


def _share(row: training_coverage.Row | None) -> str:
    if row is None or (not row.active_officers and not row.suppressed):
        return '<td class="zero">no officers</td>'
    if row.share is None:
        return '<td class="suppressed">suppressed</td>'
    return (f'<td class="count" title="{row.current_training:,} of {row.active_officers:,}">'
            f"{row.share:.0%} <small>({row.current_training:,} of {row.active_officers:,})</small></td>")


def _coverage(cov: training_coverage.Coverage | None) -> str:
    if cov is None:
        return ""
    years = list(range(max(cov.first_year, cov.last_year - _PAGE_YEARS + 1), cov.last_year + 1))
    by_key = {(r.state, r.size_band, r.year): r for r in cov.rows}
    states = sorted({r.state for r in cov.rows if r.state is not None and r.year in years})
    head = "".join(f'<th scope="col">{y}</th>' for y in years)
    body = [f'<tr><th scope="row">{escape(st)}</th>{"".join(_share(by_key.get((st, None, y))) for y in years)}</tr>'
            for st in states]
    total = "".join(_share(by_key.get((None, None, y))) for y in years)
    programs = "".join(
        f"<tr><th scope=\"row\">{y}</th><td class=\"count\">{(r.co_responder_agencies if r else 0):,}</td>"
        f"<td class=\"count\">{(r.crisis_program_agencies if r else 0):,}</td></tr>"
        for y in years for r in [by_key.get((None, None, y))])
    return f"""<section id="coverage"><h2>Crisis-encounter training and crisis-response programs (Sec. 4(b))</h2>
<p>Share of officers on agencies' rosters with current crisis-intervention training, on December 31 of each year
(today for this year). Counted: {escape(cov.basis)}. Counts below {cov.threshold} are suppressed, with the same
complementary suppression as above.</p>
<table id="coverage-table"><caption>Officers with current crisis-intervention training, by state and year</caption>
<thead><tr><th scope="col">State</th>{head}</tr></thead><tbody>{"".join(body)}</tbody>
<tfoot><tr><th scope="row">All states</th>{total}</tr></tfoot></table>
<table id="programs-table"><caption>Agencies running a crisis-response program during the year (public signed
facts, not suppressed)</caption><thead><tr><th scope="col">Year</th><th scope="col">Co-responder program</th>
<th scope="col">Any crisis-response program</th></tr></thead><tbody>{programs}</tbody></table>
<p><a href="/public/training-coverage.csv">Download the coverage tables (by state, by agency size band and per
year, {cov.first_year}–{cov.last_year}) as CSV</a></p>
</section>
"""


def _eligibility(lookup: _Lookup | None) -> str:
    """The verdict, then why: the facts that decide it. For a "not eligible" verdict, a condition the agency
    does meet is no reason for it, so it is listed apart, after the reasons."""
    if lookup is None:
        return ""
    if lookup.error is not None or lookup.result is None:
        return f'<div id="eligibility-result" class="error" role="status"><p>{escape(lookup.error or "")}</p></div>'
    r = lookup.result
    shown = {f: _may(ANONYMOUS, "GrantEligibility", f) for f in ("eligible", "reasons")}
    verdict = ("eligible" if r.eligible else "not eligible") if shown["eligible"] else "not public"
    why = ""
    if shown["reasons"]:
        why = ('<p>Why:</p><ul id="eligibility-reasons">'
               f'{"".join(f"<li>{escape(x)}</li>" for x in r.reasons)}</ul>')
        if r.conditions_met and shown["eligible"]:
            why += ('<p>Met, but not enough on its own:</p><ul id="eligibility-met">'
                    f'{"".join(f"<li>{escape(x)}</li>" for x in r.conditions_met)}</ul>')
    return (f'<div id="eligibility-result" role="status" data-eligible="{str(r.eligible).lower()}">'
            f'<p class="verdict"><strong>{escape(r.agency.name)}</strong> ({escape(r.agency.ori)}), '
            f'{r.year}: <span id="eligibility-verdict">{verdict}</span></p>{why}</div>')


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1b1b1b; }
table { border-collapse: collapse; margin: 1rem 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-style: italic; padding-bottom: .3rem; }
th, td { border: 1px solid #bbb; padding: .3rem .6rem; text-align: right; }
thead th, tbody th { text-align: left; background: #f2f4f7; }
td.suppressed { color: #8a4b00; font-style: italic; }
td.zero { color: #999; }
#eligibility-result { border-left: 4px solid #2f5d8a; padding: .2rem 1rem; margin: 1rem 0; }
#eligibility-result.error { border-color: #a00; }
form label { margin-right: 1rem; }
"""


def _page(tab: statistics.Tabulation, cov: training_coverage.Coverage | None, lookup: _Lookup | None,
          params: Any) -> str:
    ori = escape(params.get("ori") or "")
    year = escape(params.get("year") or str(datetime.now(UTC).year - 1))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Officer registry: public data (EO 13929)</title><style>{_STYLE}</style></head>
<body>
<header><h1>Officer registry: public data</h1>
<p>Aggregated, anonymized counts under Executive Order 13929 Sec. 3(c). Counted: {escape(tab.basis)}.
Counts below {tab.threshold} are shown as <em>suppressed</em>, and so are enough other counts that no
suppressed count can be worked out from the totals. Every year from the first to the last with a counted
record has a column; a 0 means no record of that year is counted.
Generated {escape(tab.generated_at.isoformat(timespec="seconds"))}.
</p></header>
<main>
<section id="statistics"><h2>Records by state and year</h2>
{_crosstab(tab, 0, 1, "statistics-table", "Records by state and year of the action (all kinds and reasons)")}
<h2>Records by kind and year</h2>
{_crosstab(tab, 2, 1, "statistics-kinds", "Records by kind and year of the action (all states and reasons)")}
<p><a href="/public/statistics.csv">Download every published count (all one- and two-way tables by state,
year, record kind and reason category, and the grand total) as CSV</a></p>
<h2>Records by year, all states</h2>
{_chart(tab)}
</section>
{_coverage(cov)}<section id="eligibility"><h2>Agency grant eligibility (Sec. 2(b) and 3(d))</h2>
<form id="eligibility-form" method="get" action="/public">
<label>Agency ORI <input name="ori" value="{ori}" required pattern="[A-Za-z]{{2}}[A-Za-z0-9]{{7}}" size="10"></label>
<label>Year <input name="year" type="number" min="1900" max="9999" value="{year}"></label>
<button type="submit">Look up</button></form>
{_eligibility(lookup)}
</section>
</main></body></html>
"""
