"""The public form end to end over HTTP: pre-check, every question, submit, confirmation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from engine import case_detail
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import (
    Case,
    EqualitiesHeld,
    EqualitiesResponse,
    FormSession,
    Incident,
    OutboxMessage,
    Party,
    Report,
)

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

# Starlette 1.10 warns when its test client runs on httpx rather than httpx2.
pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ERROR_MESSAGE = re.compile(
    r'class="govuk-error-message"[^>]*>\s*<span[^>]*>Error:</span>\s*(.*?)\s*<'
)
H1 = re.compile(r"<h1[^>]*>\s*(.*?)\s*</h1>", re.S)


class Visitor:
    """One browser on the public pages: keeps its cookie, finds its CSRF token, posts forms."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._csrf: str | None = None

    def get(self, path: str, status: int = 200) -> httpx.Response:
        response = self.client.get(path, follow_redirects=False)
        assert response.status_code == status, (path, response.status_code, response.text[:500])
        self._remember(response)
        return response

    def _remember(self, response: httpx.Response) -> None:
        found = CSRF.search(response.text)
        if found:
            self._csrf = found.group(1)

    def csrf(self) -> str:
        if self._csrf is None:
            self.get("/apply/who")
        assert self._csrf is not None
        return self._csrf

    def post(self, path: str, data: dict[str, Any], status: int = 303) -> httpx.Response:
        response = self.client.post(
            path, data={"csrf_token": self.csrf(), **data}, follow_redirects=False
        )
        assert response.status_code == status, (path, response.status_code, errors(response))
        self._remember(response)
        return response

    def next(self, path: str, data: dict[str, Any]) -> str:
        """Post a page and return where it sends the person."""
        return str(self.post(path, data).headers["location"])


def errors(response: httpx.Response) -> list[str]:
    return [m.strip() for m in ERROR_MESSAGE.findall(response.text)]


def heading(response: httpx.Response) -> str:
    found = H1.search(response.text)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def date_fields(name: str, day: date) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


def incident_fields(day: date, **extra: str) -> dict[str, str]:
    return {
        **date_fields("date", day),
        "description": "Shouting and banging at night.",
        "because": "none",
        **extra,
    }


def report_fields(day: date, agency: str = "police", **extra: str) -> dict[str, str]:
    return {"agency": agency, **date_fields("date", day), **extra}


def fill_in_everything(
    visitor: Visitor, today: date, *, role: str = "victim", incidents: int = 3
) -> None:
    """Answer every question (with `incidents` incidents, each reported next day)."""
    visitor.next("/apply/who", {"role": role})
    if role != "victim":
        visitor.next("/apply/permission", {"given": "yes"})
        visitor.next("/apply/permission-details", {"how": "Told me by phone on 1 March"})
    visitor.next("/apply/your-name", {"name": "Val Victim"})
    if role != "victim":
        visitor.next("/apply/victim", {"name": "Vic Neighbour"})
    visitor.next(
        "/apply/address", {"line1": "1 High Street", "town": "Leicester", "postcode": "LE1 6ZG"}
    )
    visitor.next("/apply/contact", {"preference": "email"})
    visitor.next("/apply/contact-details", {"email": "val@example.org"})
    visitor.next("/apply/needs", {"details": "Large print letters"})
    for n in range(incidents):
        happened = today - timedelta(days=20 + 7 * n)
        visitor.next("/apply/incidents/new", incident_fields(happened))
        visitor.next(
            f"/apply/incidents/{n + 1}/reports/new",
            report_fields(happened + timedelta(days=1), reference=f"PR{n + 1}"),
        )
    visitor.next("/apply/incidents", {})
    visitor.next("/apply/impact", {"text": "I cannot sleep."})
    visitor.next("/apply/vulnerabilities", {"details": ""})
    visitor.next("/apply/outcome", {"text": "I want it to stop."})
    visitor.next("/apply/involvement", {"choice": "attend"})
    visitor.next("/apply/sharing", {"agree": "yes"})
    visitor.next("/apply/equalities", {"age": "35_44", "religion": "prefer_not_to_say"})


def count(session_factory: SessionFactory, model: Any) -> int:
    with session_factory() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def visitor(client: TestClient) -> Iterator[Visitor]:
    yield Visitor(client)


