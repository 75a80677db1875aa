"""What staff did about a complaint recorded without a case: only ever inserted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class ReportAudit(SQLModel, table=True):
    """One row per staff action on a report: recorded, case review prompt shown, explained.

    Reports taken by an agency have no case, so they cannot use `audit_event`; managers count
    the prompts and explanations here, per locality and action.
    """

    __tablename__ = "report_audit"
    __table_args__ = (Index("ix_report_audit_locality_action", "locality_id", "action"),)
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    occurred_at: datetime = Field(sa_column=utc_column())
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=200)
    locality_id: str = Field(foreign_key="locality.id", max_length=60)
    action: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
