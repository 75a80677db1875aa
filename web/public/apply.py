"""The application's question pages: show, parse, save through the engine, move on."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import Response

from engine import registry
from engine.clock import Clock
from engine.services import postcodes
from engine.services.equalities import QUESTIONS
from web.deps import ClockDep, SessionDep
from web.public import flow, forms
from web.public.forms import Errors
from web.public.pages import PAGES, Page, for_someone_else, role
from web.public.state import EXPIRED_URL, Refused, after_refusal, load, lost, put, save, timing
from web.public.templating import redirect, render
from web.security import checked_form
from workflows.community_trigger.services.form_sessions import FormState

router = APIRouter(include_in_schema=False)
CheckedForm = Annotated[FormData, Depends(checked_form)]
Return = Annotated[str | None, Query(alias="return")]


def area_id(request: Request) -> str:
    return str(request.app.state.settings.public_area)


def page_context(
    request: Request, slug: str, state: FormState, clock: Clock, returning: bool
) -> dict[str, Any]:
    """What every question page needs besides its own fields."""
    answers = state.answers
    return {
        "answers": answers,
        "for_someone_else": for_someone_else(answers),
        "role": role(answers),
        "back_url": flow.back_url(slug, answers, returning=returning),
        "returning": returning,
        "action": request.url.path + ("?return=check" if returning else ""),
        **timing(state, clock),
    }


def show(
    request: Request,
    template: str,
    slug: str,
    state: FormState,
    clock: Clock,
    *,
    returning: bool,
    values: dict[str, Any],
    errors: Errors | dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    context = page_context(request, slug, state, clock, returning)
    context |= {"values": values, "errors": errors or None, **extra}
    if errors:
        context["error_list"] = Errors(errors).summary()
    return render(request, template, context, status=422 if errors else 200)


def guard(request: Request, state: FormState, step: str) -> Response | None:
    """Send the person somewhere sensible when this page cannot be shown to them now."""
    if lost(request, state) and step != "who":
        return redirect(request, EXPIRED_URL)
    if not state.started and step != "who":
        return redirect(request, "/apply/who")
    current = next(s for s in flow.STEPS if s.slug == step)
    if not current.applies(state.answers):
        return redirect(request, flow.resume_url(state.answers))
    return None


@router.get("/apply")
def start(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    return redirect(request, flow.resume_url(state.answers) if state.started else "/apply/who")


# --- the address decides the locality ------------------------------------------------------


def _place(request: Request, form: FormData, clock: Clock) -> Any:
    page = PAGES["address"]

    def change(answers: dict[str, Any]) -> dict[str, Any]:
        value, errors = page.parse(form, answers, clock.today())
        if errors or value is None:
            raise Refused(errors, answers)
        found = postcodes.match(area_id(request), value["postcode"])
        if found.outside:
            raise Refused({}, answers, outside=True)
        answers["address"] = value
        single = len(found.localities) == 1 and not found.maybe_outside
        answers["locality"] = found.localities[0] if single else None
        answers["council_choices"] = None if single else list(found.localities)
        answers["council_outside"] = found.maybe_outside
        return answers

    return change


@router.post("/apply/address")
def save_address(
    request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm, back: Return = None
) -> Response:
    returning = back == "check"
    try:
        state = save(request, session, clock, _place(request, form, clock))
    except Refused as refused:
        if refused.extra.get("outside"):
            return redirect(request, "/apply/outside-area")
        state = after_refusal(request, session, clock, refused)
        return show(
            request,
            PAGES["address"].template,
            "address",
            state,
            clock,
            returning=returning,
            values=dict(form),
            errors=refused.errors,
        )
    if not state.started:
        return redirect(request, EXPIRED_URL)
    return redirect(request, flow.next_url("address", state.answers, returning=returning))


@router.get("/apply/outside-area")
def outside_area(request: Request) -> Response:
    return render(request, "public/apply/outside.html", {"back_url": "/apply/address"})


def _council_options(request: Request, answers: dict[str, Any]) -> list[dict[str, str]]:
    area = registry.area(area_id(request))
    options = [
        {"value": lid, "text": area.localities[lid].name}
        for lid in answers.get("council_choices") or []
    ]
    if answers.get("council_outside"):
        options.append({"value": "outside", "text": "None of these"})
    return options


@router.get("/apply/council")
def council(
    request: Request, session: SessionDep, clock: ClockDep, back: Return = None
) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "council")) is not None:
        return stop
    values = {"locality": state.answers.get("locality")}
    options = _council_options(request, state.answers)
    return show(
        request,
        "public/apply/council.html",
        "council",
        state,
        clock,
        returning=back == "check",
        values=values,
        options=options,
    )


@router.post("/apply/council")
def save_council(
    request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm, back: Return = None
) -> Response:
    chosen = str(form.get("locality", ""))

    def change(answers: dict[str, Any]) -> dict[str, Any]:
        allowed = {o["value"] for o in _council_options(request, answers)}
        if chosen not in allowed:
            raise Refused({"locality": "Select the council for the address"}, answers)
        if chosen == "outside":
            raise Refused({}, answers, outside=True)
        answers["locality"] = chosen
        return answers

    try:
        state = save(request, session, clock, change)
    except Refused as refused:
        if refused.extra.get("outside"):
            return redirect(request, "/apply/outside-area")
        state = after_refusal(request, session, clock, refused)
        return show(
            request,
            "public/apply/council.html",
            "council",
            state,
            clock,
            returning=back == "check",
            values={},
            errors=refused.errors,
            options=_council_options(request, refused.answers),
        )
    if not state.started:
        return redirect(request, EXPIRED_URL)
    return redirect(request, flow.next_url("council", state.answers, returning=back == "check"))


# --- equalities monitoring ------------------------------------------------------------------


@router.get("/apply/equalities")
def equalities(
    request: Request, session: SessionDep, clock: ClockDep, back: Return = None
) -> Response:
    state = load(request, session, clock)
    if (stop := guard(request, state, "equalities")) is not None:
        return stop
    return show(
        request,
        "public/apply/equalities.html",
        "equalities",
        state,
        clock,
        returning=back == "check",
        values=state.answers.get("equalities") or {},
        questions=QUESTIONS,
    )


@router.post("/apply/equalities")
def save_equalities(
    request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm, back: Return = None
) -> Response:
    # Skipping saves an empty set of answers; unknown values are dropped, never stored.
    skip = form.get("skip") == "yes"
    given = {
        q.field: str(form.get(q.field))
        for q in QUESTIONS
        if not skip and form.get(q.field) in {code for code, _ in q.options}
    }
    state = save(request, session, clock, put("equalities", given))
    if not state.started:
        return redirect(request, EXPIRED_URL)
    return redirect(request, flow.next_url("equalities", state.answers, returning=back == "check"))


# --- the simple question pages --------------------------------------------------------------


@router.get("/apply/{slug}")
def question(
    slug: str, request: Request, session: SessionDep, clock: ClockDep, back: Return = None
) -> Response:
    page = _page(slug)
    state = load(request, session, clock)
    if (stop := guard(request, state, slug)) is not None:
        return stop
    values = forms.form_values(state.answers.get(slug) or {})
    return show(
        request, page.template, slug, state, clock, returning=back == "check", values=values
    )


@router.post("/apply/{slug}")
def answer(
    slug: str,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    form: CheckedForm,
    back: Return = None,
) -> Response:
    page = _page(slug)

    def change(answers: dict[str, Any]) -> dict[str, Any]:
        value, errors = page.parse(form, answers, clock.today())
        if errors or value is None:
            raise Refused(errors, answers)
        answers[slug] = value
        return answers

    try:
        state = save(request, session, clock, change, create=slug == "who")
    except Refused as refused:
        state = after_refusal(request, session, clock, refused)
        return show(
            request,
            page.template,
            slug,
            state,
            clock,
            returning=back == "check",
            values=dict(form),
            errors=refused.errors,
        )
    if not state.started:
        return redirect(request, EXPIRED_URL)
    return redirect(request, flow.next_url(slug, state.answers, returning=back == "check"))


def _page(slug: str) -> Page:
    page = PAGES.get(slug)
    if page is None:
        raise HTTPException(404, "Page not found")
    return page
