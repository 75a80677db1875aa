"""The in-memory moving-window rate limits (web/security.py), on a hand-moved clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.clock import FixedClock
from web.security import RateLimits, TooManyRequests


class Timer:
    """A FixedClock moved by seconds: `timer.now += 30` moves it on 30 s."""

    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))

    @property
    def now(self) -> float:
        return self.clock.now().timestamp()

    @now.setter
    def now(self, value: float) -> None:
        self.clock.set(datetime.fromtimestamp(value, tz=UTC))


def test_the_limit_counts_per_client_and_per_rule() -> None:
    timer = Timer()
    limits = RateLimits({"submit": "2/hour", "check": "1/hour"}, clock=timer.clock)
    limits.hit("submit", "10.0.0.1")
    limits.hit("submit", "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        limits.hit("submit", "10.0.0.1")
    assert refused.value.retry_after == 3600
    limits.hit("submit", "10.0.0.2")  # another client has its own count
    limits.hit("check", "10.0.0.1")  # and another rule its own
    with pytest.raises(TooManyRequests):
        limits.hit("check", "10.0.0.1")


def test_the_window_moves_one_hit_at_a_time() -> None:
    timer = Timer()
    limits = RateLimits({"submit": "2/minute"}, clock=timer.clock)
    limits.hit("submit", "a")
    timer.now += 30
    limits.hit("submit", "a")
    timer.now += 29
    with pytest.raises(TooManyRequests):
        limits.hit("submit", "a")
    timer.now += 2  # the first hit is now over a minute old; the second is not
    limits.hit("submit", "a")
    with pytest.raises(TooManyRequests):
        limits.hit("submit", "a")


def test_refused_attempts_do_not_count() -> None:
    timer = Timer()
    limits = RateLimits({"submit": "1/minute"}, clock=timer.clock)
    limits.hit("submit", "a")
    for _ in range(5):
        timer.now += 10
        with pytest.raises(TooManyRequests):
            limits.hit("submit", "a")
    timer.now += 11  # 61 s after the only counted hit
    limits.hit("submit", "a")


def test_clients_gone_quiet_are_forgotten() -> None:
    timer = Timer()
    limits = RateLimits({"submit": "5/minute"}, clock=timer.clock)
    limits.hit("submit", "quiet")
    timer.now += 61
    for n in range(RateLimits.SWEEP_EVERY):
        limits.hit("submit", f"busy-{n}")
    assert ("submit", "quiet") not in limits._hits
    assert ("submit", "busy-0") in limits._hits
