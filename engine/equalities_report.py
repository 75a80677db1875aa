"""The equalities report: released monitoring answers counted per characteristic, beside
the year's applications and outcomes, every table with small numbers suppressed.

Only rows the worker has released (`equalities_response`) are read: they carry no case and
cannot be joined to one, so outcomes are shown beside the totals, never broken down by
characteristic. Managers of the whole area only: the released rows are the area's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from engine import registry
from engine.access import Actor
from engine.errors import EngineError, InvalidInput, NotAllowed
from engine.models import EqualitiesResponse
from engine.services import figures as figures_service
from engine.services.equalities import QUESTIONS
from engine.suppression import Published, suppress

NOT_ANSWERED = "Not answered"
FIRST_YEAR = 2014


@dataclass(frozen=True)
class CharacteristicTable:
    field: str
    question: str
    labels: list[str]
    published: Published


@dataclass(frozen=True)
class EqualitiesReport:
    area_id: str
    area_name: str
    year: int
    responses: Published
    characteristics: list[CharacteristicTable]
    context: list[tuple[str, int]]


def require_area_manager(actor: Actor, area_id: str) -> None:
    """Only managers of the whole area see the equalities report."""
    if not any(g.role == "manager" and g.area_id == area_id and g.locality_id is None
               for g in actor.grants):  # fmt: skip
        raise NotAllowed("Only managers of the whole area can see the equalities report.")


def equalities_report(
    session: Session, *, actor: Actor, area_id: str, year: Any, today: date
) -> EqualitiesReport:
    """The calendar year's released answers per characteristic, suppressed for publishing."""
    require_area_manager(actor, area_id)
    y = _year(year, today)
    rows = session.exec(
        select(EqualitiesResponse).where(
            col(EqualitiesResponse.area_id) == area_id,
            col(EqualitiesResponse.period).startswith(str(y)),
        )
    ).all()
    tables = [_characteristic(q, rows) for q in QUESTIONS]
    return EqualitiesReport(
        area_id=area_id,
        area_name=registry.area(area_id).name,
        year=y,
        responses=suppress([len(rows)]),
        characteristics=tables,
        context=_context(session, area_id, y, today),
    )


def _characteristic(q: Any, rows: Any) -> CharacteristicTable:
    counts = Counter(getattr(r, q.field) for r in rows)
    labels = [label for _, label in q.options] + [NOT_ANSWERED]
    values = [counts.get(code, 0) for code, _ in q.options] + [counts.get(None, 0)]
    return CharacteristicTable(q.field, q.text, labels, suppress(values))


def _context(session: Session, area_id: str, year: int, today: date) -> list[tuple[str, int]]:
    """The area's applications and outcomes over the two financial years the calendar year
    touches, for comparison (the statutory figures, as published)."""
    out = []
    for fy in (year - 1, year):
        try:
            f = figures_service.statutory_figures(session, area_id=area_id, year=fy, today=today)
        except EngineError:  # a year not begun yet, or before the Act: nothing to compare
            continue
        t = f.total.as_figures()
        out += [
            (f"Applications received, {f.label}", t["applications"]),
            (f"Times the threshold was not met, {f.label}", t["threshold_not_met"]),
            (f"Case reviews carried out, {f.label}", t["reviews"]),
        ]
    return out


def _year(year: Any, today: date) -> int:
    text = str(year).strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4) or not (
        FIRST_YEAR <= int(text) <= today.year
    ):
        raise InvalidInput(
            f"Enter a year from {FIRST_YEAR} to {today.year}, as four digits.", field="year"
        )
    return int(text)
