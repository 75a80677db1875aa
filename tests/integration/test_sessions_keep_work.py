"""Timeouts that never lose work: keep-alive without a reload, the warning on error pages,
and a staff form sent after the idle limit given back after signing in again."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import StaffDraft
from tests.factories import load_case
from tests.integration.test_community_trigger_journey import Journey
from tests.integration.test_public_flow import Visitor
from tests.integration.test_staff_login import PASSWORD, Staff, browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
OWNER = re.compile(r'name="draft_owner" value="([^"]+)"')
REASONS = "Three incidents in six months,\nall reported to the police."


@pytest.fixture
def visitor(client: Any) -> Visitor:
    return Visitor(client)


def test_a_page_answered_with_errors_keeps_the_warning_and_the_deletion_time(
    visitor: Visitor,
) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    page = visitor.post("/apply/your-name", {"name": ""}, status=422).text
    assert "There is a problem" in page
    assert 'data-ct-expires-in="3600"' in page
    assert "we will delete your answers at 11:00am unless you carry on" in page
    assert "If you do nothing until 11:00am, we delete them" in page


def test_keep_alive_answers_a_script_with_the_new_time_and_no_reload(
    visitor: Visitor, clock: FixedClock
) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    clock.advance(minutes=50)
    response = visitor.client.post(
        "/apply/keep-alive",
        data={"csrf_token": visitor.csrf(), "back": "/apply/your-name"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == {"expires_at": "11:50am", "expires_in": 3600}
    assert response.headers["cache-control"] == "no-store"


def test_keep_alive_says_when_the_answers_are_already_gone(
    visitor: Visitor, clock: FixedClock
) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    token = visitor.csrf()
    clock.advance(minutes=61)
    response = visitor.client.post(
        "/apply/keep-alive", data={"csrf_token": token}, headers={"accept": "application/json"}
    )
    assert response.status_code == 410 and response.json() == {"expired": True}


def test_exit_this_page_deletes_the_answers_so_back_shows_nothing(visitor: Visitor) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    visitor.next("/apply/your-name", {"name": "Val Victim"})
    leaving = visitor.get("/exit")
    assert 'content="0;url=https://www.bbc.co.uk/weather"' in leaving.text
    assert 'href="https://www.bbc.co.uk/weather"' in leaving.text  # if refresh is off
    assert 'ct_session=""' in leaving.headers["set-cookie"]
    assert leaving.headers["cache-control"] == "no-store"
    # The browser may not drop the cookie (an old tab): the answers are gone anyway.
    back = visitor.client.get("/apply/your-name", follow_redirects=False)
    assert "Val Victim" not in back.text
    assert back.status_code == 303


# --- staff -------------------------------------------------------------------------------


@pytest.fixture
def journey(session_factory: SessionFactory, clock: FixedClock) -> Journey:
    j = Journey(session_factory, clock)
    j.fire("acknowledge", "contact")
    return j


def as_user(app: Any, session: Session, clock: FixedClock, email: str) -> Staff:
    me = browser_for(app, session, clock, email)
    me.sign_in()
    return me


def version(sessions: SessionFactory, ref: str) -> str:
    with sessions() as s:
        return str(load_case(s, ref).version)


def test_staff_pages_carry_the_idle_warning_and_keep_alive_extends_it(
    app: Any, session: Session, clock: FixedClock, journey: Journey
) -> None:
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    page = chair.get("/staff").text
    assert 'data-ct-expires-in="1740"' in page and 'data-ct-on-expiry="stay"' in page
    assert "We will sign you out at 10:29am if you do nothing." in page
    clock.advance(minutes=20)
    response = chair.client.post(
        "/staff/keep-alive", data={"csrf_token": chair.csrf}, headers={"accept": "application/json"}
    )
    assert response.json() == {"expires_at": "10:49am", "expires_in": 1740}
    clock.advance(minutes=25)  # 45 minutes after signing in, 25 after the keep-alive
    chair.get("/staff")


def test_a_staff_form_sent_after_the_idle_limit_comes_back_after_signing_in(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    journey: Journey,
) -> None:
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    url = f"/staff/cases/{journey.ref}/events/threshold_met"
    owner = OWNER.search(chair.get(url).text)
    assert owner is not None
    v = version(session_factory, journey.ref)
    clock.advance(minutes=31)
    sent = chair.post(url, {"version": v, "reasons": REASONS, "draft_owner": owner.group(1)})
    assert sent.headers["location"] == "/staff/login?kept=1"
    assert version(session_factory, journey.ref) == v  # nothing recorded while signed out
    assert "We kept what you typed" in chair.get("/staff/login?kept=1").text
    chair.post("/staff/login", {"email": chair.email, "password": PASSWORD})
    chair.get("/staff/login/code")
    back = chair.post("/staff/login/code", {"code": chair.code()})
    assert re.fullmatch(rf"{url}\?draft=\d+", back.headers["location"])
    form = chair.get(back.headers["location"]).text
    assert html.escape(REASONS, quote=False) in form
    assert "What you typed is back in the form" in form
    # Given back once: the draft is gone, and the form sends as usual.
    assert REASONS not in chair.get(back.headers["location"]).text
    chair.post(url, {"version": v, "reasons": REASONS})
    assert version(session_factory, journey.ref) == str(int(v) + 1)


def test_a_kept_form_is_only_ever_given_to_its_writer(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    journey: Journey,
) -> None:
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    url = f"/staff/cases/{journey.ref}/events/threshold_met"
    owner = OWNER.search(chair.get(url).text)
    assert owner is not None
    clock.advance(minutes=31)
    chair.post(url, {"version": "2", "reasons": REASONS, "draft_owner": owner.group(1)})
    with session_factory() as s:
        draft = s.exec(select(StaffDraft)).one()
    other = as_user(app, session, clock, journey.staff["contact"].email)
    other.get(f"/staff/cases/{journey.ref}?draft={draft.id}")
    page = other.get(f"/staff/cases/{journey.ref}/events/threshold_met?draft={draft.id}", 403)
    assert REASONS not in page.text
    # A forged or borrowed owner field keeps nothing: it is bound to the browser it was
    # written for.
    from fastapi.testclient import TestClient

    stranger = Staff(TestClient(app, raise_server_exceptions=False), clock, "", "")
    stranger.get("/staff/login")
    forged = stranger.post(url, {"version": "2", "reasons": "x", "draft_owner": owner.group(1)})
    assert forged.headers["location"] == "/staff/login"
    with session_factory() as s:
        assert len(s.exec(select(StaffDraft)).all()) == 1


def test_the_changed_page_offers_back_what_was_typed(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    journey: Journey,
) -> None:
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    url = f"/staff/cases/{journey.ref}/events/threshold_not_met"
    chair.get(url)
    stale = version(session_factory, journey.ref)
    journey.fire("threshold_met", "jag_chair", {"reasons": "Someone else decided."})
    page = chair.post(url, {"version": stale, "reasons": REASONS}, status=409).text
    assert "This case changed since you opened it" in page
    assert "What you typed" in page
    assert html.escape(REASONS, quote=False) in page


def test_a_kept_intake_form_comes_back_on_its_own_page(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, journey: Journey
) -> None:
    contact = as_user(app, session, clock, journey.staff["contact"].email)
    owner = OWNER.search(contact.get("/staff/complaints/new").text)
    assert owner is not None
    clock.advance(minutes=31)
    said = "Loud music every night since March; neighbours at number 4."
    data = {"name": "Sam Neighbour", "description": said, "draft_owner": owner.group(1)}
    assert contact.post("/staff/complaints/new", data).headers["location"] == (
        "/staff/login?kept=1"
    )
    contact.sign_in()
    with session_factory() as s:
        draft = s.exec(select(StaffDraft)).one()
    page = contact.get(f"/staff/complaints/new?draft={draft.id}").text
    assert 'value="Sam Neighbour"' in page and html.escape(said, quote=False) in page
