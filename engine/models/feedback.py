"""What people thought of the service, and staff text kept through a timed-out session."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class Feedback(SQLModel, table=True):
    """One answer to "What did you think of this service?": no cookie, address or case is
    kept with it, so it cannot be traced to an applicant."""

    __tablename__ = "feedback"
    id: int | None = Field(default=None, primary_key=True)
    # very_satisfied .. very_dissatisfied (GOV.UK's five-point satisfaction scale)
    rating: str = Field(max_length=30)
    comments: str = Field(default="", max_length=1200)
    created_at: datetime = Field(sa_column=utc_column())


class StaffDraft(SQLModel, table=True):
    """A staff form sent after its session ended: kept for the same user to get back after
    signing in again, then deleted (or when it expires, whichever is first)."""

    __tablename__ = "staff_draft"
    __table_args__ = (Index("ix_staff_draft_expires_at", "expires_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    path: str = Field(max_length=300)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
