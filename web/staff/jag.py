"""Staff pages for JAG case work: the referral form, and the JAG case page.

Who may refer, in which localities, and what a referral must hold are the JAG package's
decisions (workflows/jag_case/services.py, staff_view.py); these routes parse and render.
The case's events use the generic event forms (web/staff/routes.py), with their choices
(actions, ladder stages, cessation reasons, chairs) given by the package.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from engine import registry
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.services import case_views
from web.deps import ClockDep, SessionDep, SignedInStaff
from web.public.forms import read_date
from web.public.templating import redirect
from web.security import checked_form
from web.staff import jag_page
from web.staff import session as staff_session
from web.staff.routes import render
from web.staff.workflow_pages import ASSIGNED_WORK, CASE_PAGES, EVENT_CHOICES
from workflows.jag_case import services as jag_services
from workflows.jag_case import staff_view

router = APIRouter(prefix="/staff", include_in_schema=False)

SUBJECT_KINDS = {
    "victim": "A victim",
    "perpetrator": "A perpetrator",
    "place": "A place",
    "problem": "A problem",
}
PERSON_KINDS = ("victim", "perpetrator")
# The boxes in page order, with what an error asks for ("Enter …", "Select …").
REFERRAL_FIELDS = {
    "locality": ("Select", "the locality the case is for"),
    "subject_kind": ("Select", "who or what the case is about"),
    "person_name": ("Enter", "the person's full name"),
    "person_date_of_birth": ("Enter", "the person's date of birth"),
    "place_label": ("Enter", "the place or problem"),
    "place_postcode": ("Enter", "the postcode"),
    "reason": ("Enter", "the reason for the referral"),
    "agencies": ("Select", "at least one agency involved"),
    "linked_ct": ("Enter", "the Community Trigger case reference"),
    "recommendation_seq": ("Enter", "the recommendation number"),
}
# The engine names a subject's fields inside `subject`; the form has one box per kind.
ENGINE_FIELDS = {
    "subject.name": "person_name",
    "subject.date_of_birth": "person_date_of_birth",
    "subject.label": "place_label",
    "subject.postcode": "place_postcode",
    "subject": "subject_kind",
    "area_id": "locality",
    "locality_id": "locality",
}


@router.get("/jag/refer")
def referral_page(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    options = staff_view.referral_options(actor)
    values: dict[str, Any] = {}
    if len(options["localities"]) == 1:
        values["locality"] = options["localities"][0][0]
    kept = staff_session.restored(request, session, clock, actor)
    if kept is not None:  # sent after the session ended: given back after signing in
        request.state.kept_banner = staff_session.KEPT_BANNER
        agencies = kept.get("agencies", [])
        values = {k: v for k, v in kept.items() if isinstance(v, str)}
        values["agencies"] = [agencies] if isinstance(agencies, str) else list(agencies)
    return _referral_form(request, actor, options, values, {})


@router.post("/jag/refer")
async def refer(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    options = staff_view.referral_options(actor)
    values = _values(form)
    body, errors = read_referral(form, options)
    if errors:
        return _referral_form(request, actor, options, values, errors, status=422)
    session.rollback()  # end the read before the service opens its own transaction
    try:
        case = jag_services.refer(session, clock=clock, actor=actor, **body)
    except InvalidInput as exc:
        session.rollback()
        found: dict[str, str] = {}
        for e in exc.errors:
            found.setdefault(_form_field(e.get("field"), body), e["message"])
        return _referral_form(request, actor, options, values, _ordered(found), status=422)
    return redirect(request, f"/staff/cases/{case.reference}?referred=1")


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    values["agencies"] = [str(v) for v in form.getlist("agencies")]
    return values


def read_referral(form: FormData, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The referral as `refer` takes it, and every problem the form itself can see (the
    service checks the rest, and names the field at fault)."""

    def get(name: str) -> str:
        return str(form.get(name, "")).strip()

    errors: dict[str, str] = {}
    locality = get("locality")
    areas = dict(options["area_of"])
    if locality not in areas:
        errors["locality"] = "Select the locality the case is for"
    kind = get("subject_kind")
    if kind not in SUBJECT_KINDS:
        errors["subject_kind"] = "Select who or what the case is about"
    subject: dict[str, Any] = {}
    if kind in PERSON_KINDS:
        subject["name"] = get("person_name")
        if not subject["name"]:
            errors["person_name"] = "Enter the person's full name"
        parts = [get(f"person_date_of_birth-{p}") for p in ("day", "month", "year")]
        if any(parts):
            born, problem = read_date(parts, what="the person's date of birth")
            if problem is not None:
                errors["person_date_of_birth"] = problem[1]
            elif born is not None:
                subject["date_of_birth"] = born.isoformat()
    elif kind:
        subject["label"] = get("place_label")
        if not subject["label"]:
            errors["place_label"] = "Enter the place or problem"
        if get("place_postcode"):
            subject["postcode"] = get("place_postcode")
    reason = get("reason")
    if not reason:
        errors["reason"] = "Enter the reason for the referral"
    agencies = [str(a).strip() for a in form.getlist("agencies") if str(a).strip()]
    if not agencies:
        errors["agencies"] = "Select at least one agency involved"
    linked = get("linked_ct").upper() or None
    seq_text = get("recommendation_seq")
    seq = None
    if seq_text:
        if not seq_text.isdigit() or len(seq_text) > 4:
            errors["recommendation_seq"] = "The recommendation number must be a whole number"
        elif linked is None:
            errors["linked_ct"] = "Enter the Community Trigger case the recommendation is from"
        else:
            seq = int(seq_text)
    body = {
        "area_id": areas.get(locality, ""),
        "locality_id": locality,
        "subject_kind": kind,
        "subject": subject,
        "reason": reason,
        "agencies": agencies,
        "linked_ct": linked,
        "recommendation_seq": seq,
    }
    return body, _ordered(errors)


