"""Check your answers, sending the application, the confirmation, and lost answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from engine import registry
from engine.clock import Clock
from engine.errors import EngineError, InvalidInput
from web.deps import ClockDep, SessionDep
from web.public import answers as summary
from web.public.apply import CheckedForm, area_id
from web.public.state import EXPIRED_URL, after_refusal, load, lost, timing
from web.public.templating import redirect, render
from web.security import browser, forget_browser, rate_limited
from workflows.community_trigger.services import form_sessions, public_status
from workflows.community_trigger.services.form_sessions import FormState

router = APIRouter(include_in_schema=False)
SENT_COOKIE = "ct_sent"
# Long enough to read, print or bookmark the confirmation; the status link lasts for good.
SENT_MAX_AGE = 60 * 60


def _locality_name(request: Request, locality: str | None) -> str:
    area = registry.area(area_id(request))
    found = area.localities.get(locality or "")
    return found.name if found else ""


def _check_page(
    request: Request,
    state: FormState,
    clock: Clock,
    errors: list[tuple[str, str]] | None = None,
) -> Response:
    answers = state.answers
    context: dict[str, Any] = {
        "answers": answers,
        "about_rows": summary.about_rows(answers, _locality_name(request, answers.get("locality"))),
        "incidents": [
            {"title": f"Incident {n}", "rows": summary.incident_rows(i, n)}
            for n, i in enumerate(answers.get("incidents") or [], start=1)
        ],
        "story_rows": summary.story_rows(answers),
        "equalities_rows": summary.equalities_rows(answers),
        "equalities_skipped": not answers.get("equalities"),
        "back_url": "/apply/equalities",
        **timing(state, clock),
    }
    if errors:
        context["errors"] = {href: text for text, href in errors}
        context["error_list"] = [{"text": text, "href": href} for text, href in errors]
    return render(request, "public/apply/check.html", context, status=422 if errors else 200)


@router.get("/apply/check")
def check_answers(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    state = load(request, session, clock)
    if lost(request, state):
        return redirect(request, EXPIRED_URL)
    if not state.started:
        return redirect(request, "/apply/who")
    gaps = summary.missing(state.answers)
    if gaps:
        return redirect(request, gaps[0][1])
    return _check_page(request, state, clock)


class _Refused(Exception):
    def __init__(self, answers: dict[str, Any], missing: list[tuple[str, str]]) -> None:
        super().__init__("not ready to send")
        self.answers, self.missing = answers, missing


def _builder(declared: bool) -> Any:
    def build(answers: dict[str, Any]) -> Any:
        try:
            return summary.build({**answers, "declaration": declared})
        except summary.Incomplete as exc:
            raise _Refused(answers, exc.missing) from None

    return build


@router.post("/apply/check", dependencies=[Depends(rate_limited("submit"))])
async def send(request: Request, form: CheckedForm) -> Response:
    # Async, with the database work in one trip to the thread pool: the session, clock and
    # rate limit as sync dependencies would each cost a trip of their own, and under load
    # every trip is a wait for a thread and for the interpreter lock.
    declared = form.get("declaration") == "yes"
    return await run_in_threadpool(_send, request, declared)


def _send(request: Request, declared: bool) -> Response:
    token = browser(request).token
    clock: Clock = request.app.state.clock
    with request.app.state.session_factory() as session:
        try:
            done = form_sessions.submit(session, clock=clock, token=token, build=_builder(declared))
        except form_sessions.FormExpired:
            done = form_sessions.sent_before(session, clock=clock, token=token)
            if done is None:
                return redirect(request, EXPIRED_URL)
        except _Refused as refused:
            return _check_page(
                request, after_refusal(request, session, clock, refused), clock, refused.missing
            )
        except InvalidInput as exc:
            return _engine_refused(request, session, clock, exc)
    forget_browser(request)
    response = redirect(request, "/apply/confirmation")
    _remember_sent(request, response, done.reference, done.status_token)
    return response


def _engine_refused(request: Request, session: Any, clock: Clock, exc: EngineError) -> Response:
    # The pages check everything the engine checks; this only happens when a date has become
    # wrong since it was entered, or the area's rules changed while the form was open.
    state = load(request, session, clock)
    href = "/apply/incidents" if (exc.field or "").startswith("incidents") else "/apply/who"
    return _check_page(request, state, clock, [(exc.detail, href)])


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key, salt="ct-sent")


def _remember_sent(request: Request, response: Response, reference: str, token: str) -> None:
    value = _serializer(request).dumps({"reference": reference, "token": token})
    response.set_cookie(
        SENT_COOKIE,
        value,
        max_age=SENT_MAX_AGE,
        path="/apply/confirmation",
        secure=browser(request).secure,
        httponly=True,
        samesite="strict",
    )


@router.get("/apply/confirmation")
def confirmation(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    try:
        sent = _serializer(request).loads(
            request.cookies.get(SENT_COOKIE, ""), max_age=SENT_MAX_AGE
        )
    except BadSignature:
        return redirect(request, "/")
    status = public_status.case_status(session, token=sent["token"], clock=clock)
    base = str(request.app.state.settings.base_url).rstrip("/")
    context = {
        "status": status,
        "status_url": f"{base}/status/{sent['token']}",
        "status_path": f"/status/{sent['token']}",
    }
    return render(request, "public/apply/confirmation.html", context)


@router.get("/apply/session-expired")
def session_expired(request: Request) -> Response:
    minutes = request.app.state.settings.form_idle_minutes
    return render(request, "public/apply/expired.html", {"minutes": minutes})


@router.get("/apply/permission-needed")
def permission_needed(request: Request) -> Response:
    return render(request, "public/apply/permission_needed.html", {"back_url": "/apply/permission"})


@router.get("/apply/sharing-needed")
def sharing_needed(request: Request) -> Response:
    return render(request, "public/apply/sharing_needed.html", {"back_url": "/apply/sharing"})


@router.post("/apply/keep-alive")
def keep_alive(
    request: Request, session: SessionDep, clock: ClockDep, form: CheckedForm
) -> Response:
    state = load(request, session, clock)
    if "application/json" in request.headers.get("accept", ""):
        # The timeout warning's fetch (web/assets/timeout.mjs): no reload, focus stays put.
        if not state.started:
            return JSONResponse({"expired": True}, status_code=410)
        return JSONResponse(timing(state, clock), headers={"cache-control": "no-store"})
    back = str(form.get("back", ""))
    # Only back to one of our own form pages: never an open redirect.
    safe = back.startswith(("/apply/", "/check")) and "//" not in back and "\\" not in back
    if not state.started:
        return redirect(request, EXPIRED_URL)
    return redirect(request, back if safe else "/apply")


@router.post("/apply/delete")
def delete_answers(request: Request, session: SessionDep, form: CheckedForm) -> Response:
    form_sessions.discard(session, token=browser(request).token)
    forget_browser(request)
    return redirect(request, "/")
