"""Outbox dispatch to a local SMTP server (aiosmtpd on 127.0.0.1): messages per second.

    .venv/bin/python bench/dispatch.py [--messages 2000] [--database-url URL]

Without --database-url a fresh SQLite file is used; with a PostgreSQL URL a throw-away
schema is created and dropped. Target: >= 200 messages/s.

The ceiling (issue 15): per message, one SMTP send of a message of the same size over one
kept connection with smtplib, plus one commit of a one-row UPDATE of that message's outbox
row on the same engine: what sending and marking each message costs with nothing else
around it. Target: dispatch >= 0.7x that rate.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _ceilings import record  # noqa: E402
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


def ceiling(engine, n: int, port: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds for n x (smtplib send + one-row UPDATE commit), after the dispatch run."""
    import smtplib
    from email.message import EmailMessage

    body = "You have a deadline: Acknowledge the application, due 3 March 2026. " * 12
    mark = text("UPDATE outbox_message SET attempts = attempts + 1 WHERE id = :id")
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM outbox_message ORDER BY id"))]
    smtp = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for i in range(n):
        msg = EmailMessage()
        msg["From"], msg["To"] = "ct@example.org", f"person{i}@example.org"
        msg["Subject"] = "Reminder: CT-2026-000001"
        msg.set_content(body)
        smtp.send_message(msg)
        with engine.begin() as conn:
            conn.execute(mark, {"id": ids[i % len(ids)]})
    elapsed = time.perf_counter() - started
    smtp.quit()
    return elapsed


def run(engine, n: int, port: int, sink) -> tuple[float, float]:  # type: ignore[no-untyped-def]  # type: ignore[no-untyped-def]
    upgrade(engine)
    queue(engine, n)
    channel = SmtpChannel(Settings(smtp_port=port))
    started = time.perf_counter()
    sent = dispatch_once(make_session_factory(engine), channel=channel, clock=FixedClock(NOW))
    elapsed = time.perf_counter() - started
    channel.close()
    assert sent == n == sink.value, (sent, n, sink.value)
    return elapsed, ceiling(engine, n, port)


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
    elapsed, bare = elapsed
    rate, bare_rate = args.messages / elapsed, args.messages / bare
    verdict = "ok" if rate >= 200 else "BELOW TARGET"
    print(
        f"{label}: {args.messages} messages in {elapsed:.2f} s = {rate:.0f} messages/s ({verdict})"
    )
    print(f"{label}: SMTP send + one commit per message: {bare_rate:.0f} messages/s")
    record(
        f"dispatch.py {label}",
        "outbox dispatch",
        rate,
        "msg/s",
        "SMTP send + one commit",
        bare_rate,
        rate / bare_rate,
        ">= 0.7x",
        rate / bare_rate >= 0.7,
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
