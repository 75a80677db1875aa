"""Other people who reported one of the application's incidents: add, change, remove."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine.clock import Clock
from web.deps import ClockDep, SessionDep
from web.public import forms
from web.public.apply import CheckedForm, Return, guard
from web.public.forms import Errors
from web.public.incident_forms import parse_other
from web.public.incidents import (
    _after,
    _incident,
    _remove_page,
    nth,
    put_incident,
    question_page,
    saving_one,
)
from web.public.pages import YES_NO
from web.public.state import Refused, load, save
from web.public.templating import short_date
from workflows.community_trigger.services.form_sessions import FormState

router = APIRouter(include_in_schema=False)
# Enough for a street's worth of neighbours; the engine takes up to 20 per incident.
MAX_OTHERS = 20


def _other(incident: dict[str, Any], number: int) -> dict[str, Any]:
    return nth(incident.get("others"), number)


def _page(
    request: Request,
    state: FormState,
    clock: Clock,
    number: int,
    values: dict[str, Any],
    errors: Errors | None = None,
    returning: bool = False,
) -> Response:
    template = "public/apply/other_reporter.html"
    return question_page(request, state, clock, template, number, values, errors, returning)


@router.get("/apply/incidents/{number}/others/new")
def new_other(number: int, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "incidents")) is not None:
        return stop
    return _page(request, state, clock, number, {})


@router.get("/apply/incidents/{number}/others/{other}")
def other(
    number: int,
    other: int,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    back: Return = None,
) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "incidents")) is not None:
        return stop
    values = forms.form_values(_other(_incident(state.answers, number), other))
    return _page(request, state, clock, number, values, returning=back == "check")


def _saving(form: Any, clock: Clock, number: int, other: int | None) -> Any:
    too_many = ("name", "You can add up to 20 other people for one incident")
    return saving_one(form, clock, number, other, "others", MAX_OTHERS, too_many, parse_other)


def _save(
    request: Request,
    session: Any,
    clock: Clock,
    form: Any,
    number: int,
    other: int | None,
    returning: bool,
) -> Response:
    try:
        state = save(request, session, clock, _saving(form, clock, number, other))
    except Refused as refused:
        state = FormState(refused.answers, None)
        errors = Errors(refused.errors)
        return _page(request, state, clock, number, dict(form), errors, returning)
    return _after(request, state, returning)


@router.post("/apply/incidents/{number}/others/new")
def add_other(
    number: int, request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    return _save(request, session, clock, form, number, None, False)


@router.post("/apply/incidents/{number}/others/{other}")
def change_other(
    number: int,
    other: int,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: CheckedForm,
    back: Return = None,
) -> Response:
    return _save(request, session, clock, form, number, other, back == "check")


def _question(answers: dict[str, Any], number: int, other: int) -> str:
    found = _other(_incident(answers, number), other)
    when = short_date(found.get("date"))
    return f"Are you sure you want to remove {found.get('name')}'s report of {when}?"


@router.get("/apply/incidents/{number}/others/{other}/remove")
def confirm_remove(
    number: int, other: int, request: Request, session: SessionDep, clock: ClockDep
) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "incidents")) is not None:
        return stop
    return _remove_page(request, state, clock, _question(state.answers, number, other))


@router.post("/apply/incidents/{number}/others/{other}/remove")
def remove(
    number: int,
    other: int,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: CheckedForm,
) -> Response:
    sure = form.get("sure")

    def change(answers: dict[str, Any]) -> dict[str, Any]:
        if sure not in YES_NO:
            question = _question(answers, number, other)
            raise Refused({"sure": "Select yes if you want to remove it"}, answers, q=question)
        if sure == "yes":
            incident = _incident(answers, number)
            others = list(incident.get("others") or [])
            _other(incident, other)
            del others[other - 1]
            incident["others"] = others
            put_incident(answers, number, incident)
        return answers

    try:
        state = save(request, session, clock, change)
    except Refused as refused:
        state = FormState(refused.answers, None)
        return _remove_page(request, state, clock, refused.extra["q"], Errors(refused.errors))
    return _after(request, state, False)
