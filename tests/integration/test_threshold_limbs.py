"""Issue 10's threshold limbs through the API: relevant bodies, other people who reported an
incident, register complaints linked to a case, and incidents added after intake."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import AuditEvent, Case, Incident, Report, ReportAudit
from tests.factories import StaffMember, application_body, load_case, make_staff
from tests.http_checks import API, never_a_server_error, problem
from tests.integration.test_api import bearer, fire
from workflows.community_trigger.services import complaints

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture(autouse=True)
def _never_a_server_error(client: TestClient) -> None:
    never_a_server_error(client)


@pytest.fixture
def staff(session_factory: SessionFactory, clock: FixedClock) -> dict[str, StaffMember]:
    with session_factory() as s:
        return make_staff(s, clock)


def stored(session_factory: SessionFactory) -> dict[str, int]:
    with session_factory() as s:
        return {
            t.__name__: s.exec(select(func.count()).select_from(t)).one()
            for t in (Case, Incident, Report, AuditEvent, ReportAudit)
        }


def case_of(session_factory: SessionFactory, ref: str) -> Case:
    with session_factory() as s:
        return load_case(s, ref)


def apply(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post(f"{API}/applications", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


def one_incident(clock: FixedClock, others: list[dict[str, Any]]) -> dict[str, Any]:
    body = application_body(today=clock.today(), incidents=1)
    body["incidents"][0]["other_reporters"] = others
    return body


def other(name: str, agency: str = "council", days: int = 19, **extra: Any) -> dict[str, Any]:
    """Someone else's report of the single incident (which happened 20 days ago)."""
    return {"name": name, "agency": agency, "reported_date": days, **extra}


def dated(clock: FixedClock, body: dict[str, Any]) -> dict[str, Any]:
    for person in body["incidents"][0].get("other_reporters", []):
        if isinstance(person["reported_date"], int):
            days = person["reported_date"]
            person["reported_date"] = (clock.today() - timedelta(days=days)).isoformat()
    return body


# --- relevant bodies ----------------------------------------------------------------------------


def test_three_incidents_reported_to_someone_else_never_meet_the_threshold_check(
    client: TestClient, clock: FixedClock
) -> None:
    day = clock.today() - timedelta(days=30)
    reports = [
        {
            "incident": str(n),
            "incident_date": (day + timedelta(days=n)).isoformat(),
            "reported_date": (day + timedelta(days=n)).isoformat(),
            "agency": "other",
        }
        for n in range(3)
    ]
    body = {"area": "llr", "application_date": clock.today().isoformat(), "reports": reports}
    result = client.post(f"{API}/threshold-check", json=body).json()
    assert result["met"] is False
    assert [r["counted"] for r in result["reports"]] == [False, False, False]
    assert all("not counted: not a relevant body" in r["reason"] for r in result["reports"])

    for r in reports:
        r["agency"] = "health"
    result = client.post(f"{API}/threshold-check", json=body).json()
    assert result["route"] == "three_incidents"
    assert "the integrated care board" in result["reports"][0]["reason"]


