"""Crisis-encounter training coverage and crisis-response programs (EO 13929 Sec. 4(b)), as public,
aggregated tables under the same disclosure control as the Sec. 3(c) statistics, and one agency's own
coverage for the agency, its credentialing bodies and auditors.

**Unit.** An officer on an agency's roster on the year's reference day (December 31, or today for the
current year): employed there that day. An officer employed by two agencies counts at each. Due process: an
employment that ended with a separation reason that reports misconduct (terminated, resigned or retired under
investigation) still counts until the matching record is FINAL with fair process attested, exactly as such an
end is hidden from readers of the employment (``auth.derived``); so no count moves because of a pending matter.
**Current training**: a ``CRISIS_INTERVENTION_TRAINING`` certification current that day
(``publishing.training``: ACTIVE, issued, not expired, refresher not overdue).
**Size band** of an agency: how many officers were on its roster that day.

Coverage is published by state and year and by size band and year (and per year), as counts of officers
with and without current training; primary and complementary suppression (``reporting.suppression``) hide
every count below the threshold, every count summing fewer than ``MIN_AGENCIES`` agencies (an agency's own
figures are not public), and every count that could be worked out from the others. A share is shown
only where both its counts are published. Program counts (agencies running a program during the year) are
not suppressed: each program is itself a public, signed fact about a public agency.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg

from auth import derived
from registry.errors import BadInput
from reporting import csv_export, suppression
from store import programs as program_store
from store import training as store

CRISIS_ENCOUNTER_KINDS = ("CRISIS_INTERVENTION_TRAINING",)
CO_RESPONDER = "CO_RESPONDER"
#: Employment ends that count only once their record is settled (``auth.derived``, due process).
HIDDEN_ENDS = tuple((reason, kind) for reason, kinds in sorted(derived.SEPARATION_REVEALS.items())
                    for kind in sorted(kinds))
#: Agency size bands (officers on the roster on the reference day), as in BJS's LEMAS tables.
SIZE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (1, 9, "1-9"), (10, 49, "10-49"), (50, 99, "50-99"), (100, 499, "100-499"), (500, None, "500+"))
NO_OFFICERS = "0"
#: A published count sums at least this many agencies: with fewer, an agency could subtract its own figures
#: from the cell and learn another's, which only that agency, its credentialing bodies and auditors may read.
MIN_AGENCIES = 3
#: How many years the public tables cover, ending with the current one.
YEARS_SHOWN = 10
DIMENSIONS = ("state", "size_band", "year", "training")
CURRENT, NOT_CURRENT = "CURRENT", "NOT_CURRENT"
_S, _B, _Y, _T = range(4)
#: Published: per year, by state and year, by size band and year; each as a total and split by training.
LEVELS = [frozenset(s) for s in ({_Y}, {_Y, _T}, {_S, _Y}, {_S, _Y, _T}, {_B, _Y}, {_B, _Y, _T})]
BASIS = ("officers employed by an agency on the year's reference day (December 31, or today for the current "
         "year); current training: a CRISIS_INTERVENTION_TRAINING certification that was ACTIVE, issued, not "
         "expired and not past its refresher interval that day")


def size_band(officers: int) -> str:
    for low, high, name in SIZE_BANDS:
        if officers >= low and (high is None or officers <= high):
            return name
    return NO_OFFICERS


def reference_day(year: int, today: date) -> date:
    if year > today.year:
        raise BadInput(f"{year} has not begun: coverage is counted for past years and this one")
    return min(date(year, 12, 31), today)


@dataclass(frozen=True, slots=True)
class Row:
    """One published line: ``state`` or ``size_band`` None means all of them."""

    state: str | None
    size_band: str | None
    year: int
    active_officers: int | None        # None: suppressed
    current_training: int | None       # None: suppressed
    co_responder_agencies: int
    crisis_program_agencies: int

    @property
    def suppressed(self) -> bool:
        return self.active_officers is None or self.current_training is None

    @property
    def share(self) -> float | None:
        if self.suppressed or not self.active_officers:
            return None
        assert self.current_training is not None
        return self.current_training / self.active_officers


@dataclass(frozen=True)
class Coverage:
    basis: str
    threshold: int
    generated_at: datetime
    first_year: int
    last_year: int
    rows: list[Row]


async def tabulate(conn: asyncpg.Connection | asyncpg.Pool, threshold: int, *, today: date | None = None) -> Coverage:
    today = today or datetime.now(UTC).date()
    last = today.year
    first = last - YEARS_SHOWN + 1
    days = {y: reference_day(y, today) for y in range(first, last + 1)}
    by_day = {d: y for y, d in days.items()}
    agency_days = await store.agency_days(conn, list(days.values()), CRISIS_ENCOUNTER_KINDS, HIDDEN_ENDS)
    leaves: dict[suppression.Key, int] = defaultdict(int)
    bands: dict[tuple[int, str], str] = {}
    contributors: dict[suppression.Key, set[str]] = defaultdict(set)
    for a in agency_days:
        a_year, a_band = by_day[a.day], size_band(a.active)
        bands[(a_year, a.agency_ori)] = a_band
        for training, n in ((CURRENT, a.current), (NOT_CURRENT, a.active - a.current)):
            leaf = (a.state, a_band, a_year, training)
            leaves[leaf] += n
            if n:
                for level in LEVELS:
                    contributors[tuple(v if d in level else None for d, v in enumerate(leaf))].add(a.agency_ori)
    few = [key for key, oris in contributors.items() if len(oris) < MIN_AGENCIES]
    cells = await asyncio.to_thread(suppression.suppress, dict(leaves), len(DIMENSIONS), threshold, LEVELS, few)
    programs: dict[tuple[str | None, str | None, int], tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for p_year, ori, p_state, kind in await store.programs_by_year(conn, first, last):
        keyed: tuple[tuple[str | None, str | None, int], ...] = (
            (p_state, None, p_year), (None, bands.get((p_year, ori), NO_OFFICERS), p_year), (None, None, p_year))
        for key in keyed:
            co, anyp = programs[key]
            anyp.add(ori)
            if kind == CO_RESPONDER:
                co.add(ori)
    keys = {(c.key[_S], c.key[_B], c.key[_Y]) for c in cells.values()} | set(programs)
    rows = []
    for state, band, year in keys:
        total = cells.get((state, band, year, None))
        current = cells.get((state, band, year, CURRENT))
        active = None if total is None else total.published
        # an unlisted CURRENT cell is a published 0 (zeros are not listed); hidden only if the total is
        n_current = (0 if active is not None else None) if current is None else current.published
        co, anyp = programs.get((state, band, year), (set(), set()))
        rows.append(Row(state, band, year, 0 if total is None else active, 0 if total is None else n_current,
                        len(co), len(anyp)))
    rows.sort(key=lambda r: (r.year, r.state is not None, r.state or "", r.size_band is not None,
                             _band_order(r.size_band)))
    return Coverage(BASIS, threshold, datetime.now(UTC), first, last, rows)


def _band_order(band: str | None) -> int:
    names = [NO_OFFICERS, *(b[2] for b in SIZE_BANDS)]
    return names.index(band) if band in names else -1


COLUMNS = ("state", "size_band", "year", "active_officers", "current_crisis_training", "share_current",
           "agencies_with_co_responder_program", "agencies_with_crisis_program")


def to_csv(cov: Coverage) -> str:
    """One row per published line; ``ALL`` marks a total over a dimension, ``suppressed`` a hidden count."""
    def show(v: int | None) -> int | str:
        return "suppressed" if v is None else v

    return csv_export.write(COLUMNS, (
        [r.state or "ALL", r.size_band or "ALL", r.year, show(r.active_officers), show(r.current_training),
         "" if r.share is None else f"{r.share:.4f}", r.co_responder_agencies, r.crisis_program_agencies]
        for r in cov.rows))


@dataclass(frozen=True)
class AgencyCoverage:
    """One agency's own coverage on a day, unsuppressed: for the agency, its credentialing bodies, auditors."""

    agency_ori: str
    day: date
    active_officers: int
    current_training: int
    programs: list[program_store.ProgramRow]

    @property
    def size_band(self) -> str:
        return size_band(self.active_officers)

    @property
    def share(self) -> float | None:
        return self.current_training / self.active_officers if self.active_officers else None

    @property
    def reason(self) -> str:
        """Informational (EO 13929 Sec. 4 makes neither training nor programs a condition of any grant)."""
        if not self.active_officers:
            trained = f"no officer was on the agency's roster on {self.day.isoformat()}"
        else:
            assert self.share is not None
            trained = (f"on {self.day.isoformat()}, {self.current_training} of {self.active_officers} officers on "
                       f"its roster ({self.share:.0%}) had current crisis-intervention training")
        return f"{trained} (informational, EO 13929 Sec. 4(b); not a condition of eligibility)"


async def agency_coverage(conn: asyncpg.Connection | asyncpg.Pool, ori: str, day: date) -> AgencyCoverage:
    found = await store.agency_days(conn, [day], CRISIS_ENCOUNTER_KINDS, HIDDEN_ENDS, [ori])
    [programs] = await program_store.by_agency_oris(conn, [ori])
    running = [p for p in programs if p.runs_during(day, day)]
    active = found[0].active if found else 0
    current = found[0].current if found else 0
    return AgencyCoverage(ori, day, active, current, running)


def program_reason(p: program_store.ProgramRow, year: int) -> str:
    """A public, informational line about a program that ran during ``year``."""
    kind = p.kind.replace("_", " ").lower()
    partner = "" if p.partner_type == "NONE" else f" with {p.partner_type.replace('_', ' ').lower()}s"
    until = "" if p.end_date is None else f" until {p.end_date.isoformat()}"
    return (f"ran a {kind} program{partner} during {year} (from {p.start_date.isoformat()}{until}; informational, "
            "EO 13929 Sec. 4(b), not a condition of eligibility)")
