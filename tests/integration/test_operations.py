"""Running it: one JSON log line per request (route template, never the raw path, and no
personal data) and Prometheus metrics for a token or the staff network."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.settings import Settings
from notifications.worker import build_worker
from tests.conftest import serve
from tests.factories import application_body
from tests.integration.test_faults_logs import log_text  # noqa: F401  (a fixture)
from tests.integration.test_outbox import RecordingChannel

TOKEN = "scrape-token-for-tests"


def _client(db_engine: Engine, clock: FixedClock, tmp: Path, **settings: Any) -> TestClient:
    from web.app import create_app

    made = Settings(database_url="sqlite://", outbox_dir=str(tmp / "outbox"), **settings)
    return TestClient(
        create_app(made, clock=clock, engine=db_engine), raise_server_exceptions=False
    )


@pytest.fixture
def ops_client(db_engine: Engine, clock: FixedClock, tmp_path: Path) -> Iterator[TestClient]:
    with _client(db_engine, clock, tmp_path, metrics_token=TOKEN) as c:
        yield c


def _lines(text: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.getvalue().splitlines() if line.strip()]


def test_each_request_is_one_json_line_with_the_route_template_and_no_personal_data(
    ops_client: TestClient,
    clock: FixedClock,
    log_text: io.StringIO,  # noqa: F811
) -> None:
    body = application_body(today=clock.today(), email="val.private@example.org")
    made = ops_client.post("/api/v1/applications", json=body).json()
    status_page = ops_client.get(
        f"/status/{made['status_token']}", headers={"x-request-id": "req-42"}
    )
    assert status_page.headers["x-request-id"] == "req-42"
    requests = [line for line in _lines(log_text) if line["logger"] == "ctengine.request"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("POST", "/api/v1/applications", 201),
        ("GET", "/status/{token}", 200),
    ]
    assert requests[1]["request_id"] == "req-42"
    assert len(requests[0]["request_id"]) == 32 and requests[0]["duration_ms"] >= 0
    # Everything the server logged (the test's own HTTP client logs its requests too).
    text = "\n".join(
        json.dumps(line) for line in _lines(log_text) if not line["logger"].startswith("httpx")
    )
    for secret in (made["status_token"], "val.private", made["reference"]):
        assert secret not in text, secret


def test_metrics_need_the_token_and_report_the_outbox_deadlines_and_worker(
    ops_client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    assert ops_client.get("/metrics").status_code == 404
    assert ops_client.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 404
    auth = {"authorization": f"Bearer {TOKEN}"}
    ops_client.post("/api/v1/applications", json=application_body(today=clock.today()))
    clock.advance(minutes=10)
    scraped = ops_client.get("/metrics", headers=auth)
    assert scraped.status_code == 200
    text = scraped.text
    assert "ctengine_outbox_pending 1.0" in text
    assert "ctengine_outbox_oldest_pending_age_seconds 600.0" in text
    assert "ctengine_worker_heartbeat_age_seconds -1.0" in text
    assert "ctengine_outbox_dead 0.0" in text and "ctengine_outbox_failed 0.0" in text
    assert "ctengine_deadlines_overdue 0.0" in text
    assert (
        'ctengine_http_request_duration_seconds_count{method="POST",'
        'route="/api/v1/applications",status="201"} 1.0'
    ) in text
    build_worker(Settings(), session_factory, clock=clock, channel=RecordingChannel()).run_once()
    clock.advance(days=3)  # the acknowledgement (due the next working day) is missed
    after = ops_client.get("/metrics", headers=auth).text
    assert "ctengine_outbox_pending 0.0" in after
    assert "ctengine_worker_heartbeat_age_seconds 259200.0" in after
    assert "ctengine_deadlines_overdue 1.0" in after


def test_metrics_answer_the_staff_network_without_a_token(
    db_engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    from web.app import create_app

    settings = Settings(
        database_url="sqlite://", outbox_dir=str(tmp_path / "o"), metrics_networks="127.0.0.0/8"
    )
    for base in serve(create_app(settings, clock=clock, engine=db_engine)):
        assert httpx.get(f"{base}/metrics").status_code == 200
