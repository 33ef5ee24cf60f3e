"""Small-cell suppression for the public statistics (EO 13929 Sec. 3(c)), with complementary suppression.

The published product is a set of count tables over ``D`` dimensions: one table per *level* (a subset
of the dimensions, the others summed over; a key holds ``None`` for a summed-over dimension). The levels
used for the registry are every one- and two-way breakdown and the grand total; nothing finer is
published, so no cell is about fewer dimensions' worth of people than a two-way table. Zero cells are not
listed: a reader knows an unlisted combination is 0.

1. **Primary suppression**: every published cell (any level, totals included) with ``0 < count < threshold``,
   and any cell the caller names for another reason (``also``).
2. **Complementary suppression, by lines**: a *line* is a published total together with the published cells
   that add up to it along one dimension (e.g. CA-all-years with CA-2021, CA-2022, ...). A line with
   exactly one suppressed member would give it away by subtraction, so the smallest other non-zero member
   of that line is suppressed too (ties: finer cells before totals, then key order). Repeated over every
   line until no line has exactly one suppressed member.
3. **Exact audit**: tables also constrain each other (a year total is the sum of a state-by-year column and
   of a kind-by-year column), and lines can be combined. The unknowns are the underlying detail counts
   (one per non-zero combination of all ``D`` values; the attacker is even granted knowledge of which are
   zero); every published cell is a linear equation in them. A suppressed cell is *disclosed* when its
   value follows from those equations: its vector lies in their row space (exact rational Gaussian
   elimination). For a disclosed cell we suppress one more cell (the smallest published member of its
   lines, or failing that the smallest published cell that shares a detail count with it) and go back to
   step 2. Suppression only grows, so this ends.

Guarantee: no suppressed cell's value is determined by the published counts through any linear
combination of them. Not guaranteed (as with any simple method): protection *intervals* — a reader who
knows the threshold may still bound a suppressed value (e.g. between 1 and ``threshold - 1``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Cell:
    key: Key
    count: int
    suppressed: bool

    @property
    def published(self) -> int | None:
        """What a reader is told: the count, or None when suppressed."""
        return None if self.suppressed else self.count


def _order(key: Key) -> tuple[Any, ...]:
    return tuple((0, "") if v is None else (1, str(v)) for v in key)


def levels_up_to(dims: int, most: int) -> list[frozenset[int]]:
    """Every breakdown by at most ``most`` of the ``dims`` dimensions (the empty one is the grand total)."""
    return [frozenset(c) for n in range(min(most, dims) + 1) for c in combinations(range(dims), n)]


def with_margins(leaves: Mapping[Key, int], dims: int, levels: Collection[frozenset[int]] | None = None
                 ) -> dict[Key, int]:
    """The published cells of each level (default: all, down to the detail); zeros dropped."""
    chosen = levels_up_to(dims, dims) if levels is None else list(levels)
    cells: dict[Key, int] = defaultdict(int)
    for key, n in leaves.items():
        if len(key) != dims or any(v is None for v in key):
            raise ValueError(f"detail key {key!r} must name a value in each of the {dims} dimensions")
        if n < 0:
            raise ValueError("counts are never negative")
        if n == 0:
            continue
        for level in chosen:
            cells[tuple(v if d in level else None for d, v in enumerate(key))] += n
    return dict(cells)


def _level(key: Key) -> frozenset[int]:
    return frozenset(d for d, v in enumerate(key) if v is not None)


def lines(cells: Iterable[Key]) -> list[tuple[Key, list[Key]]]:
    """Every (published total, published cells that add up to it along one dimension), in a stable order."""
    present = set(cells)
    levels = {_level(k) for k in present}
    grouped: dict[tuple[Key, int], list[Key]] = defaultdict(list)
    for key in present:
        level = _level(key)
        for d in level:
            if level - {d} in levels:
                grouped[((*key[:d], None, *key[d + 1:]), d)].append(key)
    return [(total, sorted(members, key=_order))
            for (total, _d), members in sorted(grouped.items(), key=lambda kv: (_order(kv[0][0]), kv[0][1]))
            if total in present]


def suppress(leaves: Mapping[Key, int], dims: int, threshold: int,
             levels: Collection[frozenset[int]] | None = None, also: Collection[Key] = ()) -> dict[Key, Cell]:
    """The published tables (``levels``, default every level down to the detail) with primary and
    complementary suppression; ``leaves`` are the detail counts over all ``dims`` dimensions. ``also``: cells
    to suppress whatever their count (another primary rule, e.g. too few contributing organisations)."""
    if threshold < 1:
        raise ValueError("the suppression threshold is at least 1 (1 suppresses nothing)")
    counts = with_margins(leaves, dims, levels)
    hidden = {k for k, n in counts.items() if n < threshold} | (set(also) & counts.keys())
    all_lines = lines(counts)
    by_cell: dict[Key, list[int]] = defaultdict(list)
    for i, (total, members) in enumerate(all_lines):
        for k in (total, *members):
            by_cell[k].append(i)
    audit = _Audit(all_lines)
    while True:
        _close_lines(counts, all_lines, hidden)
        exposed = audit.disclosed(hidden)
        if not exposed:
            break
        hidden.add(_complement(counts, hidden, exposed[0], all_lines, by_cell, audit))
    return {k: Cell(k, n, k in hidden) for k, n in sorted(counts.items(), key=lambda kv: _order(kv[0]))}


def _pick(counts: Mapping[Key, int], candidates: Iterable[Key]) -> Key | None:
    """The smallest cell, detail before totals on a tie (fewer "all"s first), then key order."""
    best = sorted(candidates, key=lambda k: (counts[k], sum(v is None for v in k), _order(k)))
    return best[0] if best else None


def _close_lines(counts: Mapping[Key, int], all_lines: Sequence[tuple[Key, list[Key]]], hidden: set[Key]) -> None:
    changed = True
    while changed:
        changed = False
        for total, members in all_lines:
            line = (total, *members)
            if sum(k in hidden for k in line) == 1:
                pick = _pick(counts, (k for k in line if k not in hidden))
                assert pick is not None, "a line with one suppressed cell always has another non-zero cell"
                hidden.add(pick)
                changed = True


def _complement(counts: Mapping[Key, int], hidden: set[Key], cell: Key, all_lines: Sequence[tuple[Key, list[Key]]],
                by_cell: Mapping[Key, list[int]], audit: _Audit) -> Key:
    """One more cell to suppress so that ``cell`` is no longer disclosed."""
    near = {k for i in by_cell.get(cell, ()) for k in (all_lines[i][0], *all_lines[i][1]) if k not in hidden}
    pick = _pick(counts, near)
    if pick is None:
        pick = _pick(counts, audit.shares(cell, hidden))
    if pick is None:  # pragma: no cover - a disclosed cell is always linked to some published cell
        raise AssertionError(f"cannot protect {cell!r}")
    return pick


class _Audit:
    """Which suppressed cells the published ones determine through the additive relations among the
    tables: every line says total - sum(members) = 0. Unknowns are the suppressed cells."""

    def __init__(self, all_lines: Sequence[tuple[Key, list[Key]]]) -> None:
        self.lines = all_lines

    def disclosed(self, hidden: set[Key]) -> list[Key]:
        """Suppressed cells whose value follows exactly from the published cells, in a stable order."""
        unknown = sorted(hidden, key=_order)
        column = {k: i for i, k in enumerate(unknown)}
        basis = _Basis()
        for total, members in self.lines:
            row: dict[int, Fraction] = {}
            if total in column:
                row[column[total]] = Fraction(1)
            for m in members:
                if m in column:
                    row[column[m]] = Fraction(-1)
            if row:
                basis.add(row)
        return [k for k in unknown if basis.spans({column[k]: Fraction(1)})]

    def shares(self, cell: Key, hidden: set[Key]) -> set[Key]:
        """The nearest published cells to ``cell`` along lines through suppressed cells (breadth-first)."""
        seen, frontier = {cell}, {cell}
        while frontier:
            touching = [(t, *ms) for t, ms in self.lines if not frontier.isdisjoint((t, *ms))]
            published = {k for line in touching for k in line if k not in hidden}
            if published:
                return published
            frontier = {k for line in touching for k in line} - seen
            seen |= frontier
        return set()


class _Basis:
    """Rows in reduced row-echelon form over the rationals (sparse: column -> coefficient)."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, Fraction]] = {}  # pivot column -> row with 1 there, 0 at other pivots

    def _reduce(self, row: Mapping[int, Fraction]) -> dict[int, Fraction]:
        out = dict(row)
        for col in [c for c in out if c in self.rows]:
            factor = out.get(col)
            if not factor:
                continue
            for c, v in self.rows[col].items():
                nv = out.get(c, Fraction(0)) - factor * v
                if nv:
                    out[c] = nv
                else:
                    out.pop(c, None)
        return out

    def add(self, row: Mapping[int, Fraction]) -> None:
        reduced = self._reduce(row)
        if not reduced:
            return
        pivot = min(reduced)
        scale = reduced[pivot]
        new = {c: v / scale for c, v in reduced.items()}
        for p, other in self.rows.items():
            factor = other.get(pivot)
            if factor:
                for c, v in new.items():
                    nv = other.get(c, Fraction(0)) - factor * v
                    if nv:
                        other[c] = nv
                    else:
                        other.pop(c, None)
            assert other.get(p) == 1
        self.rows[pivot] = new

    def spans(self, row: Mapping[int, Fraction]) -> bool:
        return not self._reduce(row)


def sort_key(key: Key) -> tuple[Hashable, ...]:
    """Stable display order: totals ("all") first in each dimension, then values."""
    return _order(key)
