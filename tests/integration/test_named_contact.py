"""Managers hand a case to another named contact: one version-checked, audited transaction,
only a point of contact of the case's locality can be chosen, and the applicant is told
who their new contact is and how to reach them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import Session, func, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidInput, NotAllowed, StaleVersion
from engine.models import AuditEvent, Case, OutboxMessage, User
from engine.services import named_contact
from engine.services.staff import add_user
from notifications.outbox import dispatch_once
from tests.factories import load_case, make_case, make_staff
from tests.integration.test_outbox import RecordingChannel
from tests.integration.test_staff_login import Staff, browser_for
from workflows.community_trigger import documents

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    people = make_staff(session, clock)
    for email, name, locality in (
        ("robin@example.org", "Robin Reyes", "leicester"),
        ("mel@example.org", "Mel Melton", "melton"),
    ):
        add_user(session, clock=clock, email=email, name=name, role="contact", locality=locality)
    return people


def signed_in(app: Any, session: Session, clock: FixedClock, email: str) -> Staff:
    me = browser_for(app, session, clock, email)
    me.sign_in()
    return me


def ids(factory: SessionFactory) -> dict[str, int]:
    with factory() as s:
        return {u.email: u.id for u in s.exec(select(User)).all() if u.id is not None}


def case_row(factory: SessionFactory, ref: str) -> Case:
    with factory() as s:
        return load_case(s, ref)


def written(factory: SessionFactory, ref: str) -> tuple[int, int, int]:
    """(case version, audit rows, outbox rows) of a case."""
    with factory() as s:
        case = load_case(s, ref)
        audits = s.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)
        ).one()
        sent = s.exec(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.case_id == case.id)
        ).one()
        return case.version, audits, sent


def test_a_manager_hands_the_case_over_and_the_applicant_is_told(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock, email="val@example.org").reference
    users = ids(session_factory)
    manager = signed_in(app, session, clock, staff["manager"].email)
    page = manager.get(f"/staff/cases/{ref}").text
    assert f'href="/staff/cases/{ref}/contact"' in page
    assert "Contact (contact@example.org)" in page  # the locality's first contact, as before
    form = manager.get(f"/staff/cases/{ref}/contact").text
    assert "Robin Reyes" in form and "robin@example.org" in form
    assert "Mel Melton" not in form  # a contact of another locality is not offered
    assert 'name="version" value="1"' in form
    # The first dispatch sends the receipt, so only the new message is left after the change.
    channel = RecordingChannel()
    dispatch_once(session_factory, channel=channel, clock=clock, worker="w", base_url="http://ct")
    done = manager.post(
        f"/staff/cases/{ref}/contact",
        {"contact": str(users["robin@example.org"]), "version": "1", "reason": "Sam is on leave"},
    )
    assert done.headers["location"] == f"/staff/cases/{ref}"
    assert "Robin Reyes (robin@example.org)" in manager.get(f"/staff/cases/{ref}").text
    case = case_row(session_factory, ref)
    assert case.version == 2 and case.contact_user_id == users["robin@example.org"]
    assert case.state == "submitted"
    with session_factory() as s:
        row = s.exec(
            select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.version == 2)
        ).one()
        assert documents.named_contact(s, case) == {
            "name": "Robin Reyes",
            "email": "robin@example.org",
        }
    assert row.trigger == "contact_reassigned" and row.actor_label == "Manager"
    assert row.from_state == row.to_state == "submitted" and row.reason == "Sam is on leave"
    assert (
        row.data["contact_name"] == "Robin Reyes" and row.data["previous_contact_name"] == "Contact"
    )
    channel.sent.clear()
    dispatch_once(session_factory, channel=channel, clock=clock, worker="w", base_url="http://ct")
    [message] = channel.sent
    assert message.to == "val@example.org" and message.message == "named_contact_changed"
    text = message.rendered.text
    assert "Your named contact is now Robin Reyes" in text
    assert "robin@example.org" in text and ref in text
    assert "http://ct/status/" in text  # where their private status link leads
    assert "Sam is on leave" not in text  # the reason is for staff
    # The case history shows the change.
    assert "contact reassigned" in manager.get(f"/staff/cases/{ref}").text.lower()


def test_only_a_contact_of_the_locality_can_be_chosen_and_nothing_is_stored_otherwise(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock).reference
    users = ids(session_factory)
    manager = signed_in(app, session, clock, staff["manager"].email)
    manager.get(f"/staff/cases/{ref}/contact")
    before = written(session_factory, ref)
    for choice, message in (
        ("", "Choose a point of contact"),
        (str(users["mel@example.org"]), "Choose a point of contact"),  # Melton's contact
        (str(users["jag@example.org"]), "Choose a point of contact"),  # not a contact
        (str(users["contact@example.org"]), "is already the named contact"),
        ("99999999999999999999", "Choose a point of contact"),
        ("<script>", "Choose a point of contact"),
    ):
        page = manager.post(
            f"/staff/cases/{ref}/contact", {"contact": choice, "version": "1"}, status=422
        ).text
        assert "govuk-error-summary" in page and message in page and 'href="#contact"' in page
    long_reason = {"contact": str(users["robin@example.org"]), "version": "1", "reason": "x" * 1001}
    page = manager.post(f"/staff/cases/{ref}/contact", long_reason, status=422).text
    assert "1000 characters or fewer" in page
    assert written(session_factory, ref) == before


def test_a_stale_version_is_refused(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock).reference
    users = ids(session_factory)
    manager = signed_in(app, session, clock, staff["manager"].email)
    manager.get(f"/staff/cases/{ref}/contact")
    before = written(session_factory, ref)
    page = manager.post(
        f"/staff/cases/{ref}/contact",
        {"contact": str(users["robin@example.org"]), "version": "7"},
        status=409,
    ).text
    assert "someone else changed this case" in page
    assert written(session_factory, ref) == before
    with session_factory() as s, pytest.raises(StaleVersion):
        named_contact.reassign(
            s,
            clock=clock,
            case_ref=ref,
            actor=staff["manager"].actor,
            contact_user_id=users["robin@example.org"],
            reason="",
            expected_version=0,
        )


def test_only_managers_of_the_case_may_change_its_contact(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock).reference
    users = ids(session_factory)
    before = written(session_factory, ref)
    body = {"contact": str(users["robin@example.org"]), "version": "1"}
    for key in ("contact", "jag_chair", "csp_chair", "admin"):
        me = signed_in(app, session, clock, staff[key].email)
        assert f"/staff/cases/{ref}/contact" not in me.get(f"/staff/cases/{ref}").text
        me.get(f"/staff/cases/{ref}/contact", status=403)
        me.post(f"/staff/cases/{ref}/contact", body, status=403)
    chair = signed_in(app, session, clock, staff["blaby_appeal_chair"].email)
    chair.get(f"/staff/cases/{ref}/contact", status=404)
    manager = signed_in(app, session, clock, staff["manager"].email)
    forged = manager.client.post(
        f"/staff/cases/{ref}/contact", data={**body, "csrf_token": "f" * 64}
    )
    assert forged.status_code == 403
    assert written(session_factory, ref) == before
    with session_factory() as s, pytest.raises(NotAllowed):
        named_contact.reassign(
            s,
            clock=clock,
            case_ref=ref,
            actor=staff["contact"].actor,
            contact_user_id=users["robin@example.org"],
            reason="",
            expected_version=1,
        )
    with session_factory() as s, pytest.raises(InvalidInput):
        named_contact.reassign(
            s,
            clock=clock,
            case_ref=ref,
            actor=staff["manager"].actor,
            contact_user_id=users["mel@example.org"],
            reason="",
            expected_version=1,
        )


def test_a_disabled_chosen_contact_falls_back_to_the_locality_contact(
    session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock).reference
    session.rollback()
    users = ids(session_factory)
    with session_factory() as s:
        named_contact.reassign(
            s,
            clock=clock,
            case_ref=ref,
            actor=staff["manager"].actor,
            contact_user_id=users["robin@example.org"],
            reason="",
            expected_version=1,
        )
    with session_factory() as s:
        robin = s.get(User, users["robin@example.org"])
        assert robin is not None
        robin.active = False
        s.add(robin)
        s.commit()
        case = load_case(s, ref)
        assert documents.named_contact(s, case) == {
            "name": "Contact",
            "email": "contact@example.org",
        }
    assert re.fullmatch(r"CT-\d{4}-\d{6}", ref)
