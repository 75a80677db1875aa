"""The background process: deadline sweep and outbox dispatch on one scheduler."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler

from engine.clock import Clock, SystemClock
from engine.db import SessionFactory
from engine.scheduler import build_scheduler
from engine.settings import Settings
from engine.sweeps import sweep_deadlines
from notifications.channels import Channel
from notifications.channels.log import LogChannel
from notifications.outbox import dispatch_once

log = logging.getLogger(__name__)


@dataclass
class Worker:
    session_factory: SessionFactory
    clock: Clock
    channel: Channel
    name: str

    def run_once(self) -> tuple[int, int]:
        """One deadline sweep and one dispatch pass: (deadlines moved on, messages sent)."""
        swept = sweep_deadlines(self.session_factory, clock=self.clock)
        sent = dispatch_once(
            self.session_factory, channel=self.channel, clock=self.clock, worker=self.name
        )
        return swept, sent

    def tick(self) -> None:
        try:
            self.run_once()
        except Exception:  # a failed tick is logged and retried on the next one
            log.exception("worker tick failed")


def build_worker(
    settings: Settings,
    session_factory: SessionFactory,
    *,
    clock: Clock | None = None,
    channel: Channel | None = None,
) -> Worker:
    return Worker(
        session_factory=session_factory,
        clock=clock or SystemClock(),
        channel=channel or LogChannel(settings.outbox_dir),
        name=f"{socket.gethostname()}:{os.getpid()}",
    )


def schedule(worker: Worker, settings: Settings, *, blocking: bool) -> BaseScheduler:
    return build_scheduler(
        {"worker_tick": worker.tick},
        interval_seconds=settings.sweep_interval_seconds,
        blocking=blocking,
    )
