"""Equalities monitoring answers: held apart from the case, then released in shuffled batches."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

# SQLite keeps a table without a rowid in its primary key's order: a random key gives the
# rows a random order on disk, and there is no rowid counting the order they came in.
NO_ROWID = {"sqlite_with_rowid": False}


class EqualitiesAnswers(SQLModel):
    """The optional answers themselves, the same columns whether held or released."""

    age: str | None = Field(default=None, max_length=30)
    sex: str | None = Field(default=None, max_length=30)
    gender_identity_same: str | None = Field(default=None, max_length=30)
    sexual_orientation: str | None = Field(default=None, max_length=30)
    disability: str | None = Field(default=None, max_length=30)
    ethnicity: str | None = Field(default=None, max_length=30)
    religion: str | None = Field(default=None, max_length=30)
    marital_status: str | None = Field(default=None, max_length=30)
    pregnancy: str | None = Field(default=None, max_length=30)


class EqualitiesHeld(EqualitiesAnswers, table=True):
    """One applicant's answers waiting to be released with others (engine.services.equalities).

    Written after the case has committed, in a transaction of its own, with no case id, no
    foreign key and nothing finer than the month. The worker rewrites every waiting row in
    one transaction each time it looks, so on PostgreSQL their transaction ids (`xmin`) and
    places (`ctid`) stop following the cases' within a sweep interval.
    """

    __tablename__ = "equalities_held"
    __table_args__ = NO_ROWID
    id: str = Field(primary_key=True, max_length=32)
    area_id: str = Field(max_length=40)
    locality_id: str = Field(max_length=60)
    period: str = Field(max_length=7, description="YYYY-MM the application was made")


class EqualitiesResponse(EqualitiesAnswers, table=True):
    """One applicant's optional answers as released, reported only as totals.

    No case id, no foreign key and no timestamp: a batch of at least the area's release
    size is written in one transaction (one `xmin` for all) in a random order, under random
    keys. `locality_id` is None and `period` a quarter ("2026-Q1") or a year where a
    locality's month would have held fewer than five answers.
    """

    __tablename__ = "equalities_response"
    __table_args__ = NO_ROWID
    id: str = Field(primary_key=True, max_length=32)
    area_id: str = Field(max_length=40, index=True)
    locality_id: str | None = Field(default=None, max_length=60)
    period: str = Field(max_length=7, description="YYYY-MM, YYYY-Qn or YYYY")
