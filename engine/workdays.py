"""Working-day arithmetic for England and Wales: weekdays that are not bank holidays."""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = [
    "CALENDAR_DAYS",
    "WORKING_DAYS",
    "add_calendar_days",
    "add_working_days",
    "bank_holidays_between",
    "count_working_days_between",
    "due_date",
    "explain_due_date",
    "is_working_day",
    "next_working_day",
    "previous_working_day",
    "subtract_calendar_days",
    "subtract_working_days",
]

WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"

_FRIDAY = 4
_ONE_DAY = timedelta(days=1)

# English names are spelt out rather than taken from strftime/calendar, which follow the locale.
_DAY_NAMES = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())
_MONTH_NAMES = tuple(
    "January February March April May June July August September October November December".split()
)

# The holidays package names some days differently from GOV.UK; using GOV.UK's names keeps
# explanations consistent either side of the edge of the bundled data.
_RULE_TITLES = {
    "May Day": "Early May bank holiday",
    "Spring Bank Holiday": "Spring bank holiday",
    "Late Summer Bank Holiday": "Summer bank holiday",
}
_RULE_OBSERVED = " (observed)"
_GOVUK_SUBSTITUTE_NOTE = "Substitute day"
_SUBSTITUTE = " (substitute day)"


@dataclass(frozen=True)
class _YearHolidays:
    """The weekday bank holidays of one year, sorted by date."""

    dates: tuple[date, ...]
    titles: tuple[str, ...]


# --- loading -------------------------------------------------------------------------------


@functools.cache
def _bundled() -> tuple[range, dict[int, list[tuple[date, str]]]]:
    """The GOV.UK data shipped inside govuk-bank-holidays, and the years it covers."""
    # Imported here so that importing this module stays cheap.
    from govuk_bank_holidays.bank_holidays import BankHolidays

    # use_cached_holidays=True reads the bundled JSON file; it never touches the network.
    calendar = BankHolidays(use_cached_holidays=True)
    by_year: dict[int, list[tuple[date, str]]] = {}
    for event in calendar.get_holidays(division=BankHolidays.ENGLAND_AND_WALES):
        title = _govuk_title(event["title"], event["notes"])
        by_year.setdefault(event["date"].year, []).append((event["date"], title))
    return range(min(by_year), max(by_year) + 1), by_year


def _govuk_title(title: str, notes: str) -> str:
    plain = title.replace("\u2019", "'")
    return plain + _SUBSTITUTE if notes == _GOVUK_SUBSTITUTE_NOTE else plain


def _rule_based(year: int) -> list[tuple[date, str]]:
    """England's bank holidays for a year outside the bundled data, from the holidays package."""
    import holidays

    return [(day, _rule_title(name)) for day, name in holidays.UK(subdiv="ENG", years=year).items()]


def _rule_title(name: str) -> str:
    base = name.removesuffix(_RULE_OBSERVED)
    title = _RULE_TITLES.get(base, base)
    return title + _SUBSTITUTE if name.endswith(_RULE_OBSERVED) else title


@functools.cache
def _year(year: int) -> _YearHolidays:
    covered, by_year = _bundled()
    entries = by_year.get(year, []) if year in covered else _rule_based(year)
    # A holiday that falls at a weekend changes nothing; its substitute day is listed separately.
    weekdays = sorted((day, title) for day, title in entries if day.weekday() <= _FRIDAY)
    return _YearHolidays(tuple(day for day, _ in weekdays), tuple(title for _, title in weekdays))


# --- counting ------------------------------------------------------------------------------


def _check_date(value: object) -> None:
    # A datetime is a date subclass but cannot be compared with the holiday dates.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"expected a date, got {type(value).__name__}")


def _check_count(value: object, minimum: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}, got {value}")


def _is_weekend(day: date) -> bool:
    return day.weekday() > _FRIDAY


def _weekdays_through(day: date) -> int:
    """How many Mondays to Fridays there are from 1 January AD 1 (a Monday) to day inclusive."""
    weeks, extra = divmod(day.toordinal() - 1, 7)
    return weeks * 5 + min(extra + 1, 5)


def _add_weekdays(start: date, count: int) -> date:
    """The date `count` (>= 1) Mondays-to-Fridays after start, ignoring bank holidays."""
    # Starting at a weekend counts the same as starting on the Friday before it.
    base = start - timedelta(days=max(0, start.weekday() - _FRIDAY))
    weeks, rest = divmod(count, 5)
    crosses_weekend = base.weekday() + rest > _FRIDAY
    return base + timedelta(days=7 * weeks + rest + (2 if crosses_weekend else 0))


