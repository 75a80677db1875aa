"""Loading and saving this browser's answers through the engine, for the page routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from sqlmodel import Session

from engine.clock import LONDON, Clock
from web.security import browser, client_address, rotate_browser
from workflows.community_trigger.services import form_sessions
from workflows.community_trigger.services.form_sessions import Change, FormState

EXPIRED_URL = "/apply/session-expired"


def load(request: Request, session: Session, clock: Clock) -> FormState:
    return form_sessions.load(
        session, clock=clock, token=browser(request).token, idle_minutes=_idle(request)
    )


def save(
    request: Request, session: Session, clock: Clock, change: Change, *, create: bool = False
) -> FormState:
    """Apply a change to this browser's answers (starting them only when `create`)."""
    return form_sessions.update(
        session,
        clock=clock,
        token=browser(request).token,
        idle_minutes=_idle(request),
        change=change,
        create=create,
        on_create=lambda: first_save(request),
    )


def first_save(request: Request) -> str:
    """A browser's first saved answer: counted against its client's limit, and kept under a
    token issued now (rotated), so a token planted before the visit keys nothing."""
    request.app.state.rate_limits.hit("answers", client_address(request))
    return rotate_browser(request).token


class Refused(Exception):
    """A page's answers did not parse; nothing was saved."""

    def __init__(self, errors: dict[str, str], answers: dict[str, Any], **extra: Any) -> None:
        super().__init__("the answers did not parse")
        self.errors, self.answers, self.extra = errors, answers, extra


def _idle(request: Request) -> int:
    return int(request.app.state.settings.form_idle_minutes)


def lost(request: Request, state: FormState) -> bool:
    """True when this browser had answers that are gone (idle too long, or already sent)."""
    return state.expired or (not state.started and not browser(request).is_new)


def timing(state: FormState, clock: Clock) -> dict[str, Any]:
    """What the idle-expiry warning needs: the London time and the seconds left."""
    if state.expires_at is None:
        return {}
    left = int((state.expires_at - clock.now()).total_seconds())
    return {"expires_at": _london_time(state.expires_at), "expires_in": max(left, 0)}


def _london_time(at: datetime) -> str:
    local = at.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"


def put(key: str, value: Any) -> Change:
    """A change that sets one answer."""

    def change(answers: dict[str, Any]) -> dict[str, Any]:
        answers[key] = value
        return answers

    return change


def after_refusal(request: Request, session: Session, clock: Clock, refused: Any) -> FormState:
    """The answers as they were, for a page answered with errors (422).

    Sending a page is activity even when it does not parse, so the expiry is pushed back as
    for any page, and the error page shows the same warning and "we delete them at" time.
    """
    kept = load(request, session, clock)
    return FormState(refused.answers, kept.expires_at)
