"""Discretionary-grant eligibility (EO 13929 Sec. 2(b) and 3(d)), computed from the registry's data.

For an agency and a reporting period (a calendar year) both must hold:

1. **Credential**: on at least one day of the period the agency had a credential that was APPLIED,
   IN_PROCESS or GRANTED (and not past its expiry) from a credentialing body that the Attorney General
   had certified *on that same day* ("sought or holds a credential from a body certified at that time").
2. **Submission of its Sec. 3(b) information**: a signed annual statement for the period by the agency's own
   publisher or its state's POST board, ``reporting.submitted`` or ``reporting.nothing_to_report``. Records
   naming the agency do not count on their own (some are still in due process; see ``evaluate``).

Each result gives its reasons in words, and they are the facts that decide the verdict, never the verdict
itself: for an eligible agency, the credential and the statement that meet the two conditions; for an agency
that is not eligible, each condition it does not meet, with the fact that decides it (no credential at all; a
credential that had ended, or had not begun, by then; a body the Attorney General had not certified at that
time; no signed statement for the year). A condition that *is* met in a "not eligible" verdict is no reason for
it: it is stated apart, in ``conditions_met``. Crisis-response programs that ran during the year (EO 13929 Sec.
4(b)) are listed as informational reasons: the EO makes them no condition, and they change no verdict.
Reasons are public, so they never say *how* the information was submitted (records or attestation) nor how
many records there were: that would disclose the existence of records still in due process. Those details
are auditor-only fields (``auth.policy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import asyncpg

from publishing.accreditation import ACTIVE_CREDENTIAL, Period, certified_periods, credential_periods
from registry.errors import BadInput
from reporting import training_coverage
from store import accreditation as store
from store import programs as program_store
from store import publishers
from store.accreditation import AttestationRow, CredentialRow
from store.models import AgencyRow, row_to
from store.programs import ProgramRow

FIRST_YEAR, LAST_YEAR = 1900, 9999
_RANK = {"GRANTED": 0, "IN_PROCESS": 1, "APPLIED": 2}
_WORDS = {"GRANTED": "held a GRANTED credential", "IN_PROCESS": "was in the process of obtaining a credential",
          "APPLIED": "had applied for a credential"}
_STATUS_WORDS = {"GRANTED": "granted", "IN_PROCESS": "in process", "APPLIED": "applied for", "EXPIRED": "expired",
                 "REVOKED": "revoked"}


@dataclass(frozen=True)
class Eligibility:
    agency: AgencyRow
    year: int
    credential_met: bool
    submission_met: bool
    #: the facts that decide the verdict: both conditions' when eligible, else each unmet condition's
    reasons: list[str]
    qualifying_credential_id: str | None = None
    records_submitted: int = 0
    attestations: list[AttestationRow] = field(default_factory=list)
    #: crisis-response programs running during the year (EO 13929 Sec. 4(b)): informational, never a condition
    programs: list[ProgramRow] = field(default_factory=list)
    #: when not eligible: the conditions that were met all the same (no reason for the verdict, so apart)
    conditions_met: list[str] = field(default_factory=list)

    @property
    def informational_reasons(self) -> list[str]:
        return [training_coverage.program_reason(p, self.year) for p in self.programs]

    @property
    def eligible(self) -> bool:
        return self.credential_met and self.submission_met

    @property
    def period_start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def period_end(self) -> date:
        return date(self.year, 12, 31)


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadInput(f"year must be a calendar year between {FIRST_YEAR} and {LAST_YEAR}")


async def agencies_in(conn: asyncpg.Connection | asyncpg.Pool, state: str | None) -> list[AgencyRow]:
    rows = await conn.fetch(
        "SELECT ori, name, state, level::text AS level FROM agencies WHERE ($1::text IS NULL OR state = $1)"
        " ORDER BY ori",
        state,
    )
    return [row_to(AgencyRow, r) for r in rows]


async def evaluate(conn: asyncpg.Connection | asyncpg.Pool, agencies: Sequence[AgencyRow], year: int,
                   *, all_agencies: bool = False) -> list[Eligibility]:
    """Eligibility of each agency for the calendar year, from a handful of queries whatever the count."""
    check_year(year)
    start, end = date(year, 1, 1), date(year, 12, 31)
    oris = [a.ori for a in agencies]
    scope = None if all_agencies else oris
    creds = await store.credentials_by_agency_oris(conn, oris)
    flat = [c for cs in creds for c in cs]
    history = dict(zip([c.id for c in flat], await store.history_by_credential_ids(conn, [c.id for c in flat]),
                       strict=True))
    body_ids = sorted({c.body_id for c in flat})
    decisions = dict(zip(body_ids, await store.decisions_by_body_ids(conn, body_ids), strict=True))
    names = {b.id: b.name for b in await publishers.by_ids(conn, body_ids) if b is not None}
    submitted = await store.records_submitted(conn, scope, start, end)
    attested = await store.attestations(conn, scope, year)
    programs = await program_store.by_agency_oris(conn, oris)
    out = []
    for agency, agency_creds, agency_programs in zip(agencies, creds, programs, strict=True):
        cred_met, cred_id, cred_reasons = _credential(agency_creds, history, decisions, names, year)
        n, atts = submitted.get(agency.ori, 0), attested.get(agency.ori, [])
        # The signed annual statement alone decides: whether records exist (some still in due process) must
        # never move this public answer. ``n`` is for auditors, who compare it with the statement.
        sub_met = bool(atts)
        sub_reason = (f"submitted its Sec. 3(b) information for {year}: a signed annual statement for {year} by the "
                      "agency or its state's POST board is on file" if sub_met else
                      f"has not submitted its Sec. 3(b) information for {year}: neither the agency nor its state's "
                      f"POST board has signed a statement for {year} (that the information is submitted, or that "
                      "there was nothing to report)")
        conditions = [(cred_met, cred_reasons), (sub_met, [sub_reason])]
        eligible = cred_met and sub_met
        reasons = [r for met, rs in conditions if met == eligible for r in rs]
        met = [] if eligible else [r for ok, rs in conditions if ok for r in rs]
        running = [p for p in agency_programs if p.runs_during(start, end)]
        out.append(Eligibility(agency, year, cred_met, sub_met, reasons, cred_id, n, atts, running, met))
    return out


def _credential(creds: Sequence[CredentialRow], history: dict[str, list[store.CredentialChangeRow]],
                decisions: dict[str, list[store.BodyDecisionRow]], names: dict[str, str],
                year: int) -> tuple[bool, str | None, list[str]]:
    """Whether the credential condition is met, the qualifying credential, and the deciding facts: the best
    qualifying credential when met, else what keeps each credential from qualifying."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    if not creds:
        return False, None, [f"no credential: no credentialing body has published a credential for the agency, "
                             f"so it neither sought nor held one during {year}"]
    best: tuple[int, date, CredentialRow, str, str] | None = None
    misses = []
    for cred in creds:
        body = f"{names.get(cred.body_id, cred.body_id)} ({cred.body_id})"
        changes = history.get(cred.id, [])
        active = [(p, ov) for p in credential_periods(changes) if (ov := p.overlap(start, end)) is not None]
        if not active:
            misses.append(_inactive(body, changes, year))
            continue
        found = False
        body_periods = certified_periods(decisions.get(cred.body_id, []))
        for p, (lo, hi) in active:
            for cert in body_periods:
                both = cert.overlap(lo, hi)
                if both is None:
                    continue
                found = True
                cand = (_RANK[p.status], both[0], cred, body, cert.standards_version)
                if best is None or cand[:2] < best[:2]:
                    best = cand
        if not found:
            status = min((p.status for p, _ in active), key=_RANK.__getitem__)
            misses.append(f"its credential from {body} was {_STATUS_WORDS[status]} during {year}, but {body} was not "
                          "certified by the Attorney General at that time ("
                          f"{_uncertified(body_periods, decisions.get(cred.body_id, []), active)})")
    if best is None:
        return False, None, misses
    rank, day, cred, body, version = best
    status = next(s for s, r in _RANK.items() if r == rank)
    return True, cred.id, [f"{_WORDS[status]} from {body} on {day.isoformat()}, when the Attorney General had "
                           f"certified {body} (standards {version})"]


