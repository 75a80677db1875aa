"""Pure rules for the managers' dashboard: medians, percentiles, on-time shares, RAG status
and the direction of travel, each taking plain numbers and the area's thresholds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

RAG_LABELS = {"green": "Green", "amber": "Amber", "red": "Red", "none": "No data"}
DIRECTION_TEXT = {"↑": "improving", "↓": "getting worse", "→": "no change", "": "not enough data"}


@dataclass(frozen=True)
class Thresholds:
    green: float = 90.0
    amber: float = 75.0
    steady_within: float = 2.0


def thresholds(performance: Mapping[str, Any], clock_name: str) -> Thresholds:
    """The area's RAG thresholds for one clock: its own numbers where set, else the area's."""
    own = performance.get("clocks", {}).get(clock_name, {})
    pick = {k: float(own.get(k, performance.get(k, getattr(Thresholds, k)))) for k in
            ("green", "amber", "steady_within")}  # fmt: skip
    return Thresholds(**pick)


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile: the smallest value at least p% of values are at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def share(hits: int, total: int) -> float | None:
    """A percentage to one decimal place, or None when there is nothing to count."""
    return round(100 * hits / total, 1) if total else None


def rag(on_time: float | None, limits: Thresholds) -> str:
    if on_time is None:
        return "none"
    if on_time >= limits.green:
        return "green"
    return "amber" if on_time >= limits.amber else "red"


def direction(recent: float | None, earlier: float | None, limits: Thresholds) -> str:
    """↑ better, ↓ worse, → within the steady band; higher on-time shares are better."""
    if recent is None or earlier is None:
        return ""
    change = recent - earlier
    if abs(change) < limits.steady_within:
        return "→"
    return "↑" if change > 0 else "↓"


def progress_rag(level: str, travel: str) -> str:
    """Progress: green while on target and not getting worse; red when below the amber line
    and not improving; amber otherwise."""
    if level == "none":
        return "none"
    if level == "green" and travel != "↓":
        return "green"
    if level == "red" and travel != "↑":
        return "red"
    return "amber"
