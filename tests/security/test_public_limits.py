"""Limits per client on every public write, the client keyed on the last trusted proxy hop,
saved answers kept only under a token the server issued, receipts per recipient, status
links that expire and are never logged, and no-store on the API (issue 16, holes 1, 4-6, 9)."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, update
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, FormSession, OutboxMessage
from engine.settings import Settings
from tests.factories import application_body, make_case
from tests.integration.test_public_flow import CSRF, Visitor

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
API = "/api/v1"


def count(sessions: SessionFactory, model: type, *where: Any) -> int:
    with sessions() as s:
        return int(s.exec(select(func.count()).select_from(model).where(*where)).one())


def app_with(settings: Settings, clock: FixedClock, db_engine: Engine, **changes: Any) -> Any:
    from web.app import create_app

    return create_app(settings.model_copy(update=changes), clock=clock, engine=db_engine)


def client_for(app: Any, address: str = "203.0.113.7") -> Any:
    from fastapi.testclient import TestClient

    return TestClient(app, raise_server_exceptions=False, client=(address, 5000))


def test_api_applications_are_limited_per_client(
    settings: Settings, clock: FixedClock, db_engine: Engine, session_factory: SessionFactory
) -> None:
    app = app_with(settings, clock, db_engine, submit_rate_limit="3/hour")
    body = application_body(today=clock.today())
    with client_for(app) as client:
        answers = [client.post(f"{API}/applications", json=body).status_code for _ in range(5)]
    assert answers == [201, 201, 201, 429, 429]
    assert count(session_factory, Case) == 3
    with client_for(app, "198.51.100.9") as other:
        assert other.post(f"{API}/applications", json=body).status_code == 201


def test_a_refused_api_call_is_problem_json_with_retry_after(
    settings: Settings, clock: FixedClock, db_engine: Engine
) -> None:
    app = app_with(settings, clock, db_engine, check_rate_limit="2/hour")
    body = {"area": "llr", "application_date": clock.today().isoformat(), "reports": []}
    with client_for(app) as client:
        for _ in range(2):
            assert client.post(f"{API}/threshold-check", json=body).status_code == 200
        refused = client.post(f"{API}/threshold-check", json=body)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert int(refused.headers["retry-after"]) > 0
    clock.advance(hours=1, seconds=1)
    with client_for(app) as client:
        assert client.post(f"{API}/threshold-check", json=body).status_code == 200


def test_receipts_to_one_address_are_limited_per_day(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        for _ in range(5):
            make_case(s, clock, email="stranger@example.org")
    assert count(session_factory, Case) == 5
    mailed = OutboxMessage.recipient == "stranger@example.org"
    assert count(session_factory, OutboxMessage, mailed) == 3
    clock.advance(days=1, seconds=1)
    with session_factory() as s:
        make_case(s, clock, email="stranger@example.org")
    assert count(session_factory, OutboxMessage, mailed) == 4


def _start_answers(client: Any) -> httpx.Response:
    visitor = Visitor(client)
    return client.post(
        "/apply/who", data={"csrf_token": visitor.csrf(), "role": "victim"}, follow_redirects=False
    )


def test_new_sets_of_saved_answers_are_limited_per_client(
    settings: Settings, clock: FixedClock, db_engine: Engine, session_factory: SessionFactory
) -> None:
    app = app_with(settings, clock, db_engine, answers_rate_limit="2/hour")
    statuses = []
    for _ in range(3):
        with client_for(app) as client:  # a fresh browser (no cookie) each time
            statuses.append(_start_answers(client).status_code)
    assert statuses == [303, 303, 429]
    assert count(session_factory, FormSession) == 2


def test_a_planted_cookie_keys_no_answers_and_the_token_rotates_at_the_first_save(
    app: Any, session_factory: SessionFactory
) -> None:
    planted = "A" * 43
    with client_for(app) as client:
        cookie = {"cookie": f"ct_session={planted}"}
        page = client.get("/apply/who", headers=cookie)
        assert planted not in page.headers.get("set-cookie", planted)  # a new one is issued
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        client.cookies.clear()
        sent = client.post(
            "/apply/who",
            data={"csrf_token": token, "role": "victim"},
            headers=cookie,
            follow_redirects=False,
        )
        assert sent.status_code == 403  # the page's token belongs to the issued cookie
    with session_factory() as s:
        ids = list(s.exec(select(FormSession.id)).all())
    assert hashlib.sha256(planted.encode()).hexdigest() not in ids
    assert ids == []


def test_the_browser_token_changes_at_the_first_save(
    app: Any, session_factory: SessionFactory
) -> None:
    with client_for(app) as client:
        Visitor(client).get("/apply/who")
        before = client.cookies.get("ct_session")
        assert _start_answers(client).status_code == 303
        after = client.cookies.get("ct_session")
    assert before and after and before != after
    # The cookie is "seed.token" signed; the answers are kept under the new token only.
    token = lambda cookie: cookie.rsplit(".", 1)[0].split(".", 1)[1]  # noqa: E731
    with session_factory() as s:
        ids = list(s.exec(select(FormSession.id)).all())
    assert ids == [hashlib.sha256(token(after).encode()).hexdigest()]
    assert hashlib.sha256(token(before).encode()).hexdigest() not in ids


def test_saved_answers_have_a_size_cap(session_factory: SessionFactory, clock: FixedClock) -> None:
    from engine.errors import TooLarge
    from web.public.state import put
    from workflows.community_trigger.services import form_sessions

    token = form_sessions.new_token()
    with session_factory() as s:
        form_sessions.update(
            s, clock=clock, token=token, idle_minutes=60, change=put("role", "victim")
        )
        with pytest.raises(TooLarge):
            form_sessions.update(
                s, clock=clock, token=token, idle_minutes=60, change=put("impact", "x" * 70_000)
            )
    with session_factory() as s:
        rows = s.exec(select(FormSession.answers)).all()
    assert rows == [{"role": "victim"}]


# --- the client address -----------------------------------------------------------------


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_trusted(
    settings: Settings, clock: FixedClock, db_engine: Engine
) -> None:
    body = {"area": "llr", "application_date": clock.today().isoformat(), "reports": []}
    app = app_with(settings, clock, db_engine, check_rate_limit="2/hour")
    with client_for(app, "127.0.0.1") as client:
        answers = [
            client.post(
                f"{API}/threshold-check", json=body, headers={"x-forwarded-for": f"10.0.0.{i}"}
            ).status_code
            for i in range(4)
        ]
    assert answers == [200, 200, 429, 429]


def test_behind_a_trusted_proxy_the_client_is_the_last_untrusted_hop(
    settings: Settings, clock: FixedClock, db_engine: Engine
) -> None:
    body = {"area": "llr", "application_date": clock.today().isoformat(), "reports": []}
    app = app_with(
        settings, clock, db_engine, check_rate_limit="2/hour", trusted_proxies="10.1.0.0/16"
    )

    def post(hops: str) -> int:
        with client_for(app, "10.1.2.3") as client:
            sent = client.post(
                f"{API}/threshold-check", json=body, headers={"x-forwarded-for": hops}
            )
            return int(sent.status_code)

    # A client who writes their own X-Forwarded-For is still known by the hop the proxy saw.
    assert [post(f"1.1.1.{i}, 192.0.2.50") for i in range(3)] == [200, 200, 429]
    # Another real client behind the same proxy has a bucket of their own.
    assert post("192.0.2.51") == 200
    # A chain of trusted proxies is walked back to the last untrusted hop.
    assert post("192.0.2.52, 10.1.9.9") == 200


def test_the_server_itself_does_not_believe_x_forwarded_for(
    settings: Settings, clock: FixedClock, db_engine: Engine
) -> None:
    """`ctengine serve` runs uvicorn with web.server's options (uvicorn's default trusts
    the header from any peer on 127.0.0.1)."""
    import uvicorn

    from web.server import uvicorn_options

    app = app_with(settings, clock, db_engine, check_rate_limit="2/hour")
    body = {"area": "llr", "application_date": clock.today().isoformat(), "reports": []}
    for url in _served(app, uvicorn, uvicorn_options()):
        answers = [
            httpx.post(
                f"{url}{API}/threshold-check", json=body, headers={"x-forwarded-for": f"10.0.0.{i}"}
            ).status_code
            for i in range(3)
        ]
    assert answers == [200, 200, 429]


def _served(app: Any, uvicorn: Any, options: dict[str, Any]) -> Any:
    import socket
    import threading

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = {**options, "log_level": "info"}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)  # waiting for a server to start, not for domain time
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- status links -------------------------------------------------------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_the_access_log_never_holds_a_status_token(
    settings: Settings, clock: FixedClock, db_engine: Engine, session_factory: SessionFactory
) -> None:
    import uvicorn

    from web.server import uvicorn_options

    with session_factory() as s:
        token = make_case(s, clock).status_token
    app = app_with(settings, clock, db_engine)
    records = _Records()
    for url in _served(app, uvicorn, uvicorn_options()):
        # uvicorn configures its loggers as the server starts: listen on its access logger's
        # handlers, as a log file or journal would.
        access = logging.getLogger("uvicorn.access")
        for handler in access.handlers:
            for f in handler.filters:
                records.addFilter(f)
        access.addHandler(records)
        try:
            assert httpx.get(f"{url}/status/{token}").status_code == 200
            assert httpx.get(f"{url}/status/{token}?x=1").status_code == 200
        finally:
            access.removeHandler(records)
    assert records.lines and all(token not in line for line in records.lines)
    assert any("/status/…" in line for line in records.lines)


def test_a_status_link_expires_a_set_time_after_the_case_closes(
    app: Any, clock: FixedClock, session_factory: SessionFactory
) -> None:
    with session_factory() as s:
        done = make_case(s, clock)
        s.exec(
            update(Case)
            .where(Case.reference == done.reference)
            .values(state="closed", closed_at=clock.now())
        )
        s.commit()
    with client_for(app) as client:
        clock.advance(days=89)
        assert client.get(f"/status/{done.status_token}").status_code == 200
        clock.advance(days=1, seconds=1)
        assert client.get(f"/status/{done.status_token}").status_code == 404


def test_the_status_link_lifetime_is_a_setting(
    settings: Settings, clock: FixedClock, db_engine: Engine, session_factory: SessionFactory
) -> None:
    with session_factory() as s:
        done = make_case(s, clock)
        s.exec(update(Case).values(closed_at=clock.now() - timedelta(days=10)))
        s.commit()
    app = app_with(settings, clock, db_engine, status_link_days=7)
    with client_for(app) as client:
        assert client.get(f"/status/{done.status_token}").status_code == 404


# --- no-store ---------------------------------------------------------------------------


def test_every_api_answer_says_no_store(
    app: Any, session_factory: SessionFactory, clock: FixedClock
) -> None:
    body = application_body(today=clock.today())
    with client_for(app) as client:
        created = client.post(f"{API}/applications", json=body)
        refused = client.get(f"{API}/cases/{created.json()['reference']}")
        invalid = client.post(f"{API}/applications", json={"x": 1})
    for response in (created, refused, invalid):
        assert response.headers.get("cache-control") == "no-store", response.status_code
