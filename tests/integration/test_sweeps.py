"""The deadline sweep: each reminder and escalation on its day, once; catch-up after downtime."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine, text, update
from sqlmodel import col, select

from engine import sweeps
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.machine import fire_trigger, load_case
from engine.models import Deadline, DeadlineSchedule, OutboxMessage
from engine.models.case import PLAN_ON_NEXT_SWEEP
from engine.settings import Settings
from engine.sweeps import sweep_batch, sweep_deadlines
from notifications.worker import build_worker, schedule
from tests.factories import StaffMember, make_case, make_staff

Row = tuple[date, str, str, str, str]


def _new_rows(sessions: SessionFactory, seen: set[int], today: date) -> list[Row]:
    with sessions() as s:
        rows = s.exec(
            select(OutboxMessage, Deadline)
            .join(Deadline, col(Deadline.id) == OutboxMessage.deadline_id)
            .order_by(col(OutboxMessage.id))
        ).all()
    fresh = [
        (today, d.name, m.step or "", m.recipient, m.status) for m, d in rows if m.id not in seen
    ]
    seen.update(m.id for m, _ in rows if m.id is not None)
    return fresh


def _fire(
    sessions: SessionFactory, clock: FixedClock, ref: str, trigger: str, who: StaffMember, **data
) -> None:
    with sessions() as s:
        case = load_case(s, ref)
        fire_trigger(
            s,
            clock=clock,
            case_ref=ref,
            trigger=trigger,
            data=data or None,
            actor=who.actor,
            expected_version=case.version,
        )


def test_each_reminder_and_escalation_goes_out_on_its_own_working_day(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        make_case(s, clock, email="val@example.org")  # Mon 2 Mar 2026, Leicester
    seen: set[int] = set()
    log: list[Row] = []
    for _ in range(28):
        sweep_deadlines(session_factory, clock=clock)
        log += _new_rows(session_factory, seen, clock.today())
        clock.advance(days=1)
    d = date
    assert log == [
        (d(2026, 3, 2), "acknowledgement", "remind_2", "contact@example.org", "pending"),
        (d(2026, 3, 3), "acknowledgement", "remind_0", "contact@example.org", "pending"),
        (d(2026, 3, 4), "acknowledgement", "overdue_0", "manager@example.org", "pending"),
        (d(2026, 3, 11), "acknowledgement", "overdue_5", "manager@example.org", "pending"),
        (d(2026, 3, 12), "threshold_decision", "remind_2", "jag@example.org", "pending"),
        (d(2026, 3, 16), "threshold_decision", "remind_0", "jag@example.org", "pending"),
        (d(2026, 3, 17), "threshold_decision", "overdue_0", "manager@example.org", "pending"),
        (d(2026, 3, 17), "threshold_decision", "overdue_0", "val@example.org", "pending"),
        (d(2026, 3, 24), "threshold_decision", "overdue_5", "manager@example.org", "pending"),
    ]


def test_a_worker_back_after_a_fortnight_sends_only_what_is_due_now_once(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        make_case(s, clock, email="val@example.org")
    sweep_deadlines(session_factory, clock=clock)
    seen: set[int] = set()
    _new_rows(session_factory, seen, clock.today())
    clock.advance(days=18)  # Fri 20 Mar: every tick in between was missed

    assert sweep_deadlines(session_factory, clock=clock) == 2
    assert sweep_deadlines(session_factory, clock=clock) == 0
    fresh = _new_rows(session_factory, seen, clock.today())
    pending = [(name, step, to) for _, name, step, to, status in fresh if status == "pending"]
    assert pending == [
        ("acknowledgement", "overdue_5", "manager@example.org"),
        ("threshold_decision", "overdue_0", "manager@example.org"),
        ("threshold_decision", "overdue_0", "val@example.org"),
    ]
    skipped = sorted((name, step) for _, name, step, _, status in fresh if status == "cancelled")
    assert skipped == [
        ("acknowledgement", "overdue_0"),
        ("acknowledgement", "remind_0"),
        ("threshold_decision", "remind_0"),
        ("threshold_decision", "remind_2"),
    ]


def test_reminders_queued_before_the_case_moved_on_are_cancelled_by_the_sweep(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
    sweep_deadlines(session_factory, clock=clock)
    _fire(session_factory, clock, done.reference, "acknowledge", staff["contact"])
    sweep_deadlines(session_factory, clock=clock)
    with session_factory() as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.step == "remind_2")).one()
    assert row.status == "cancelled"
    assert "closed (met) by acknowledge" in (row.reason or "")


def test_a_missed_promise_is_told_to_the_applicant_by_post_when_they_asked_for_post(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        make_case(
            s,
            clock,
            contact_preference="post",
            applicant={"name": "Val", "address": "1 High St, Leicester", "role": "victim"},
        )
    clock.set(clock.now().replace(day=17))  # Tue 17 Mar: the threshold decision was missed
    sweep_deadlines(session_factory, clock=clock)
    with session_factory() as s:
        [told] = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.recipient_role == "applicant", col(OutboxMessage.deadline_id) > 0
            )
        ).all()
    assert (told.message, told.channel, told.recipient) == (
        "promise_missed",
        "letter",
        "1 High St, Leicester",
    )


def test_the_contact_is_told_when_the_appeal_window_has_passed(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
    _fire(session_factory, clock, done.reference, "acknowledge", staff["contact"])
    _fire(
        session_factory,
        clock,
        done.reference,
        "threshold_not_met",
        staff["jag_chair"],
        reasons="The incidents were not reported within a month.",
        override_reason="The reports were late.",
    )
    with session_factory() as s:
        window = s.exec(select(Deadline).where(Deadline.name == "appeal_window")).one()
    assert window.due_on == date(2026, 3, 30)  # 20 working days after Mon 2 Mar
    clock.set(clock.now().replace(day=30))
    sweep_deadlines(session_factory, clock=clock)
    with session_factory() as s:
        assert (
            s.exec(select(OutboxMessage).where(OutboxMessage.deadline_id == window.id)).all() == []
        )
    clock.advance(days=1)
    sweep_deadlines(session_factory, clock=clock)
    with session_factory() as s:
        [told] = s.exec(select(OutboxMessage).where(OutboxMessage.deadline_id == window.id)).all()
    assert (told.message, told.recipient) == ("appeal_window_passed", "contact@example.org")


def test_a_sweep_reads_only_deadlines_whose_next_action_has_come(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        for _ in range(3):
            make_case(s, clock)
    with session_factory() as s:
        assert sweep_batch(s, clock=clock) == (6, 3)  # planned once: 3 reminders now due
        assert sweep_batch(s, clock=clock) == (0, 0)  # nothing is read again until its day
    with session_factory() as s:
        planned = dict(
            s.exec(
                select(Deadline.name, DeadlineSchedule.next_action_on).join(
                    DeadlineSchedule, col(DeadlineSchedule.deadline_id) == Deadline.id
                )
            ).all()
        )
    assert planned == {"acknowledgement": date(2026, 3, 3), "threshold_decision": date(2026, 3, 12)}


def test_the_worker_schedules_one_interval_job_per_sweep_and_never_one_per_deadline(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    settings = Settings(sweep_interval_seconds=60)
    scheduler = schedule(
        build_worker(settings, session_factory, clock=clock), settings, blocking=False
    )
    jobs = {j.id: j for j in scheduler.get_jobs()}
    # Privacy's two jobs are periodic too: equalities released every sweep, retention hourly.
    assert set(jobs) == {
        "deadline_sweep",
        "outbox_dispatch",
        "form_session_purge",
        "equalities_release",
        "retention",
    }
    assert jobs["deadline_sweep"].trigger.interval.total_seconds() == 60
    assert jobs["equalities_release"].trigger.interval.total_seconds() == 60
    assert jobs["retention"].trigger.interval.total_seconds() == 3600
    assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())


def test_every_deadline_opened_gets_a_schedule_row_planned_at_the_next_sweep(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        case = make_case(s, clock)
    _fire(session_factory, clock, case.reference, "acknowledge", staff["contact"])
    with session_factory() as s:
        rows = s.exec(
            select(Deadline.name, Deadline.status, DeadlineSchedule.next_action_on)
            .join(DeadlineSchedule, col(DeadlineSchedule.deadline_id) == Deadline.id, isouter=True)
            .order_by(col(Deadline.id))
        ).all()
    # None has been swept yet: the open one waits for the next sweep to plan it; the met
    # one has no next action (and a row, so the ledger can show the steps it had done).
    assert rows == [
        ("acknowledgement", "met", None),
        ("threshold_decision", "open", PLAN_ON_NEXT_SWEEP),
    ]


def _schedule(sessions: SessionFactory) -> dict[str, date | None]:
    with sessions() as s:
        return dict(
            s.exec(
                select(Deadline.name, DeadlineSchedule.next_action_on).join(
                    DeadlineSchedule, col(DeadlineSchedule.deadline_id) == Deadline.id
                )
            ).all()
        )


def test_closing_a_deadline_ends_its_schedule_in_the_same_transaction(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        case = make_case(s, clock)
    assert sweep_deadlines(session_factory, clock=clock) == 1  # the 2-day reminder queued
    before = _schedule(session_factory)
    assert before["acknowledgement"] is not None
    _fire(session_factory, clock, case.reference, "acknowledge", staff["contact"])
    after = _schedule(session_factory)
    assert after["acknowledgement"] is None  # met: the sweep will never read it
    assert after["threshold_decision"] == before["threshold_decision"]
    clock.advance(days=30)
    with session_factory() as s:
        read, _ = sweep_batch(s, clock=clock)
    assert read == 1  # only the open threshold decision


def test_a_deadline_closed_without_its_schedule_is_cleared_by_the_sweep_once(
    session_factory: SessionFactory, clock: FixedClock, db_engine: Engine
) -> None:
    """A deadline closed by hand in the database (or by an older version) still has a date:
    the sweep reads it once when that date comes, queues nothing, and clears it."""
    with session_factory() as s:
        make_staff(s, clock)
        make_case(s, clock)
    assert sweep_deadlines(session_factory, clock=clock) == 1
    next_on = _schedule(session_factory)["acknowledgement"]
    assert next_on is not None and next_on > clock.today()
    with db_engine.begin() as conn:
        conn.execute(
            update(Deadline).where(col(Deadline.name) == "acknowledgement").values(status="met")
        )
    clock.advance(days=(next_on - clock.today()).days)
    with session_factory() as s:
        assert sweep_batch(s, clock=clock) == (1, 0)  # read, nothing queued
        assert sweep_batch(s, clock=clock) == (0, 0)
        steps = s.exec(select(OutboxMessage.step)).all()
    assert _schedule(session_factory)["acknowledgement"] is None
    assert [step for step in steps if step] == ["remind_2"]


def test_each_reminder_row_has_its_exact_context_and_unique_key(
    session_factory: SessionFactory, clock: FixedClock, db_engine: Engine
) -> None:
    """The rows are assembled from a deadline's own parts and its plan's shared parts (on
    PostgreSQL by the database): the text must be what json.dumps gives for the whole."""
    with session_factory() as s:
        staff = make_staff(s, clock)
        first = make_case(s, clock, email="val@example.org")
        second = make_case(s, clock, email="sam@example.org")
    clock.advance(days=15)  # Tue 17 Mar: threshold decisions overdue, applicants told too
    sweep_deadlines(session_factory, clock=clock)
    with db_engine.connect() as conn:  # the stored text itself, not a parsed value
        rows = conn.execute(
            text(
                "SELECT o.case_id, o.deadline_id, o.step, o.recipient_role, o.recipient,"
                " o.idempotency_key, CAST(o.context AS TEXT), c.reference, d.name"
                " FROM outbox_message o JOIN case_record c ON c.id = o.case_id"
                " JOIN deadline d ON d.id = o.deadline_id WHERE o.status = 'pending'"
                " ORDER BY o.id"
            )
        ).all()
    users = {member.email: member.actor.user_id for member in staff.values()}
    seen = set()
    for case_id, deadline_id, step, role, recipient, key, context, reference, name in rows:
        who = "applicant" if role == "applicant" else f"u{users[recipient]}"
        assert key == f"reminder:{case_id}:{deadline_id}:{step}:{role}:{who}"
        assert json.loads(context)["reference"] == reference
        assert json.loads(context)["deadline"] == name
        assert context == json.dumps(json.loads(context))  # json.dumps's own spacing
        seen.add((reference, name, step, role))
    # Caught up after a fortnight: the latest step of each clock, once, per recipient.
    assert seen == {
        (ref, name, step, role)
        for ref in (first.reference, second.reference)
        for name, step, role in (
            ("acknowledgement", "overdue_5", "manager"),
            ("threshold_decision", "overdue_0", "manager"),
            ("threshold_decision", "overdue_0", "applicant"),
        )
    }


def test_a_sweep_that_fails_part_way_moves_nothing_and_queues_nothing(
    session_factory: SessionFactory, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the moves and the outbox INSERT go together in pipeline mode: an error
    in the INSERT must still come out, and the transaction must leave no trace."""
    with session_factory() as s:
        make_staff(s, clock)
        make_case(s, clock)
    before = _schedule(session_factory)
    build = sweeps._Batch._build_outbox

    def broken(self: sweeps._Batch) -> None:
        build(self)
        self.outbox.append((*self.outbox[0][:1], 10**9, *self.outbox[0][2:]))  # no such deadline

    monkeypatch.setattr(sweeps._Batch, "_build_outbox", broken)
    with session_factory() as s, pytest.raises(Exception, match="foreign key|FOREIGN KEY"):
        sweep_batch(s, clock=clock)
    assert _schedule(session_factory) == before
    with session_factory() as s:
        assert (
            s.exec(select(OutboxMessage.step).where(col(OutboxMessage.step).is_not(None))).all()
            == []
        )
