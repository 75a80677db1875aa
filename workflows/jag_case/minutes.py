"""Minutes of a JAG meeting, taken item by item once the papers have gone: attendance per
agency, and for each item the decision, new actions, a risk change and a cessation
decision. New actions are `add_action` events on the item's case through the machine (the
same checks, audit row and action deadline as any other), in the minute's own transaction:
a refused action leaves no minute, and a refused minute leaves no action. The minutes are
approved at the next meeting of the locality and locked then; later corrections are
appended beside them, never edits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from engine import machine
from engine.access import Actor
from engine.clock import Clock
from engine.errors import InvalidInput, InvalidTransition
from engine.models import Case
from workflows.jag_case import agenda, meetings
from workflows.jag_case.meeting_models import (
    JagAgendaItem,
    JagAttendance,
    JagMeeting,
    JagMinute,
    JagMinuteAction,
    JagMinuteCorrection,
)
from workflows.jag_case.models import JagAction

ATTENDANCE = ("present", "apologies", "absent")
CESSATION = ("none", "propose", "keep_open")


def _e(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _raise(errors: list[dict[str, str]]) -> None:
    if errors:
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)


def _open_minutes(meeting: JagMeeting) -> None:
    if meeting.status != "papers_sent":
        raise InvalidTransition("Minutes are taken once the papers have been sent.")
    if meeting.minutes_approved_at is not None:
        raise InvalidTransition(
            "These minutes were approved and are locked: add a correction instead."
        )


def record_attendance(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    meeting_id: int,
    attendance: dict[str, str],
    names: dict[str, str] | None = None,
) -> None:
    """Present, apologies or absent for each invited agency (every one answered)."""
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    _open_minutes(meeting)
    names = names or {}
    errors = [
        _e(f"attendance-{n}", f"Select whether {agency} was present, sent apologies or absent")
        for n, agency in enumerate(meeting.invited)
        if attendance.get(agency) not in ATTENDANCE
    ]
    if unknown := [a for a in attendance if a not in meeting.invited]:
        errors.append(_e("attendance", f"{unknown[0]} was not invited to this meeting"))
    _raise(errors)
    try:
        have = {
            a.agency: a
            for a in session.exec(
                select(JagAttendance).where(JagAttendance.meeting_id == meeting_id)
            ).all()
        }
        for agency in meeting.invited:
            row = have.get(agency) or JagAttendance(meeting_id=meeting_id, agency=agency, status="")
            row.status = attendance[agency]
            row.names = (names.get(agency) or "").strip()[:500] or None
            session.add(row)
        session.commit()
    except Exception:
        session.rollback()
        raise


def record_minute(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    meeting_id: int,
    item_id: int,
    decision: str,
    risk_change: str | None = None,
    cessation: str = "none",
    cessation_reason: str | None = None,
    actions: list[dict[str, Any]] | None = None,
) -> JagMinute:
    """The decision on one item; each new action goes onto the item's case as an
    `add_action` event; a cessation proposal or keeping the case open as their events."""
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    _open_minutes(meeting)
    item = session.get(JagAgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id or item.dropped:
        raise InvalidInput("That item is not on this meeting's agenda.", field="item")
    decision = (decision or "").strip()
    errors = []
    if not decision:
        errors.append(_e("decision", "Enter the decision on this item"))
    elif len(decision) > 5000:
        errors.append(_e("decision", "The decision must be 5000 characters or fewer"))
    if cessation not in CESSATION:
        errors.append(_e("cessation", "Select a cessation decision"))
    actions = [a for a in actions or [] if any(str(v or "").strip() for v in a.values())]
    if item.case_id is None and (actions or cessation != "none"):
        errors.append(_e("actions", "Actions and cessation belong to an item about a case"))
    _raise(errors)
    existing = session.exec(select(JagMinute).where(JagMinute.item_id == item_id)).first()
    try:
        minute = existing or JagMinute(
            meeting_id=meeting_id, item_id=item_id, decision="", recorded_at=clock.now()
        )
        minute.decision = decision
        minute.risk_change = (risk_change or "").strip() or None
        minute.cessation = cessation if cessation != "none" or not existing else minute.cessation
        minute.recorded_at, minute.recorded_by = clock.now(), actor.user_id
        session.add(minute)
        session.flush()
        if item.case_id is not None:
            _case_events(
                session,
                clock,
                actor,
                meeting,
                minute,
                item,
                actions,
                cessation,
                cessation_reason,
                decision,
            )
        session.commit()
    except InvalidInput as exc:
        session.rollback()
        raise _renamed(exc) from None
    except Exception:
        session.rollback()
        raise
    return minute


def _renamed(exc: InvalidInput) -> InvalidInput:
    """The machine names fields `data.x`; the minutes form names them `action-x`."""
    errors = [
        {**e, "field": str(e.get("field", "")).replace("data.", "action-")} for e in exc.errors
    ] or [{"field": str(exc.field or "").replace("data.", "action-"), "message": exc.detail}]
    return InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)


def _fire(
    session: Session, clock: Clock, actor: Actor, case_id: int, event: str, data: dict[str, Any]
) -> Case:
    case = session.get(Case, case_id)
    assert case is not None
    session.refresh(case)  # the version the last event of this minute left
    return machine.fire_within(
        session,
        clock=clock,
        case_ref=case.reference,
        trigger=event,
        data=data,
        actor=actor,
        expected_version=case.version,
    )


def _case_events(
    session: Session,
    clock: Clock,
    actor: Actor,
    meeting: JagMeeting,
    minute: JagMinute,
    item: JagAgendaItem,
    actions: list[dict[str, Any]],
    cessation: str,
    cessation_reason: str | None,
    decision: str,
) -> None:
    assert item.case_id is not None
    for action in actions:
        try:
            _fire(session, clock, actor, item.case_id, "add_action", dict(action))
        except InvalidTransition as exc:  # e.g. a referral not yet accepted
            raise InvalidInput(f"No action can be added: {exc.detail}", field="actions") from exc
        seq = session.exec(
            select(JagAction.seq)
            .where(JagAction.case_id == item.case_id)
            .order_by(col(JagAction.seq).desc())
        ).first()
        session.add(
            JagMinuteAction(
                minute_id=minute.id,  # type: ignore[arg-type]
                meeting_id=meeting.id,  # type: ignore[arg-type]
                case_id=item.case_id,
                seq=int(seq or 0),
            )
        )
    if cessation == "propose":
        data = {"reason": (cessation_reason or "").strip(), "explanation": decision}
        try:
            _fire(session, clock, actor, item.case_id, "propose_cessation", data)
        except InvalidInput as exc:
            raise InvalidInput(
                "Select the reason the case should cease", field="cessation_reason"
            ) from exc
    elif cessation == "keep_open":
        _fire(session, clock, actor, item.case_id, "keep_open", {"reason": decision})


def approve(
    session: Session, *, clock: Clock, actor: Actor, meeting_id: int, at_meeting_id: int
) -> JagMeeting:
    """The minutes of `meeting_id` approved at the locality's next meeting: locked now."""
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    at = meetings.load(session, actor, at_meeting_id, chair=True)
    nxt = next_meeting(session, meeting)
    if nxt is None or nxt.id != at.id:
        raise InvalidTransition("Minutes are approved at the locality's next meeting.")
    if meeting.minutes_approved_at is not None:
        raise InvalidTransition("These minutes are already approved.")
    if meeting.status != "papers_sent":
        raise InvalidTransition("This meeting has no minutes to approve.")
    meeting.minutes_approved_at, meeting.minutes_approved_by = clock.now(), actor.user_id
    meeting.approved_at_meeting_id = at.id
    session.add(meeting)
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    return meeting


