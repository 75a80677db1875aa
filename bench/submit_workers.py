"""Submits on PostgreSQL with one web process and with two: does the submit scale?

    .venv/bin/python bench/submit_workers.py [--seconds 5] [--connections 32] [--workers 1,2]

For each number of workers, `ctengine serve --workers N` (the production setting on
PostgreSQL; one process is a plain `ctengine serve`) runs on a fresh schema, and
`--connections` keep-alive clients in this process send `POST /api/v1/applications` (the
same application as bench/public_pages.py's) for `--seconds` after a 1 s warm-up. Every
answer must be a 201 with its case. Targets (issue 15): 2 workers >= 1.6x the rate of one;
p99 <= 300 ms at 32 connections. Before the servers, the load generator's own rate against a
bare Starlette app is printed: the figures mean little if it is not well above the app's.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _ceilings import record  # noqa: E402
from _common import (  # noqa: E402
    PG_URL,
    free_port,
    fresh_database,
    hello_app,
    http_get,
    http_load,
    load_line,
    machine_line,
    start_process_server,
    stats_ms,
    stop_server,
)
from public_pages import api_request  # noqa: E402

SCALE_TARGET = 1.6
P99_LIMIT_MS = 300.0


def serve_hello(port: int) -> None:
    import uvicorn

    uvicorn.run(hello_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def run_app(url: str, schema: str, workers: int, seconds: float, connections: int):  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        "CTENGINE_DATABASE_URL": url,
        "CTENGINE_DATABASE_SCHEMA": schema,
        "CTENGINE_SECRET_KEY": secrets.token_hex(16),
        "CTENGINE_SUBMIT_RATE_LIMIT": "1000000/minute",
        "CTENGINE_CHECK_RATE_LIMIT": "1000000/minute",
        "PYTHONPATH": str(ROOT),
    }
    args = [sys.executable, "-c", "from web.cli import app; app()", "serve", "--port", str(port)]
    args += ["--workers", str(workers)]
    with open(os.devnull, "wb") as quiet:
        proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=quiet, stderr=quiet)
    try:
        _wait(proc, port)
        request = api_request()
        http_load(port, lambda _i: request(), seconds=1.0, connections=connections)
        return http_load(port, lambda _i: request(), seconds=seconds, connections=connections)
    finally:
        stop_server(proc)


def _wait(proc: subprocess.Popen[bytes], port: int) -> None:
    import socket
    import time

    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"ctengine serve exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            time.sleep(1.0)  # let every worker process come up, not only the first
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("ctengine serve did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--serve-hello", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_hello:
        serve_hello(args.serve_hello)
        return 0
    print(machine_line())
    print(load_line())
    port = free_port()
    hello = start_process_server([sys.executable, __file__, "--serve-hello", str(port)], port)
    try:
        request = http_get("/")
        client = http_load(port, lambda _i: request, seconds=2.0, connections=args.connections)
    finally:
        stop_server(hello)
    print(f"  load generator vs bare Starlette GET /: {client.rate:,.0f} req/s")
    rates: dict[int, float] = {}
    ok = True
    for workers in (int(w) for w in args.workers.split(",")):
        with fresh_database("postgres", args.pg_url) as db:
            run = run_app(args.pg_url, db.schema or "", workers, args.seconds, args.connections)
            with db.engine.connect() as conn:
                made = conn.exec_driver_sql("SELECT count(*) FROM case_record").scalar_one()
        s = stats_ms(run.latencies)
        created = run.statuses.get(201, 0)
        rates[workers] = run.rate
        print(
            f"  {workers} web process(es): {run.rate:6.1f} submits/s  p50 {s.median:6.1f} ms"
            f"  p99 {s.p99:7.1f} ms  statuses {dict(run.statuses)}; cases in the schema {made}"
        )
        ok = ok and s.p99 <= P99_LIMIT_MS and created == len(run.latencies)
        record(
            "submit_workers.py postgres",
            f"API submit p99, {workers} worker(s)",
            s.p99,
            "ms",
            "limit",
            P99_LIMIT_MS,
            s.p99 / P99_LIMIT_MS,
            f"<= {P99_LIMIT_MS:.0f} ms",
            s.p99 <= P99_LIMIT_MS,
        )
        record(
            "submit_workers.py postgres",
            f"API submit rate, {workers} worker(s)",
            run.rate,
            "/s",
            "load generator vs hello",
            client.rate,
            run.rate / client.rate,
            "(ceiling: no target)",
            None,
        )
    if 1 in rates and 2 in rates:
        scale = rates[2] / rates[1]
        print(f"  2 workers / 1 worker = {scale:.2f}x (target >= {SCALE_TARGET}x)")
        record(
            "submit_workers.py postgres",
            "API submit rate, 2 workers",
            rates[2],
            "/s",
            "1 worker",
            rates[1],
            scale,
            f">= {SCALE_TARGET}x",
            scale >= SCALE_TARGET,
        )
        ok = ok and scale >= SCALE_TARGET
    print(load_line())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
