"""APScheduler 3.x wiring only: periodic jobs, never one job per deadline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], object]
    every_seconds: int


def build_scheduler(jobs: list[Job], *, blocking: bool) -> BaseScheduler:
    """One interval job per sweep; the deadlines themselves live in the database."""
    scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler()
    for job in jobs:
        # coalesce + max_instances=1: after downtime a job runs once, not once per missed
        # tick, and never overlaps itself; misfire_grace_time=None runs it however late.
        scheduler.add_job(
            job.run,
            "interval",
            seconds=job.every_seconds,
            id=job.name,
            name=job.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            replace_existing=True,
        )
    return scheduler