def _subtract_weekdays(start: date, count: int) -> date:
    """The date `count` (>= 1) Mondays-to-Fridays before start, ignoring bank holidays."""
    # Starting at a weekend counts the same as starting on the Monday after it.
    base = start + timedelta(days=(7 - start.weekday()) if start.weekday() > _FRIDAY else 0)
    weeks, rest = divmod(count, 5)
    crosses_weekend = base.weekday() - rest < 0
    return base - timedelta(days=7 * weeks + rest + (2 if crosses_weekend else 0))


def _slices(after: date, through: date) -> Iterator[tuple[_YearHolidays, int, int]]:
    """Each year's holidays with the index range of those d with after < d <= through."""
    for year in range(after.year, through.year + 1):
        holidays_of_year = _year(year)
        low = bisect_right(holidays_of_year.dates, after)
        high = bisect_right(holidays_of_year.dates, through)
        yield holidays_of_year, low, high


def _holiday_count(after: date, through: date) -> int:
    return sum(high - low for _, low, high in _slices(after, through))


# --- public API ----------------------------------------------------------------------------


def is_working_day(d: date) -> bool:
    """True if d is a Monday to Friday that is not an England and Wales bank holiday."""
    _check_date(d)
    return not _is_weekend(d) and d not in _year(d.year).dates


def next_working_day(d: date) -> date:
    """d itself if it is a working day, otherwise the first working day after it."""
    _check_date(d)
    while not is_working_day(d):
        d += _ONE_DAY
    return d


def add_working_days(start: date, days: int) -> date:
    """The date that is `days` (>= 1) working days after start, not counting start itself."""
    _check_date(start)
    _check_count(days, 1, "days")
    counted_to, remaining = start, days
    # Jump as if there were no bank holidays, then jump again to make up for the ones just
    # jumped over; a few passes settle it even for huge n, instead of stepping day by day.
    while remaining:
        target = _add_weekdays(counted_to, remaining)
        remaining = _holiday_count(counted_to, target)
        counted_to = target
    return counted_to


def previous_working_day(d: date) -> date:
    """d itself if it is a working day, otherwise the last working day before it."""
    _check_date(d)
    while not is_working_day(d):
        d -= _ONE_DAY
    return d


def subtract_working_days(start: date, days: int) -> date:
    """The date that is `days` (>= 1) working days before start, not counting start itself.

    The mirror of add_working_days: "papers out 3 working days before a Thursday meeting"
    is the Monday, and a bank holiday in between pushes it one working day earlier.
    """
    _check_date(start)
    _check_count(days, 1, "days")
    counted_from, remaining = start, days
    # Jump back as if there were no bank holidays, then again for the ones just jumped over.
    while remaining:
        target = _subtract_weekdays(counted_from, remaining)
        remaining = _holiday_count(target - _ONE_DAY, counted_from - _ONE_DAY)
        counted_from = target
    return counted_from


def subtract_calendar_days(start: date, days: int) -> date:
    """start minus `days` (>= 0) calendar days, moved back to the working day before if need be.

    Moving back, not on, keeps a date that must come "N days before" at least N days before.
    """
    _check_date(start)
    _check_count(days, 0, "days")
    return previous_working_day(start - timedelta(days=days))


def add_calendar_days(start: date, days: int) -> date:
    """start plus `days` (>= 0) calendar days, moved on to the next working day if need be."""
    _check_date(start)
    _check_count(days, 0, "days")
    return next_working_day(start + timedelta(days=days))


def count_working_days_between(start: date, end: date) -> int:
    """How many working days d there are with start < d <= end (0 if end <= start)."""
    _check_date(start)
    _check_date(end)
    if end <= start:
        return 0
    weekdays = _weekdays_through(end) - _weekdays_through(start)
    return weekdays - _holiday_count(start, end)


def bank_holidays_between(start: date, end: date) -> list[tuple[date, str]]:
    """England and Wales bank holidays d with start < d <= end, with their titles, by date."""
    _check_date(start)
    _check_date(end)
    if end <= start:
        return []
    return [
        (found.dates[i], found.titles[i])
        for found, low, high in _slices(start, end)
        for i in range(low, high)
    ]


def due_date(start: date, amount: int, unit: str) -> date:
    """The due date `amount` units after start; unit is "working_days" or "calendar_days".

    A negative amount counts back from start: -3 working days is 3 working days before it
    (a deadline that must be met before a date, such as papers before a meeting).
    """
    if unit not in (WORKING_DAYS, CALENDAR_DAYS):
        raise ValueError(f"unknown unit {unit!r}; expected {WORKING_DAYS!r} or {CALENDAR_DAYS!r}")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int, got {type(amount).__name__}")
    if amount < 0:
        if unit == WORKING_DAYS:
            return subtract_working_days(start, -amount)
        return subtract_calendar_days(start, -amount)
    if unit == WORKING_DAYS:
        return add_working_days(start, amount)
    return add_calendar_days(start, amount)


