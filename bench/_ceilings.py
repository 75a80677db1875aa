"""Fair ceilings shared by the scripts: captured SQL replayed raw, and the results table.

A replay ceiling is the cost of the exact statements an operation ran, sent by the raw driver
(sqlite3 or psycopg) in one transaction on a twin of the database: what the operation would
cost with no ORM, no engine logic and no web framework around it. The twin is a copy made
before the operation ran, so every statement meets the same rows it met the first time.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

# One line of JSON per figure; `bench/run_all.py` sets it and builds the Markdown table.
RESULTS_ENV = "BENCH_RESULTS"
_TRANSACTION_WORDS = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class Captured:
    """The statements of one operation, in the order the driver received them."""

    statements: list[tuple[str, Any, bool]] = field(default_factory=list)


@contextmanager
def capture(engine: Engine) -> Iterator[Captured]:
    """Record every statement `engine` sends while the block runs (transaction control left
    out: the replay opens and commits its own one transaction)."""
    captured = Captured()

    def listener(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool):
        if not statement.lstrip().upper().startswith(_TRANSACTION_WORDS):
            # SQLAlchemy's "insertmanyvalues" sends a batch of an executemany as one
            # multi-row execute with flat parameters: replay what the driver was sent.
            rows = many and bool(params) and isinstance(params[0], list | tuple | dict)
            captured.statements.append((statement, list(params) if rows else params, rows))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield captured
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def replay_sqlite(conn: Any, captured: Captured) -> float:
    """Seconds to run `captured` in one BEGIN IMMEDIATE ... COMMIT on a raw sqlite3
    connection opened with isolation_level=None and the engine's pragmas."""
    began = time.perf_counter()
    cursor = conn.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    for statement, params, many in captured.statements:
        if many:
            cursor.executemany(statement, params)
        else:
            cursor.execute(statement, params)
        cursor.fetchall()
    cursor.execute("COMMIT")
    return time.perf_counter() - began


def replay_postgres(conn: Any, captured: Captured) -> float:
    """Seconds to run `captured` in one transaction on a raw psycopg connection."""
    began = time.perf_counter()
    with conn.transaction(), conn.cursor() as cursor:
        for statement, params, many in captured.statements:
            if many:
                cursor.executemany(statement, params)
            else:
                cursor.execute(statement, params, prepare=False)
                if cursor.description is not None:
                    cursor.fetchall()
    return time.perf_counter() - began


def raw_sqlite(path: Path) -> Any:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def raw_postgres(url: str, schema: str) -> Any:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f'SET search_path TO "{schema}"')
    return conn


# --- the results table ------------------------------------------------------------------


def load_average() -> float:
    return os.getloadavg()[0]


def record(
    script: str,
    figure: str,
    value: float,
    unit: str,
    ceiling_name: str,
    ceiling: float,
    ratio: float,
    target: str,
    met: bool | None,
) -> None:
    """Print one figure beside its ceiling and, under `make bench`, append it to the results.

    `ratio` is figure / ceiling in whichever sense the target states (a rate over a rate, a
    time over a time); `met` is None where the run cannot say (the peer was not installed)."""
    verdict = {True: "met", False: "MISSED", None: "n/a"}[met]
    load = load_average()
    print(
        f"  RESULT {figure}: {value:,.3f} {unit} | ceiling {ceiling_name} {ceiling:,.3f} | "
        f"ratio {ratio:.2f} | target {target} -> {verdict} | load average {load:.2f}"
    )
    out = os.environ.get(RESULTS_ENV)
    if not out:
        return
    row = {
        "script": script,
        "figure": figure,
        "value": value,
        "unit": unit,
        "ceiling_name": ceiling_name,
        "ceiling": ceiling,
        "ratio": ratio,
        "target": target,
        "met": verdict,
        "load": load,
    }
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
