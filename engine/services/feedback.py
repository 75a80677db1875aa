"""Feedback on the service: a satisfaction rating and optional comments, kept anonymously."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError
from sqlmodel import Session

from engine.clock import Clock
from engine.errors import InvalidInput
from engine.inputs import NoNulModel
from engine.models import Feedback

Rating = Literal["very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied"]
RATINGS: dict[str, str] = {
    "very_satisfied": "Very satisfied",
    "satisfied": "Satisfied",
    "neutral": "Neither satisfied nor dissatisfied",
    "dissatisfied": "Dissatisfied",
    "very_dissatisfied": "Very dissatisfied",
}
MAX_COMMENTS = 1200


class FeedbackIn(NoNulModel):
    rating: Rating
    comments: str = Field(default="", max_length=MAX_COMMENTS)


MESSAGES = {
    "rating": "Select how you feel about this service",
    "comments": f"How we could improve this service must be {MAX_COMMENTS} characters or fewer",
}


def give_feedback(session: Session, *, clock: Clock, rating: str, comments: str) -> None:
    """Store one answer; nothing about who gave it is kept."""
    try:
        given = FeedbackIn(rating=rating, comments=comments.strip())  # type: ignore[arg-type]
    except ValidationError as exc:
        errors = [
            {"field": str(e["loc"][0]), "message": MESSAGES[str(e["loc"][0])]} for e in exc.errors()
        ]
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors) from None
    try:
        session.add(Feedback(rating=given.rating, comments=given.comments, created_at=clock.now()))
        session.commit()
    except Exception:
        session.rollback()
        raise
