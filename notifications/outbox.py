"""Claims queued messages with a lease, sends them, and records the result.

DELIVERY PROMISE (docs/operations.md and the README say the same, word for word; the fault
suite in tests/integration/test_faults*.py proves each sentence):
Every message written to the outbox is sent at least once; none is lost. A message is sent
twice only when the worker sending it is killed (kill -9, power loss) after the provider
took it and before its "sent" mark is written, or when an SMTP relay takes it but never
answers within CTENGINE_SMTP_DATA_TIMEOUT_SECONDS: then that one message is sent once more,
after its 5-minute lease or a minute later, over SMTP with the same Message-ID, while
GOV.UK Notify is asked for it by reference first and gets no second copy. A failed "sent"
commit, a slow relay and a SIGTERM repeat nothing.

How: each worker sends one message at a time and commits straight after. If that commit
fails, the "sent" mark is retried at once on a connection of its own; failing that, it is
kept in the worker's journal and written before the next pass claims anything. A relay
that takes the whole message but whose reply never comes makes the message "maybe sent"
(unconfirmed_since): its next attempt is made in doubt, so the channel's own idempotency
decides (Notify's reference lookup; SMTP's Message-ID). A pass that fails part way
releases the rows it claimed but had not sent, at once, instead of leaving them leased.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from engine.clock import Clock
from engine.db import SessionFactory
from engine.models import Deadline, OutboxMessage
from engine.rows import built
from engine.sweeps import obsolete_reason
from notifications.addresses import outgoing_for
from notifications.channels import Channel, PermanentFailure, TemporaryFailure, Unconfirmed

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
# A "maybe sent" message is tried again (in doubt) after this long.
UNCONFIRMED_WAIT = timedelta(minutes=1)
BATCH = 50
# A bound on one dispatch pass, so `worker --once` always ends.
MAX_BATCHES = 1000


@dataclass(frozen=True)
class Claimed:
    id: int
    # A previous worker held this row and neither finished nor let it go, or the provider's
    # answer never came ("maybe sent"): the provider may have it.
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
        sa_select(t.c.id, t.c.claimed_by, t.c.unconfirmed_since)
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
    return [
        Claimed(r.id, r.claimed_by is not None or r.unconfirmed_since is not None)
        for r in rows
        if r.id in ids
    ]


@dataclass(frozen=True)
class Outcome:
    """What the provider did with a message, kept until the database has it."""

    id: int
    status: str  # "sent", or "pending" with unconfirmed_since set (maybe sent)
    attempts: int
    provider_ref: str | None
    channel: str
    at: datetime
    error: str | None = None

    def values(self) -> dict[str, object]:
        if self.status == "sent":
            return {
                "status": "sent",
                "attempts": self.attempts,
                "provider_ref": self.provider_ref,
                "channel": self.channel,
                "sent_at": self.at,
                "unconfirmed_since": None,
                "claimed_by": None,
                "claimed_until": None,
            }
        return {"attempts": self.attempts, "unconfirmed_since": self.at, "last_error": self.error}


class Journal:
    """Outcomes the worker could not write: the provider may have the message, so the row
    must not be sent again as if it had not. Written first thing on the worker's next pass.
    """

    def __init__(self) -> None:
        self._waiting: dict[int, Outcome] = {}

    def __contains__(self, message_id: int) -> bool:
        return message_id in self._waiting

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, outcome: Outcome) -> None:
        self._waiting[outcome.id] = outcome

    def flush(self, session_factory: SessionFactory) -> None:
        """Write every kept outcome; raises (keeping them) if the database still refuses."""
        for outcome in list(self._waiting.values()):
            if not record_outcome(session_factory, outcome):
                raise OutcomeNotRecorded(outcome.id)
            del self._waiting[outcome.id]


class OutcomeNotRecorded(Exception):
    """The database would not take a message's outcome; the worker keeps it in its journal."""


def record_outcome(session_factory: SessionFactory, outcome: Outcome) -> bool:
    """Write one outcome on a connection of its own; False when the database refuses.

    Only a row still pending is touched: if a lease ran out and another worker has since
    marked it sent, that stands.
    """
    t = OutboxMessage.__table__  # type: ignore[attr-defined]
    try:
        with session_factory() as session:
            session.execute(
                update(t)
                .where(t.c.id == outcome.id, t.c.status == "pending")
                .values(**outcome.values())
            )
            session.commit()
    except SQLAlchemyError:
        log.warning("outbox message %s: its outcome could not be written yet", outcome.id)
        return False
    return True