def test_an_application_whose_reports_went_to_someone_else_is_assessed_as_not_met(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    body = application_body(today=clock.today())
    for incident in body["incidents"]:
        incident["reports"][0]["agency"] = "other"
    case = case_of(session_factory, apply(client, body))
    assert case.threshold_assessment["met"] is False
    reasons = [r["reason"] for r in case.threshold_assessment["reports"]]
    assert all(r.startswith("not counted: not a relevant body") for r in reasons)


# --- other people who reported the same incident --------------------------------------------------


def test_three_distinct_people_reporting_one_incident_meet_the_threshold_through_the_api(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory, staff: dict
) -> None:
    body = dated(
        clock,
        one_incident(
            clock,
            [
                other("Jane Smith"),
                other(
                    "a neighbour at number 12",
                    "housing",
                    18,
                    phone="0116 496 0123",
                    contact_consent=True,
                ),
            ],
        ),
    )
    ref = apply(client, body)
    case = case_of(session_factory, ref)
    assert case.threshold_assessment["route"] == "three_complainants"
    explanation = case.threshold_assessment["explanation"]
    assert "most people reporting one incident: 3 (threshold 3)" in explanation
    assert "the applicant, Jane Smith and a neighbour at number 12" in explanation
    with session_factory() as s:
        rows = s.exec(select(Report).where(Report.case_id == case.id).order_by(Report.id)).all()
    assert [r.reporter for r in rows] == [None, "Jane Smith", "a neighbour at number 12"]
    assert [r.reporter_contact for r in rows] == [None, None, "0116 496 0123"]
    assert len({r.complainant_key for r in rows}) == 3
    detail = client.get(f"{API}/cases/{ref}", headers=bearer(staff["contact"])).json()
    assert detail["threshold"]["computed"]["route"] == "three_complainants"


def test_the_same_person_entered_twice_counts_once(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    body = dated(clock, one_incident(clock, [other("a neighbour"), other(" A  Neighbour ")]))
    case = case_of(session_factory, apply(client, body))
    assert case.threshold_assessment["met"] is False
    assert case.threshold_assessment["reports"][2]["reason"] == (
        "not counted: same incident as report 2, already counted for the same person (A  Neighbour)"
    )
    assert "most people reporting one incident: 2" in case.threshold_assessment["explanation"]


def test_the_applicant_named_again_as_another_person_is_not_counted_twice(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    body = dated(clock, one_incident(clock, [other("val victim"), other("Jane Smith")]))
    case = case_of(session_factory, apply(client, body))
    assert case.threshold_assessment["met"] is False
    assert "most people reporting one incident: 2" in case.threshold_assessment["explanation"]


@pytest.mark.parametrize(
    ("person", "field"),
    [
        (
            other("Jane Smith", email="jane@example.org"),
            "incidents.0.other_reporters.0.contact_consent",
        ),
        (other("Jane Smith", days=25), "incidents.0.other_reporters.0.reported_date"),
        (other("Jane Smith", days=-2), "incidents.0.other_reporters.0.reported_date"),
        (other("Jane Smith", agency="fire"), "incidents.0.other_reporters.0.agency"),
        (other(""), "incidents.0.other_reporters.0.name"),
    ],
    ids=["contact-without-consent", "before-incident", "future", "unknown-agency", "no-name"],
)
def test_bad_other_reporters_are_refused_by_field_and_store_nothing(
    client: TestClient,
    clock: FixedClock,
    session_factory: SessionFactory,
    person: dict[str, Any],
    field: str,
) -> None:
    before = stored(session_factory)
    response = client.post(f"{API}/applications", json=dated(clock, one_incident(clock, [person])))
    assert problem(response, 422)["field"] == field
    assert stored(session_factory) == before


# --- incidents and reports added after intake --------------------------------------------------


def two_incident_case(client: TestClient, clock: FixedClock) -> str:
    return apply(client, application_body(today=clock.today(), incidents=2))


def incident_data(clock: FixedClock, **changes: Any) -> dict[str, Any]:
    day = clock.today() - timedelta(days=5)
    data = {
        "occurred_on": day.isoformat(),
        "description": "Music until 3am.",
        "reported_to": "council",
        "reported_on": day.isoformat(),
    }
    return {**data, **changes}


def test_an_incident_added_after_intake_recomputes_the_assessment_and_keeps_before_and_after(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory, staff: dict
) -> None:
    ref = two_incident_case(client, clock)
    assert case_of(session_factory, ref).threshold_assessment["met"] is False
    response = fire(client, ref, staff["contact"], "incident_added", 1, **incident_data(clock))
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "submitted" and response.json()["version"] == 2
    case = case_of(session_factory, ref)
    assert case.threshold_assessment["route"] == "three_incidents"
    (change,) = case.threshold_assessment["changes"]
    assert change["event"] == "incident_added"
    assert change["before"]["met"] is False and change["after"]["met"] is True
    assert "is not met" in change["before"]["explanation"]
    with session_factory() as s:
        seqs = s.exec(select(Incident.seq).where(Incident.case_id == case.id)).all()
        audit = s.exec(
            select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.version == 2)
        ).one()
    assert sorted(seqs) == [1, 2, 3]
    assert (
        audit.trigger == "incident_added" and audit.actor_user_id == staff["contact"].actor.user_id
    )
    assert audit.data["description"] == "Music until 3am."


def test_an_incident_reported_to_someone_else_added_after_intake_does_not_count(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory, staff: dict
) -> None:
    ref = two_incident_case(client, clock)
    data = incident_data(clock, reported_to="other")
    assert fire(client, ref, staff["jag_chair"], "incident_added", 1, **data).status_code == 200
    assessment = case_of(session_factory, ref).threshold_assessment
    assert assessment["met"] is False
    assert assessment["reports"][2]["reason"].startswith("not counted: not a relevant body")


def test_reports_by_two_more_people_added_after_intake_meet_the_three_complainants_limb(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory, staff: dict
) -> None:
    ref = apply(client, application_body(today=clock.today(), incidents=1))
    reported = (clock.today() - timedelta(days=19)).isoformat()
    first = fire(
        client,
        ref,
        staff["contact"],
        "report_added",
        1,
        incident=1,
        reported_to="police",
        reported_on=reported,
        reported_by="Sam Next Door",
    )
    assert first.status_code == 200, first.text
    second = fire(
        client,
        ref,
        staff["contact"],
        "report_added",
        2,
        incident=1,
        reported_to="health",
        reported_on=reported,
        reported_by="Ali Opposite",
        reporter_email="ali@example.org",
        contact_consent=True,
    )
    assert second.status_code == 200, second.text
    case = case_of(session_factory, ref)
    assert case.threshold_assessment["route"] == "three_complainants"
    assert [c["after"]["met"] for c in case.threshold_assessment["changes"]] == [False, True]
    assert (
        "the applicant, Sam Next Door and Ali Opposite" in case.threshold_assessment["explanation"]
    )


@pytest.mark.parametrize(
    ("event", "data", "field"),
    [
        ("incident_added", {"occurred_on": "2026-03-09"}, "data.occurred_on"),
        ("incident_added", {"reported_on": "2026-01-01"}, "data.reported_on"),
        ("incident_added", {"reported_to": "fire"}, "data.reported_to"),
        ("incident_added", {"description": ""}, "data.description"),
        ("report_added", {"incident": 9}, "data.incident"),
        ("report_added", {"reporter_phone": "0116", "reported_by": "Jo"}, "data.contact_consent"),
        ("report_added", {"reporter_phone": "0116", "contact_consent": True}, "data.reported_by"),
        ("complaint_linked", {"complaint": 999, "incident": 1}, "data.complaint"),
        (
            "report_added",
            {"reporter_email": "not-an-email", "reported_by": "Jo", "contact_consent": True},
            "data.reporter_email",
        ),
    ],
    ids=[
        "future-incident",
        "report-before-incident",
        "unknown-body",
        "no-description",
        "no-such-incident",
        "contact-without-consent",
        "contact-for-the-applicant",
        "no-such-complaint",
        "bad-email",
    ],
)
def test_bad_additions_are_refused_by_field_and_store_nothing(
    client: TestClient,
    clock: FixedClock,
    session_factory: SessionFactory,
    staff: dict,
    event: str,
    data: dict[str, Any],
    field: str,
) -> None:
    ref = two_incident_case(client, clock)
    if event == "incident_added":
        data = incident_data(clock, **data)
    elif event == "report_added":
        data = {"incident": 1, "reported_to": "police", "reported_on": "2026-02-11", **data}
    before = stored(session_factory)
    response = fire(client, ref, staff["contact"], event, 1, **data)
    assert problem(response, 422)["field"] == field
    assert stored(session_factory) == before
    assert case_of(session_factory, ref).version == 1


def test_additions_stop_at_the_threshold_decision_and_need_the_right_role_and_version(
    client: TestClient, clock: FixedClock, staff: dict
) -> None:
    ref = two_incident_case(client, clock)
    data = incident_data(clock)
    assert problem(fire(client, ref, staff["csp_chair"], "incident_added", 1, **data), 403)
    assert problem(fire(client, ref, staff["melton_jag_chair"], "incident_added", 1, **data), 403)
    assert problem(fire(client, ref, staff["contact"], "incident_added", 7, **data), 409)
    assert fire(client, ref, staff["contact"], "acknowledge", 1).status_code == 200
    assert fire(client, ref, staff["contact"], "incident_added", 2, **data).status_code == 200
    decided = fire(client, ref, staff["jag_chair"], "threshold_met", 3, reasons="Three incidents.")
    assert decided.status_code == 200, decided.text
    late = fire(client, ref, staff["contact"], "incident_added", 4, **data)
    assert problem(late, 409)


# --- complaints from the register linked to a case's incident ------------------------------------


def record(session: Session, clock: FixedClock, actor: Any, name: str, **changes: Any) -> int:
    happened = clock.today() - timedelta(days=20)
    body = {
        "locality": "leicester",
        "name": name,
        "postcode": "LE1 1AA",
        "incident_on": happened,
        "reported_on": happened + timedelta(days=1),
        "agency": "council",
        "description": "Shouting at night.",
        **changes,
    }
    done = complaints.record_complaint(
        session, clock=clock, complaint=complaints.ComplaintIn.model_validate(body), actor=actor
    )
    return done.report_id


def test_two_linked_register_complaints_meet_the_three_complainants_limb(
    client: TestClient,
    clock: FixedClock,
    session: Session,
    session_factory: SessionFactory,
    staff: dict,
) -> None:
    ref = apply(client, application_body(today=clock.today(), incidents=1))
    contact = staff["contact"].actor
    first = record(session, clock, contact, "Robin Smith")
    second = record(session, clock, contact, "Kim Jones", agency="police")
    ok = fire(client, ref, staff["contact"], "complaint_linked", 1, complaint=first, incident=1)
    assert ok.status_code == 200, ok.text
    again = fire(client, ref, staff["contact"], "complaint_linked", 2, complaint=first, incident=1)
    assert problem(again, 422)["field"] == "data.complaint"
    ok = fire(client, ref, staff["contact"], "complaint_linked", 2, complaint=second, incident=1)
    assert ok.status_code == 200, ok.text
    case = case_of(session_factory, ref)
    assert case.threshold_assessment["route"] == "three_complainants"
    assert "the applicant, Robin Smith and Kim Jones" in case.threshold_assessment["explanation"]
    with session_factory() as s:
        view = complaints.complaint_view(s, report_id=first, actor=contact)
    assert (view["linked_case"], view["linked_incident"]) == (ref, 1)


def test_a_complaint_of_another_locality_or_another_day_cannot_be_linked(
    client: TestClient,
    clock: FixedClock,
    session: Session,
    session_factory: SessionFactory,
    staff: dict,
) -> None:
    ref = apply(client, application_body(today=clock.today(), incidents=1))
    melton = record(session, clock, staff["melton_jag_chair"].actor, "Robin", locality="melton")
    three_days_ago = clock.today() - timedelta(days=3)
    other_day = record(
        session,
        clock,
        staff["contact"].actor,
        "Kim",
        incident_on=three_days_ago,
        reported_on=three_days_ago,
    )
    before = stored(session_factory)
    wrong_place = fire(
        client, ref, staff["contact"], "complaint_linked", 1, complaint=melton, incident=1
    )
    assert problem(wrong_place, 422)["field"] == "data.complaint"
    wrong_day = fire(
        client, ref, staff["contact"], "complaint_linked", 1, complaint=other_day, incident=1
    )
    assert problem(wrong_day, 422)["field"] == "data.incident"
    assert stored(session_factory) == before
    with session_factory() as s:
        assert s.get(Report, other_day).case_id is None  # type: ignore[union-attr]


def test_the_applicants_own_register_complaint_counts_once(
    client: TestClient,
    clock: FixedClock,
    session: Session,
    session_factory: SessionFactory,
    staff: dict,
) -> None:
    ref = apply(client, application_body(today=clock.today(), incidents=1))
    own = record(session, clock, staff["contact"].actor, "Val Victim", email="victim@example.org")
    ok = fire(client, ref, staff["contact"], "complaint_linked", 1, complaint=own, incident=1)
    assert ok.status_code == 200, ok.text
    assessment = case_of(session_factory, ref).threshold_assessment
    assert "most people reporting one incident: 1" in assessment["explanation"]
    assert assessment["reports"][1]["reason"].startswith("not counted: same incident as report 1")


def test_a_hate_incident_added_after_intake_marks_the_case_and_is_assessed_on_that_route(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory, staff: dict
) -> None:
    ref = apply(client, application_body(today=clock.today(), incidents=1))
    assert case_of(session_factory, ref).threshold_assessment["met"] is False
    data = incident_data(clock, hate_incident=True, place="Bus stop on London Road")
    assert fire(client, ref, staff["contact"], "incident_added", 1, **data).status_code == 200
    case = case_of(session_factory, ref)
    assert case.hate_incident is True
    assert case.threshold_assessment["route"] == "hate_incident"
    with session_factory() as s:
        added = s.exec(select(Incident).where(Incident.case_id == case.id, Incident.seq == 2)).one()
    assert (added.place, added.hate_incident) == ("Bus stop on London Road", True)
