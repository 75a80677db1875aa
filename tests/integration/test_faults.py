"""The fault suite: what the outbox promises (notifications/outbox.py, docs/operations.md)
under the faults that broke it before. Bounded: a handful of messages, seconds each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import OutboxMessage
from engine.settings import Settings
from notifications.channels import Outgoing
from notifications.channels.smtp import SmtpChannel
from notifications.outbox import LEASE, Journal, OutcomeNotRecorded, claim_batch, dispatch_once
from tests.factories import make_case
from tests.integration.test_channels_smtp import SmtpSink, free_port


class FailingCommits:
    """A session factory whose next `armed` commits fail as a dropped connection would."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self.armed = 0

    def __call__(self) -> Session:
        session = self.sessions()
        event.listen(session, "before_commit", self._maybe_fail)
        return session

    def _maybe_fail(self, _session: Session) -> None:
        if self.armed > 0:
            self.armed -= 1
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))


@dataclass
class ArmingChannel:
    """Accepts every message, then arms the commit failures (the relay said 250 first)."""

    commits: FailingCommits
    fail_next: int
    sent: list[Outgoing] = field(default_factory=list)

    def send(self, message: Outgoing) -> str:
        self.sent.append(message)
        if len(self.sent) == 1:
            self.commits.armed = self.fail_next
        return f"rec-{len(self.sent)}"


def _rows(sessions: SessionFactory) -> list[OutboxMessage]:
    with sessions() as s:
        return list(s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def _cases(sessions: SessionFactory, clock: FixedClock, count: int) -> None:
    with sessions() as s:
        for n in range(count):
            make_case(s, clock, email=f"person{n}@example.org")


@pytest.mark.parametrize("failing", [1, 2], ids=["commit-fails", "commit-and-retry-fail"])
def test_a_failed_sent_commit_never_sends_the_message_again(
    session_factory: SessionFactory, clock: FixedClock, failing: int
) -> None:
    _cases(session_factory, clock, 1)
    commits = FailingCommits(session_factory)
    channel = ArmingChannel(commits, fail_next=failing)
    journal = Journal()
    try:
        dispatch_once(commits, channel=channel, clock=clock, worker="w1", journal=journal)
    except OutcomeNotRecorded:
        assert failing == 2  # the mark waits in the worker's journal
    clock.advance(seconds=int(LEASE.total_seconds()) + 60)  # any lease has run out
    dispatch_once(commits, channel=channel, clock=clock, worker="w1", journal=journal)
    dispatch_once(commits, channel=channel, clock=clock, worker="w2")
    assert len(channel.sent) == 1
    [row] = _rows(session_factory)
    assert (row.status, row.provider_ref, row.claimed_by) == ("sent", "rec-1", None)


def test_a_failed_pass_releases_what_it_claimed_and_had_not_sent_at_once(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    _cases(session_factory, clock, 3)
    commits = FailingCommits(session_factory)
    channel = ArmingChannel(commits, fail_next=2)
    journal = Journal()
    with pytest.raises(OutcomeNotRecorded):
        dispatch_once(commits, channel=channel, clock=clock, worker="w1", journal=journal)
    first, *rest = _rows(session_factory)
    assert first.claimed_by == "w1"  # maybe sent: kept, never handed to another worker
    assert [r.claimed_by for r in rest] == [None, None]
    # The same minute, no lease waited out: the other two go, the first is not repeated.
    assert dispatch_once(commits, channel=channel, clock=clock, worker="w1", journal=journal) == 2
    assert sorted(m.to for m in channel.sent) == [f"person{n}@example.org" for n in range(3)]
    assert {r.status for r in _rows(session_factory)} == {"sent"}


@dataclass
class SlowSink(SmtpSink):
    """A relay that takes the message, then waits `delay` seconds before saying 250."""

    delay: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)  # the relay scanning the message: a slow peer
        return answer


@pytest.fixture
def slow_relay() -> Iterator[tuple[SlowSink, int]]:
    sink = SlowSink(delay=1.5)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def _smtp(port: int, *, data_timeout: float) -> SmtpChannel:
    return SmtpChannel(
        Settings(smtp_port=port, smtp_timeout_seconds=0.5, smtp_data_timeout_seconds=data_timeout)
    )


def test_a_slow_relay_gets_each_message_once(
    session_factory: SessionFactory, clock: FixedClock, slow_relay: tuple[SlowSink, int]
) -> None:
    sink, port = slow_relay
    _cases(session_factory, clock, 1)
    channel = _smtp(port, data_timeout=10)
    for _ in range(3):  # and an hour later, twice: nothing is left to send again
        dispatch_once(session_factory, channel=channel, clock=clock, worker="w1")
        clock.advance(hours=1)
    channel.close()
    assert len(sink.message_ids()) == 1
    assert [r.status for r in _rows(session_factory)] == ["sent"]


def test_a_reply_that_never_comes_is_maybe_sent_not_a_plain_retry(
    session_factory: SessionFactory, clock: FixedClock, slow_relay: tuple[SlowSink, int]
) -> None:
    sink, port = slow_relay
    _cases(session_factory, clock, 1)
    channel = _smtp(port, data_timeout=0.5)
    assert dispatch_once(session_factory, channel=channel, clock=clock, worker="w1") == 0
    [row] = _rows(session_factory)
    assert (row.status, row.attempts, row.unconfirmed_since) == ("pending", 1, clock.now())
    assert row.claimed_by is None
    assert "did not answer" in (row.last_error or "")
    clock.set(row.next_attempt_at)
    with session_factory() as s:
        [again] = claim_batch(s, worker="w2", clock=clock)
    assert again.in_doubt  # the channel's own idempotency decides (SMTP: same Message-ID)
    assert len(sink.message_ids()) == 1
