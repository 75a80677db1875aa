"""Deadline sweep cost against the number of open deadlines, and worker start-up time.

Acceptance (issue 6): "with 1,000,000 open deadlines of which 1,000 are due, one sweep claims
and queues the 1,000 in <= 20 ms median on SQLite and <= 40 ms on PostgreSQL, and the time
does not grow with the number of future deadlines (show 10k, 100k, 1M)"; worker start-up
<= 1 s whatever the number of open deadlines.

For each size, that many open deadlines wait in the future (falling due over the next 300
days) and 1,000 more, on 1,000 cases of one Leicester contact, are due today. Each round:

  reset   the 1,000 are put back (due today, last step `remind_2`), the outbox emptied
  sweep   a new session, `engine.sweeps.sweep_batch(limit=1000)`: claims the 1,000, queues
          their `remind_0` reminder (one outbox row each), moves them on, commits
  bare    a new session, `UPDATE case_record SET updated_at = <a new value> WHERE id = ...`,
          commit: the price of any commit on this machine, for comparison

sweep and bare alternate which goes first, so drift in the machine's load hits both alike.
Both use `engine.db.make_engine` (SQLite: WAL, synchronous=FULL, BEGIN IMMEDIATE). The first
round is a warm-up and is not counted. It prints median and p95 beside the ceilings and the
load average, and asserts nothing about them.

    .venv/bin/python bench/sweep.py [--sizes 10000,100000,1000000] [--db sqlite|postgres|both]
    .venv/bin/python bench/sweep.py --reuse   # keep the loaded databases for the next run
    .venv/bin/python bench/sweep.py --drop    # remove the kept databases

Without --reuse every size is loaded into a fresh database that is removed afterwards (1M
rows take about a minute per database to load). With --reuse they are kept: SQLite files
under the temporary folder's `ctengine-bench-sweep/`, PostgreSQL schemas `bench_sweep_<size>`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _ceilings import record  # noqa: E402
from _common import (  # noqa: E402
    PG_URL,
    Database,
    chosen,
    durability,
    load_line,
    machine_line,
    server_version,
    stats_ms,
)
from sqlalchemy import Engine, insert, text, update  # noqa: E402
from sqlmodel import Session  # noqa: E402

from engine.clock import FixedClock  # noqa: E402
from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.models import Case  # noqa: E402
from engine.services.org import sync_areas  # noqa: E402
from engine.services.staff import add_user  # noqa: E402
from engine.sweeps import sweep_batch  # noqa: E402
from workflows.community_trigger.models import CommunityTriggerCase  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
DUE, CASES = 1000, 1000
CEILING_MS = {"sqlite": 20.0, "postgres": 40.0}
STARTUP_CEILING_S = 1.0
KEPT_SQLITE = Path(tempfile.gettempdir()) / "ctengine-bench-sweep"

DEADLINE_COLUMNS = (
    "case_id, name, kind, owner_role, start_on, amount, unit, due_on, status, opened_at, opened_by"
)
# Future deadlines fall due over the next 300 days; the due ones were reminded 2 days ago.
SQLITE_FILL = f"""
INSERT INTO deadline ({DEADLINE_COLUMNS})
WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < :n)
SELECT 1 + x % {CASES}, 'acknowledgement', 'duty', 'contact', '2026-03-01', 1, 'working_days',
       date('2026-03-10', '+' || (x % 300) || ' days'), 'open', :now, 'submit'
FROM seq
"""
PG_FILL = f"""
INSERT INTO deadline ({DEADLINE_COLUMNS})
SELECT 1 + x % {CASES}, 'acknowledgement', 'duty', 'contact', DATE '2026-03-01', 1,
       'working_days', DATE '2026-03-10' + (x % 300), 'open', :now, 'submit'
