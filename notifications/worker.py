"""The background process: deadline sweep and outbox dispatch on one scheduler."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler

from engine import registry
from engine.clock import Clock, SystemClock
from engine.db import SessionFactory
from engine.scheduler import Job, build_scheduler
from engine.settings import Settings
from engine.sweeps import sweep_deadlines
from notifications.channels import Channel, ChannelRouter
from notifications.channels.log import LogChannel
from notifications.channels.smtp import SmtpChannel
from notifications.outbox import dispatch_once

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

    def sweep(self) -> int:
        return sweep_deadlines(self.session_factory, clock=self.clock)

    def dispatch(self) -> int:
        return dispatch_once(
            self.session_factory,
            channel=self.channel,
            clock=self.clock,
            worker=self.name,
            base_url=self.base_url,
        )

    def run_once(self) -> tuple[int, int]:
        """One deadline sweep and one dispatch pass: (deadlines moved on, messages sent)."""
        return self.sweep(), self.dispatch()

    def tick(self) -> None:
        _logged(self.run_once)

    def sweep_tick(self) -> None:
        _logged(self.sweep)

    def dispatch_tick(self) -> None:
        _logged(self.dispatch)

    def purge_tick(self) -> None:
        _logged(self.purge)

    def purge(self) -> None:
        """Delete public-form answers, staff sessions and kept staff drafts past their expiry."""
        # Imported here, as in _notify: the worker starts within its one-second budget only
        # if it loads what the first tick needs and nothing more.
        from engine.services import staff_drafts
        from engine.services.auth import purge_sessions
        from engine.services.form_sessions import purge_expired

        with self.session_factory() as session:
            purge_expired(session, clock=self.clock)
            purge_sessions(session, clock=self.clock)
            staff_drafts.purge_expired(session, clock=self.clock)


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


def schedule(worker: Worker, settings: Settings, *, blocking: bool) -> BaseScheduler:
    return build_scheduler(
        [
            Job("deadline_sweep", worker.sweep_tick, settings.sweep_interval_seconds),
            Job("outbox_dispatch", worker.dispatch_tick, DISPATCH_INTERVAL_SECONDS),
            Job("form_session_purge", worker.purge_tick, PURGE_INTERVAL_SECONDS),
        ],
        blocking=blocking,
    )
