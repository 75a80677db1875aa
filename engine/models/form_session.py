"""Answers to the public form kept server-side while the applicant fills it in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class FormSession(SQLModel, table=True):
    """One browser's unsent answers; the id is a hash of the cookie, never the cookie."""

    __tablename__ = "form_session"
    __table_args__ = (Index("ix_form_session_expires_at", "expires_at"),)
    id: str = Field(primary_key=True, max_length=64)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
    # Idle expiry: answers about a victim must not outlive the visit on a shared device.
    expires_at: datetime = Field(sa_column=utc_column())
