"""Shared by the benchmark scripts: a fresh database per run, timing statistics, the plan."""

from __future__ import annotations

import asyncio
import os
import platform
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# --- servers under load: a bare Starlette baseline and a keep-alive HTTP/1.1 client ---------


def hello_app() -> Any:
    """The baseline: a bare Starlette app answering GET / with a short text body."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(_request: Any) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/", hello)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_process_server(
    args: Sequence[str], port: int, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Run `args` (a server listening on 127.0.0.1:`port`) and wait until it accepts."""
    proc = subprocess.Popen(list(args), env={**os.environ, **(env or {})})
    for _ in range(1200):
        if proc.poll() is not None:
            raise RuntimeError(f"the server {args!r} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)  # waiting for the server process to listen
    proc.kill()
    raise RuntimeError(f"the server {args!r} did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class HttpRun:
    """What one load run saw: its length, each request's latency, the status codes."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    bytes_received: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def _http_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        body = await reader.readexactly(length) if length else b""
        return status, len(head) + len(body)
    size = len(head)
    while True:
        line = await reader.readuntil(b"\r\n")
        chunk = int(line.split(b";")[0], 16)
        data = await reader.readexactly(chunk + 2)
        size += len(line) + len(data)
        if chunk == 0:
            return status, size


async def _http_connection(
    port: int, requests: Callable[[int], bytes | None], index: int, stop_at: float, run: HttpRun
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    loop = asyncio.get_running_loop()
    try:
        while loop.time() < stop_at:
            request = requests(index)
            if request is None:
                return
            began = time.perf_counter()
            writer.write(request)
            status, size = await _http_response(reader)
            run.latencies.append(time.perf_counter() - began)
            run.statuses[status] += 1
            run.bytes_received += size
    finally:
        writer.close()


def http_load(
    port: int, requests: Callable[[int], bytes | None], *, seconds: float, connections: int
) -> HttpRun:
    """`connections` keep-alive clients, each sending `requests(i)` (its number i) in turn
    until `seconds` have passed or it returns None; the latency of each request is kept."""

    async def main() -> HttpRun:
        run = HttpRun()
        loop = asyncio.get_running_loop()
        began = loop.time()
        stop_at = began + seconds
        await asyncio.gather(
            *(_http_connection(port, requests, i, stop_at, run) for i in range(connections))
        )
        run.seconds = loop.time() - began
        return run

    return asyncio.run(main())


def http_get(path: str, cookies: str = "") -> bytes:
    cookie = f"Cookie: {cookies}\r\n" if cookies else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{cookie}\r\n".encode()
