"""Claims queued messages with a lease, sends them, and records the result.

Delivery is at least once, and exactly once except in one window: a worker that dies after
the provider accepted a message but before its "sent" commit leaves the row pending; when
the lease (LEASE) runs out another worker sends it again. Each worker sends one message at
a time and commits straight after, so a crash can duplicate at most the one message in
flight. Notify is asked first whether a message with that reference already arrived (so no
duplicate there); over SMTP the resent copy carries the same Message-ID.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from engine.clock import Clock
from engine.db import SessionFactory
from engine.models import Deadline, OutboxMessage
from engine.sweeps import obsolete_reason
from notifications.addresses import outgoing_for
from notifications.channels import Channel, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BATCH = 50
# A bound on one dispatch pass, so `worker --once` always ends.
MAX_BATCHES = 1000


@dataclass(frozen=True)
class Claimed:
    id: int
    # A previous worker held this row and neither finished nor let it go: it may have sent it.
    in_doubt: bool


def claim_batch(
    session: Session, *, worker: str, clock: Clock, limit: int = BATCH
) -> list[Claimed]:
    """Lease up to `limit` due messages to this worker and commit the lease.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers claim side by side without
    waiting on each other's rows. SQLite has one writer at a time (BEGIN IMMEDIATE), and the
    update repeats the conditions, so a row is only ever leased to one worker at a time.
    """
    now = clock.now()
    t = OutboxMessage.__table__  # type: ignore[attr-defined]
    free = or_(t.c.claimed_until.is_(None), t.c.claimed_until < now)
    due = (
        sa_select(t.c.id, t.c.claimed_by)
        .where(t.c.status == "pending", t.c.next_attempt_at <= now, free)
        .order_by(t.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(due).all()
    if not rows:
        session.commit()
        return []
    taken = session.execute(
        update(t)
        .where(t.c.id.in_([r.id for r in rows]), t.c.status == "pending", free)
        .values(claimed_by=worker, claimed_until=now + LEASE)
        .returning(t.c.id)
    ).scalars()
    ids = set(taken)
    session.commit()
    return [Claimed(r.id, r.claimed_by is not None) for r in rows if r.id in ids]


def deliver_one(
    session: Session,
    claimed: Claimed,
    *,
    channel: Channel,
    clock: Clock,
    worker: str,
    base_url: str = "",
) -> str:
    """Send one claimed message (unless it is no longer needed); returns its new status."""
    row = session.get(OutboxMessage, claimed.id, populate_existing=True)
    if row is None or row.status != "pending" or row.claimed_by != worker:
        return "skipped"  # the lease ran out and another worker has it now
    if (why := _obsolete(session, row)) is not None:
        row.status, row.reason = "cancelled", why
    else:
        _attempt(session, row, claimed, channel=channel, clock=clock, base_url=base_url)
    row.claimed_by = row.claimed_until = None
    session.add(row)
    session.commit()
    return row.status


def _attempt(
    session: Session,
    row: OutboxMessage,
    claimed: Claimed,
    *,
    channel: Channel,
    clock: Clock,
    base_url: str,
) -> None:
    row.attempts += 1
    try:
        outgoing = outgoing_for(session, row, in_doubt=claimed.in_doubt, base_url=base_url)
        row.provider_ref = channel.send(outgoing)
        row.status, row.sent_at, row.channel = "sent", clock.now(), outgoing.kind
    except PermanentFailure as exc:
        # Never retried: the same message to the same address would be refused again.
        row.status, row.last_error = "failed", str(exc)
    except TemporaryFailure as exc:
        _retry(row, str(exc), clock)
    except Exception as exc:  # a bug or a bad template: kept, retried, dead-lettered if it lasts
        log.exception("message %s could not be prepared", row.id)
        _retry(row, f"{type(exc).__name__}: {exc}", clock)


def _retry(row: OutboxMessage, error: str, clock: Clock) -> None:
    """Exponential back-off with jitter, so a provider outage is not hammered in step."""
    row.last_error = error
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "dead"
        row.reason = f"gave up after {row.attempts} attempts; last error: {error}"
        return
    delay = min(3600, 30 * 2 ** (row.attempts - 1)) * random.uniform(0.8, 1.2)  # noqa: S311
    row.next_attempt_at = clock.now() + timedelta(seconds=delay)


def _obsolete(session: Session, row: OutboxMessage) -> str | None:
    if row.deadline_id is None:
        return None
    found = session.execute(
        sa_select(Deadline.status, Deadline.closed_by, Deadline.closed_at).where(
            col(Deadline.id) == row.deadline_id
        )
    ).first()
    if found is None or found.status == "open":
        return None
    return obsolete_reason(found.status, found.closed_by, found.closed_at)


def dispatch_once(
    session_factory: SessionFactory,
    *,
    channel: Channel,
    clock: Clock,
    worker: str = "worker",
    base_url: str = "",
) -> int:
    """One pass: claim and send batch after batch until nothing is due; returns how many sent."""
    sent = 0
    for _ in range(MAX_BATCHES):
        with session_factory() as session:
            batch = claim_batch(session, worker=worker, clock=clock)
            for claimed in batch:
                status = deliver_one(
                    session, claimed, channel=channel, clock=clock, worker=worker, base_url=base_url
                )
                sent += status == "sent"
        if not batch:
            break
    return sent
