"""The audit trail: one row per accepted event, only ever inserted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("case_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    version: int
    occurred_at: datetime = Field(sa_column=utc_column())
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=200)
    trigger: str = Field(max_length=60)
    from_state: str | None = Field(default=None, max_length=60)
    to_state: str = Field(max_length=60)
    reason: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
