"""The figures and the managers' dashboard with 50,000 cases and their histories on
PostgreSQL, each timed beside one bare aggregate query over the same rows.

Acceptance (issue 17): the dashboard for one locality and for the whole area, and the
figures page, each at most 5 times the time of one bare aggregate query
(`SELECT locality_id, state, count(*) FROM case_record GROUP BY locality_id, state`)
measured in the same run. A cache is allowed when the events that change a figure
invalidate it: each process keeps the figures and the dashboard current event by event
(each read looks at the trail's newest id; after a new event it reads only the new rows
and recounts only their cases). Four times are printed: the first in a process
(everything counted), unchanged, after one new audit row that changes no count, and after
one that does (a threshold decision: the month table, the figures and every held
dashboard change); the verdict is on the last three (the first is paid once per process).

    .venv/bin/python bench/reports.py [--cases 50000] [--repeat 7] [--reuse]
    .venv/bin/python bench/reports.py --drop      # remove the schema --reuse kept

The data are built as bench/staff_pages.py builds them (its `prepare`: 17 template cases
driven through the engine, then COPY of their rows, dates shifted by whole weeks, spread
over LLR's nine localities), without the caseless agency reports, which no figure reads.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._ceilings import record  # noqa: E402
from bench._common import PG_URL, load_line, machine_line  # noqa: E402
from bench.staff_pages import drop_schema, prepare  # noqa: E402

REUSED_SCHEMA = "bench_reports"
AGGREGATE = "SELECT locality_id, state, count(*) FROM case_record GROUP BY locality_id, state"
CEILING = 5.0


def timed(fn: Callable[[], object], repeat: int) -> float:
    """The median wall time of `repeat` calls, in milliseconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(pg_url: str, schema: str, repeat: int) -> bool:
    from fastapi.testclient import TestClient

    from engine.access import Actor, Grant
    from engine.clock import SystemClock
    from engine.db import make_engine, make_session_factory
    from engine.services import dashboard as dashboard_service
    from engine.settings import Settings
    from web.app import create_app
    from web.staff.dashboard_tables import every_table

    engine = make_engine(pg_url, schema=schema)
    sessions = make_session_factory(engine)
    clock = SystemClock()
    manager = Actor(None, "bench", (Grant("manager", "llr", None),))
    app = create_app(Settings(database_url=pg_url, database_schema=schema), engine=engine)
    client = TestClient(app)
    year = clock.today().year - (1 if clock.today().month < 4 else 0)

    def bare() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql(AGGREGATE).all()

    def board(locality: str | None) -> Callable[[], object]:
        def run() -> object:
            with sessions() as s:
                d = dashboard_service.dashboard(s, actor=manager, locality=locality,
                                                today=clock.today())  # fmt: skip
                return every_table(d)

        return run

    def figures_page() -> None:
        assert client.get(f"/figures?year={year}").status_code == 200

    def cold(fn: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            dashboard_service.clear_cache()
            return fn()

        return run

    case_id = [0]
    with engine.connect() as conn:
        case_id[0] = int(conn.exec_driver_sql("SELECT min(id) FROM case_record").scalar_one())

    def after_event(fn: Callable[[], object], trigger: str) -> Callable[[], object]:
        # One new audit row on a case of the data, written before each call: the cache
        # must look at the trail again, as after any event.
        def run() -> object:
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO audit_event (case_id, version, occurred_at, actor_label, "
                    "trigger, from_state, to_state, data) SELECT %(c)s, "
                    "max(audit_event.version) + 1, now(), 'bench', %(t)s, "
                    "state, state, '{}' FROM audit_event "
                    "JOIN case_record ON case_record.id = audit_event.case_id "
                    "WHERE audit_event.case_id = %(c)s GROUP BY state",
                    {"c": case_id[0], "t": trigger},
                )
            return fn()

        return run

    from engine.services.figures import rules

    quiet = "jag_papers_sent"  # an event no figure counts
    counted = rules().threshold_not_met[0]  # counted in the month table and the figures

    bare()  # connection pool and plan warmed like the others
    base = timed(bare, repeat * 3)
    print(f"   bare aggregate query: {base:.2f} ms (median of {repeat * 3})")
    ok = True
    for name, fn in (
        ("dashboard, Leicester", board("leicester")),
        ("dashboard, whole area", board(None)),
        ("figures page (GET /figures)", figures_page),
    ):
        cold_ms = timed(cold(fn), 2)
        fn()
        warm_ms = timed(fn, repeat)
        changed_ms = timed(after_event(fn, quiet), repeat)
        counted_ms = timed(after_event(fn, counted), repeat)
        again = timed(bare, repeat)
        near = statistics.median([base, again])
        warm, changed, recounted = warm_ms / near, changed_ms / near, counted_ms / near
        ok &= max(warm, changed, recounted) <= CEILING
        for when, ms, ratio in (
            ("unchanged", warm_ms, warm),
            ("after a new event", changed_ms, changed),
            ("after a counted event", counted_ms, recounted),
        ):
            record(
                "reports.py",
                f"{name}, {when}",
                ms,
                "ms",
                "bare aggregate query",
                near,
                ratio,
                f"<= {CEILING:g}x",
                ratio <= CEILING,
            )
        print(
            f"   {name}: first in a process {cold_ms:.0f} ms ({cold_ms / near:.0f}x); "
            f"unchanged {warm_ms:.2f} ms ({warm:.1f}x); after a new event {changed_ms:.1f} ms "
            f"({changed:.1f}x); after a counted event {counted_ms:.1f} ms ({recounted:.1f}x); "
            f"bare query {base:.2f} ms before, {again:.2f} ms beside it; {load_line()}"
        )
    client.close()
    engine.dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help=f"keep {REUSED_SCHEMA!r}")
    parser.add_argument("--drop", action="store_true", help=f"drop {REUSED_SCHEMA!r} and stop")
    default_url = os.environ.get("DATABASE_URL", "")
    parser.add_argument(
        "--pg-url", default=default_url if default_url.startswith("postgresql") else PG_URL
    )
    args = parser.parse_args()
    if args.drop:
        drop_schema(args.pg_url, REUSED_SCHEMA)
        return 0
    print(machine_line())
    print(load_line())
    schema = REUSED_SCHEMA if args.reuse else f"bench_{secrets.token_hex(6)}"
    try:
        print(f"1. {args.cases:,} cases with their histories in schema {schema}")
        loaded = prepare(args.pg_url, schema, args.cases, 0, args.reuse)
        print("   reused" if loaded.reused else f"   loaded in {loaded.seconds:.0f} s")
        print(f"2. each timed {args.repeat} times (median) beside the bare aggregate query")
        ok = measure(args.pg_url, schema, args.repeat)
    finally:
        if not args.reuse:
            drop_schema(args.pg_url, schema)
    print(load_line())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
