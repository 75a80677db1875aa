"""The private status page, and the engine services behind the public pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import Session

from engine import queries, registry
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.services import equalities, postcodes, public_info
from engine.services.cases import record_event
from engine.services.equalities import EqualitiesIn
from tests.factories import StaffMember, make_case, make_staff
from tests.integration.test_public_flow import Visitor, fill_in_everything

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture
def staff(session_factory: SessionFactory, clock: FixedClock) -> dict[str, StaffMember]:
    with session_factory() as s:
        return make_staff(s, clock)


def fire(
    session_factory: SessionFactory,
    clock: FixedClock,
    who: StaffMember,
    reference: str,
    event: str,
    version: int,
    data: dict[str, Any] | None = None,
) -> None:
    with session_factory() as s:
        record_event(
            s,
            clock=clock,
            case_ref=reference,
            event=event,
            data=data,
            actor=who.actor,
            expected_version=version,
        )


def status_page(client: TestClient, token: str) -> str:
    response = client.get(f"/status/{token}")
    assert response.status_code == 200, response.text
    return response.text


@pytest.fixture
def reviewed(
    session_factory: SessionFactory, clock: FixedClock, staff: dict[str, StaffMember]
) -> Iterator[tuple[str, str]]:
    """A Leicester case taken through to the CSP chair's response, with a recommendation."""
    with session_factory() as s:
        done = make_case(s, clock)
    ref = done.reference
    fire(session_factory, clock, staff["contact"], ref, "acknowledge", 1)
    clock.advance(days=3)
    fire(
        session_factory,
        clock,
        staff["jag_chair"],
        ref,
        "threshold_met",
        2,
        {"reasons": "Three incidents were reported within the rules."},
    )
    clock.advance(days=7)
    fire(
        session_factory,
        clock,
        staff["jag_chair"],
        ref,
        "review_meeting_held",
        3,
        {
            "held_on": clock.today().isoformat(),
            "attendees": ["PC Jane Smith", "Harriet Housing"],
            "victim_involvement": "impact_statement",
        },
    )
    fire(
        session_factory,
        clock,
        staff["jag_chair"],
        ref,
        "jag_report_recorded",
        4,
        {
            "findings": "Reports were not shared between agencies.",
            "recommendations": [
                {
                    "recipient_body": "Leicester City Council",
                    "action": "Fit a camera at the entrance",
                    "owner": "Olive Owner",
                    "due_on": "2026-04-30",
                }
            ],
        },
    )
    fire(
        session_factory,
        clock,
        staff["csp_chair"],
        ref,
        "response_issued",
        5,
        {"summary": "The agencies agreed an action plan."},
    )
    yield ref, done.status_token


def test_the_status_page_tells_the_story_in_plain_words(
    client: TestClient, reviewed: tuple[str, str]
) -> None:
    reference, token = reviewed
    page = status_page(client, token)
    for words in (
        reference,
        "We received your application",
        "We acknowledged your application",
        "The threshold for a case review is met",
        "Three incidents were reported within the rules.",
        "The case review meeting was held",
        "Thursday 12 March 2026",
        "You chose to send a written statement about the impact on you.",
        "We sent you the outcome of the case review",
        "The agencies agreed an action plan.",
        "Leicester City Council: Fit a camera at the entrance (not started yet, due 30 April 2026)",
        "You can appeal until",
    ):
        assert words in page, words


def test_the_status_page_shows_no_staff_names_and_no_other_peoples_details(
    client: TestClient, reviewed: tuple[str, str], staff: dict[str, StaffMember]
) -> None:
    page = status_page(client, reviewed[1])
    for secret in (
        "PC Jane Smith",
        "Harriet Housing",
        "Olive Owner",
        "Jag Chair",
        "Csp Chair",
        "Reports were not shared between agencies",
        "victim@example.org",
        "Val Victim",
        *(m.email for m in staff.values()),
    ):
        assert secret not in page, secret


def test_a_case_not_meeting_the_threshold_shows_why_and_the_appeal_deadline_then_closure(
    client: TestClient,
    session_factory: SessionFactory,
    clock: FixedClock,
    staff: dict[str, StaffMember],
) -> None:
    with session_factory() as s:
        done = make_case(s, clock, incidents=1)
    ref = done.reference
    fire(session_factory, clock, staff["contact"], ref, "acknowledge", 1)
    fire(
        session_factory,
        clock,
        staff["jag_chair"],
        ref,
        "threshold_not_met",
        2,
        {"reasons": "Only one incident was reported in the last six months."},
    )
    page = status_page(client, done.status_token)
    assert "The threshold for a case review is not met" in page
    assert "Only one incident was reported in the last six months." in page
    # 20 working days from Monday 2 March 2026.
    assert "You can appeal until <strong>Monday 30 March 2026</strong>" in page

    clock.advance(days=40)
    fire(
        session_factory,
        clock,
        staff["contact"],
        ref,
        "case_closed",
        3,
        {"closure_reason": "appeal_window_passed", "explanation": "No appeal was received."},
    )
    page = status_page(client, done.status_token)
    assert "Your case is closed" in page
    assert "It closed because the time to appeal has passed." in page
    assert "No appeal was received." in page
    assert "It is now closed." in page and "You can appeal until" not in page


