"""APScheduler 3.x wiring only: periodic jobs, never one job per deadline."""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler


def build_scheduler(
    jobs: dict[str, Callable[[], object]], *, interval_seconds: int, blocking: bool
) -> BaseScheduler:
    scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler()
    for name, job in jobs.items():
        # coalesce + max_instances=1: after downtime a sweep runs once, not once per missed tick.
        scheduler.add_job(
            job,
            "interval",
            seconds=interval_seconds,
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
    return scheduler