def _form_field(engine_field: str | None, body: dict[str, Any]) -> str:
    name = (engine_field or "").removeprefix("data.")
    if name in ENGINE_FIELDS:
        return ENGINE_FIELDS[name]
    if name.startswith("agencies"):
        return "agencies"
    return name if name in REFERRAL_FIELDS else "reason"


def _ordered(errors: dict[str, str]) -> dict[str, str]:
    order = list(REFERRAL_FIELDS)
    return {k: errors[k] for k in sorted(errors, key=lambda k: order.index(k))}


def _anchor(name: str) -> str:
    if name == "person_date_of_birth":
        return "person_date_of_birth-day"
    return name


def _referral_form(
    request: Request,
    actor: Any,
    options: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response:
    context = {
        "actor": actor,
        "nav": "jag_refer",
        "options": options,
        "subject_kinds": SUBJECT_KINDS,
        "values": values,
        "errors": errors or None,
        "error_list": [{"text": m, "href": f"#{_anchor(n)}"} for n, m in errors.items()],
    }
    return render(request, "staff/jag_refer.html", context, status=status)


# ---------------------------------------------------------------- the JAG case page


def case_page(request: Request, actor: Any, session: Any, clock: Any, reference: str) -> Response:
    """A JAG case: its subjects, referral, risk, action plan, OSARA, ladder, peer reviews,
    other cases of the same people and places, what the actor can do now, and the timeline.
    Refused exactly as the generic case page is; the view is recorded before it is shown."""
    try:
        view = staff_view.case_page(session, reference=reference, actor=actor, clock=clock)
    except (NotAllowed, NotFound):
        # A peer reviewer's access ends with their findings: they are told it is done.
        session.rollback()
        if request.query_params.get("recorded") == "record_peer_review":
            done = staff_view.reviewed_by(session, reference=reference, actor=actor)
            if done is not None:
                return render(request, "staff/jag_reviewed.html", {"actor": actor, **done})
        raise
    case_views.record(session, reference=reference, actor=actor, clock=clock, what="case")
    page = jag_page.case_context(view, registry.workflow(staff_view.WORKFLOW))
    case = page["case"]
    context: dict[str, Any] = {"actor": actor, **page}
    recorded = request.query_params.get("recorded", "")
    labels = case.get("event_labels", {})
    if recorded in labels:  # only a label from the workflow, never text from the address
        context["success_banner"] = (
            f"Recorded: {labels[recorded]}. The case is now: {case['state_label']}."
        )
    elif request.query_params.get("referred") == "1":
        context["success_banner"] = (
            f"Case {case['reference']} referred to the JAG. It is now: {case['state_label']}."
        )
    return render(request, "staff/jag_case.html", context)


def event_choices(
    session: Any, actor: Any, reference: str, event: str
) -> dict[str, list[dict[str, Any]]]:
    return staff_view.event_choices(session, actor=actor, reference=reference, event=event)


CASE_PAGES[staff_view.WORKFLOW] = case_page
EVENT_CHOICES[staff_view.WORKFLOW] = event_choices
ASSIGNED_WORK.append(staff_view.peer_reviews_for)
