"""A threshold check for one person among ten million reports, on SQLite and PostgreSQL.

Acceptance: "with 10 million reports loaded (bulk load, not ORM add in a loop), a threshold
check for one person has median <= 2 ms and p95 <= 5 ms on both databases, and a test
asserts the query plan uses an index" (the test: tests/integration/test_threshold_query_plan.py).

For each database this opens a fresh migrated database and bulk loads `--reports` imported
reports (no case): `--reports / 10` people with 10 reports each, reported over the two years
up to the application date, the incident 0-44 days before the report (so some are too late to
count), to the police, the council or a housing provider. Rows are written report-number
major (every person's first report, then every person's second, ...), so one person's
reports lie far apart in the table, as reports arriving over time would; the loaded tables
are then analysed (and on PostgreSQL vacuumed, as autovacuum would have done).

A check = a new session, `engine.person_reports.load_person_reports` (the person's reports
from 7 months before the application date to that date, through
`ix_report_complainant_reported`), session closed, then `engine.threshold.assess` with the
Leicester area's rules. It is timed for `--checks` random people, interleaved with a bare
baseline: a new session running `SELECT 1` on the same engine.

    .venv/bin/python bench/threshold.py                  # both databases, 10M reports each
    .venv/bin/python bench/threshold.py --db postgres --reports 1000000 --checks 500
    .venv/bin/python bench/threshold.py --quick          # 100k reports, 500 checks

This prints numbers and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import time
from datetime import date, timedelta
from typing import Any

from _ceilings import record
from _common import (
    PG_URL,
    Database,
    chosen,
    durability,
    explain,
    fresh_database,
    load_line,
    machine_line,
    server_version,
    stats_ms,
)
from sqlalchemy import text

from engine import registry
from engine.db import make_session_factory
from engine.person_reports import load_person_reports, person_reports_query
from engine.threshold import assess

MEDIAN_CEILING_MS = 2.0
P95_CEILING_MS = 5.0
REPORTS_PER_PERSON = 10
SPAN_DAYS = 730  # two years of reports, ending on the application date
LATE_DAYS = 45  # incident up to 44 days before its report
INCIDENTS_PER_PERSON = 7  # report k is about incident k % 7, so some incidents repeat
APPLICATION_DATE = date(2026, 3, 2)
FIRST_REPORT = APPLICATION_DATE - timedelta(days=SPAN_DAYS - 1)

# The same deterministic spread in both dialects (integers stay well inside 64 bits).
_DAY = f"((p * 2654435761 + :k * 40503) % 1000003) % {SPAN_DAYS}"
_LATE = f"((p * 31 + :k * 17) % {LATE_DAYS})"
_AGENCY = "CASE (p + :k) % 3 WHEN 0 THEN 'police' WHEN 1 THEN 'council' ELSE 'housing' END"
_COLUMNS = (
    "case_id, incident_id, incident_key, complainant_key, incident_on, reported_on, agency, "
    "reference, channel, officer"
)

PG_INSERT = f"""
INSERT INTO report ({_COLUMNS})
SELECT NULL, NULL,
       'imp:' || p || '/' || (:k % {INCIDENTS_PER_PERSON}),
       'email:' || md5(p::text) || substr(md5('x' || p::text), 1, 8),
       CAST(:first AS date) + CAST({_DAY} AS integer) - CAST({_LATE} AS integer),
       CAST(:first AS date) + CAST({_DAY} AS integer),
       {_AGENCY},
       NULL, NULL, NULL
FROM generate_series(CAST(0 AS bigint), :last) AS p
"""

SQLITE_INSERT = f"""
INSERT INTO report ({_COLUMNS})
SELECT NULL, NULL,
       'imp:' || p || '/' || (:k % {INCIDENTS_PER_PERSON}),
       ckey,
       date(:first, ({_DAY} - {_LATE}) || ' days'),
       date(:first, ({_DAY}) || ' days'),
       {_AGENCY},
       NULL, NULL, NULL