def next_meeting(session: Session, meeting: JagMeeting) -> JagMeeting | None:
    return session.exec(
        select(JagMeeting)
        .where(
            JagMeeting.area_id == meeting.area_id,
            JagMeeting.locality_id == meeting.locality_id,
            JagMeeting.held_on > meeting.held_on,
        )
        .order_by(col(JagMeeting.held_on), col(JagMeeting.id))
    ).first()


def add_correction(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    meeting_id: int,
    text: str,
    item_id: int | None = None,
) -> JagMinuteCorrection:
    """A correction to approved minutes, appended with who and when."""
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    if meeting.minutes_approved_at is None:
        raise InvalidTransition("Until they are approved, change the minutes themselves.")
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Enter the correction", field="correction")
    if len(text) > 5000:
        raise InvalidInput("The correction must be 5000 characters or fewer", field="correction")
    if item_id is not None:
        item = session.get(JagAgendaItem, item_id)
        if item is None or item.meeting_id != meeting_id:
            raise InvalidInput("That item is not on this meeting's agenda.", field="item")
    row = JagMinuteCorrection(
        meeting_id=meeting_id,
        item_id=item_id,
        text=text,
        written_at=clock.now(),
        written_by=actor.user_id,
    )
    session.add(row)
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    return row


def minutes_view(session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """Attendance, each item with its minute and the actions it set, and corrections."""
    meeting = meetings.load(session, actor, meeting_id)
    rows = agenda.items(session, meeting_id)
    minutes = {
        m.item_id: m
        for m in session.exec(select(JagMinute).where(JagMinute.meeting_id == meeting_id)).all()
    }
    actions: dict[int, list[Any]] = {}
    for ma, action, ref in session.exec(
        select(JagMinuteAction, JagAction, Case.reference)
        .join(
            JagAction,
            (col(JagAction.case_id) == JagMinuteAction.case_id)
            & (col(JagAction.seq) == JagMinuteAction.seq),
        )
        .join(Case, col(Case.id) == JagMinuteAction.case_id)
        .where(JagMinuteAction.meeting_id == meeting_id)
        .order_by(col(JagMinuteAction.id))
    ).all():
        actions.setdefault(ma.minute_id, []).append({"action": action, "reference": ref})
    attendance = {
        a.agency: a
        for a in session.exec(
            select(JagAttendance).where(JagAttendance.meeting_id == meeting_id)
        ).all()
    }
    corrections = session.exec(
        select(JagMinuteCorrection)
        .where(JagMinuteCorrection.meeting_id == meeting_id)
        .order_by(col(JagMinuteCorrection.id))
    ).all()
    return {
        "meeting": meeting,
        "items": [
            {
                "item": r,
                "minute": minutes.get(r.id),  # type: ignore[arg-type]
                "actions": actions.get(minutes[r.id].id, []) if r.id in minutes else [],
            }
            for r in rows
        ],
        "attendance": attendance,
        "corrections": list(corrections),
        "locked": meeting.minutes_approved_at is not None,
    }


def overdue_on(day: date, action: JagAction) -> bool:
    return action.status in agenda.PENDING_ACTION and action.due_on < day
