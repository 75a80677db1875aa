"""The public pages' protections: CSRF, cookies, headers, rate limits and idle expiry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, FormSession
from engine.settings import Settings
from tests.integration.test_public_flow import Visitor, errors, fill_in_everything

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture
def visitor(client: TestClient) -> Iterator[Visitor]:
    yield Visitor(client)


def rows(session_factory: SessionFactory, model: type) -> int:
    with session_factory() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def make_client(app: FastAPI, base_url: str = "http://testserver") -> TestClient:
    from fastapi.testclient import TestClient

    return TestClient(app, base_url=base_url, raise_server_exceptions=False)


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "0" * 64], ids=["missing", "empty", "forged"])
def test_a_form_without_this_browsers_token_is_refused(
    visitor: Visitor, session_factory: SessionFactory, token: str | None
) -> None:
    visitor.get("/apply/who")
    data = {"role": "victim"} | ({} if token is None else {"csrf_token": token})
    response = visitor.client.post("/apply/who", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "Sorry, there is a problem with this page" in response.text
    assert rows(session_factory, FormSession) == 0


def test_a_token_from_another_browser_is_refused(
    app: FastAPI, session_factory: SessionFactory
) -> None:
    with make_client(app) as first, make_client(app) as second:
        mine = Visitor(first).csrf()
        Visitor(second).get("/apply/who")
        response = second.post("/apply/who", data={"csrf_token": mine, "role": "victim"})
    assert response.status_code == 403
    assert rows(session_factory, FormSession) == 0


def test_a_post_with_no_cookie_at_all_is_refused(app: FastAPI) -> None:
    with make_client(app) as fresh:
        response = fresh.post("/apply/who", data={"csrf_token": "x", "role": "victim"})
    assert response.status_code == 403


# --- cookies and headers ------------------------------------------------------------------


def test_over_http_the_cookie_is_httponly_and_samesite(visitor: Visitor) -> None:
    cookie = visitor.get("/apply/who").headers["set-cookie"]
    assert cookie.startswith("ct_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie


def test_over_https_the_cookie_is_secure_host_only_and_hsts_is_sent(app: FastAPI) -> None:
    with make_client(app, "https://testserver") as secure:
        response = secure.get("/apply/who")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-ct_session=")
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        visitor = Visitor(secure)
        assert visitor.next("/apply/who", {"role": "victim"}) == "/apply/your-name"


def test_pages_forbid_inline_script_and_framing(visitor: Visitor) -> None:
    for path in ("/", "/apply/who", "/check", "/nope"):
        headers = visitor.client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert "strict-transport-security" not in headers  # plain http: no HSTS


def test_no_page_carries_an_inline_script(visitor: Visitor, clock: FixedClock) -> None:
    fill_in_everything(visitor, clock.today())
    for path in ("/", "/check", "/apply/who", "/apply/incidents", "/apply/check"):
        page = visitor.get(path).text
        assert "<script>" not in page and "onclick" not in page
        assert '<script src="/static/js-enabled.js"></script>' in page


def test_answer_pages_are_never_cached(visitor: Visitor) -> None:
    assert visitor.get("/apply/who").headers["cache-control"] == "no-store"


def test_the_api_keeps_its_own_headers_and_problem_answers(visitor: Visitor) -> None:
    response = visitor.client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (
        response.headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
    )


def test_the_assets_are_served(visitor: Visitor) -> None:
    assert visitor.client.get("/static/init.mjs").status_code == 200
    assert visitor.client.get("/assets/does-not-exist.css").status_code == 404


# --- rate limits --------------------------------------------------------------------------


@pytest.fixture
def strict_app(settings: Settings, clock: FixedClock, db_engine: Engine) -> FastAPI:
    from web.app import create_app

    tight = settings.model_copy(
        update={"submit_rate_limit": "2/hour", "check_rate_limit": "3/hour"}
    )
    return create_app(tight, clock=clock, engine=db_engine)


def test_too_many_prechecks_get_a_too_many_requests_page(strict_app: FastAPI) -> None:
    with make_client(strict_app) as client:
        statuses = [
            client.get("/check/result", follow_redirects=False).status_code for _ in range(4)
        ]
        last = client.get("/check/result")
    assert statuses == [303, 303, 303, 429]
    assert last.status_code == 429
    assert "Sorry, there have been too many attempts" in last.text
    assert last.headers["retry-after"] == "3600"


def test_too_many_submissions_are_refused_and_store_nothing(
    strict_app: FastAPI, clock: FixedClock, session_factory: SessionFactory
) -> None:
    with make_client(strict_app) as client:
        visitor = Visitor(client)
        fill_in_everything(visitor, clock.today())
        visitor.post("/apply/check", {}, status=422)
        visitor.post("/apply/check", {}, status=422)
        response = visitor.post("/apply/check", {"declaration": "yes"}, status=429)
    assert "too many attempts" in response.text
    assert rows(session_factory, Case) == 0
    assert rows(session_factory, FormSession) == 1, "the answers are kept for later"


# --- idle expiry --------------------------------------------------------------------------


def test_answers_are_deleted_after_an_hour_without_activity(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    visitor.next("/apply/your-name", {"name": "Val"})
    clock.advance(minutes=59)
    assert 'value="Val"' in visitor.get("/apply/your-name").text  # viewing counts as activity
    clock.advance(minutes=60, seconds=1)
    assert visitor.get("/apply/your-name", status=303).headers["location"] == (
        "/apply/session-expired"
    )
    assert rows(session_factory, FormSession) == 0
    page = visitor.get("/apply/session-expired").text
    assert "Your answers have been deleted" in page and "60 minutes" in page


def test_posting_to_expired_answers_saves_nothing(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    clock.advance(minutes=61)
    assert visitor.next("/apply/your-name", {"name": "Val"}) == "/apply/session-expired"
    assert rows(session_factory, FormSession) == 0


def test_pages_warn_when_the_answers_will_be_deleted(visitor: Visitor) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    page = visitor.get("/apply/your-name").text
    # 10:00 GMT on the fixed clock, so deleted at 11:00am; the script warns 5 minutes before.
    assert 'data-ct-expires-in="3600"' in page
    assert "we will delete your answers at 11:00am unless you carry on" in page
    assert "If you do nothing until 11:00am, we delete them" in page


def test_keep_my_answers_pushes_the_expiry_back(visitor: Visitor, clock: FixedClock) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    clock.advance(minutes=56)
    assert visitor.next("/apply/keep-alive", {"back": "/apply/your-name"}) == "/apply/your-name"
    clock.advance(minutes=56)  # 112 minutes after the last answer, 56 after "keep"
    assert "12:52pm" in visitor.get("/apply/your-name").text


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_keep_alive_never_redirects_off_the_site(visitor: Visitor, back: str) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    assert visitor.next("/apply/keep-alive", {"back": back}) == "/apply"


def test_abandoned_answers_are_purged_when_the_next_person_starts(
    app: FastAPI, clock: FixedClock, session_factory: SessionFactory
) -> None:
    with make_client(app) as first:
        Visitor(first).next("/apply/who", {"role": "victim"})
    clock.advance(minutes=61)
    with make_client(app) as second:
        Visitor(second).next("/apply/who", {"role": "group"})
    with session_factory() as s:
        assert [r.answers["who"]["role"] for r in s.exec(select(FormSession)).all()] == ["group"]


def test_delete_my_answers(visitor: Visitor, session_factory: SessionFactory) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    assert visitor.next("/apply/delete", {}) == "/"
    assert rows(session_factory, FormSession) == 0
    assert errors(visitor.client.get("/apply/who")) == []
