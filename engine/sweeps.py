"""Periodic sweeps over open deadlines: reminders before the date, escalation after it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select

from engine import workdays
from engine.clock import Clock
from engine.db import SessionFactory
from engine.messages import queue_message
from engine.models import Case, Deadline, RoleGrant, User

REMIND_WORKING_DAYS_BEFORE = 2
BATCH = 1000


def sweep_deadlines(session_factory: SessionFactory, *, clock: Clock) -> int:
    """Queue each due reminder or escalation once; returns how many deadlines moved on."""
    today = clock.today()
    horizon = _reminder_horizon(today)
    with session_factory() as session:
        rows = session.exec(
            select(Deadline, Case)
            .join(Case, col(Case.id) == Deadline.case_id)
            .where(
                Deadline.status == "open",
                Deadline.kind == "duty",
                col(Deadline.due_on) <= horizon,
                or_(
                    col(Deadline.reminder_step).is_(None),
                    (Deadline.reminder_step == "due_soon") & (col(Deadline.due_on) < today),
                ),
            )
            .limit(BATCH)
        ).all()
        for deadline, case in rows:
            step = "overdue" if deadline.due_on < today else "due_soon"
            _queue_reminders(session, deadline, case, step, clock)
            deadline.reminder_step = step
            session.add(deadline)
        session.commit()
    return len(rows)


def _reminder_horizon(today: date) -> date:
    # A reminder goes out REMIND_WORKING_DAYS_BEFORE working days ahead of the due date.
    return workdays.add_working_days(today, REMIND_WORKING_DAYS_BEFORE)


def _queue_reminders(
    session: Session, deadline: Deadline, case: Case, step: str, clock: Clock
) -> None:
    role = deadline.owner_role if step == "due_soon" else "manager"
    message = "deadline_reminder" if step == "due_soon" else "deadline_overdue_escalation"
    for user in _holders(session, case, role):
        queue_message(
            session,
            case_id=case.id,
            message=message,
            recipient=user.email,
            recipient_role=role,
            channel="email",
            context={
                "reference": case.reference,
                "deadline": deadline.name,
                "due_date": deadline.due_on.isoformat(),
                "step": step,
            },
            idempotency_key=f"deadline:{deadline.id}:{step}:{user.id}",
            now=clock.now(),
        )


def _holders(session: Session, case: Case, role: str) -> list[User]:
    stmt = (
        select(User)
        .join(RoleGrant, col(RoleGrant.user_id) == User.id)
        .where(
            RoleGrant.role == role,
            RoleGrant.area_id == case.area_id,
            or_(col(RoleGrant.locality_id).is_(None), RoleGrant.locality_id == case.locality_id),
            col(User.active).is_(True),
        )
    )
    return list(session.exec(stmt).unique().all())
