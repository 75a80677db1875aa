"""Hand-checked tables for England and Wales working-day arithmetic in engine.workdays."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time

from engine import workdays
from engine.workdays import (
    add_calendar_days,
    add_working_days,
    bank_holidays_between,
    count_working_days_between,
    due_date,
    explain_due_date,
    is_working_day,
    next_working_day,
)

WD = "working_days"
CD = "calendar_days"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def case(case_id: str, start: date, amount: int, unit: str, expected: date) -> object:
    return pytest.param(start, amount, unit, expected, id=case_id)


# Every expected date below was worked out by hand against a calendar. Weekdays are noted
# in comments so that a wrong entry is easy to spot.
DUE_DATE_CASES = [
    # Ordinary weeks (January 2026 has no bank holidays after the 1st).
    case("friday_plus_one", date(2026, 1, 9), 1, WD, date(2026, 1, 12)),  # Fri -> Mon
    case("monday_plus_one", date(2026, 1, 12), 1, WD, date(2026, 1, 13)),  # Mon -> Tue
    case("monday_plus_five", date(2026, 1, 12), 5, WD, date(2026, 1, 19)),  # Mon -> Mon
    case("thursday_plus_two", date(2026, 1, 15), 2, WD, date(2026, 1, 19)),  # Thu -> Mon
    case("monday_plus_ten", date(2026, 1, 12), 10, WD, date(2026, 1, 26)),  # Mon -> Mon
    case("start_on_saturday", date(2026, 1, 10), 1, WD, date(2026, 1, 12)),  # Sat -> Mon
    case("start_on_sunday", date(2026, 1, 11), 1, WD, date(2026, 1, 12)),  # Sun -> Mon
    case("start_on_saturday_plus_five", date(2026, 1, 10), 5, WD, date(2026, 1, 16)),  # -> Fri
    case("start_on_bank_holiday", date(2026, 1, 1), 1, WD, date(2026, 1, 2)),  # Thu hol -> Fri
    case("new_year_skipped", date(2025, 12, 31), 1, WD, date(2026, 1, 2)),  # Wed -> Fri
    # Easter 2026 is 5 April: Good Friday 3 April, Easter Monday 6 April.
    case("good_friday", date(2026, 4, 2), 1, WD, date(2026, 4, 7)),  # Thu -> Tue
    case("easter_monday", date(2026, 4, 2), 2, WD, date(2026, 4, 8)),  # Thu -> Wed
    case("start_on_good_friday", date(2026, 4, 3), 1, WD, date(2026, 4, 7)),  # -> Tue
    case("ten_days_across_easter", date(2026, 3, 23), 10, WD, date(2026, 4, 8)),  # Mon -> Wed
    # Easter 2027 is 28 March: Good Friday 26 March, Easter Monday 29 March.
    case("easter_2027", date(2027, 3, 25), 1, WD, date(2027, 3, 30)),  # Thu -> Tue
    case("early_may_2026", date(2026, 5, 1), 1, WD, date(2026, 5, 5)),  # Fri -> Tue
    case("spring_bank_holiday_2026", date(2026, 5, 22), 1, WD, date(2026, 5, 26)),  # Fri -> Tue
    case("summer_bank_holiday_2026", date(2026, 8, 28), 1, WD, date(2026, 9, 1)),  # Fri -> Tue
    # British Summer Time starts/ends on a Sunday; the clocks changing must not matter.
    case("bst_starts", date(2026, 3, 27), 1, WD, date(2026, 3, 30)),  # Fri -> Mon
    case("bst_ends", date(2026, 10, 23), 1, WD, date(2026, 10, 26)),  # Fri -> Mon
    # 25 December 2026 is a Friday, so Boxing Day's substitute is Monday 28 December.
    case("christmas_2026", date(2026, 12, 24), 1, WD, date(2026, 12, 29)),  # Thu -> Tue
    case("boxing_day_substitute", date(2026, 12, 25), 1, WD, date(2026, 12, 29)),  # Fri -> Tue
    case("year_end", date(2026, 12, 30), 2, WD, date(2027, 1, 4)),  # Wed -> Mon
    case("twenty_days_over_christmas", date(2026, 12, 18), 20, WD, date(2027, 1, 20)),  # -> Wed
    # 25 December 2027 is a Saturday: substitutes Monday 27 and Tuesday 28 December.
    case("christmas_on_saturday", date(2027, 12, 24), 1, WD, date(2027, 12, 29)),  # Fri -> Wed
    case("christmas_on_saturday_2021", date(2021, 12, 24), 1, WD, date(2021, 12, 29)),
    case("new_year_substitute_2022", date(2021, 12, 31), 1, WD, date(2022, 1, 4)),  # Fri -> Tue
    # 25 December 2022 is a Sunday: Boxing Day Monday 26, Christmas substitute Tuesday 27.
    case("christmas_on_sunday_2022", date(2022, 12, 23), 1, WD, date(2022, 12, 28)),  # -> Wed
    # One-off bank holidays that only the GOV.UK data knows about in this form.
    case("one_off_2022_jubilee", date(2022, 6, 1), 1, WD, date(2022, 6, 6)),  # Wed -> Mon
    case("queen_funeral_2022", date(2022, 9, 16), 1, WD, date(2022, 9, 20)),  # Fri -> Tue
    case("coronation_2023", date(2023, 5, 5), 1, WD, date(2023, 5, 9)),  # Fri -> Tue
    case("ve_day_2020_moved_holiday", date(2020, 5, 7), 1, WD, date(2020, 5, 11)),  # Thu -> Mon
    case("ve_day_2020_normal_monday", date(2020, 5, 1), 1, WD, date(2020, 5, 4)),  # Fri -> Mon
    case("diamond_jubilee_2012", date(2012, 6, 1), 1, WD, date(2012, 6, 6)),  # Fri -> Wed
    case("leap_day_2028", date(2028, 2, 25), 2, WD, date(2028, 2, 29)),  # Fri -> Tue
    # Outside the bundled GOV.UK data (2012-2028) the holidays package's rules apply.
    case("beyond_bundled_data_2030", date(2030, 4, 18), 1, WD, date(2030, 4, 23)),  # -> Tue
    case("beyond_bundled_data_2029_christmas", date(2029, 12, 24), 1, WD, date(2029, 12, 27)),
    case("before_bundled_data_2011_wedding", date(2011, 4, 28), 1, WD, date(2011, 5, 3)),
    case("across_end_of_bundled_data", date(2028, 12, 22), 5, WD, date(2029, 1, 3)),  # -> Wed
    # Calendar days: counted straight, then moved on if the day is not a working day.
    case("calendar_lands_on_working_day", date(2026, 6, 1), 30, CD, date(2026, 7, 1)),  # Wed
    case("calendar_lands_on_saturday", date(2026, 6, 1), 5, CD, date(2026, 6, 8)),  # lands Sat
    case("calendar_lands_on_sunday", date(2026, 6, 1), 6, CD, date(2026, 6, 8)),  # lands Sun
    case("calendar_lands_on_christmas", date(2026, 11, 25), 30, CD, date(2026, 12, 29)),  # Tue
    case("calendar_lands_on_good_friday", date(2026, 3, 27), 7, CD, date(2026, 4, 7)),  # Tue
    case("calendar_lands_on_easter_monday", date(2026, 3, 30), 7, CD, date(2026, 4, 7)),  # Tue
    case("calendar_zero_days_on_working_day", date(2026, 6, 2), 0, CD, date(2026, 6, 2)),
    case("calendar_zero_days_on_sunday", date(2026, 6, 7), 0, CD, date(2026, 6, 8)),
    case("calendar_lands_on_new_year", date(2026, 12, 4), 28, CD, date(2027, 1, 4)),  # lands Fri
    case("calendar_leap_year", date(2028, 2, 1), 28, CD, date(2028, 2, 29)),  # Tue
    case("calendar_not_leap_year", date(2027, 2, 1), 28, CD, date(2027, 3, 1)),  # Mon
    case("calendar_coronation_2023", date(2023, 4, 24), 14, CD, date(2023, 5, 9)),  # Mon -> Tue
    case("calendar_christmas_on_saturday", date(2027, 12, 11), 14, CD, date(2027, 12, 29)),
    case("calendar_beyond_bundled_data_2030", date(2030, 12, 18), 7, CD, date(2030, 12, 27)),
]


@pytest.mark.parametrize(("start", "amount", "unit", "expected"), DUE_DATE_CASES)
def test_due_date(start: date, amount: int, unit: str, expected: date) -> None:
    assert due_date(start, amount, unit) == expected


@pytest.mark.parametrize(("start", "amount", "unit", "expected"), DUE_DATE_CASES)
def test_due_date_matches_the_direct_functions(
    start: date, amount: int, unit: str, expected: date
) -> None:
    direct = add_working_days if unit == WD else add_calendar_days
    assert direct(start, amount) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 1, 1), False, id="new_years_day_2026"),
        pytest.param(date(2026, 4, 3), False, id="good_friday_2026"),
        pytest.param(date(2026, 4, 6), False, id="easter_monday_2026"),
        pytest.param(date(2026, 5, 4), False, id="early_may_2026"),
        pytest.param(date(2026, 5, 25), False, id="spring_2026"),
        pytest.param(date(2026, 8, 31), False, id="summer_2026"),
        pytest.param(date(2026, 12, 25), False, id="christmas_2026"),
        pytest.param(date(2026, 12, 28), False, id="boxing_day_substitute_2026"),
        pytest.param(date(2026, 12, 24), True, id="christmas_eve_2026"),
        pytest.param(date(2026, 12, 31), True, id="new_years_eve_2026"),
        pytest.param(date(2027, 12, 25), False, id="christmas_on_saturday_2027"),
        pytest.param(date(2027, 12, 27), False, id="christmas_substitute_2027"),
        pytest.param(date(2027, 12, 28), False, id="boxing_day_substitute_2027"),
        pytest.param(date(2022, 6, 3), False, id="one_off_2022_jubilee"),
        pytest.param(date(2022, 9, 19), False, id="queen_funeral_2022"),
        pytest.param(date(2023, 5, 8), False, id="coronation_2023"),
        pytest.param(date(2020, 5, 8), False, id="ve_day_2020"),
        pytest.param(date(2020, 5, 4), True, id="first_monday_of_may_2020_moved"),
        pytest.param(date(2030, 4, 19), False, id="good_friday_2030"),
        pytest.param(date(2029, 12, 31), True, id="monday_31_december_2029"),
        pytest.param(date(2033, 1, 3), False, id="new_year_substitute_2033"),
        pytest.param(date(2026, 1, 10), False, id="saturday"),
        pytest.param(date(2026, 1, 11), False, id="sunday"),
        pytest.param(date(2026, 1, 14), True, id="ordinary_wednesday"),
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    assert is_working_day(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 1, 14), date(2026, 1, 14), id="working_day_is_itself"),
        pytest.param(date(2026, 1, 10), date(2026, 1, 12), id="saturday"),
        pytest.param(date(2026, 4, 3), date(2026, 4, 7), id="good_friday_to_tuesday"),
        pytest.param(date(2027, 12, 25), date(2027, 12, 29), id="christmas_on_saturday"),
    ],
)
def test_next_working_day(day: date, expected: date) -> None:
    assert next_working_day(day) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(date(2026, 1, 12), date(2026, 1, 12), 0, id="same_day"),
        pytest.param(date(2026, 1, 19), date(2026, 1, 12), 0, id="end_before_start"),
        pytest.param(date(2026, 1, 12), date(2026, 1, 16), 4, id="monday_to_friday"),
        pytest.param(date(2026, 1, 9), date(2026, 1, 12), 1, id="friday_to_monday"),
        pytest.param(date(2026, 1, 10), date(2026, 1, 11), 0, id="weekend_only"),
        pytest.param(date(2026, 3, 31), date(2026, 4, 30), 20, id="april_2026"),
        pytest.param(date(2026, 12, 18), date(2027, 1, 20), 20, id="over_christmas_2026"),
        # 2026 has 261 weekdays and 8 weekday bank holidays.
        pytest.param(date(2025, 12, 31), date(2026, 12, 31), 253, id="whole_year_2026"),
    ],
)
def test_count_working_days_between(start: date, end: date, expected: int) -> None:
    assert count_working_days_between(start, end) == expected


def test_bank_holidays_between_lists_titles_in_order() -> None:
    assert bank_holidays_between(date(2026, 12, 18), date(2027, 1, 20)) == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day (substitute day)"),
        (date(2027, 1, 1), "New Year's Day"),
    ]


def test_bank_holidays_between_excludes_start_and_includes_end() -> None:
    assert bank_holidays_between(date(2026, 4, 3), date(2026, 4, 6)) == [
        (date(2026, 4, 6), "Easter Monday"),
    ]
    assert bank_holidays_between(date(2026, 4, 6), date(2026, 4, 3)) == []


def test_bundled_data_is_authoritative_for_one_off_days() -> None:
    titles = dict(bank_holidays_between(date(2022, 1, 1), date(2023, 12, 31)))
    assert titles[date(2022, 6, 3)] == "Platinum Jubilee bank holiday"
    assert titles[date(2022, 9, 19)] == "Bank Holiday for the State Funeral of Queen Elizabeth II"
    assert titles[date(2023, 5, 8)] == "Bank holiday for the coronation of King Charles III"
    assert titles[date(2022, 12, 27)] == "Christmas Day (substitute day)"


def test_rule_based_years_use_gov_uk_style_titles_and_skip_weekend_dates() -> None:
    assert bank_holidays_between(date(2032, 12, 31), date(2033, 12, 31)) == [
        (date(2033, 1, 3), "New Year's Day (substitute day)"),
        (date(2033, 4, 15), "Good Friday"),
        (date(2033, 4, 18), "Easter Monday"),
        (date(2033, 5, 2), "Early May bank holiday"),
        (date(2033, 5, 30), "Spring bank holiday"),
        (date(2033, 8, 29), "Summer bank holiday"),
        (date(2033, 12, 26), "Boxing Day"),
        (date(2033, 12, 27), "Christmas Day (substitute day)"),
    ]


def test_explain_working_days_names_rule_start_skipped_holidays_and_result() -> None:
    text = explain_due_date(date(2026, 12, 18), 20, WD)
    assert text == (
        "Counting only Mondays to Fridays that are not England and Wales bank holidays, "
        "20 working days after Friday 18 December 2026 (not counting that day) is "
        "Wednesday 20 January 2027, skipping weekends and 3 bank holidays (Christmas Day "
        "25 December 2026, Boxing Day (substitute day) 28 December 2026, New Year's Day "
        "1 January 2027)."
    )


@pytest.mark.parametrize(
    ("start", "amount", "fragments"),
    [
        pytest.param(
            date(2026, 1, 12),
            1,
            ["1 working day after Monday 12 January 2026", "no weekend or bank holiday"],
            id="nothing_skipped",
        ),
        pytest.param(
            date(2026, 1, 9),
            1,
            ["is Monday 12 January 2026, skipping the weekend."],
            id="one_weekend",
        ),
        pytest.param(
            date(2026, 4, 2),
            1,
            ["the weekend and 2 bank holidays (Good Friday 3 April 2026, Easter Monday"],
            id="easter",
        ),
    ],
)
def test_explain_working_days_fragments(start: date, amount: int, fragments: list[str]) -> None:
    text = explain_due_date(start, amount, WD)
    for fragment in fragments:
        assert fragment in text


def test_explain_calendar_days_on_a_working_day() -> None:
    assert explain_due_date(date(2026, 6, 1), 30, CD) == (
        "30 calendar days after Monday 1 June 2026 is Wednesday 1 July 2026, "
        "which is a working day, so that is the due date."
    )


def test_explain_calendar_days_moved_past_a_weekend() -> None:
    assert explain_due_date(date(2026, 6, 1), 5, CD) == (
        "5 calendar days after Monday 1 June 2026 is Saturday 6 June 2026, which is not a "
        "working day because it is a Saturday, so the due date moves past the weekend to the "
        "next working day, Monday 8 June 2026."
    )


def test_explain_calendar_days_moved_past_bank_holidays() -> None:
    text = explain_due_date(date(2026, 11, 25), 30, CD)
    assert "is Friday 25 December 2026" in text
    assert "because it is a bank holiday (Christmas Day)" in text
    assert "Boxing Day (substitute day) 28 December 2026" in text
    assert text.endswith("to the next working day, Tuesday 29 December 2026.")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda: add_working_days(date(2026, 1, 1), 0), "at least 1", id="wd_zero"),
        pytest.param(lambda: add_working_days(date(2026, 1, 1), -3), "at least 1", id="wd_neg"),
        pytest.param(lambda: add_calendar_days(date(2026, 1, 1), -1), "at least 0", id="cd_neg"),
        pytest.param(lambda: due_date(date(2026, 1, 1), 0, WD), "at least 1", id="due_wd_zero"),
        pytest.param(lambda: due_date(date(2026, 1, 1), 5, "weeks"), "unknown unit", id="unit"),
        pytest.param(lambda: due_date(date(2026, 1, 1), 5, "Working_Days"), "unknown", id="case"),
        pytest.param(
            lambda: explain_due_date(date(2026, 1, 1), 5, "months"), "unknown", id="explain_unit"
        ),
    ],
)
def test_value_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: is_working_day(datetime(2026, 1, 1, 9, tzinfo=UTC)), id="datetime"),
        pytest.param(lambda: is_working_day("2026-01-01"), id="string"),
        pytest.param(lambda: add_working_days(date(2026, 1, 1), 1.5), id="float_days"),
        pytest.param(lambda: add_working_days(date(2026, 1, 1), True), id="bool_days"),
    ],
)
def test_type_errors(call: Callable[[], object]) -> None:
    with pytest.raises(TypeError):
        call()


def test_large_jump_is_fast_and_consistent() -> None:
    start = date(2026, 1, 5)
    add_working_days(start, 10_000)  # load every year's holidays before timing
    began = time.perf_counter()
    result = add_working_days(start, 10_000)
    elapsed = time.perf_counter() - began
    assert count_working_days_between(start, result) == 10_000
    assert is_working_day(result)
    assert elapsed < 0.01


@pytest.mark.parametrize("frozen", ["1999-01-01", "2026-06-15", "2099-12-31"])
def test_answers_do_not_depend_on_the_clock(frozen: str) -> None:
    with freeze_time(frozen):
        assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
        assert add_calendar_days(date(2030, 12, 18), 7) == date(2030, 12, 27)


def test_bundled_data_is_loaded_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import requests

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("engine.workdays tried to use the network")

    monkeypatch.setattr(requests, "get", no_network)
    monkeypatch.setattr(requests.Session, "request", no_network)
    workdays._bundled.cache_clear()
    workdays._year.cache_clear()
    assert not is_working_day(date(2022, 6, 3))


def test_import_is_cheap() -> None:
    probe = (
        "import sys, engine.workdays; "
        "loaded = {'holidays', 'govuk_bank_holidays', 'requests'} & set(sys.modules); "
        "sys.exit(sorted(loaded) or 0)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr


# --- counting back: papers to a panel N working days before a meeting ---------------------

# Each expected date worked out by hand against a calendar; weekdays noted in comments.
BEFORE_CASES = [
    case("back_within_a_week", date(2026, 3, 19), 3, WD, date(2026, 3, 16)),  # Thu -> Mon
    case("back_over_a_weekend", date(2026, 3, 17), 3, WD, date(2026, 3, 12)),  # Tue -> Thu
    case("back_from_a_monday", date(2026, 3, 16), 1, WD, date(2026, 3, 13)),  # Mon -> Fri
    case("back_five_is_a_week", date(2026, 3, 16), 5, WD, date(2026, 3, 9)),  # Mon -> Mon
    case("back_from_saturday", date(2026, 3, 14), 1, WD, date(2026, 3, 13)),  # Sat -> Fri
    case("back_from_sunday", date(2026, 3, 15), 3, WD, date(2026, 3, 11)),  # Sun -> Wed
    case("back_ten", date(2026, 3, 27), 10, WD, date(2026, 3, 13)),  # Fri -> Fri
    # Easter 2026: Good Friday 3 April and Easter Monday 6 April are skipped.
    case("back_over_easter", date(2026, 4, 9), 3, WD, date(2026, 4, 2)),  # Thu -> Thu
    case("back_from_easter_tuesday", date(2026, 4, 7), 1, WD, date(2026, 4, 2)),  # -> Thu
    case("back_from_easter_monday", date(2026, 4, 6), 1, WD, date(2026, 4, 2)),  # hol -> Thu
    case("back_over_easter_2027", date(2027, 3, 31), 3, WD, date(2027, 3, 24)),  # Wed -> Wed
    # Christmas 2026: Fri 25 and the Boxing Day substitute Mon 28 December are skipped.
    case("back_over_christmas_2026", date(2026, 12, 30), 3, WD, date(2026, 12, 23)),  # -> Wed
    case("back_from_boxing_substitute", date(2026, 12, 28), 1, WD, date(2026, 12, 24)),
    # Year end: New Year's Day 2027 is a Friday; Mon 4 January 2027 back over both holidays.
    case("back_over_new_year", date(2027, 1, 5), 3, WD, date(2026, 12, 30)),  # Tue -> Wed
    case("back_over_year_end_and_christmas", date(2027, 1, 6), 6, WD, date(2026, 12, 24)),
    # Christmas 2027 on a Saturday: substitutes Mon 27 and Tue 28 December.
    case("back_over_christmas_2027", date(2027, 12, 29), 2, WD, date(2027, 12, 23)),  # Wed -> Thu
    case("back_over_early_may", date(2026, 5, 6), 3, WD, date(2026, 4, 30)),  # Wed -> Thu
    case("back_across_bundled_data", date(2029, 1, 3), 5, WD, date(2028, 12, 22)),  # -> Fri
    # Calendar days back: counted straight, then moved back to the working day before.
    case("back_calendar_on_a_working_day", date(2026, 3, 19), 3, CD, date(2026, 3, 16)),
    case("back_calendar_lands_on_sunday", date(2026, 3, 18), 3, CD, date(2026, 3, 13)),  # Fri
    case("back_calendar_lands_on_easter_monday", date(2026, 4, 9), 3, CD, date(2026, 4, 2)),
    case("back_calendar_lands_on_new_year", date(2027, 1, 4), 3, CD, date(2026, 12, 31)),
    case("back_calendar_zero_on_sunday", date(2026, 3, 15), 0, CD, date(2026, 3, 13)),
]


@pytest.mark.parametrize(("start", "amount", "unit", "expected"), BEFORE_CASES)
def test_counting_back(start: date, amount: int, unit: str, expected: date) -> None:
    direct = workdays.subtract_working_days if unit == WD else workdays.subtract_calendar_days
    assert direct(start, amount) == expected
    if amount:  # due_date takes a negative amount as "before"
        assert due_date(start, -amount, unit) == expected
    assert is_working_day(expected)


@pytest.mark.parametrize(
    ("start", "amount", "unit", "expected"),
    [p for p in BEFORE_CASES if p.values[2] == WD],
)
def test_counting_back_then_forward_returns_to_the_start_if_it_is_a_working_day(
    start: date, amount: int, unit: str, expected: date
) -> None:
    assert count_working_days_between(expected, start) == amount - (not is_working_day(start))
    if is_working_day(start):
        assert add_working_days(expected, amount) == start


def test_previous_working_day() -> None:
    assert workdays.previous_working_day(date(2026, 3, 13)) == date(2026, 3, 13)  # Fri
    assert workdays.previous_working_day(date(2026, 3, 15)) == date(2026, 3, 13)  # Sun -> Fri
    assert workdays.previous_working_day(date(2026, 12, 28)) == date(2026, 12, 24)
    assert workdays.previous_working_day(date(2027, 1, 1)) == date(2026, 12, 31)


def test_explain_counting_back_over_easter() -> None:
    assert explain_due_date(date(2026, 4, 9), -3, WD) == (
        "Counting back only Mondays to Fridays that are not England and Wales bank holidays, "
        "3 working days before Thursday 9 April 2026 (not counting that day) is Thursday "
        "2 April 2026, skipping the weekend and 2 bank holidays (Good Friday 3 April 2026, "
        "Easter Monday 6 April 2026)."
    )


def test_explain_counting_back_with_nothing_to_skip() -> None:
    assert explain_due_date(date(2026, 3, 19), -3, WD).endswith(
        "is Monday 16 March 2026, with no weekend or bank holiday to skip."
    )


def test_explain_calendar_days_back_to_the_working_day_before() -> None:
    assert explain_due_date(date(2026, 3, 9), -2, CD) == (
        "2 calendar days before Monday 9 March 2026 is Saturday 7 March 2026, which is not a "
        "working day because it is a Saturday, so the due date moves back past the weekend "
        "to the working day before, Friday 6 March 2026."
    )


def test_explain_a_date_given_that_is_a_bank_holiday() -> None:
    # A recommendation due on Christmas Day 2026 falls due on the next working day.
    assert explain_due_date(date(2026, 12, 25), 0, CD) == (
        "The date set is Friday 25 December 2026, which is not a working day because it is a "
        "bank holiday (Christmas Day), so the due date moves past the weekend and 2 bank "
        "holidays (Christmas Day 25 December 2026, Boxing Day (substitute day) 28 December "
        "2026) to the next working day, Tuesday 29 December 2026."
    )
    assert explain_due_date(date(2026, 6, 5), 0, CD) == (
        "The date set is Friday 5 June 2026, which is a working day, so that is the due date."
    )


@pytest.mark.parametrize(
    ("call", "error"),
    [
        pytest.param(lambda: workdays.subtract_working_days(date(2026, 1, 1), 0), ValueError),
        pytest.param(lambda: workdays.subtract_working_days(date(2026, 1, 1), -2), ValueError),
        pytest.param(lambda: workdays.subtract_calendar_days(date(2026, 1, 1), -1), ValueError),
        pytest.param(lambda: workdays.subtract_working_days(date(2026, 1, 1), 1.0), TypeError),
        pytest.param(lambda: due_date(date(2026, 1, 1), 2.5, WD), TypeError),
        pytest.param(lambda: due_date(date(2026, 1, 1), True, WD), TypeError),
        pytest.param(lambda: due_date(date(2026, 1, 1), -3, "weeks"), ValueError),
        pytest.param(
            lambda: workdays.previous_working_day(datetime(2026, 1, 1, tzinfo=UTC)), TypeError
        ),
    ],
)
def test_counting_back_refuses_bad_arguments(call: Callable[[], object], error: type) -> None:
    with pytest.raises(error):
        call()
