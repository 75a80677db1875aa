"""The managers' performance dashboard: open cases, overdue steps, each clock against its
target with RAG status and direction of travel, applications and outcomes by month, and
recommendation completion, for the area or localities a manager manages.

This module checks who may see what and reads the tables off a scope's running totals
(engine/dashboard_totals.py); engine/services/dashboard.py keeps those totals current.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from engine import performance as perf
from engine import registry
from engine.access import Actor
from engine.dashboard_facts import clock_rules, completion_measures
from engine.dashboard_totals import ClockTotals, ScopeTotals, Window, nth_smallest
from engine.errors import InvalidInput, NotAllowed

MANAGER_ROLES = ("manager",)
YEAR = timedelta(days=365)
# How far back the dashboard may look: the previous year beside the latest 12 months.
MAX_RANGE = timedelta(days=366 * 5)


@dataclass(frozen=True)
class Scope:
    """What a manager asked to see, once the engine has checked they may."""

    area_id: str
    localities: tuple[str, ...]
    chosen: str | None
    start: date
    end: date
    today: date


def managed_localities(actor: Actor, area_id: str) -> tuple[str, ...]:
    """The localities of the area whose figures the actor may see as a manager."""
    area = registry.area(area_id)
    found: set[str] = set()
    for g in actor.grants:
        if g.role in MANAGER_ROLES and g.area_id == area_id:
            found |= set(area.localities) if g.locality_id is None else {g.locality_id}
    return tuple(lid for lid in area.localities if lid in found)


def manager_area(actor: Actor) -> str:
    """The area the actor manages (the first, where they manage more than one)."""
    for g in actor.grants:
        if g.role in MANAGER_ROLES:
            return g.area_id
    raise NotAllowed("Only managers can see the performance dashboard.")


def scope(
    actor: Actor,
    *,
    area_id: str,
    locality: str | None,
    start: date | None,
    end: date | None,
    today: date,
) -> Scope:
    """Check the actor manages what they asked for and the dates make sense."""
    allowed = managed_localities(actor, area_id)
    if not allowed:
        raise NotAllowed("Only managers of this area can see its performance dashboard.")
    if locality and locality not in registry.area(area_id).localities:
        raise InvalidInput("Choose a locality from the list.", field="locality")
    if locality and locality not in allowed:
        raise NotAllowed("You do not manage that locality.")
    end = end or today
    start = start or (end - YEAR + timedelta(days=1))
    if end > today:
        raise InvalidInput("The end date must be today or in the past.", field="to")
    if start > end:
        raise InvalidInput("The start date must be on or before the end date.", field="from")
    if end - start > MAX_RANGE:
        raise InvalidInput("Choose dates no more than 5 years apart.", field="from")
    chosen = (locality,) if locality else allowed
    return Scope(area_id, chosen, locality or None, start, end, today)


@dataclass
class Indicator:
    """One supporting indicator of an outcome, as the board's dashboard reads it."""

    name: str
    unit: str
    previous_year: float | None
    latest_12_months: float | None
    last_6_months: float | None
    earlier_6_months: float | None
    direction: str
    rag: str
    progress: str
    by_locality: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Outcome:
    clock: str
    title: str
    target: str
    rag: str
    comment: str
    counted: int
    indicators: list[Indicator]


def outcomes(totals: ScopeTotals, s: Scope, performance: dict[str, Any]) -> list[Outcome]:
    """One outcome per clock, laid out as the board reads its Safer Communities dashboard."""
    area = registry.area(s.area_id)
    result = []
    for rule in clock_rules():
        limits = perf.thresholds(performance, rule.name)
        result.append(_outcome(rule, totals.clocks[rule.name], s, limits, area))
    return result


def _on_time(w: Window) -> float | None:
    return perf.share(w.on_time, w.count)


