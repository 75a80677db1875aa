"""The fault suite, database: a stalled lock answers 503 with Retry-After within the lock
timeout, on the same keep-alive connection, while /healthz keeps answering; /readyz says
whether the database, the migrations and the worker are there."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from engine.clock import FixedClock
from engine.db import Timeouts, make_engine
from engine.settings import Settings
from notifications.worker import build_worker
from tests.conftest import on_postgres, serve
from tests.factories import application_body
from tests.integration.test_outbox import RecordingChannel

LOCK_MS = 600


# Long enough that every request thread is still waiting when /healthz is asked.
LONG_LOCK_MS = 2500


def _server(
    db_engine: Engine, template: dict[str, str], clock: FixedClock, tmp: Path, lock_ms: int
) -> Iterator[str]:
    """The test database served again, with the request timeouts a deployment would set."""
    from web.app import create_app

    url = db_engine.url.render_as_string(hide_password=False)
    engine = make_engine(
        url,
        schema=template.get("schema"),
        timeouts=Timeouts(statement_ms=lock_ms * 5, lock_ms=lock_ms, connect_s=2),
    )
    # The 44 waiting submissions come from one address: above the per-client limit the
    # security slice set (its own tests cover it), they would be answered 429 and wait on nothing.
    settings = Settings(
        database_url="sqlite://", outbox_dir=str(tmp / "outbox"), submit_rate_limit="100/hour"
    )
    yield from serve(create_app(settings, clock=clock, engine=engine))
    engine.dispose()


@pytest.fixture
def timed_server(
    db_engine: Engine, _template: dict[str, str], clock: FixedClock, tmp_path: Path
) -> Iterator[str]:
    yield from _server(db_engine, _template, clock, tmp_path, LOCK_MS)


@pytest.fixture
def slow_lock_server(
    db_engine: Engine, _template: dict[str, str], clock: FixedClock, tmp_path: Path
) -> Iterator[str]:
    yield from _server(db_engine, _template, clock, tmp_path, LONG_LOCK_MS)


def _stall(db_engine: Engine, release: threading.Event, held: threading.Event) -> None:
    """Hold the lock every submission needs (the reference counter's table) until told."""
    with db_engine.connect() as conn:
        if on_postgres():
            conn.execute(text("LOCK TABLE reference_counter IN ACCESS EXCLUSIVE MODE"))
        else:  # SQLite's one write lock, taken by another connection (another process would)
            conn.execute(text("UPDATE reference_counter SET last_number = last_number"))
        held.set()
        release.wait(30)
        conn.rollback()


@pytest.fixture
def stalled(db_engine: Engine) -> Iterator[None]:
    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=_stall, args=(db_engine, release, held))
    holder.start()
    assert held.wait(10)
    yield
    release.set()
    holder.join(30)


def _post(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, dict[str, str], bytes]:
    conn.request("POST", "/api/v1/applications", body, {"content-type": "application/json"})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def test_a_stalled_lock_answers_503_within_the_lock_timeout_keeping_the_connection(
    timed_server: str, clock: FixedClock, stalled: None
) -> None:
    import json

    host, port = timed_server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=20)
    body = json.dumps(application_body(today=clock.today())).encode()
    started = time.monotonic()  # a bound on the wait, measured: not domain time
    try:
        _check_503_on_one_connection(conn, body, started)
    finally:
        conn.close()


def _check_503_on_one_connection(
    conn: http.client.HTTPConnection, body: bytes, started: float
) -> None:
    status, headers, answer = _post(conn, body)
    waited = time.monotonic() - started
    assert status == 503, answer
    assert headers["retry-after"] == "5"
    assert headers["content-type"] == "application/problem+json"
    assert waited < LOCK_MS / 1000 + 2.5
    local = conn.sock.getsockname() if conn.sock else None
    assert local is not None, "the server closed the connection"
    conn.request("GET", "/healthz")
    assert conn.getresponse().read() == b'{"status": "ok"}'
    assert conn.sock is not None and conn.sock.getsockname() == local  # the same connection


def test_healthz_answers_while_every_request_thread_waits_on_the_database(
    slow_lock_server: str, clock: FixedClock, stalled: None
) -> None:
    timed_server = slow_lock_server
    import json

    import httpx

    body = application_body(today=clock.today())
    # More waiting requests than the server has request threads (40). The clients are
    # built first: building them is what takes this process's time, not the server's.
    limits = httpx.Limits(max_connections=64)
    with (
        httpx.Client(base_url=timed_server, limits=limits, timeout=60) as posts,
        httpx.Client(base_url=timed_server, timeout=10) as probe,
        ThreadPoolExecutor(max_workers=44) as pool,
    ):
        probe.get("/healthz")
        waiting = [pool.submit(posts.post, "/api/v1/applications", json=body) for _ in range(44)]
        time.sleep(0.5)  # let them reach the server and take its threads (not domain time)
        started = time.monotonic()
        health = probe.get("/healthz")
        answered_in = time.monotonic() - started
        statuses = {f.result().status_code for f in waiting}
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    # Well before the first waiting request gives up (LONG_LOCK_MS): no thread was needed.
    assert answered_in < LONG_LOCK_MS / 1000 / 2
    assert statuses <= {201, 503}
    assert json.dumps(health.json())


def test_readyz_needs_the_database_the_migrations_and_a_recent_worker_heartbeat(
    client: Any, session_factory: Any, clock: FixedClock
) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "worker": "no worker has started",
    }
    worker = build_worker(Settings(), session_factory, clock=clock, channel=RecordingChannel())
    worker.run_once()
    assert client.get("/readyz").json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }
    clock.advance(minutes=3)  # the worker stopped
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.headers["retry-after"] == "5"
    assert stale.json()["checks"]["worker"].startswith("last heartbeat at")


def test_request_engines_carry_the_statement_and_lock_timeouts(
    db_engine: Engine, _template: dict[str, str]
) -> None:
    url = db_engine.url.render_as_string(hide_password=False)
    timeouts = Timeouts(statement_ms=15000, lock_ms=5000, connect_s=5)
    engine = make_engine(url, schema=_template.get("schema"), timeouts=timeouts)
    try:
        with engine.connect() as conn:
            if on_postgres():
                assert conn.execute(text("SHOW statement_timeout")).scalar() == "15s"
                assert conn.execute(text("SHOW lock_timeout")).scalar() == "5s"
            else:
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert engine.dialect.name == "sqlite" or engine.pool.timeout() == 5
        assert engine.hide_parameters
    finally:
        engine.dispose()
