"""What an event does to its case's clocks: closes those it meets or ends (met, late,
lapsed or cancelled, decided in SQL), settles those counted back from an anchor that
happened on another day, opens those it starts, and hands each to the role that can act."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import bindparam
from sqlalchemy import case as case_
from sqlmodel import Session, select

from engine import bulk, deadlines, registry
from engine.clock import Clock, london_date
from engine.definitions import WorkflowDef
from engine.models import Case, Deadline

_DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
_LATE = _DEADLINES.c.due_on < bindparam("today")
_CLOSE_DEADLINES = (
    _DEADLINES.update()
    .where(
        _DEADLINES.c.case_id == bindparam("d_case"),
        _DEADLINES.c.status == "open",
        _DEADLINES.c.name.in_(bindparam("closing", expanding=True)),
    )
    .values(
        status=case_(
            (
                _DEADLINES.c.name.in_(bindparam("met", expanding=True)),
                case_((_LATE, "late"), else_="met"),
            ),
            ((_DEADLINES.c.kind == "window") & _LATE, "lapsed"),
            else_="cancelled",
        ),
        closed_at=bindparam("closed_at"),
        closed_by=bindparam("closed_by"),
    )
    .returning(_DEADLINES.c.id)
)


def move_deadlines(
    session: Session,
    wf: WorkflowDef,
    area: registry.AreaConfig,
    case: Case,
    trigger: str,
    clock: Clock,
    data: BaseModel | None = None,
) -> None:
    today, now = clock.today(), clock.now()
    _settle_on_held_day(session, wf, case, trigger, data, now)
    met, ended = deadlines.closing_plan(wf, trigger=trigger, new_state=case.state)
    if met or ended:
        # One UPDATE closes them all; the status depends on the due date, so SQL decides it.
        params = {
            "d_case": case.id,
            "closing": met + ended,
            "met": met or [""],
            "today": today,
            "closed_at": now,
            "closed_by": trigger,
        }
        closed = session.connection().execute(_CLOSE_DEADLINES, params).scalars().all()
        bulk.end_schedules(session, list(closed))
    opened = deadlines.opened_by(
        wf,
        area,
        locality_id=case.locality_id,
        trigger=trigger,
        today=today,
        data=data,
        new_state=case.state,
    )
    bulk.insert_deadlines(
        session,
        [Deadline(case_id=case.id, opened_at=now, opened_by=trigger, **n.__dict__) for n in opened],
    )
    _hand_over(session, wf, case)


def _settle_on_held_day(
    session: Session,
    wf: WorkflowDef,
    case: Case,
    trigger: str,
    data: BaseModel | None,
    now: datetime,
) -> None:
    """An anchor that happened on another day than arranged (a meeting held on another day)
    settles the clocks counted back from it against the day it happened, before the plain
    close below would cancel them against the date arranged (DeadlineRule.settled_by)."""
    happened = {
        r.name: (r, getattr(data, r.settled_by, None))
        for r in wf.deadlines
        if r.anchor and r.direction < 0 and r.settled_by
    }
    happened = {name: pair for name, pair in happened.items() if pair[1] is not None}
    if not happened:
        return
    rows = session.exec(
        select(Deadline).where(
            Deadline.case_id == case.id,
            Deadline.status == "open",
            Deadline.name.in_(list(happened)),  # type: ignore[attr-defined]
        )
    ).all()
    closed = []
    for d in rows:
        rule, held = happened[d.name]
        if d.start_on == held:
            continue  # happened on the day arranged: the plain close applies
        settled = deadlines.settled_on_held_day(
            label=d.label or rule.label,
            arranged=d.start_on,
            held=held,
            amount=d.amount,
            unit=d.unit,
            opened_on=london_date(d.opened_at),
        )
        d.status, d.label = settled.status, settled.label
        d.closed_at, d.closed_by = now, trigger
        session.add(d)
        closed.append(d)
    if closed:
        session.flush()
        bulk.end_schedules(session, [d.id for d in closed])


def _hand_over(session: Session, wf: WorkflowDef, case: Case) -> None:
    """Give each open clock to the role that can act on it in the case's new state."""
    for rule in wf.deadlines:
        if not rule.owner_in:
            continue
        session.connection().execute(
            _DEADLINES.update()
            .where(
                _DEADLINES.c.case_id == case.id,
                _DEADLINES.c.name == rule.name,
                _DEADLINES.c.status == "open",
                _DEADLINES.c.owner_role != rule.owner_for(case.state),
            )
            .values(owner_role=rule.owner_for(case.state))
        )
