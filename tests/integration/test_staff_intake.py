"""Staff entering an application for someone, and recording complaints with the 2025 guidance's
second-report-within-six-months prompt."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import AuditEvent, Case, OutboxMessage, Party, Report, ReportAudit
from tests.factories import load_case, make_case, make_staff
from tests.integration.test_staff_cases import signed_in
from workflows.community_trigger.services import complaints
from workflows.community_trigger.services.intake import complainant_key, hash_token

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

LINK = re.compile(r"/status/([A-Za-z0-9_-]{43})")


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    people = make_staff(session, clock)
    session.rollback()  # end the read, so the app's own sessions can write (SQLite)
    return people


def application_form(channel: str = "phone", **changes: str) -> dict[str, str]:
    """A complete application as the staff form posts it: two incidents, three reports."""
    form = {
        "channel": channel,
        "locality": "leicester",
        "applicant_role": "victim",
        "applicant_name": "Pat Caller",
        "applicant_phone": "0116 496 0000",
        "applicant_address": "1 High Street, Leicester",
        "applicant_postcode": "LE1 1AA",
        "contact_preference": "phone",
        "accessibility_needs": "Calls after 2pm, please.",
        "involvement": "attend",
        "inc1_date-day": "2",
        "inc1_date-month": "2",
        "inc1_date-year": "2026",
        "inc1_description": "Stones thrown at the window.",
        "inc1_rep1_agency": "police",
        "inc1_rep1_date-day": "2",
        "inc1_rep1_date-month": "2",
        "inc1_rep1_date-year": "2026",
        "inc1_rep1_reference": "LP-1",
        "inc1_rep2_agency": "council",
        "inc1_rep2_date-day": "3",
        "inc1_rep2_date-month": "2",
        "inc1_rep2_date-year": "2026",
        "inc2_date-day": "16",
        "inc2_date-month": "2",
        "inc2_date-year": "2026",
        "inc2_description": "Shouting at the door at night.",
        "inc2_hate": "yes",
        "inc2_characteristic": "Race",
        "inc2_rep1_agency": "housing",
        "inc2_rep1_date-day": "17",
        "inc2_rep1_date-month": "2",
        "inc2_rep1_date-year": "2026",
        "consent_to_share": "yes",
        "declaration": "yes",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v != ""}


def counts(session_factory: SessionFactory) -> dict[str, int]:
    with session_factory() as s:
        return {
            t.__name__: s.exec(select(func.count()).select_from(t)).one()
            for t in (Case, Party, Report, AuditEvent, OutboxMessage, ReportAudit)
        }


def user_id(session_factory: SessionFactory, staff: dict, who: str) -> int:
    return staff[who].actor.user_id  # type: ignore[no-any-return]


# --- entering an application --------------------------------------------------------------


@pytest.mark.parametrize("channel", ["phone", "paper", "in_person", "representative"])
def test_staff_enter_an_application_for_each_channel(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    staff: dict,
    channel: str,
) -> None:
    before = counts(session_factory)
    contact = signed_in(app, session, clock, staff, "contact")
    page = contact.get("/staff/applications/new")
    assert "Enter an application for someone" in page.text
    extra = {}
    if channel == "representative":
        extra = {
            "applicant_role": "representative",
            "consent_detail": "The victim agreed by phone on 1 March 2026.",
            "victim_name": "Val Victim",
            "victim_postcode": "LE1 2BB",
        }
    done = contact.post("/staff/applications/new", application_form(channel, **extra))
    where = done.headers["location"]
    ref = re.fullmatch(r"/staff/applications/(CT-\d{4}-\d{6})/entered", where).group(1)  # type: ignore[union-attr]

    shown = contact.get(where)
    assert f"Application {ref} sent" in shown.text and "Stones thrown" in shown.text
    token = LINK.search(shown.text).group(1)  # type: ignore[union-attr]
    # The link is shown once: the next visit goes to the plain case page.
    again = contact.get(where, status=303)
    assert again.headers["location"] == f"/staff/cases/{ref}"
    assert token not in contact.get(f"/staff/cases/{ref}").text

    with session_factory() as s:
        case = load_case(s, ref)
        assert case.channel == channel and case.status_token_hash == hash_token(token)
        assert case.hate_incident and case.contact_preference == "phone"
        audit = s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)).one()
        assert audit.actor_user_id == user_id(session_factory, staff, "contact")
        assert audit.actor_label == "Contact"
        reports = s.exec(select(Report).where(Report.case_id == case.id)).all()
        assert sorted(r.agency for r in reports) == ["council", "housing", "police"]
        kinds = {p.kind for p in s.exec(select(Party).where(Party.case_id == case.id)).all()}
        assert kinds == ({"applicant", "victim"} if channel == "representative" else {"applicant"})
        receipt = s.exec(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).all()
    # The acknowledgement goes by the preference they gave (phone: no email to send; post).
    assert receipt, "the receipt is queued as for an online application"
    after = counts(session_factory)
    assert after["Case"] == before["Case"] + 1 and after["Report"] == before["Report"] + 3


def test_a_locality_outside_the_users_grants_is_refused_and_nothing_stored(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")  # Leicester only
    page = contact.get("/staff/applications/new")
    assert 'value="leicester"' in page.text and 'value="melton"' not in page.text
    before = counts(session_factory)
    refused = contact.post(
        "/staff/applications/new", application_form(locality="melton"), status=403
    )
    assert "You do not have access" in refused.text
    assert counts(session_factory) == before


def test_staff_without_a_contact_or_jag_chair_grant_cannot_enter_applications(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    for who in ("csp_chair", "manager"):
        me = signed_in(app, session, clock, staff, who)
        assert "Enter an application" not in me.get("/staff").text
        me.get("/staff/applications/new", status=403)
        me.get("/staff/complaints/new", status=403)
        before = counts(session_factory)
        me.post("/staff/applications/new", application_form(), status=403)
        assert counts(session_factory) == before
    chair = signed_in(app, session, clock, staff, "melton_jag_chair")
    assert 'href="/staff/applications/new"' in chair.get("/staff").text
    page = chair.get("/staff/applications/new")
    assert 'value="melton"' in page.text and 'value="leicester"' not in page.text


def test_the_form_without_its_csrf_token_is_refused(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    before = counts(session_factory)
    for path, data in (
        ("/staff/applications/new", application_form()),
        ("/staff/complaints/new", {"locality": "leicester", "name": "A Person"}),
    ):
        response = contact.client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403
    assert counts(session_factory) == before


def test_missing_and_bad_answers_get_the_error_summary_and_nothing_is_stored(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    contact.get("/staff/applications/new")
    before = counts(session_factory)
    bad = application_form(
        channel="",
        applicant_name="",
        declaration="",
        **{"inc1_date-month": "13", "inc2_rep1_agency": "", "applicant_email": "not-an-email"},
    )
    page = contact.post("/staff/applications/new", bad, status=422)
    assert "There is a problem" in page.text and page.text.count("govuk-error-message") >= 5
    for anchor in ("#channel", "#applicant_name", "#declaration", "#inc1_date-day"):
        assert f'href="{anchor}"' in page.text, anchor
    assert 'href="#inc2_rep1_agency"' in page.text
    assert "Enter the applicant&#39;s name" in page.text
    # What they typed is kept.
    assert "Stones thrown at the window." in page.text
    assert counts(session_factory) == before

    # Shape is fine but the model refuses the email address: named on its field.
    page = contact.post(
        "/staff/applications/new", application_form(applicant_email="nobody@"), status=422
    )
    assert 'href="#applicant_email"' in page.text and "correct format" in page.text
    # The engine's rules come back on the right box: a report before its incident.
    page = contact.post(
        "/staff/applications/new",
        application_form(**{"inc2_rep1_date-day": "1", "inc2_rep1_date-month": "1"}),
        status=422,
    )
    assert 'href="#inc2_rep1_date-day"' in page.text and "before the incident" in page.text
    # Online is not a way staff take an application; no consent means no review.
    page = contact.post("/staff/applications/new", application_form("online"), status=422)
    assert 'href="#channel"' in page.text
    page = contact.post(
        "/staff/applications/new", application_form(consent_to_share=""), status=422
    )
    assert 'href="#consent_to_share"' in page.text
    # Someone applying for another person must say who the victim is.
    page = contact.post(
        "/staff/applications/new",
        application_form(applicant_role="representative", applicant_email="rep@example.org"),
        status=422,
    )
    assert 'href="#victim_name"' in page.text
    assert counts(session_factory) == before


def test_empty_incident_rows_are_skipped_but_none_at_all_is_an_error(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    contact.get("/staff/applications/new")
    form = {k: v for k, v in application_form().items() if not k.startswith("inc")}
    page = contact.post("/staff/applications/new", form, status=422)
    assert 'href="#inc1_date-day"' in page.text
    half = {**form, "inc3_description": "Graffiti on the fence."}
    page = contact.post("/staff/applications/new", half, status=422)
    assert 'href="#inc3_date-day"' in page.text and 'href="#inc3_rep1_agency"' in page.text


# --- complaints and the second report within six months -------------------------------------


def complaint_form(
    reported: date, *, name: str = "Sam Neighbour", postcode: str = "LE2 3CC", **changes: str
) -> dict[str, str]:
    form = {
        "locality": "leicester",
        "name": name,
        "postcode": postcode,
        "incident_on-day": str(reported.day),
        "incident_on-month": str(reported.month),
        "incident_on-year": str(reported.year),
        "reported_on-day": str(reported.day),
        "reported_on-month": str(reported.month),
        "reported_on-year": str(reported.year),
        "agency": "council",
        "reference": "ASB-77",
        "description": "Loud music until 3am.",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v != ""}


def record(me: Any, reported: date, **kwargs: Any) -> tuple[int, str]:
    me.get("/staff/complaints/new")
    done = me.post("/staff/complaints/new", complaint_form(reported, **kwargs))
    report_id = int(done.headers["location"].rsplit("/", 1)[1])
    return report_id, me.get(done.headers["location"]).text


def actions(session_factory: SessionFactory, report_id: int) -> list[str]:
    with session_factory() as s:
        rows = s.exec(select(ReportAudit).where(ReportAudit.report_id == report_id)).all()
        return [r.action for r in rows]


def test_a_first_complaint_is_stored_without_a_case_and_not_flagged(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    assert 'href="/staff/complaints/new"' in contact.get("/staff").text
    report_id, page = record(contact, date(2026, 2, 20))
    assert "Complaint recorded" in page
    assert "Second report in six months" not in page
    assert "no earlier report" in page
    with session_factory() as s:
        report = s.get(Report, report_id)
        assert report is not None and report.case_id is None
        assert report.complainant_key == complainant_key(name="sam neighbour", postcode="le23cc")
        audit = s.exec(select(ReportAudit).where(ReportAudit.report_id == report_id)).one()
    assert audit.action == complaints.RECORDED and audit.actor_label == "Contact"
    assert audit.data["description"] == "Loud music until 3am."


@pytest.mark.parametrize(
    ("earlier", "flagged"),
    [
        (date(2025, 9, 2), True),  # six months beginning 2 September end on 1 March: the last day
        (date(2025, 9, 1), False),  # ... beginning 1 September end on 28 February: a day after
        (date(2026, 2, 1), True),
    ],
)
def test_a_second_report_within_six_months_is_flagged_with_the_case_review_prompt(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    staff: dict,
    earlier: date,
    flagged: bool,
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    first_id, _ = record(contact, earlier)
    assert actions(session_factory, first_id) == [complaints.RECORDED]
    # The same person, written a little differently, on 1 March 2026.
    second_id, page = record(contact, date(2026, 3, 1), name="SAM  neighbour", postcode="le23cc")
    assert ("Second report in six months" in page) is flagged
    if flagged:
        assert "Tell them about the ASB Case Review" in page
        assert "We found 1 earlier report" in page and earlier.strftime("%B %Y") in page
        assert 'href="/"' in page and 'href="/check"' in page
        assert "I have explained the case review" in page
        assert actions(session_factory, second_id) == [
            complaints.RECORDED,
            complaints.PROMPT_SHOWN,
        ]
    else:
        assert actions(session_factory, second_id) == [complaints.RECORDED]


def test_a_report_by_another_person_does_not_count(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    record(contact, date(2026, 2, 1), name="Someone Else")
    record(contact, date(2026, 2, 2), postcode="LE9 9ZZ")  # same name, another postcode
    _, page = record(contact, date(2026, 2, 20))
    assert "Second report in six months" not in page


def test_reports_from_an_online_application_count_for_the_same_email(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    make_case(session, clock, incidents=1, email="Val@Example.org")
    contact = signed_in(app, session, clock, staff, "contact")
    _, page = record(contact, date(2026, 2, 25), name="Val Victim", email="val@example.org")
    assert "Second report in six months" in page and "We found 1 earlier report" in page


def test_the_explanation_is_recorded_once_and_counted_for_managers(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    first_id, _ = record(contact, date(2026, 1, 10))
    second_id, _ = record(contact, date(2026, 2, 10))
    contact.post(f"/staff/complaints/{second_id}/explained", {})
    page = contact.get(f"/staff/complaints/{second_id}").text
    assert "Recorded: Contact explained the case review" in page
    assert "I have explained the case review" not in page
    contact.post(f"/staff/complaints/{second_id}/explained", {})  # a second click adds nothing
    assert actions(session_factory, second_id) == [
        complaints.RECORDED,
        complaints.PROMPT_SHOWN,
        complaints.EXPLAINED,
    ]
    # Nothing to explain on a first report.
    contact.post(f"/staff/complaints/{first_id}/explained", {}, status=422)
    with session_factory() as s:
        explained = s.exec(
            select(ReportAudit).where(ReportAudit.action == complaints.EXPLAINED)
        ).one()
        assert explained.actor_user_id == user_id(session_factory, staff, "contact")
        counted = complaints.case_review_prompts(s, actor=staff["manager"].actor)
    assert counted == {"leicester": {complaints.PROMPT_SHOWN: 1, complaints.EXPLAINED: 1}}


def test_complaints_of_another_locality_are_refused_or_not_found(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    report_id, _ = record(contact, date(2026, 2, 10))
    melton = signed_in(app, session, clock, staff, "melton_jag_chair")
    melton.get(f"/staff/complaints/{report_id}", status=404)
    melton.get("/staff/complaints/new")
    before = counts(session_factory)
    melton.post("/staff/complaints/new", complaint_form(date(2026, 2, 11)), status=403)
    melton.post(f"/staff/complaints/{report_id}/explained", {}, status=404)
    assert counts(session_factory) == before


def test_a_complaint_with_bad_answers_gets_the_error_summary_and_nothing_is_stored(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff, "contact")
    contact.get("/staff/complaints/new")
    before = counts(session_factory)
    bad = complaint_form(date(2026, 2, 10), name="", agency="", **{"reported_on-day": "31"})
    bad["reported_on-month"] = "2"
    page = contact.post("/staff/complaints/new", bad, status=422)
    for anchor in ("#name", "#agency", "#reported_on-day"):
        assert f'href="{anchor}"' in page.text, anchor
    assert "The date it was reported must be a real date" in page.text
    no_month = complaint_form(date(2026, 2, 10), **{"incident_on-month": ""})
    page = contact.post("/staff/complaints/new", no_month, status=422)
    assert "must include a month" in page.text and 'href="#incident_on-day"' in page.text
    page = contact.post(
        "/staff/complaints/new", complaint_form(date(2026, 2, 10), postcode=""), status=422
    )
    assert 'href="#postcode"' in page.text and "postcode" in page.text
    future = complaint_form(date(2026, 3, 3))
    page = contact.post("/staff/complaints/new", future, status=422)
    assert 'href="#incident_on-day"' in page.text and "future" in page.text
    page = contact.post(
        "/staff/complaints/new",
        complaint_form(date(2026, 2, 10), **{"incident_on-day": "11"}),
        status=422,
    )
    assert 'href="#reported_on-day"' in page.text and "before the date of the incident" in page.text
    assert counts(session_factory) == before
