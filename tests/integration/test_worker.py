"""The worker: deadline reminders queued once, outbox messages sent once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import FormSession, OutboxMessage, StaffSession
from engine.services import auth
from engine.settings import Settings
from engine.sweeps import sweep_deadlines
from notifications.worker import build_worker
from tests.factories import make_case, make_staff
from workflows.community_trigger.services import form_sessions


def _messages(sessions: SessionFactory) -> list[tuple[str, str, str]]:
    with sessions() as s:
        rows = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [(r.message, r.recipient, r.status) for r in rows]


def test_a_due_deadline_is_reminded_once_then_escalated_once_when_missed(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        make_case(s, clock)  # acknowledgement due Tue 3 Mar; threshold decision Mon 16 Mar
    assert sweep_deadlines(session_factory, clock=clock) == 1
    assert sweep_deadlines(session_factory, clock=clock) == 0
    reminders = [m for m in _messages(session_factory) if m[0] == "deadline_reminder"]
    assert reminders == [("deadline_reminder", "contact@example.org", "pending")]

    clock.advance(days=2)  # Wed 4 Mar: the acknowledgement is overdue
    assert sweep_deadlines(session_factory, clock=clock) == 1
    assert sweep_deadlines(session_factory, clock=clock) == 0
    escalations = [m for m in _messages(session_factory) if m[0] == "deadline_overdue_escalation"]
    assert escalations == [("deadline_overdue_escalation", "manager@example.org", "pending")]


def test_dispatch_sends_each_queued_message_once_through_the_log_channel(
    session_factory: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    with session_factory() as s:
        done = make_case(s, clock, email="val@example.org")
    settings = Settings(database_url="sqlite://", outbox_dir=str(tmp_path / "outbox"))
    worker = build_worker(settings, session_factory, clock=clock)
    assert worker.run_once()[1] == 1
    assert worker.run_once()[1] == 0
    assert _messages(session_factory) == [("application_received", "val@example.org", "sent")]
    [written] = (tmp_path / "outbox").iterdir()
    text = written.read_text()
    assert "To: val@example.org" in text
    assert done.reference in text
    assert "not a way to complain about one organisation" in text


def test_the_worker_purges_public_form_answers_left_idle(
    session_factory: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    def answers() -> int:
        with session_factory() as s:
            return s.exec(select(func.count()).select_from(FormSession)).one()

    with session_factory() as s:
        for token in ("idle", "busy"):
            form_sessions.update(
                s,
                clock=clock,
                token=token,
                idle_minutes=60,
                change=lambda a: {**a, "locality": "leicester"},
            )
    settings = Settings(database_url="sqlite://", outbox_dir=str(tmp_path / "outbox"))
    worker = build_worker(settings, session_factory, clock=clock)
    clock.advance(minutes=50)
    with session_factory() as s:
        form_sessions.load(s, clock=clock, token="busy", idle_minutes=60)
    worker.purge()
    assert answers() == 2
    clock.advance(minutes=15)  # "idle" has been left 65 minutes, "busy" 15
    worker.purge()
    assert answers() == 1


def test_the_worker_purges_expired_staff_sessions(
    session_factory: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    def sessions() -> int:
        with session_factory() as s:
            return s.exec(select(func.count()).select_from(StaffSession)).one()

    with session_factory() as s:
        make_staff(s, clock)
        auth.set_password(s, clock=clock, email="contact@example.org", password="long-password-1")
        auth.check_password(s, clock=clock, email="contact@example.org", password="long-password-1")
    assert sessions() == 1
    settings = Settings(database_url="sqlite://", outbox_dir=str(tmp_path / "outbox"))
    worker = build_worker(settings, session_factory, clock=clock)
    worker.purge()
    assert sessions() == 1
    clock.advance(hours=1)  # a first-factor session lasts minutes, never an hour
    worker.purge()
    assert sessions() == 0


def test_the_worker_purges_staff_drafts_nobody_came_back_for(
    session_factory: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    from engine.models import StaffDraft
    from engine.services import staff_drafts

    def drafts() -> int:
        with session_factory() as s:
            return s.exec(select(func.count()).select_from(StaffDraft)).one()

    with session_factory() as s:
        staff = make_staff(s, clock)
        user_id = staff["contact"].actor.user_id
        kept = staff_drafts.keep(
            s, clock=clock, user_id=user_id, path="/staff/x", fields=[("note", "Half a note")]
        )
    assert kept is not None and drafts() == 1
    settings = Settings(database_url="sqlite://", outbox_dir=str(tmp_path / "outbox"))
    worker = build_worker(settings, session_factory, clock=clock)
    worker.purge()
    assert drafts() == 1
    clock.advance(hours=9)  # kept for 8 hours
    worker.purge()
    assert drafts() == 0
