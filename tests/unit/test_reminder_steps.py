"""Every step name a reminder plan makes has words for the managers' pages."""

from __future__ import annotations

from datetime import date

from engine import reminders


def test_each_planned_step_is_worded() -> None:
    policy = reminders.ReminderPolicy(remind_before=(2, 1, 0), escalate_after=(0, 5))
    steps = reminders.plan(date(2026, 3, 12), policy, "contact")
    assert [(s.name, reminders.step_label(s.name)) for s in steps] == [
        ("remind_2", "Reminder, 2 working days before"),
        ("remind_1", "Reminder, 1 working day before"),
        ("remind_0", "Reminder on the day"),
        ("overdue_0", "Escalation when missed"),
        ("overdue_5", "Escalation, 5 working days overdue"),
    ]


def test_a_message_of_no_step_and_an_unknown_step() -> None:
    assert reminders.step_label(None) == "Message"
    assert reminders.step_label("due_soon") == "due soon"
