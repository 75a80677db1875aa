"""The application's incidents and their reports: add another, change, remove."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from engine.clock import Clock
from web.deps import ClockDep, SessionDep
from web.public import flow, forms
from web.public.answers import AGENCIES, AGENCY_HINTS, CHARACTERISTICS, incident_rows
from web.public.apply import CheckedForm, Return, guard, show
from web.public.forms import Errors
from web.public.incident_forms import NOT_HATE, parse_incident, parse_report
from web.public.pages import YES_NO
from web.public.state import EXPIRED_URL, Refused, after_refusal, load, save
from web.public.templating import redirect, short_date
from workflows.community_trigger.services.form_sessions import FormState

router = APIRouter(include_in_schema=False)
SUMMARY = "/apply/incidents"


def nth(items: list[Any] | None, number: int) -> dict[str, Any]:
    """A copy of the `number`th (from 1) of `items`; a number in no list is a 404."""
    items = items or []
    if not 1 <= number <= len(items):
        raise HTTPException(404, "Page not found")
    return dict(items[number - 1])


def _incident(answers: dict[str, Any], number: int) -> dict[str, Any]:
    return nth(answers.get("incidents"), number)


def _report(incident: dict[str, Any], number: int) -> dict[str, Any]:
    return nth(incident.get("reports"), number)


def put_incident(answers: dict[str, Any], number: int, incident: dict[str, Any]) -> None:
    answers["incidents"] = [
        incident if n == number else i for n, i in enumerate(answers["incidents"], start=1)
    ]


def _after(request: Request, state: FormState, returning: bool) -> Response:
    if not state.started:
        return redirect(request, EXPIRED_URL)
    return redirect(request, flow.CHECK_ANSWERS if returning else SUMMARY)


# --- the list -----------------------------------------------------------------------------


def _summary(request: Request, state: FormState, clock: Clock, errors: Errors | None) -> Response:
    incidents = state.answers.get("incidents") or []
    cards = [
        {
            "number": n,
            "title": f"Incident {n}: {short_date(i.get('date'))}",
            "rows": incident_rows(i, n, to_check=False),
            "complete": flow.incident_complete(i),
            "reports": len(i.get("reports") or []),
        }
        for n, i in enumerate(incidents, start=1)
    ]
    return show(
        request,
        "public/apply/incidents.html",
        "incidents",
        state,
        clock,
        returning=False,
        values={},
        errors=errors,
        cards=cards,
        can_add=len(incidents) < flow.MAX_INCIDENTS,
        max_reports=flow.MAX_REPORTS,
    )


@router.get("/apply/incidents")
def incidents(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "incidents")) is not None:
        return stop
    if not state.answers.get("incidents"):
        return redirect(request, "/apply/incidents/new")
    return _summary(request, state, clock, None)


@router.post("/apply/incidents")
def incidents_done(
    request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    def change(answers: dict[str, Any]) -> dict[str, Any]:
        errors = Errors()
        for n, i in enumerate(answers.get("incidents") or [], start=1):
            if not flow.incident_complete(i):
                what = "what happened" if not i.get("description") else "who you reported it to"
                if i.get("description") and not i.get("hate"):
                    what = "whether it was because of who you are"
                errors[f"incident-{n}"] = f"Tell us {what} for incident {n}"
        if not answers.get("incidents"):
            errors["incident-1"] = "Add at least one incident"
        if errors:
            raise Refused(errors, answers)
        answers["incidents_done"] = True
        return answers

    try:
        state = save(request, session, clock, change)
    except Refused as refused:
        return _summary(
            request, after_refusal(request, session, clock, refused), clock, Errors(refused.errors)
        )
    if not state.started:
        return redirect(request, EXPIRED_URL)
    return redirect(request, flow.next_url("incidents", state.answers, returning=False))


# --- one incident -------------------------------------------------------------------------


def _incident_page(
    request: Request,
    state: FormState,
    clock: Clock,
    number: int | None,
    values: dict[str, Any],
    errors: Errors | None = None,
    returning: bool = False,
) -> Response:
    return show(
        request,
        "public/apply/incident.html",
        "incidents",
        state,
        clock,
        returning=returning,
        values=values,
        errors=errors,
        number=number,
        characteristics=CHARACTERISTICS,
        because=_because(values),
        date_error=forms.date_error_for(errors or Errors(), "date"),
        back_url=flow.CHECK_ANSWERS if returning else SUMMARY,
    )


def _incident_values(form: Any) -> dict[str, Any]:
    return dict(form) | {"because": form.getlist("because")}


def _because(values: dict[str, Any]) -> list[str]:
    """The ticked boxes: as posted, or from the saved answer."""
    if "because" in values:
        return list(values["because"])
    if values.get("hate") == "no":
        return [NOT_HATE]
    return list(values.get("characteristics") or [])


@router.get("/apply/incidents/new")
def new_incident(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "incidents")) is not None:
        return stop
    return _incident_page(request, state, clock, None, {})


@router.get("/apply/incidents/{number}")
def incident(
    number: int, request: Request, session: SessionDep, clock: ClockDep, back: Return = None
) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "incidents")) is not None:
        return stop
    values = forms.form_values(_incident(state.answers, number))
    return _incident_page(request, state, clock, number, values, returning=back == "check")


def _save_incident(request: Request, form: Any, clock: Clock, number: int | None) -> Any:
    def change(answers: dict[str, Any]) -> dict[str, Any]:
        incidents = list(answers.get("incidents") or [])
        current = _incident(answers, number) if number else None
        if current is None and len(incidents) >= flow.MAX_INCIDENTS:
            raise Refused({"description": "You can add up to 50 incidents"}, answers)
        updated, errors = parse_incident(form, clock.today(), current)
        if errors:
            raise Refused(errors, answers)
        if number:
            incidents[number - 1] = updated
        else:
            incidents.append(updated)
            # A new incident sends the person back through the list before checking answers.
            answers["incidents_done"] = False
        answers["incidents"] = incidents
        return answers

    return change


@router.post("/apply/incidents/new")
def add_incident(
    request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    try:
        state = save(request, session, clock, _save_incident(request, form, clock, None))
    except Refused as refused:
        state = after_refusal(request, session, clock, refused)
        values = _incident_values(form)
        return _incident_page(request, state, clock, None, values, Errors(refused.errors))
    if not state.started:
        return redirect(request, EXPIRED_URL)
    number = len(state.answers["incidents"])
    return redirect(request, f"/apply/incidents/{number}/reports/new")


@router.post("/apply/incidents/{number}")
def change_incident(
    number: int,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: CheckedForm,
    back: Return = None,
) -> Response:
    returning = back == "check"
    try:
        state = save(request, session, clock, _save_incident(request, form, clock, number))
    except Refused as refused:
        state = after_refusal(request, session, clock, refused)
        values = _incident_values(form)
        return _incident_page(
            request, state, clock, number, values, Errors(refused.errors), returning
        )
    if state.started and not state.answers["incidents"][number - 1].get("reports"):
        return redirect(request, f"/apply/incidents/{number}/reports/new")
    return _after(request, state, returning)


# --- reports ------------------------------------------------------------------------------


def _report_page(
    request: Request,
    state: FormState,
    clock: Clock,
    number: int,
    report_number: int | None,
    values: dict[str, Any],
    errors: Errors | None = None,
    returning: bool = False,
) -> Response:
    return question_page(
        request,
        state,
        clock,
        "public/apply/report.html",
        number,
        values,
        errors,
        returning,
        report_number=report_number,
    )


def question_page(
    request: Request,
    state: FormState,
    clock: Clock,
    template: str,
    number: int,
    values: dict[str, Any],
    errors: Errors | None,
    returning: bool,
    **extra: Any,
) -> Response:
    """A question about one thing under incident `number` (a report, another reporter)."""
    return show(
        request,
        template,
        "incidents",
        state,
        clock,
        returning=returning,
        values=values,
        errors=errors,
        number=number,
        incident=_incident(state.answers, number),
        agencies=AGENCIES,
        agency_hints=AGENCY_HINTS,
        date_error=forms.date_error_for(errors or Errors(), "date"),
        back_url=flow.CHECK_ANSWERS if returning else SUMMARY,
        **extra,
    )


@router.get("/apply/incidents/{number}/reports/new")
def new_report(number: int, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "incidents")) is not None:
        return stop
    return _report_page(request, state, clock, number, None, {})


@router.get("/apply/incidents/{number}/reports/{report_number}")
def report(
    number: int,
    report_number: int,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    back: Return = None,
) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "incidents")) is not None:
        return stop
    values = forms.form_values(_report(_incident(state.answers, number), report_number))
    return _report_page(
        request, state, clock, number, report_number, values, returning=back == "check"
    )


def _save_report(form: Any, clock: Clock, number: int, report_number: int | None) -> Any:
    too_many = ("agency", "You can add up to 20 reports for one incident")
    return saving_one(
        form, clock, number, report_number, "reports", flow.MAX_REPORTS, too_many, parse_report
    )


def saving_one(
    form: Any,
    clock: Clock,
    number: int,
    one: int | None,
    key: str,
    most: int,
    too_many: tuple[str, str],
    parse: Any,
) -> Any:
    """The change adding (`one` None) or changing one of incident `number`'s `key` list."""

    def change(answers: dict[str, Any]) -> dict[str, Any]:
        incident = _incident(answers, number)
        items = list(incident.get(key) or [])
        current = nth(items, one) if one else None
        if current is None and len(items) >= most:
            raise Refused(dict([too_many]), answers)
        updated, errors = parse(form, clock.today(), incident, current)
        if errors:
            raise Refused(errors, answers)
        if one:
            items[one - 1] = updated
        else:
            items.append(updated)
        incident[key] = items
        put_incident(answers, number, incident)
        return answers

    return change


