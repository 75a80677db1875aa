"""Personal-data records: staff views of cases, legal holds, and what retention changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class CaseView(SQLModel, table=True):
    """One look by staff at a case, one of its documents, or its subject access export.

    Narrow and only ever inserted: a page view costs one small INSERT.
    """

    __tablename__ = "case_view"
    __table_args__ = (Index("ix_case_view_case", "case_id", "viewed_at"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id")
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    viewed_at: datetime = Field(sa_column=utc_column())
    # "case" (the page or the API), "document", "export", "views" (who looked at it).
    what: str = Field(max_length=20)
    item: str | None = Field(default=None, max_length=60)
    via: str = Field(default="page", max_length=10)


class CaseRetention(SQLModel, table=True):
    """A case's legal hold (which stops retention) and when its personal details went."""

    __tablename__ = "case_retention"
    case_id: int = Field(foreign_key="case_record.id", primary_key=True)
    hold_reason: str | None = None
    hold_by: int | None = Field(default=None, foreign_key="app_user.id")
    hold_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    anonymised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class PrivacyEvent(SQLModel, table=True):
    """Audit of what was done to personal data: holds set and cleared, records anonymised,
    exports written. Only ever inserted."""

    __tablename__ = "privacy_event"
    __table_args__ = (Index("ix_privacy_event_case", "case_id", "occurred_at"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case_record.id")
    report_id: int | None = Field(default=None, foreign_key="report.id")
    occurred_at: datetime = Field(sa_column=utc_column())
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=200)
    action: str = Field(max_length=40)
    reason: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
