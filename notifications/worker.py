"""The background process: deadline sweep and outbox dispatch on one scheduler."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass, field

from apscheduler.schedulers.base import BaseScheduler

from engine import registry
from engine.clock import Clock, SystemClock
from engine.db import SessionFactory
from engine.models import WorkerHeartbeat
from engine.scheduler import Job, build_scheduler
from engine.settings import Settings
from engine.sweeps import sweep_deadlines
from notifications.channels import Channel, ChannelRouter
from notifications.channels.log import LogChannel
from notifications.channels.smtp import SmtpChannel
from notifications.outbox import Journal, dispatch_once

log = logging.getLogger(__name__)
# The outbox is looked at more often than the deadlines: a receipt should not wait a minute.
DISPATCH_INTERVAL_SECONDS = 5
PURGE_INTERVAL_SECONDS = 300


@dataclass
class Worker:
    session_factory: SessionFactory
    clock: Clock
    channel: Channel
    name: str
    base_url: str = ""
    # Outcomes whose "sent" mark could not be written yet: kept across passes.
    journal: Journal = field(default_factory=Journal)
    # Set on SIGTERM: the message in hand is finished, nothing new is started.
    stopping: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self.stopping.set()

    def sweep(self) -> int:
        if self.stopping.is_set():
            return 0
        return sweep_deadlines(self.session_factory, clock=self.clock)

    def dispatch(self) -> int:
        return dispatch_once(
            self.session_factory,
            channel=self.channel,
            clock=self.clock,
            worker=self.name,
            base_url=self.base_url,
            journal=self.journal,
            stopping=self.stopping.is_set,
        )

    def run_once(self) -> tuple[int, int]:
        """One deadline sweep and one dispatch pass: (deadlines moved on, messages sent)."""
        self.beat()
        return self.sweep(), self.dispatch()

    def beat(self) -> None:
        """Stamp this worker's heartbeat (read by /readyz and /metrics)."""
        now = self.clock.now()
        with self.session_factory() as session:
            row = session.get(WorkerHeartbeat, self.name)
            if row is None:
                row = WorkerHeartbeat(name=self.name, started_at=now, beat_at=now)
            row.beat_at = now
            session.add(row)
            session.commit()

    def tick(self) -> None:
        _logged(self.run_once)

    def sweep_tick(self) -> None:
        _logged(self.sweep)

    def dispatch_tick(self) -> None:
        _logged(self.beat)
        _logged(self.dispatch)

    def purge_tick(self) -> None:
        _logged(self.purge)

    def release_equalities(self) -> object:
        """Held equalities answers released in a batch, or rewritten (services.equalities)."""
        return _release_equalities(self)

    def apply_retention(self) -> object:
        """The areas' retention schedules applied (services.retention)."""
        return _apply_retention(self)

    def purge(self) -> None:
        """Delete public-form answers, staff sessions and kept staff drafts past their expiry,
        remembered answers to idempotent requests older than a day, and wrong sign-in attempts
        nobody has repeated for a day."""
        # Imported here, as in _notify: the worker starts within its one-second budget only
        # if it loads what the first tick needs and nothing more.
        from engine.services import staff_drafts
        from engine.services.auth import purge_sessions, purge_throttle
        from workflows.community_trigger.services import idempotency
        from workflows.community_trigger.services.form_sessions import purge_expired

        with self.session_factory() as session:
            purge_expired(session, clock=self.clock)
            purge_sessions(session, clock=self.clock)
            idempotency.purge(session, clock=self.clock)
            purge_throttle(session, clock=self.clock)
            staff_drafts.purge_expired(session, clock=self.clock)


def _release_equalities(worker: Worker) -> object:
    from engine.services.equalities import release_due

    with worker.session_factory() as session:
        return release_due(session, clock=worker.clock)


def _apply_retention(worker: Worker) -> object:
    from engine.services.retention import apply_schedule

    with worker.session_factory() as session:
        return apply_schedule(session, clock=worker.clock)


def _logged(job: object) -> None:
    try:
        job()  # type: ignore[operator]
    except Exception:  # a failed tick is logged and tried again on the next one
        log.exception("worker job failed")


def build_worker(
    settings: Settings,
    session_factory: SessionFactory,
    *,
    clock: Clock | None = None,
    channel: Channel | None = None,
) -> Worker:
    """The one place the real or fake parts are chosen; reads nothing from the database."""
    return Worker(
        session_factory=session_factory,
        clock=clock or SystemClock(),
        channel=channel or build_channel(settings),
        name=f"{socket.gethostname()}:{os.getpid()}",
        base_url=settings.base_url,
    )


def build_channel(settings: Settings) -> Channel:
    """E-mail by CTENGINE_EMAIL_CHANNEL; texts and letters by Notify when it has a key,
    otherwise written to the outbox folder (letters there are ready to print and post)."""
    log_channel = LogChannel(settings.outbox_dir)
    other: Channel = _notify(settings) or log_channel
    emails: dict[str, Channel] = {
        "log": log_channel,
        "smtp": SmtpChannel(settings),
        "notify": other,
    }
    return ChannelRouter({"email": emails[settings.email_channel], "sms": other, "letter": other})


def _notify(settings: Settings) -> Channel | None:
    if settings.notify_api_key is None:
        if settings.email_channel == "notify":
            log.warning("CTENGINE_EMAIL_CHANNEL=notify but no Notify API key is set: logging")
        return None
    # The Notify client (and requests under it) is loaded only when a key says it is used.
    from notifications_python_client.notifications import NotificationsAPIClient

    from notifications.channels.notify import NotifyChannel

    client = NotificationsAPIClient(
        settings.notify_api_key.get_secret_value(), base_url=settings.notify_base_url
    )
    return NotifyChannel(client, _area_templates)


def _area_templates(area_id: str, kind: str, message: str) -> str:
    if not area_id:
        area_id = registry.area_ids()[0]
    templates = registry.area(area_id).reminders.notify_templates
    return templates.get(f"{message}.{kind}") or templates.get(kind, "")


def drain_on_sigterm(worker: Worker, scheduler: BaseScheduler | None = None) -> None:
    """On SIGTERM (and Ctrl-C): finish the message in hand, hand back the rest of the batch,
    let running jobs end, then return from the scheduler so the process exits 0."""

    def handler(signum: int, _frame: object) -> None:
        log.info("signal %s: finishing the message in hand, then stopping", signum)
        worker.stop()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def schedule(worker: Worker, settings: Settings, *, blocking: bool) -> BaseScheduler:
    return build_scheduler(
        [
            Job("deadline_sweep", worker.sweep_tick, settings.sweep_interval_seconds),
            Job("outbox_dispatch", worker.dispatch_tick, DISPATCH_INTERVAL_SECONDS),
            Job("form_session_purge", worker.purge_tick, PURGE_INTERVAL_SECONDS),
            *privacy_jobs(worker, settings),
        ],
        blocking=blocking,
    )


# The retention schedule works in days and years: an hourly look is plenty.
RETENTION_INTERVAL_SECONDS = 3600


def privacy_jobs(worker: Worker, settings: Settings) -> list[Job]:
    """Equalities answers released (or rewritten) every sweep; the retention schedule hourly."""
    return [
        Job(
            "equalities_release",
            lambda: _logged(worker.release_equalities),
            settings.sweep_interval_seconds,
        ),
        Job("retention", lambda: _logged(worker.apply_retention), RETENTION_INTERVAL_SECONDS),
    ]
