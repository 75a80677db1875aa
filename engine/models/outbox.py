"""Messages waiting to be sent: written with the change that caused them, sent later.

Status: pending (waiting, or leased to a worker until claimed_until; "maybe sent" when
unconfirmed_since is set), sent, failed (refused
for good by the provider), dead (temporary failures until MAX_ATTEMPTS), cancelled (not
needed any more: `reason` says why).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # Counting the receipts sent to one address today (public writes are limited per
        # recipient, so nobody can make us mail a stranger again and again).
        Index("ix_outbox_recipient_created", "recipient", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case_record.id", index=True)
    # Set on reminders and escalations: a message for a deadline already met is never sent.
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id")
    step: str | None = Field(default=None, max_length=20)
    message: str = Field(max_length=80)
    recipient: str = Field(max_length=254)
    recipient_role: str = Field(max_length=40)
    channel: str = Field(default="email", max_length=20)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str = Field(max_length=200, unique=True)
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    created_at: datetime = Field(sa_column=utc_column())
    next_attempt_at: datetime = Field(sa_column=utc_column())
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    # "Maybe sent": the provider may have the message (its reply never came, or the "sent"
    # mark could not be written). The next attempt asks the channel's own idempotency first.
    unconfirmed_since: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    provider_ref: str | None = Field(default=None, max_length=200)
    last_error: str | None = None
    # Why a message was cancelled, dead-lettered or retried by hand, in plain words.
    reason: str | None = None
