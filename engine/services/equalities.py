"""Equalities monitoring: the optional questions, storing answers apart, and totals only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from sqlmodel import Session, col, func, select

from engine.clock import Clock
from engine.models import EqualitiesResponse

PREFER_NOT = ("prefer_not_to_say", "Prefer not to say")
# Totals under this are shown as "fewer than 5" so nobody can be picked out of a small count.
SMALL_NUMBER = 5


@dataclass(frozen=True)
class Question:
    field: str
    text: str
    options: tuple[tuple[str, str], ...]
    hint: str = ""


# Equality Act 2010 protected characteristics, with ONS census-style answers.
QUESTIONS = (
    Question(
        "age",
        "What is your age?",
        (
            ("under_18", "Under 18"),
            ("18_24", "18 to 24"),
            ("25_34", "25 to 34"),
            ("35_44", "35 to 44"),
            ("45_54", "45 to 54"),
            ("55_64", "55 to 64"),
            ("65_74", "65 to 74"),
            ("75_plus", "75 or over"),
            PREFER_NOT,
        ),
    ),
    Question("sex", "What is your sex?", (("female", "Female"), ("male", "Male"), PREFER_NOT)),
    Question(
        "gender_identity_same",
        "Is the gender you identify with the same as your sex registered at birth?",
        (("yes", "Yes"), ("no", "No"), PREFER_NOT),
    ),
    Question(
        "sexual_orientation",
        "Which of the following best describes your sexual orientation?",
        (
            ("straight", "Straight or heterosexual"),
            ("gay_lesbian", "Gay or lesbian"),
            ("bisexual", "Bisexual"),
            ("other", "Another sexual orientation"),
            PREFER_NOT,
        ),
    ),
    Question(
        "disability",
        "Do you have a physical or mental health condition or illness lasting, "
        "or expected to last, 12 months or more?",
        (("yes", "Yes"), ("no", "No"), PREFER_NOT),
    ),
    Question(
        "ethnicity",
        "What is your ethnic group?",
        (
            ("asian", "Asian, Asian British or Asian Welsh"),
            ("black", "Black, Black British, Black Welsh, Caribbean or African"),
            ("mixed", "Mixed or multiple ethnic groups"),
            ("white", "White"),
            ("other", "Another ethnic group"),
            PREFER_NOT,
        ),
    ),
    Question(
        "religion",
        "What is your religion?",
        (
            ("none", "No religion"),
            ("christian", "Christian"),
            ("buddhist", "Buddhist"),
            ("hindu", "Hindu"),
            ("jewish", "Jewish"),
            ("muslim", "Muslim"),
            ("sikh", "Sikh"),
            ("other", "Another religion"),
            PREFER_NOT,
        ),
    ),
    Question(
        "marital_status",
        "Are you married or in a civil partnership?",
        (("yes", "Yes"), ("no", "No"), PREFER_NOT),
    ),
    Question(
        "pregnancy",
        "Are you pregnant, or have you given birth in the last 26 weeks?",
        (("yes", "Yes"), ("no", "No"), PREFER_NOT),
    ),
)
QUESTION_BY_FIELD = {q.field: q for q in QUESTIONS}


class EqualitiesIn(BaseModel):
    """The answers as given; each question may be left out."""

    model_config = ConfigDict(extra="forbid")
    age: str | None = None
    sex: str | None = None
    gender_identity_same: str | None = None
    sexual_orientation: str | None = None
    disability: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    marital_status: str | None = None
    pregnancy: str | None = None

    @model_validator(mode="after")
    def _known_answers(self) -> EqualitiesIn:
        for q in QUESTIONS:
            value = getattr(self, q.field)
            if value is not None and value not in {code for code, _ in q.options}:
                raise ValueError(f"{value!r} is not an answer to {q.field}")
        return self

    def answered(self) -> bool:
        return any(getattr(self, q.field) for q in QUESTIONS)


def add_response(
    session: Session, *, clock: Clock, area_id: str, locality_id: str, answers: EqualitiesIn
) -> None:
    """Add one response in the caller's transaction; the caller commits."""
    values = response_values(clock=clock, area_id=area_id, locality_id=locality_id, answers=answers)
    session.add(EqualitiesResponse(**values))


def response_values(
    *, clock: Clock, area_id: str, locality_id: str, answers: EqualitiesIn
) -> dict[str, Any]:
    """One response's row as plain values, for a caller writing it with a plain INSERT."""
    return {
        "id": uuid.uuid4().hex,
        "area_id": area_id,
        "locality_id": locality_id,
        "period": clock.today().strftime("%Y-%m"),
        **answers.model_dump(),
    }


@dataclass(frozen=True)
class Total:
    label: str
    count: int | None  # None: fewer than SMALL_NUMBER, suppressed


def totals(session: Session, *, area_id: str) -> dict[str, list[Total]]:
    """Answers counted per question across the area, small numbers suppressed."""
    result: dict[str, list[Total]] = {}
    for q in QUESTIONS:
        column = getattr(EqualitiesResponse, q.field)
        rows = session.exec(
            select(column, func.count())
            .where(col(EqualitiesResponse.area_id) == area_id, col(column).is_not(None))
            .group_by(column)
        ).all()
        counts = dict(rows)
        result[q.field] = [
            Total(label, _suppressed(counts.get(code, 0))) for code, label in q.options
        ]
    return result


def _suppressed(count: int) -> int | None:
    return None if 0 < count < SMALL_NUMBER else count
