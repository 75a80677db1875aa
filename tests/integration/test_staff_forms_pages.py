"""Staff event forms as people use them: GOV.UK messages, every error at once in page order,
recommendations as fieldsets, updates chosen from the case's list, the success banner."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Recommendation
from tests.factories import load_case
from tests.integration.test_community_trigger_journey import Journey
from tests.integration.test_staff_login import Staff, browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
HREFS = re.compile(r'<a href="(#[^"]+)">')


def summary_links(html: str) -> list[str]:
    box = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    return HREFS.findall(box)


def as_user(app: Any, session: Session, clock: FixedClock, email: str) -> Staff:
    me = browser_for(app, session, clock, email)
    me.sign_in()
    return me


def version(sessions: SessionFactory, ref: str) -> str:
    with sessions() as s:
        return str(load_case(s, ref).version)


@pytest.fixture
def journey(session_factory: SessionFactory, clock: FixedClock) -> Journey:
    j = Journey(session_factory, clock)
    j.fire("acknowledge", "contact")
    return j


def test_an_empty_threshold_decision_gets_a_gov_uk_message_not_the_librarys(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, journey: Journey
) -> None:
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    url = f"/staff/cases/{journey.ref}/events/threshold_met"
    chair.get(url)
    page = chair.post(url, {"version": version(session_factory, journey.ref)}, status=422).text
    assert "Enter the reasons for the decision" in page
    assert "Field required" not in page
    assert summary_links(page) == ["#reasons"]


def test_the_jag_meeting_date_is_asked_for_in_words_not_from_its_field_name(
    app: Any, session: Session, clock: FixedClock, journey: Journey
) -> None:
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    form = chair.get(f"/staff/cases/{journey.ref}/events/threshold_met").text
    assert "Date of the JAG meeting that decided (optional)" in form
    assert "Jag meeting on" not in form


def test_a_meeting_held_on_another_day_is_confirmed_in_words(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, journey: Journey
) -> None:
    journey.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    form = chair.get(f"/staff/cases/{journey.ref}/events/review_meeting_held").text
    assert "Yes, it was held on the date above, not the day it was arranged for" in form
    assert "Confirm other date" not in form


def test_my_work_words_the_stage_and_locality_as_the_case_page_does(
    app: Any, session: Session, clock: FixedClock, journey: Journey
) -> None:
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    queue = chair.get("/staff").text.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    assert "Acknowledged, waiting for the threshold decision" in queue
    assert "Leicester City" in queue
    assert "Acknowledged<" not in queue  # not the state's code, capitalised


def test_a_bad_date_is_reported_with_every_other_error_in_page_order(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, journey: Journey
) -> None:
    journey.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    url = f"/staff/cases/{journey.ref}/events/review_meeting_arranged"
    form = chair.get(url).text
    assert "For example, 27 3 2026" in form  # the date hint
    # "No part" reveals its question straight after the choices (staff.mjs).
    assert 'data-ct-reveal-for="victim_involvement" data-ct-reveal-value="none"' in form
    assert "Attend the meeting" in form and ">\n            Attend\n" not in form
    data = {
        "version": version(session_factory, journey.ref),
        "meeting_date-day": "31",
        "meeting_date-month": "2",
        "meeting_date-year": "2026",
    }
    page = chair.post(url, data, status=422).text
    assert summary_links(page) == ["#meeting_date-day", "#attendees", "#victim_involvement"]
    assert "Date of the review meeting must be a real date" in page
    assert "Enter at least one person invited, with their organisation" in page
    assert "Select how the victim will take part" in page
    assert "Field required" not in page and "Input should be" not in page
    assert version(session_factory, journey.ref) == data["version"]  # nothing stored


def test_no_part_in_the_meeting_asks_why_under_the_choice(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, journey: Journey
) -> None:
    journey.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    url = f"/staff/cases/{journey.ref}/events/review_meeting_arranged"
    chair.get(url)
    data = {
        "version": version(session_factory, journey.ref),
        "meeting_date-day": "20",
        "meeting_date-month": "3",
        "meeting_date-year": "2026",
        "attendees": "PC Lee (Police)",
        "victim_involvement": "none",
    }
    page = chair.post(url, data, status=422).text
    links = summary_links(page)
    assert links == ["#not_invited_reason"], links
    assert 'id="not_invited_reason"' in page
    data["not_invited_reason"] = "They asked not to be contacted again."
    done = chair.post(url, data)
    where = f"/staff/cases/{journey.ref}?recorded=review_meeting_arranged"
    assert done.headers["location"] == where
    case_page = chair.get(done.headers["location"]).text
    assert "govuk-notification-banner--success" in case_page
    assert "Recorded: Arrange the review meeting" in case_page


def test_the_success_banner_names_only_the_workflows_own_events(
    app: Any, session: Session, clock: FixedClock, journey: Journey
) -> None:
    contact = as_user(app, session, clock, journey.staff["contact"].email)
    page = contact.get(f"/staff/cases/{journey.ref}?recorded=<script>made-up").text
    assert "govuk-notification-banner--success" not in page and "made-up" not in page


def test_the_success_banner_is_a_heading_not_its_own_markup_as_text(
    app: Any, session: Session, clock: FixedClock, journey: Journey
) -> None:
    contact = as_user(app, session, clock, journey.staff["contact"].email)
    page = contact.get(f"/staff/cases/{journey.ref}?recorded=acknowledge").text
    assert (
        '<p class="govuk-notification-banner__heading">Recorded: Acknowledge the application.'
        in page
    )
    assert "&lt;p" not in page


def _to_report(journey: Journey) -> None:
    journey.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    journey.fire(
        "review_meeting_held",
        "jag_chair",
        {"held_on": "2026-03-02", "attendees": ["Police"], "victim_involvement": "attend"},
    )


def test_recommendations_are_repeatable_fieldsets_that_work_without_scripts(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, journey: Journey
) -> None:
    _to_report(journey)
    chair = as_user(app, session, clock, journey.staff["jag_chair"].email)
    url = f"/staff/cases/{journey.ref}/events/jag_report_recorded"
    form = chair.get(url).text
    assert 'name="recommendations-0-recipient_body"' in form
    assert "Add another recommendation" in form and "|" not in form.split("<form", 2)[2]
    v = version(session_factory, journey.ref)
    first = {
        "version": v,
        "findings": "Logs were not shared.",
        "recommendations-0-recipient_body": "Police",
        "recommendations-0-action": "Share logs weekly",
    }
    more = chair.post(url, {**first, "add_recommendation": "1"}, status=200).text
    assert 'name="recommendations-1-recipient_body"' in more
    assert 'value="Share logs weekly"' not in more  # a textarea keeps it as its text
    assert "Share logs weekly</textarea>" in more and "There is a problem" not in more
    # The second row given a due date but nothing to do: both its messages, linked to it.
    second = {
        "recommendations-1-recipient_body": "Council",
        "recommendations-1-due_on-day": "31",
        "recommendations-1-due_on-month": "4",
        "recommendations-1-due_on-year": "2026",
    }
    page = chair.post(url, {**first, **second}, status=422).text
    assert summary_links(page) == [
        "#recommendations-1-action",
        "#recommendations-1-due_on-day",
    ]
    assert "Enter what recommendation 2 asks them to do" in page
    assert "The due date of recommendation 2 must be a real date" in page
    # Removing the second row renumbers nothing else and keeps the first.
    fewer = chair.post(url, {**first, **second, "remove_recommendation": "1"}, status=200).text
    assert 'name="recommendations-1-recipient_body"' not in fewer
    assert 'value="Police"' in fewer
    second["recommendations-1-action"] = "Visit the street weekly"
    second["recommendations-1-due_on-day"] = "30"
    second["recommendations-1-owner"] = "ASB team"
    chair.post(url, {**first, **second})
    with session_factory() as s:
        recs = s.exec(select(Recommendation).order_by(col(Recommendation.seq))).all()
        assert [(r.recipient_body, r.action, r.owner, str(r.due_on)) for r in recs] == [
            ("Police", "Share logs weekly", None, "None"),
            ("Council", "Visit the street weekly", "ASB team", "2026-04-30"),
        ]


def test_a_recommendation_update_is_chosen_from_the_cases_own_list(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, journey: Journey
) -> None:
    _to_report(journey)
    journey.fire(
        "jag_report_recorded",
        "jag_chair",
        {
            "findings": "Logs were not shared.",
            "recommendations": [
                {"recipient_body": "Police", "action": "Share logs weekly"},
                {"recipient_body": "Council", "action": "Fit a noise monitor"},
            ],
        },
    )
    journey.fire("response_issued", "csp_chair", {"summary": "We agree with the review."})
    clock.advance(days=60)
    journey.fire("monitoring_started", "contact")
    contact = as_user(app, session, clock, journey.staff["contact"].email)
    url = f"/staff/cases/{journey.ref}/events/recommendation_updated"
    form = contact.get(url).text
    assert 'type="radio"' in form and 'name="recommendation" type="text"' not in form
    assert "2. Council: Fit a noise monitor" in form
    assert "Not started or in progress" in form  # its status in words
    page = contact.post(url, {"version": version(session_factory, journey.ref)}, status=422).text
    assert summary_links(page) == ["#recommendation", "#status", "#note"]
    assert "Select which recommendation you are updating" in page
    data = {
        "version": version(session_factory, journey.ref),
        "recommendation": "2",
        "status": "done",
        "note": "Monitor fitted on 1 May.",
    }
    contact.post(url, data)
    with session_factory() as s:
        council = s.exec(select(Recommendation).where(Recommendation.seq == 2)).one()
        assert council.status == "done"


def test_the_case_page_shows_codes_in_words(
    app: Any, session: Session, clock: FixedClock, journey: Journey
) -> None:
    page = as_user(app, session, clock, journey.staff["contact"].email)
    text = page.get(f"/staff/cases/{journey.ref}").text
    summary = text.split("Involvement in the review", 1)[1].split("</dd>", 1)[0]
    given = summary.rsplit(">", 1)[1].strip()
    assert given in ("Attend the meeting", "Send a representative", "Not given"), given


def test_staff_intake_reports_a_bad_date_with_every_other_error_in_page_order(
    app: Any, session: Session, clock: FixedClock, journey: Journey
) -> None:
    contact = as_user(app, session, clock, journey.staff["contact"].email)
    contact.get("/staff/applications/new")
    data = {"inc1_date-day": "31", "inc1_date-month": "2", "inc1_date-year": "2026"}
    page = contact.post("/staff/applications/new", data, status=422).text
    links = summary_links(page)
    assert len(links) == len(set(links))  # one link per box
    expected = ["#channel", "#applicant_name", "#contact_preference", "#inc1_date-day"]
    assert [link for link in links if link in expected] == expected
    assert links.index("#inc1_date-day") < links.index("#inc1_description")
    assert links[-2:] == ["#consent_to_share", "#declaration"]
    assert "must be a real date" in page and "Field required" not in page


def test_a_staff_complaint_reports_every_error_at_once_in_page_order(
    app: Any, session: Session, clock: FixedClock, journey: Journey
) -> None:
    contact = as_user(app, session, clock, journey.staff["contact"].email)
    contact.get("/staff/complaints/new")
    data = {"email": "not-an-address", "reported_on-day": "40"}
    page = contact.post("/staff/complaints/new", data, status=422).text
    links = summary_links(page)
    assert [n for n in links if n != "#locality"] == [
        "#name",
        "#email",
        "#incident_on-day",
        "#reported_on-day",
        "#agency",
        "#description",
    ]
    assert "Field required" not in page
