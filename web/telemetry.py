"""What the running service says about itself: one JSON log line per request, and
Prometheus metrics at /metrics for the staff network or a bearer token.

The log line names the route template (`/status/{token}`), never the raw path, so no
token, reference or other value from the address is written; the request id comes from
a well-formed `X-Request-ID` header or is made here, and is sent back in the answer.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import uuid
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.clock import Clock, stopwatch
from engine.models import Deadline, OutboxMessage, WorkerHeartbeat
from engine.models.types import UTCDateTime

log = logging.getLogger("ctengine.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Probes ask every few seconds: counted in the metrics, kept out of the log.
_QUIET = frozenset({"/healthz"})
_MOUNTS = ("/assets/", "/static/")


class RequestLog:
    """Pure ASGI: times each request, logs one line, and feeds the latency histogram."""

    def __init__(self, app: ASGIApp, *, latency: Histogram) -> None:
        self.app = app
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        elapsed = stopwatch()
        request_id = _request_id(scope)
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._record(scope, status, elapsed(), request_id)

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route = route_template(scope)
        method = scope.get("method", "")
        self.latency.labels(method, route, str(status)).observe(seconds)
        if route in _QUIET:
            return
        fields = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "request_id": request_id,
        }
        log.info("%s %s %s", method, route, status, extra=fields)


def route_template(scope: Scope) -> str:
    """The matched route's template; mounts by their prefix; anything else "unmatched"."""
    route = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return str(route.path)
    path = str(scope.get("path", ""))
    if path in ("/healthz", "/readyz", "/metrics"):
        return path
    for prefix in _MOUNTS:
        if path.startswith(prefix):
            return prefix + "{path}"
    return "unmatched"


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


class ServiceCollector(Collector):
    """Read at each scrape: outbox depth and age, failed and dead letters, overdue
    deadlines, worker heartbeat age."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Any:
        now, today = self.clock.now(), self.clock.today()
        o = OutboxMessage.__table__  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            by_status = dict(
                conn.execute(select(o.c.status, func.count()).group_by(o.c.status)).all()
            )
            oldest = conn.execute(
                select(func.min(o.c.created_at)).where(o.c.status == "pending")
            ).scalar()
            unconfirmed = conn.execute(
                select(func.count()).where(
                    o.c.unconfirmed_since.is_not(None), o.c.status == "pending"
                )
            ).scalar_one()
            overdue = conn.execute(
                select(func.count()).where(
                    Deadline.status == "open", Deadline.kind == "duty", Deadline.due_on < today
                )
            ).scalar_one()
            beat = conn.execute(select(func.max(WorkerHeartbeat.beat_at))).scalar()
        yield _gauge(
            "ctengine_outbox_pending", "Messages waiting to be sent", by_status.get("pending", 0)
        )
        yield _gauge(
            "ctengine_outbox_oldest_pending_age_seconds",
            "Age of the oldest waiting message",
            _age(now, oldest),
        )
        yield _gauge(
            "ctengine_outbox_unconfirmed",
            "Messages maybe sent, to be resolved in doubt",
            unconfirmed,
        )
        yield _gauge(
            "ctengine_outbox_failed",
            "Messages the provider refused for good",
            by_status.get("failed", 0),
        )
        yield _gauge(
            "ctengine_outbox_dead",
            "Messages given up on after repeated temporary failures",
            by_status.get("dead", 0),
        )
        yield _gauge("ctengine_deadlines_overdue", "Open staff deadlines past their date", overdue)
        yield _gauge(
            "ctengine_worker_heartbeat_age_seconds",
            "Seconds since a worker last ran (-1: never)",
            _age(now, beat, missing=-1),
        )


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value))


def _age(now: datetime, then: Any, *, missing: float = 0) -> float:
    if then is None:
        return missing
    stamped = UTCDateTime().process_result_value(then, None)
    assert stamped is not None
    return max(0.0, (now - stamped).total_seconds())


def install(app: FastAPI, *, token: str | None, networks: str) -> None:
    """The request log and /metrics (404 unless a token or a staff network is set)."""
    registry = CollectorRegistry()
    latency = Histogram(
        "ctengine_http_request_duration_seconds",
        "Time to answer a request, by method, route template and status",
        ("method", "route", "status"),
        registry=registry,
    )
    registry.register(ServiceCollector(app.state.engine, app.state.clock))
    allowed = [ipaddress.ip_network(n.strip()) for n in networks.split(",") if n.strip()]

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        if not _may_scrape(request, token, allowed):
            return Response("Not Found", status_code=404, media_type="text/plain")
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RequestLog, latency=latency)


def _may_scrape(request: Request, token: str | None, allowed: list[Any]) -> bool:
    given = request.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    # The direct peer, not a forwarded address: a proxy cannot make a request look local.
    peer = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in allowed)
