"""A table of (moment of the event, rule) -> due date and reminder days, checked against a
plain day-by-day count over GOV.UK's England and Wales bank holidays.

The moment is frozen with freezegun and read through SystemClock, so the London date at
midnight either side of a clock change is part of what is checked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from engine import registry, reminders, workdays
from engine.clock import SystemClock

# GOV.UK England and Wales bank holidays, written out by hand as the independent oracle.
BANK_HOLIDAYS = {
    date(2024, 1, 1), date(2024, 3, 29), date(2024, 4, 1), date(2024, 5, 6),
    date(2024, 5, 27), date(2024, 8, 26), date(2024, 12, 25), date(2024, 12, 26),
    date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5),
    date(2025, 5, 26), date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26),
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
    date(2026, 5, 25), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
    date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3),
    date(2027, 5, 31), date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28),
    date(2028, 1, 3), date(2028, 4, 14), date(2028, 4, 17), date(2028, 5, 1),
    date(2028, 5, 29), date(2028, 8, 28), date(2028, 12, 25), date(2028, 12, 26),
}  # fmt: skip
DAY = timedelta(days=1)


def working(d: date) -> bool:
    return d.weekday() < 5 and d not in BANK_HOLIDAYS


def step_working(d: date, n: int, direction: int) -> date:
    while n:
        d += direction * DAY
        n -= working(d)
    return d


def oracle_due(start: date, amount: int, unit: str) -> date:
    if unit == "working_days":
        return step_working(start, amount, +1)
    d = start + amount * DAY
    while not working(d):
        d += DAY
    return d


# Moments (UTC) of the event that starts each clock: weekends, bank holidays, Easter,
# Christmas and the year end, and the last hour before and after each clock change.
MOMENTS = {
    "monday_morning": datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    "friday_afternoon": datetime(2026, 3, 6, 16, 0, tzinfo=UTC),
    "saturday": datetime(2026, 3, 7, 12, 0, tzinfo=UTC),
    "sunday_late": datetime(2026, 3, 8, 23, 30, tzinfo=UTC),
    "bst_starts_eve": datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
    "bst_starts_night": datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    "bst_first_midnight": datetime(2026, 3, 29, 23, 30, tzinfo=UTC),
    "before_good_friday": datetime(2026, 4, 2, 9, 0, tzinfo=UTC),
    "easter_monday": datetime(2026, 4, 6, 9, 0, tzinfo=UTC),
    "summer_midnight": datetime(2026, 6, 30, 23, 30, tzinfo=UTC),
    "before_august_holiday": datetime(2026, 8, 28, 15, 0, tzinfo=UTC),
    "bst_ends_night": datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    "bst_ends_evening": datetime(2026, 10, 25, 23, 30, tzinfo=UTC),
    "christmas_eve_2026": datetime(2026, 12, 24, 11, 0, tzinfo=UTC),
    "boxing_day_saturday": datetime(2026, 12, 26, 11, 0, tzinfo=UTC),
    "new_years_eve_2026": datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
    "christmas_week_2025": datetime(2025, 12, 23, 9, 0, tzinfo=UTC),
    "new_years_eve_2025_bst_none": datetime(2025, 12, 31, 12, 0, tzinfo=UTC),
    "bst_ends_2025": datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
    "christmas_on_saturday_2027": datetime(2027, 12, 22, 9, 0, tzinfo=UTC),
}
RULES = (
    "acknowledgement",
    "threshold_decision",
    "review_outcome",
    "appeal_window",
    "appeal_papers",
    "appeal_decision",
)
CASES = [(m, r) for m in MOMENTS for r in RULES]


def test_the_table_has_at_least_a_hundred_cases() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize(("moment", "rule"), CASES, ids=[f"{m}-{r}" for m, r in CASES])
def test_due_date_and_reminder_days(moment: str, rule: str) -> None:
    area = registry.area("llr")
    scale = area.timescale(rule, "leicester")
    with freeze_time(MOMENTS[moment]):
        start = SystemClock().today()
    london = MOMENTS[moment].astimezone(SystemClock().now().tzinfo)
    assert start >= london.date()  # the London date never lags the UTC date it came from
    due = workdays.due_date(start, scale.amount, scale.unit)
    assert due == oracle_due(start, scale.amount, scale.unit)

    policy = area.reminders.policy(rule)
    steps = reminders.plan(due, policy, "contact")
    expected = {f"remind_{n}": step_working(due, n, -1) for n in policy.remind_before}
    expected |= {f"overdue_{k}": step_working(due, k + 1, +1) for k in policy.escalate_after}
    assert {s.name: s.on for s in steps} == expected
    assert all(working(s.on) for s in steps)
    assert _days_a_daily_sweep_sends(steps, start) == {
        name: max(on, start) for name, on in expected.items() if _latest_due(expected, name, start)
    }


def _latest_due(expected: dict[str, date], name: str, start: date) -> bool:
    """A step already past when the clock starts is sent only if it is the latest such."""
    past = [n for n, on in expected.items() if on <= start]
    return name not in past or max(past, key=lambda n: expected[n]) == name


def _days_a_daily_sweep_sends(steps: tuple[reminders.Step, ...], start: date) -> dict[str, date]:
    sent, last = {}, None
    for offset in range(80):
        today = start + offset * DAY
        due = reminders.progress(steps, last, today).due
        if due is not None:
            sent[due.name], last = today, due.name
    return sent


@pytest.mark.parametrize(
    ("start", "amount", "unit", "due"),
    [
        (date(2026, 4, 2), 1, "working_days", date(2026, 4, 7)),  # over Easter
        (date(2026, 12, 24), 1, "working_days", date(2026, 12, 29)),  # Boxing Day substitute
        (date(2027, 12, 24), 1, "working_days", date(2027, 12, 29)),  # both substitutes
        (date(2026, 12, 31), 1, "working_days", date(2027, 1, 4)),  # over New Year
        (date(2026, 3, 2), 14, "calendar_days", date(2026, 3, 16)),
        (date(2026, 3, 20), 14, "calendar_days", date(2026, 4, 7)),  # lands on Good Friday
        (date(2026, 12, 12), 14, "calendar_days", date(2026, 12, 29)),  # lands on Saturday 26th
        (date(2026, 3, 2), 20, "working_days", date(2026, 3, 30)),
        (date(2026, 3, 27), 20, "working_days", date(2026, 4, 28)),  # Easter inside
        (date(2026, 5, 1), 20, "working_days", date(2026, 6, 2)),  # both May holidays
    ],
    ids=[
        "easter",
        "boxing_day_substitute",
        "christmas_on_saturday",
        "new_year",
        "fourteen_days",
        "lands_on_good_friday",
        "lands_on_saturday",
        "twenty_working_days",
        "twenty_over_easter",
        "twenty_over_may",
    ],
)
def test_hand_checked_due_dates_agree_with_the_oracle(
    start: date, amount: int, unit: str, due: date
) -> None:
    assert oracle_due(start, amount, unit) == due
    assert workdays.due_date(start, amount, unit) == due


# The JAG papers clock counts back from the meeting date in the event's data, not forward
# from the day of the event: (meeting date) -> papers due, and the days each reminder and
# escalation falls, across weekends, Easter, Christmas and year ends.
MEETINGS = {
    "thursday": date(2026, 3, 19),
    "monday": date(2026, 3, 16),
    "tuesday_after_weekend": date(2026, 3, 17),
    "friday": date(2026, 3, 20),
    "bst_starts_week": date(2026, 3, 31),
    "thursday_after_easter": date(2026, 4, 9),
    "easter_tuesday": date(2026, 4, 7),
    "wednesday_after_early_may": date(2026, 5, 6),
    "after_spring_holiday": date(2026, 5, 28),
    "after_summer_holiday": date(2026, 9, 2),
    "bst_ends_week": date(2026, 10, 27),
    "christmas_eve_2026": date(2026, 12, 24),
    "between_christmas_and_new_year": date(2026, 12, 30),
    "first_tuesday_2027": date(2027, 1, 5),
    "first_wednesday_2027": date(2027, 1, 6),
    "after_easter_2027": date(2027, 3, 31),
    "christmas_on_saturday_2027": date(2027, 12, 29),
    "new_year_substitute_2028": date(2028, 1, 5),
    "christmas_2025": date(2025, 12, 30),
    "new_year_2026": date(2026, 1, 6),
}


def oracle_papers_due(meeting: date, amount: int, unit: str) -> date:
    if unit == "working_days":
        return step_working(meeting, amount, -1)
    d = meeting - amount * DAY
    while not working(d):
        d -= DAY
    return d


@pytest.mark.parametrize("meeting", list(MEETINGS), ids=list(MEETINGS))
def test_papers_due_before_the_meeting_and_reminder_days(meeting: str) -> None:
    area = registry.area("llr")
    scale = area.timescale("jag_papers", "leicester")
    assert (scale.amount, scale.unit) == (3, "working_days")
    on = MEETINGS[meeting]
    due = workdays.due_date(on, -scale.amount, scale.unit)
    assert due == oracle_papers_due(on, scale.amount, scale.unit)
    assert working(due) and due < on

    policy = area.reminders.policy("jag_papers")
    steps = reminders.plan(due, policy, "jag_chair")
    expected = {f"remind_{n}": step_working(due, n, -1) for n in policy.remind_before}
    expected |= {f"overdue_{k}": step_working(due, k + 1, +1) for k in policy.escalate_after}
    assert {s.name: s.on for s in steps} == expected
    # The one escalation still comes before the meeting: 2 working days before it.
    assert expected["overdue_0"] == step_working(on, 2, -1)
