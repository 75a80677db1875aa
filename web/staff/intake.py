"""Staff taking things in for people: an application by phone, letter or in person, and a
complaint of ASB made to their agency (with the 2025 guidance's second-report prompt)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from engine.errors import InvalidInput
from engine.services import case_views
from web.deps import ClockDep, RowId, SessionDep, SettingsDep, SignedInStaff
from web.public.forms import read_date
from web.public.templating import redirect
from web.security import checked_form
from web.staff import session as staff_session
from web.staff.routes import render
from workflows.community_trigger.services import complaints, intake
from workflows.community_trigger.services.applications import ApplicationIn
from workflows.community_trigger.services.intake import hash_token

router = APIRouter(prefix="/staff", include_in_schema=False)

# A fixed set of rows, so the page works without JavaScript; empty ones are skipped.
INCIDENT_SLOTS = 3
REPORT_SLOTS = 2
OTHER_SLOTS = 2  # other people who reported the same incident

CHANNELS = {
    "phone": "By phone",
    "paper": "By letter or on a paper form",
    "in_person": "In person",
    "representative": "Through a representative",
}
CHANNEL_HINTS = {"representative": "For example a councillor, MP, support worker or relative."}
ROLES = {
    "victim": "The victim, or one of the victims",
    "representative": "Someone applying for the victim, with their permission",
    "professional": "A professional applying for someone they support, with their permission",
    "group": "Someone applying for a community group or business",
}
CONTACT = {"email": "Email", "phone": "Phone", "post": "Post"}
INVOLVEMENT = {
    "attend": "They want to go to the meeting",
    "representative": "They want someone to go for them",
    "impact_statement": "They want to send a written statement",
    "none": "They do not want to take part",
}
AGENCIES = {
    "council": "Council",
    "police": "Police",
    "health": "Integrated care board (NHS)",
    "housing": "Housing provider (co-opted)",
    "other": "Other",
}

# What each field is called in error messages ("Enter the applicant's name").
LABELS = {
    "channel": "how the application came in",
    "locality": "the locality",
    "applicant_role": "who is applying",
    "applicant_name": "the applicant's name",
    "applicant_email": "the applicant's email address",
    "applicant_phone": "the applicant's phone number",
    "applicant_address": "the applicant's address",
    "applicant_postcode": "the applicant's postcode",
    "consent_detail": "how the victim gave their consent",
    "victim_name": "the victim's name",
    "victim_email": "the victim's email address",
    "victim_phone": "the victim's phone number",
    "victim_address": "the victim's address",
    "victim_postcode": "the victim's postcode",
    "contact_preference": "how they want us to contact them",
    "texts_safe": "whether texts are safe to send them",
    "accessibility_needs": "their accessibility or language needs",
    "involvement": "how they want to take part",
    "impact": "how it has affected them",
    "vulnerabilities": "any vulnerabilities",
    "outcome_wanted": "the outcome they want",
    "consent_to_share": "that the applicant agreed to share their information",
    "declaration": "that the applicant confirmed the declaration",
}
PERSON_FIELDS = ("name", "email", "phone", "address", "postcode")
CASE_FIELDS = (
    "accessibility_needs",
    "impact",
    "vulnerabilities",
    "outcome_wanted",
    "consent_detail",
)


def _preset(choices: list[tuple[str, str]]) -> dict[str, str]:
    """A blank form's values: a staff member with one locality has it chosen already."""
    return {"locality": choices[0][0]} if len(choices) == 1 else {}


