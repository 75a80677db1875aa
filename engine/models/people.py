"""People and places across cases: one record each, linked to every case about them.

Shared by every workflow: a repeat victim or perpetrator, or a place that keeps coming
back, is one record that each case (and each imported report) links to. Who may see a
linked case is still decided by that case's own locality and roles.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from engine.models.types import utc_column


class Person(SQLModel, table=True):
    __tablename__ = "person"
    __table_args__ = (
        Index("ix_person_area_key", "area_id", "match_key"),
        UniqueConstraint("area_id", "sentinel_ref"),
    )
    id: int | None = Field(default=None, primary_key=True)
    area_id: str = Field(foreign_key="area.id", max_length=40)
    name: str = Field(max_length=200)
    date_of_birth: date | None = None
    # Name folded (case, spacing, punctuation) with the date of birth: how a second case
    # about the same person finds the first one.
    match_key: str = Field(max_length=240)
    # The person's reference in Sentinel, when imported or matched from there.
    sentinel_ref: str | None = Field(default=None, max_length=80)
    created_at: datetime = Field(sa_column=utc_column())


class Place(SQLModel, table=True):
    __tablename__ = "place"
    __table_args__ = (
        Index("ix_place_area_key", "area_id", "match_key"),
        UniqueConstraint("area_id", "sentinel_ref"),
    )
    id: int | None = Field(default=None, primary_key=True)
    area_id: str = Field(foreign_key="area.id", max_length=40)
    # "Victoria Park, near the Granville Road gates" or a postal address.
    label: str = Field(max_length=300)
    postcode: str | None = Field(default=None, max_length=10)
    uprn: str | None = Field(default=None, max_length=20)
    match_key: str = Field(max_length=320)
    sentinel_ref: str | None = Field(default=None, max_length=80)
    created_at: datetime = Field(sa_column=utc_column())


class CaseSubject(SQLModel, table=True):
    """A person or place a case is about, and in what part (victim, perpetrator, place)."""

    __tablename__ = "case_subject"
    __table_args__ = (
        Index("ix_case_subject_person", "person_id"),
        Index("ix_case_subject_place", "place_id"),
        UniqueConstraint("case_id", "person_id", "place_id", "part"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_record.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    place_id: int | None = Field(default=None, foreign_key="place.id")
    # victim, perpetrator, witness, place, problem location...
    part: str = Field(max_length=30)
    added_at: datetime = Field(sa_column=utc_column())
