"""Periodic sweeps over open deadlines: reminders before the date, escalation after it.

Each open deadline carries `next_action_on`, the date of its next reminder or escalation,
indexed over open deadlines only. A sweep reads the deadlines whose date has come, works out
from the area's policy (engine.reminders) which step is due, queues it in the outbox with a
unique key per (case, deadline, step, recipient), and moves the date on, all in one
transaction. The cost of a sweep follows the work due today, not the number of deadlines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Row, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine import registry, reminders
from engine.bulk import insert_ignoring_duplicates, move_on
from engine.clock import Clock
from engine.db import SessionFactory
from engine.messages import applicant_contact, outbox_values
from engine.models import Case, Deadline, OutboxMessage, Party, RoleGrant, User

log = logging.getLogger(__name__)
BATCH = 1000
# A bound on one sweep, so a huge backlog is worked through over several ticks.
MAX_BATCHES = 200


def sweep_deadlines(session_factory: SessionFactory, *, clock: Clock) -> int:
    """Queue every reminder and escalation now due, once; returns how many deadlines moved on."""
    moved = 0
    with session_factory() as session:
        cancel_obsolete(session, clock=clock)
    for _ in range(MAX_BATCHES):
        with session_factory() as session:
            read, queued = sweep_batch(session, clock=clock)
        moved += queued
        if read < BATCH:
            break
    return moved


def sweep_batch(session: Session, *, clock: Clock, limit: int = BATCH) -> tuple[int, int]:
    """One transaction: claim up to `limit` due deadlines, queue their steps, move them on.

    Returns (deadlines read, deadlines with a step queued).
    """
    today, now = clock.today(), clock.now()
    rows = _claim_due(session, today, limit)
    batch = _Batch(session, now)
    for row in rows:
        batch.decide(row, today)
    batch.write()
    session.commit()
    return len(rows), batch.queued


def _claim_due(session: Session, today: date, limit: int) -> list[Row[Any]]:
    """Lock the due deadlines for this transaction.

    On PostgreSQL `FOR UPDATE OF deadline SKIP LOCKED` lets several workers sweep side by
    side, each taking rows the others have not; SQLite takes its write lock at BEGIN
    (engine.db), so there one sweep runs at a time. The outbox key's unique index is the
    last guard either way: a step can be queued only once.
    """
    stmt = (
        sa_select(
            Deadline.id,
            Deadline.case_id,
            Deadline.name,
            Deadline.owner_role,
            Deadline.due_on,
            Deadline.reminder_step,
            Deadline.label,
            Deadline.start_on,
            Deadline.amount,
            Case.reference,
            Case.area_id,
            Case.locality_id,
            Case.workflow_name,
            Case.contact_preference,
        )
        .join(Case, col(Case.id) == Deadline.case_id)
        .where(Deadline.status == "open", col(Deadline.next_action_on) <= today)
        .order_by(col(Deadline.next_action_on))
        .limit(limit)
        .with_for_update(of=Deadline, skip_locked=True)  # type: ignore[arg-type]
    )
    return list(session.execute(stmt).all())


@dataclass
class _Batch:
    """The outbox rows and deadline moves of one sweep transaction, written in bulk."""

    session: Session
    now: datetime
    outbox: list[dict[str, Any]] = field(default_factory=list)
    moves: dict[tuple[date | None, str | None], list[int]] = field(default_factory=dict)
    queued: int = 0
    _holders: dict[tuple[str, str, str], list[tuple[int, str]]] = field(default_factory=dict)

    def decide(self, row: Row[Any], today: date) -> None:
        step = _progress(
            row.area_id, row.name, row.owner_role, row.due_on, row.reminder_step, today
        )
        for skipped in step.superseded:
            self._skip(row, skipped, step.due)
        if step.due is not None:
            self._queue(row, step.due)
            self.queued += 1
        last = step.due.name if step.due else row.reminder_step
        self.moves.setdefault((step.next_on, last), []).append(row.id)

    def write(self) -> None:
        if self.outbox:
            insert_ignoring_duplicates(self.session, OutboxMessage.__table__, self.outbox)  # type: ignore[attr-defined]
        # Deadlines that share a due date share a plan: one UPDATE per (next date, step).
        for (next_on, last), ids in self.moves.items():
            move_on(self.session, ids, next_on, last)

    def _queue(self, row: Row[Any], step: reminders.Step) -> None:
        for notice in step.notices:
            role = row.owner_role if notice.role == reminders.OWNER else notice.role
            targets = self._recipients(row, role)
            if not targets:
                # The ledger shows the step as done with nobody to tell; nothing is queued.
                log.warning("case %s: nobody to tell (%s) for %s", row.reference, role, step.name)
            for target in targets:
                self._add(row, step, notice.message, role, target, None)

    def _skip(self, row: Row[Any], skipped: reminders.Step, due: reminders.Step | None) -> None:
        why = (
            f"not sent: {due.name if due else 'a later step'} was already due when the sweep "
            "reached this deadline (caught up after the worker was away, or opened late)"
        )
        for notice in skipped.notices:
            role = row.owner_role if notice.role == reminders.OWNER else notice.role
            self._add(row, skipped, notice.message, role, (f"role:{role}", "none", "none"), why)

    def _add(
        self,
        row: Row[Any],
        step: reminders.Step,
        message: str,
        role: str,
        target: tuple[str, str, str],
        why: str | None,
    ) -> None:
        recipient, channel, who = target
        self.outbox.append(
            outbox_values(
                case_id=row.case_id,
                deadline_id=row.id,
                step=step.name,
                message=message,
                recipient=recipient,
                recipient_role=role,
                channel=channel,
                context=_context(row, step),
                idempotency_key=f"reminder:{row.case_id}:{row.id}:{step.name}:{role}:{who}",
                now=self.now,
                status="cancelled" if why else "pending",
                reason=why,
            )
        )

    def _recipients(self, row: Row[Any], role: str) -> list[tuple[str, str, str]]:
        if role == reminders.APPLICANT:
            party = self.session.exec(
                select(Party).where(Party.case_id == row.case_id, Party.kind == "applicant")
            ).first()
            found = applicant_contact(party, row.contact_preference)
            return [(found[0], found[1], "applicant")] if found else []
        key = (row.area_id, row.locality_id, role)
        if key not in self._holders:
            self._holders[key] = holders(self.session, *key)
        return [(email, "email", f"u{uid}") for uid, email in self._holders[key]]


@lru_cache(maxsize=4096)
def _progress(
    area_id: str, name: str, owner_role: str, due_on: date, last: str | None, today: date
) -> reminders.Progress:
    """What is due for one deadline today; cached, as a batch repeats the same few answers."""
    policy = registry.area(area_id).reminders.policy(name)
    return reminders.progress(reminders.plan(due_on, policy, owner_role), last, today)


def holders(session: Session, area_id: str, locality_id: str, role: str) -> list[tuple[int, str]]:
    """Active users holding a role in a locality, or across its whole area: (id, email)."""
    stmt = (
        select(User.id, User.email)
        .join(RoleGrant, col(RoleGrant.user_id) == User.id)
        .where(
            RoleGrant.role == role,
            RoleGrant.area_id == area_id,
            or_(col(RoleGrant.locality_id).is_(None), RoleGrant.locality_id == locality_id),
            col(User.active).is_(True),
        )
        .order_by(col(User.id))
        .distinct()
    )
    return [(uid, email) for uid, email in session.exec(stmt).all() if uid is not None]


def _context(row: Row[Any], step: reminders.Step) -> dict[str, Any]:
    # A clock counted back from a date (papers before a meeting) names that date too.
    before = {"before_date": row.start_on.isoformat()} if row.amount < 0 else {}
    return {
        **before,
        "reference": row.reference,
        "locality": row.locality_id,
        "deadline": row.name,
        # A deadline about one item (a recommendation) carries its own label.
        "label": row.label or _labels(row.workflow_name).get(row.name, row.name.replace("_", " ")),
        "due_date": row.due_on.isoformat(),
        "step": step.name,
        "step_date": step.on.isoformat(),
    }


@cache
def _labels(workflow_name: str) -> dict[str, str]:
    return {d.name: d.label for d in registry.workflow(workflow_name).deadlines}


def cancel_obsolete(session: Session, *, clock: Clock) -> int:
    """Cancel queued reminders whose deadline closed before they were sent (the case moved on)."""
    rows = session.execute(
        sa_select(OutboxMessage.id, Deadline.status, Deadline.closed_by, Deadline.closed_at)
        .join(Deadline, col(Deadline.id) == OutboxMessage.deadline_id)
        .where(OutboxMessage.status == "pending", Deadline.status != "open")
    ).all()
    for message_id, status, closed_by, closed_at in rows:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, OutboxMessage.status == "pending")
            .values(status="cancelled", reason=obsolete_reason(status, closed_by, closed_at))
        )
    session.commit()
    return len(rows)


def obsolete_reason(status: str, closed_by: str | None, closed_at: datetime | None) -> str:
    when = f" on {closed_at.date().isoformat()}" if closed_at else ""
    by = f" by {closed_by.replace('_', ' ')}" if closed_by else ""
    return f"not sent: the deadline was closed ({status}){by}{when} before it went out"
