"""The fault suite, reminders: none is ever dropped. A role nobody holds sends its reminders
to the area's managers, flagged; a step whose day passed while no sweep ran is sent late,
marked late, once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import OutboxMessage
from engine.sweeps import sweep_deadlines
from notifications.outbox import dispatch_once
from tests.factories import make_case, make_staff
from tests.integration.test_outbox import RecordingChannel
from tests.integration.test_staff_managers import signed_in

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

MELTON_FLAG = "nobody holds this role (point of contact) in Melton"


def _reminders(sessions: SessionFactory) -> list[OutboxMessage]:
    with sessions() as s:
        stmt = select(OutboxMessage).where(col(OutboxMessage.step).is_not(None))
        return list(s.exec(stmt.order_by(col(OutboxMessage.id))).all())


def test_a_reminder_for_a_role_nobody_holds_goes_to_the_managers_flagged(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock
) -> None:
    make_staff(session, clock)  # nobody is a point of contact in Melton
    ref = make_case(session, clock, locality="melton").reference
    sweep_deadlines(session_factory, clock=clock)
    [row] = [r for r in _reminders(session_factory) if r.status == "pending"]
    assert (row.step, row.recipient_role, row.recipient) == (
        "remind_2",
        "contact",
        "manager@example.org",
    )
    assert row.reason is not None and MELTON_FLAG in row.reason
    assert json.loads(json.dumps(row.context))["unheld"] == MELTON_FLAG
    channel = RecordingChannel()
    dispatch_once(session_factory, channel=channel, clock=clock, worker="w1")
    [reminder] = [m for m in channel.sent if m.to == "manager@example.org"]
    assert f"You are getting this because {MELTON_FLAG}" in reminder.rendered.text
    assert ref in reminder.rendered.text

    page = signed_in(app, session, clock, "manager@example.org").get("/staff/overdue").text
    assert "Steps nobody holds the role for (1)" in page  # the acknowledgement
    assert ref in page and MELTON_FLAG.capitalize() in page


def test_a_step_whose_day_passed_while_no_sweep_ran_is_sent_late_marked_late_once(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        make_case(s, clock, email="val@example.org")
    sweep_deadlines(session_factory, clock=clock)
    clock.advance(days=17)  # Thu 19 Mar: the threshold decision fell due on Tue 17 Mar
    sweep_deadlines(session_factory, clock=clock)
    sweep_deadlines(session_factory, clock=clock)
    late = [r for r in _reminders(session_factory) if r.context.get("late")]
    assert sorted((r.context["deadline"], r.step, r.recipient) for r in late) == [
        ("acknowledgement", "overdue_5", "manager@example.org"),
        ("threshold_decision", "overdue_0", "manager@example.org"),
        ("threshold_decision", "overdue_0", "val@example.org"),
    ]
    assert all(r.status == "pending" and "sent late" in (r.reason or "") for r in late)
    channel = RecordingChannel()
    dispatch_once(session_factory, channel=channel, clock=clock, worker="w1")
    escalation = next(m for m in channel.sent if "overdue_0" in m.reference)
    assert "This message is late: it should have gone on Tuesday 17 March 2026" in (
        escalation.rendered.text
    )
    clock.advance(days=1)
    sweep_deadlines(session_factory, clock=clock)
    assert len([r for r in _reminders(session_factory) if r.context.get("late")]) == 3


def test_the_applicant_is_told_of_a_missed_promise_even_when_a_later_escalation_is_due(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        make_case(s, clock, email="val@example.org")
    sweep_deadlines(session_factory, clock=clock)
    clock.advance(days=23)  # Wed 25 Mar: both threshold-decision escalations have passed
    sweep_deadlines(session_factory, clock=clock)
    decision = [
        (r.step, r.recipient_role, r.status)
        for r in _reminders(session_factory)
        if r.context["deadline"] == "threshold_decision" and r.step.startswith("overdue")
    ]
    assert sorted(decision) == [
        ("overdue_0", "applicant", "pending"),  # sent late: nobody else tells them
        ("overdue_0", "manager", "cancelled"),  # the later escalation says the same to them
        ("overdue_5", "manager", "pending"),
    ]
