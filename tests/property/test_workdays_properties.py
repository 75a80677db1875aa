"""Properties that engine.workdays must keep for any date from 2000 to 2040."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
from govuk_bank_holidays.bank_holidays import BankHolidays
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.workdays import (
    add_calendar_days,
    add_working_days,
    count_working_days_between,
    is_working_day,
    next_working_day,
    previous_working_day,
    subtract_calendar_days,
    subtract_working_days,
)

# No example database, so a run leaves nothing behind in the working tree; no deadline,
# because the first call in a process loads the holiday data.
fast = settings(database=None, deadline=None)

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
working_day_counts = st.integers(min_value=1, max_value=400)
calendar_day_counts = st.integers(min_value=0, max_value=400)

_GOVUK = BankHolidays(use_cached_holidays=True)
_RULES = holidays.UK(subdiv="ENG", years=range(2000, 2043))


def oracle_is_working_day(day: date) -> bool:
    """A deliberately naive second opinion straight from the two libraries."""
    if 2012 <= day.year <= 2028:
        return _GOVUK.is_work_day(day, division=BankHolidays.ENGLAND_AND_WALES)
    return day.weekday() < 5 and day not in _RULES


@fast
@given(dates)
def test_is_working_day_agrees_with_the_libraries(day: date) -> None:
    assert is_working_day(day) == oracle_is_working_day(day)


@fast
@given(dates, working_day_counts)
def test_add_working_days_lands_on_a_working_day(start: date, n: int) -> None:
    assert is_working_day(add_working_days(start, n))


@fast
@given(dates, st.integers(min_value=1, max_value=399))
def test_add_working_days_is_strictly_increasing(start: date, n: int) -> None:
    assert start < add_working_days(start, n) < add_working_days(start, n + 1)


@fast
@given(dates, working_day_counts)
def test_count_is_the_inverse_of_add(start: date, n: int) -> None:
    assert count_working_days_between(start, add_working_days(start, n)) == n


@fast
@given(dates, working_day_counts)
def test_add_working_days_matches_stepping_day_by_day(start: date, n: int) -> None:
    day, left = start, n
    while left:
        day += timedelta(days=1)
        left -= oracle_is_working_day(day)
    assert add_working_days(start, n) == day


@fast
@given(dates, calendar_day_counts)
def test_add_calendar_days_is_the_first_working_day_on_or_after(start: date, n: int) -> None:
    result = add_calendar_days(start, n)
    landing = start + timedelta(days=n)
    assert is_working_day(result)
    assert result >= landing
    skipped = (landing + timedelta(days=i) for i in range((result - landing).days))
    assert not any(is_working_day(day) for day in skipped)


@fast
@given(dates)
def test_next_working_day_is_idempotent(day: date) -> None:
    first = next_working_day(day)
    assert next_working_day(first) == first
    assert first >= day
    assert (first == day) == is_working_day(day)


@fast
@given(dates, dates)
def test_count_is_never_negative_and_splits_at_any_middle(a: date, b: date) -> None:
    start, end = min(a, b), max(a, b)
    middle = start + timedelta(days=(end - start).days // 2)
    assert count_working_days_between(end, start) == 0
    total = count_working_days_between(start, end)
    assert total >= 0
    assert total == count_working_days_between(start, middle) + count_working_days_between(
        middle, end
    )


@fast
@given(dates, working_day_counts)
def test_subtract_working_days_matches_stepping_back_day_by_day(start: date, n: int) -> None:
    day, left = start, n
    while left:
        day -= timedelta(days=1)
        left -= oracle_is_working_day(day)
    assert subtract_working_days(start, n) == day


@fast
@given(dates, working_day_counts)
def test_subtract_is_the_inverse_of_add(start: date, n: int) -> None:
    later = add_working_days(start, n)
    assert subtract_working_days(later, n) == previous_working_day(start)
    back = subtract_working_days(start, n)
    assert count_working_days_between(back, start) == n - (not is_working_day(start))


@fast
@given(dates, calendar_day_counts)
def test_subtract_calendar_days_is_the_last_working_day_on_or_before(start: date, n: int) -> None:
    result = subtract_calendar_days(start, n)
    landing = start - timedelta(days=n)
    assert is_working_day(result)
    assert result <= landing
    skipped = (landing - timedelta(days=i) for i in range((landing - result).days))
    assert not any(is_working_day(day) for day in skipped)
