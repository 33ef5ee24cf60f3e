"""The public statistics (EO 13929 Sec. 3(c)): counts by state, year, record kind and reason category —
every one- and two-way table and the grand total — after small-cell and complementary suppression
(``reporting.suppression``), over one consistent product so that no two answers can be differenced.

Years are a range, not a list of whatever years have records: every year from the first to the last with a
counted record has its cell in the table by year, 0 when no record of that year is counted. A 0 is published
as 0, as ``reporting.suppression`` treats it (primary suppression hides counts from 1 to threshold - 1, and a
reader already knows that a combination not listed is 0), so listing it discloses nothing; the other tables
still leave their zero combinations out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from reporting import csv_export, suppression
from store import statistics as store

DIMENSIONS = ("state", "year", "record_kind", "reason_category")
#: What is published: the grand total, the four one-way and the six two-way tables. Nothing finer: a
#: four-way cell is almost always small, and publishing them would only force more suppression.
MAX_BREAKDOWN = 2
LEVELS = suppression.levels_up_to(len(DIMENSIONS), MAX_BREAKDOWN)
ALL = "ALL"
SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Tabulation:
    basis: str
    threshold: int
    generated_at: datetime
    cells: list[suppression.Cell]

    def table(self, *dims: int) -> dict[suppression.Key, suppression.Cell]:
        """The cells broken down by exactly these dimensions (indexes into DIMENSIONS), others summed."""
        wanted = set(dims)
        return {c.key: c for c in self.cells if {i for i, v in enumerate(c.key) if v is not None} == wanted}

    @property
    def years(self) -> list[int]:
        """Every year of the range, oldest first (empty when nothing is counted)."""
        return sorted(key[YEAR] for key in self.table(YEAR))


YEAR = DIMENSIONS.index("year")


async def tabulate(conn: asyncpg.Connection | asyncpg.Pool, threshold: int) -> Tabulation:
    counts = await store.final_attested_counts(conn)
    # pure CPU work (well under a second for national volumes): off the event loop
    cells = await asyncio.to_thread(suppression.suppress, counts, len(DIMENSIONS), threshold, LEVELS)
    return Tabulation(store.BASIS, threshold, datetime.now(UTC), every_year(cells))


def every_year(cells: dict[suppression.Key, suppression.Cell]) -> list[suppression.Cell]:
    """The published cells, with a 0 for each year of the range that has no counted record (never suppressed:
    see the module docstring), in the published order."""
    years = [key[YEAR] for key in cells if key[YEAR] is not None]
    out = dict(cells)
    if years:
        for year in range(min(years), max(years) + 1):
            key = tuple(year if d == YEAR else None for d in range(len(DIMENSIONS)))
            out.setdefault(key, suppression.Cell(key, 0, suppressed=False))
    return [out[key] for key in sorted(out, key=suppression.sort_key)]


def to_csv(tab: Tabulation) -> str:
    """One row per published cell; ``ALL`` marks a total over a dimension, ``suppressed`` a hidden count."""
    rows = ([ALL if v is None else v for v in cell.key] + [SUPPRESSED if cell.suppressed else cell.count]
            for cell in tab.cells)
    return csv_export.write([*DIMENSIONS, "count"], rows)
