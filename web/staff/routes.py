"""The staff pages: each route parses the request, calls one engine service and renders."""

from __future__ import annotations

import csv
import io
import logging
from typing import Annotated, Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from jinja2.filters import do_title
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from engine import queries, registry, worklists
from engine.errors import (
    EngineError,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    StaleVersion,
)
from engine.services import auth, case_views
from engine.services.cases import record_event
from web.deps import ClockDep, SessionDep, SignedInStaff
from web.public.templating import redirect, short_date
from web.public.templating import render as render_page
from web.security import (
    SignInRequired,
    browser,
    checked_form,
    clear_staff_cookie,
    client_address,
    rate_limited,
    set_staff_cookie,
    staff_token,
)
from web.staff import documents as staff_documents
from web.staff import forms, workflow_pages
from web.staff import session as staff_session

log = logging.getLogger(__name__)
router = APIRouter(prefix="/staff", include_in_schema=False)
# Per address, on top of the per-account lockout: slows guessing across many accounts.
LOGIN_LIMIT = Depends(rate_limited("login"))


@router.get("/login")
def login_page(request: Request) -> Response:
    kept = request.query_params.get("kept") == "1"
    return render(request, "staff/login.html", {"values": {}, "kept": kept})


@router.post("/login", dependencies=[LOGIN_LIMIT])
async def login(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    form = await checked_form(request)
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    try:
        pending = auth.check_password(
            session, clock=clock, email=email, password=password, client=client_address(request)
        )
    except NotAuthenticated as exc:
        return _login_error(request, "staff/login.html", "email", exc.detail, {"email": email})
    must_enrol = auth.pending_enrolment(session, clock=clock, pending_token=pending)
    response = redirect(request, "/staff/login/enrol" if must_enrol else "/staff/login/code")
    set_staff_cookie(request, response, pending)
    return response


@router.get("/login/code")
def code_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    if not staff_token(request):
        return redirect(request, "/staff/login")
    if auth.pending_enrolment(session, clock=clock, pending_token=staff_token(request)):
        return redirect(request, "/staff/login/enrol")
    return render(request, "staff/code.html", {"values": {}})


@router.get("/login/enrol")
def enrol_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    """Set up an authenticator app: a QR code of the otpauth URI, and the key as text."""
    if not staff_token(request):
        return redirect(request, "/staff/login")
    setup = auth.pending_enrolment(session, clock=clock, pending_token=staff_token(request))
    if setup is None:
        return redirect(request, "/staff/login/code")
    return render(request, "staff/enrol.html", enrol_context(setup))


@router.post("/login/enrol", dependencies=[LOGIN_LIMIT])
async def enrol(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    form = await checked_form(request)
    pending = staff_token(request)
    try:
        token = auth.check_code(
            session,
            clock=clock,
            pending_token=pending,
            code=str(form.get("code", "")),
            client=client_address(request),
        )
    except auth.LockedOut as exc:
        return _login_error(request, "staff/login.html", "email", exc.detail, {})
    except NotAuthenticated as exc:
        session.rollback()
        setup = auth.pending_enrolment(session, clock=clock, pending_token=pending)
        if setup is None:
            return _login_error(request, "staff/login.html", "email", exc.detail, {})
        context = {**enrol_context(setup), "errors": {"code": exc.detail}}
        context["error_list"] = [{"text": exc.detail, "href": "#code"}]
        return render(request, "staff/enrol.html", context, status=401)
    response = redirect(request, staff_session.after_sign_in(session, clock, token))
    set_staff_cookie(request, response, token)
    return response


def enrol_context(setup: auth.TotpSetUp) -> dict[str, Any]:
    qr, key = segno.make(setup.otpauth_uri, error="m"), setup.totp_secret
    return {
        "values": {},
        "email": setup.email,
        "qr_src": qr.svg_data_uri(scale=5, border=4, dark="#0b0c0c", light="#ffffff"),
        # Groups of four, as authenticator apps show and accept them.
        "secret_groups": [key[i : i + 4] for i in range(0, len(key), 4)],
    }


@router.post("/login/code", dependencies=[LOGIN_LIMIT])
async def code(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    form = await checked_form(request)
    try:
        token = auth.check_code(
            session,
            clock=clock,
            pending_token=staff_token(request),
            code=str(form.get("code", "")),
            client=client_address(request),
        )
    except auth.LockedOut as exc:
        return _login_error(request, "staff/login.html", "email", exc.detail, {})
    except NotAuthenticated as exc:
        return _login_error(request, "staff/code.html", "code", exc.detail, {})
    response = redirect(request, staff_session.after_sign_in(session, clock, token))
    set_staff_cookie(request, response, token)
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep) -> Response:
    await checked_form(request)
    auth.end_session(session, token=staff_token(request))
    response = redirect(request, "/staff/login?signed_out=1")
    clear_staff_cookie(request, response)
    return response


@router.get("")
def my_work(
    request: Request,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    found = worklists.my_work_page(session, actor=actor, today=clock.today(), page=page)
    assigned = [
        line
        for work in workflow_pages.ASSIGNED_WORK
        for line in work(session, actor=actor, today=clock.today())
    ]
    context = {
        "actor": actor,
        "items": queue_lines(found.items),
        "assigned": [workflow_pages.assigned_line(line) for line in assigned],
        "nav": "work",
        "locality_cases": worklists.locality_cases(session, actor=actor, today=clock.today()),
        "queue": found,
        "pagination": _queue_pagination(found),
    }
    return render(request, "staff/my_work.html", context)


def _queue_pagination(found: worklists.QueuePage) -> dict[str, Any]:
    """GOV.UK pagination for My work: numbered pages, previous and next."""
    first = (found.page - 1) * found.per_page + 1
    out: dict[str, Any] = {
        "items": [
            {"number": n, "href": f"/staff?page={n}", "current": n == found.page}
            for n in range(1, found.pages + 1)
        ],
        "landmarkLabel": "My work pages",
        "first": first,
        "last": first + len(found.items) - 1,
    }
    if found.page > 1:
        out["previous"] = {"href": f"/staff?page={found.page - 1}"}
    if found.page < found.pages:
        out["next"] = {"href": f"/staff?page={found.page + 1}"}
    return out


# MOJ badges: red overdue, amber due within a few working days, green on track.
RAG_BADGES = workflow_pages.RAG_BADGES


def _locality_name(locality: str) -> str:
    """The locality as the area data names it ("Leicester City"), as every other list does."""
    try:
        found = registry.locality_area(locality).localities.get(locality)
    except LookupError:
        found = None
    return found.name if found else do_title(locality)


def _state_label(state: str) -> str:
    """The stage in the workflow's own words ("JAG report with the CSP chair"), never its code."""
    for name in registry.workflow_names():
        label = registry.workflow(name).state_labels.get(state)
        if label:
            return label
    return state.replace("_", " ").capitalize()


def queue_lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """My work's lines with the words each cell shows, worked out here in one pass rather
    than by a chain of template filters per cell (the page's cost grows with the queue).
    A queue repeats a few localities, states and dates: each is worded once."""
    places: dict[str, str] = {}
    states: dict[str, str] = {}
    days: dict[str, str] = {}
    lines = []
    for item in items:
        locality, state, due = item["locality"], item["state"], item["due_date"]
        if locality not in places:
            places[locality] = _locality_name(locality)
        if state not in states:
            states[state] = _state_label(state)
        if due not in days:
            days[due] = short_date(due)
        line = dict(item)
        line["locality_name"], line["state_text"] = places[locality], states[state]
        line["due_text"], line["badge"] = days[due], RAG_BADGES[item["rag"]]
        lines.append(line)
    return lines


# The overdue list's filters: GET parameters, so they work without JavaScript and can be
# bookmarked. Each may repeat (?locality=melton&locality=blaby); none means everything.
LocalityFilter = Annotated[list[str], Query(alias="locality", max_length=100)]
StepFilter = Annotated[list[str], Query(alias="step", max_length=100)]


@router.get("/overdue")
def overdue(
    request: Request,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
    localities: LocalityFilter = [],  # noqa: B006 - FastAPI copies query defaults
    steps: StepFilter = [],  # noqa: B006
) -> Response:
    report = worklists.overdue_report(
        session, actor=actor, today=clock.today(), localities=localities, steps=steps
    )
    context = {
        "actor": actor,
        "report": report,
        "nav": "overdue",
        "shown": report["shown"],
        "filters": _filter_options(report, localities, steps),
        "query": urlencode([("locality", v) for v in localities] + [("step", v) for v in steps]),
    }
    return render(request, "staff/overdue.html", context)


@router.get("/overdue.csv")
def overdue_csv(
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
    localities: LocalityFilter = [],  # noqa: B006
    steps: StepFilter = [],  # noqa: B006
) -> Response:
    report = worklists.overdue_report(
        session, actor=actor, today=clock.today(), localities=localities, steps=steps
    )
    headers = {
        "content-disposition": f'attachment; filename="overdue-{clock.today().isoformat()}.csv"',
        "cache-control": "no-store",
    }
    return Response(csv_text(report["shown"]), media_type="text/csv", headers=headers)


def _filter_options(
    report: dict[str, Any], localities: list[str], steps: list[str]
) -> dict[str, Any]:
    """The engine's options (values that have overdue items, with counts) as checkboxes,
    and for each chosen value a link that removes it, for the "Selected filters" tags."""

    def removing(name: str, value: str) -> str:
        pairs = [("locality", v) for v in localities] + [("step", v) for v in steps]
        kept = [(n, v) for n, v in pairs if (n, v) != (name, value)]
        return "/staff/overdue" + (f"?{urlencode(kept)}" if kept else "")

    def boxes(options: list[dict[str, Any]], picked: list[str]) -> list[dict[str, Any]]:
        return [{**o, "checked": o["value"] in picked} for o in options]

    def tags(name: str, options: list[dict[str, Any]]) -> list[dict[str, str]]:
        picked = [o for o in options if o["checked"]]
        return [{"text": o["label"], "href": removing(name, o["value"])} for o in picked]

    by_locality = boxes(report["localities"], localities)
    by_step = boxes(report["steps"], steps)
    return {
        "localities": by_locality,
        "steps": by_step,
        "selected": {"localities": tags("locality", by_locality), "steps": tags("step", by_step)},
    }


@router.get("/process")
def process(
    request: Request,
    actor: SignedInStaff,
    workflow: Annotated[str, Query(max_length=60)] = "community_trigger",
) -> Response:
    if workflow not in registry.workflow_names():
        raise NotFound(f"There is no process {workflow[:40]!r}.")
    wf = registry.workflow(workflow)
    context = {
        "actor": actor,
        "nav": "process",
        "workflow": queries.workflow_description(wf),
        "diagram": queries.mermaid(wf),
        # Every process the service runs, each a link to its own page.
        "processes": [
            {"name": n, "title": registry.workflow(n).title, "current": n == workflow}
            for n in registry.workflow_names()
        ],
    }
    return render(request, "staff/process.html", context)


CSV_COLUMNS = ("reference", "locality", "label", "owner_role", "due_date", "days_overdue", "state")


def csv_text(items: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Case", "Locality", "Step", "Held by", "Due", "Days overdue", "State"])
    for item in items:
        writer.writerow([_cell(item[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    # A cell a spreadsheet would run as a formula is quoted: values can come from applicants.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@router.get("/cases/{reference}")
def case_page(
    reference: str, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    own_page = workflow_pages.case_page_of(reference)
    if own_page is not None:
        return own_page(request, actor, session, clock, reference)
    case = case_views.case_page(session, reference=reference, actor=actor, clock=clock)
    context: dict[str, Any] = {"actor": actor, "case": case}
    recorded = request.query_params.get("recorded", "")
    labels = case.get("event_labels", {})
    if recorded in labels:  # only a label from the workflow, never text from the address
        state = case.get("state_label", "")
        context["success_banner"] = f"Recorded: {labels[recorded]}. The case is now: {state}."
    return render(request, "staff/case.html", context)


@router.get("/cases/{reference}/events/{event}")
def event_page(
    reference: str,
    event: str,
    request: Request,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    found = queries.event_form(session, reference=reference, event=event, actor=actor, clock=clock)
    workflow_pages.add_choices(found, session, actor)
    kept = staff_session.restored(request, session, clock, actor)
    if kept is None:
        return _event_form(request, actor, found, {}, {}, found["case"]["version"])
    # The version the text was written against: if the case moved on meanwhile, sending it
    # shows "this case changed" (with the text offered back) rather than overwriting.
    version = _int(kept.get("version")) if "version" in kept else found["case"]["version"]
    request.state.kept_banner = staff_session.KEPT_BANNER
    return _event_form(request, actor, found, kept, {}, version)


@router.post("/cases/{reference}/events/{event}")
async def fire_event(
    reference: str,
    event: str,
    request: Request,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    form = await checked_form(request)
    version = _int(form.get("version"))
    try:
        found = queries.event_form(
            session, reference=reference, event=event, actor=actor, clock=clock
        )
    except (NotFound, NotAllowed) as exc:
        # The event may have gone because someone else moved the case on: say so.
        session.rollback()
        return _changed(
            request, actor, session, clock, reference, version, unless_same=exc, typed=form
        )
    workflow_pages.add_choices(found, session, actor)
    session.rollback()  # end the read before the service opens its own transaction
    rows = forms.rows_changed(form)
    if rows is not None:  # "Add another recommendation" or "Remove": the form again
        return _event_form(request, actor, found, rows, {}, version)
    fields = forms.fields_for(found["model"], event, found.get("choices"))
    data, errors = forms.check(fields, found["model"], *forms.parse(fields, form))
    if errors:
        return _event_form(request, actor, found, dict(form), errors, version, status=422)
    try:
        record_event(
            session,
            clock=clock,
            case_ref=reference,
            event=event,
            data=data if found["model"] is not None else None,
            actor=actor,
            expected_version=version,
        )
    except StaleVersion:
        session.rollback()
        return _changed(request, actor, session, clock, reference, version, typed=form)
    except InvalidInput as exc:
        session.rollback()
        errors = forms.engine_errors(fields, exc.errors)
        return _event_form(request, actor, found, dict(form), errors, version, status=422)
    # Post/redirect/get, with the event named for the success banner on the case page.
    return redirect(request, f"/staff/cases/{reference}?recorded={event}")


def _event_form(
    request: Request,
    actor: Any,
    found: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    version: int,
    *,
    status: int = 200,
) -> Response:
    if found["event"] in staff_documents.PREVIEWED:  # the letter page: write, preview, issue
        return staff_documents.letter_form(
            request, actor, found, values, errors, version, status=status
        )
    context = forms.event_form_context(actor, found, values, errors, version)
    return render(request, "staff/event.html", context, status=status)


def _changed(
    request: Request,
    actor: Any,
    session: Any,
    clock: Any,
    reference: str,
    version: int,
    *,
    unless_same: Exception | None = None,
    typed: Any = None,
) -> Response:
    """The "this case changed" page; raises `unless_same` if nothing did change.

    What was typed is offered back: shown on the page to copy, and kept as a draft that the
    event's form (if it can still be used) opens with.
    """
    case = queries.changes_since(
        session, reference=reference, version=version, actor=actor, clock=clock
    )
    session.rollback()
    if unless_same is not None and (version < 1 or not case["changes"]):
        raise unless_same
    offered = staff_session.offer_back(request, session, actor, typed)
    context = {"actor": actor, "case": case, **offered}
    return render(request, "staff/changed.html", context, status=409)


def _int(value: Any) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() else -1


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    """Every staff page carries this browser's CSRF token (the sign-out button is a form);
    a signed-in page also carries the idle warning and its forms the signed draft owner."""
    browser(request)
    return render_page(request, name, staff_session.page_extras(request, context), status=status)


def _login_error(
    request: Request, template: str, field: str, message: str, values: dict[str, str]
) -> Response:
    errors = {field: message}
    error_list = [{"text": message, "href": f"#{field}"}]
    context = {"errors": errors, "error_list": error_list, "values": values}
    return render(request, template, context, status=401)


ERROR_TITLES = {
    403: "You do not have access to this",
    404: "Page not found",
    409: "This cannot be done now",
    500: "Sorry, there is a problem with the service",
}


def _staff_errors(previous: Any) -> Any:
    """Staff pages get staff error pages; everything else keeps its own handler."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/staff"):
            return await previous(request, exc)  # type: ignore[no-any-return]
        status = getattr(exc, "status", None) or getattr(exc, "status_code", 500)
        if isinstance(exc, RequestValidationError):
            status = 404
        if status >= 500:
            log.exception("unhandled error on a staff page", exc_info=exc)
        detail = getattr(exc, "detail", "") if isinstance(exc, EngineError) else ""
        context = {"title": ERROR_TITLES.get(status, ERROR_TITLES[409]), "detail": detail}
        return render(request, "staff/error.html", context, status=status)

    return handle


def install(app: FastAPI) -> None:
    """The staff router, the sign-in redirect, and staff error pages (after the public ones)."""
    app.add_exception_handler(SignInRequired, staff_session.to_sign_in)
    app.include_router(staff_session.router)
    for kind in (StarletteHTTPException, EngineError, RequestValidationError, Exception):
        previous = app.exception_handlers.get(kind)
        if previous is not None:
            app.add_exception_handler(kind, _staff_errors(previous))
    app.include_router(router)
    from web.staff import privacy  # imports this module's render

    app.include_router(privacy.router)
