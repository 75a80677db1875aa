"""Shaping a JAG meeting's agenda before the papers go: items put in their kind's place,
reordered, dropped, given minutes, added by the chair, refreshed from live data; and the
papers reminder on each agenda case (see meetings.py for why a per-case deadline).
Every change is the chair's, checked here, and commits once or not at all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from engine import bulk, deadlines
from engine.access import Actor
from engine.clock import Clock
from engine.errors import InvalidInput, InvalidTransition, NotFound
from engine.models import Case, Deadline, DeadlineSchedule
from engine.models.case import PLAN_ON_NEXT_SWEEP
from workflows.jag_case import agenda, meetings
from workflows.jag_case.definition import JAG_CASE, MEETING_PAPERS_DEADLINE
from workflows.jag_case.meeting_area import CHAIR_ITEM, ORDER_CHAIR, meetings_area
from workflows.jag_case.meeting_models import JagAgendaItem, JagMeeting


def insert_items(
    session: Session,
    clock: Clock,
    meeting: JagMeeting,
    proposed: list[agenda.Proposed],
    existing: list[JagAgendaItem],
) -> int:
    """Put the proposed items not already on the agenda (dropped ones stay dropped) in
    their kind's place, and open the papers reminder on each new case."""
    have_cases = {i.case_id for i in existing if i.case_id is not None}
    have_kinds = {i.kind for i in existing if i.case_id is None}
    slots = meetings_area(meeting.area_id)
    kept = sorted((i for i in existing if not i.dropped), key=lambda i: i.position)
    # Plain rows, written by one INSERT: an agenda of thousands of cases is built in a
    # moment (ORM objects cost a millisecond each).
    new_rows = [
        _NewItem(
            {
                "meeting_id": meeting.id,
                "position": 0,
                "kind": p.kind,
                "case_id": p.case_id,
                "title": p.title[:300],
                "reason": p.reason or None,
                "slot_minutes": slots.slot(p.kind),
                "dropped": False,
            }
        )
        for p in proposed
        if not ((p.case_id in have_cases) if p.case_id else (p.kind in have_kinds))
    ]
    # Each new item goes before the first item already there of a later kind (the chair's
    # order of the others kept): one merge, not a search per item.
    pending = sorted(new_rows, key=lambda r: _rank(r.kind))
    laid: list[Any] = []
    at = 0
    for row in kept:
        while at < len(pending) and _rank(pending[at].kind) < _rank(row.kind):
            laid.append(pending[at])
            at += 1
        laid.append(row)
    laid.extend(pending[at:])
    moved = []
    for n, row in enumerate(laid, start=1):
        if isinstance(row, _NewItem):
            row.values["position"] = n
        elif row.position != n:
            moved.append({"item_id": row.id, "new_position": n})
    if new_rows:
        session.connection().execute(_ITEMS.insert(), [r.values for r in new_rows])
    for row in kept:
        session.expire(row)  # positions written below, not by the unit of work
    if moved:
        session.connection().execute(_MOVE, moved)
    _open_reminders(session, clock, meeting, [r.case_id for r in new_rows if r.case_id])
    return len(new_rows)


_ITEMS = JagAgendaItem.__table__  # type: ignore[attr-defined]
_DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
_SCHEDULES = DeadlineSchedule.__table__  # type: ignore[attr-defined]
_MOVE = (
    _ITEMS.update()
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(position=bindparam("new_position"))
)


class _NewItem:
    __slots__ = ("values", "kind", "case_id")

    def __init__(self, values: dict[str, Any]) -> None:
        self.values, self.kind, self.case_id = values, values["kind"], values["case_id"]


def _rank(kind: str) -> float:
    return ORDER_CHAIR if kind == CHAIR_ITEM else float(agenda.ORDER[kind])


def _open_reminders(session: Session, clock: Clock, meeting: JagMeeting, case_ids: list) -> None:
    if not case_ids:
        return
    rule = deadlines.rule_named(JAG_CASE, MEETING_PAPERS_DEADLINE)
    # The reminder reads "... needs you to <label, lower case> by <date>": no date in here.
    label = "Update the case before the meeting papers go"
    new = deadlines.dated(
        rule, on=meeting.papers_due_on, label=label, subject=_subject(meeting)
    ).__dict__
    # The sweep moves a date that is not a working day; the papers date already is one.
    new["due_on"] = meeting.papers_due_on
    # Plain rows and one INSERT, as bulk.insert_deadlines does for Deadline objects: each
    # with its schedule row, reminders planned at the next sweep.
    rows = [
        {
            **new,
            "case_id": c,
            "status": "open",
            "opened_at": clock.now(),
            "opened_by": "jag_meeting",
            "closed_at": None,
            "closed_by": None,
        }
        for c in case_ids
    ]
    ids = (
        session.connection()
        .execute(_DEADLINES.insert().returning(_DEADLINES.c.id, sort_by_parameter_order=True), rows)
        .scalars()
    )
    planned = [
        {"deadline_id": i, "next_action_on": PLAN_ON_NEXT_SWEEP, "reminder_step": None} for i in ids
    ]
    session.connection().execute(_SCHEDULES.insert(), planned)


def _subject(meeting: JagMeeting) -> str:
    return f"meeting:{meeting.id}"


