"""The area's `[jag]` table: risk questions and bands, ladder stages, cessation reasons,
the review interval and the peer review timescale (workflows/areas/<area>.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from engine import registry


@dataclass(frozen=True)
class Interval:
    amount: int
    unit: str  # working_days or calendar_days


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    weight: int = 1


@dataclass(frozen=True)
class Stage:
    id: str
    label: str


@dataclass(frozen=True)
class JagArea:
    review_interval: Interval
    peer_review: Interval
    agencies: tuple[str, ...]
    questions: tuple[Question, ...]
    medium: int
    high: int
    reassess_days: int
    ladder: tuple[Stage, ...]
    cessation_reasons: dict[str, str]

    def band(self, score: int) -> str:
        if score >= self.high:
            return "high"
        return "medium" if score >= self.medium else "standard"

    def stage_ids(self) -> list[str]:
        return [s.id for s in self.ladder]

    def stage_index(self, stage_id: str) -> int:
        return [s.id for s in self.ladder].index(stage_id)


@cache
def jag_area(area_id: str) -> JagArea:
    """The area's JAG data, checked once (a wrong table is a configuration error)."""
    return parse(registry.area(area_id).tables.get("jag", {}))


def _interval(raw: dict[str, Any], name: str) -> Interval:
    unit = raw.get("unit")
    if unit not in registry.UNITS or int(raw.get("amount", 0)) < 1:
        raise ValueError(f"[jag] {name} needs amount >= 1 and unit in {registry.UNITS}")
    return Interval(int(raw["amount"]), str(unit))


def parse(raw: dict[str, Any]) -> JagArea:
    risk = raw.get("risk", {})
    questions = tuple(
        Question(str(q["id"]), str(q["text"]), int(q.get("weight", 1)))
        for q in risk.get("questions", ())
    )
    if len({q.id for q in questions}) != len(questions):
        raise ValueError("[jag.risk] question ids must be unique")
    medium, high = int(risk.get("medium", 1)), int(risk.get("high", 2))
    if not 0 < medium < high:
        raise ValueError("[jag.risk] needs 0 < medium < high")
    ladder = tuple(Stage(str(s["id"]), str(s["label"])) for s in raw.get("ladder", ()))
    return JagArea(
        review_interval=_interval(raw.get("review_interval", {}), "review_interval"),
        peer_review=_interval(raw.get("peer_review", {}), "peer_review"),
        agencies=tuple(str(a) for a in raw.get("agencies", ())),
        questions=questions,
        medium=medium,
        high=high,
        reassess_days=int(risk.get("reassess_days", 28)),
        ladder=ladder,
        cessation_reasons={str(k): str(v) for k, v in raw.get("cessation_reasons", {}).items()},
    )