def _median(w: Window) -> float | None:
    n = w.count
    if not n:
        return None
    if n % 2:
        return float(nth_smallest(w.days, n // 2))
    return (nth_smallest(w.days, n // 2 - 1) + nth_smallest(w.days, n // 2)) / 2


def _p90(w: Window) -> float | None:
    """The nearest-rank 90th percentile, as perf.percentile counts it."""
    if not w.count:
        return None
    return float(nth_smallest(w.days, max(1, math.ceil(90 / 100 * w.count)) - 1))


def _outcome(rule: Any, totals: ClockTotals, s: Scope, limits: Any, area: Any) -> Outcome:
    w = totals.windows
    latest, previous, last6, prior6 = w["latest"], w["previous"], w["last6"], w["prior6"]
    share = _indicator("Done on time", "%", latest, previous, last6, prior6, _on_time, limits)
    by_loc = totals.latest_by_locality
    share.by_locality = {
        lid: perf.share(*by_loc.get(lid, (0, 0))) for lid in s.localities
    }  # fmt: skip
    days = [
        _days_indicator("Median days taken", latest, previous, last6, prior6, _median),
        _days_indicator("90th percentile days taken", latest, previous, last6, prior6, _p90),
    ]
    timescale = area.timescales.get(rule.timescale)
    target = f"{timescale.amount} {timescale.unit.replace('_', ' ')}" if timescale else ""
    return Outcome(
        clock=rule.name,
        title=f"{rule.label}: on time",
        target=target,
        rag=share.rag,
        comment=_comment(share, limits, latest.count),
        counted=latest.count,
        indicators=[share, *days],
    )


def _indicator(
    name: str, unit: str, latest: Any, previous: Any, last6: Any, prior6: Any, fn: Any, limits: Any
) -> Indicator:
    value = fn(latest)
    travel = perf.direction(fn(last6), fn(prior6), limits)
    level = perf.rag(value, limits)
    return Indicator(
        name, unit, fn(previous), value, fn(last6), fn(prior6), travel, level,
        perf.progress_rag(level, travel),
    )  # fmt: skip


def _days_indicator(
    name: str, latest: Any, previous: Any, last6: Any, prior6: Any, stat: Any
) -> Indicator:
    fn = stat
    recent, earlier = fn(last6), fn(prior6)
    # Fewer days is better: the arrow points up when the time taken falls.
    travel = perf.direction(
        -recent if recent is not None else None,
        -earlier if earlier is not None else None,
        perf.Thresholds(steady_within=1),
    )
    return Indicator(
        name, "days", fn(previous), fn(latest), recent, earlier, travel, "none", "none"
    )  # fmt: skip


def _comment(share: Indicator, limits: Any, counted: int) -> str:
    if share.latest_12_months is None:
        return "Nothing was due in the latest 12 months."
    travel = perf.DIRECTION_TEXT[share.direction]
    return (
        f"{share.latest_12_months:g}% of {counted} on time in the latest 12 months "
        f"(green at {limits.green:g}%, amber at {limits.amber:g}%); over six months: {travel}."
    )


def open_cases(t: ScopeTotals) -> list[tuple[str, str, int]]:
    """(locality, state, count) of cases not yet closed."""
    return [(loc, state, n) for (loc, state), n in sorted(t.open_cases.items()) if n]


def overdue_steps(t: ScopeTotals) -> list[tuple[str, str, int]]:
    """(locality, step, count) of staff steps past their date and still open."""
    return [(loc, step, n) for (loc, step), n in sorted(t.overdue.items()) if n]


def recommendations(t: ScopeTotals) -> dict[str, Any]:
    """Issued recommendations by status, how many are past their date, and completion."""
    statuses = {k: v for k, v in t.statuses.items() if v}
    issued = sum(statuses.values())
    done = statuses.get("done", 0) + statuses.get("declined", 0)
    return {
        "issued": issued,
        "statuses": statuses,
        "overdue": t.late_recommendations,
        "completed": done,
        "completed_share": perf.share(done, issued),
        "regard_share": perf.share(t.regarded, issued),
    }


def second_report_prompts(t: ScopeTotals, s: Scope) -> list[dict[str, Any]]:
    """Per locality and month: people who made a second report within six months (the
    prompt was shown), and how many were told about the case review ("I have explained")."""
    from engine.person_reports import EXPLAINED, PROMPT_SHOWN

    rows = []
    for lid in s.localities:
        for month in t.month_names():
            second = t.prompts[(lid, month, PROMPT_SHOWN)]
            told = t.prompts[(lid, month, EXPLAINED)]
            rows.append(
                {
                    "locality": lid,
                    "month": month,
                    "second_reports": second,
                    "explained": told,
                    "explained_share": perf.share(told, second),
                }
            )
    return rows


COMPLETION_KINDS = ("on_time", "late", "overdue")


def completion(t: ScopeTotals, s: Scope) -> list[dict[str, Any]]:
    """Per completion measure (a package's item clocks, such as JAG actions): items done on
    time, done late and open past their date, per locality and per locality and month."""
    out = []
    for measure in completion_measures().values():
        by_locality, by_month = [], []
        for lid in s.localities:
            for month in t.month_names():
                row = _completion_row(t, measure.key, lid, month)
                if any(row[k] for k in COMPLETION_KINDS):
                    by_month.append({"locality": lid, "month": month, **row})
            by_locality.append({"locality": lid, **_sum_rows(
                [r for r in by_month if r["locality"] == lid])})  # fmt: skip
        out.append(
            {
                "key": measure.key,
                "title": measure.title,
                "by_locality": by_locality,
                "by_month": by_month,
                "total": _sum_rows(by_month),
            }
        )
    return out


def _completion_row(t: ScopeTotals, key: str, lid: str, month: str) -> dict[str, Any]:
    row: dict[str, Any] = {k: t.completion[(key, lid, month, k)] for k in COMPLETION_KINDS}
    row["on_time_share"] = perf.share(row["on_time"], row["on_time"] + row["late"])
    return row


def _sum_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {k: sum(r[k] for r in rows) for k in COMPLETION_KINDS}
    total["on_time_share"] = perf.share(total["on_time"], total["on_time"] + total["late"])
    return total
