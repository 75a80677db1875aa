"""JAG meetings' services: arrange a meeting, shape its agenda, send the papers.

Every function checks the actor's role and locality here (the pages only render), and
commits once or not at all. The chair is a JAG chair of the locality; staff who work the
locality's JAG cases (partner, point of contact, JAG chair) and its managers read.

Reminders before the papers go: the engine's deadlines belong to cases, so each case on the
agenda gets its own `meeting_papers` deadline (due on the papers date, owned by the case's
point of contact, subject `meeting:<id>`): the standard sweep reminds and escalates it like
any other, the case page and My work show it, dropping the item cancels it and sending the
papers closes it (met, or late if they went after the date).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from engine import bulk, deadlines, registry
from engine.access import Actor
from engine.clock import Clock
from engine.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from engine.models import Case, Deadline
from workflows.jag_case import agenda
from workflows.jag_case.area import jag_area
from workflows.jag_case.definition import JAG_CASE, MEETING_PAPERS_DEADLINE
from workflows.jag_case.meeting_area import CHAIR_ITEM, ORDER_CHAIR, meetings_area
from workflows.jag_case.meeting_models import JagAgendaItem, JagMeeting

CHAIRS = ("jag_chair",)
READERS = ("jag_chair", "contact", "partner", "manager", "admin")


def _holds(actor: Actor, roles: tuple[str, ...], area_id: str, locality_id: str) -> bool:
    return any(
        g.role in roles and g.area_id == area_id and g.locality_id in (None, locality_id)
        for g in actor.grants
    )


def may_chair(actor: Actor, area_id: str, locality_id: str) -> bool:
    return _holds(actor, CHAIRS, area_id, locality_id)


def may_flag(actor: Actor, area_id: str, locality_id: str) -> bool:
    """Who records a repeat domestic-abuse victim: those who work the locality's cases."""
    return _holds(actor, ("jag_chair", "contact", "partner"), area_id, locality_id)


def may_read(actor: Actor, area_id: str, locality_id: str) -> bool:
    return _holds(actor, READERS, area_id, locality_id)


def sees_victim_names(actor: Actor, meeting: JagMeeting) -> bool:
    roles = meetings_area(meeting.area_id).name_roles
    return _holds(actor, roles, meeting.area_id, meeting.locality_id)


def localities(actor: Actor, roles: tuple[str, ...] = READERS) -> list[tuple[str, str, str]]:
    """(area, locality, name) the actor may see (or, with CHAIRS, chair) meetings of."""
    out = []
    for area_id in registry.area_ids():
        for lid, loc in registry.area(area_id).localities.items():
            if _holds(actor, roles, area_id, lid):
                out.append((area_id, lid, loc.name))
    return out


def load(session: Session, actor: Actor, meeting_id: int, *, chair: bool = False) -> JagMeeting:
    """The meeting, if the actor may read it (or chair it): else refused."""
    meeting = session.get(JagMeeting, meeting_id)
    if meeting is None or not any(g.area_id == meeting.area_id for g in actor.grants):
        raise NotFound(f"There is no meeting {meeting_id}.")
    if not may_read(actor, meeting.area_id, meeting.locality_id):
        raise NotAllowed("You do not work on this locality's JAG.")
    if chair and not may_chair(actor, meeting.area_id, meeting.locality_id):
        raise NotAllowed("Only a JAG chair of this locality may do this.")
    return meeting


def list_meetings(session: Session, actor: Actor, area_id: str, locality_id: str) -> list[Any]:
    if not may_read(actor, area_id, locality_id):
        raise NotAllowed("You do not work on this locality's JAG.")
    return list(
        session.exec(
            select(JagMeeting)
            .where(JagMeeting.area_id == area_id, JagMeeting.locality_id == locality_id)
            .order_by(col(JagMeeting.held_on).desc(), col(JagMeeting.id).desc())
        ).all()
    )


def _e(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _raise(errors: list[dict[str, str]]) -> None:
    if errors:
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)


