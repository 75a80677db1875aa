"""Opening and closing the JAG case's per-item deadlines (a review, a re-assessment, an
action, a peer review): each due on its own date, reminded and escalated by the sweeps."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case as case_
from sqlmodel import col, select, update

from engine import bulk, deadlines, registry, workdays
from engine.clock import london_date
from engine.models import Deadline
from engine.rows import built
from engine.rules import EffectContext
from workflows.jag_case.area import Interval


def after(start: date, interval: Interval) -> date:
    return workdays.due_date(start, interval.amount, interval.unit)


def open_clock(ctx: EffectContext, name: str, *, on: date, label: str, subject: str) -> None:
    rule = deadlines.rule_named(registry.workflow(ctx.case.workflow_name), name)
    new = deadlines.dated(rule, on=on, label=label[:200], subject=subject[:60])
    made = {"case_id": ctx.case.id, "opened_at": ctx.now, "opened_by": ctx.trigger}
    bulk.insert_deadlines(ctx.session, [built(Deadline, {**made, **new.__dict__})])


def close_clock(ctx: EffectContext, subject: str, *, status: str | None = None) -> int:
    """Close the open clock about one item: met, or late if its date had passed (or the
    `status` given, e.g. cancelled). Returns how many were closed (0 or 1)."""
    today = london_date(ctx.now)
    closed = ctx.session.connection().execute(
        update(Deadline)
        .where(
            col(Deadline.case_id) == ctx.case.id,
            col(Deadline.status) == "open",
            col(Deadline.subject) == subject,
        )
        .values(
            status=status or case_((col(Deadline.due_on) < today, "late"), else_="met"),
            closed_at=ctx.now,
            closed_by=ctx.trigger,
        )
        .returning(col(Deadline.id))
    )
    ids = list(closed.scalars())
    bulk.end_schedules(ctx.session, ids)
    return len(ids)


def has_open_clock(ctx: EffectContext, subject: str) -> bool:
    found = ctx.session.connection().execute(
        select(Deadline.id).where(
            col(Deadline.case_id) == ctx.case.id,
            col(Deadline.status) == "open",
            col(Deadline.subject) == subject,
        )
    )
    return found.first() is not None
