"""JAG case work's own tables, beside the generic case row (case_record).

A JAG case is about a victim, a perpetrator, a place or a problem (engine.models.people
links it to the shared person and place records); these tables hold its referral, risk
assessments, action plan, problem-solving record, Incremental Approach steps and peer
reviews. Migration 0013_jag.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class JagCase(SQLModel, table=True):
    """One row per JAG case: the referral and where the case stands."""

    __tablename__ = "jag_case"
    case_id: int = Field(foreign_key="case_record.id", primary_key=True)
    # victim, perpetrator, place or problem
    subject_kind: str = Field(max_length=20)
    referral_reason: str
    agencies: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    referred_by: int | None = Field(default=None, foreign_key="app_user.id")
    # A Community Trigger case this one came from, and the recommendation it carries on
    # (indexed: the Community Trigger case's page lists the JAG cases linked to it).
    linked_case_id: int | None = Field(default=None, foreign_key="case_record.id", index=True)
    linked_recommendation_seq: int | None = None
    decline_reason: str | None = None
    # The next review of the case (a deadline: jag_review).
    review_on: date | None = None
    # The band of the latest risk assessment of the victim.
    risk_band: str | None = Field(default=None, max_length=10)
    # Set when the case must go on the next JAG agenda (a high risk): the day it was put
    # there and why; the meetings' agenda (a later issue) reads these.
    agenda_flagged_on: date | None = None
    agenda_reason: str | None = Field(default=None, max_length=200)
    cessation_reason: str | None = Field(default=None, max_length=40)
    cessation_note: str | None = None
    ceased_by: int | None = Field(default=None, foreign_key="app_user.id")
    kept_open_reason: str | None = None

    @staticmethod
    def anonymised_values() -> dict[str, Any]:
        """What anonymising a case (engine.services.retention) writes over this row: the
        free text, which may name people (the subjects are the shared person records)."""
        removed = "[removed under the retention schedule]"
        return {
            "referral_reason": removed,
            "decline_reason": None,
            "agenda_reason": None,
            "cessation_note": None,
            "kept_open_reason": None,
        }


class JagRiskAssessment(SQLModel, table=True):
    """One risk assessment of the victim; every one is kept (the history)."""

    __tablename__ = "jag_risk_assessment"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    seq: int
    person_id: int | None = Field(default=None, foreign_key="person.id")
    # question id -> yes (True) or no (False), as asked then
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    score: int
    band: str = Field(max_length=10)  # standard, medium or high
    repeat_victim: bool = False
    vulnerable: bool = False
    reassess_on: date
    notes: str | None = None
    assessed_at: datetime = Field(sa_column=utc_column())
    assessed_by: int | None = Field(default=None, foreign_key="app_user.id")


class JagAction(SQLModel, table=True):
    """One action of the case's action plan."""

    __tablename__ = "jag_action"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        Index("ix_jag_action_status_due", "status", "due_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    seq: int
    action: str
    owner: str = Field(max_length=200)
    agency: str = Field(max_length=100)
    due_on: date
    # open, in_progress, done or cancelled
    status: str = Field(default="open", max_length=20)
    # The Community Trigger recommendation this action carries out: its progress is
    # recorded on the recommendation too.
    recommendation_id: int | None = Field(default=None, foreign_key="recommendation.id")
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())
    completed_on: date | None = None


class JagActionNote(SQLModel, table=True):
    """An update on an action: its status then, and what was said."""

    __tablename__ = "jag_action_note"
    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="jag_action.id", index=True)
    written_at: datetime = Field(sa_column=utc_column())
    written_by: int | None = Field(default=None, foreign_key="app_user.id")
    status: str = Field(max_length=20)
    note: str


class JagOsara(SQLModel, table=True):
    """The problem-solving record of a place or problem case (OSARA), kept up to date."""

    __tablename__ = "jag_osara"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", unique=True)
    objective: str | None = None
    scanning: str | None = None
    analysis: str | None = None
    response: str | None = None
    assessment: str | None = None
    updated_at: datetime = Field(sa_column=utc_column())
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")


class JagLadderStep(SQLModel, table=True):
    """A stage of the Incremental Approach reached by a perpetrator (across their cases)."""

    __tablename__ = "jag_ladder_step"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    stage: str = Field(max_length=40)
    taken_on: date
    agency: str = Field(max_length=100)
    # Stages passed over to reach this one, and why (urgent harm).
    skipped: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    skip_reason: str | None = None
    recorded_at: datetime = Field(sa_column=utc_column())
    recorded_by: int | None = Field(default=None, foreign_key="app_user.id")


class JagPeerReview(SQLModel, table=True):
    """A chair of another locality asked to review the case, and what they found."""

    __tablename__ = "jag_peer_review"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    reviewer_user_id: int = Field(foreign_key="app_user.id", index=True)
    requested_by: int | None = Field(default=None, foreign_key="app_user.id")
    requested_at: datetime = Field(sa_column=utc_column())
    question: str
    due_on: date
    findings: str | None = None
    recommendations: str | None = None
    recorded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


TABLES = (
    JagCase,
    JagRiskAssessment,
    JagAction,
    JagActionNote,
    JagOsara,
    JagLadderStep,
    JagPeerReview,
)
