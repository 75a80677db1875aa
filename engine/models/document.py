"""Documents the engine wrote for a case (letters, appeal packs), kept with the case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKeyConstraint, Index, LargeBinary
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class Document(SQLModel, table=True):
    """One file, written in the same transaction as the event that produced it.

    `event_version` with `case_id` names that event's audit row (audit_event is unique on
    case and version), so every document says which recorded event made it.
    """

    __tablename__ = "document"
    __table_args__ = (
        ForeignKeyConstraint(
            ["case_id", "event_version"], ["audit_event.case_id", "audit_event.version"]
        ),
        Index("ix_document_case", "case_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id")
    event_version: int
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    filename: str = Field(max_length=120)
    size: int
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=utc_column())
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
