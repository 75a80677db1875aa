"""A client that never heard the answer sends again: the same key answers the first result
and stores nothing new (the API's Idempotency-Key header, and the public form's cookie)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, IdempotentRequest, OutboxMessage
from tests.factories import application_body
from tests.integration.test_public_flow import Visitor, count, fill_in_everything

API = "/api/v1/applications"


def test_a_retry_with_the_same_key_answers_the_first_result_and_stores_nothing(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    body = application_body(today=clock.today())
    key = {"Idempotency-Key": "4b7e2f0a-retry-1"}
    first = client.post(API, json=body, headers=key)
    again = client.post(API, json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert count(session_factory, Case) == 1
    assert count(session_factory, OutboxMessage) == 1  # one receipt
    other = client.post(API, json=body, headers={"Idempotency-Key": "another-key"})
    assert other.status_code == 201 and other.json()["reference"] != first.json()["reference"]


def test_the_same_key_with_a_different_body_is_refused_and_stores_nothing(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    key = {"Idempotency-Key": "key-1"}
    assert client.post(API, json=application_body(today=clock.today()), headers=key).is_success
    changed = application_body(today=clock.today(), email="someone.else@example.org")
    refused = client.post(API, json=changed, headers=key)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["field"] == "Idempotency-Key"
    assert count(session_factory, Case) == 1


@pytest.mark.parametrize("bad", ["", "has space", "x" * 101])
def test_a_malformed_key_is_a_422_naming_the_header(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory, bad: str
) -> None:
    answer = client.post(
        API, json=application_body(today=clock.today()), headers={"Idempotency-Key": bad}
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "Idempotency-Key"
    assert count(session_factory, Case) == 0


def test_two_requests_racing_with_one_key_open_one_case(
    live_server: str, clock: FixedClock, session_factory: SessionFactory
) -> None:
    body = application_body(today=clock.today())
    start = threading.Barrier(4)
    answers: list[dict[str, Any]] = []

    def send() -> None:
        with httpx.Client(base_url=live_server, timeout=30) as c:
            start.wait()
            answers.append(c.post(API, json=body, headers={"Idempotency-Key": "race"}).json())

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 4 and all(a == answers[0] for a in answers), answers
    assert count(session_factory, Case) == 1


def test_the_public_form_sent_again_after_a_lost_answer_shows_the_same_case(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    visitor = Visitor(client)
    fill_in_everything(visitor, clock.today())
    token = visitor.csrf()
    cookies = dict(client.cookies)
    assert visitor.next("/apply/check", {"declaration": "yes"}) == "/apply/confirmation"
    first = client.get("/apply/confirmation").text

    client.cookies.clear()  # the browser never got that answer: it still has its old cookie
    client.cookies.update(cookies)
    again = client.post(
        "/apply/check", data={"csrf_token": token, "declaration": "yes"}, follow_redirects=False
    )
    assert again.headers["location"] == "/apply/confirmation"
    assert client.get("/apply/confirmation").text == first
    assert count(session_factory, Case) == 1
    with session_factory() as s:
        [kept] = s.exec(select(IdempotentRequest)).all()
    assert kept.key.startswith("form:") and cookies["ct_session"] not in kept.key
