"""Deadline sweep cost against the number of open deadlines, and worker start-up time.

    .venv/bin/python bench/sweep.py [--sizes 10000,100000,1000000] [--database-url URL]

For each size, that many open deadlines are waiting in the future and 1,000 more are due
today. One sweep batch claims the 1,000 and queues their reminders (one outbox row each);
it is timed REPEATS times, the 1,000 being put back between runs. Targets: median <= 20 ms
on SQLite and <= 40 ms on PostgreSQL, flat as the future deadlines grow; worker start-up
<= 1 s whatever the number of deadlines.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from engine.clock import FixedClock  # noqa: E402
from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.models import Case  # noqa: E402
from engine.services.org import sync_areas  # noqa: E402
from engine.services.staff import add_user  # noqa: E402
from engine.sweeps import sweep_batch  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
DUE, CASES, REPEATS = 1000, 1000, 9

DEADLINE_COLUMNS = (
    "case_id, name, kind, owner_role, start_on, amount, unit, due_on, status, opened_at,"
    " opened_by, reminder_step, next_action_on"
)
# Future deadlines fall due over the next 300 days; the due ones were reminded 2 days ago.
SQLITE_FILL = f"""
INSERT INTO deadline ({DEADLINE_COLUMNS})
WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < :n)
SELECT 1 + x % {CASES}, 'acknowledgement', 'duty', 'contact', '2026-03-01', 1, 'working_days',
       date('2026-03-10', '+' || (x % 300) || ' days'), 'open', :now, 'submit', NULL,
       date('2026-03-05', '+' || (x % 300) || ' days')
FROM seq
"""
PG_FILL = f"""
INSERT INTO deadline ({DEADLINE_COLUMNS})
SELECT 1 + x % {CASES}, 'acknowledgement', 'duty', 'contact', DATE '2026-03-01', 1,
       'working_days', DATE '2026-03-10' + (x % 300), 'open', :now, 'submit', NULL,
       DATE '2026-03-05' + (x % 300)
FROM generate_series(1, :n) AS x
"""


def fill(engine: Engine, future: int) -> list[int]:
    """The organisation, one contact, CASES cases, `future` waiting deadlines, DUE due ones."""
    upgrade(engine)
    sessions = make_session_factory(engine)
    clock = FixedClock(NOW)
    with sessions() as s:
        sync_areas(s)
        add_user(
            s, clock=clock, email="c@example.org", name="C", role="contact", locality="leicester"
        )
    with engine.begin() as conn:
        conn.execute(insert(Case), [_case(i) for i in range(CASES)])
        fill_sql = PG_FILL if engine.dialect.name == "postgresql" else SQLITE_FILL
        conn.execute(text(fill_sql), {"n": future, "now": NOW})
        first_due = conn.execute(text("SELECT max(id) FROM deadline")).scalar_one() + 1
        conn.execute(text(fill_sql), {"n": DUE, "now": NOW})
        conn.execute(
            text(
                "UPDATE deadline SET due_on = :today, next_action_on = :today, "
                "reminder_step = 'remind_2' WHERE id >= :first"
            ),
            {"today": TODAY, "first": first_due},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return list(range(first_due, first_due + DUE))


def _case(i: int) -> dict[str, object]:
    return {
        "reference": f"CT-2026-{i + 1:06d}",
        "area_id": "llr",
        "locality_id": "leicester",
        "workflow_name": "community_trigger",
        "workflow_version": 1,
        "state": "submitted",
        "version": 1,
        "channel": "online",
        "submitted_at": NOW,
        "updated_at": NOW,
        "application_on": TODAY,
        "hate_incident": False,
        "consent_to_share": True,
        "declaration": True,
        "contact_preference": "email",
        "status_token_hash": f"{i:064d}",
        "threshold_assessment": {},
    }


def time_sweeps(engine: Engine, due_ids: list[int]) -> list[float]:
    """Milliseconds for one sweep batch, REPEATS times, restoring the due rows in between."""
    clock, timings = FixedClock(NOW), []
    for _ in range(REPEATS):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox_message"))
            conn.execute(
                text(
                    "UPDATE deadline SET next_action_on = :today, reminder_step = 'remind_2' "
                    "WHERE id >= :first"
                ),
                {"today": TODAY, "first": due_ids[0]},
            )
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            read, queued = sweep_batch(session, clock=clock, limit=DUE)
            timings.append((time.perf_counter() - started) * 1000)
        assert (read, queued) == (DUE, DUE), (read, queued)
    return timings


STARTUP = """
import time, sys
t0 = time.perf_counter()
from engine.settings import Settings
from engine.db import make_engine, make_session_factory
from notifications.worker import build_worker, schedule
settings = Settings()
worker = build_worker(settings, make_session_factory(make_engine(settings.database_url,
                      schema=settings.database_schema)))
scheduler = schedule(worker, settings, blocking=False)
scheduler.start(paused=True)
scheduler.shutdown(wait=False)
print(f"{(time.perf_counter() - t0):.3f}")
"""


def startup_seconds(url: str, schema: str | None) -> tuple[float, float]:
    """(wall time of a fresh worker process up to a running scheduler, of which imports)."""
    env = {"CTENGINE_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    if schema:
        env["CTENGINE_DATABASE_SCHEMA"] = schema
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", STARTUP],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, float(out.stdout.strip())


def report(label: str, size: int, timings: list[float], startup: tuple[float, float]) -> None:
    median = statistics.median(timings)
    print(
        f"{label:10} {size:>9,} future + {DUE} due: sweep median {median:6.1f} ms "
        f"(min {min(timings):5.1f}, max {max(timings):5.1f}); "
        f"worker start-up {startup[0]:.2f} s (in-process {startup[1]:.2f} s)",
        flush=True,
    )


def bench_sqlite(size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        engine = make_engine(url)
        due = fill(engine, size)
        timings = time_sweeps(engine, due)
        engine.dispose()
        report("SQLite", size, timings, startup_seconds(url, None))


def bench_postgres(url: str, size: int) -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, schema=schema)
    try:
        due = fill(engine, size)
        report("PostgreSQL", size, time_sweeps(engine, due), startup_seconds(url, schema))
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        if args.database_url.startswith("postgresql"):
            bench_postgres(args.database_url, size)
        else:
            bench_sqlite(size)


if __name__ == "__main__":
    main()
