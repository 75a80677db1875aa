"""The public form's answers, saved server-side on every page and deleted when idle or sent."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session, col, delete

from engine import registry
from engine.clock import Clock
from engine.db import snapshot_read
from engine.errors import TooLarge
from engine.models import FormSession
from engine.services import equalities
from workflows.community_trigger.services import idempotency
from workflows.community_trigger.services.applications import ApplicationIn
from workflows.community_trigger.services.intake import (
    Prepared,
    Submitted,
    prepare_application,
    write_application,
)

log = logging.getLogger(__name__)
Answers = dict[str, Any]
Change = Callable[[Answers], Answers]
Build = Callable[[Answers], tuple[ApplicationIn, equalities.EqualitiesIn | None]]


@dataclass(frozen=True)
class FormState:
    answers: Answers = field(default_factory=dict)
    expires_at: datetime | None = None
    expired: bool = False  # answers were here but were deleted for being left idle

    @property
    def started(self) -> bool:
        return self.expires_at is not None


def new_token() -> str:
    """A 256-bit random token for the browser's cookie; only its hash is stored."""
    return secrets.token_urlsafe(32)


def _row_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _live_row(session: Session, token: str, clock: Clock) -> tuple[FormSession | None, bool]:
    """The session's row, locked for the rest of the transaction, or None (and whether the
    answers were deleted just now because they had been left idle)."""
    # FOR UPDATE: two tabs saving at once each apply their change to the other's result.
    row = session.get(FormSession, _row_id(token), with_for_update=True)
    if row is None or row.expires_at > clock.now():
        return row, False
    session.delete(row)
    return None, True


def load(session: Session, *, clock: Clock, token: str, idle_minutes: int) -> FormState:
    """The answers so far; looking at a page counts as activity and keeps them."""
    return update(session, clock=clock, token=token, idle_minutes=idle_minutes, change=None)


def update(
    session: Session,
    *,
    clock: Clock,
    token: str,
    idle_minutes: int,
    change: Change | None,
    create: bool = True,
    on_create: Callable[[], str] | None = None,
) -> FormState:
    """Apply a change to the answers and push the idle expiry back.

    With `create` false, a browser with no live answers gets an empty state and nothing is
    saved: a page from the middle of the form must not start a new set of answers.
    """
    try:
        row, expired = _live_row(session, token, clock)
        now = clock.now()
        if row is None and (change is None or not create):
            session.commit()
            return FormState(expired=expired)
        if row is None:
            # The caller may count the new set of answers and give the browser a fresh
            # token to keep them under (raising to refuse).
            token = on_create() if on_create is not None else token
            _purge(session, now)
            row = FormSession(id=_row_id(token), answers={}, created_at=now, updated_at=now)
        if change is not None:
            # A deep copy: the change must not edit the loaded value in place, or the ORM
            # would see no difference and write nothing.
            row.answers = change(copy.deepcopy(row.answers))
            _refuse_if_too_large(row.answers)
        row.updated_at, row.expires_at = now, now + timedelta(minutes=idle_minutes)
        session.add(row)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return FormState(dict(row.answers), row.expires_at)


# The most one browser's unsent answers may take: a full application with many incidents
# is a few kilobytes; nothing a person types comes near this.
MAX_ANSWERS_BYTES = 64 * 1024


def _refuse_if_too_large(answers: dict[str, Any]) -> None:
    size = len(json.dumps(answers, default=str).encode())
    if size > MAX_ANSWERS_BYTES:
        raise TooLarge("These answers are too long to keep. Shorten what you typed.")


def _purge(session: Session, now: datetime) -> None:
    # Abandoned answers go when the next visitor starts, so nothing waits for a sweep.
    session.execute(delete(FormSession).where(col(FormSession.expires_at) <= now))


def purge_expired(session: Session, *, clock: Clock) -> None:
    """Delete every idle session's answers (for a periodic sweep)."""
    _purge(session, clock.now())
    session.commit()