def explain_due_date(start: date, amount: int, unit: str) -> str:
    """One plain-English sentence saying how the due date was worked out."""
    result = due_date(start, amount, unit)
    if unit == WORKING_DAYS:
        if amount < 0:
            return _explain_working_days_before(start, -amount, result)
        return _explain_working_days(start, amount, result)
    if amount < 0:
        return _explain_calendar_days_before(start, -amount, result)
    if amount == 0:
        return _explain_date_given(start, result)
    return _explain_calendar_days(start, amount, result)


# --- explanations --------------------------------------------------------------------------


def _long_date(d: date) -> str:
    return f"{_DAY_NAMES[d.weekday()]} {_short_date(d)}"


def _short_date(d: date) -> str:
    return f"{d.day} {_MONTH_NAMES[d.month - 1]} {d.year}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _skipped(after: date, through: date) -> str:
    """What lies between two dates that is not a working day, e.g. "the weekend and 1 bank
    holiday (Easter Monday 6 April 2026)"; empty if nothing does."""
    weekend_days = (through - after).days - (_weekdays_through(through) - _weekdays_through(after))
    found = bank_holidays_between(after, through)
    parts = []
    if weekend_days:
        parts.append("the weekend" if weekend_days <= 2 else "weekends")
    if found:
        listed = ", ".join(f"{title} {_short_date(day)}" for day, title in found)
        parts.append(f"{_plural(len(found), 'bank holiday')} ({listed})")
    return " and ".join(parts)


def _explain_working_days(start: date, amount: int, result: date) -> str:
    skipped = _skipped(start, result)
    how = f"skipping {skipped}" if skipped else "with no weekend or bank holiday to skip"
    return (
        f"Counting only Mondays to Fridays that are not England and Wales bank holidays, "
        f"{_plural(amount, 'working day')} after {_long_date(start)} (not counting that day) "
        f"is {_long_date(result)}, {how}."
    )


def _explain_working_days_before(start: date, amount: int, result: date) -> str:
    skipped = _skipped(result, start - _ONE_DAY)
    how = f"skipping {skipped}" if skipped else "with no weekend or bank holiday to skip"
    return (
        f"Counting back only Mondays to Fridays that are not England and Wales bank holidays, "
        f"{_plural(amount, 'working day')} before {_long_date(start)} (not counting that day) "
        f"is {_long_date(result)}, {how}."
    )


def _explain_calendar_days_before(start: date, amount: int, result: date) -> str:
    landing = start - timedelta(days=amount)
    days = _plural(amount, "calendar day")
    opening = f"{days} before {_long_date(start)} is {_long_date(landing)}"
    if landing == result:
        return f"{opening}, which is a working day, so that is the due date."
    skipped = _skipped(result, landing)
    return (
        f"{opening}, which is not a working day because it is {_why_not_working(landing)}, "
        f"so the due date moves back past {skipped} to the working day before, "
        f"{_long_date(result)}."
    )


def _explain_date_given(start: date, result: date) -> str:
    opening = f"The date set is {_long_date(start)}"
    if start == result:
        return f"{opening}, which is a working day, so that is the due date."
    skipped = _skipped(start - _ONE_DAY, result - _ONE_DAY)
    return (
        f"{opening}, which is not a working day because it is {_why_not_working(start)}, "
        f"so the due date moves past {skipped} to the next working day, {_long_date(result)}."
    )


def _explain_calendar_days(start: date, amount: int, result: date) -> str:
    landing = start + timedelta(days=amount)
    days = _plural(amount, "calendar day")
    opening = f"{days} after {_long_date(start)} is {_long_date(landing)}"
    if landing == result:
        return f"{opening}, which is a working day, so that is the due date."
    skipped = _skipped(landing - _ONE_DAY, result - _ONE_DAY)
    return (
        f"{opening}, which is not a working day because it is {_why_not_working(landing)}, "
        f"so the due date moves past {skipped} to the next working day, {_long_date(result)}."
    )


def _why_not_working(d: date) -> str:
    if _is_weekend(d):
        return f"a {_DAY_NAMES[d.weekday()]}"
    title = bank_holidays_between(d - _ONE_DAY, d)[0][1]
    return f"a bank holiday ({title})"