def defaults(area_id: str, locality_id: str, today: date) -> dict[str, Any]:
    """The locality's standing meeting: the next date on its pattern, time, length, place."""
    pattern = meetings_area(area_id).patterns.get(locality_id)
    if pattern is None:
        return {"invited": list(jag_area(area_id).agencies)}
    return {
        "held_on": pattern.on_or_after(today),
        "starts_at": pattern.time,
        "length_minutes": pattern.minutes,
        "place": pattern.place,
        "invited": list(jag_area(area_id).agencies),
        "pattern": pattern.describe(),
    }


def create_meeting(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    area_id: str,
    locality_id: str,
    held_on: date | None = None,
    starts_at: str | None = None,
    length_minutes: int | None = None,
    place: str | None = None,
    call_link: str | None = None,
    invited: list[str] | None = None,
) -> JagMeeting:
    """Arrange a meeting (the standing pattern fills what is not given), build its agenda
    from live data and open each agenda case's papers reminder; commit."""
    try:
        area = registry.area(area_id)
    except LookupError:
        raise InvalidInput(f"There is no area {area_id!r}.", field="locality") from None
    if locality_id not in area.localities:
        raise InvalidInput(f"There is no locality {locality_id!r}.", field="locality")
    if not may_chair(actor, area_id, locality_id):
        raise NotAllowed("Only a JAG chair of this locality may arrange its meetings.")
    std = defaults(area_id, locality_id, clock.today())
    held_on = held_on or std.get("held_on")
    starts_at = (starts_at or std.get("starts_at") or "").strip()
    length_minutes = length_minutes or std.get("length_minutes")
    place = (place or "").strip() or (None if call_link else std.get("place"))
    call_link = (call_link or "").strip() or None
    invited = invited if invited is not None else std["invited"]
    errors = []
    if held_on is None:
        errors.append(_e("held_on", "Enter the date of the meeting"))
    elif held_on < clock.today():
        errors.append(_e("held_on", "The date of the meeting must be today or in the future"))
    if not _is_time(starts_at):
        errors.append(_e("starts_at", "Enter the start time as hh:mm, for example 10:00"))
    if not length_minutes or not 15 <= length_minutes <= 480:
        errors.append(_e("length_minutes", "The length must be between 15 and 480 minutes"))
    if not place and not call_link:
        errors.append(_e("place", "Enter the place, or a call link, for the meeting"))
    elif place and len(place) > 300:
        errors.append(_e("place", "The place must be 300 characters or fewer"))
    if call_link and (not call_link.startswith("https://") or len(call_link) > 500):
        errors.append(_e("call_link", "The call link must start with https://"))
    known = jag_area(area_id).agencies
    if not invited:
        errors.append(_e("invited", "Select the agencies invited"))
    elif unknown := [a for a in invited if a not in known]:
        errors.append(_e("invited", f"Unknown agency {unknown[0]!r}; choose from the list"))
    _raise(errors)
    assert held_on is not None and length_minutes is not None
    try:
        meeting = JagMeeting(
            area_id=area_id,
            locality_id=locality_id,
            held_on=held_on,
            starts_at=starts_at,
            length_minutes=int(length_minutes),
            place=place,
            call_link=call_link,
            chair_user_id=actor.user_id,
            invited=list(invited),
            papers_due_on=meetings_area(area_id).papers_due(held_on),
            created_at=clock.now(),
            created_by=actor.user_id,
        )
        session.add(meeting)
        session.flush()
        _insert_items(session, clock, meeting, agenda.propose(session, meeting), existing=[])
        session.commit()
    except Exception:
        session.rollback()
        raise
    return meeting


def _is_time(text: str) -> bool:
    hours, sep, mins = text.partition(":")
    return (
        bool(sep)
        and len(mins) == 2
        and hours.isdigit()
        and mins.isdigit()
        and (int(hours) < 24 and int(mins) < 60)
    )