FROM generate_series(1, :n) AS x
"""
# Each waiting deadline's first reminder is due five days before the deadline.
SQLITE_SCHEDULE = """
INSERT INTO deadline_schedule (deadline_id, next_action_on, reminder_step)
SELECT id, date(due_on, '-5 days'), NULL FROM deadline
"""
PG_SCHEDULE = """
INSERT INTO deadline_schedule (deadline_id, next_action_on, reminder_step)
SELECT id, due_on - 5, NULL FROM deadline
"""


def fill(engine: Engine, future: int) -> int:
    """The organisation, one contact, CASES cases, `future` waiting deadlines, DUE due ones.

    Returns the id of the first due deadline (the due ones are the last DUE ids)."""
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
        conn.execute(insert(CommunityTriggerCase), [_detail(i) for i in range(CASES)])
        fill_sql = PG_FILL if engine.dialect.name == "postgresql" else SQLITE_FILL
        conn.execute(text(fill_sql), {"n": future, "now": NOW})
        first_due = conn.execute(text("SELECT max(id) FROM deadline")).scalar_one() + 1
        conn.execute(text(fill_sql), {"n": DUE, "now": NOW})
        conn.execute(
            text("UPDATE deadline SET due_on = :today WHERE id >= :first"),
            {"today": TODAY, "first": first_due},
        )
        postgres = engine.dialect.name == "postgresql"
        conn.execute(text(PG_SCHEDULE if postgres else SQLITE_SCHEDULE))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return int(first_due)


def loaded(engine: Engine, future: int) -> int | None:
    """The first due deadline's id when a kept database holds exactly this load, else None."""
    with engine.connect() as conn:
        try:
            count, last = conn.execute(text("SELECT count(*), max(id) FROM deadline")).one()
        except Exception:  # not migrated yet  # noqa: BLE001
            return None
    if count != future + DUE:
        return None
    upgrade(engine)  # a load kept from an earlier schema is migrated like any database
    return int(last) - DUE + 1


def _case(i: int) -> dict[str, object]:
    return {
        "reference": f"CT-2026-{i + 1:06d}",
        "area_id": "llr",
        "locality_id": "leicester",
        "workflow_name": "community_trigger",
        "workflow_version": 1,
        "state": "submitted",
        "version": 1,
        "submitted_at": NOW,
        "updated_at": NOW,
    }


def _detail(i: int) -> dict[str, object]:
    """Case i's Community Trigger detail row (case ids run from 1)."""
    return {
        "case_id": i + 1,
        "channel": "online",
        "application_on": TODAY,
        "hate_incident": False,
        "consent_to_share": True,
        "declaration": True,
        "contact_preference": "email",
        "status_token_hash": f"{i:064d}",
        "threshold_assessment": {},
    }


def time_rounds(
    engine: Engine, first_due: int, rounds: int
) -> tuple[list[float], list[float], list[float]]:
    """Seconds for one sweep batch and for one bare commit, `rounds` times each, interleaved;
    and the CPU seconds this process spent in each sweep (on PostgreSQL, the rest is the
    server's work and the wait for it)."""
    clock = FixedClock(NOW)
    stamp = [NOW]
    cpus: list[float] = []

    def reset() -> None:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox_message"))
            conn.execute(
                text(
                    "UPDATE deadline_schedule SET next_action_on = :today,"
                    " reminder_step = 'remind_2' WHERE deadline_id >= :first"
                ),
                {"today": TODAY, "first": first_due},
            )
        if engine.dialect.name == "postgresql":
            # The same 1,000 keys come back every round: without this the unique index
            # still holds last round's dead entries for them, and each INSERT would check
            # them, which never happens in real use (a key is queued once, ever).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM outbox_message, deadline_schedule"))

    def sweep() -> float:
        with Session(engine, expire_on_commit=False) as session:
            started, cpu = time.perf_counter(), time.process_time()
            read, queued = sweep_batch(session, clock=clock, limit=DUE)
            took = time.perf_counter() - started
            cpus.append(time.process_time() - cpu)
        assert (read, queued) == (DUE, DUE), (read, queued)
        return took

    def bare() -> float:
        # A new value each time: a commit that changes nothing never reaches the disk.
        stamp[0] += timedelta(seconds=1)
        started = time.perf_counter()
        with Session(engine) as session:
            session.execute(update(Case).where(Case.id == 1).values(updated_at=stamp[0]))  # type: ignore[arg-type]
            session.commit()
        return time.perf_counter() - started

    sweeps: list[float] = []
    bares: list[float] = []
    for i in range(rounds + 1):
        reset()
        order: list[Callable[[], float]] = [sweep, bare] if i % 2 == 0 else [bare, sweep]
        took = {fn.__name__: fn() for fn in order}
        if i:  # the first round warms the caches and is not counted
            sweeps.append(took["sweep"])
            bares.append(took["bare"])
    return sweeps, bares, cpus[1:]


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
    """(wall time of a fresh worker process up to a running scheduler, of which in-process)."""
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


