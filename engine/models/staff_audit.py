"""The record of changes to staff accounts: who changed whose account, what and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class StaffAuditEvent(SQLModel, table=True):
    """One change to a user (added, role granted or removed, disabled, enabled, new
    authenticator); only ever inserted, in the same transaction as the change."""

    __tablename__ = "staff_audit_event"
    __table_args__ = (Index("ix_staff_audit_user", "user_id", "occurred_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id")
    occurred_at: datetime = Field(sa_column=utc_column())
    actor_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=200)
    action: str = Field(max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