def close_reminders(
    session: Session,
    clock: Clock,
    meeting: JagMeeting,
    *,
    case_id: int | None = None,
    status: str | None = None,
) -> None:
    """End the papers reminders (of one case, or all): cancelled, met, or late."""
    from sqlalchemy import case as case_

    stmt = update(Deadline).where(
        col(Deadline.subject) == _subject(meeting),
        col(Deadline.status) == "open",
        col(Deadline.name) == MEETING_PAPERS_DEADLINE,
    )
    if case_id is not None:
        stmt = stmt.where(col(Deadline.case_id) == case_id)
    today = clock.today()
    done = status or case_((col(Deadline.due_on) < today, "late"), else_="met")
    result = session.connection().execute(
        stmt.values(status=done, closed_at=clock.now(), closed_by="jag_meeting").returning(
            col(Deadline.id)
        )
    )
    bulk.end_schedules(session, list(result.scalars()))


def _editable(meeting: JagMeeting) -> None:
    if meeting.status != "planned":
        raise InvalidTransition("The papers have gone: the agenda can no longer change.")


def _commit(session: Session) -> None:
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise


def refresh_agenda(session: Session, *, clock: Clock, actor: Actor, meeting_id: int) -> int:
    """Add what the live data has put on the agenda since it was built; how many added."""
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    _editable(meeting)
    try:
        added = insert_items(
            session,
            clock,
            meeting,
            agenda.propose(session, meeting),
            agenda.items(session, meeting_id, dropped=True),
        )
    except Exception:
        session.rollback()
        raise
    _commit(session)
    return added


def _item(session: Session, meeting: JagMeeting, item_id: int) -> JagAgendaItem:
    item = session.get(JagAgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise NotFound(f"There is no item {item_id} on this agenda.")
    return item


def _renumber(session: Session, rows: list[JagAgendaItem]) -> None:
    for n, row in enumerate(rows, start=1):
        row.position = n
        session.add(row)


def move_item(
    session: Session, *, clock: Clock, actor: Actor, meeting_id: int, item_id: int, up: bool
) -> None:
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    _editable(meeting)
    rows = agenda.items(session, meeting_id)
    at = next((n for n, r in enumerate(rows) if r.id == item_id), None)
    if at is None:
        raise NotFound(f"There is no item {item_id} on this agenda.")
    to = at - 1 if up else at + 1
    if 0 <= to < len(rows):
        rows[at], rows[to] = rows[to], rows[at]
        _renumber(session, rows)
    _commit(session)


def drop_item(
    session: Session, *, clock: Clock, actor: Actor, meeting_id: int, item_id: int
) -> None:
    """Off the agenda (kept as dropped, so refreshing does not bring it back); its case's
    papers reminder is cancelled."""
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    _editable(meeting)
    item = _item(session, meeting, item_id)
    if item.kind in agenda.STANDING and item.kind == "repeat_victims":
        raise InvalidInput(
            "The repeat domestic-abuse victims are a standing item on every agenda.",
            field="item",
        )
    item.dropped = True
    session.add(item)
    if item.case_id is not None:
        close_reminders(session, clock, meeting, case_id=item.case_id, status="cancelled")
    _renumber(session, agenda.items(session, meeting_id))
    _commit(session)


def set_slot(
    session: Session, *, clock: Clock, actor: Actor, meeting_id: int, item_id: int, minutes: Any
) -> None:
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    _editable(meeting)
    item = _item(session, meeting, item_id)
    value = _minutes(minutes, f"slot-{item_id}")
    item.slot_minutes = value
    session.add(item)
    _commit(session)


def _minutes(value: Any, field: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 240:
        raise InvalidInput("Enter the minutes as a whole number from 1 to 240", field=field)
    return int(text)


def add_item(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    meeting_id: int,
    title: str,
    case_ref: str | None = None,
    minutes: Any = None,
) -> JagAgendaItem:
    """The chair's own item, about a JAG case of the locality or not, before any other
    business."""
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    _editable(meeting)
    errors = []
    title = (title or "").strip()
    if not title:
        errors.append(meetings.error("title", "Enter what the item is about"))
    elif len(title) > 300:
        errors.append(meetings.error("title", "The item must be 300 characters or fewer"))
    case_id = None
    if case_ref and case_ref.strip():
        found = session.exec(
            select(Case.id).where(
                Case.reference == case_ref.strip().upper(),
                Case.area_id == meeting.area_id,
                Case.locality_id == meeting.locality_id,
                Case.workflow_name == JAG_CASE.name,
            )
        ).first()
        if found is None:
            errors.append(
                meetings.error("case_ref", f"There is no JAG case {case_ref.strip()} here")
            )
        else:
            case_id = found
    slot = meetings_area(meeting.area_id).slot(CHAIR_ITEM)
    if minutes not in (None, ""):
        try:
            slot = _minutes(minutes, "minutes")
        except InvalidInput as exc:
            errors.append(meetings.error("minutes", exc.detail))
    meetings.raise_errors(errors)
    existing = agenda.items(session, meeting_id, dropped=True)
    if case_id is not None and any(i.case_id == case_id and not i.dropped for i in existing):
        meetings.raise_errors([meetings.error("case_ref", "That case is already on the agenda")])
    proposed = agenda.Proposed(CHAIR_ITEM, title, ["Added by the chair"], case_id)
    try:
        # A dropped item of the same case is not in the way of the chair's own.
        live = [i for i in existing if not (case_id and i.case_id == case_id)]
        insert_items(session, clock, meeting, [proposed], live)
        item = session.exec(
            select(JagAgendaItem)
            .where(JagAgendaItem.meeting_id == meeting_id, JagAgendaItem.kind == CHAIR_ITEM)
            .order_by(col(JagAgendaItem.id).desc())
        ).first()
        if item is not None:
            item.slot_minutes = slot
            session.add(item)
    except Exception:
        session.rollback()
        raise
    _commit(session)
    assert item is not None
    return item