def test_equalities_answers_never_appear_in_the_staff_view_of_the_case(
    client: TestClient,
    clock: FixedClock,
    session_factory: SessionFactory,
    staff: dict[str, StaffMember],
) -> None:
    visitor = Visitor(client)
    fill_in_everything(visitor, clock.today())
    visitor.next("/apply/equalities?return=check", {"religion": "sikh", "age": "75_plus"})
    visitor.next("/apply/check", {"declaration": "yes"})
    with session_factory() as s:
        detail = queries.case_detail(
            s, reference="CT-2026-000001", actor=staff["manager"].actor, clock=clock
        )
    text = repr(detail)
    assert "sikh" not in text and "75_plus" not in text and "equalit" not in text


# --- engine services behind the pages -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("le1 6zg", "LE1 6ZG"),
        ("LE16ZG", "LE1 6ZG"),
        (" le65  1aa ", "LE65 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("LE1", None),
        ("12345", None),
        ("LE1 6ZGG", None),
    ],
)
def test_postcodes_are_normalised_or_refused(raw: str, normal: str | None) -> None:
    assert postcodes.normalise(raw) == normal


@pytest.mark.parametrize(
    ("postcode", "localities", "maybe_outside"),
    [
        ("LE1 6ZG", ("leicester",), False),
        ("LE11 3AA", ("charnwood",), False),
        ("LE15 6AA", ("rutland", "melton", "harborough"), False),
        ("LE18 4AA", ("oadby-and-wigston",), False),
        ("DE74 2AA", ("north-west-leicestershire",), True),
        ("NG1 1AA", (), True),
    ],
)
def test_a_postcode_district_gives_its_localities(
    postcode: str, localities: tuple[str, ...], maybe_outside: bool
) -> None:
    found = postcodes.match("llr", postcode)
    assert (found.localities, found.maybe_outside) == (localities, maybe_outside)


def test_every_locality_has_a_postcode_district_and_a_phone_number() -> None:
    data = public_info.public_data("llr")
    named = {lid for names in data["districts"].values() for lid in names} - {"outside"}
    localities = set(registry.area("llr").localities)
    assert named == localities
    assert set(data["other_ways"]["phone"]) == localities


def test_timescales_are_worded_from_the_area_file() -> None:
    steps = public_info.locality_timescales("llr", "rutland").steps
    assert [s.text for s in steps] == [
        "We will acknowledge your application within 1 working day of receiving it",
        "We will tell you whether the threshold for a case review is met within 14 days of "
        "receiving your application",
        "If a review is held, we will send you its outcome within 28 days of the threshold "
        "decision",
        "If you are unhappy with a decision or outcome, you can appeal within 20 working days "
        "of our letter",
    ]


def test_equalities_totals_hide_small_numbers(session: Session, clock: FixedClock) -> None:
    for n in range(7):
        answers = EqualitiesIn(age="25_34" if n < 5 else "65_74", sex="female")
        equalities.add_response(
            session, clock=clock, area_id="llr", locality_id="melton", answers=answers
        )
    session.commit()
    assert equalities.release_due(session, clock=clock).released == 7  # 7 >= the batch of 5
    totals = equalities.totals(session, area_id="llr")
    ages = {t.label: t.count for t in totals["age"]}
    assert ages["25 to 34"] == 5
    assert ages["65 to 74"] is None, "2 is fewer than 5: suppressed"
    assert ages["Under 18"] == 0
    assert {t.label: t.count for t in totals["sex"]}["Female"] == 7


def test_an_unknown_equalities_answer_is_refused() -> None:
    with pytest.raises(ValueError, match="is not an answer to age"):
        EqualitiesIn(age="ancient")


def test_the_precheck_counts_reports_of_one_incident_once(clock: FixedClock) -> None:
    from workflows.community_trigger.services.precheck import CheckedReport, check

    day = clock.today() - timedelta(days=10)
    reports = [
        CheckedReport("a", day, day, "police"),
        CheckedReport("a", day, day, "council"),
        CheckedReport("b", day, day, "police"),
    ]
    result = check(clock=clock, area_id="llr", reports=reports, hate_incident=False)
    assert not result.assessment.met
    assert result.findings[1][1] == "Does not count: same incident as report 1, already counted"
