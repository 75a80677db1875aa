"""Staff sessions that never lose work: the idle warning's data and its keep-alive, and a
form sent after the session ended kept for its writer to get back after signing in again.

A form sent after the idle limit has no session to say who sent it. Every staff form
therefore carries a signed "draft owner" field (the user's id, bound to this browser's
cookie) written while the person was signed in; with it and the browser's CSRF token the
text is kept server-side for that user only, and given back once, after they sign in.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from engine.clock import LONDON, Clock
from engine.services import auth, staff_drafts
from web.deps import ClockDep, SignedInStaff
from web.security import CsrfFailed, browser, checked_form
from web.staff.wording import RECOMMENDATION_PARTS, in_words, words_for

router = APIRouter(prefix="/staff", include_in_schema=False)
OWNER_FIELD = "draft_owner"
# The page is told a minute less than the limit: use pushes the limit back at most once a
# minute (engine.services.auth.TOUCH_EVERY), so the real end is never earlier than this.
WARN_BEFORE_SECONDS = 5 * 60
# Forms sent to these are never kept: signing in and out hold no work.
NOT_KEPT = re.compile(r"^/staff/(login|logout|keep-alive)")
# Where a kept form comes back: the page that shows the form it was sent from.
RESTORABLE = (
    (re.compile(r"^(/staff/cases/[A-Za-z0-9-]+/events/[a-z_]+)(/preview)?$"), 1),
    (re.compile(r"^(/staff/applications/new|/staff/complaints/new|/staff/jag/refer)$"), 1),
)


def page_extras(request: Request, context: dict[str, Any] | None) -> dict[str, Any]:
    """What every signed-in staff page adds: the idle warning, the signed draft owner its
    forms carry, and the notice that a kept form is back."""
    context = dict(context or {})
    actor = context.get("actor")
    if actor is not None and getattr(actor, "user_id", None) is not None:
        context.setdefault("draft_owner", owner_token(request, actor.user_id))
        context.setdefault("staff_timeout", timeout_context(request.app.state.clock))
    if getattr(request.state, "kept_banner", None):
        context.setdefault("kept_banner", request.state.kept_banner)
    return context


def seconds_left() -> int:
    return int((auth.IDLE_TIMEOUT - auth.TOUCH_EVERY).total_seconds())


def timeout_context(clock: Clock) -> dict[str, Any]:
    """What staff/_timeout.html needs: seconds left and the London time they run out."""
    left = seconds_left()
    local = (clock.now() + timedelta(seconds=left)).astimezone(LONDON)
    hour = local.hour % 12 or 12
    at = f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"
    return {"expires_in": left, "expires_at": at}


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key, salt="ct-staff-draft")


def _browser_tag(request: Request) -> str:
    return hashlib.sha256(browser(request).token.encode()).hexdigest()[:32]


def owner_token(request: Request, user_id: int) -> str:
    """The signed draft-owner field every staff form carries while its user is signed in."""
    return str(_serializer(request).dumps({"u": user_id, "b": _browser_tag(request)}))


def _owner(request: Request, token: str) -> int | None:
    max_age = int(staff_drafts.KEEP_FOR.total_seconds())
    try:
        found = _serializer(request).loads(token, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(found, dict) or found.get("b") != _browser_tag(request):
        return None
    user = found.get("u")
    return user if isinstance(user, int) else None


@router.post("/keep-alive")
async def keep_alive(request: Request, actor: SignedInStaff, clock: ClockDep) -> Response:
    """Signing in again is not needed: using this pushed the idle limit back (the timeout
    warning's fetch, web/assets/timeout.mjs; without scripts its button reloads the page)."""
    form = await checked_form(request)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(timeout_context(clock), headers={"cache-control": "no-store"})
    back = str(form.get("back", ""))
    safe = back.startswith("/staff") and "//" not in back and "\\" not in back
    return RedirectResponse(back if safe else "/staff", status_code=303)


async def to_sign_in(request: Request, _exc: Exception) -> Response:
    """A staff page asked for without a live session: sign in, keeping a sent form's text."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"signed_out": True}, status_code=401)
    if request.method != "POST" or NOT_KEPT.match(request.url.path):
        return RedirectResponse("/staff/login", status_code=303)
    try:
        form = await checked_form(request)
    except CsrfFailed:  # a form that did not come from our page keeps nothing
        return RedirectResponse("/staff/login", status_code=303)
    user_id = _owner(request, str(form.get(OWNER_FIELD, "")))
    fields = [(k, v) for k, v in form.multi_items() if not isinstance(v, UploadFile)]
    kept = None
    if user_id is not None:
        kept = await run_in_threadpool(_keep, request, user_id, fields)
    return RedirectResponse("/staff/login?kept=1" if kept else "/staff/login", status_code=303)


def _keep(request: Request, user_id: int, fields: list[tuple[str, Any]]) -> int | None:
    with request.app.state.session_factory() as session:
        return staff_drafts.keep(
            session,
            clock=request.app.state.clock,
            user_id=user_id,
            path=request.url.path,
            fields=[(k, str(v)) for k, v in fields],
        )


def after_sign_in(session: Any, clock: Clock, token: str) -> str:
    """Where a fresh sign-in goes: back to a kept form if there is one, else My work."""
    actor = auth.session_actor(session, clock=clock, token=token)
    draft = staff_drafts.waiting(session, clock=clock, user_id=actor.user_id)
    session.rollback()
    if draft is None:
        return "/staff"
    for pattern, group in RESTORABLE:
        matched = pattern.match(draft.path)
        if matched:
            return f"{matched.group(group)}?draft={draft.id}"
    return "/staff"


def restored(request: Request, session: Any, clock: Clock, actor: Any) -> dict[str, Any] | None:
    """The kept form's values for this page (?draft=N), taken once; None if there are none."""
    raw = request.query_params.get("draft", "")
    if not raw.isdigit():
        return None
    session.rollback()  # end the page's read (a snapshot on SQLite) before writing
    fields = staff_drafts.take(session, clock=clock, user_id=actor.user_id, draft_id=int(raw))
    if fields is None:
        return None
    return {k: (v[0] if len(v) == 1 else v) for k, v in fields.items()}


KEPT_BANNER = (
    "You were signed out, so nothing was saved on the case. "
    "What you typed is back in the form: check it and send it again."
)


_EVENT_PATH = re.compile(r"^(/staff/cases/[A-Za-z0-9-]+/events/([a-z_]+))(/preview)?$")
_PLUMBING = frozenset({"csrf_token", OWNER_FIELD, "version"})


def offer_back(request: Request, session: Any, actor: Any, typed: Any) -> dict[str, Any]:
    """For the "this case changed" page: what was typed, in words, to copy, and a draft
    (kept for this user) that the event's form opens with if the event can still be done."""
    matched = _EVENT_PATH.match(request.url.path)
    if typed is None or matched is None:
        return {}
    event = matched.group(2)
    pairs = [
        (k, v.strip())
        for k, v in typed.multi_items()
        if isinstance(v, str) and v.strip() and k not in _PLUMBING
    ]
    shown = _typed_in_words(event, pairs)
    if not shown:
        return {}
    draft_id = staff_drafts.keep(
        session,
        clock=request.app.state.clock,
        user_id=actor.user_id,
        path=matched.group(1),
        fields=pairs,
    )
    link = f"{matched.group(1)}?draft={draft_id}" if draft_id else None
    return {"typed": shown, "typed_event": event, "typed_link": link}


def _typed_in_words(event: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    dates: dict[str, list[str]] = {}
    for name, value in pairs:
        base, _, part = name.rpartition("-")
        if part in ("day", "month", "year"):
            dates.setdefault(base, []).append(value)
            continue
        row = re.match(r"^recommendations-(\d+)-(\w+)$", name)
        if row:
            label = RECOMMENDATION_PARTS.get(row.group(2), (row.group(2), ""))[0]
            shown.append((f"Recommendation {int(row.group(1)) + 1}: {label}", value))
            continue
        words = words_for(event, name)
        shown.append((words.label, words.choices.get(value) or in_words(value, name)))
    for base, parts in dates.items():
        row = re.match(r"^recommendations-(\d+)-due_on$", base)
        label = f"Recommendation {int(row.group(1)) + 1}: due date" if row else None
        shown.append((label or words_for(event, base).label, " ".join(parts)))
    return shown
