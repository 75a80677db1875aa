"""Staff text sent after the session ended, kept for the same user to get back after sign-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, delete, select

from engine.clock import Clock
from engine.models import StaffDraft, User

# Long enough to find a colleague or an authenticator app; short enough that words about a
# victim do not linger. Taking a draft back deletes it at once.
KEEP_FOR = timedelta(hours=8)
MAX_FIELDS = 200
MAX_CHARS = 100_000
# Never kept: tokens of the form's own plumbing.
SKIPPED = frozenset({"csrf_token", "draft_owner"})


def keep(
    session: Session, *, clock: Clock, user_id: int, path: str, fields: list[tuple[str, str]]
) -> int | None:
    """Keep what a signed-out user sent to `path`; returns the draft's id (None if nothing)."""
    kept: dict[str, Any] = {}
    total = 0
    for name, value in fields[:MAX_FIELDS]:
        if name in SKIPPED:
            continue
        total += len(value)
        if total > MAX_CHARS:
            break
        # Repeated names (checkboxes) keep every value, in order.
        kept.setdefault(name, []).append(value)
    if not kept:
        return None
    now = clock.now()
    try:
        user = session.get(User, user_id)
        if user is None or not user.active:
            session.rollback()
            return None
        session.execute(delete(StaffDraft).where(col(StaffDraft.expires_at) <= now))
        draft = StaffDraft(
            user_id=user_id, path=path, fields=kept, created_at=now, expires_at=now + KEEP_FOR
        )
        session.add(draft)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return draft.id


def waiting(session: Session, *, clock: Clock, user_id: int) -> StaffDraft | None:
    """The user's newest live draft, if any (read only)."""
    query = (
        select(StaffDraft)
        .where(StaffDraft.user_id == user_id, col(StaffDraft.expires_at) > clock.now())
        .order_by(col(StaffDraft.id).desc())
    )
    return session.exec(query).first()


def take(
    session: Session, *, clock: Clock, user_id: int, draft_id: int
) -> dict[str, list[str]] | None:
    """The draft's fields, deleted as they are given back; only ever to the user who wrote it."""
    try:
        draft = session.get(StaffDraft, draft_id)
        if draft is None or draft.user_id != user_id or draft.expires_at <= clock.now():
            session.rollback()
            return None
        fields = dict(draft.fields)
        session.delete(draft)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return fields


def purge_expired(session: Session, *, clock: Clock) -> int:
    """Delete drafts nobody came back for (for a periodic sweep)."""
    result = session.execute(delete(StaffDraft).where(col(StaffDraft.expires_at) <= clock.now()))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
