"""The dashboard's arithmetic: medians, percentiles, shares, RAG and direction of travel."""

from __future__ import annotations

import pytest

from engine.performance import (
    Thresholds,
    direction,
    median,
    percentile,
    progress_rag,
    rag,
    share,
    thresholds,
)

LIMITS = Thresholds(green=90, amber=75, steady_within=2)


@pytest.mark.parametrize(
    ("values", "mid", "p90"),
    [([], None, None), ([5], 5, 5), ([1, 3], 2, 3), ([4, 1, 3, 2], 2.5, 4),
     (list(range(1, 11)), 5.5, 9), (list(range(1, 21)), 10.5, 18)],
    ids=["none", "one", "two", "even", "ten", "twenty"],
)  # fmt: skip
def test_median_and_nearest_rank_percentile(values, mid, p90) -> None:
    assert median(values) == mid
    assert percentile(values, 90) == p90


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "none"), (90, "green"), (89.9, "amber"), (75, "amber"), (74.9, "red")],
)
def test_rag_lines_are_inclusive(value, expected) -> None:
    assert rag(value, LIMITS) == expected


@pytest.mark.parametrize(
    ("recent", "earlier", "arrow"),
    [(80, 70, "↑"), (70, 80, "↓"), (80, 78.5, "→"), (78, 80, "↓"), (None, 80, "")],
)
def test_direction_of_travel_has_a_steady_band(recent, earlier, arrow) -> None:
    assert direction(recent, earlier, LIMITS) == arrow


@pytest.mark.parametrize(
    ("level", "travel", "expected"),
    [("green", "→", "green"), ("green", "↓", "amber"), ("red", "↑", "amber"),
     ("red", "→", "red"), ("amber", "↑", "amber"), ("none", "", "none")],
)  # fmt: skip
def test_progress_rag(level, travel, expected) -> None:
    assert progress_rag(level, travel) == expected


def test_share_and_area_thresholds() -> None:
    assert share(2, 3) == 66.7 and share(0, 0) is None
    area = {"green": 85, "amber": 70, "clocks": {"acknowledgement": {"green": 95}}}
    assert thresholds(area, "acknowledgement") == Thresholds(95, 70, 2)
    assert thresholds(area, "review_outcome") == Thresholds(85, 70, 2)