def measure(db: Database, size: int, rounds: int, reuse: bool) -> None:
    first_due = loaded(db.engine, size) if reuse else None
    if first_due is None:
        started = time.perf_counter()
        first_due = fill(db.engine, size)
        print(f"  loaded {size:,} + {DUE} deadlines in {time.perf_counter() - started:.1f} s")
    else:
        print(f"  reusing the kept load of {size:,} + {DUE} deadlines")
    print(f"  {load_line()} before")
    sweeps, bares, cpus = time_rounds(db.engine, first_due, rounds)
    startup = startup_seconds(db.url, db.schema)
    s, b, c = stats_ms(sweeps), stats_ms(bares), stats_ms(cpus)
    ceiling = CEILING_MS[db.kind]
    met = "met" if s.median <= ceiling else "NOT met"
    print(
        f"  {size:>9,} future + {DUE} due: sweep median {s.median:6.1f} ms, p95 {s.p95:6.1f} ms"
        f" (ceiling {ceiling:.0f} ms median: {met}); bare commit median {b.median:5.2f} ms,"
        f" p95 {b.p95:5.2f} ms; sweep = {s.median / b.median:.0f}x a bare commit"
    )
    print(f"  CPU time of this process in the sweep: median {c.median:.1f} ms")
    record(
        f"sweep.py {db.kind}",
        f"sweep 1k due, {size:,} future, median",
        s.median,
        "ms",
        "limit",
        ceiling,
        s.median / ceiling,
        f"<= {ceiling:.0f} ms",
        s.median <= ceiling,
    )
    record(
        f"sweep.py {db.kind}",
        f"sweep 1k due, {size:,} future, median",
        s.median,
        "ms",
        "bare commit",
        b.median,
        s.median / b.median,
        "(ceiling: no target)",
        None,
    )
    print(
        f"  worker start-up {startup[0]:.2f} s (in-process {startup[1]:.2f} s;"
        f" ceiling {STARTUP_CEILING_S:.0f} s); {load_line()} after",
        flush=True,
    )


def sqlite_database(size: int, reuse: bool) -> tuple[Database, Callable[[], None]]:
    if reuse:
        KEPT_SQLITE.mkdir(parents=True, exist_ok=True)
        folder = KEPT_SQLITE
    else:
        folder = Path(tempfile.mkdtemp(prefix="ctengine-bench-"))
    path = folder / f"sweep-{size}.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)

    def close() -> None:
        engine.dispose()
        if not reuse:
            shutil.rmtree(folder, ignore_errors=True)

    return Database("sqlite", engine, url, path=path), close


def postgres_database(pg_url: str, size: int, reuse: bool) -> tuple[Database, Callable[[], None]]:
    schema = f"bench_sweep_{size}" if reuse else f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(pg_url, pool_size=1)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine = make_engine(pg_url, schema=schema)

    def close() -> None:
        engine.dispose()
        if not reuse:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return Database("postgres", engine, pg_url, schema=schema), close


def drop(pg_url: str, sizes: list[int]) -> None:
    shutil.rmtree(KEPT_SQLITE, ignore_errors=True)
    admin = make_engine(pg_url, pool_size=1)
    with admin.begin() as conn:
        for size in sizes:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "bench_sweep_{size}" CASCADE'))
    admin.dispose()
    print(f"removed {KEPT_SQLITE} and the schemas bench_sweep_<size> for sizes {sizes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="future deadlines")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=21, help="timed sweeps per size")
    default_pg = os.environ.get("DATABASE_URL", "")
    parser.add_argument(
        "--pg-url", default=default_pg if default_pg.startswith("postgresql") else PG_URL
    )
    parser.add_argument("--reuse", action="store_true", help="keep the loaded databases")
    parser.add_argument("--drop", action="store_true", help="remove the kept databases")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.drop:
        drop(args.pg_url, sizes)
        return
    print(machine_line())
    for kind in chosen(args.db):
        for size in sizes:
            if kind == "postgres":
                db, close = postgres_database(args.pg_url, size, args.reuse)
            else:
                db, close = sqlite_database(size, args.reuse)
            try:
                if size == sizes[0]:
                    print(f"{server_version(db)}: {durability(db)}")
                measure(db, size, args.rounds, args.reuse)
            finally:
                close()


if __name__ == "__main__":
    main()