def discard(session: Session, *, token: str) -> None:
    """Delete the answers now (the applicant asked to, or started again)."""
    session.execute(delete(FormSession).where(col(FormSession.id) == _row_id(token)))
    session.commit()


def sent_before(session: Session, *, clock: Clock, token: str) -> Submitted | None:
    """The application these answers became, if they were sent (within a day): a browser
    that never saw the answer to its "Send" and sends again gets the same case."""
    key = _sent_key(token)
    found = idempotency.earlier(session, key, _row_id(token), clock)
    if found is None:
        return None
    return Submitted(found.body["reference"], found.body["status_token"], 0)


def _sent_key(token: str) -> str:
    return f"form:{_row_id(token)}"


class FormExpired(Exception):
    """There are no answers to send: never started, already sent, or deleted when idle."""


def submit(session: Session, *, clock: Clock, token: str, build: Build) -> Submitted:
    """Send the answers as an application: the case, its receipt in the outbox and the
    deletion of the answers all commit together, or none do. The equalities answers are
    held afterwards, in a transaction of their own (engine.services.equalities.hold).

    The answers are read, checked and turned into rows before the write transaction begins
    (on SQLite it holds the database's only write lock, taken in turn: engine.db.WriterQueue).
    That transaction deletes the answers, getting back what it deleted: if another tab
    changed them in between, the application is built again from what was deleted, so what
    is sent is what was there.
    """
    answers = _snapshot(session, clock, token)
    prepared, monitoring = _prepare(answers, build, clock)
    try:
        conn = session.connection()
        taken = conn.execute(_TAKE, {"id": _row_id(token)}).first()
        if taken is None or taken.expires_at <= clock.now():
            raise FormExpired()  # sent meanwhile from another tab, or left idle
        if taken.answers != answers:
            prepared, monitoring = _prepare(dict(taken.answers), build, clock)
        result = write_application(session, prepared)
        # A repeat of this POST (its answer lost on the way) is answered with this case.
        key = _sent_key(token)
        body = {"reference": result.reference, "status_token": result.status_token}
        idempotency.remember(
            session, key=key, print_=_row_id(token), status_code=303, body=body, clock=clock
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    if monitoring is not None:
        _hold_apart(session, monitoring)
    return result


def _hold_apart(session: Session, monitoring: dict[str, Any]) -> None:
    """The equalities answers, in a transaction of their own once the case has committed.

    Optional answers must never cost the applicant their application: if this write fails
    the case stands and the answers are lost (logged without them).
    """
    try:
        equalities.hold(session, monitoring)
    except Exception:
        log.warning("equalities answers could not be held; the application was sent")


def _prepare(
    answers: Answers, build: Build, clock: Clock
) -> tuple[Prepared, dict[str, Any] | None]:
    """The application's rows, and the equalities row if any question was answered."""
    application, monitoring = build(answers)
    prepared = prepare_application(application, clock=clock)
    if monitoring is None or not monitoring.answered():
        return prepared, None
    values = equalities.response_values(
        clock=clock,
        area_id=_area_of(application.locality),
        locality_id=application.locality,
        answers=monitoring,
    )
    return prepared, values


_FORMS = FormSession.__table__  # type: ignore[attr-defined]
_READ = select(_FORMS.c.answers, _FORMS.c.expires_at).where(_FORMS.c.id == bindparam("id"))
_TAKE = (
    delete(_FORMS)
    .where(_FORMS.c.id == bindparam("id"))
    .returning(_FORMS.c.answers, _FORMS.c.expires_at)
)


def _snapshot(session: Session, clock: Clock, token: str) -> Answers:
    """The live answers, read without taking the write lock; FormExpired when there are none."""
    snapshot_read(session)
    try:
        found = session.connection().execute(_READ, {"id": _row_id(token)}).first()
    finally:
        session.commit()
    if found is None or found.expires_at <= clock.now():
        raise FormExpired()
    return dict(found.answers)


def _area_of(locality_id: str) -> str:
    try:
        return registry.locality_area(locality_id).id
    except LookupError:
        return ""  # submit_application refuses the unknown locality with a clear message
