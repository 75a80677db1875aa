"""Issue 10's threshold limbs through the pages: /check, the public form, the staff intake
form and the staff case page (incidents added after intake, with before and after)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import Session, select

from engine import case_detail
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, Report
from tests.factories import make_case, make_staff
from tests.integration.test_public_flow import (
    Visitor,
    date_fields,
    errors,
    fill_in_everything,
    heading,
)
from tests.integration.test_staff_cases import signed_in
from tests.integration.test_staff_intake import application_form, counts

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture
def visitor(client: TestClient) -> Visitor:
    return Visitor(client)


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    people = make_staff(session, clock)
    session.rollback()
    return people


def only_case(session_factory: SessionFactory) -> Case:
    with session_factory() as s:
        return case_detail.with_detail(s, s.exec(select(Case)).one())


# --- /check ---------------------------------------------------------------------------------------


def test_three_incidents_reported_to_someone_else_do_not_meet_the_threshold_on_check(
    visitor: Visitor, clock: FixedClock
) -> None:
    page = visitor.get("/check/incidents/new")
    assert "The NHS (the integrated care board)" in page.text
    assert "do not count toward a case review" in page.text
    for n in range(3):
        day = clock.today() - timedelta(days=10 + 7 * n)
        visitor.next(
            "/check/incidents/new",
            {**date_fields("date", day), "agency": "other", **date_fields("reported", day)},
        )
    visitor.next("/check/hate", {"hate": "yes"})
    result = visitor.get("/check/result")
    assert heading(result) == "You do not meet the threshold yet, but you can still apply"
    assert result.text.count("Does not count: not a relevant body") == 3


def test_reports_to_the_integrated_care_board_count_on_check(
    visitor: Visitor, clock: FixedClock
) -> None:
    for n in range(3):
        day = clock.today() - timedelta(days=10 + 7 * n)
        visitor.next(
            "/check/incidents/new",
            {**date_fields("date", day), "agency": "health", **date_fields("reported", day)},
        )
    visitor.next("/check/hate", {"hate": "no"})
    assert heading(visitor.get("/check/result")) == "You meet the threshold for a case review"


# --- the public form ------------------------------------------------------------------------------


def other_fields(name: str, day: Any, agency: str = "council", **extra: str) -> dict[str, str]:
    return {"name": name, "agency": agency, **date_fields("date", day), "consent": "no", **extra}


def test_three_people_reporting_one_incident_on_the_public_form_meet_the_threshold(
    visitor: Visitor, clock: FixedClock, session_factory: SessionFactory
) -> None:
    fill_in_everything(visitor, clock.today(), incidents=1)
    day = clock.today() - timedelta(days=19)
    visitor.get("/apply/incidents/1/others/new")
    assert visitor.next("/apply/incidents/1/others/new", other_fields("Jane Smith", day)) == (
        "/apply/incidents"
    )
    visitor.next(
        "/apply/incidents/1/others/new",
        other_fields(
            "a neighbour at number 12", day, "police", consent="yes", phone="07700 900982"
        ),
    )
    summary = visitor.get("/apply/incidents")
    assert "Also reported by Jane Smith" in summary.text
    visitor.next("/apply/incidents", {})
    check = visitor.get("/apply/check")
    assert "Also reported by a neighbour at number 12" in html.unescape(check.text)
    visitor.next("/apply/check", {"declaration": "yes"})
    case = only_case(session_factory)
    assert case.threshold_assessment["route"] == "three_complainants"
    with session_factory() as s:
        rows = s.exec(select(Report).where(Report.case_id == case.id).order_by(Report.id)).all()
    assert [r.reporter for r in rows] == [None, "Jane Smith", "a neighbour at number 12"]
    assert rows[2].reporter_contact == "07700 900982"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter their name, or who they are, like a neighbour at number 12"),
        ({"agency": ""}, "Select who they reported it to"),
        ({"consent": ""}, "Select yes if they agreed to us contacting them"),
        (
            {"email": "jane@example.org"},
            "Leave their email and phone empty, or select yes if they agreed to us contacting them",
        ),
        ({"consent": "yes", "email": "not an email"}, "Enter an email address in the correct"),
    ],
    ids=["no-name", "no-body", "no-consent-answer", "details-without-consent", "bad-email"],
)
def test_the_other_person_page_explains_each_mistake_and_saves_nothing(
    visitor: Visitor, clock: FixedClock, changes: dict[str, str], message: str
) -> None:
    fill_in_everything(visitor, clock.today(), incidents=1)
    fields = other_fields("Jane Smith", clock.today() - timedelta(days=19)) | changes
    page = visitor.post("/apply/incidents/1/others/new", fields, status=422)
    assert "There is a problem" in page.text
    assert any(e.startswith(message) for e in errors(page)), errors(page)
    assert "Also reported by" not in visitor.get("/apply/incidents").text


def test_a_report_by_someone_else_before_the_incident_is_refused(
    visitor: Visitor, clock: FixedClock
) -> None:
    fill_in_everything(visitor, clock.today(), incidents=1)
    early = clock.today() - timedelta(days=40)
    page = visitor.post("/apply/incidents/1/others/new", other_fields("Jo", early), status=422)
    assert any("must be the same as or after the date it happened" in e for e in errors(page))


def test_another_person_can_be_changed_and_removed(visitor: Visitor, clock: FixedClock) -> None:
    fill_in_everything(visitor, clock.today(), incidents=1)
    day = clock.today() - timedelta(days=19)
    visitor.next("/apply/incidents/1/others/new", other_fields("Jane Smith", day))
    assert 'value="Jane Smith"' in visitor.get("/apply/incidents/1/others/1").text
    visitor.next("/apply/incidents/1/others/1", other_fields("Jane Smyth", day))
    assert "Also reported by Jane Smyth" in visitor.get("/apply/incidents").text
    visitor.get("/apply/incidents/1/others/1/remove")
    visitor.next("/apply/incidents/1/others/1/remove", {"sure": "yes"})
    assert "Also reported by" not in visitor.get("/apply/incidents").text
    visitor.get("/apply/incidents/1/others/1", status=404)


# --- the staff intake form ------------------------------------------------------------------------


def others_on_the_form(**changes: str) -> dict[str, str]:
    """Incident 1 (2 February 2026) reported by two more people."""
    form = {
        "inc1_oth1_name": "Chris Neighbour",
        "inc1_oth1_agency": "council",
        "inc1_oth1_date-day": "3",
        "inc1_oth1_date-month": "2",
        "inc1_oth1_date-year": "2026",
        "inc1_oth2_name": "the shop owner opposite",
        "inc1_oth2_agency": "health",
        "inc1_oth2_date-day": "4",
        "inc1_oth2_date-month": "2",
        "inc1_oth2_date-year": "2026",
        "inc1_oth2_consent": "yes",
        "inc1_oth2_email": "shop@example.org",
    }
    return application_form("phone", inc2_description="", **{**form, **changes})


def without_incident_2(form: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in form.items() if not k.startswith("inc2_")}


def test_staff_intake_records_other_people_and_meets_the_three_complainants_limb(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    page = contact.get("/staff/applications/new")
    assert "Someone else who reported incident 1" in page.text
    done = contact.post("/staff/applications/new", without_incident_2(others_on_the_form()))
    ref = re.search(r"CT-\d{4}-\d{6}", done.headers["location"]).group(0)  # type: ignore[union-attr]
    case = only_case(session_factory)
    assert case.threshold_assessment["route"] == "three_complainants"
    shown = contact.get(f"/staff/cases/{ref}")
    assert "Chris Neighbour" in shown.text and "the shop owner opposite" in shown.text
    with session_factory() as s:
        contacts = s.exec(select(Report.reporter_contact).where(Report.case_id == case.id)).all()
    assert sorted(c for c in contacts if c) == ["shop@example.org"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"inc1_oth2_consent": ""}, "inc1_oth2_consent", "agreed to be contacted"),
        ({"inc1_oth1_agency": ""}, "inc1_oth1_agency", "Select who the other person reported"),
        ({"inc1_oth1_name": ""}, "inc1_oth1_name", "Enter the name of the other person"),
        ({"inc1_oth1_date-day": "1"}, "inc1_oth1_date", "before the incident happened"),
        (
            {"inc1_oth2_phone": "0" * 41},
            "inc1_oth2_phone",
            "Shorten the other person's phone number",
        ),
    ],
    ids=["contact-without-consent", "no-body", "no-name", "before-the-incident", "long-phone"],
)
def test_staff_intake_refuses_a_bad_other_person_by_field_and_stores_nothing(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    staff: dict,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    contact.get("/staff/applications/new")
    before = counts(session_factory)
    form = without_incident_2(others_on_the_form(**changes))
    page = contact.post("/staff/applications/new", form, status=422)
    anchor = f"{field}-day" if field.endswith("_date") else field
    assert f'href="#{anchor}"' in page.text
    assert message in html.unescape(page.text)
    assert counts(session_factory) == before


# --- the staff case page: incidents added after intake --------------------------------------------


def test_an_incident_added_on_the_case_page_shows_the_assessment_before_and_after(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock, incidents=2).reference
    session.rollback()
    chair = signed_in(app, session, clock, staff, "jag_chair")
    assert "Add an incident" in chair.get(f"/staff/cases/{ref}").text
    form = chair.get(f"/staff/cases/{ref}/events/incident_added")
    assert 'name="reported_to"' in form.text
    day = clock.today() - timedelta(days=4)
    data = {
        "version": "1",
        "description": "Bins set on fire.",
        "reported_to": "police",
        **date_fields("occurred_on", day),
        **date_fields("reported_on", day),
    }
    bad = chair.post(f"/staff/cases/{ref}/events/incident_added", {**data, "reported_to": ""}, 422)
    assert "There is a problem" in bad.text
    assert only_case(session_factory).version == 1
    chair.post(f"/staff/cases/{ref}/events/incident_added", data)
    page = html.unescape(chair.get(f"/staff/cases/{ref}").text)
    assert "How the assessment changed" in page
    assert "Add an incident on Monday 2 March 2026: not met before, met after." in page
    assert "The threshold for an ASB case review is met by separate incidents" in page
    assert "Bins set on fire." in page


def complaint_form(name: str, happened: Any, agency: str) -> dict[str, str]:
    return {
        "locality": "leicester",
        "name": name,
        "postcode": "LE2 2AA",
        "agency": agency,
        "description": "Shouting in the street.",
        **date_fields("incident_on", happened),
        **date_fields("reported_on", happened + timedelta(days=1)),
    }


def test_register_complaints_linked_on_the_case_page_meet_the_three_complainants_limb(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock, incidents=1).reference
    session.rollback()
    happened = clock.today() - timedelta(days=20)  # the factory's single incident
    contact = signed_in(app, session, clock, staff, "contact")
    numbers = []
    for name, agency in (("Robin Smith", "health"), ("Kim Jones", "police")):
        assert "Integrated care board" in contact.get("/staff/complaints/new").text
        done = contact.post("/staff/complaints/new", complaint_form(name, happened, agency))
        number = int(done.headers["location"].rsplit("/", 1)[1])
        assert "link it from the case page" in contact.get(f"/staff/complaints/{number}").text
        numbers.append(number)
    form = contact.get(f"/staff/cases/{ref}/events/complaint_linked")
    assert 'name="complaint"' in form.text and 'name="incident"' in form.text
    wrong = contact.post(
        f"/staff/cases/{ref}/events/complaint_linked",
        {"version": "1", "complaint": str(numbers[0]), "incident": "2"},
        422,
    )
    assert "This case has no incident 2." in html.unescape(wrong.text)
    for version, number in enumerate(numbers, start=1):
        contact.post(
            f"/staff/cases/{ref}/events/complaint_linked",
            {"version": str(version), "complaint": str(number), "incident": "1"},
        )
    assert only_case(session_factory).threshold_assessment["route"] == "three_complainants"
    page = html.unescape(contact.get(f"/staff/cases/{ref}").text)
    assert "the applicant, Robin Smith and Kim Jones" in page
    linked = contact.get(f"/staff/complaints/{numbers[0]}").text
    assert "Linked to incident 1 of case" in linked and ref in linked


def test_an_empty_other_person_page_lists_every_question_in_page_order(
    visitor: Visitor, clock: FixedClock
) -> None:
    fill_in_everything(visitor, clock.today(), incidents=1)
    page = visitor.post("/apply/incidents/1/others/new", {"email": "jo@example.org"}, status=422)
    summary = re.findall(r'<li>\s*<a href="#([^"]+)">([^<]+)</a>', page.text)
    assert [(anchor, text.strip()) for anchor, text in summary] == [
        ("name", "Enter their name, or who they are, like a neighbour at number 12"),
        ("agency", "Select who they reported it to"),
        ("date-day", "Enter the date they reported it"),
        ("consent", "Select yes if they agreed to us contacting them"),
    ]
