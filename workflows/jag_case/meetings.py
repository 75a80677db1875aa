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

from sqlmodel import Session, col, select

from engine import registry
from engine.access import Actor
from engine.clock import Clock
from engine.errors import InvalidInput, NotAllowed, NotFound
from workflows.jag_case import agenda
from workflows.jag_case.area import jag_area
from workflows.jag_case.meeting_area import meetings_area
from workflows.jag_case.meeting_models import JagMeeting

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


def error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def raise_errors(errors: list[dict[str, str]]) -> None:
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
        errors.append(error("held_on", "Enter the date of the meeting"))
    elif held_on < clock.today():
        errors.append(error("held_on", "The date of the meeting must be today or in the future"))
    elif _meeting_on(session, area_id, locality_id, held_on):
        errors.append(error("held_on", "This locality already has a meeting on that date"))
    if not _is_time(starts_at):
        errors.append(error("starts_at", "Enter the start time as hh:mm, for example 10:00"))
    if not length_minutes or not 15 <= length_minutes <= 480:
        errors.append(error("length_minutes", "The length must be between 15 and 480 minutes"))
    if not place and not call_link:
        errors.append(error("place", "Enter the place, or a call link, for the meeting"))
    elif place and len(place) > 300:
        errors.append(error("place", "The place must be 300 characters or fewer"))
    if call_link and (not call_link.startswith("https://") or len(call_link) > 500):
        errors.append(error("call_link", "The call link must start with https://"))
    known = jag_area(area_id).agencies
    if not invited:
        errors.append(error("invited", "Select the agencies invited"))
    elif unknown := [a for a in invited if a not in known]:
        errors.append(error("invited", f"Unknown agency {unknown[0]!r}; choose from the list"))
    raise_errors(errors)
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
        from workflows.jag_case.agenda_items import insert_items

        insert_items(session, clock, meeting, agenda.propose(session, meeting), existing=[])
        session.commit()
    except Exception:
        session.rollback()
        raise
    return meeting


def _meeting_on(session: Session, area_id: str, locality_id: str, day: date) -> bool:
    found = session.exec(
        select(JagMeeting.id).where(
            JagMeeting.area_id == area_id,
            JagMeeting.locality_id == locality_id,
            JagMeeting.held_on == day,
        )
    ).first()
    return found is not None


def _is_time(text: str) -> bool:
    hours, sep, mins = text.partition(":")
    return (
        bool(sep)
        and len(mins) == 2
        and hours.isdigit()
        and mins.isdigit()
        and (int(hours) < 24 and int(mins) < 60)
    )
