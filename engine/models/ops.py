"""Rows the running service keeps about itself: worker heartbeats and answered requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class WorkerHeartbeat(SQLModel, table=True):
    """One row per worker process, stamped on every tick: /readyz and /metrics read it."""

    __tablename__ = "worker_heartbeat"
    name: str = Field(primary_key=True, max_length=100)
    started_at: datetime = Field(sa_column=utc_column())
    beat_at: datetime = Field(sa_column=utc_column())


class IdempotentRequest(SQLModel, table=True):
    """The first answer to a request sent with an idempotency key, kept so a retry gets it.

    `key` is scoped ("api:<Idempotency-Key>", "form:<hash of the form cookie>") and
    `fingerprint` is a hash of the request body: the same key with another body is refused.
    """

    __tablename__ = "idempotent_request"
    __table_args__ = (Index("ix_idempotent_request_created_at", "created_at"),)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    status_code: int
    answer: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=utc_column())
