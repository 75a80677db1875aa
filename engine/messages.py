"""Queues messages in the outbox, in the caller's transaction; never sends anything."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session

from engine.models import OutboxMessage, Party

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_QUEUE = OUTBOX.insert()  # built once: every event that sends anything runs it


def queue_message(
    session: Session,
    *,
    case_id: int | None,
    message: str,
    recipient: str,
    recipient_role: str,
    channel: str,
    context: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    send_after: timedelta = timedelta(0),
) -> None:
    """Add one outbox row; the unique idempotency key stops the same message twice.

    `send_after` holds it back a little: staff alerts wait behind the applicant's own
    message of the same event, which the dispatcher then sends first.
    """
    values = outbox_values(
        case_id=case_id,
        message=message,
        recipient=recipient,
        recipient_role=recipient_role,
        channel=channel,
        context=context,
        idempotency_key=idempotency_key,
        now=now,
    )
    values["next_attempt_at"] = now + send_after
    # A plain INSERT on the table: the row is never read back in this transaction.
    session.connection().execute(_QUEUE, values)


def outbox_values(
    *,
    case_id: int | None,
    message: str,
    recipient: str,
    recipient_role: str,
    channel: str,
    context: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    deadline_id: int | None = None,
    step: str | None = None,
    status: str = "pending",
    reason: str | None = None,
) -> dict[str, Any]:
    """One outbox row as plain values, for the sweep's bulk insert."""
    return {
        "case_id": case_id,
        "deadline_id": deadline_id,
        "step": step,
        "message": message,
        "recipient": recipient,
        "recipient_role": recipient_role,
        "channel": channel,
        "context": context,
        "idempotency_key": idempotency_key,
        "status": status,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "reason": reason,
    }


def applicant_contact(party: Party | None, preference: str) -> tuple[str, str] | None:
    """Where and how the applicant asked to hear from us: (address, channel), or None.

    Post goes to people who asked for post (or gave only an address); a text to people who
    asked to be phoned and gave a mobile; e-mail otherwise.
    """
    if party is None:
        return None
    choices = {
        "post": [(party.address, "letter"), (party.email, "email")],
        "phone": [(party.phone, "sms"), (party.email, "email"), (party.address, "letter")],
    }.get(preference, [(party.email, "email"), (party.address, "letter"), (party.phone, "sms")])
    return next(((to, how) for to, how in choices if to), None)


# Receipts to one recipient address in 24 hours. Anyone may apply naming any address, so
# more applications naming it still open cases but mail it nothing more that day.
RECEIPTS_PER_RECIPIENT_PER_DAY = 3


def receipt_allowed(session: Session, *, recipient: str, now: datetime) -> bool:
    """Whether one more receipt may go to this address (fewer than the day's limit sent)."""
    since = now - timedelta(days=1)
    sent = session.connection().execute(_SENT_TO, {"r_to": recipient, "r_since": since})
    return int(sent.scalar_one()) < RECEIPTS_PER_RECIPIENT_PER_DAY


# Built once (every application asks it): messages to one address since a moment.
_SENT_TO = (
    sa_select(func.count())
    .select_from(OUTBOX)
    .where(OUTBOX.c.recipient == bindparam("r_to"), OUTBOX.c.created_at > bindparam("r_since"))
)
