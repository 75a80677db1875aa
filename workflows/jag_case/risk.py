"""Scoring a victim's risk assessment against the area's questions and bands."""

from __future__ import annotations

from collections.abc import Mapping

from workflows.jag_case.area import JagArea


def answer_errors(area: JagArea, answers: Mapping[str, bool]) -> list[tuple[str, str]]:
    """(field, message) for each question unanswered and each answer to no question."""
    known = {q.id for q in area.questions}
    errors = [
        (f"data.answers.{key}", f"{key!r} is not a question of this area's risk assessment")
        for key in answers
        if key not in known
    ]
    errors += [
        (f"data.answers.{q.id}", f"Answer yes or no: {q.text}")
        for q in area.questions
        if q.id not in answers
    ]
    return errors


def score(area: JagArea, answers: Mapping[str, bool]) -> tuple[int, str]:
    """The total of the weights of the questions answered yes, and its band."""
    total = sum(q.weight for q in area.questions if answers.get(q.id))
    return total, area.band(total)