@router.get("/applications/new")
def application_page(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    choices = intake.intake_form_localities(actor)
    values = _kept_or(request, session, clock, actor, _preset(choices))
    return _application_form(request, actor, choices, values, {})


def _kept_or(
    request: Request, session: Any, clock: Any, actor: Any, blank: dict[str, str]
) -> dict[str, str]:
    """A form sent after the session ended, given back after signing in (?draft=N)."""
    kept = staff_session.restored(request, session, clock, actor)
    if kept is None:
        return blank
    request.state.kept_banner = staff_session.KEPT_BANNER
    return {k: v for k, v in kept.items() if isinstance(v, str)}


@router.post("/applications/new")
async def enter_application(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    choices = intake.intake_form_localities(actor)
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    body, slots, errors = read_application(form, clock.today())
    try:  # even with a bad date: every problem is reported at once
        application = ApplicationIn.model_validate(body)
    except ValidationError as exc:
        for name, message in _pydantic_errors(exc, slots).items():
            errors.setdefault(name, message)
    if errors:
        return _application_form(request, actor, choices, values, errors, status=422)
    session.rollback()  # end any read before the service opens its own transaction
    try:
        done = intake.enter_application(session, clock=clock, application=application, actor=actor)
    except InvalidInput as exc:
        session.rollback()
        errors = {_form_field(e.get("field"), slots): e["message"] for e in exc.errors}
        return _application_form(request, actor, choices, values, errors, status=422)
    response = redirect(request, f"/staff/applications/{done.reference}/entered")
    # The private link is shown once, on the next page; only its hash is stored.
    response.set_cookie(
        NEW_LINK_COOKIE,
        done.status_token,
        max_age=600,
        path="/staff/applications",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


NEW_LINK_COOKIE = "ct_new_status_link"


@router.get("/applications/{reference}/entered")
def application_entered(
    reference: str,
    request: Request,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    # The case page below the status link: with its privacy section, and the view recorded.
    case = case_views.case_page(session, reference=reference, actor=actor, clock=clock)
    token = request.cookies.get(NEW_LINK_COOKIE, "")
    if not token or not intake.status_token_matches(session, reference, hash_token(token)):
        return redirect(request, f"/staff/cases/{reference}")
    link = f"{settings.base_url.rstrip('/')}/status/{token}"
    code = intake.status_code_of(session, reference)
    context = {"actor": actor, "case": case, "status_link": link, "status_code": code}
    response = render(request, "staff/apply_done.html", context)
    response.delete_cookie(NEW_LINK_COOKIE, path="/staff/applications")
    return response


def _application_form(
    request: Request,
    actor: Any,
    choices: list[tuple[str, str]],
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response:
    context = {
        "actor": actor,
        "nav": "apply",
        "localities": choices,
        "values": values,
        "errors": errors or None,
        "error_list": _in_page_order(errors, APPLICATION_ORDER),
        "channels": CHANNELS,
        "channel_hints": CHANNEL_HINTS,
        "applicant_roles": ROLES,
        "contact_choices": CONTACT,
        "involvement_choices": INVOLVEMENT,
        "agencies": AGENCIES,
        "incident_slots": range(1, INCIDENT_SLOTS + 1),
        "report_slots": range(1, REPORT_SLOTS + 1),
        "other_slots": range(1, OTHER_SLOTS + 1),
        "back_url": "/staff",
    }
    return render(request, "staff/apply.html", context, status=status)


def _incident_boxes(i: int) -> list[str]:
    boxes = [f"inc{i}_{b}" for b in ("date", "place", "description", "hate", "characteristic")]
    for j in range(1, REPORT_SLOTS + 1):
        boxes += [f"inc{i}_rep{j}_{b}" for b in ("agency", "date", "reference")]
    return boxes


# The boxes in the order the pages show them (staff/apply.html, staff/complaint.html), so
# the error summary reads in the same order as the page; boxes not listed go last.
APPLICATION_ORDER = [
    "channel",
    "locality",
    "applicant_role",
    *(f"applicant_{f}" for f in PERSON_FIELDS),
    "consent_detail",
    *(f"victim_{f}" for f in PERSON_FIELDS),
    "contact_preference",
    "accessibility_needs",
    "involvement",
    "vulnerabilities",
    "impact",
    "outcome_wanted",
    *(box for i in range(1, INCIDENT_SLOTS + 1) for box in _incident_boxes(i)),
    "consent_to_share",
    "declaration",
]
COMPLAINT_ORDER = [
    "locality",
    "name",
    "postcode",
    "email",
    "incident_on",
    "reported_on",
    "agency",
    "reference",
    "description",
]


def _in_page_order(errors: dict[str, str], order: list[str]) -> list[dict[str, str]]:
    """The error summary: one link per box, in the page's order."""
    rank = {name: i for i, name in enumerate(order)}
    names = sorted(errors, key=lambda n: rank.get(n, len(rank)))
    return [{"text": errors[n], "href": f"#{_anchor(n)}"} for n in names]


def _anchor(name: str) -> str:
    """The id an error links to: a date's day box; otherwise the field (or first radio)."""
    return f"{name}-day" if name.endswith(("_date", "_on")) else name


# --- reading the application form ------------------------------------------------------

# Per kept incident: its row number, its report rows and its other-reporter rows.
Slots = list[tuple[int, list[int], list[int]]]


def read_application(form: FormData, today: date) -> tuple[dict[str, Any], Slots, dict[str, str]]:
    """The application body from the form, the rows kept, and messages for what is missing.

    Only presence and shape are checked here; the engine checks what the answers mean.
    """
    get = _getter(form)
    errors: dict[str, str] = {}
    for name in ("channel", "locality", "applicant_role", "contact_preference"):
        if not get(name):
            errors[name] = f"Select {LABELS[name]}"
    if not get("applicant_name"):
        errors["applicant_name"] = "Enter the applicant's name"
    for name in ("consent_to_share", "declaration"):
        if get(name) != "yes":
            errors[name] = (
                "Confirm the applicant agreed to share their information with the agencies"
                if name == "consent_to_share"
                else "Confirm the applicant said the information is true"
            )
    body: dict[str, Any] = {
        "channel": get("channel"),
        "locality": get("locality"),
        "applicant": {**_person(get, "applicant"), "role": get("applicant_role") or "victim"},
        "contact_preference": get("contact_preference") or "email",
        # Only a clear yes: someone else may read their texts.
        "texts_safe": get("texts_safe") == "yes",
        "consent_to_share": get("consent_to_share") == "yes",
        "declaration": get("declaration") == "yes",
    }
    victim = _person(get, "victim")
    if victim:
        if not victim.get("name"):
            errors["victim_name"] = "Enter the victim's name"
        body["victim"] = victim
    if get("involvement"):
        body["involvement"] = get("involvement")
    body.update({k: get(k) for k in CASE_FIELDS if get(k)})
    incidents, slots = _incidents(form, get, errors)
    body["incidents"] = incidents
    body["hate_incident"] = any(i["hate_incident"] for i in incidents)
    if not incidents and "inc1_date" not in errors:
        errors["inc1_date"] = "Enter the date of at least one incident"
    return body, slots, errors


def _getter(form: FormData) -> Any:
    def get(name: str) -> str:
        return str(form.get(name, "")).strip()

    return get


def _person(get: Any, prefix: str) -> dict[str, str]:
    return {f: get(f"{prefix}_{f}") for f in PERSON_FIELDS if get(f"{prefix}_{f}")}


def _incidents(form: FormData, get: Any, errors: dict[str, str]) -> tuple[list[Any], Slots]:
    incidents: list[dict[str, Any]] = []
    slots: Slots = []
    for i in range(1, INCIDENT_SLOTS + 1):
        p = f"inc{i}"
        reports, report_rows = [], []
        for j in range(1, REPORT_SLOTS + 1):
            r = f"{p}_rep{j}"
            parts = (get(f"{r}_agency"), get(f"{r}_reference"), *_date_parts(get, f"{r}_date"))
            if not any(parts):
                continue
            report: dict[str, Any] = {"agency": get(f"{r}_agency") or None}
            if not report["agency"]:
                errors[f"{r}_agency"] = f"Select who incident {i}'s report {j} was made to"
            report["reported_date"] = _date(get, f"{r}_date", errors, "the date it was reported")
            if get(f"{r}_reference"):
                report["reference"] = get(f"{r}_reference")
            reports.append(report)
            report_rows.append(j)
        own = (get(f"{p}_description"), get(f"{p}_place"), *_date_parts(get, f"{p}_date"))
        if not any(own) and not reports:
            continue  # an empty row: not needed
        happened = _date(get, f"{p}_date", errors, "the date of the incident")
        if not get(f"{p}_description"):
            errors[f"{p}_description"] = f"Enter what happened in incident {i}"
        if not reports:
            errors[f"{p}_rep1_agency"] = f"Enter at least one report of incident {i}"
        incident: dict[str, Any] = {
            "date": happened,
            "description": get(f"{p}_description"),
            "hate_incident": form.get(f"{p}_hate") == "yes",
            "reports": reports,
        }
        if get(f"{p}_place"):
            incident["place"] = get(f"{p}_place")
        if get(f"{p}_characteristic"):
            incident["perceived_characteristic"] = get(f"{p}_characteristic")
        others, other_rows = _others(form, get, errors, i)
        incident["other_reporters"] = others
        incidents.append(incident)
        slots.append((i, report_rows, other_rows))
    return incidents, slots


def _others(
    form: FormData, get: Any, errors: dict[str, str], i: int
) -> tuple[list[dict[str, Any]], list[int]]:
    """Other people who reported incident i: each row given, and its slot number."""
    others, rows = [], []
    for k in range(1, OTHER_SLOTS + 1):
        o = f"inc{i}_oth{k}"
        given = (get(f"{o}_name"), get(f"{o}_agency"), get(f"{o}_email"), get(f"{o}_phone"))
        if not any((*given, *_date_parts(get, f"{o}_date"))):
            continue
        if not get(f"{o}_name"):
            errors[f"{o}_name"] = f"Enter the name of the other person who reported incident {i}"
        if not get(f"{o}_agency"):
            errors[f"{o}_agency"] = f"Select who the other person reported incident {i} to"
        person: dict[str, Any] = {
            "name": get(f"{o}_name"),
            "agency": get(f"{o}_agency") or None,
            "reported_date": _date(get, f"{o}_date", errors, "the date they reported it"),
            "contact_consent": form.get(f"{o}_consent") == "yes",
        }
        person.update({f: get(f"{o}_{f}") for f in ("email", "phone") if get(f"{o}_{f}")})
        if person["reported_date"] is None and f"{o}_date" not in errors:
            errors[f"{o}_date"] = "Enter the date they reported it"
        others.append(person)
        rows.append(k)
    return others, rows


def _date_parts(get: Any, name: str) -> tuple[str, str, str]:
    return get(f"{name}-day"), get(f"{name}-month"), get(f"{name}-year")


def _date(get: Any, name: str, errors: dict[str, str], what: str) -> str | None:
    """A date the staff member typed, as ISO text; the engine decides whether it may be in
    the future, and says so in its own words."""
    value, problem = read_date(_date_parts(get, name), what=what)
    if problem is not None:
        errors[name] = problem[1]
        return None
    return value.isoformat() if value else None


def _pydantic_errors(exc: ValidationError, slots: Slots) -> dict[str, str]:
    errors: dict[str, str] = {}
    for e in exc.errors():
        name = _form_field(".".join(str(p) for p in e["loc"]), slots)
        errors.setdefault(name, _message(name, e))
    return errors


OTHER_LABELS = {
    "name": "the other person's name",
    "agency": "who the other person reported it to",
    "phone": "the other person's phone number",
    "date": "the date the other person reported it",
}


def _message(name: str, e: Any) -> str:
    parts = name.split("_", 2)
    other = OTHER_LABELS.get(parts[2]) if len(parts) == 3 and parts[1].startswith("oth") else None
    label = other or LABELS.get(name, name.replace("_", " "))
    kind = e.get("type", "")
    if "email" in name:
        return "Enter an email address in the correct format, like name@example.com"
    if kind == "string_too_long":
        return f"Shorten {label}: it must be {e['ctx']['max_length']} characters or fewer"
    if kind in ("missing", "string_too_short"):
        return f"Enter {label}"
    if kind in ("literal_error", "enum"):
        return f"Select {label}"
    return f"Check {label}"


def _form_field(engine_field: str | None, slots: Slots) -> str:
    """The form field behind an engine or model error ("incidents.0.reports.1.reported_date")."""
    parts = (engine_field or "").split(".")
    if parts[0] == "incidents" and len(parts) > 1 and parts[1].isdigit():
        row, report_rows, other_rows = (
            slots[int(parts[1])] if int(parts[1]) < len(slots) else (1, [1], [1])
        )
        if len(parts) > 3 and parts[2] == "other_reporters" and parts[3].isdigit():
            k = int(parts[3])
            slot = other_rows[k] if k < len(other_rows) else 1
            field = parts[4] if len(parts) > 4 else "name"
            names = {"reported_date": "date", "contact_consent": "consent"}
            return f"inc{row}_oth{slot}_{names.get(field, field)}"
        if len(parts) > 3 and parts[2] == "reports" and parts[3].isdigit():
            j = int(parts[3])
            rep = report_rows[j] if j < len(report_rows) else 1
            field = parts[4] if len(parts) > 4 else "agency"
            return f"inc{row}_rep{rep}_{'date' if field == 'reported_date' else field}"
        field = parts[2] if len(parts) > 2 else "date"
        if field == "reports":  # none given: the first report's box is where to add one
            return f"inc{row}_rep1_agency"
        names = {"perceived_characteristic": "characteristic", "hate_incident": "hate"}
        return f"inc{row}_{names.get(field, field)}"
    if parts[0] in ("applicant", "victim") and len(parts) > 1:
        return f"{parts[0]}_{'role' if parts[1] == 'role' else parts[1]}"
    if parts[0] == "victim":
        return "victim_name"
    if parts[0] == "applicant":
        return "applicant_name"
    if parts[0] == "hate_incident":
        return "inc1_hate"
    return parts[0] or "channel"


# --- complaints --------------------------------------------------------------------------

COMPLAINT_LABELS = {
    "locality": "the locality",
    "name": "the person's name",
    "postcode": "the person's postcode",
    "email": "the person's email address",
    "incident_on": "the date of the incident",
    "reported_on": "the date it was reported",
    "agency": "the agency it was reported to",
    "reference": "the agency's reference",
    "description": "a short description",
}


@router.get("/complaints/new")
def complaint_page(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    choices = intake.intake_form_localities(actor)
    values = _kept_or(request, session, clock, actor, _preset(choices))
    return _complaint_form(request, actor, choices, values, {})


@router.post("/complaints/new")
async def record_complaint(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    choices = intake.intake_form_localities(actor)
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    get = _getter(form)
    errors: dict[str, str] = {}
    body: dict[str, Any] = {
        k: get(k)
        for k in ("locality", "name", "postcode", "email", "agency", "reference", "description")
        if get(k)
    }
    for name in ("incident_on", "reported_on"):
        body[name] = _date(get, name, errors, COMPLAINT_LABELS[name])
    for name in ("locality", "agency"):
        if not get(name):
            errors[name] = f"Select {COMPLAINT_LABELS[name]}"
    for name in ("name", "description"):
        if not get(name):
            errors[name] = f"Enter {COMPLAINT_LABELS[name]}"
    try:  # even with a bad date: every problem is reported at once
        complaint = complaints.ComplaintIn.model_validate(body)
    except ValidationError as exc:
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "name"
            errors.setdefault(name, _complaint_message(name, e))
    if errors:
        return _complaint_form(request, actor, choices, values, errors, status=422)
    session.rollback()
    try:
        done = complaints.record_complaint(session, clock=clock, complaint=complaint, actor=actor)
    except InvalidInput as exc:
        session.rollback()
        errors = {(e.get("field") or "name"): e["message"] for e in exc.errors}
        return _complaint_form(request, actor, choices, values, errors, status=422)
    return redirect(request, f"/staff/complaints/{done.report_id}")


def _complaint_message(name: str, e: Any) -> str:
    if name == "email":
        return "Enter an email address in the correct format, like name@example.com"
    label = COMPLAINT_LABELS.get(name, name.replace("_", " "))
    if e.get("type") == "string_too_long":
        return f"Shorten {label}: it must be {e['ctx']['max_length']} characters or fewer"
    if e.get("type") in ("literal_error", "enum"):
        return f"Select {label}"
    return f"Enter {label}"


def _complaint_form(
    request: Request,
    actor: Any,
    choices: list[tuple[str, str]],
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response:
    context = {
        "actor": actor,
        "nav": "complaint",
        "localities": choices,
        "values": values,
        "errors": errors or None,
        "error_list": _in_page_order(errors, COMPLAINT_ORDER),
        "agencies": AGENCIES,
        "back_url": "/staff",
    }
    return render(request, "staff/complaint.html", context, status=status)


@router.get("/complaints/{report_id}")
def complaint_done(
    report_id: RowId, request: Request, actor: SignedInStaff, session: SessionDep
) -> Response:
    view = complaints.complaint_view(session, report_id=report_id, actor=actor)
    return render(
        request,
        "staff/complaint_done.html",
        {"actor": actor, "complaint": view, "nav": "complaint"},
    )


@router.post("/complaints/{report_id}/explained")
async def complaint_explained(
    report_id: RowId, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    await checked_form(request)
    complaints.record_explained(session, clock=clock, report_id=report_id, actor=actor)
    return redirect(request, f"/staff/complaints/{report_id}")
