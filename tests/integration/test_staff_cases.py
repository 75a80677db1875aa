"""The staff case pages: my work, the case page, action forms, conflicts and bad input."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import AuditEvent, Case
from tests.factories import load_case, make_case, make_staff
from tests.integration.test_staff_login import Staff, browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    return make_staff(session, clock)


@pytest.fixture
def ref(session: Session, clock: FixedClock, staff: dict) -> str:
    return make_case(session, clock, incidents=3).reference


def signed_in(app: Any, session: Session, clock: FixedClock, staff: dict, who: str) -> Staff:
    me = browser_for(app, session, clock, staff[who].email)
    me.sign_in()
    return me


def case_row(session_factory: SessionFactory, ref: str) -> Case:
    with session_factory() as s:
        return load_case(s, ref)


def test_my_work_lists_the_case_with_its_deadline(
    app: Any, session: Session, clock: FixedClock, staff: dict, ref: str
) -> None:
    page = signed_in(app, session, clock, staff, "contact").get("/staff")
    assert ref in page.text
    assert "Acknowledge the application" in page.text
    assert re.search(r"\d+ days? left|Due today|overdue", page.text), page.text[-2500:]


def test_the_case_page_explains_the_threshold_and_the_deadlines(
    app: Any, session: Session, clock: FixedClock, staff: dict, ref: str
) -> None:
    page = signed_in(app, session, clock, staff, "jag_chair").get(f"/staff/cases/{ref}")
    assert "Val Victim" in page.text
    assert "counted" in page.text
    assert "working day" in page.text  # "why this date"
    assert "Timeline" in page.text


def test_a_chair_of_another_locality_is_refused_the_case(
    app: Any, session: Session, clock: FixedClock, staff: dict, ref: str
) -> None:
    melton = signed_in(app, session, clock, staff, "melton_jag_chair")
    page = melton.get(f"/staff/cases/{ref}", status=403)
    assert "You do not have access" in page.text and "Val Victim" not in page.text
    melton.get(f"/staff/cases/{ref}/events/acknowledge", status=403)


def test_acknowledge_then_decide_the_threshold_through_the_forms(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    staff: dict,
    ref: str,
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    contact.get(f"/staff/cases/{ref}/events/acknowledge")
    contact.post(f"/staff/cases/{ref}/events/acknowledge", {"version": "1"})
    chair = signed_in(app, session, clock, staff, "jag_chair")
    form = chair.get(f"/staff/cases/{ref}/events/threshold_met")
    assert 'name="reasons"' in form.text and 'name="version" value="2"' in form.text
    chair.post(
        f"/staff/cases/{ref}/events/threshold_met", {"version": "2", "reasons": "Three incidents."}
    )
    assert case_row(session_factory, ref).state == "review_scheduled"


def test_a_missing_required_answer_shows_the_error_summary_and_stores_nothing(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    staff: dict,
    ref: str,
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    contact.get(f"/staff/cases/{ref}/events/acknowledge")
    contact.post(f"/staff/cases/{ref}/events/acknowledge", {"version": "1"})
    chair = signed_in(app, session, clock, staff, "jag_chair")
    chair.get(f"/staff/cases/{ref}/events/threshold_met")
    page = chair.post(f"/staff/cases/{ref}/events/threshold_met", {"version": "2"}, status=422)
    assert "There is a problem" in page.text and 'href="#reasons"' in page.text
    assert case_row(session_factory, ref).version == 2


def test_a_bad_date_is_refused_before_the_engine_sees_it(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    staff: dict,
    ref: str,
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    contact.get(f"/staff/cases/{ref}/events/acknowledge")
    contact.post(f"/staff/cases/{ref}/events/acknowledge", {"version": "1"})
    chair = signed_in(app, session, clock, staff, "jag_chair")
    chair.get(f"/staff/cases/{ref}/events/threshold_met")
    chair.post(f"/staff/cases/{ref}/events/threshold_met", {"version": "2", "reasons": "Met."})
    chair.get(f"/staff/cases/{ref}/events/review_meeting_held")
    data = {
        "version": "3",
        "held_on-day": "31",
        "held_on-month": "2",
        "held_on-year": "2026",
        "attendees": "Police\nCouncil",
        "victim_involvement": "attend",
    }
    page = chair.post(f"/staff/cases/{ref}/events/review_meeting_held", data, status=422)
    assert 'href="#held_on-day"' in page.text
    data |= {"held_on-day": "27"}
    chair.post(f"/staff/cases/{ref}/events/review_meeting_held", data)
    assert case_row(session_factory, ref).state == "under_review"


def test_a_second_person_acting_on_an_old_version_sees_what_changed(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    staff: dict,
    ref: str,
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    chair = signed_in(app, session, clock, staff, "jag_chair")
    contact.get(f"/staff/cases/{ref}/events/acknowledge")
    chair.get(f"/staff/cases/{ref}/events/acknowledge")
    contact.post(f"/staff/cases/{ref}/events/acknowledge", {"version": "1"})
    page = chair.post(f"/staff/cases/{ref}/events/acknowledge", {"version": "1"}, status=409)
    assert "This case changed since you opened it" in page.text
    assert "Acknowledge by Contact" in page.text
    with session_factory() as s:
        case = load_case(s, ref)
        events = s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)).all()
    assert [e.trigger for e in events].count("acknowledge") == 1


def test_an_event_the_user_may_not_fire_has_no_form(
    app: Any, session: Session, clock: FixedClock, staff: dict, ref: str
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    contact.get(f"/staff/cases/{ref}/events/threshold_met", status=404)
    contact.get(f"/staff/cases/{ref}/events/nonsense", status=404)


def overdue_case(session: Session, clock: FixedClock) -> str:
    ref = make_case(session, clock, incidents=3).reference
    clock.advance(days=30)
    return ref


def test_a_manager_sees_overdue_items_by_locality_and_step_and_downloads_csv(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    ref = overdue_case(session, clock)
    manager = signed_in(app, session, clock, staff, "manager")
    page = manager.get("/staff/overdue")
    assert ref in page.text and "By locality" in page.text and "overdue" in page.text
    csv_file = manager.get("/staff/overdue.csv")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.text.splitlines()[0].startswith("Case,Locality,Step")
    assert ref in csv_file.text


def test_only_managers_see_the_overdue_report(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    overdue_case(session, clock)
    chair = signed_in(app, session, clock, staff, "jag_chair")
    chair.get("/staff/overdue", status=403)
    chair.get("/staff/overdue.csv", status=403)


def test_the_process_page_lists_states_and_steps_and_the_mermaid_source(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    page = signed_in(app, session, clock, staff, "contact").get("/staff/process")
    assert "Acknowledge the application" in page.text and "stateDiagram" in page.text


def test_csv_cells_that_look_like_formulas_are_quoted() -> None:
    from web.staff.routes import csv_text

    row = {
        "reference": "=HYPERLINK()",
        "locality": "leicester",
        "label": "x",
        "owner_role": "contact",
        "due_date": "2026-01-01",
        "days_overdue": 3,
        "state": "submitted",
    }
    assert "'=HYPERLINK()" in csv_text([row])


def test_a_csp_chair_sees_the_response_to_issue_in_my_work(
    app: Any, session: Session, clock: FixedClock, staff: dict, ref: str
) -> None:
    from engine.services.cases import record_event

    steps = [
        ("acknowledge", "contact", None),
        ("threshold_met", "jag_chair", {"reasons": "Three incidents."}),
        (
            "review_meeting_held",
            "jag_chair",
            {
                "held_on": clock.today().isoformat(),
                "attendees": ["Police"],
                "victim_involvement": "attend",
            },
        ),
        ("jag_report_recorded", "jag_chair", {"findings": "Logs were not shared."}),
    ]
    for version, (event, who, data) in enumerate(steps, start=1):
        record_event(
            session,
            clock=clock,
            case_ref=ref,
            event=event,
            data=data,
            actor=staff[who].actor,
            expected_version=version,
        )
    page = signed_in(app, session, clock, staff, "csp_chair").get("/staff")
    assert ref in page.text and "Complete the review and send the outcome" in page.text
    other = signed_in(app, session, clock, staff, "melton_jag_chair").get("/staff")
    assert ref not in other.text
