"""Check if you can apply: incidents and their reports, then the threshold in plain words."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from engine.clock import Clock
from web.deps import ClockDep, SessionDep
from web.public import forms
from web.public.answers import AGENCIES, AGENCY_HINTS, report_text
from web.public.apply import CheckedForm, area_id
from web.public.forms import Errors
from web.public.incident_forms import parse_quick_incident
from web.public.pages import YES_NO
from web.public.state import Refused, after_refusal, load, put, save, timing
from web.public.templating import redirect, render, short_date
from web.security import rate_limited
from workflows.community_trigger.services import precheck
from workflows.community_trigger.services.form_sessions import FormState

router = APIRouter(include_in_schema=False)
LIST = "/check/incidents"


def _page(
    request: Request,
    template: str,
    state: FormState,
    clock: Clock,
    errors: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    context = {"answers": state.answers, "errors": errors or None, **timing(state, clock), **extra}
    if errors:
        context["error_list"] = Errors(errors).summary()
    return render(request, template, context, status=422 if errors else 200)


@router.get("/check")
def intro(request: Request) -> Response:
    return render(request, "public/check/intro.html", {"back_url": "/"})


def _incident(answers: dict[str, Any], number: int) -> dict[str, Any]:
    incidents = answers.get("incidents") or []
    if not 1 <= number <= len(incidents):
        raise HTTPException(404, "Page not found")
    return dict(incidents[number - 1])


def _incident_form(
    request: Request,
    state: FormState,
    clock: Clock,
    number: int | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    return _page(
        request,
        "public/check/incident.html",
        state,
        clock,
        errors,
        values=values,
        number=number,
        agencies=AGENCIES,
        agency_hints=AGENCY_HINTS,
        date_error=forms.date_error_for(Errors(errors or {}), "date"),
        reported_error=forms.date_error_for(Errors(errors or {}), "reported"),
        back_url=LIST if state.answers.get("incidents") else "/check",
    )


def _quick_values(incident: dict[str, Any]) -> dict[str, Any]:
    first = (incident.get("reports") or [{}])[0]
    values = forms.form_values({"date": incident.get("date"), "reported": first.get("date")})
    return values | {"agency": first.get("agency")}


@router.get("/check/incidents/new")
def new_incident(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    return _incident_form(request, state, clock, None, {})


@router.get("/check/incidents/{number}")
def incident(number: int, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    values = _quick_values(_incident(state.answers, number))
    return _incident_form(request, state, clock, number, values)


def _saving(form: Any, today: date, number: int | None) -> Any:
    def change(answers: dict[str, Any]) -> dict[str, Any]:
        incidents = list(answers.get("incidents") or [])
        current = _incident(answers, number) if number else None
        if current is None and len(incidents) >= 50:
            raise Refused({"date-day": "You can add up to 50 incidents"}, answers)
        updated, errors = parse_quick_incident(form, today, current)
        if errors:
            raise Refused(errors, answers)
        if number:
            incidents[number - 1] = updated
        else:
            incidents.append(updated)
        answers["incidents"], answers["incidents_done"] = incidents, False
        return answers

    return change


@router.post("/check/incidents/new")
def add_incident(
    request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    return _save_incident(request, session, clock, form, None)


@router.post("/check/incidents/{number}")
def change_incident(
    number: int, request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    return _save_incident(request, session, clock, form, number)


def _save_incident(
    request: Request, session: Any, clock: Clock, form: Any, number: int | None
) -> Response:
    try:
        save(request, session, clock, _saving(form, clock.today(), number), create=True)
    except Refused as refused:
        state = after_refusal(request, session, clock, refused)
        return _incident_form(request, state, clock, number, dict(form), refused.errors)
    return redirect(request, LIST)


@router.get("/check/incidents")
def incidents(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    found = state.answers.get("incidents") or []
    if not found:
        return redirect(request, "/check/incidents/new")
    rows = [
        {
            "key": {"text": f"Incident on {short_date(i.get('date'))}"},
            "value": {"text": "Reported to " + report_text((i.get("reports") or [{}])[0])},
            "actions": {
                "items": [
                    {
                        "href": f"/check/incidents/{n}",
                        "text": "Change",
                        "visuallyHiddenText": f"incident {n}",
                    },
                    {
                        "href": f"/check/incidents/{n}/remove",
                        "text": "Remove",
                        "visuallyHiddenText": f"incident {n}",
                    },
                ]
            },
        }
        for n, i in enumerate(found, start=1)
    ]
    return _page(request, "public/check/incidents.html", state, clock, rows=rows, back_url="/check")


@router.get("/check/incidents/{number}/remove")
def confirm_remove(number: int, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    question = _remove_question(state.answers, number)
    return _page(
        request,
        "public/apply/remove.html",
        state,
        clock,
        question=question,
        back_url=LIST,
        values={},
    )


def _remove_question(answers: dict[str, Any], number: int) -> str:
    found = _incident(answers, number)
    return f"Are you sure you want to remove the incident on {short_date(found.get('date'))}?"


@router.post("/check/incidents/{number}/remove")
def remove(
    number: int, request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    sure = form.get("sure")

    def change(answers: dict[str, Any]) -> dict[str, Any]:
        if sure not in YES_NO:
            q = _remove_question(answers, number)
            raise Refused({"sure": "Select yes if you want to remove it"}, answers, q=q)
        if sure == "yes":
            incidents = list(answers.get("incidents") or [])
            _incident(answers, number)
            del incidents[number - 1]
            answers["incidents"], answers["incidents_done"] = incidents, False
        return answers

    try:
        save(request, session, clock, change)
    except Refused as refused:
        state = after_refusal(request, session, clock, refused)
        return _page(
            request,
            "public/apply/remove.html",
            state,
            clock,
            refused.errors,
            question=refused.extra["q"],
            back_url=LIST,
            values={},
        )
    return redirect(request, LIST)


@router.get("/check/hate")
def hate(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    values = {"hate": state.answers.get("check_hate")}
    return _page(request, "public/check/hate.html", state, clock, values=values, back_url=LIST)


@router.post("/check/hate")
def save_hate(
    request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    answer = str(form.get("hate", ""))
    if answer not in YES_NO:
        state = load(request, session, clock)
        errors = {"hate": "Select yes if you think any of it happened because of who you are"}
        return _page(
            request, "public/check/hate.html", state, clock, errors, values={}, back_url=LIST
        )
    save(request, session, clock, put("check_hate", answer), create=True)
    return redirect(request, "/check/result")


def _reports(answers: dict[str, Any]) -> list[precheck.CheckedReport]:
    return [
        precheck.CheckedReport(
            i["id"], date.fromisoformat(i["date"]), date.fromisoformat(r["date"]), r["agency"]
        )
        for i in answers.get("incidents") or []
        for r in i.get("reports") or []
        if i.get("date") and r.get("date")
    ]


@router.get("/check/result", dependencies=[Depends(rate_limited("check"))])
def result(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    reports = _reports(state.answers)
    if not reports:
        return redirect(request, "/check/incidents/new")
    outcome = precheck.check(
        clock=clock,
        area_id=area_id(request),
        reports=reports,
        hate_incident=state.answers.get("check_hate") == "yes",
    )
    return _page(
        request, "public/check/result.html", state, clock, result=outcome, back_url="/check/hate"
    )
