"""The clock: UTC instants, London dates, and a fixed clock tests can move."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from engine.clock import FixedClock, SystemClock


@pytest.mark.parametrize(
    ("instant", "london"),
    [
        (datetime(2025, 3, 30, 23, 30, tzinfo=UTC), date(2025, 3, 31)),
        (datetime(2025, 3, 29, 23, 30, tzinfo=UTC), date(2025, 3, 29)),
        (datetime(2025, 7, 1, 23, 5, tzinfo=UTC), date(2025, 7, 2)),
        (datetime(2025, 10, 26, 23, 30, tzinfo=UTC), date(2025, 10, 26)),
        (datetime(2025, 12, 31, 23, 59, tzinfo=UTC), date(2025, 12, 31)),
    ],
    ids=["bst_started", "gmt_before_bst", "summer_late_evening", "bst_ended", "new_years_eve"],
)
def test_today_is_the_london_date_of_the_utc_instant(instant: datetime, london: date) -> None:
    assert FixedClock(instant).today() == london
    with freeze_time(instant):
        assert SystemClock().today() == london
        assert SystemClock().now() == instant


def test_a_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    clock.advance(days=1, hours=2)
    assert clock.now() == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def test_a_fixed_clock_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        FixedClock(datetime(2026, 3, 2, 10, 0))  # noqa: DTZ001
