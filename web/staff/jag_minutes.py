"""Staff pages for a JAG meeting's minutes: attendance, each item's decision with a new
action (onto the case's plan through the machine), risk change and cessation decision;
approval at the next meeting; corrections appended once approved. The JAG package decides
(workflows/jag_case/minutes.py); these routes parse and render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from engine.errors import InvalidInput
from web.deps import ClockDep, RowId, SessionDep, SignedInStaff
from web.public.forms import read_date
from web.public.templating import redirect
from web.security import checked_form
from web.staff.jag_meetings import BASE, error_list
from web.staff.routes import render
from workflows.jag_case import agenda, meetings, minutes
from workflows.jag_case.area import jag_area
from workflows.jag_case.meeting_area import KIND_LABELS

router = APIRouter(prefix="/staff/jag/meetings", include_in_schema=False)


def _minutes_context(session: Any, actor: Any, meeting_id: int) -> dict[str, Any]:
    view = minutes.minutes_view(session, actor, meeting_id)
    meeting = view["meeting"]
    rows = [i["item"] for i in view["items"]]
    return view | {
        "actor": actor,
        "nav": "jag_meetings",
        "titles": agenda.named(session, rows),
        "kind_labels": KIND_LABELS,
        "chair": meetings.may_chair(actor, meeting.area_id, meeting.locality_id),
        "agencies": jag_area(meeting.area_id).agencies,
        "cessation_reasons": jag_area(meeting.area_id).cessation_reasons,
        "values": {},
    }


@router.get("/{meeting_id}/minutes")
def minutes_page(
    request: Request, meeting_id: RowId, actor: SignedInStaff, session: SessionDep
) -> Response:
    ctx = _minutes_context(session, actor, meeting_id)
    if request.query_params.get("saved"):
        ctx["success_banner"] = "Minute saved"
    return render(request, "staff/jag_meeting_minutes.html", ctx)


def _action_rows(form: FormData, item_id: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The new action typed under an item (all of its boxes empty: none)."""
    p = f"action-{item_id}-"
    text = {k: str(form.get(p + k, "")).strip() for k in ("action", "owner", "agency")}
    parts = [str(form.get(f"{p}due_on-{x}", "")).strip() for x in ("day", "month", "year")]
    if not any(text.values()) and not any(parts):
        return [], {}
    errors: dict[str, str] = {}
    due, problem = read_date(parts, what="the action's due date")
    if problem:
        errors[f"{p}due_on"] = problem[1]
    for k, words in (
        ("action", "what is to be done"),
        ("owner", "who owns the action"),
        ("agency", "the agency"),
    ):
        if not text[k]:
            errors[p + k] = f"Enter {words}" if k != "agency" else "Select the agency"
    if errors:
        return [], errors
    assert due is not None
    return [{**text, "due_on": due.isoformat()}], {}


@router.post("/{meeting_id}/minutes/items/{item_id}")
async def record_minute(
    request: Request,
    meeting_id: RowId,
    item_id: RowId,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await checked_form(request)
    actions, errors = _action_rows(form, item_id)
    p = f"action-{item_id}-"
    names = {
        "decision": f"decision-{item_id}",
        "cessation": f"cessation-{item_id}",
        "cessation_reason": f"cessation_reason-{item_id}",
        "action-action": p + "action",
        "action-owner": p + "owner",
        "action-agency": p + "agency",
        "action-due_on": p + "due_on",
        "actions": p + "action",
        "item": f"decision-{item_id}",
    }
    if not errors:
        session.rollback()
        try:
            minutes.record_minute(
                session,
                clock=clock,
                actor=actor,
                meeting_id=meeting_id,
                item_id=item_id,
                decision=str(form.get(f"decision-{item_id}", "")),
                risk_change=str(form.get(f"risk_change-{item_id}", "")),
                cessation=str(form.get(f"cessation-{item_id}", "none")),
                cessation_reason=str(form.get(f"cessation_reason-{item_id}", "")),
                actions=actions,
            )
            return redirect(request, f"{BASE}/{meeting_id}/minutes?saved=1#item-{item_id}")
        except InvalidInput as exc:
            session.rollback()
            found = error_list(exc, names)
    else:
        found = {
            "errors": errors,
            "error_list": [{"text": m, "href": f"#{n}"} for n, m in errors.items()],
        }
    ctx = _minutes_context(session, actor, meeting_id) | found
    ctx["values"] = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    return render(request, "staff/jag_meeting_minutes.html", ctx, status=422)


@router.post("/{meeting_id}/minutes/attendance")
async def record_attendance(
    request: Request,
    meeting_id: RowId,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await checked_form(request)
    session.rollback()
    meeting = meetings.load(session, actor, meeting_id)
    invited = list(meeting.invited)
    session.rollback()
    answers = {a: str(form.get(f"attendance-{n}", "")) for n, a in enumerate(invited)}
    names = {a: str(form.get(f"names-{n}", "")) for n, a in enumerate(invited)}
    try:
        minutes.record_attendance(
            session,
            clock=clock,
            actor=actor,
            meeting_id=meeting_id,
            attendance=answers,
            names=names,
        )
    except InvalidInput as exc:
        session.rollback()
        ctx = _minutes_context(session, actor, meeting_id) | error_list(exc)
        ctx["values"] = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        return render(request, "staff/jag_meeting_minutes.html", ctx, status=422)
    return redirect(request, f"{BASE}/{meeting_id}/minutes?saved=1")


@router.post("/{meeting_id}/approve")
async def approve_previous(
    request: Request,
    meeting_id: RowId,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """At this meeting, approve the locality's previous meeting's minutes."""
    await checked_form(request)
    session.rollback()
    meeting = meetings.load(session, actor, meeting_id, chair=True)
    previous = agenda.previous_meeting(session, meeting)
    session.rollback()
    if previous is None:
        raise InvalidInput("There is no earlier meeting to approve.", field="approve")
    minutes.approve(
        session,
        clock=clock,
        actor=actor,
        meeting_id=previous.id,  # type: ignore[arg-type]
        at_meeting_id=meeting_id,
    )
    return redirect(request, f"{BASE}/{meeting_id}?approved=1")


@router.post("/{meeting_id}/minutes/corrections")
async def add_correction(
    request: Request,
    meeting_id: RowId,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await checked_form(request)
    session.rollback()
    try:
        minutes.add_correction(
            session,
            clock=clock,
            actor=actor,
            meeting_id=meeting_id,
            text=str(form.get("correction", "")),
        )
    except InvalidInput as exc:
        session.rollback()
        ctx = _minutes_context(session, actor, meeting_id) | error_list(exc)
        ctx["values"] = {"correction": str(form.get("correction", ""))}
        return render(request, "staff/jag_meeting_minutes.html", ctx, status=422)
    return redirect(request, f"{BASE}/{meeting_id}/minutes?saved=1#corrections")
