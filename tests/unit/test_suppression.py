"""Small-cell and complementary suppression: no suppressed count can be recovered from what is published.

Two independent attackers read only the published table: one subtracts along every total, over and over
(the "peeling" attack by hand); the other solves the whole linear system exactly (dense rational ranks,
written here separately from the implementation's sparse elimination).
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from itertools import product
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from resolvers.suppression import Cell, suppress, with_margins

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


def _rank(rows: list[list[Fraction]]) -> int:
    m = [r[:] for r in rows]
    rank, cols = 0, len(m[0]) if m else 0
    for c in range(cols):
        pivot = next((i for i in range(rank, len(m)) if m[i][c] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for i in range(len(m)):
            if i != rank and m[i][c] != 0:
                f = m[i][c] / m[rank][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[rank], strict=True)]
        rank += 1
    return rank


def determined(table: dict[Key, int | None]) -> list[Key]:
    """Suppressed cells whose value the published totals pin down exactly (linear algebra over Q)."""
    detail_unknowns = sorted((k for k, v in table.items() if v is None and None not in k), key=repr)
    if not detail_unknowns:
        return []

    def vec(key: Key) -> list[Fraction]:
        return [Fraction(int(all(a is None or a == b for a, b in zip(key, u, strict=True)))) for u in detail_unknowns]

    equations = [vec(k) for k, v in table.items() if v is not None and None in k]
    equations = [e for e in equations if any(e)]
    base = _rank(equations) if equations else 0
    return [k for k, v in table.items() if v is None and _rank([*equations, vec(k)]) == base]


def test_the_naive_table_leaks_and_the_protected_one_does_not() -> None:
    # counts by (state, year): one small cell in a row whose total is published
    leaves = {("CA", 2021): 7, ("CA", 2022): 2, ("TX", 2021): 8, ("TX", 2022): 9}
    naive = {k: (None if 0 < n < 5 else n) for k, n in with_margins(leaves, 2).items()}
    assert peel(naive) == {("CA", 2022): 2}  # 9 - 7: re-identified
    cells = suppress(leaves, 2, threshold=5)
    table = published(cells)
    assert table[("CA", 2022)] is None and table[("CA", None)] == 9
    assert peel(table) == {} and determined(table) == []
    # and it stays useful: all totals are published
    assert table[(None, None)] == 26 and table[(None, 2021)] == 15 and table[("TX", None)] == 17


def test_a_lone_small_total_is_protected_too() -> None:
    # a whole row is small: its total is primary-suppressed, so the other rows' totals must not give it away
    leaves = {("CA", 2021): 1, ("CA", 2022): 1, ("TX", 2021): 20, ("TX", 2022): 30, ("WA", 2021): 40}
    table = published(suppress(leaves, 2, threshold=11))
    assert table[("CA", None)] is None
    assert peel(table) == {} and determined(table) == []


def test_threshold_one_suppresses_nothing_and_zeros_are_not_listed() -> None:
    cells = suppress({("CA", 2021): 1, ("TX", 2021): 0}, 2, threshold=1)
    assert not any(c.suppressed for c in cells.values())
    assert ("TX", 2021) not in cells and cells[(None, None)].count == 1


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


@settings(max_examples=150, deadline=None)
@given(_tables())
def test_no_suppressed_cell_can_be_recovered(case: tuple[dict[Key, int], int, int]) -> None:
    leaves, dims, threshold = case
    cells = suppress(leaves, dims, threshold)
    truth = with_margins(leaves, dims)
    assert set(cells) == set(truth)
    for key, cell in cells.items():
        assert cell.count == truth[key]
        if cell.count < threshold:
            assert cell.suppressed, key  # primary suppression covers details and totals alike
    table = published(cells)
    assert peel(table) == {}
    assert determined(table) == []
