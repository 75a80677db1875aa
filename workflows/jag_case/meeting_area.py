"""The area's `[jag.meetings]` table: each locality's standing monthly meeting, the minutes
each kind of agenda item gets, the papers' lead time, and who sees repeat victims' names."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from engine import registry, workdays

# Agenda item kinds, in the order the agenda lists them unless the chair reorders.
ITEM_KINDS = (
    "new_referral",
    "high_risk",
    "due_review",
    "overdue_actions",
    "carried_actions",
    "community_trigger",
    "repeat_victims",
    "other_business",
)
# An item the chair adds by hand: it goes in just before any other business.
CHAIR_ITEM = "chair_item"
ORDER_CHAIR = ITEM_KINDS.index("other_business") - 0.5
KIND_LABELS = {
    "new_referral": "New referral",
    "high_risk": "High-risk victim",
    "due_review": "Due for review",
    "overdue_actions": "Overdue actions",
    "carried_actions": "Actions carried over from the last meeting",
    "community_trigger": "Community Trigger review",
    "repeat_victims": "Top repeat domestic-abuse victims (standing item)",
    "other_business": "Any other business",
    CHAIR_ITEM: "Added by the chair",
}
WEEKDAYS = tuple(calendar.day_name)


@dataclass(frozen=True)
class Pattern:
    """ "The second Tuesday of each month, 10:00, for 2 hours, at City Hall"."""

    week: int  # 1 to 4, or -1 for the last
    weekday: int  # Monday = 0
    time: str  # HH:MM
    minutes: int
    place: str

    def on_or_after(self, day: date) -> date:
        """The first standing meeting day on or after `day`."""
        year, month = day.year, day.month
        while True:
            found = self._in_month(year, month)
            if found >= day:
                return found
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def _in_month(self, year: int, month: int) -> date:
        days = calendar.monthrange(year, month)[1]
        if self.week == -1:
            last = date(year, month, days)
            return last - timedelta(days=(last.weekday() - self.weekday) % 7)
        first = date(year, month, 1)
        return first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.week - 1))

    def describe(self) -> str:
        nth = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}[self.week]
        hours = f"{self.minutes // 60} hours" if self.minutes % 60 == 0 else f"{self.minutes} min"
        return f"The {nth} {WEEKDAYS[self.weekday]} of each month, {self.time}, {hours}"


@dataclass(frozen=True)
class MeetingsArea:
    papers_lead_days: int
    slots: dict[str, int]
    patterns: dict[str, Pattern]
    repeat_victims: int
    name_roles: tuple[str, ...]

    def slot(self, kind: str) -> int:
        return self.slots.get(kind, 10)

    def papers_due(self, held_on: date) -> date:
        """N calendar days before the meeting; if that is not a working day, the working
        day before it."""
        return workdays.subtract_calendar_days(held_on, self.papers_lead_days)


@cache
def meetings_area(area_id: str) -> MeetingsArea:
    raw = registry.area(area_id).tables.get("jag", {}).get("meetings", {})
    return parse(raw, registry.area(area_id).localities)


def _time(text: str, where: str) -> str:
    hours, _, mins = text.partition(":")
    if not (hours.isdigit() and mins.isdigit() and int(hours) < 24 and int(mins) < 60):
        raise ValueError(f"[jag.meetings.pattern] {where}: time must be HH:MM")
    return f"{int(hours):02d}:{int(mins):02d}"


def parse_pattern(raw: dict[str, Any], where: str) -> Pattern:
    week = raw.get("week")
    week = -1 if week == "last" else week
    if week not in (1, 2, 3, 4, -1):
        raise ValueError(f"[jag.meetings.pattern] {where}: week must be 1 to 4 or 'last'")
    if raw.get("weekday") not in WEEKDAYS:
        raise ValueError(f"[jag.meetings.pattern] {where}: weekday must be a day's name")
    minutes = int(raw.get("minutes", 0))
    if not 15 <= minutes <= 480:
        raise ValueError(f"[jag.meetings.pattern] {where}: minutes must be 15 to 480")
    return Pattern(
        week=int(week),
        weekday=WEEKDAYS.index(raw["weekday"]),
        time=_time(str(raw.get("time", "")), where),
        minutes=minutes,
        place=str(raw.get("place", "")),
    )


def parse(raw: dict[str, Any], localities: Any = ()) -> MeetingsArea:
    lead = raw.get("papers_lead", {"amount": 3, "unit": "calendar_days"})
    if lead.get("unit") != "calendar_days" or int(lead.get("amount", -1)) < 0:
        raise ValueError("[jag.meetings] papers_lead needs amount >= 0 in calendar_days")
    slots = {str(k): int(v) for k, v in raw.get("slots", {}).items()}
    if any(not 1 <= v <= 240 for v in slots.values()):
        raise ValueError("[jag.meetings.slots] each slot must be 1 to 240 minutes")
    patterns = {str(k): parse_pattern(v, k) for k, v in raw.get("pattern", {}).items()}
    if unknown := [k for k in patterns if localities and k not in localities]:
        raise ValueError(f"[jag.meetings.pattern] unknown locality {unknown[0]!r}")
    return MeetingsArea(
        papers_lead_days=int(lead["amount"]),
        slots=slots,
        patterns=patterns,
        repeat_victims=int(raw.get("repeat_victims", 3)),
        name_roles=tuple(str(r) for r in raw.get("repeat_victim_names", ("jag_chair",))),
    )