# --- the journey --------------------------------------------------------------------------


def test_an_application_sent_online_opens_a_case_and_queues_the_receipt(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    fill_in_everything(visitor, clock.today())
    assert visitor.get("/apply/check").status_code == 200

    assert visitor.next("/apply/check", {"declaration": "yes"}) == "/apply/confirmation"

    with session_factory() as s:
        case = case_detail.with_detail(s, s.exec(select(Case)).one())
        assert (case.reference, case.state, case.channel) == (
            "CT-2026-000001",
            "submitted",
            "online",
        )
        assert (case.locality_id, case.involvement, case.accessibility_needs) == (
            "leicester",
            "attend",
            "Large print letters",
        )
        assert case.threshold_assessment["route"] == "three_incidents"
        party = s.exec(select(Party)).one()
        assert (party.name, party.email, party.postcode) == (
            "Val Victim",
            "val@example.org",
            "LE1 6ZG",
        )
        assert len(s.exec(select(Incident)).all()) == 3
        assert [r.reference for r in s.exec(select(Report).order_by(Report.id)).all()] == [
            "PR1",
            "PR2",
            "PR3",
        ]
        receipt = s.exec(select(OutboxMessage)).one()
        assert (receipt.message, receipt.recipient) == ("application_received", "val@example.org")
    assert count(session_factory, FormSession) == 0, "sent answers are deleted at once"


def test_the_confirmation_gives_the_reference_the_dates_and_a_private_status_link(
    visitor: Visitor, clock: FixedClock
) -> None:
    fill_in_everything(visitor, clock.today())
    visitor.next("/apply/check", {"declaration": "yes"})
    page = visitor.get("/apply/confirmation").text

    assert "Your reference number<br><strong>CT-2026-000001</strong>" in page
    # Monday 2 March 2026: 1 working day to acknowledge, 14 days to decide the threshold.
    assert "Tuesday 3 March 2026" in page
    assert "Monday 16 March 2026" in page
    assert "within 28 days of the threshold decision" in page
    link = re.search(r'href="/status/([A-Za-z0-9_-]{43})"', page)
    assert link, page
    status = visitor.get(f"/status/{link.group(1)}")
    assert "We received your application" in status.text
    assert status.headers["x-robots-tag"] == "noindex, nofollow"


def test_the_status_token_is_stored_only_as_a_hash(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    fill_in_everything(visitor, clock.today())
    visitor.next("/apply/check", {"declaration": "yes"})
    token = re.search(r"/status/([A-Za-z0-9_-]{43})", visitor.get("/apply/confirmation").text)
    assert token is not None
    with session_factory() as s:
        case = case_detail.with_detail(s, s.exec(select(Case)).one())
        assert token.group(1) not in case.status_token_hash
        assert len(case.status_token_hash) == 64


def test_sending_twice_opens_one_case(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory, client: TestClient
) -> None:
    fill_in_everything(visitor, clock.today())
    token = visitor.csrf()
    old_cookie = dict(client.cookies)
    visitor.next("/apply/check", {"declaration": "yes"})

    # The same form again, from the old cookie (a double click, or the back button).
    client.cookies.clear()
    client.cookies.update(old_cookie)
    again = client.post(
        "/apply/check", data={"csrf_token": token, "declaration": "yes"}, follow_redirects=False
    )
    # Issue 11: a repeat of the "Send" (its answer lost) is answered with the first result,
    # the same case's confirmation, instead of "session expired" (which asked for a new one).
    assert again.headers["location"] == "/apply/confirmation"
    assert count(session_factory, Case) == 1


def test_sending_starts_a_new_browser_session(
    visitor: Visitor, clock: FixedClock, client: TestClient
) -> None:
    fill_in_everything(visitor, clock.today())
    before = client.cookies.get("ct_session")
    visitor.next("/apply/check", {"declaration": "yes"})
    assert client.cookies.get("ct_session") not in (None, before)


def test_someone_applying_for_a_victim_records_both_people_and_the_permission(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    fill_in_everything(visitor, clock.today(), role="representative")
    visitor.next("/apply/check", {"declaration": "yes"})
    with session_factory() as s:
        people = {p.kind: p for p in s.exec(select(Party)).all()}
    assert people["applicant"].role == "representative"
    assert people["applicant"].consent_detail == "Told me by phone on 1 March"
    assert (people["victim"].name, people["victim"].postcode) == ("Vic Neighbour", "LE1 6ZG")


def test_equalities_answers_are_stored_apart_with_no_way_back_to_the_case(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    fill_in_everything(visitor, clock.today())
    visitor.next("/apply/check", {"declaration": "yes"})
    # Held until enough are waiting to be released together (engine.services.equalities):
    # one answer alone is never written where it could be counted.
    with session_factory() as s:
        row = s.exec(select(EqualitiesHeld)).one()
        assert s.exec(select(EqualitiesResponse)).all() == []
    assert (row.age, row.religion, row.sex) == ("35_44", "prefer_not_to_say", None)
    assert (row.area_id, row.locality_id, row.period) == ("llr", "leicester", "2026-03")
    for table in (EqualitiesHeld, EqualitiesResponse):
        columns = {c.name for c in table.__table__.columns}  # type: ignore[attr-defined]
        assert not any("case" in c or c.endswith("_at") for c in columns)
        assert not table.__table__.foreign_keys  # type: ignore[attr-defined]


def test_skipping_equalities_stores_no_response(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    fill_in_everything(visitor, clock.today())
    visitor.next("/apply/equalities?return=check", {"skip": "yes", "age": "35_44"})
    visitor.next("/apply/check", {"declaration": "yes"})
    assert count(session_factory, EqualitiesResponse) == 0
    assert count(session_factory, EqualitiesHeld) == 0
    assert count(session_factory, Case) == 1


# --- moving around ------------------------------------------------------------------------


def test_each_page_leads_to_the_next_and_back_links_lead_back(visitor: Visitor) -> None:
    assert visitor.next("/apply/who", {"role": "victim"}) == "/apply/your-name"
    page = visitor.get("/apply/your-name").text
    assert 'href="/apply/who"' in page and "govuk-back-link" in page
    assert visitor.next("/apply/your-name", {"name": "Val"}) == "/apply/address"
    assert visitor.next("/apply/who", {"role": "group"}) == "/apply/permission"
    assert visitor.next("/apply/permission", {"given": "yes"}) == "/apply/permission-details"
    assert visitor.next("/apply/permission-details", {"how": "A letter"}) == "/apply/your-name"


def test_a_change_link_returns_to_check_answers(visitor: Visitor, clock: FixedClock) -> None:
    fill_in_everything(visitor, clock.today())
    check = visitor.get("/apply/check").text
    assert 'href="/apply/contact?return=check"' in check
    ask = visitor.next("/apply/contact?return=check", {"preference": "phone"})
    assert ask == "/apply/contact-details?return=check"
    back = visitor.next(ask, {"phone": "07700 900 982"})
    assert back == "/apply/check"
    assert "Phone: 07700 900 982" in visitor.get("/apply/check").text


def test_a_change_that_needs_more_answers_asks_for_them_first(
    visitor: Visitor, clock: FixedClock
) -> None:
    fill_in_everything(visitor, clock.today())
    assert visitor.next("/apply/who?return=check", {"role": "representative"}) == (
        "/apply/permission?return=check"
    )


def test_an_empty_optional_answer_shows_as_empty_not_as_none(visitor: Visitor) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    visitor.next("/apply/vulnerabilities", {"details": "  "})
    page = visitor.get("/apply/vulnerabilities").text
    assert re.search(r"<textarea[^>]*>\s*</textarea>", page), "an empty text box"
    assert ">None<" not in page


def test_answers_survive_a_refresh_and_the_back_button(visitor: Visitor) -> None:
    visitor.next("/apply/who", {"role": "victim"})
    visitor.next("/apply/your-name", {"name": "Val Victim"})
    again = visitor.get("/apply/your-name").text
    assert 'value="Val Victim"' in again
    assert visitor.get("/apply/who").text.count("checked") == 1


def test_the_precheck_incidents_are_carried_into_the_application(
    visitor: Visitor, clock: FixedClock
) -> None:
    happened = clock.today() - timedelta(days=10)
    visitor.next(
        "/check/incidents/new",
        {**date_fields("date", happened), "agency": "police", **date_fields("reported", happened)},
    )
    visitor.next("/apply/who", {"role": "victim"})
    page = visitor.get("/apply/incidents").text
    assert "Incident 1: 20 February 2026" in page
    assert "The police, 20 February 2026" in page
    # What happened is still to be told before the list can be finished.
    failed = visitor.post("/apply/incidents", {}, status=422)
    assert errors(failed) == ["Tell us what happened for incident 1"]


def test_incidents_and_reports_can_be_added_and_removed(
    visitor: Visitor, clock: FixedClock
) -> None:
    day = clock.today() - timedelta(days=5)
    visitor.next("/apply/who", {"role": "victim"})
    assert visitor.next("/apply/incidents/new", incident_fields(day)) == (
        "/apply/incidents/1/reports/new"
    )
    visitor.next("/apply/incidents/1/reports/new", report_fields(day, "police"))
    visitor.next("/apply/incidents/1/reports/new", report_fields(day, "council"))
    page = visitor.get("/apply/incidents").text
    assert "Report 2" in page and "The council" in page

    remove = visitor.get("/apply/incidents/1/reports/2/remove").text
    assert "remove the report to the council on 25 February 2026" in remove
    visitor.next("/apply/incidents/1/reports/2/remove", {"sure": "yes"})
    assert "Report 2" not in visitor.get("/apply/incidents").text

    visitor.next("/apply/incidents/1/remove", {"sure": "no"})
    assert "Incident 1" in visitor.get("/apply/incidents").text
    visitor.next("/apply/incidents/1/remove", {"sure": "yes"})
    assert visitor.get("/apply/incidents", status=303).headers["location"] == (
        "/apply/incidents/new"
    )


def test_the_start_page_reads_its_timescales_and_contacts_from_the_area_data(
    visitor: Visitor,
) -> None:
    page = visitor.get("/").text
    assert "We will acknowledge your application within 1 working day" in page
    assert "within 14 days of receiving your application" in page
    assert "within 20 working days of our letter" in page
    assert "0116 454 1000" in page
    assert "It is not a complaint about one agency" in page
    assert 'href="/check"' in page and 'href="/apply/who"' in page
    # The exit button leaves through /exit (which deletes the answers) for the neutral site.
    assert "Exit this page" in page and 'href="/exit"' in page
    assert "set-cookie" not in visitor.get("/").headers
    leaving = visitor.get("/exit")
    assert 'content="0;url=https://www.bbc.co.uk/weather"' in leaving.text


@pytest.mark.parametrize(
    ("hate", "incidents", "expected"),
    [
        ("no", 3, "You meet the threshold for a case review"),
        ("no", 2, "You do not meet the threshold yet, but you can still apply"),
        ("yes", 1, "You meet the threshold for a case review"),
    ],
    ids=["three_incidents", "two_incidents", "hate_incident"],
)
def test_the_precheck_says_which_route_is_met_or_why_not(
    visitor: Visitor, clock: FixedClock, hate: str, incidents: int, expected: str
) -> None:
    for n in range(incidents):
        day = clock.today() - timedelta(days=10 + 7 * n)
        visitor.next(
            "/check/incidents/new",
            {**date_fields("date", day), "agency": "police", **date_fields("reported", day)},
        )
    assert visitor.next("/check/hate", {"hate": hate}) == "/check/result"
    result = visitor.get("/check/result")
    assert heading(result) == expected
    if incidents == 2:
        assert "may still decide to hold a case review at its discretion" in result.text
        assert "does not stop you applying" in result.text
    assert result.text.count("Counts: incident on") == incidents


def test_a_report_made_too_late_is_explained_in_the_precheck(
    visitor: Visitor, clock: FixedClock
) -> None:
    day = clock.today() - timedelta(days=60)
    visitor.next(
        "/check/incidents/new",
        {
            **date_fields("date", day),
            "agency": "council",
            **date_fields("reported", day + timedelta(days=41)),
        },
    )
    visitor.next("/check/hate", {"hate": "no"})
    assert (
        "Does not count: reported 41 days after the incident" in visitor.get("/check/result").text
    )
