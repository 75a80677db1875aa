"""What an event does to its case's clocks: closes those it meets or ends (met, late,
lapsed or cancelled, decided in SQL), settles those counted back from an anchor that
happened on another day, opens those it starts, and hands each to the role that can act."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, literal_column
from sqlalchemy import case as case_
from sqlmodel import Session, select

from engine import bulk, deadlines, registry
from engine.clock import Clock, london_date
from engine.definitions import WorkflowDef
from engine.models import Case, Deadline, DeadlineSchedule
from engine.rows import built

_DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
_SCHEDULE = DeadlineSchedule.__table__  # type: ignore[attr-defined]
_LATE = _DEADLINES.c.due_on < bindparam("today")


@cache
def _close_statement(met: tuple[str, ...], ended: tuple[str, ...]) -> Any:
    """One UPDATE that closes a case's open clocks named in a closing plan, deciding each
    one's status in SQL (its due date against today). Built once per plan, the names
    written into it, so every later event with that plan reuses the compiled statement."""
    return (
        _DEADLINES.update()
        .where(
            _DEADLINES.c.case_id == bindparam("d_case"),
            _DEADLINES.c.status == "open",
            _DEADLINES.c.name.in_(_written(met + ended)),
        )
        .values(
            status=case_(
                (
                    _DEADLINES.c.name.in_(_written(met or ("",))),
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


@cache
def _close_and_end_schedules(met: tuple[str, ...], ended: tuple[str, ...]) -> Any:
    """PostgreSQL: the closing UPDATE as a CTE, and the schedules of the clocks it closed
    ended by the statement around it (bulk.end_schedules, in one round trip)."""
    closed = _close_statement(met, ended).cte("closing_clocks")
    return (
        _SCHEDULE.update()
        .where(_SCHEDULE.c.deadline_id.in_(select(closed.c.id)))
        .values(next_action_on=None)
    )


_NAME = re.compile(r"[a-z0-9_]*")


def _written(names: tuple[str, ...]) -> list[Any]:
    """Deadline names (identifiers from a definition) written into the SQL itself: a list
    of bound values would be expanded into the statement again on every execution."""
    if not all(_NAME.fullmatch(n) for n in names):
        raise ValueError(f"deadline names must be lower-case identifiers: {names}")
    return [literal_column(f"'{n}'") for n in names]


# Worked out once per definition object (kept in the entry, so an id is never reused).
_PLANS: dict[tuple[int, str, str], tuple[WorkflowDef, tuple[str, ...], tuple[str, ...]]] = {}
_HAND_OVERS: dict[tuple[int, str | None, str], tuple[WorkflowDef, Any]] = {}


def _closing_plan(wf: WorkflowDef, trigger: str, new_state: str) -> tuple[Any, ...]:
    key = (id(wf), trigger, new_state)
    plan = _PLANS.get(key)
    if plan is None or plan[0] is not wf:
        met, ended = deadlines.closing_plan(wf, trigger=trigger, new_state=new_state)
        plan = _PLANS[key] = (wf, tuple(met), tuple(ended))
    return plan[1:]


def move_deadlines(
    session: Session,
    wf: WorkflowDef,
    area: registry.AreaConfig,
    case: Case,
    trigger: str,
    clock: Clock,
    data: BaseModel | None = None,
    from_state: str | None = None,
) -> None:
    """`from_state` is the state the event left (None: unknown, every clock is handed over)."""
    today, now = clock.today(), clock.now()
    _settle_on_held_day(session, wf, case, trigger, data, now)
    met, ended = _closing_plan(wf, trigger, case.state)
    if met or ended:
        # One UPDATE closes them all; the status depends on the due date, so SQL decides it.
        params = {"d_case": case.id, "today": today, "closed_at": now, "closed_by": trigger}
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            # One round trip: the closed clocks' schedules end in the same statement.
            conn.execute(_close_and_end_schedules(met, ended), params)
        else:
            closed = conn.execute(_close_statement(met, ended), params)
            bulk.end_schedules(session, list(closed.scalars()))
    opened = deadlines.opened_by(
        wf,
        area,
        locality_id=case.locality_id,
        trigger=trigger,
        today=today,
        data=data,
        new_state=case.state,
    )
    if opened:
        made = {"case_id": case.id, "opened_at": now, "opened_by": trigger}
        rows = [built(Deadline, {**made, **n.__dict__}) for n in opened]
        bulk.insert_deadlines(session, rows)
    _hand_over(session, wf, case, from_state)


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


def _hand_over(session: Session, wf: WorkflowDef, case: Case, from_state: str | None) -> None:
    """Give each open clock to the role that can act on it in the case's new state.

    A clock is opened with its owner for the state it opens in (deadlines.opened_by), and
    every event hands them over, so an event between two states in which every such rule
    names the same owner has nothing to hand over and sends no statement."""
    key = (id(wf), from_state, case.state)
    entry = _HAND_OVERS.get(key)
    if entry is None or entry[0] is not wf:
        entry = _HAND_OVERS[key] = (wf, _hand_over_statement(wf, from_state, case.state))
    if entry[1] is not None:
        session.connection().execute(entry[1], {"h_case": case.id})


def _hand_over_statement(wf: WorkflowDef, from_state: str | None, state: str) -> Any:
    """One UPDATE per workflow and pair of states: every clock whose owner changes between
    them goes to the role that owns it in `state`, if it is not theirs already."""
    owners = {
        rule.name: rule.owner_for(state)
        for rule in wf.deadlines
        if rule.owner_in
        and (from_state is None or rule.owner_for(from_state) != rule.owner_for(state))
    }
    if not owners:
        return None
    owner = case_(
        *((_DEADLINES.c.name == n, role) for n, role in owners.items()),
        else_=_DEADLINES.c.owner_role,
    )
    return (
        _DEADLINES.update()
        .where(
            _DEADLINES.c.case_id == bindparam("h_case"),
            _DEADLINES.c.status == "open",
            _DEADLINES.c.name.in_(_written(tuple(owners))),
            _DEADLINES.c.owner_role != owner,
        )
        .values(owner_role=owner)
    )