def _insert_items(
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
    new_rows = [
        JagAgendaItem(
            meeting_id=meeting.id,  # type: ignore[arg-type]
            position=0,
            kind=p.kind,
            case_id=p.case_id,
            title=p.title[:300],
            reason=p.reason or None,
            slot_minutes=slots.slot(p.kind),
        )
        for p in proposed
        if not ((p.case_id in have_cases) if p.case_id else (p.kind in have_kinds))
    ]
    # Each new item goes before the first item already there of a later kind (the chair's
    # order of the others kept): one merge, not a search per item.
    pending = sorted(new_rows, key=lambda r: _rank(r.kind))
    laid: list[JagAgendaItem] = []
    at = 0
    for row in kept:
        while at < len(pending) and _rank(pending[at].kind) < _rank(row.kind):
            laid.append(pending[at])
            at += 1
        laid.append(row)
    laid.extend(pending[at:])
    moved = []
    for n, row in enumerate(laid, start=1):
        if row.id is not None and row.position != n:
            moved.append({"item_id": row.id, "new_position": n})
        row.position = n
    if new_rows:
        bulk.insert_models(session, *new_rows)
    for row in kept:
        session.expire(row)  # positions written below, not by the unit of work
    if moved:
        session.connection().execute(_MOVE, moved)
    _open_reminders(session, clock, meeting, [r.case_id for r in new_rows if r.case_id])
    return len(new_rows)


_ITEMS = JagAgendaItem.__table__  # type: ignore[attr-defined]
_MOVE = (
    _ITEMS.update()
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(position=bindparam("new_position"))
)


def _rank(kind: str) -> float:
    return ORDER_CHAIR if kind == CHAIR_ITEM else float(agenda.ORDER[kind])


def _open_reminders(session: Session, clock: Clock, meeting: JagMeeting, case_ids: list) -> None:
    if not case_ids:
        return
    rule = deadlines.rule_named(JAG_CASE, MEETING_PAPERS_DEADLINE)
    label = f"Update the case for the JAG papers (meeting {meeting.held_on:%d %b %Y})"
    new = deadlines.dated(
        rule, on=meeting.papers_due_on, label=label, subject=_subject(meeting)
    ).__dict__
    # The sweep moves a date that is not a working day; the papers date already is one.
    new["due_on"] = meeting.papers_due_on
    rows = [
        Deadline(case_id=c, opened_at=clock.now(), opened_by="jag_meeting", **new) for c in case_ids
    ]
    bulk.insert_deadlines(session, rows)


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
    meeting = load(session, actor, meeting_id, chair=True)
    _editable(meeting)
    try:
        added = _insert_items(
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
    meeting = load(session, actor, meeting_id, chair=True)
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
    meeting = load(session, actor, meeting_id, chair=True)
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
    meeting = load(session, actor, meeting_id, chair=True)
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
    meeting = load(session, actor, meeting_id, chair=True)
    _editable(meeting)
    errors = []
    title = (title or "").strip()
    if not title:
        errors.append(_e("title", "Enter what the item is about"))
    elif len(title) > 300:
        errors.append(_e("title", "The item must be 300 characters or fewer"))
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
            errors.append(_e("case_ref", f"There is no JAG case {case_ref.strip()} here"))
        else:
            case_id = found
    slot = meetings_area(meeting.area_id).slot(CHAIR_ITEM)
    if minutes not in (None, ""):
        try:
            slot = _minutes(minutes, "minutes")
        except InvalidInput as exc:
            errors.append(_e("minutes", exc.detail))
    _raise(errors)
    existing = agenda.items(session, meeting_id, dropped=True)
    if case_id is not None and any(i.case_id == case_id and not i.dropped for i in existing):
        _raise([_e("case_ref", "That case is already on the agenda")])
    proposed = agenda.Proposed(CHAIR_ITEM, title, ["Added by the chair"], case_id)
    try:
        # A dropped item of the same case is not in the way of the chair's own.
        live = [i for i in existing if not (case_id and i.case_id == case_id)]
        _insert_items(session, clock, meeting, [proposed], live)
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
