"""Real worker processes against a real SMTP server: exactly once, and crash-safe.

The at-least-once window (notifications/outbox.py): a worker killed after the SMTP server
accepted a message but before its "sent" commit leaves the row pending, and a later worker
sends it again once the lease has run out. So each crash may duplicate at most the one
message that worker had in flight; nothing is ever lost.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session

from engine.clock import FixedClock
from engine.models import Case, Deadline, DeadlineSchedule, OutboxMessage
from notifications.outbox import LEASE
from tests.conftest import on_postgres
from tests.factories import case_row, make_staff
from tests.integration.test_channels_smtp import SmtpSink, free_port

CTENGINE = Path(sys.executable).with_name("ctengine")
AS_OF = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday
# A bound, not a speed check: alone the 10,000-message run takes about two minutes on
# PostgreSQL, and a busy machine (the other test worker, a benchmark) can double that.
RUN_TIMEOUT = 360


@pytest.fixture
def sink() -> Iterator[tuple[SmtpSink, int]]:
    handler = SmtpSink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _env(engine: Engine, template: dict[str, str], port: int, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTENGINE_")}
    env.pop("DATABASE_URL", None)
    env.update(
        CTENGINE_DATABASE_URL=engine.url.render_as_string(hide_password=False),
        CTENGINE_EMAIL_CHANNEL="smtp",
        CTENGINE_SMTP_HOST="127.0.0.1",
        CTENGINE_SMTP_PORT=str(port),
        CTENGINE_OUTBOX_DIR=str(tmp / "outbox"),
    )
    if "schema" in template:
        env["CTENGINE_DATABASE_SCHEMA"] = template["schema"]
    return env


def _due_deadlines(engine: Engine, count: int) -> None:
    """`count` open cases whose acknowledgement falls due today: one reminder each is due."""
    clock = FixedClock(AS_OF)
    with Session(engine) as s:
        make_staff(s, clock)
    now, today = AS_OF, AS_OF.date()
    cases = [case_row(i, now, today) for i in range(count)]
    with engine.begin() as conn:
        conn.execute(insert(Case), cases)
        ids = conn.execute(select(Case.id).order_by(Case.id)).scalars().all()
        conn.execute(insert(Deadline), [_deadline_row(cid, now, today) for cid in ids])
        deadline_ids = conn.execute(select(Deadline.id).order_by(Deadline.id)).scalars().all()
        conn.execute(
            insert(DeadlineSchedule),
            [
                # already reminded: the reminder on the day is due
                {"deadline_id": did, "reminder_step": "remind_2", "next_action_on": today}
                for did in deadline_ids
            ],
        )


def _deadline_row(case_id: int, now: datetime, today: date) -> dict[str, object]:
    return {
        "case_id": case_id,
        "name": "acknowledgement",
        "kind": "duty",
        "owner_role": "contact",
        "start_on": today - timedelta(days=1),
        "amount": 1,
        "unit": "working_days",
        "due_on": today,
        "status": "open",
        "opened_at": now,
        "opened_by": "submit",
    }


def _worker(env: dict[str, str], as_of: datetime, log: Path) -> subprocess.Popen[bytes]:
    stamp = as_of.astimezone(UTC).replace(tzinfo=None).isoformat()
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(CTENGINE), "worker", "--once", "--as-of", stamp],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    return {str(status): int(n) for status, n in rows}


@pytest.mark.slow
def test_three_workers_deliver_every_due_reminder_exactly_once(
    db_engine: Engine,
    _template: dict[str, str],
    sink: tuple[SmtpSink, int],
    tmp_path: Path,
) -> None:
    handler, port = sink
    count = 10_000 if on_postgres() else 2_000  # SQLite has one writer: a smaller run
    _due_deadlines(db_engine, count)
    env = _env(db_engine, _template, port, tmp_path)

    workers = [_worker(env, AS_OF, tmp_path / f"w{i}.log") for i in range(3)]
    codes = [w.wait(timeout=RUN_TIMEOUT) for w in workers]

    assert codes == [0, 0, 0], (tmp_path / "w0.log").read_text()
    ids = handler.message_ids()
    assert len(ids) == count
    assert len(set(ids)) == count
    assert all(rcpts == ["contact@example.org"] for rcpts, _ in handler.raw)
    assert _statuses(db_engine) == {"sent": count}


@pytest.mark.slow
def test_workers_killed_mid_batch_twenty_times_lose_nothing(
    db_engine: Engine,
    _template: dict[str, str],
    sink: tuple[SmtpSink, int],
    tmp_path: Path,
) -> None:
    handler, port = sink
    count, kills_wanted = 400, 20
    _due_deadlines(db_engine, count)
    env = _env(db_engine, _template, port, tmp_path)
    rng = random.Random(20)
    as_of, kills = AS_OF, 0
    for attempt in range(kills_wanted * 2):
        if kills == kills_wanted or len(set(handler.message_ids())) == count:
            break
        kills += _run_and_kill(handler, env, as_of, tmp_path, rng, in_handler=attempt % 2 == 0)
        as_of += LEASE + timedelta(minutes=1)  # the dead worker's leases have run out
    final = _worker(env, as_of, tmp_path / "final.log")
    assert final.wait(timeout=RUN_TIMEOUT) == 0

    ids = handler.message_ids()
    copies = Counter(ids)
    assert kills == kills_wanted
    assert len(copies) == count, "every message arrived"
    # A message killed in flight twice running is sent three times: still one per crash.
    assert len(ids) - count <= kills, "at most one duplicate per crash (the message in flight)"
    assert _statuses(db_engine) == {"sent": count}


def _run_and_kill(
    handler: SmtpSink,
    env: dict[str, str],
    as_of: datetime,
    tmp: Path,
    rng: random.Random,
    *,
    in_handler: bool,
) -> int:
    """Start a worker and kill -9 it after a few more messages arrive; 1 if it was killed."""
    target = len(handler.message_ids()) + rng.randint(1, 12)
    reached = threading.Event()
    proc = _worker(env, as_of, tmp / "crash.log")

    def on_data(received: int) -> None:
        if received >= target and not reached.is_set():
            if in_handler:  # before the server answers 250: the worker never hears "sent"
                os.kill(proc.pid, signal.SIGKILL)
            reached.set()

    handler.on_data = on_data
    try:
        done_first = not reached.wait(timeout=RUN_TIMEOUT) or proc.poll() is not None
        if not in_handler and not done_first:
            os.kill(proc.pid, signal.SIGKILL)  # anywhere: sending, committing, claiming
        proc.wait(timeout=RUN_TIMEOUT)
    finally:
        handler.on_data = None
    return int(proc.returncode == -signal.SIGKILL)
