"""The one place ctengine reads the time; everything else is handed a Clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


def stopwatch() -> Callable[[], float]:
    """Seconds since this call, from the monotonic counter: for request durations in logs and
    metrics only, never for deciding anything (that is the Clock's job)."""
    started = time.perf_counter()
    return lambda: time.perf_counter() - started


class SystemClock:
    """Reads the system time on every call, so freezegun still controls it in tests."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().astimezone(LONDON).date()


class FixedClock:
    """A clock that only moves when told to (tests, and `sweep --as-of`)."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a time-zone-aware datetime")
        self._now = at.astimezone(UTC)

    def advance(self, *, days: int = 0, hours: int = 0, minutes: int = 0, seconds: int = 0) -> None:
        self._now += timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.astimezone(LONDON).date()


def london_date(instant: datetime) -> date:
    """The Europe/London calendar date of a UTC instant."""
    return instant.astimezone(LONDON).date()
