"""The running totals behind one dashboard (one scope: localities, dates and today).

Built once from every case's facts, then kept up to date by taking away a changed case's
old facts and adding its new ones, so an event costs the few rows of its own case and never
a recount. The tables are read off the totals (each a handful of counters).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from engine.dashboard_facts import MONTH_COLUMNS, CaseFacts, Prompt

# The windows every outcome is measured over, as (first, last) days back from the end:
# the latest 12 months, the 12 before, the last six months and the six before.
YEAR, HALF_YEAR = 365, 182
WINDOWS = {
    "latest": (YEAR - 1, 0),
    "previous": (2 * YEAR - 1, YEAR),
    "last6": (HALF_YEAR - 1, 0),
    "prior6": (2 * HALF_YEAR - 1, HALF_YEAR),
}


@dataclass
class Window:
    """The clocks met in one window: days taken (value -> how many), and how many on time."""

    days: Counter[int] = field(default_factory=Counter)
    on_time: int = 0
    count: int = 0

    def add(self, days: int, on_time: bool, sign: int) -> None:
        self.days[days] += sign
        if not self.days[days]:
            del self.days[days]
        self.on_time += sign * on_time
        self.count += sign


@dataclass
class ClockTotals:
    windows: dict[str, Window] = field(default_factory=lambda: {w: Window() for w in WINDOWS})
    # Per locality, the latest 12 months: [on time, counted].
    latest_by_locality: dict[str, list[int]] = field(default_factory=dict)


def _month(day: int) -> str:
    d = date.fromordinal(day)
    return f"{d.year:04d}-{d.month:02d}"


class ScopeTotals:
    """Every count one dashboard shows, for the cases of its localities."""

    def __init__(self, localities: tuple[str, ...], start: date, end: date, today: date,
                 clocks: list[str]) -> None:  # fmt: skip
        self.localities = frozenset(localities)
        self.start, self.end, self.today = start.toordinal(), end.toordinal(), today.toordinal()
        self.windows = {w: (self.end - a, self.end - b) for w, (a, b) in WINDOWS.items()}
        self.clocks = {name: ClockTotals() for name in clocks}
        self.open_cases: Counter[tuple[str, str]] = Counter()
        self.overdue: Counter[tuple[str, str]] = Counter()
        self.months: Counter[tuple[str, str]] = Counter()
        self.statuses: Counter[str] = Counter()
        self.late_recommendations = 0
        self.regarded = 0
        self.prompts: Counter[tuple[str, str, str]] = Counter()
        # (measure, locality, month, "on_time" | "late" | "overdue") -> items
        self.completion: Counter[tuple[str, str, str, str]] = Counter()
        self.version = 0

    def add_case(self, facts: CaseFacts, sign: int) -> None:
        """Add (+1) or take away (-1) one case's facts, when its locality is in scope."""
        loc = facts.locality
        if loc not in self.localities:
            return
        self.version += 1
        if facts.open_state is not None:
            self.open_cases[(loc, facts.open_state)] += sign
        for step, due in facts.open_steps:
            if due < self.today:
                self.overdue[(loc, step)] += sign
        for clock, done, days, on_time in facts.timings:
            self._add_timing(loc, clock, done, days, on_time, sign)
        for column, day in facts.events:
            if self.start <= day <= self.end:
                self.months[(_month(day), column)] += sign
        for status, due, regard in facts.recommendations:
            self.statuses[status] += sign
            self.late_recommendations += sign * (
                status in ("open", "accepted") and due is not None and due < self.today
            )
            self.regarded += sign * regard
        for measure, status, due, closed in facts.items:
            self._add_item(loc, measure, status, due, closed, sign)

    def _add_item(self, loc: str, measure: str, status: str, due: int, closed: int | None,
                  sign: int) -> None:  # fmt: skip
        """An item done (on time or late) counts in the month it was done; one still open
        past its date counts in the month it fell due (the period's first or last month
        when that is outside it)."""
        if status in ("met", "late") and closed is not None:
            if self.start <= closed <= self.end:
                kind = "on_time" if status == "met" else "late"
                self.completion[(measure, loc, _month(closed), kind)] += sign
        elif status == "open" and due < self.today:
            day = min(max(due, self.start), self.end)
            self.completion[(measure, loc, _month(day), "overdue")] += sign

    def _add_timing(self, loc: str, clock: str, done: int, days: int, on_time: bool,
                    sign: int) -> None:  # fmt: skip
        totals = self.clocks.get(clock)
        if totals is None:
            return
        for name, (first, last) in self.windows.items():
            if first <= done <= last:
                totals.windows[name].add(days, on_time, sign)
                if name == "latest":
                    held = totals.latest_by_locality.setdefault(loc, [0, 0])
                    held[0] += sign * on_time
                    held[1] += sign

    def add_prompt(self, prompt: Prompt, sign: int = 1) -> None:
        if prompt.locality in self.localities and self.start <= prompt.day <= self.end:
            self.version += 1
            self.prompts[(prompt.locality, _month(prompt.day), prompt.action)] += sign

    def month_names(self) -> list[str]:
        first, last = date.fromordinal(self.start), date.fromordinal(self.end)
        out, y, m = [], first.year, first.month
        while (y, m) <= (last.year, last.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def month_rows(self) -> list[dict[str, object]]:
        return [
            {"month": m, **{c: self.months[(m, c)] for c in MONTH_COLUMNS}}
            for m in self.month_names()
        ]


def nth_smallest(counts: Counter[int], n: int) -> int:
    """The n-th smallest value (from 0) of the values a counter counts."""
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if n < seen:
            return value
    raise IndexError(n)
