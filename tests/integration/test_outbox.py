"""The outbox: leases, retries with back-off, dead letters, the ledger, and reaching people."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidTransition, NotAllowed
from engine.ledger import dead_letters, reminder_ledger, retry_dead_letter
from engine.machine import fire_trigger
from engine.models import OutboxMessage
from engine.settings import Settings
from engine.sweeps import sweep_deadlines
from notifications.channels import Outgoing, PermanentFailure, TemporaryFailure
from notifications.outbox import LEASE, MAX_ATTEMPTS, claim_batch, dispatch_once
from notifications.worker import build_worker
from tests.factories import make_case, make_staff


@dataclass
class RecordingChannel:
    """Keeps every message; fails as told (a list of exceptions used up one per send)."""

    sent: list[Outgoing] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def send(self, message: Outgoing) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"rec-{len(self.sent)}"


def _rows(sessions: SessionFactory) -> list[OutboxMessage]:
    with sessions() as s:
        return list(s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def _dispatch(sessions: SessionFactory, channel: RecordingChannel, clock: FixedClock) -> int:
    return dispatch_once(sessions, channel=channel, clock=clock, worker="w1", base_url="http://ct")


def test_the_receipt_goes_out_on_the_first_dispatch_after_submission(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        done = make_case(s, clock, email="val@example.org")
    channel = RecordingChannel()
    assert _dispatch(session_factory, channel, clock) == 1
    [receipt] = channel.sent
    assert (receipt.kind, receipt.to) == ("email", "val@example.org")
    assert done.reference in receipt.rendered.subject
    assert done.reference in receipt.rendered.text
    assert "acknowledge your application by Tuesday 3 March 2026" in receipt.rendered.text
    assert done.reference in receipt.rendered.html
    [row] = _rows(session_factory)
    assert (row.status, row.provider_ref, row.sent_at) == ("sent", "rec-1", clock.now())


def test_a_temporary_failure_is_retried_with_growing_back_off_then_dead_lettered(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_case(s, clock)
    channel = RecordingChannel(failures=[TemporaryFailure("relay down")] * MAX_ATTEMPTS)
    delays = []
    for _ in range(MAX_ATTEMPTS):
        assert _dispatch(session_factory, channel, clock) == 0
        [row] = _rows(session_factory)
        delays.append((row.next_attempt_at - clock.now()).total_seconds())
        clock.set(row.next_attempt_at)
    [row] = _rows(session_factory)
    assert (row.status, row.attempts, row.last_error) == ("dead", MAX_ATTEMPTS, "relay down")
    assert "gave up after 8 attempts" in (row.reason or "")
    assert 24 <= delays[0] <= 36  # 30 s, with jitter of a fifth either way
    assert all(later > earlier for earlier, later in zip(delays[:5], delays[1:6], strict=True))
    assert _dispatch(session_factory, channel, clock) == 0  # a dead letter waits for a person


def test_a_permanent_failure_is_never_retried(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_case(s, clock)
    channel = RecordingChannel(failures=[PermanentFailure("no such mailbox")])
    _dispatch(session_factory, channel, clock)
    clock.advance(days=3)
    assert _dispatch(session_factory, channel, clock) == 0
    [row] = _rows(session_factory)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "no such mailbox")
    assert channel.sent == []


def test_a_leased_message_is_not_claimed_twice_until_the_lease_runs_out(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_case(s, clock)
        [first] = claim_batch(s, worker="a", clock=clock)
        assert not first.in_doubt
        assert claim_batch(s, worker="b", clock=clock) == []
        clock.advance(seconds=int(LEASE.total_seconds()) + 1)  # worker a died mid-send
        [again] = claim_batch(s, worker="b", clock=clock)
    assert again.id == first.id
    assert again.in_doubt  # a may have sent it: Notify is asked before sending again


def test_a_manager_sees_dead_letters_and_can_retry_one(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        make_case(s, clock)
    channel = RecordingChannel(failures=[PermanentFailure("mailbox full for good")])
    _dispatch(session_factory, channel, clock)
    with session_factory() as s:
        [dead] = dead_letters(s, actor=staff["manager"].actor)
        assert (dead.message, dead.status, dead.why) == (
            "application_received",
            "failed",
            "mailbox full for good",
        )
        assert dead_letters(s, actor=staff["contact"].actor) == []
        with pytest.raises(NotAllowed):
            retry_dead_letter(
                s, message_id=dead.message_id or 0, actor=staff["contact"].actor, clock=clock
            )
        retry_dead_letter(
            s, message_id=dead.message_id or 0, actor=staff["manager"].actor, clock=clock
        )
        with pytest.raises(InvalidTransition):
            retry_dead_letter(
                s, message_id=dead.message_id or 0, actor=staff["manager"].actor, clock=clock
            )
    assert _dispatch(session_factory, channel, clock) == 1
    [row] = [r for r in _rows(session_factory) if r.message == "application_received"]
    assert row.status == "sent"
    assert (row.reason or "").startswith("retried by Manager")


def test_someone_who_asked_for_post_gets_a_letter_written_to_the_outbox_folder(
    session_factory: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    with session_factory() as s:
        make_case(
            s,
            clock,
            contact_preference="post",
            applicant={
                "name": "Val Victim",
                "address": "1 High Street\nLeicester",
                "postcode": "LE1 1AA",
                "role": "victim",
            },
        )
    settings = Settings(database_url="sqlite://", outbox_dir=str(tmp_path / "outbox"))
    worker = build_worker(settings, session_factory, clock=clock)
    assert worker.run_once()[1] == 1
    [letter] = (tmp_path / "outbox").glob("*.letter.txt")
    page = letter.read_text()
    assert page.startswith("Val Victim\n1 High Street\nLeicester\nLE1 1AA\n")
    assert "Thank you. We have received your application" in page
    assert _rows(session_factory)[0].channel == "letter"


def test_someone_who_asked_to_be_phoned_gets_a_text_message(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_case(
            s,
            clock,
            contact_preference="phone",
            # Issue 12: texts go only to someone who said they are safe to receive.
            texts_safe=True,
            applicant={
                "name": "Val",
                "email": "val@example.org",
                "phone": "07700900123",
                "role": "victim",
            },
        )
    channel = RecordingChannel()
    _dispatch(session_factory, channel, clock)
    [text] = channel.sent
    assert (text.kind, text.to) == ("sms", "07700900123")
    # Neutral words: nothing about the case review, the details are behind the status page.
    assert text.rendered.text.startswith("You have a new message about your case CT-")
    assert "Anti-social" not in text.rendered.text and "ASB" not in text.rendered.text
    assert "/status" in text.rendered.text


def test_someone_who_did_not_say_texts_are_safe_is_written_to_instead(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_case(
            s,
            clock,
            contact_preference="phone",
            applicant={
                "name": "Val",
                "email": "val@example.org",
                "phone": "07700900123",
                "role": "victim",
            },
        )
        make_case(
            s,
            clock,
            contact_preference="phone",
            applicant={"name": "Pat", "phone": "07700900999", "role": "victim"},
        )
    channel = RecordingChannel()
    _dispatch(session_factory, channel, clock)
    [mail] = channel.sent
    assert (mail.kind, mail.to) == ("email", "val@example.org")
    with session_factory() as s:
        failed = s.exec(select(OutboxMessage).where(OutboxMessage.status == "failed")).one()
    assert "their named contact should phone them" in (failed.last_error or "")


def test_a_reminder_for_a_deadline_met_before_it_went_out_is_cancelled_with_the_reason(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
    sweep_deadlines(session_factory, clock=clock)  # the acknowledgement reminder is queued
    with session_factory() as s:
        fire_trigger(
            s,
            clock=clock,
            case_ref=done.reference,
            trigger="acknowledge",
            data=None,
            actor=staff["contact"].actor,
            expected_version=1,
        )
    channel = RecordingChannel()
    _dispatch(session_factory, channel, clock)
    [reminder] = [r for r in _rows(session_factory) if r.message == "deadline_reminder"]
    assert reminder.status == "cancelled"
    assert reminder.reason == (
        "not sent: the deadline was closed (met) by acknowledge on 2026-03-02 before it went out"
    )
    assert [m.rendered.subject.split()[0] for m in channel.sent] == ["We", "Your"]


def test_the_ledger_shows_what_was_sent_cancelled_and_is_still_scheduled(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
    worker = build_worker(Settings(), session_factory, clock=clock, channel=RecordingChannel())
    worker.run_once()
    clock.advance(days=2)  # Wed 4 Mar: the acknowledgement was missed
    worker.run_once()
    with session_factory() as s:
        ledger = reminder_ledger(s, case_ref=done.reference, actor=staff["manager"].actor)
        with pytest.raises(NotAllowed):
            reminder_ledger(s, case_ref=done.reference, actor=staff["contact"].actor)
    seen = {(e.deadline, e.step, e.recipient_role, e.status) for e in ledger}
    assert ("acknowledgement", "remind_2", "contact", "sent") in seen
    assert ("acknowledgement", "remind_0", "contact", "cancelled") in seen
    assert ("acknowledgement", "overdue_0", "manager", "sent") in seen
    assert ("acknowledgement", "overdue_5", "manager", "scheduled") in seen
    assert ("threshold_decision", "remind_2", "jag_chair", "scheduled") in seen
    assert ("threshold_decision", "overdue_0", "applicant", "scheduled") in seen
    assert (None, None, "applicant", "sent") in seen  # the receipt
    skipped = next(e for e in ledger if e.step == "remind_0")
    assert skipped.why is not None and "already due" in skipped.why
    scheduled = next(e for e in ledger if e.step == "overdue_5")
    assert scheduled.on == clock.today() + timedelta(days=7)


def test_staff_reminders_link_to_the_case(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        done = make_case(s, clock)
    sweep_deadlines(session_factory, clock=clock)
    channel = RecordingChannel()
    _dispatch(session_factory, channel, clock)
    [reminder] = [m for m in channel.sent if m.to == "contact@example.org"]
    assert reminder.rendered.subject == (
        f"Reminder: Acknowledge the application for case {done.reference} by Tuesday 3 March 2026"
    )
    assert f"http://ct/staff/cases/{done.reference}" in reminder.rendered.text
    assert f'<a href="http://ct/staff/cases/{done.reference}">' in reminder.rendered.html
