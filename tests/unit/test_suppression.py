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

from reporting.suppression import Cell, levels_up_to, suppress, with_margins

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


def test_the_naive_table_leaks_and_the_protected_one_does_not() -> None:
    # counts by (state, year): one small cell in a row whose total is published
    leaves = {("CA", 2021): 7, ("CA", 2022): 2, ("TX", 2021): 8, ("TX", 2022): 9}
    naive = {k: (None if 0 < n < 5 else n) for k, n in with_margins(leaves, 2).items()}
    assert peel(naive) == {("CA", 2022): 2}  # 9 - 7: re-identified
    cells = suppress(leaves, 2, threshold=5)
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
    counts = with_margins(leaves, 3)
    hidden = {k for k, n in counts.items() if n < 11}
    suppression._close_lines(counts, suppression.lines(counts), hidden)
    line_by_line = {k: (None if k in hidden else n) for k, n in counts.items()}
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


def _check(leaves: dict[Key, int], dims: int, threshold: int, levels: list[frozenset[int]] | None) -> None:
    cells = suppress(leaves, dims, threshold, levels)
    truth = with_margins(leaves, dims, levels)
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
    _check(*case, None)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 2), st.integers(0, 3)),
                min_size=1, max_size=120), st.integers(2, 11))
def test_no_suppressed_cell_can_be_recovered_two_way_tables(records: list[Key], threshold: int) -> None:
    leaves: dict[Key, int] = defaultdict(int)
    for r in records:
        leaves[r] += 1
    _check(dict(leaves), 4, threshold, levels_up_to(4, 2))
