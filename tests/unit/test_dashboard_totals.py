"""The dashboard's running totals: a median and a 90th percentile read off counted days
equal the ones read off the list of days, and taking a row away undoes adding it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine import performance as perf
from engine.dashboard import _median, _on_time, _p90
from engine.dashboard_totals import Window

DAYS = st.lists(st.tuples(st.integers(0, 120), st.booleans()), max_size=60)


def window(rows: list[tuple[int, bool]]) -> Window:
    w = Window()
    for days, on_time in rows:
        w.add(days, on_time, +1)
    return w


@given(DAYS)
def test_statistics_from_counts_equal_those_from_the_list(rows: list[tuple[int, bool]]) -> None:
    w, days = window(rows), [d for d, _ in rows]
    assert _median(w) == perf.median(days)
    assert _p90(w) == perf.percentile(days, 90)
    assert _on_time(w) == perf.share(sum(on for _, on in rows), len(rows))


@given(DAYS, DAYS)
def test_taking_rows_away_undoes_adding_them(kept: list, gone: list) -> None:
    w = window(kept + gone)
    for days, on_time in gone:
        w.add(days, on_time, -1)
    assert w == window(kept)