def _report_route(
    request: Request,
    session: Any,
    clock: Clock,
    form: Any,
    number: int,
    report_number: int | None,
    returning: bool,
) -> Response:
    try:
        state = save(request, session, clock, _save_report(form, clock, number, report_number))
    except Refused as refused:
        state = after_refusal(request, session, clock, refused)
        return _report_page(
            request,
            state,
            clock,
            number,
            report_number,
            dict(form),
            Errors(refused.errors),
            returning,
        )
    return _after(request, state, returning)


@router.post("/apply/incidents/{number}/reports/new")
def add_report(
    number: int, request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    return _report_route(request, session, clock, form, number, None, False)


@router.post("/apply/incidents/{number}/reports/{report_number}")
def change_report(
    number: int,
    report_number: int,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: CheckedForm,
    back: Return = None,
) -> Response:
    return _report_route(request, session, clock, form, number, report_number, back == "check")


# --- removing -----------------------------------------------------------------------------


def _remove_page(
    request: Request,
    state: FormState,
    clock: Clock,
    question: str,
    errors: Errors | None = None,
    back_url: str = SUMMARY,
) -> Response:
    return show(
        request,
        "public/apply/remove.html",
        "incidents",
        state,
        clock,
        returning=False,
        values={},
        errors=errors,
        question=question,
        back_url=back_url,
    )


def _removing(kind: str, answers: dict[str, Any], number: int, report_number: int | None) -> str:
    incident = _incident(answers, number)
    if report_number is None:
        return f"Are you sure you want to remove the {kind} on {short_date(incident.get('date'))}?"
    report = _report(incident, report_number)
    who = AGENCIES.get(report.get("agency", ""), "").lower()
    return f"Are you sure you want to remove the report to {who} on {short_date(report['date'])}?"


@router.get("/apply/incidents/{number}/remove")
@router.get("/apply/incidents/{number}/reports/{report_number}/remove")
def confirm_remove(
    number: int,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    report_number: int | None = None,
) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "incidents")) is not None:
        return stop
    question = _removing("incident", state.answers, number, report_number)
    return _remove_page(request, state, clock, question)


@router.post("/apply/incidents/{number}/remove")
@router.post("/apply/incidents/{number}/reports/{report_number}/remove")
def remove(
    number: int,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: CheckedForm,
    report_number: int | None = None,
) -> Response:
    sure = form.get("sure")

    def change(answers: dict[str, Any]) -> dict[str, Any]:
        if sure not in YES_NO:
            question = _removing("incident", answers, number, report_number)
            raise Refused({"sure": "Select yes if you want to remove it"}, answers, q=question)
        if sure == "yes":
            remove_from(answers, number, report_number)
        return answers

    try:
        state = save(request, session, clock, change)
    except Refused as refused:
        state = after_refusal(request, session, clock, refused)
        return _remove_page(request, state, clock, refused.extra["q"], Errors(refused.errors))
    return _after(request, state, False)


def remove_from(answers: dict[str, Any], number: int, report_number: int | None) -> None:
    incidents = list(answers.get("incidents") or [])
    incident = _incident(answers, number)
    if report_number is None:
        del incidents[number - 1]
    else:
        reports = list(incident.get("reports") or [])
        _report(incident, report_number)
        del reports[report_number - 1]
        incidents[number - 1] = incident | {"reports": reports}
    answers["incidents"] = incidents
