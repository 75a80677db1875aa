"""Equalities monitoring: the optional questions, answers held apart and released in batches."""

from __future__ import annotations

import random
import secrets
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from engine import registry
from engine.clock import Clock
from engine.db import is_postgres
from engine.models import EqualitiesHeld, EqualitiesResponse

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
    """Hold one response for release in the caller's transaction; the caller commits.

    Used where no case is written in the same transaction; the public form uses `hold`.
    """
    values = response_values(clock=clock, area_id=area_id, locality_id=locality_id, answers=answers)
    session.add(EqualitiesHeld(**values))


def response_values(
    *, clock: Clock, area_id: str, locality_id: str, answers: EqualitiesIn
) -> dict[str, Any]:
    """One held response as plain values: nothing about the case, nothing finer than the month."""
    return {
        "id": uuid.uuid4().hex,
        "area_id": area_id,
        "locality_id": locality_id,
        "period": clock.today().strftime("%Y-%m"),
        **answers.model_dump(),
    }


def hold(session: Session, values: dict[str, Any]) -> None:
    """Write one held response in a transaction of its own, after the case's has committed.

    Never in the case's transaction: on PostgreSQL the two rows would carry the same
    transaction id (`xmin`) for anyone reading the database to join them on.
    """
    if session.in_transaction():
        raise RuntimeError("equalities answers are held in a transaction of their own")
    try:
        session.connection().execute(_HELD.insert(), values)
        session.commit()
    except Exception:
        session.rollback()
        raise


_HELD = EqualitiesHeld.__table__  # type: ignore[attr-defined]
_RELEASED = EqualitiesResponse.__table__  # type: ignore[attr-defined]
_ANSWERS = tuple(q.field for q in QUESTIONS)


@dataclass(frozen=True)
class Release:
    released: int  # rows moved to equalities_response
    waiting: int  # rows still held (rewritten under new keys)


def release_due(session: Session, *, clock: Clock, rng: random.Random | None = None) -> Release:
    """The worker's job: per area, release the held answers once enough are waiting, or
    once any has waited into a new month; rewrite the rest. One transaction.

    Released rows go in one INSERT, shuffled, under new random keys, with locality and month
    coarsened where a cell would hold fewer than five. Rows left waiting are rewritten under
    new random keys in a shuffled order, so their `xmin` is this transaction's (shared by
    all of them) and their physical order is random.
    """
    shuffle = rng or secrets.SystemRandom()
    this_month = clock.today().strftime("%Y-%m")
    released = waiting = 0
    try:
        conn = session.connection()
        rows = [dict(r._mapping) for r in conn.execute(_locked(session, sa_select(_HELD)))]
        by_area: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_area.setdefault(row["area_id"], []).append(row)
        for area_id, held in by_area.items():
            batch = registry.area(area_id).retention.equalities_release_batch
            if len(held) >= batch or any(r["period"] < this_month for r in held):
                _release(conn, area_id, held, shuffle)
                released += len(held)
            else:
                _rewrite(conn, held, shuffle)
                waiting += len(held)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return Release(released, waiting)


def _locked(session: Session, statement: Any) -> Any:
    # Two workers must not release the same rows twice (SQLite has one writer anyway).
    return statement.with_for_update() if is_postgres(session.get_bind()) else statement


def _release(conn: Any, area_id: str, held: list[dict[str, Any]], shuffle: random.Random) -> None:
    existing = Counter(
        (r.locality_id, r.period)
        for r in conn.execute(
            sa_select(_RELEASED.c.locality_id, _RELEASED.c.period).where(
                _RELEASED.c.area_id == area_id
            )
        )
    )
    out = [
        {**{f: row[f] for f in _ANSWERS}, "area_id": area_id, "locality_id": loc, "period": period}
        for row, (loc, period) in zip(held, coarsened(held, existing), strict=True)
    ]
    shuffle.shuffle(out)
    for row in out:
        row["id"] = secrets.token_hex(16)
    conn.execute(_HELD.delete().where(_HELD.c.id.in_([r["id"] for r in held])))
    conn.execute(_RELEASED.insert(), out)


def _rewrite(conn: Any, held: list[dict[str, Any]], shuffle: random.Random) -> None:
    order = list(held)
    shuffle.shuffle(order)
    conn.execute(_HELD.delete().where(_HELD.c.id.in_([r["id"] for r in order])))
    conn.execute(_HELD.insert(), [{**r, "id": secrets.token_hex(16)} for r in order])


Cell = tuple[str | None, str]
# Finest first: the locality's month, its quarter, the area's quarter, the area's year.
LEVELS: tuple[Callable[[str, str], Cell], ...] = (
    lambda loc, month: (loc, month),
    lambda loc, month: (loc, _quarter(month)),
    lambda loc, month: (None, _quarter(month)),
    lambda loc, month: (None, month[:4]),
)


def _quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def coarsened(held: list[dict[str, Any]], existing: Counter[Cell]) -> list[Cell]:
    """Each row's (locality, period) as stored: the finest level at which its cell, counting
    what is stored already and the rows of this batch that share it, holds at least
    SMALL_NUMBER answers; the area's year when none does."""
    result: list[Cell | None] = [None] * len(held)
    for level in LEVELS[:-1]:
        groups: dict[Cell, list[int]] = {}
        for i, row in enumerate(held):
            if result[i] is None:
                groups.setdefault(level(row["locality_id"], row["period"]), []).append(i)
        for cell, members in groups.items():
            if existing[cell] + len(members) >= SMALL_NUMBER:
                for i in members:
                    result[i] = cell
    last = LEVELS[-1]
    return [
        cell or last(row["locality_id"], row["period"])
        for cell, row in zip(result, held, strict=True)
    ]


def grant_statements(*, web_role: str, worker_role: str, schema: str = "public") -> list[str]:
    """PostgreSQL grants for the equalities tables (docs/personal-data.md): the web process
    may only add held answers; only the worker reads, moves and rewrites them."""
    held, released = f"{schema}.equalities_held", f"{schema}.equalities_response"
    return [
        f"REVOKE ALL ON {held}, {released} FROM {web_role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {web_role}, {worker_role}",
        f"GRANT INSERT ON {held} TO {web_role}",
        f"GRANT SELECT, INSERT, DELETE ON {held} TO {worker_role}",
        f"GRANT SELECT, INSERT ON {released} TO {worker_role}",
    ]


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