FROM temp.person WHERE p <= :last
"""


def person_key(p: int) -> str:
    """Person p's complainant key, shaped like intake's ("email:" and 40 hex digits)."""
    return (
        "email:"
        + hashlib.md5(str(p).encode()).hexdigest()
        + hashlib.md5(f"x{p}".encode()).hexdigest()[:8]
    )


def people_for(reports: int) -> int:
    return -(-reports // REPORTS_PER_PERSON)


def last_person(reports: int, k: int) -> int:
    """The highest p with a k-th report: reports are numbered p * 10 + k below `reports`."""
    return (reports - 1 - k) // REPORTS_PER_PERSON


def load(db: Database, reports: int) -> float:
    """Bulk load `reports` rows and analyse; returns the seconds taken."""
    started = time.perf_counter()
    if db.kind == "postgres":
        _load_postgres(db, reports)
    else:
        _load_sqlite(db, reports)
    return time.perf_counter() - started


def _load_postgres(db: Database, reports: int) -> None:
    # Server-side INSERT ... SELECT FROM generate_series, one statement per report number.
    with db.engine.begin() as conn:
        for k in range(min(REPORTS_PER_PERSON, reports)):
            conn.execute(
                text(PG_INSERT), {"k": k, "first": FIRST_REPORT, "last": last_person(reports, k)}
            )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE) report")


def _load_sqlite(db: Database, reports: int) -> None:
    # A loader connection of its own, so its big page cache and relaxed durability never
    # reach the engine's connections that the checks use. The file goes back to WAL after.
    assert db.path is not None
    db.engine.dispose()
    conn = sqlite3.connect(db.path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-3000000")  # 3 GB in KiB
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE person (p INTEGER PRIMARY KEY, ckey TEXT NOT NULL)")
        conn.executemany(
            "INSERT INTO temp.person VALUES (?, ?)",
            ((p, person_key(p)) for p in range(people_for(reports))),
        )
        for k in range(min(REPORTS_PER_PERSON, reports)):
            conn.execute(
                SQLITE_INSERT,
                {"k": k, "first": FIRST_REPORT.isoformat(), "last": last_person(reports, k)},
            )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def table_size(db: Database) -> str:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM report").scalar_one()
        if db.kind == "postgres":
            heap = conn.exec_driver_sql("SELECT pg_relation_size('report')").scalar_one()
            index = conn.exec_driver_sql(
                "SELECT pg_relation_size('ix_report_complainant_reported')"
            ).scalar_one()
            return f"{rows:,} rows; table {heap / 2**20:,.0f} MiB, index {index / 2**20:,.0f} MiB"
    assert db.path is not None
    size = db.path.stat().st_size
    return f"{rows:,} rows; database file {size / 2**20:,.0f} MiB"


def check(factory: Any, key: str, rules: Any) -> tuple[float, float, int, bool]:
    started = time.perf_counter()
    with factory() as session:
        facts = load_person_reports(session, key, APPLICATION_DATE)
    loaded = time.perf_counter()
    result = assess(facts, application_date=APPLICATION_DATE, rules=rules)
    done = time.perf_counter()
    return loaded - started, done - loaded, len(facts), result.met


def baseline(factory: Any) -> float:
    started = time.perf_counter()
    with factory() as session:
        session.execute(text("SELECT 1")).scalar_one()
    return time.perf_counter() - started


def measure(db: Database, reports: int, checks: int, warmup: int, seed: int) -> dict[str, Any]:
    factory = make_session_factory(db.engine)
    rules = registry.locality_area("leicester").threshold
    rng = random.Random(seed)
    people = people_for(reports)
    base_s, query_s, assess_s, total_s, found, met = [], [], [], [], [], 0
    for i in range(warmup + checks):
        key = person_key(rng.randrange(people))
        b = baseline(factory)
        q, a, n, ok = check(factory, key, rules)
        if i >= warmup:
            base_s.append(b)
            query_s.append(q)
            assess_s.append(a)
            total_s.append(q + a)
            found.append(n)
            met += ok
    return {
        "baseline": stats_ms(base_s),
        "query": stats_ms(query_s),
        "assess": stats_ms(assess_s),
        "total": stats_ms(total_s),
        "found": found,
        "met": met,
    }


def verdict(measured: float, ceiling: float) -> str:
    word = "within" if measured <= ceiling else "OVER"
    return f"{measured:.3f} ms vs ceiling {ceiling:.1f} ms = {measured / ceiling:.2f}x -> {word}"


def report(db: Database, load_s: float, size: str, result: dict[str, Any], warmup: int) -> None:
    total = result["total"]
    found = result["found"]
    print(f"   load + analyse: {load_s:.1f} s; {size}")
    print(
        f"   {total.n} checks after {warmup} warm-up; reports in window per check: "
        f"mean {sum(found) / len(found):.2f}, max {max(found)}; threshold met for {result['met']}"
    )
    print(f"   {'measure':<40}{'n':>6}{'median ms':>11}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    rows = (
        ("baseline: new session + SELECT 1", result["baseline"]),
        ("check part: session + person query", result["query"]),
        ("check part: assess()", result["assess"]),
        ("threshold check (query + assess)", total),
    )
    for label, s in rows:
        print(f"   {label:<40}{s.n:>6}{s.median:>11.3f}{s.p95:>9.3f}{s.p99:>9.3f}{s.mean:>9.3f}")
    print(f"   median: {verdict(total.median, MEDIAN_CEILING_MS)}")
    print(f"   p95:    {verdict(total.p95, P95_CEILING_MS)}")
    base = result["baseline"].median
    name = f"threshold.py {db.kind}"
    record(
        name,
        "threshold check, median",
        total.median,
        "ms",
        "limit",
        MEDIAN_CEILING_MS,
        total.median / MEDIAN_CEILING_MS,
        f"<= {MEDIAN_CEILING_MS} ms",
        total.median <= MEDIAN_CEILING_MS,
    )
    record(
        name,
        "threshold check, median",
        total.median,
        "ms",
        "session + SELECT 1",
        base,
        total.median / base,
        "(ceiling: no target)",
        None,
    )


def print_plan(db: Database) -> None:
    stmt = person_reports_query(person_key(0), APPLICATION_DATE)
    label = "EXPLAIN QUERY PLAN" if db.kind == "sqlite" else "EXPLAIN"
    print(f"   {label} for the person query:")
    for line in explain(db, stmt):
        print(f"     {line}")


def run(kind: str, args: argparse.Namespace) -> tuple[str, float, float]:
    with fresh_database(kind, args.pg_url) as db:
        print(f"\n== {db.kind}: {server_version(db)}")
        print(f"   {durability(db)}")
        print(f"   loading {args.reports:,} reports ...", flush=True)
        load_s = load(db, args.reports)
        size = table_size(db)
        print_plan(db)
        before = load_line()
        result = measure(db, args.reports, args.checks, args.warmup, args.seed)
        report(db, load_s, size, result, args.warmup)
        print(f"   {before} before the checks, {load_line()} after")
        return kind, result["total"].median, result["total"].p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--reports", type=int, default=10_000_000, help="rows to bulk load")
    parser.add_argument("--checks", type=int, default=2000, help="timed threshold checks")
    parser.add_argument("--warmup", type=int, default=200, help="untimed checks first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="100,000 reports, 500 checks")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    if args.quick:
        args.reports, args.checks, args.warmup = 100_000, 500, 50
    if args.reports < 1 or args.checks < 1:
        parser.error("--reports and --checks must be at least 1")
    print(f"bench/threshold.py: one person's threshold check. {machine_line()}")
    print(
        f"   application date {APPLICATION_DATE}; reports {FIRST_REPORT} to {APPLICATION_DATE}; "
        f"{REPORTS_PER_PERSON} per person, {people_for(args.reports):,} people"
    )
    summary = [run(kind, args) for kind in chosen(args.db)]
    print(
        "\nsummary: "
        + "; ".join(
            f"{k} median {m:.3f} ms (<= {MEDIAN_CEILING_MS:.0f}), p95 {p:.3f} ms "
            f"(<= {P95_CEILING_MS:.0f})"
            for k, m, p in summary
        )
    )


if __name__ == "__main__":
    main()
