"""Claims queued messages with a lease, sends them, and records the result."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from sqlmodel import Session, col, or_, select

from engine.clock import Clock
from engine.db import SessionFactory
from engine.models import OutboxMessage
from notifications.channels import Channel, PermanentFailure, TemporaryFailure
from notifications.render import render

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def claim_batch(session: Session, *, worker: str, clock: Clock, limit: int = 100) -> list[int]:
    """Lease up to `limit` due messages to this worker and commit the lease.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers claim side by side without
    taking each other's rows; SQLite has one writer at a time (BEGIN IMMEDIATE), so the
    select-then-update is already exclusive there.
    """
    now = clock.now()
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            col(OutboxMessage.next_attempt_at) <= now,
            or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now),
        )
        .order_by(col(OutboxMessage.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.exec(stmt).all()
    for row in rows:
        row.claimed_by, row.claimed_until = worker, now + LEASE
        session.add(row)
    session.commit()
    return [r.id for r in rows if r.id is not None]


def deliver_one(session: Session, message_id: int, *, channel: Channel, clock: Clock) -> str:
    """Send one claimed message; returns its new status."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.status != "pending":
        return "skipped"
    try:
        rendered = render(row.message, row.context)
        row.provider_ref = channel.send(
            rendered, row.recipient, reference=row.idempotency_key.replace(":", "-")
        )
        row.status, row.sent_at = "sent", clock.now()
    except TemporaryFailure as exc:
        _retry(row, str(exc), clock)
    except PermanentFailure as exc:
        row.status, row.last_error = "failed", str(exc)
    row.attempts += 1
    row.claimed_by = row.claimed_until = None
    session.add(row)
    session.commit()
    return row.status


def _retry(row: OutboxMessage, error: str, clock: Clock) -> None:
    # Exponential back-off with jitter, so a provider outage is not hammered in step.
    row.last_error = error
    if row.attempts + 1 >= MAX_ATTEMPTS:
        row.status = "dead"
        return
    delay = min(3600, 30 * 2**row.attempts) * random.uniform(0.8, 1.2)  # noqa: S311
    row.next_attempt_at = clock.now() + timedelta(seconds=delay)


def dispatch_once(
    session_factory: SessionFactory, *, channel: Channel, clock: Clock, worker: str = "worker"
) -> int:
    """Claim and send one batch; returns how many were sent."""
    with session_factory() as session:
        ids = claim_batch(session, worker=worker, clock=clock)
        sent = 0
        for message_id in ids:
            sent += deliver_one(session, message_id, channel=channel, clock=clock) == "sent"
    return sent
