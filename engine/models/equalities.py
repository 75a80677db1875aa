"""Equalities monitoring answers: stored apart from the case, with nothing that leads back."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class EqualitiesResponse(SQLModel, table=True):
    """One applicant's optional answers, reported only as totals.

    No case id, no foreign key and no timestamp finer than the month: nothing in this row
    or its position lets a case view, or anyone reading the table, find the case it came with.
    The id is random rather than a sequence so row order cannot be matched to case order.
    """

    __tablename__ = "equalities_response"
    id: str = Field(primary_key=True, max_length=32)
    area_id: str = Field(max_length=40, index=True)
    locality_id: str = Field(max_length=60)
    period: str = Field(max_length=7, description="YYYY-MM the application was made")
    age: str | None = Field(default=None, max_length=30)
    sex: str | None = Field(default=None, max_length=30)
    gender_identity_same: str | None = Field(default=None, max_length=30)
    sexual_orientation: str | None = Field(default=None, max_length=30)
    disability: str | None = Field(default=None, max_length=30)
    ethnicity: str | None = Field(default=None, max_length=30)
    religion: str | None = Field(default=None, max_length=30)
    marital_status: str | None = Field(default=None, max_length=30)
    pregnancy: str | None = Field(default=None, max_length=30)
