"""Staff pages for JAG meetings: the list per locality, arranging a meeting, the agenda
builder (reorder, add, drop, time slots: plain forms, no script needed), sending the papers,
the pack (HTML, and the PDF to download), the minutes item by item, approval and corrections.

The JAG package decides everything (workflows/jag_case/meetings.py, agenda.py, pack.py,
minutes.py): who may read or chair, what the agenda holds, what a minute writes. These
routes parse forms, call one service and render; a refused input comes back with the GOV.UK
error summary and nothing stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine.errors import InvalidInput, NotFound
from web.deps import ClockDep, RowId, SessionDep, SignedInStaff
from web.public.forms import read_date
from web.public.templating import redirect
from web.security import checked_form
from web.staff.routes import render
from workflows.jag_case import agenda, agenda_items, domestic_abuse, meetings, pack
from workflows.jag_case.area import jag_area
from workflows.jag_case.meeting_area import KIND_LABELS, meetings_area

router = APIRouter(prefix="/staff/jag/meetings", include_in_schema=False)
BASE = "/staff/jag/meetings"


def error_list(exc: InvalidInput, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The engine's errors as the GOV.UK error summary and per-field messages."""
    fields = fields or {}
    errors: dict[str, str] = {}
    for e in exc.errors or [{"field": exc.field, "message": exc.detail}]:
        name = fields.get(str(e.get("field")), str(e.get("field") or "form"))
        errors.setdefault(name, str(e["message"]))
    links = [{"text": m, "href": f"#{n}"} for n, m in errors.items()]
    return {"errors": errors, "error_list": links}


def _list_context(session: Any, actor: Any, clock: Any, locality: str) -> dict[str, Any]:
    places = meetings.localities(actor)
    chosen = locality or (places[0][1] if places else "")
    place = next((p for p in places if p[1] == chosen), None)
    return {
        "actor": actor,
        "nav": "jag_meetings",
        "places": places,
        "place": place,
        "meetings": meetings.list_meetings(session, actor, place[0], place[1]) if place else [],
        "chairs": bool(place and meetings.may_chair(actor, place[0], place[1])),
        "flags": bool(place and meetings.may_flag(actor, place[0], place[1])),
        "pattern": meetings.defaults(place[0], place[1], clock.today()).get("pattern")
        if place
        else None,
        "values": {},
    }


