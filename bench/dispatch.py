"""Outbox dispatch to a local SMTP server (aiosmtpd on 127.0.0.1): messages per second.

    .venv/bin/python bench/dispatch.py [--messages 2000] [--database-url URL]

Without --database-url a fresh SQLite file is used; with a PostgreSQL URL a throw-away
schema is created and dropped. Target: >= 200 messages/s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from engine.clock import FixedClock  # noqa: E402
from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.models import OutboxMessage  # noqa: E402
from engine.settings import Settings  # noqa: E402
from notifications.channels.smtp import SmtpChannel  # noqa: E402
from notifications.outbox import dispatch_once  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Counting:
    """Counts what arrives, in a process of its own like a real relay (no shared GIL)."""

    def __init__(self, count) -> None:  # type: ignore[no-untyped-def]
        self.count = count

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def serve(port: int, count, stop) -> None:  # type: ignore[no-untyped-def]
    controller = Controller(Counting(count), hostname="127.0.0.1", port=port)
    controller.start()
    stop.wait(600)
    controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def queue(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    context = {
        "reference": "CT-2026-000001",
        "locality": "leicester",
        "deadline": "acknowledgement",
        "label": "Acknowledge the application",
        "due_date": "2026-03-03",
        "step": "remind_2",
        "step_date": "2026-02-26",
    }
    rows = [
        {
            "message": "deadline_reminder",
            "recipient": f"person{i}@example.org",
            "recipient_role": "contact",
            "channel": "email",
            "context": context,
            "idempotency_key": f"bench:{i}",
            "status": "pending",
            "attempts": 0,
            "created_at": NOW,
            "next_attempt_at": NOW,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(insert(OutboxMessage), rows)


def run(engine, n: int, port: int, sink) -> float:  # type: ignore[no-untyped-def]  # type: ignore[no-untyped-def]
    upgrade(engine)
    queue(engine, n)
    channel = SmtpChannel(Settings(smtp_port=port))
    started = time.perf_counter()
    sent = dispatch_once(make_session_factory(engine), channel=channel, clock=FixedClock(NOW))
    elapsed = time.perf_counter() - started
    channel.close()
    assert sent == n == sink.value, (sent, n, sink.value)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    port, sink, stop = free_port(), multiprocessing.Value("i", 0), multiprocessing.Event()
    relay = multiprocessing.Process(target=serve, args=(port, sink, stop))
    relay.start()
    wait_for(port)
    try:
        if args.database_url.startswith("postgresql"):
            elapsed, label = (
                run_postgres(args.database_url, args.messages, port, sink),
                "PostgreSQL",
            )
        else:
            with tempfile.TemporaryDirectory() as folder:
                engine = make_engine(f"sqlite:///{folder}/bench.db")
                elapsed, label = run(engine, args.messages, port, sink), "SQLite"
                engine.dispose()
    finally:
        stop.set()
        relay.join(30)
    rate = args.messages / elapsed
    verdict = "ok" if rate >= 200 else "BELOW TARGET"
    print(
        f"{label}: {args.messages} messages in {elapsed:.2f} s = {rate:.0f} messages/s ({verdict})"
    )


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the SMTP server did not start")


def run_postgres(url: str, n: int, port: int, sink) -> float:  # type: ignore[no-untyped-def]
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, schema=schema)
    try:
        return run(engine, n, port, sink)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
