"""What the Community Trigger keeps about its own cases: the `ct_case` detail table.

The generic case (engine.models.Case, table case_record) holds what every workflow's case
has; this row, keyed by the case's id, holds the application and the review's own facts.
Migration 0013_detail moved these columns out of case_record.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import JSON, Column, false
from sqlmodel import Field, SQLModel


class CommunityTriggerCase(SQLModel, table=True):
    __tablename__ = "ct_case"
    case_id: int = Field(foreign_key="case_record.id", primary_key=True)
    # How the application came in: online, phone, letter, in person...
    channel: str = Field(default="online", max_length=30)
    application_on: date
    hate_incident: bool = False
    hate_characteristic: str | None = Field(default=None, max_length=100)
    route_claimed: str | None = Field(default=None, max_length=40)
    consent_to_share: bool
    declaration: bool
    involvement: str | None = Field(default=None, max_length=40)
    contact_preference: str = Field(default="email", max_length=20)
    accessibility_needs: str | None = None
    impact: str | None = None
    vulnerabilities: str | None = None
    outcome_wanted: str | None = None
    # The victim's status link: only its hash is kept.
    status_token_hash: str = Field(max_length=64, unique=True)
    # Said with the reference ("CT-2026-000123, code KQ7-M4P"): finds the case on /status
    # and lets the named contact check a caller on the phone. Migration 0011_letters.
    status_code: str | None = Field(default=None, max_length=12)
    # The applicant said texts are safe to receive; without it no text message is sent.
    texts_safe: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    threshold_assessment: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    threshold_decision: str | None = Field(default=None, max_length=20)
    response_issued_by: int | None = Field(default=None, foreign_key="app_user.id")
    appeal_chair_id: int | None = Field(default=None, foreign_key="app_user.id")
    # The date the JAG chair arranged the review meeting for (None until it is arranged).
    review_meeting_on: date | None = None

    @staticmethod
    def anonymised_values() -> dict[str, Any]:
        """What anonymising a case (engine.services.retention) writes over this row."""
        return {
            "accessibility_needs": None,
            "impact": None,
            "vulnerabilities": None,
            "outcome_wanted": None,
            # The private status link stops working: nothing personal is left behind it.
            "status_token_hash": "anonymised:" + secrets.token_hex(20),
        }


DETAIL_FIELDS = tuple(k for k in CommunityTriggerCase.model_fields if k != "case_id")
