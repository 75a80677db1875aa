"""No published equalities table lets a reader recover a count below 5 from its total."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.suppression import FEWER, SMALL, WITHHELD, suppress

counts = st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=7)
small_heavy = st.lists(st.integers(min_value=0, max_value=7), min_size=1, max_size=6)


def completions(published, total_known: int | None, limit: int) -> set[tuple[int, ...]]:
    """Every table a reader could believe in, given what is published (brute force)."""
    ranges = []
    for cell in published.cells:
        if cell.value is not None:
            ranges.append([cell.value])
        elif cell.note == FEWER:
            ranges.append(range(SMALL))
        else:
            ranges.append(range(SMALL, limit + 1))
    found = set()
    for combo in itertools.product(*ranges):
        if total_known is None or sum(combo) == total_known:
            found.add(combo)
    return found


def check(values: list[int]) -> None:
    published = suppress(values)
    for cell in [*published.cells, published.total]:
        assert cell.value is None or cell.value >= SMALL, "a small count is shown"
        assert cell.note in ("", FEWER, WITHHELD)
    if not published.shown:
        return
    total = published.total.value
    assert total == sum(values)
    possible = completions(published, total, limit=total)
    assert tuple(values) in possible  # the labels never lie
    for i, cell in enumerate(published.cells):
        if cell.note == FEWER:
            assert len({p[i] for p in possible}) > 1, f"cell {i} can be worked out"


@settings(max_examples=300, deadline=None)
@given(small_heavy)
def test_small_heavy_tables_never_give_a_small_count_away(values: list[int]) -> None:
    check(values)


@settings(max_examples=150, deadline=None)
@given(counts.filter(lambda v: sum(v) <= 60 and len(v) <= 5))
def test_mixed_tables_never_give_a_small_count_away(values: list[int]) -> None:
    check(values)


def test_a_single_small_cell_takes_the_next_smallest_with_it() -> None:
    published = suppress([3, 9, 12, 20])
    assert [c.text for c in published.cells] == [FEWER, WITHHELD, "12", "20"]
    assert published.total.text == "44"


def test_two_small_cells_that_can_only_sum_one_way_are_covered() -> None:
    # 0 + 0: the remainder 0 pins both; a shown cell is withheld too.
    assert [c.text for c in suppress([0, 0, 6, 7]).cells] == [FEWER, FEWER, WITHHELD, "7"]
    assert [c.text for c in suppress([1, 2, 6, 7]).cells] == [FEWER, FEWER, "6", "7"]
