"""Queues messages in the outbox, in the caller's transaction; never sends anything."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from engine.models import OutboxMessage


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
) -> OutboxMessage:
    """Add one outbox row; the unique idempotency key stops the same message twice."""
    row = OutboxMessage(
        case_id=case_id,
        message=message,
        recipient=recipient,
        recipient_role=recipient_role,
        channel=channel,
        context=context,
        idempotency_key=idempotency_key,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    return row
