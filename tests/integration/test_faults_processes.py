"""The fault suite, processes: real `ctengine` workers and servers killed (kill -9) and
stopped (SIGTERM) mid-work, against a real SMTP server. Bounded: tens of messages."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select, text

from engine.models import OutboxMessage
from notifications.outbox import LEASE
from tests.conftest import on_postgres
from tests.factories import application_body
from tests.integration.test_channels_smtp import free_port
from tests.integration.test_faults import SlowSink
from tests.integration.test_reliability import (
    AS_OF,
    CTENGINE,
    _due_deadlines,
    _env,
    _run_and_kill,
    _statuses,
    _worker,
)

BOUND = 120  # seconds: a bound on any one process, never a speed check


@pytest.fixture
def relay() -> Iterator[tuple[SlowSink, int]]:
    sink = SlowSink(delay=0.2)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def test_workers_killed_nine_times_lose_nothing_and_repeat_only_the_message_in_hand(
    db_engine: Engine, _template: dict[str, str], relay: tuple[SlowSink, int], tmp_path: Path
) -> None:
    import random

    sink, port = relay
    sink.delay = 0.0
    count, kills_wanted = 40, 3
    _due_deadlines(db_engine, count)
    env = _env(db_engine, _template, port, tmp_path)
    rng, as_of, kills = random.Random(11), AS_OF, 0
    for attempt in range(kills_wanted * 2):
        if kills == kills_wanted or len(set(sink.message_ids())) == count:
            break
        kills += _run_and_kill(sink, env, as_of, tmp_path, rng, in_handler=attempt % 2 == 0)
        as_of += LEASE + timedelta(minutes=1)  # the dead worker's lease has run out
    final = _worker(env, as_of, tmp_path / "final.log")
    assert final.wait(timeout=BOUND) == 0

    ids = sink.message_ids()
    assert len(Counter(ids)) == count, "every message arrived"
    assert len(ids) - count <= kills, "at most the one message in hand per kill -9"
    assert _statuses(db_engine) == {"sent": count}


def _leased(engine: Engine) -> int:
    with engine.connect() as conn:
        stmt = select(func.count()).where(OutboxMessage.claimed_by.is_not(None))  # type: ignore[union-attr]
        return int(conn.execute(stmt).scalar_one())


def test_sigterm_drains_the_worker_finishing_the_message_in_hand_and_releasing_the_rest(
    db_engine: Engine, _template: dict[str, str], relay: tuple[SlowSink, int], tmp_path: Path
) -> None:
    sink, port = relay
    count = 12
    _due_deadlines(db_engine, count)
    env = _env(db_engine, _template, port, tmp_path)
    first = threading.Event()
    sink.on_data = lambda received: first.set()
    stamp = AS_OF.replace(tzinfo=None).isoformat()
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(
        [str(CTENGINE), "worker", "--as-of", stamp], env=env, stdout=log, stderr=log
    )
    try:
        assert first.wait(BOUND), (tmp_path / "worker.log").read_text()
        proc.send_signal(signal.SIGTERM)  # while the relay is still answering the first
        code = proc.wait(timeout=BOUND)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    assert code == 0, (tmp_path / "worker.log").read_text()
    statuses = _statuses(db_engine)
    assert 1 <= statuses.get("sent", 0) < count  # the message in hand went; the rest did not
    assert statuses.get("sent", 0) == len(sink.message_ids())  # each one sent is marked sent
    assert _leased(db_engine) == 0, "nothing left leased"
    # The next worker sends the rest straight away (no lease to wait out), none twice.
    assert _worker(env, AS_OF, tmp_path / "next.log").wait(timeout=BOUND) == 0
    assert _statuses(db_engine) == {"sent": count}
    assert sorted(Counter(sink.message_ids()).values()) == [1] * count


def _hold_lock(engine: Engine, held: threading.Event, release: threading.Event) -> None:
    with engine.connect() as conn:
        if on_postgres():
            conn.execute(text("LOCK TABLE reference_counter IN ACCESS EXCLUSIVE MODE"))
        else:
            conn.execute(text("UPDATE reference_counter SET last_number = last_number"))
        held.set()
        release.wait(BOUND)
        conn.rollback()


def _serve(env: dict[str, str], port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(CTENGINE), "serve", "--port", str(port), *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _up(base: str, proc: subprocess.Popen[bytes]) -> None:
    # Up to about a minute: two spawned web processes each import the app (4 s of CPU on
    # its own), which on a 2-core runner busy with the rest of the suite took over 15 s.
    for _ in range(1200):
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)  # waiting for a process to start, not for domain time
    raise AssertionError("the server did not start")


def test_sigterm_lets_the_web_server_finish_the_request_in_flight(
    db_engine: Engine, _template: dict[str, str], tmp_path: Path
) -> None:
    env = _env(db_engine, _template, free_port(), tmp_path)
    env["CTENGINE_DB_LOCK_TIMEOUT_MS"] = "20000"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _serve(env, port, tmp_path / "serve.log")
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(db_engine, held, release))
    answers: list[httpx.Response] = []
    body = application_body(today=AS_OF.date())
    try:
        _up(base, proc)
        holder.start()
        assert held.wait(10)
        sender = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{base}/api/v1/applications", json=body, timeout=BOUND)
            )
        )
        sender.start()
        time.sleep(1.0)  # the request is in the server, waiting for the lock (not domain time)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert proc.poll() is None, "the server stopped with a request in flight"
        release.set()
        sender.join(BOUND)
        code = proc.wait(timeout=BOUND)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
        holder.join(BOUND)
    assert code == 0, (tmp_path / "serve.log").read_text()
    assert [a.status_code for a in answers] == [201]


def test_several_web_processes_need_one_shared_secret_key(
    db_engine: Engine, _template: dict[str, str], tmp_path: Path
) -> None:
    env = _env(db_engine, _template, free_port(), tmp_path)
    port = free_port()
    refused = subprocess.run(
        [str(CTENGINE), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        capture_output=True,
        timeout=BOUND,
    )
    assert refused.returncode == 2
    assert b"CTENGINE_SECRET_KEY" in refused.stderr

    env["CTENGINE_SECRET_KEY"] = "a-long-random-value-shared-by-every-process"
    proc = _serve(env, port, tmp_path / "serve2.log", "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    try:
        _up(base, proc)
        # A form token made by one process is good in the other: every process signs alike.
        with httpx.Client(base_url=base) as browser:
            pages = [browser.get("/apply/who") for _ in range(6)]
        assert all(p.status_code == 200 for p in pages)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=BOUND) == 0
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
