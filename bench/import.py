"""The Sentinel import against the database driver's own bulk insert of the same rows.

Acceptance (issue 14): "the import sustains at least 30% of the database driver's raw bulk
insert rate for the same rows (SQLite executemany, PostgreSQL COPY)".

Each round writes a CSV of `--rows` Sentinel records into a temporary folder (10 records a
person, each person with an email address; one record in 4 names the person by Sentinel
reference, one in 5 a place, 50 places in all), then on each database:

- the figure: `engine.services.sentinel_import.import_sentinel` on a freshly migrated
  database, timed from opening the file to the commit: every row read and checked, people
  and places upserted, the reports' references looked up, the reports bulk inserted;
- the ceiling: on another freshly migrated database, the rows that import stored (people,
  places, reports, with the same values) sent by the raw driver in one transaction:
  `executemany` on a sqlite3 connection with the engine's pragmas, `COPY` on psycopg.

Both are rows per second of report rows. Rounds alternate which goes first; the figure and
ceiling recorded are the medians, the ratio the median of each round's import / raw.

    .venv/bin/python bench/import.py                       # both databases, 100,000 rows, 3 rounds
    .venv/bin/python bench/import.py --db sqlite --rows 20000 --rounds 1
    .venv/bin/python bench/import.py --quick                # 20,000 rows, 3 rounds
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from _ceilings import raw_postgres, raw_sqlite, record
from _common import PG_URL, Database, chosen, durability, fresh_database, load_line, machine_line
from _common import server_version as version

from engine.clock import FixedClock
from engine.db import make_session_factory
from engine.sentinel_format import NAMES, open_lines, read
from engine.services.sentinel_import import REPORT_COLUMNS, import_sentinel

TARGET = 0.30
CLOCK = FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
FIRST = date(2025, 3, 1)
LOCALITIES = ("leicester", "blaby", "melton", "charnwood", "oadby-and-wigston")
AGENCIES = ("police", "council", "housing")


def record_line(n: int) -> str:
    person = n // 10
    on = FIRST + timedelta(days=n % 360)
    named = n % 4 == 0
    at = n % 5 == 0
    values = (
        f"SEN-{n:08d}",
        f"INC-{n // 2:08d}",
        LOCALITIES[n % len(LOCALITIES)],
        on.isoformat(),
        (on + timedelta(days=n % 5)).isoformat(),
        AGENCIES[n % 3],
        f"AG{n}",
        f"Person {person}",
        f"person{person}@example.org",
        "",
        "",
        f"PER-{person}" if named else "",
        "1980-01-02" if named else "",
        f"LOC-{n % 50}" if at else "",
        f"Place {n % 50}" if at else "",
        "LE1 1AA" if at else "",
        "",
    )
    return ",".join(values)


def write_file(folder: Path, rows: int) -> Path:
    path = folder / "sentinel.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write(",".join(NAMES) + "\n")
        for n in range(rows):
            f.write(record_line(n) + "\n")
    return path


def run_import(db: Database, path: Path) -> tuple[float, int]:
    factory = make_session_factory(db.engine)
    began = time.perf_counter()
    with factory() as session:
        result = import_sentinel(session, open_lines(str(path)), clock=CLOCK)
    seconds = time.perf_counter() - began
    assert not result.bad and result.added, result.bad[:3]
    return seconds, result.added


def raw_rows(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple]]:
    """The rows the import stores, numbered as a first import numbers them."""
    records = read(open_lines(str(path)), today=CLOCK.today()).records
    now = CLOCK.now()
    people: dict[tuple[str, str], tuple[Any, ...]] = {}
    places: dict[tuple[str, str], tuple[Any, ...]] = {}
    for r in records:
        if r.person and (r.area_id, r.person[0]) not in people:
            ref, name, born, key = r.person
            people[(r.area_id, ref)] = (len(people) + 1, r.area_id, ref, now, name, born, key)
        if r.place and (r.area_id, r.place[0]) not in places:
            ref, label, postcode, uprn, key = r.place
            place = (len(places) + 1, r.area_id, ref, now, label, postcode, uprn, key)
            places[(r.area_id, ref)] = place
    reports = [
        (
            r.incident_key,
            r.complainant_key,
            r.incident_on,
            r.reported_on,
            r.agency,
            r.agency_reference,
            "sentinel",
            r.name,
            r.reference,
            r.area_id,
            r.locality_id,
            people[(r.area_id, r.person[0])][0] if r.person else None,
            places[(r.area_id, r.place[0])][0] if r.place else None,
        )
        for r in records
    ]
    return list(people.values()), list(places.values()), reports


PERSON = ("id", "area_id", "sentinel_ref", "created_at", "name", "date_of_birth", "match_key")
PLACE = ("id", "area_id", "sentinel_ref", "created_at", "label", "postcode", "uprn", "match_key")


def run_raw(db: Database, rows: tuple[list, list, list]) -> float:
    people, places, reports = rows
    tables = (
        ("person", PERSON, people),
        ("place", PLACE, places),
        ("report", REPORT_COLUMNS, reports),
    )
    if db.kind == "sqlite":
        assert db.path is not None
        db.engine.dispose()
        conn = raw_sqlite(db.path)
        stored = (
            [[_sqlite_value(v) for v in row] for row in people],
            [[_sqlite_value(v) for v in row] for row in places],
            reports,
        )
        began = time.perf_counter()
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        for (table, columns, _), values in zip(tables, stored, strict=True):
            marks = ", ".join("?" * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values
            )
        cursor.execute("COMMIT")
        seconds = time.perf_counter() - began
        conn.close()
        return seconds
    assert db.schema is not None
    conn = raw_postgres(db.url, db.schema)
    began = time.perf_counter()
    with conn.transaction(), conn.cursor() as cursor:
        for table, columns, values in tables:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
    seconds = time.perf_counter() - began
    conn.close()
    return seconds


def _sqlite_value(value: Any) -> Any:
    """As SQLAlchemy stores it on SQLite: dates as text, instants as naive UTC text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def measure(kind: str, path: Path, rows: int, rounds: int, pg_url: str) -> None:
    raw = raw_rows(path)
    imports: list[float] = []
    ceilings: list[float] = []
    for n in range(rounds):
        order = ("import", "raw") if n % 2 == 0 else ("raw", "import")
        for which in order:
            with fresh_database(kind, pg_url) as db:
                if n == 0 and which == order[0]:
                    print(f"\n== {db.kind}: {version(db)}; {durability(db)}")
                if which == "import":
                    seconds, added = run_import(db, path)
                    assert added == rows
                    imports.append(rows / seconds)
                else:
                    ceilings.append(rows / run_raw(db, raw))
        print(
            f"   round {n + 1}: import {imports[-1]:,.0f} rows/s, raw {ceilings[-1]:,.0f} rows/s "
            f"({imports[-1] / ceilings[-1]:.2f}); {load_line()}",
            flush=True,
        )
    # Each round's import against the raw insert measured beside it (the load on a shared
    # machine swings between rounds), the median of those ratios.
    ratio = statistics.median(i / c for i, c in zip(imports, ceilings, strict=True))
    figure, ceiling = statistics.median(imports), statistics.median(ceilings)
    ceiling_name = "sqlite3 executemany" if kind == "sqlite" else "psycopg COPY"
    record(
        f"import.py {kind}",
        f"Sentinel import, {rows:,} rows",
        figure,
        "rows/s",
        ceiling_name,
        ceiling,
        ratio,
        f">= {TARGET:.0%} of the raw rate",
        ratio >= TARGET,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 rows")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    if args.quick:
        args.rows = 20_000
    if args.rows < 1 or args.rounds < 1:
        parser.error("--rows and --rounds must be at least 1")
    print(f"bench/import.py: Sentinel import vs raw bulk insert. {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="ctengine-import-") as folder:
        path = write_file(Path(folder), args.rows)
        print(f"   {args.rows:,} records, {path.stat().st_size / 2**20:.1f} MiB of CSV")
        for kind in chosen(args.db):
            measure(kind, path, args.rows, args.rounds, args.pg_url)


if __name__ == "__main__":
    main()