@router.get("")
def meetings_list(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    ctx = _list_context(session, actor, clock, request.query_params.get("locality", ""))
    if request.query_params.get("flagged"):
        ctx["success_banner"] = "Repeat domestic-abuse victim recorded"
    return render(request, "staff/jag_meetings.html", ctx)


def _new_context(actor: Any, place: tuple[str, str, str], values: dict[str, Any]) -> dict:
    return {
        "actor": actor,
        "nav": "jag_meetings",
        "place": place,
        "values": values,
        "agencies": jag_area(place[0]).agencies,
    }


def _place(actor: Any, locality: str) -> tuple[str, str, str]:
    place = next((p for p in meetings.localities(actor, meetings.CHAIRS) if p[1] == locality), None)
    if place is None:
        from engine.errors import NotAllowed

        raise NotAllowed("Only a JAG chair of this locality may arrange its meetings.")
    return place


@router.post("/repeat-victims")
async def flag_repeat_victim(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    """Record a victim case as domestic abuse with its repeat count (0 removes it): the
    standing agenda item ranks the locality's victims by it."""
    form = await checked_form(request)
    ref = str(form.get("case_ref", "")).strip().upper()
    count = str(form.get("repeat_count", ""))
    session.rollback()
    try:
        if not ref:
            raise InvalidInput("Enter the victim's JAG case reference", field="case_ref")
        domestic_abuse.set_flag(session, clock=clock, actor=actor, case_ref=ref, repeat_count=count)
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        if isinstance(exc, NotFound):
            exc = InvalidInput(f"There is no JAG case {ref} you can open", field="case_ref")
        ctx = _list_context(session, actor, clock, str(form.get("locality", "")))
        ctx |= error_list(exc) | {"values": {"case_ref": ref, "repeat_count": count}}
        return render(request, "staff/jag_meetings.html", ctx, status=422)
    return redirect(request, f"{BASE}?locality={form.get('locality', '')}&flagged=1")


@router.get("/new")
def new_meeting(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    place = _place(actor, request.query_params.get("locality", ""))
    std = meetings.defaults(place[0], place[1], clock.today())
    held = std.get("held_on")
    values: dict[str, Any] = {
        "locality": place[1],
        "starts_at": std.get("starts_at", ""),
        "length_minutes": str(std.get("length_minutes", "")),
        "place": std.get("place", ""),
        "invited": std["invited"],
    }
    if held:
        values.update(
            {"held_on-day": held.day, "held_on-month": held.month, "held_on-year": held.year}
        )
    return render(request, "staff/jag_meeting_new.html", _new_context(actor, place, values))


@router.post("/new")
async def create_meeting(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    values["invited"] = [str(v) for v in form.getlist("invited")]
    place = _place(actor, values.get("locality", ""))
    held, problem = read_date(
        [values.get(f"held_on-{p}") for p in ("day", "month", "year")], what="the date"
    )
    length = values.get("length_minutes", "").strip()
    errors: dict[str, str] = {}
    if problem:
        errors["held_on"] = problem[1]
    if not length.isdigit():
        errors["length_minutes"] = "Enter the length in minutes, for example 120"
    if not errors:
        session.rollback()
        try:
            meeting = meetings.create_meeting(
                session,
                clock=clock,
                actor=actor,
                area_id=place[0],
                locality_id=place[1],
                held_on=held,
                starts_at=values.get("starts_at", ""),
                length_minutes=int(length),
                place=values.get("place", ""),
                call_link=values.get("call_link", ""),
                invited=values["invited"],
            )
        except InvalidInput as exc:
            ctx = _new_context(actor, place, values) | error_list(exc)
            return render(request, "staff/jag_meeting_new.html", ctx, status=422)
        return redirect(request, f"{BASE}/{meeting.id}?arranged=1")
    ctx = _new_context(actor, place, values)
    ctx["errors"] = errors
    ctx["error_list"] = [{"text": m, "href": f"#{n}"} for n, m in errors.items()]
    return render(request, "staff/jag_meeting_new.html", ctx, status=422)


def _meeting_context(session: Any, actor: Any, meeting_id: int) -> dict[str, Any]:
    meeting = meetings.load(session, actor, meeting_id)
    rows = agenda.items(session, meeting_id)
    previous = agenda.previous_meeting(session, meeting)
    chair = meetings.may_chair(actor, meeting.area_id, meeting.locality_id)
    return {
        "actor": actor,
        "nav": "jag_meetings",
        "meeting": meeting,
        "items": pack.timed(meeting, rows, agenda.named(session, rows)),
        "timing": agenda.timing(meeting, rows),
        "kind_labels": KIND_LABELS,
        "chair": chair,
        "editable": chair and meeting.status == "planned",
        "victims": agenda.repeat_victims(
            session, meeting, show_names=meetings.sees_victim_names(actor, meeting)
        ),
        "victim_count": meetings_area(meeting.area_id).repeat_victims,
        "previous": previous,
        "approvable": chair
        and previous is not None
        and previous.status == "papers_sent"
        and previous.minutes_approved_at is None,
        "values": {},
    }


@router.get("/{meeting_id}")
def meeting_page(
    request: Request, meeting_id: RowId, actor: SignedInStaff, session: SessionDep
) -> Response:
    ctx = _meeting_context(session, actor, meeting_id)
    banners = {
        "arranged": "Meeting arranged: the agenda is built from the cases as they are now",
        "sent": "Papers sent: attendees can read the pack from this page",
        "approved": "The minutes of the last meeting are approved and locked",
    }
    for key, words in banners.items():
        if request.query_params.get(key):
            ctx["success_banner"] = words
    return render(request, "staff/jag_meeting.html", ctx)


@router.post("/{meeting_id}/agenda")
async def change_agenda(
    request: Request,
    meeting_id: RowId,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Every agenda change posts here with `op`: up, down, drop, slot, add or refresh."""
    form = await checked_form(request)
    op = str(form.get("op", ""))
    item = str(form.get("item", ""))
    session.rollback()
    common = {"session": session, "clock": clock, "actor": actor, "meeting_id": meeting_id}
    try:
        if op in ("up", "down", "drop", "slot") and not item.isdigit():
            raise InvalidInput("Choose an item on the agenda", field="item")
        if op in ("up", "down"):
            agenda_items.move_item(**common, item_id=int(item), up=op == "up")
        elif op == "drop":
            agenda_items.drop_item(**common, item_id=int(item))
        elif op == "slot":
            agenda_items.set_slot(**common, item_id=int(item), minutes=form.get(f"slot-{item}", ""))
        elif op == "add":
            agenda_items.add_item(
                **common,
                title=str(form.get("title", "")),
                case_ref=str(form.get("case_ref", "")),
                minutes=str(form.get("minutes", "")),
            )
        elif op == "refresh":
            agenda_items.refresh_agenda(**common)
        else:
            raise InvalidInput("Choose what to change on the agenda", field="op")
    except InvalidInput as exc:
        session.rollback()
        ctx = _meeting_context(session, actor, meeting_id) | error_list(exc)
        ctx["values"] = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        return render(request, "staff/jag_meeting.html", ctx, status=422)
    anchor = f"#item-{item}" if op in ("up", "down", "slot") else "#agenda"
    return redirect(request, f"{BASE}/{meeting_id}{anchor}")


@router.post("/{meeting_id}/papers")
async def send_papers(
    request: Request,
    meeting_id: RowId,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    await checked_form(request)
    session.rollback()
    pack.send_papers(session, clock=clock, actor=actor, meeting_id=meeting_id)
    return redirect(request, f"{BASE}/{meeting_id}?sent=1")


@router.get("/{meeting_id}/pack")
def pack_page(
    request: Request, meeting_id: RowId, actor: SignedInStaff, session: SessionDep
) -> Response:
    stored = pack.stored(session, actor, meeting_id)
    meeting = meetings.load(session, actor, meeting_id)
    return render(
        request,
        "staff/jag_meeting_pack.html",
        {
            "actor": actor,
            "nav": "jag_meetings",
            "meeting": meeting,
            "pack_html": stored.html,
            "title": pack.title(meeting),
        },
    )


@router.get("/{meeting_id}/pack.pdf")
def pack_pdf(
    request: Request, meeting_id: RowId, actor: SignedInStaff, session: SessionDep
) -> Response:
    stored = pack.stored(session, actor, meeting_id)
    meeting = meetings.load(session, actor, meeting_id)
    name = f"jag-papers-{meeting.locality_id}-{meeting.held_on.isoformat()}.pdf"
    headers = {"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"}
    return Response(stored.pdf, media_type="application/pdf", headers=headers)
