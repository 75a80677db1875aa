"""Bad input on the public pages: a GOV.UK error for the person, a 4xx, and nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from engine import case_detail
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, FormSession, OutboxMessage
from tests.integration.test_public_flow import (
    Visitor,
    errors,
    fill_in_everything,
    incident_fields,
    report_fields,
)

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture
def visitor(client: TestClient) -> Iterator[Visitor]:
    visitor = Visitor(client)
    visitor.next("/apply/who", {"role": "victim"})
    yield visitor


def answers(session_factory: SessionFactory) -> dict[str, Any]:
    with session_factory() as s:
        row = s.exec(select(FormSession)).one()
        return dict(row.answers)


@pytest.mark.parametrize(
    ("path", "data", "messages"),
    [
        ("/apply/who", {}, ["Select who is applying"]),
        ("/apply/who", {"role": "landlord"}, ["Select who is applying"]),
        ("/apply/your-name", {"name": "   "}, ["Enter your full name"]),
        (
            "/apply/your-name",
            {"name": "x" * 201},
            ["Your full name must be 200 characters or fewer"],
        ),
        (
            "/apply/address",
            {"line1": "", "town": "", "postcode": "not a postcode"},
            [
                "Enter address line 1, typically the building and street",
                "Enter town or city",
                "Enter a real postcode, like LE1 6ZG",
            ],
        ),
        ("/apply/contact", {}, ["Select how we should contact you"]),
        ("/apply/needs", {"details": "x" * 2001}, ["Your needs must be 2,000 characters or fewer"]),
        (
            "/apply/impact",
            {"text": "x" * 5001},
            ["How it has affected you must be 5,000 characters or fewer"],
        ),
        (
            "/apply/involvement",
            {"choice": "shout"},
            ["Select how you want to take part in the review meeting"],
        ),
    ],
    ids=[
        "no_role",
        "unknown_role",
        "blank_name",
        "long_name",
        "address",
        "no_contact",
        "long_needs",
        "long_impact",
        "unknown_choice",
    ],
)
def test_a_wrong_answer_gets_a_message_written_for_the_person_and_is_not_saved(
    visitor: Visitor,
    session_factory: SessionFactory,
    path: str,
    data: dict[str, str],
    messages: list[str],
) -> None:
    before = answers(session_factory)
    response = visitor.post(path, data, status=422)
    assert errors(response) == messages
    assert "There is a problem" in response.text
    assert "<title>Error: " in response.text
    for message in messages:
        assert response.text.count(message) == 2, "in the summary and beside the field"
    assert answers(session_factory) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Enter the date it happened"),
        ({"date-day": "3", "date-year": "2026"}, "The date it happened must include a month"),
        (
            {"date-day": "30", "date-month": "2", "date-year": "2026"},
            "The date it happened must be a real date",
        ),
        (
            {"date-day": "3", "date-month": "3", "date-year": "2026"},
            "The date it happened must be today or in the past",
        ),
        ({"date-day": "3", "date-month": "3", "date-year": "26"}, "Year must include 4 numbers"),
    ],
    ids=["empty", "no_month", "not_real", "future", "two_digit_year"],
)
def test_incident_dates_are_checked(
    visitor: Visitor,
    session_factory: SessionFactory,
    clock: FixedClock,
    fields: dict[str, str],
    message: str,
) -> None:
    blank = dict.fromkeys(("date-day", "date-month", "date-year"), "")
    data = {**incident_fields(clock.today()), **blank, **fields}
    response = visitor.post("/apply/incidents/new", data, status=422)
    assert errors(response) == [message]
    assert "incidents" not in answers(session_factory)


def test_a_month_may_be_written_as_a_word(visitor: Visitor, clock: FixedClock) -> None:
    data = {
        **incident_fields(clock.today()),
        "date-day": "1",
        "date-month": "Feb",
        "date-year": "2026",
    }
    assert visitor.next("/apply/incidents/new", data) == "/apply/incidents/1/reports/new"


def test_a_report_cannot_come_before_the_incident(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    day = clock.today() - timedelta(days=10)
    visitor.next("/apply/incidents/new", incident_fields(day))
    response = visitor.post(
        "/apply/incidents/1/reports/new", report_fields(day - timedelta(days=1)), status=422
    )
    assert errors(response) == [
        "The date you reported it must be the same as or after the date it happened "
        "(20 February 2026)"
    ]
    assert answers(session_factory)["incidents"][0]["reports"] == []


def test_an_incident_cannot_move_after_its_first_report(
    visitor: Visitor, clock: FixedClock
) -> None:
    day = clock.today() - timedelta(days=10)
    visitor.next("/apply/incidents/new", incident_fields(day))
    visitor.next("/apply/incidents/1/reports/new", report_fields(day))
    response = visitor.post(
        "/apply/incidents/1", incident_fields(day + timedelta(days=2)), status=422
    )
    assert errors(response) == [
        "The date it happened must be the same as or before the date you first reported it "
        "(20 February 2026)"
    ]


@pytest.mark.parametrize(
    ("because", "message"),
    [
        ([], "Select what you think it happened because of, or select no"),
        (["race", "none"], "Select what you think it happened because of, or select no, not both"),
        (["spite"], "Select what you think it happened because of, or select no"),
    ],
    ids=["nothing", "both", "unknown"],
)
def test_the_hate_question_needs_a_clear_answer(
    visitor: Visitor, clock: FixedClock, because: list[str], message: str
) -> None:
    data = {**incident_fields(clock.today()), "because": because}
    response = visitor.post("/apply/incidents/new", data, status=422)
    assert errors(response) == [message]


def test_a_hate_incident_records_what_it_was_because_of(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    data = {**incident_fields(clock.today()), "because": ["race", "religion"]}
    assert visitor.next("/apply/incidents/new", data) == "/apply/incidents/1/reports/new"
    incident = answers(session_factory)["incidents"][0]
    assert (incident["hate"], incident["characteristics"]) == ("yes", ["race", "religion"])


@pytest.mark.parametrize(
    ("preference", "data", "message"),
    [
        (
            "email",
            {"email": "val@"},
            "Enter an email address in the correct format, like name@example.com",
        ),
        ("email", {}, "Enter your email address"),
        (
            "phone",
            {"phone": "12"},
            "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192",
        ),
    ],
    ids=["bad_email", "no_email", "bad_phone"],
)
def test_contact_details_are_checked(
    visitor: Visitor, preference: str, data: dict[str, str], message: str
) -> None:
    assert visitor.next("/apply/contact", {"preference": preference}) == "/apply/contact-details"
    assert errors(visitor.post("/apply/contact-details", data, status=422)) == [message]


def test_post_to_the_victims_own_address_needs_no_more_details(visitor: Visitor) -> None:
    assert visitor.next("/apply/contact", {"preference": "post"}) == "/apply/needs"
    assert visitor.get("/apply/contact-details", status=303)


def test_html_in_an_answer_is_kept_as_text_and_always_escaped(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    script = '<script>alert("x")</script><b>bold</b>'
    fill_in_everything(visitor, clock.today())
    visitor.next("/apply/impact?return=check", {"text": script})
    page = visitor.get("/apply/check").text
    assert script not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in page
    visitor.next("/apply/check", {"declaration": "yes"})
    with session_factory() as s:
        assert case_detail.with_detail(s, s.exec(select(Case)).one()).impact == script


def test_control_characters_are_dropped_not_stored(
    visitor: Visitor, session_factory: SessionFactory
) -> None:
    visitor.next("/apply/your-name", {"name": "Val\x00 Vic\x07tim"})
    assert answers(session_factory)["your-name"] == {"name": "Val Victim"}


def test_a_postcode_outside_the_area_is_told_where_to_go(
    visitor: Visitor, session_factory: SessionFactory
) -> None:
    where = visitor.next(
        "/apply/address", {"line1": "1 Main St", "town": "Nottingham", "postcode": "NG1 1AA"}
    )
    assert where == "/apply/outside-area"
    page = visitor.get(where).text
    assert "https://www.gov.uk/find-local-council" in page
    assert "address" not in answers(session_factory)


def test_a_shared_postcode_district_asks_for_the_council(
    visitor: Visitor, session_factory: SessionFactory
) -> None:
    where = visitor.next(
        "/apply/address", {"line1": "1 London Rd", "town": "Oadby", "postcode": "le2 4aa"}
    )
    assert where == "/apply/council"
    page = visitor.get("/apply/council").text
    assert "Oadby &amp; Wigston" in page and "Leicester City" in page
    assert visitor.next("/apply/council", {"locality": "oadby-and-wigston"}) == "/apply/contact"
    assert answers(session_factory)["locality"] == "oadby-and-wigston"
    assert answers(session_factory)["address"]["postcode"] == "LE2 4AA"


@pytest.mark.parametrize(
    "locality", ["melton", "atlantis", ""], ids=["not_offered", "unknown", "empty"]
)
def test_a_council_that_was_not_offered_is_refused(
    visitor: Visitor, session_factory: SessionFactory, locality: str
) -> None:
    visitor.next("/apply/address", {"line1": "1 London Rd", "town": "Oadby", "postcode": "LE2 4AA"})
    response = visitor.post("/apply/council", {"locality": locality}, status=422)
    assert errors(response) == ["Select the council for the address"]
    assert answers(session_factory)["locality"] is None


def test_none_of_these_councils_means_outside_the_area(visitor: Visitor) -> None:
    visitor.next(
        "/apply/address",
        {"line1": "1 Farm Lane", "town": "Castle Donington", "postcode": "DE74 2AA"},
    )
    assert visitor.next("/apply/council", {"locality": "outside"}) == "/apply/outside-area"


def test_without_permission_or_consent_to_share_the_form_explains_why_it_cannot_go_on(
    visitor: Visitor,
) -> None:
    visitor.next("/apply/who", {"role": "representative"})
    assert visitor.next("/apply/permission", {"given": "no"}) == "/apply/permission-needed"
    assert visitor.get("/apply/permission-details", status=303)
    assert "You need their permission" in visitor.get("/apply/permission-needed").text
    assert visitor.next("/apply/sharing", {"agree": "no"}) == "/apply/sharing-needed"
    assert "cannot review the case" in visitor.get("/apply/sharing-needed").text


def test_the_declaration_must_be_ticked(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    fill_in_everything(visitor, clock.today())
    response = visitor.post("/apply/check", {}, status=422)
    assert errors(response) == ["Confirm that the information is true"]
    assert 'href="#declaration"' in response.text
    with session_factory() as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == 0
        assert s.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def test_sending_with_questions_unanswered_lists_them_and_stores_nothing(
    visitor: Visitor, session_factory: SessionFactory
) -> None:
    visitor.next("/apply/your-name", {"name": "Val"})
    assert visitor.get("/apply/check", status=303).headers["location"] == "/apply/address"
    response = visitor.post("/apply/check", {"declaration": "yes"}, status=422)
    assert 'href="/apply/address"' in response.text
    assert "Add the incidents and who you reported them to" in response.text
    with session_factory() as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == 0


def test_a_date_that_became_wrong_is_refused_by_the_engine_and_nothing_is_stored(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    """The engine checks everything again when the form is sent; if a saved date is no longer
    valid, the person sees why and nothing is stored."""
    fill_in_everything(visitor, clock.today())
    clock.advance(days=-40)  # the saved reports are now in the future
    response = visitor.post("/apply/check", {"declaration": "yes"}, status=422)
    assert "cannot be in the future" in response.text
    with session_factory() as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == 0
        assert s.exec(select(func.count()).select_from(FormSession)).one() == 1


def test_an_unknown_page_is_a_gov_uk_404(visitor: Visitor) -> None:
    for path in (
        "/apply/nothing",
        "/apply/incidents/9",
        "/apply/incidents/x",
        "/status/short",
        "/status/" + "A" * 43,
        "/nope",
    ):
        response = visitor.client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text
        assert response.headers["content-type"].startswith("text/html")