def _inactive(body: str, changes: Sequence[store.CredentialChangeRow], year: int) -> str:
    """Why a credential was neither applied for, in process nor granted on any day of ``year``."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    before = [c for c in changes if c.status_date <= start]
    if not before and changes and changes[0].status_date > end:
        first = changes[0]
        return (f"its credential from {body} was not applied for, in process or granted during {year}: it dates "
                f"from {first.status_date.isoformat()} ({_STATUS_WORDS.get(first.status, first.status)}), after "
                f"{year}")
    if before:
        last = before[-1]
        if last.status == "GRANTED" and last.expires_on is not None and last.expires_on < start:
            return (f"its credential from {body} was not applied for, in process or granted during {year}: it "
                    f"expired on {last.expires_on.isoformat()} and was not renewed")
        if last.status not in ACTIVE_CREDENTIAL:
            return (f"its credential from {body} was not applied for, in process or granted during {year}: it was "
                    f"{_STATUS_WORDS.get(last.status, last.status)} on {last.status_date.isoformat()}")
    return f"its credential from {body} was not applied for, in process or granted on any day of {year}"


def _uncertified(body_periods: Sequence[Period], decisions: Sequence[store.BodyDecisionRow],
                 active: Sequence[tuple[Period, tuple[date, date | None]]]) -> str:
    """The Attorney General's decision that left the body uncertified while the credential was active."""
    lo = min(ov[0] for _, ov in active)
    ended = [p for p in body_periods if p.end is not None and p.end < lo]
    if ended:
        until = ended[-1].end
        assert until is not None
        after = next((d for d in decisions if d.effective_on > until), None)
        if after is not None and after.status != "CERTIFIED":
            return (f"its certification ended on {until.isoformat()}: {after.status.lower()} by the Attorney "
                    f"General effective {after.effective_on.isoformat()}")
        if after is not None:
            return (f"its certification ran out on {until.isoformat()} and was renewed only from "
                    f"{after.effective_on.isoformat()}")
        return f"its certification ran out on {until.isoformat()}"
    later = [p for p in body_periods if p.start > lo]
    if later:
        return f"it was first certified on {later[0].start.isoformat()}"
    return "it has never been certified"