def deliver_one(
    session: Session,
    claimed: Claimed,
    *,
    channel: Channel,
    clock: Clock,
    worker: str,
    base_url: str = "",
    session_factory: SessionFactory | None = None,
    journal: Journal | None = None,
) -> str:
    """Send one claimed message (unless it is no longer needed); returns its new status.

    If the commit after a send fails, the outcome goes to `record_outcome` on a fresh
    connection and, failing that, to the journal (then OutcomeNotRecorded is raised).
    """
    row, read_as = _read(session, claimed.id)
    if row is None or row.status != "pending" or row.claimed_by != worker:
        return "skipped"  # the lease ran out and another worker has it now
    if journal is not None and row.id in journal:
        return "skipped"  # sent already; its mark waits in the journal
    if (why := _obsolete(session, row)) is not None:
        row.status, row.reason = "cancelled", why
        outcome = None
    else:
        outcome = _attempt(session, row, claimed, channel=channel, clock=clock, base_url=base_url)
    row.claimed_by = row.claimed_until = None
    try:
        _write(session, row, read_as)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        if outcome is None or session_factory is None:
            raise
        if record_outcome(session_factory, outcome):
            return outcome.status
        if journal is not None:
            journal.add(outcome)
        raise OutcomeNotRecorded(outcome.id) from None
    return row.status


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_OUTBOX_KEYS = tuple(_OUTBOX.c.keys())
# Built once: each message is read, and its changes written, with one plain statement.
_READ = sa_select(_OUTBOX).where(_OUTBOX.c.id == bindparam("o_id"))
_WRITE = _OUTBOX.update().where(_OUTBOX.c.id == bindparam("o_id"))


def _read(session: Session, message_id: int) -> tuple[Any, dict[str, Any]]:
    """The message as it is now in the database, as a row object outside the session (its
    changes are written back by _write, not by the session's unit of work), and the values
    it was read with."""
    found = session.connection().execute(_READ, {"o_id": message_id}).mappings().first()
    if found is None:
        return None, {}
    return built(OutboxMessage, dict(found)), dict(found)


def _write(session: Session, row: OutboxMessage, read_as: dict[str, Any]) -> None:
    """UPDATE the columns of `row` that changed since _read, by its id."""
    changed = {k: row.__dict__.get(k) for k in _OUTBOX_KEYS if row.__dict__.get(k) != read_as[k]}
    if changed:
        session.connection().execute(_WRITE, {"o_id": row.id, **changed})


def _attempt(
    session: Session,
    row: OutboxMessage,
    claimed: Claimed,
    *,
    channel: Channel,
    clock: Clock,
    base_url: str,
) -> Outcome | None:
    """One try at sending; returns the outcome when the provider may now have the message."""
    row.attempts += 1
    try:
        outgoing = outgoing_for(session, row, in_doubt=claimed.in_doubt, base_url=base_url)
        row.provider_ref = channel.send(outgoing)
        row.status, row.sent_at, row.channel = "sent", clock.now(), outgoing.kind
        row.unconfirmed_since = None
        return Outcome(
            row.id or 0, "sent", row.attempts, row.provider_ref, outgoing.kind, row.sent_at
        )
    except Unconfirmed as exc:
        # Maybe sent: tried again after a short wait, in doubt (see the module's docstring).
        row.unconfirmed_since, row.last_error = clock.now(), str(exc)
        row.next_attempt_at = clock.now() + UNCONFIRMED_WAIT
        return Outcome(
            row.id or 0, "pending", row.attempts, None, row.channel, clock.now(), str(exc)
        )
    except PermanentFailure as exc:
        # Never retried: the same message to the same address would be refused again.
        row.status, row.last_error = "failed", str(exc)
    except TemporaryFailure as exc:
        _retry(row, str(exc), clock)
    except Exception as exc:  # a bug or a bad template: kept, retried, dead-lettered if it lasts
        log.exception("message %s could not be prepared", row.id)
        _retry(row, f"{type(exc).__name__}: {exc}", clock)
    return None


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
    journal: Journal | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """One pass: claim and send batch after batch until nothing is due; returns how many sent.

    The journal (outcomes a failed commit left unwritten) is written before anything is
    claimed. A pass that fails, or is told to stop (`stopping`, checked between messages),
    hands back at once the rows it claimed and had not yet sent.
    """
    journal = journal if journal is not None else Journal()
    journal.flush(session_factory)
    sent = 0
    for _ in range(MAX_BATCHES):
        with session_factory() as session:
            batch = claim_batch(session, worker=worker, clock=clock)
            left = [c.id for c in batch]
            try:
                for claimed in batch:
                    if stopping():
                        break
                    status = deliver_one(
                        session,
                        claimed,
                        channel=channel,
                        clock=clock,
                        worker=worker,
                        base_url=base_url,
                        session_factory=session_factory,
                        journal=journal,
                    )
                    left.remove(claimed.id)
                    sent += status == "sent"
            except BaseException:
                session.rollback()
                _release(session_factory, left, worker=worker, keep=journal)
                raise
            _release(session_factory, left, worker=worker, keep=journal)
        if not batch or stopping():
            break
    return sent


def _release(
    session_factory: SessionFactory, ids: list[int], *, worker: str, keep: Journal
) -> None:
    """Give back leased rows that were never handed to the provider (none are in doubt)."""
    ids = [i for i in ids if i not in keep]
    if not ids:
        return
    t = OutboxMessage.__table__  # type: ignore[attr-defined]
    try:
        with session_factory() as session:
            session.execute(
                update(t)
                .where(t.c.id.in_(ids), t.c.claimed_by == worker, t.c.status == "pending")
                .values(claimed_by=None, claimed_until=None)
            )
            session.commit()
    except SQLAlchemyError:
        log.warning("%d claimed messages could not be released; their lease will run out", len(ids))
