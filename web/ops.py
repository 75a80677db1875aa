"""Answers for whoever runs the service: /healthz, /readyz, and 503 when the database is not
there or is stalled.

/healthz is answered by a pure ASGI middleware on the event loop: it never waits for the
request thread pool or the database, so it answers while every request thread is busy.
/readyz asks the database on a thread of its own, bounded to one second.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import cache
from typing import Any

from alembic.script import ScriptDirectory
from fastapi import FastAPI, Request
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.clock import Clock
from engine.db import DatabaseBusy
from engine.migrate import alembic_config
from engine.models import WorkerHeartbeat

log = logging.getLogger(__name__)
# Seconds a client is asked to wait before trying again when the database is unavailable.
RETRY_AFTER_SECONDS = 5
READY_TIMEOUT_SECONDS = 1.0
# The worker stamps its heartbeat every few seconds (notifications.worker); older is stale.
HEARTBEAT_STALE = timedelta(minutes=2)
# Raised when the database is unreachable, a statement or lock wait ran out, or the pool
# had no connection to give within the connect timeout.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, DatabaseBusy)
_HEALTHY = json.dumps({"status": "ok"}).encode()


class Healthz:
    """GET /healthz answered on the event loop: the process is alive and serving."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/healthz":
            await self.app(scope, receive, send)
            return
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": _HEALTHY})


def unavailable_body() -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Service unavailable",
        "status": 503,
        "detail": "The database is busy or cannot be reached. Try again in a few seconds.",
    }


def install(app: FastAPI) -> None:
    """The /readyz route (the /healthz middleware is added by create_app, outermost)."""
    # Its own small pool: a busy request pool must not make a healthy database look down.
    app.state.ready_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        state = request.app.state
        loop = asyncio.get_running_loop()
        try:
            checks = await asyncio.wait_for(
                loop.run_in_executor(state.ready_executor, readiness, state.engine, state.clock),
                READY_TIMEOUT_SECONDS,
            )
        except (TimeoutError, *UNAVAILABLE) as exc:
            checks = {"database": f"not reachable within 1 s ({type(exc).__name__})"}
        ready = all(v == "ok" for v in checks.values()) and len(checks) == 3
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        headers = {"cache-control": "no-store"}
        if not ready:
            headers["retry-after"] = str(RETRY_AFTER_SECONDS)
        return JSONResponse(body, status_code=200 if ready else 503, headers=headers)


def readiness(engine: Engine, clock: Clock) -> dict[str, str]:
    """Database reachable, migrations at head, a worker's heartbeat recent."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        beat = conn.execute(select(func.max(WorkerHeartbeat.beat_at))).scalar()
    checks = {"database": "ok"}
    heads = migration_heads()
    checks["migrations"] = (
        "ok" if set(revision) == heads else f"at {sorted(revision)}, code needs {sorted(heads)}"
    )
    if beat is None:
        checks["worker"] = "no worker has started"
    elif clock.now() - _aware(beat) > HEARTBEAT_STALE:
        checks["worker"] = f"last heartbeat at {_aware(beat).isoformat()}"
    else:
        checks["worker"] = "ok"
    return checks


def _aware(value: Any) -> Any:
    from engine.models.types import UTCDateTime

    return UTCDateTime().process_result_value(value, None)


@cache
def migration_heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
