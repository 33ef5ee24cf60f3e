"""The public statistics (EO 13929 Sec. 3(c)): counts by state, year, record kind and reason category —
every one- and two-way table and the grand total — after small-cell and complementary suppression
(``reporting.suppression``), over one consistent product so that no two answers can be differenced."""

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


async def tabulate(conn: asyncpg.Connection | asyncpg.Pool, threshold: int) -> Tabulation:
    counts = await store.final_attested_counts(conn)
    # pure CPU work (well under a second for national volumes): off the event loop
    cells = await asyncio.to_thread(suppression.suppress, counts, len(DIMENSIONS), threshold, LEVELS)
    return Tabulation(store.BASIS, threshold, datetime.now(UTC), list(cells.values()))


def to_csv(tab: Tabulation) -> str:
    """One row per published cell; ``ALL`` marks a total over a dimension, ``suppressed`` a hidden count."""
    rows = ([ALL if v is None else v for v in cell.key] + [SUPPRESSED if cell.suppressed else cell.count]
            for cell in tab.cells)
    return csv_export.write([*DIMENSIONS, "count"], rows)
