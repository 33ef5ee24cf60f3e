"""Small-cell and complementary suppression: no suppressed count can be recovered from what is published.

Independent attackers read only the published tables: one subtracts along every total, over and over
(the "peeling" attack by hand); another combines all the additive relations exactly (dense rational
ranks, written here separately from the implementation's sparse elimination); when the detail level is
published, a third solves for the detail counts from every published total.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from itertools import product
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reporting.suppression import Cell, levels_up_to, suppress

Key = tuple[Any, ...]


def published(cells: dict[Key, Cell]) -> dict[Key, int | None]:
    return {k: c.published for k, c in cells.items()}


def peel(table: dict[Key, int | None]) -> dict[Key, int]:
    """Recover what subtraction along totals gives: any total with exactly one unknown among it and its parts.
    Unlisted combinations are known to be 0."""
    known = {k: v for k, v in table.items() if v is not None}
    unknown = {k for k, v in table.items() if v is None}
    lines: dict[tuple[Key, int], list[Key]] = defaultdict(list)
    for key in table:
        for d, v in enumerate(key):
            if v is not None:
                lines[((*key[:d], None, *key[d + 1:]), d)].append(key)
    recovered: dict[Key, int] = {}
    progress = True
    while progress:
        progress = False
        for (total, _d), parts in lines.items():
            missing = [k for k in (total, *parts) if k in unknown and k not in recovered]
            if len(missing) != 1 or total not in table:
                continue
            value = {**known, **recovered}
            [m] = missing
            if m == total:
                recovered[m] = sum(value[p] for p in parts)
            else:
                recovered[m] = value[total] - sum(value[p] for p in parts if p != m)
            progress = True
    return recovered


def _echelon(rows: list[list[Fraction]]) -> list[tuple[int, list[Fraction]]]:
    """Dense row-echelon form: (pivot column, row normalised to 1 there), pivots increasing."""
    m = [r[:] for r in rows]
    out: list[tuple[int, list[Fraction]]] = []
    cols = len(m[0]) if m else 0
    for c in range(cols):
        pivot = next((r for r in m if r[c] != 0), None)
        if pivot is None:
            continue
        m.remove(pivot)
        pivot = [v / pivot[c] for v in pivot]
        m = [[a - r[c] * b for a, b in zip(r, pivot, strict=True)] if r[c] != 0 else r for r in m]
        out.append((c, pivot))
    return out


def _in_span(vec: list[Fraction], echelon: list[tuple[int, list[Fraction]]]) -> bool:
    v = vec[:]
    for c, row in echelon:
        if v[c] != 0:
            f = v[c]
            v = [a - f * b for a, b in zip(v, row, strict=True)]
    return not any(v)


def _lines(table: dict[Key, int | None]) -> list[list[tuple[Key, int]]]:
    """Each published total and its published parts along one dimension, as (cell, sign) terms."""
    parts: dict[tuple[Key, int], list[Key]] = defaultdict(list)
    for key in table:
        for d, v in enumerate(key):
            if v is not None:
                parts[((*key[:d], None, *key[d + 1:]), d)].append(key)
    return [[(total, 1)] + [(p, -1) for p in members] for (total, _d), members in parts.items() if total in table]


def determined(table: dict[Key, int | None]) -> list[Key]:
    """Suppressed cells that any linear combination of the tables' additive relations pins down
    (dense rational ranks: rank(relations) == rank(relations + e_cell))."""
    unknown = sorted((k for k, v in table.items() if v is None), key=repr)
    if not unknown:
        return []
    col = {k: i for i, k in enumerate(unknown)}
    rows = []
    for line in _lines(table):
        row = [Fraction(0)] * len(unknown)
        for k, sign in line:
            if k in col:
                row[col[k]] = Fraction(sign)
        if any(row):
            rows.append(row)
    echelon = _echelon(rows)
    return [k for k in unknown if _in_span([Fraction(int(i == col[k])) for i in range(len(unknown))], echelon)]


def determined_from_detail(table: dict[Key, int | None]) -> list[Key]:
    """When the detail level is published too: the unknowns are the suppressed detail cells, and every
    published total is an equation in them."""
    detail_unknowns = sorted((k for k, v in table.items() if v is None and None not in k), key=repr)
    if not detail_unknowns:
        return []

    def vec(key: Key) -> list[Fraction]:
        return [Fraction(int(all(a is None or a == b for a, b in zip(key, u, strict=True)))) for u in detail_unknowns]

    echelon = _echelon([e for e in (vec(k) for k, v in table.items() if v is not None and None in k) if any(e)])
    return [k for k, v in table.items() if v is None and _in_span(vec(k), echelon)]


def brute_force_margins(leaves: dict[Key, int], dims: int, most: int) -> dict[Key, int]:
    """Every published cell by brute force, written independently of ``reporting.suppression.with_margins``
    (the property tests' oracle): for each key naming a value or None (all) in each dimension, with at most
    ``most`` dimensions named, add up the leaves it covers; a cell that adds up to 0 is not listed."""
    values = [[*dict.fromkeys(leaf[d] for leaf in leaves), None] for d in range(dims)]
    out: dict[Key, int] = {}
    for key in product(*values):
        if sum(v is not None for v in key) > most:
            continue
        total = sum(n for leaf, n in leaves.items()
                    if all(v is None or v == x for v, x in zip(key, leaf, strict=True)))
        if total:
            out[key] = total
    return out


def test_the_naive_table_leaks_and_the_protected_one_does_not() -> None:
    # counts by (state, year): one small cell in a row whose total is published
    leaves = {("CA", 2021): 7, ("CA", 2022): 2, ("TX", 2021): 8, ("TX", 2022): 9}
    # every published cell, by hand (None: all values of that dimension)
    counts = {
        ("CA", 2021): 7, ("CA", 2022): 2, ("TX", 2021): 8, ("TX", 2022): 9,  # the detail itself
        ("CA", None): 9,   # CA = 7 (2021) + 2 (2022)
        ("TX", None): 17,  # TX = 8 (2021) + 9 (2022)
        (None, 2021): 15,  # 2021 = 7 (CA) + 8 (TX)
        (None, 2022): 11,  # 2022 = 2 (CA) + 9 (TX)
        (None, None): 26,  # all = 9 + 17 = 15 + 11
    }
    assert brute_force_margins(leaves, 2, 2) == counts  # the property tests' oracle agrees with the hand table
    naive = {k: (None if 0 < n < 5 else n) for k, n in counts.items()}
    assert peel(naive) == {("CA", 2022): 2}  # 9 - 7: re-identified
    cells = suppress(leaves, 2, threshold=5)
    assert {k: c.count for k, c in cells.items()} == counts
    table = published(cells)
    assert table[("CA", 2022)] is None and table[("CA", None)] == 9
    assert peel(table) == {} and determined(table) == [] and determined_from_detail(table) == []
    # and it stays useful: all totals are published
    assert table[(None, None)] == 26 and table[(None, 2021)] == 15 and table[("TX", None)] == 17


def test_a_lone_small_total_is_protected_too() -> None:
    # a whole row is small: its total is primary-suppressed, so the other rows' totals must not give it away
    leaves = {("CA", 2021): 1, ("CA", 2022): 1, ("TX", 2021): 20, ("TX", 2022): 30, ("WA", 2021): 40}
    table = published(suppress(leaves, 2, threshold=11))
    assert table[("CA", None)] is None
    assert peel(table) == {} and determined(table) == []


def test_a_cell_named_for_another_reason_is_suppressed_and_protected_like_a_small_one() -> None:
    # TX 2022 is large (30) but must not be published (e.g. it is one agency's figures): named in ``also``
    leaves = {("CA", 2021): 12, ("CA", 2022): 14, ("TX", 2021): 20, ("TX", 2022): 30}
    without = published(suppress(leaves, 2, threshold=5))
    assert without[("TX", 2022)] == 30 and None not in without.values()
    table = published(suppress(leaves, 2, threshold=5, also=[("TX", 2022), ("WA", 2022)]))  # WA: no such cell
    assert table[("TX", 2022)] is None and ("WA", 2022) not in table
    # its lines are closed: TX's other year and 2022's other state go too, and nothing hidden can be worked out
    assert table[("TX", 2021)] is None and table[("CA", 2022)] is None
    assert peel(table) == {} and determined(table) == []
    assert table[(None, None)] == 76


def test_line_by_line_is_not_enough_so_the_audit_adds_cells() -> None:
    """Every line has two suppressed cells or none, yet combining lines gives a cell away (found by a search
    over small random tables); the exact audit suppresses more until nothing is."""
    from reporting import suppression

    leaves = {(0, 0, 1): 2, (0, 1, 1): 5, (1, 0, 0): 1, (1, 0, 1): 40, (1, 1, 1): 3, (2, 0, 0): 20, (2, 0, 1): 5,
              (2, 1, 0): 3, (2, 1, 1): 20}
    # every cell of every level, by hand (N: all values of that dimension); all = 2+5+1+40+3+20+5+3+20 = 99
    N = None
    counts: dict[Key, int] = {
        (N, N, N): 99,
        # one-way, by the first dimension: 0 = 2+5, 1 = 1+40+3, 2 = 20+5+3+20 (7 + 44 + 48 = 99)
        (0, N, N): 7, (1, N, N): 44, (2, N, N): 48,
        # by the second: 0 = 2+1+40+20+5, 1 = 5+3+3+20 (68 + 31 = 99); by the third: 0 = 1+20+3,
        # 1 = 2+5+40+3+5+20 (24 + 75 = 99)
        (N, 0, N): 68, (N, 1, N): 31, (N, N, 0): 24, (N, N, 1): 75,
        # two-way, first and second: (1, 0) = 1+40, (2, 0) = 20+5, (2, 1) = 3+20, the others single leaves
        (0, 0, N): 2, (0, 1, N): 5, (1, 0, N): 41, (1, 1, N): 3, (2, 0, N): 25, (2, 1, N): 23,
        # first and third: (0, 1) = 2+5, (1, 1) = 40+3, (2, 0) = 20+3, (2, 1) = 5+20; (0, 0) is 0: not listed
        (0, N, 1): 7, (1, N, 0): 1, (1, N, 1): 43, (2, N, 0): 23, (2, N, 1): 25,
        # second and third: (0, 0) = 1+20, (0, 1) = 2+40+5, (1, 0) = 3, (1, 1) = 5+3+20
        (N, 0, 0): 21, (N, 0, 1): 47, (N, 1, 0): 3, (N, 1, 1): 28,
        # the detail: the 9 leaves themselves
        **leaves,
    }
    assert len(counts) == 32 and {k: c.count for k, c in suppress(leaves, 3, threshold=11).items()} == counts
    # primary suppression (< 11): 6 detail cells, 3 + 2 + 1 two-way cells and (0, N, N) = 7
    primary = {(0, 0, 1), (0, 1, 1), (1, 0, 0), (1, 1, 1), (2, 0, 1), (2, 1, 0), (0, 0, N), (0, 1, N), (1, 1, N),
               (0, N, 1), (1, N, 0), (N, 1, 0), (0, N, N)}
    assert primary == {k for k, n in counts.items() if n < 11}
    # closing lines one at a time (lines in key order, "all" first; the smallest other cell of a line with one
    # suppressed member), traced by hand; * marks a cell already suppressed:
    #   99 = 7* + 44 + 48 -> 44 (1, N, N)     24 = 1* + 23 -> 23 (2, N, 0)     24 = 21 + 3* -> 21 (N, 0, 0)
    #   75 = 7* + 43 + 25 -> 25 (2, N, 1)     68 = 2* + 41 + 25 -> 25 (2, 0, N)   68 = 21* + 47 -> 47 (N, 0, 1)
    #   31 = 3* + 28 -> 28 (N, 1, 1)          43 = 40 + 3* -> 40 (1, 0, 1)     48 = 25* + 23 -> 23 (2, 1, N)
    # after which a second pass finds no line with exactly one suppressed member
    line_by_line_hidden = primary | {(1, N, N), (2, N, 0), (N, 0, 0), (2, N, 1), (2, 0, N), (N, 0, 1), (N, 1, 1),
                                     (1, 0, 1), (2, 1, N)}
    hidden = set(primary)
    suppression._close_lines(counts, suppression.lines(counts), hidden)
    assert hidden == line_by_line_hidden
    line_by_line = {k: (None if k in line_by_line_hidden else n) for k, n in counts.items()}
    assert all(sum(line_by_line[k] is None for k, _sign in line) != 1 for line in _lines(line_by_line))
    # yet (0, 1, 1) = (0, 1, N) = 5 follows from the published 24, 31, 41, 43, 20, 20 (a one-part line makes
    # its total equal to the part: (1, 1, N) = (1, 1, 1), (1, N, 0) = (1, 0, 0), (0, 1, N) = (0, 1, 1)):
    #   (1, N, N) = 41 + (1, 1, N) = (1, N, 0) + 43, so (1, 1, 1) - (1, 0, 0) = 43 - 41 = 2
    #   (N, N, 0) = 24 = (1, 0, 0) + (2, N, 0) = (1, 0, 0) + 20 + (2, 1, 0), so (1, 0, 0) + (2, 1, 0) = 4
    #   (N, 1, N) = 31 = (0, 1, N) + (1, 1, 1) + (2, 1, 0) + 20, so (0, 1, N) = 11 - (2 + 4) = 5
    assert peel(line_by_line) == {} and determined(line_by_line) == [(0, 1, 1), (0, 1, None)]
    table = published(suppress(leaves, 3, threshold=11))
    assert peel(table) == {} and determined(table) == [] and determined_from_detail(table) == []


def test_threshold_one_suppresses_nothing_and_zeros_are_not_listed() -> None:
    cells = suppress({("CA", 2021): 1, ("TX", 2021): 0}, 2, threshold=1)
    assert not any(c.suppressed for c in cells.values())
    assert ("TX", 2021) not in cells and cells[(None, None)].count == 1


def test_two_way_product_publishes_no_finer_cell() -> None:
    leaves = {("CA", 2021, "TERMINATION", "BIAS"): 12, ("TX", 2022, "DECERTIFICATION", "DISHONESTY"): 30}
    cells = suppress(leaves, 4, threshold=11, levels=levels_up_to(4, 2))
    assert max(sum(v is not None for v in k) for k in cells) == 2
    assert len(levels_up_to(4, 2)) == 11  # grand total, 4 one-way and 6 two-way tables


def test_default_threshold_is_eleven() -> None:
    from registry.config import Settings

    assert Settings().stats_min_cell == 11


def _tables() -> st.SearchStrategy[tuple[dict[Key, int], int, int]]:
    def build(shape: list[int], values: list[int], threshold: int) -> tuple[dict[Key, int], int, int]:
        keys = list(product(*[[f"v{d}{i}" for i in range(n)] for d, n in enumerate(shape)]))
        return {k: values[i % len(values)] for i, k in enumerate(keys)}, len(shape), threshold

    small_heavy = st.one_of(st.integers(0, 4), st.integers(0, 30))
    return st.builds(build, st.lists(st.integers(1, 4), min_size=1, max_size=3),
                     st.lists(small_heavy, min_size=1, max_size=64), st.integers(2, 11))


def _check(leaves: dict[Key, int], dims: int, threshold: int, most: int) -> None:
    """``most``: the finest breakdown published (``dims``: everything down to the detail, the default levels)."""
    levels = None if most == dims else levels_up_to(dims, most)
    cells = suppress(leaves, dims, threshold, levels)
    # the oracle is brute_force_margins (summing the leaves under each key), not the implementation's own
    # with_margins; it was checked against a hand-computed table in the first test above
    truth = brute_force_margins(leaves, dims, most)
    assert set(cells) == set(truth)
    for key, cell in cells.items():
        assert cell.count == truth[key]
        if cell.count < threshold:
            assert cell.suppressed, key  # primary suppression covers details and totals alike
    table = published(cells)
    assert peel(table) == {}
    assert determined(table) == []
    if levels is None:
        assert determined_from_detail(table) == []


@settings(max_examples=150, deadline=None)
@given(_tables())
def test_no_suppressed_cell_can_be_recovered_full_detail(case: tuple[dict[Key, int], int, int]) -> None:
    leaves, dims, threshold = case
    _check(leaves, dims, threshold, dims)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 2), st.integers(0, 3)),
                min_size=1, max_size=120), st.integers(2, 11))
def test_no_suppressed_cell_can_be_recovered_two_way_tables(records: list[Key], threshold: int) -> None:
    leaves: dict[Key, int] = defaultdict(int)
    for r in records:
        leaves[r] += 1
    _check(dict(leaves), 4, threshold, 2)
