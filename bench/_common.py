"""Shared by the benchmark scripts: a fresh database per run, timing statistics, the plan."""

from __future__ import annotations

import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, Select, text

from engine.db import make_engine, make_session_factory
from engine.migrate import upgrade
from engine.services.org import sync_areas

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASES = ("sqlite", "postgres")


@dataclass(frozen=True)
class Database:
    kind: str  # "sqlite" or "postgres"
    engine: Engine
    url: str
    schema: str | None = None
    path: Path | None = None


def chosen(db_option: str) -> tuple[str, ...]:
    return DATABASES if db_option == "both" else (db_option,)


@contextmanager
def fresh_database(kind: str, pg_url: str = PG_URL) -> Iterator[Database]:
    """A newly migrated database holding only the areas' organisation; removed afterwards."""
    if kind == "postgres":
        yield from _fresh_postgres(pg_url)
    elif kind == "sqlite":
        yield from _fresh_sqlite()
    else:
        raise ValueError(f"unknown database {kind!r}")


def _fresh_postgres(pg_url: str) -> Iterator[Database]:
    schema = f"bench_{secrets.token_hex(6)}"
    admin = make_engine(pg_url, pool_size=1)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(pg_url, schema=schema)
    try:
        _prepare(engine)
        yield Database("postgres", engine, pg_url, schema=schema)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _fresh_sqlite() -> Iterator[Database]:
    folder = Path(tempfile.mkdtemp(prefix="ctengine-bench-"))
    path = folder / "bench.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        _prepare(engine)
        yield Database("sqlite", engine, url, path=path)
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def _prepare(engine: Engine) -> None:
    upgrade(engine)
    with make_session_factory(engine)() as session:
        sync_areas(session)


def server_version(db: Database) -> str:
    if db.kind == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with db.engine.connect() as conn:
        return "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar_one())


def durability(db: Database) -> str:
    """The settings that decide what a commit costs, as the engine's connections see them."""
    with db.engine.connect() as conn:
        if db.kind == "sqlite":
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            sync = conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
            names = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
            return f"journal_mode={mode}, synchronous={names.get(sync, sync)}"
        values = [
            f"{name}={conn.exec_driver_sql(f'SHOW {name}').scalar_one()}"
            for name in ("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers")
        ]
        return ", ".join(values)


def machine_line() -> str:
    return f"Python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs"


def load_line() -> str:
    """The machine's load average: other work on the same cores shows up in the tail."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass(frozen=True)
class Stats:
    n: int
    median: float
    p95: float
    p99: float
    mean: float


def stats_ms(seconds: Sequence[float]) -> Stats:
    """Median, 95th and 99th percentile (inclusive method) and mean, in milliseconds."""
    ms = [s * 1000.0 for s in seconds]
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return Stats(len(ms), statistics.median(ms), cuts[94], cuts[98], statistics.fmean(ms))


def explain(db: Database, stmt: Select) -> list[str]:  # type: ignore[type-arg]
    """The planner's plan for `stmt` with its values inlined (EXPLAIN QUERY PLAN on SQLite)."""
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        if db.kind == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
            return [f"{row[3]}" for row in rows]
        return [row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql).all()]
