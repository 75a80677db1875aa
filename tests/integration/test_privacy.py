"""Personal data (issue 16): staff views recorded and shown to managers, the subject access
export, legal holds, and the retention schedule applied with a fixed clock."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import update
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import (
    AuditEvent,
    Case,
    CaseRetention,
    CaseView,
    Document,
    FormSession,
    Incident,
    OutboxMessage,
    Party,
    PrivacyEvent,
    Report,
    ReportAudit,
)
from engine.services import retention
from tests.factories import load_case, make_case, make_staff
from tests.integration.test_staff_cases import signed_in
from workflows.community_trigger.services import complaints
from workflows.community_trigger.services.complaints import ComplaintIn

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    return make_staff(session, clock)


@pytest.fixture
def ref(session: Session, clock: FixedClock, staff: dict) -> str:
    return make_case(session, clock, incidents=3, email="val@example.org").reference


def case_of(s: Session, ref: str) -> Case:
    return load_case(s, ref)


def add_document(session_factory: SessionFactory, ref: str, clock: FixedClock) -> int:
    with session_factory() as s:
        case = case_of(s, ref)
        doc = Document(
            case_id=case.id,
            event_version=1,
            kind="letter",
            title="Letter to Val Victim",
            media_type="text/plain",
            filename="letter.txt",
            size=17,
            content=b"Dear Val Victim,\n",
            created_at=clock.now(),
        )
        s.add(doc)
        s.commit()
        return doc.id  # type: ignore[return-value]


def views(session_factory: SessionFactory) -> list[tuple[Any, ...]]:
    with session_factory() as s:
        rows = s.exec(select(CaseView).order_by(CaseView.id)).all()  # type: ignore[arg-type]
        return [(v.user_id, v.what, v.item, v.via) for v in rows]


# --- who looked at this case --------------------------------------------------------------


def test_each_view_of_the_case_a_document_or_the_api_is_recorded_and_managers_see_them(
    app: Any,
    session: Session,
    clock: FixedClock,
    staff: dict,
    ref: str,
    session_factory: SessionFactory,
) -> None:
    doc_id = add_document(session_factory, ref, clock)
    chair = signed_in(app, session, clock, staff, "jag_chair")
    page = chair.get(f"/staff/cases/{ref}").text
    assert 'id="personal-data"' in page and "Who looked at this case" not in page
    chair.get(f"/staff/cases/{ref}/documents/{doc_id}")
    api = chair.client.get(
        f"/api/v1/cases/{ref}", headers={"authorization": f"Bearer {staff['contact'].token}"}
    )
    assert api.status_code == 200
    chair_id, contact_id = staff["jag_chair"].actor.user_id, staff["contact"].actor.user_id
    assert views(session_factory) == [
        (chair_id, "case", None, "page"),
        (chair_id, "document", str(doc_id), "page"),
        (contact_id, "case", None, "api"),
    ]

    manager = signed_in(app, session, clock, staff, "manager")
    assert "Who looked at this case" in manager.get(f"/staff/cases/{ref}").text
    manager.get(f"/staff/cases/{ref}/reminders")
    listing = manager.get(f"/staff/cases/{ref}/views").text
    assert "Its reminders and messages" in listing
    assert "Jag Chair" in listing and "Contact" in listing and "through the API" in listing
    assert f"A document (number {doc_id})" in listing
    assert views(session_factory)[-1] == (staff["manager"].actor.user_id, "views", None, "page")


def test_only_a_manager_may_see_who_looked_export_or_hold_and_a_refusal_records_nothing(
    app: Any,
    session: Session,
    clock: FixedClock,
    staff: dict,
    ref: str,
    session_factory: SessionFactory,
) -> None:
    chair = signed_in(app, session, clock, staff, "jag_chair")
    for path in ("views", "export.pdf", "export.json", "legal-hold"):
        chair.get(f"/staff/cases/{ref}/{path}", status=403)
    melton = signed_in(app, session, clock, staff, "melton_jag_chair")
    melton.get(f"/staff/cases/{ref}", status=403)
    assert views(session_factory) == []
    manager = signed_in(app, session, clock, staff, "manager")
    manager.get(f"/staff/cases/{ref}/export.csv", status=404)
    manager.get("/staff/cases/CT-2026-999999/views", status=404)


# --- subject access export ----------------------------------------------------------------


def test_the_export_holds_what_we_hold_where_it_came_from_who_had_it_and_the_timeline(
    app: Any,
    session: Session,
    clock: FixedClock,
    staff: dict,
    ref: str,
    session_factory: SessionFactory,
) -> None:
    add_document(session_factory, ref, clock)
    manager = signed_in(app, session, clock, staff, "manager")
    response = manager.get(f"/staff/cases/{ref}/export.json")
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    data = json.loads(response.content)
    held = data["what_we_hold"]
    assert held["people"][0]["name"] == "Val Victim"
    assert held["people"][0]["email"] == "val@example.org"
    assert [i["description"] for i in held["incidents"]][0] == "Incident 1: shouting at night."
    assert any("to the police" in line for line in data["where_it_came_from"])
    assert "val@example.org" in {m["to"] for m in data["shared_with"]["messages"]}
    assert data["shared_with"]["documents"][0]["title"] == "Letter to Val Victim"
    with session_factory() as s:
        triggers = [a.trigger for a in s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]  # type: ignore[arg-type]
    assert triggers and [h["event"] for h in data["timeline"]] == triggers
    assert "cannot be found for any one person" in data["equalities_monitoring"]
    assert "equalities_response" not in json.dumps(data)

    pdf = manager.get(f"/staff/cases/{ref}/export.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    for words in ("What we hold", "Where it came from", "Who it was shared with", "Timeline"):
        assert words in text
    assert "Val Victim" in text and "Equalities monitoring" in text
    assert views(session_factory) == [
        (staff["manager"].actor.user_id, "export", "json", "page"),
        (staff["manager"].actor.user_id, "export", "pdf", "page"),
    ]


# --- legal hold ---------------------------------------------------------------------------


def test_a_legal_hold_needs_a_reason_and_setting_and_lifting_it_are_audited(
    app: Any,
    session: Session,
    clock: FixedClock,
    staff: dict,
    ref: str,
    session_factory: SessionFactory,
) -> None:
    manager = signed_in(app, session, clock, staff, "manager")
    manager.get(f"/staff/cases/{ref}/legal-hold")
    refused = manager.post(f"/staff/cases/{ref}/legal-hold", {"action": "set", "reason": " "}, 422)
    assert "There is a problem" in refused.text and 'href="#reason"' in refused.text
    assert "Enter the reason for putting the case on hold</a>" in refused.text
    assert "[{" not in refused.text
    with session_factory() as s:
        assert s.exec(select(PrivacyEvent)).all() == []
        assert s.exec(select(CaseRetention)).all() == []

    manager.post(f"/staff/cases/{ref}/legal-hold", {"action": "set", "reason": "Claim lodged"})
    page = manager.get(f"/staff/cases/{ref}").text
    assert "This case is on legal hold" in page and "Claim lodged" in page
    assert "Lift the legal hold" in page
    manager.post(f"/staff/cases/{ref}/legal-hold", {"action": "clear", "reason": "Claim settled"})
    with session_factory() as s:
        events = s.exec(select(PrivacyEvent).order_by(PrivacyEvent.id)).all()  # type: ignore[arg-type]
        assert [(e.action, e.reason, e.actor_user_id) for e in events] == [
            ("legal_hold_set", "Claim lodged", staff["manager"].actor.user_id),
            ("legal_hold_cleared", "Claim settled", staff["manager"].actor.user_id),
        ]
        assert s.exec(select(CaseRetention)).one().hold_reason is None


# --- the retention schedule ---------------------------------------------------------------


def close(session_factory: SessionFactory, ref: str, when: datetime) -> None:
    with session_factory() as s:
        s.execute(
            update(Case)
            .where(Case.reference == ref)  # type: ignore[arg-type]
            .values(state="closed", closed_at=when, closure_reason="appeal_window_passed")
        )
        s.commit()


def run_at(session_factory: SessionFactory, when: datetime) -> retention.RetentionRun:
    with session_factory() as s:
        return retention.apply_schedule(s, clock=FixedClock(when))


def test_six_years_after_closure_personal_details_go_and_the_figures_stay(
    clock: FixedClock, ref: str, session_factory: SessionFactory
) -> None:
    add_document(session_factory, ref, clock)
    closed = clock.now() + timedelta(days=40)
    close(session_factory, ref, closed)
    assert run_at(session_factory, closed.replace(year=2032) - timedelta(days=1)).cases == 0
    with session_factory() as s:
        before = case_of(s, ref)
    assert run_at(session_factory, closed.replace(year=2032)).cases == 1
    assert run_at(session_factory, closed.replace(year=2033)).cases == 0  # once only

    with session_factory() as s:
        case = case_of(s, ref)
        party = s.exec(select(Party).where(Party.case_id == case.id)).one()
        incidents = s.exec(select(Incident).where(Incident.case_id == case.id)).all()
        reports = s.exec(select(Report).where(Report.case_id == case.id)).all()
        doc = s.exec(select(Document)).one()
        messages = s.exec(select(OutboxMessage)).all()
        event = s.exec(select(PrivacyEvent)).one()
    # Kept: what is counted.
    assert (case.state, case.locality_id, case.submitted_at, case.closed_at) == (
        before.state,
        "leicester",
        before.submitted_at,
        before.closed_at,
    )
    assert case.closure_reason == "appeal_window_passed" and case.channel == before.channel
    assert len(incidents) == 3 and [i.occurred_on for i in incidents]
    assert {r.agency for r in reports} == {"police"} and all(r.reported_on for r in reports)
    # Gone: names, contact details, free text.
    assert (party.name, party.email, party.phone, party.address) == ("Anonymised", None, None, None)
    assert all(i.description == retention.REMOVED for i in incidents)
    assert all(r.reference is None for r in reports)
    assert case.status_token_hash != before.status_token_hash
    assert b"Val" not in doc.content and doc.media_type == "text/plain"
    assert "Val" not in doc.title + doc.filename
    assert all("val@example.org" not in json.dumps([m.recipient, m.context]) for m in messages)
    assert (event.action, event.case_id, event.actor_label) == (
        "case_anonymised",
        case.id,
        "retention schedule",
    )
    assert event.data["parties"] == 1 and event.data["documents"] == 1


def test_a_legal_hold_stops_the_schedule_until_it_is_lifted(
    clock: FixedClock, ref: str, staff: dict, session_factory: SessionFactory
) -> None:
    closed = datetime(2026, 4, 1, tzinfo=UTC)
    close(session_factory, ref, closed)
    with session_factory() as s:
        retention.set_hold(
            s, reference=ref, actor=staff["manager"].actor, clock=clock, reason="Ombudsman"
        )
    later = datetime(2033, 1, 1, tzinfo=UTC)
    assert run_at(session_factory, later) == retention.RetentionRun(cases=0, held=1)
    with session_factory() as s:
        assert s.exec(select(Party)).one().name == "Val Victim"
        retention.clear_hold(
            s, reference=ref, actor=staff["manager"].actor, clock=clock, reason="Closed"
        )
    assert run_at(session_factory, later).cases == 1
    with session_factory() as s:
        assert s.exec(select(Party)).one().name == "Anonymised"


def test_a_hold_on_an_anonymised_case_changes_nothing_in_it(
    clock: FixedClock, ref: str, staff: dict, session_factory: SessionFactory
) -> None:
    close(session_factory, ref, datetime(2026, 4, 1, tzinfo=UTC))
    run_at(session_factory, datetime(2033, 1, 1, tzinfo=UTC))
    with session_factory() as s:
        audit_reasons = [a.reason for a in s.exec(select(AuditEvent)).all()]
    assert all(r in (None, retention.REMOVED) for r in audit_reasons)


def test_complaints_and_saved_answers_go_when_the_area_file_says(
    clock: FixedClock, staff: dict, session: Session, session_factory: SessionFactory
) -> None:
    session.commit()  # the staff fixture's read ends: SQLite has one writer
    complaint = ComplaintIn(
        locality="leicester",
        name="Carl Complainant",
        postcode="LE1 6ZG",
        incident_on=date(2026, 2, 1),
        reported_on=date(2026, 2, 2),
        agency="council",
        reference="COUNCIL-77",
        description="Carl says his neighbour Dan shouts.",
    )
    with session_factory() as s:
        done = complaints.record_complaint(
            s, clock=clock, complaint=complaint, actor=staff["contact"].actor
        )
        s.add(
            FormSession(
                id="f" * 64,
                answers={"your-name": {"name": "Sam"}},
                created_at=clock.now(),
                updated_at=clock.now(),
                expires_at=clock.now() + timedelta(days=2),
            )
        )
        s.commit()
    # 24 months after the report (2 February 2028), and 24 hours after the answers began.
    assert run_at(session_factory, datetime(2026, 3, 3, 9, 59, tzinfo=UTC)).saved_answers == 0
    assert run_at(session_factory, datetime(2026, 3, 3, 10, 0, tzinfo=UTC)).saved_answers == 1
    assert run_at(session_factory, datetime(2028, 2, 2, 12, tzinfo=UTC)).complaints == 0
    assert run_at(session_factory, datetime(2028, 2, 3, 12, tzinfo=UTC)).complaints == 1
    with session_factory() as s:
        report = s.get(Report, done.report_id)
        audit = s.exec(select(ReportAudit)).all()
        actions = {e.action for e in s.exec(select(PrivacyEvent)).all()}
    assert report is not None and report.complainant_key == "anonymised"
    assert (report.reference, report.agency, report.reported_on) == (
        None,
        "council",
        date(2026, 2, 2),
    )
    assert all(
        "Dan" not in json.dumps(a.data) and "COUNCIL" not in json.dumps(a.data) for a in audit
    )
    assert audit[0].data["agency"] == "council" and audit[0].data["reported_on"] == "2026-02-02"
    assert actions == {"saved_answers_deleted", "complaint_anonymised"}


def test_the_retention_section_of_the_area_file_is_checked() -> None:
    from engine.retention_rules import RetentionRules

    assert RetentionRules.from_mapping({}).case_years_after_closure == 6
    with pytest.raises(ValueError, match="unknown keys"):
        RetentionRules.from_mapping({"case_years": 6})
    with pytest.raises(ValueError, match="at least 1"):
        RetentionRules.from_mapping({"case_years_after_closure": 0})


def test_the_worker_schedules_the_release_and_the_retention_jobs(
    settings: Any, session_factory: SessionFactory, clock: FixedClock
) -> None:
    from notifications.worker import RETENTION_INTERVAL_SECONDS, build_worker, schedule

    worker = build_worker(settings, session_factory, clock=clock)
    jobs = {j.id: j for j in schedule(worker, settings, blocking=False).get_jobs()}
    assert jobs["equalities_release"].trigger.interval.total_seconds() == (
        settings.sweep_interval_seconds
    )
    assert jobs["retention"].trigger.interval.total_seconds() == RETENTION_INTERVAL_SECONDS
    assert worker.apply_retention() == retention.RetentionRun()
