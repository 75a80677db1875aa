"""What the public pages say about an area: timescales in plain words and other ways to apply."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from engine import registry

# The steps a victim is told about, in the order they happen, with how each is described.
STEPS = (
    ("acknowledgement", "We will acknowledge your application", "of receiving it"),
    (
        "threshold_decision",
        "We will tell you whether the threshold for a case review is met",
        "of receiving your application",
    ),
    (
        "review_outcome",
        "If a review is held, we will send you its outcome",
        "of the threshold decision",
    ),
    (
        "appeal_window",
        "If you are unhappy with a decision or outcome, you can appeal",
        "of our letter",
    ),
)


@dataclass(frozen=True)
class Step:
    name: str
    text: str  # "We will acknowledge your application within 1 working day of receiving it"


@dataclass(frozen=True)
class LocalityTimescales:
    id: str
    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class OtherWays:
    phone_intro: str
    phones: tuple[tuple[str, str], ...]  # (locality name, number)
    post: str
    representative: str
    procedure_url: str
    find_council_url: str


def period_text(amount: int, unit: str) -> str:
    """ "1 working day", "14 days": the words a letter would use for a timescale."""
    noun = "working day" if unit == "working_days" else "day"
    return f"{amount} {noun}" if amount == 1 else f"{amount} {noun}s"


def _step(area: registry.AreaConfig, locality_id: str, name: str, text: str, end: str) -> Step:
    scale = area.timescale(name, locality_id)
    return Step(name, f"{text} within {period_text(scale.amount, scale.unit)} {end}")


def locality_timescales(area_id: str, locality_id: str) -> LocalityTimescales:
    """The steps and their timescales as one locality runs them."""
    area = registry.area(area_id)
    steps = tuple(
        _step(area, locality_id, name, text, end)
        for name, text, end in STEPS
        if name in area.timescales
    )
    return LocalityTimescales(locality_id, area.localities[locality_id].name, steps)


def area_timescales(area_id: str) -> tuple[LocalityTimescales, ...]:
    """Every locality's timescales, for the start page."""
    area = registry.area(area_id)
    return tuple(locality_timescales(area_id, lid) for lid in area.localities)


@dataclass(frozen=True)
class TimescaleGroup:
    names: str  # "Blaby, Charnwood and Rutland"
    steps: tuple[str, ...]


def grouped_timescales(area_id: str) -> tuple[TimescaleGroup, ...]:
    """Localities that share the same timescales, listed together (for the start page)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for loc in area_timescales(area_id):
        groups.setdefault(tuple(s.text for s in loc.steps), []).append(loc.name)
    return tuple(TimescaleGroup(_and(names), steps) for steps, names in groups.items())


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@cache
def public_data(area_id: str) -> dict[str, Any]:
    """The area's public-pages file (workflows/public/<area>.toml), checked against the area."""
    raw = registry.public_file(area_id)
    known = set(registry.area(area_id).localities) | {"outside"}
    for district, names in raw.get("districts", {}).items():
        unknown = set(names) - known
        if unknown or not names:
            raise ValueError(f"postcode district {district} names unknown localities {unknown}")
    return raw


def other_ways(area_id: str) -> OtherWays:
    area = registry.area(area_id)
    ways = public_data(area_id)["other_ways"]
    phones = tuple(
        (area.localities[lid].name, number) for lid, number in ways.get("phone", {}).items()
    )
    return OtherWays(
        phone_intro=ways["phone_intro"],
        phones=phones,
        post=ways["post"],
        representative=ways["representative"],
        procedure_url=ways.get("procedure_url") or area.procedure_url,
        find_council_url=ways["find_council_url"],
    )
