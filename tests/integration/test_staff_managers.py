"""The managers' pages: a case's reminder ledger, dead letters and their retry button."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from engine import registry
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import OutboxMessage, RoleGrant, User
from engine.settings import Settings
from notifications.channels import PermanentFailure
from notifications.outbox import dispatch_once
from notifications.worker import build_worker
from tests.factories import make_case, make_staff
from tests.integration.test_outbox import RecordingChannel
from tests.integration.test_staff_login import Staff, browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    people = make_staff(session, clock)
    # The CLI makes every manager area-wide; the engine also knows a manager of one locality.
    user = User(email="melton.manager@example.org", name="Melton Manager", created_at=clock.now())
    session.add(user)
    session.flush()
    assert user.id is not None
    area = registry.locality_area("melton").id
    session.add(RoleGrant(user_id=user.id, role="manager", area_id=area, locality_id="melton"))
    session.commit()
    return people


def signed_in(app: Any, session: Session, clock: FixedClock, email: str) -> Staff:
    me = browser_for(app, session, clock, email)
    me.sign_in()
    return me


def dead_letter(session_factory: SessionFactory, clock: FixedClock) -> tuple[str, int]:
    """A Leicester case whose receipt the provider refused for good."""
    with session_factory() as s:
        ref = make_case(s, clock, email="val@example.org").reference
    channel = RecordingChannel(failures=[PermanentFailure("mailbox full for good")])
    dispatch_once(session_factory, channel=channel, clock=clock, worker="w1", base_url="http://ct")
    with session_factory() as s:
        row = s.exec(select(OutboxMessage).where(OutboxMessage.status == "failed")).one()
    assert row.id is not None
    return ref, row.id


def status_of(session_factory: SessionFactory, message_id: int) -> str:
    with session_factory() as s:
        row = s.get(OutboxMessage, message_id)
        assert row is not None
        return row.status


def test_the_ledger_lists_sent_cancelled_and_planned_messages_with_why(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock).reference
    worker = build_worker(Settings(), session_factory, clock=clock, channel=RecordingChannel())
    worker.run_once()
    clock.advance(days=2)  # Wed 4 Mar: the acknowledgement was missed
    worker.run_once()
    manager = signed_in(app, session, clock, staff["manager"].email)
    case_page = manager.get(f"/staff/cases/{ref}")
    assert f'href="/staff/cases/{ref}/reminders"' in case_page.text
    page = manager.get(f"/staff/cases/{ref}/reminders").text
    assert "Reminders and messages" in page and f"Case {ref}" in page
    assert "Acknowledge the application</caption>" in page
    assert "Tell the applicant the threshold decision</caption>" in page
    assert "Reminder, 2 working days before: " in page
    assert "Escalation when missed" in page and "Escalation, 5 working days overdue" in page
    for tag in ("Sent", "Cancelled", "Planned"):
        assert f">{tag}</strong>" in page, tag
    assert "contact@example.org" in page  # the recipient of a sent reminder
    assert "Applicant" in page and "Manager" in page and "Jag chair" in page


def test_only_managers_of_the_case_see_its_ledger_and_others_learn_nothing(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    ref = make_case(session, clock).reference  # Leicester
    contact = signed_in(app, session, clock, staff["contact"].email)
    assert "/reminders" not in contact.get(f"/staff/cases/{ref}").text
    page = contact.get(f"/staff/cases/{ref}/reminders", status=403)
    assert "Only a manager" in page.text and "val" not in page.text.lower().split("<main")[-1]
    signed_in(app, session, clock, staff["melton_jag_chair"].email).get(
        f"/staff/cases/{ref}/reminders", status=403
    )
    chair = signed_in(app, session, clock, staff["blaby_appeal_chair"].email)
    hidden = chair.get(f"/staff/cases/{ref}/reminders", status=404)
    unknown = chair.get("/staff/cases/CT-2099-999999/reminders", status=404)
    assert hidden.text.replace(ref, "X") == unknown.text.replace("CT-2099-999999", "X")
    melton_manager = signed_in(app, session, clock, "melton.manager@example.org")
    melton_manager.get(f"/staff/cases/{ref}/reminders", status=403)
    manager = signed_in(app, session, clock, staff["manager"].email)
    for bad in ("not-a-ref", "CT-2099-999999", "%00", "CT-" + "9" * 300):
        manager.get(f"/staff/cases/{bad}/reminders", status=404)


def test_a_manager_retries_a_dead_letter_and_sees_a_banner(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    ref, message_id = dead_letter(session_factory, clock)
    manager = signed_in(app, session, clock, staff["manager"].email)
    page = manager.get("/staff/dead-letters").text
    assert 'href="/staff/dead-letters"' in page  # in the navigation
    assert ref in page and "mailbox full for good" in page and "val@example.org" in page
    assert f'action="/staff/dead-letters/{message_id}/retry"' in page
    done = manager.post(f"/staff/dead-letters/{message_id}/retry", {})
    assert done.headers["location"] == f"/staff/dead-letters?retried={message_id}"
    assert status_of(session_factory, message_id) == "pending"
    banner = manager.get(done.headers["location"]).text
    assert "govuk-notification-banner--success" in banner
    assert f"Message {message_id} will be sent again" in banner
    assert f'action="/staff/dead-letters/{message_id}/retry"' not in banner  # off the list
    again = manager.post(f"/staff/dead-letters/{message_id}/retry", {}, status=409)
    assert "govuk-notification-banner" in again.text and "not a dead letter" in again.text
    assert status_of(session_factory, message_id) == "pending"


def test_retry_refuses_bad_ids_missing_tokens_and_people_who_do_not_manage_the_case(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    _ref, message_id = dead_letter(session_factory, clock)
    manager = signed_in(app, session, clock, staff["manager"].email)
    manager.get("/staff/dead-letters")
    for bad in ("abc", "0", "999999", "9" * 40, "-1", "1.5"):
        manager.post(f"/staff/dead-letters/{bad}/retry", {}, status=404)
    response = manager.client.post(
        f"/staff/dead-letters/{message_id}/retry", data={}, follow_redirects=False
    )
    assert response.status_code == 403  # no CSRF token
    contact = signed_in(app, session, clock, staff["contact"].email)
    assert 'href="/staff/dead-letters"' not in contact.get("/staff").text
    contact.get("/staff/dead-letters", status=403)
    contact.post(f"/staff/dead-letters/{message_id}/retry", {}, status=403)
    melton_manager = signed_in(app, session, clock, "melton.manager@example.org")
    assert "mailbox full" not in melton_manager.get("/staff/dead-letters").text
    melton_manager.post(f"/staff/dead-letters/{message_id}/retry", {}, status=404)
    assert status_of(session_factory, message_id) == "failed"


def test_an_empty_dead_letter_list_says_so(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    page = signed_in(app, session, clock, staff["admin"].email).get("/staff/dead-letters")
    assert "There are no dead letters" in page.text


@pytest.mark.parametrize(
    ("who", "manager_links"),
    [("manager", True), ("jag_chair", False), ("contact", False), ("csp_chair", False)],
)
def test_the_navigation_offers_the_managers_pages_to_managers_only(
    app: Any,
    session: Session,
    clock: FixedClock,
    staff: dict[str, Any],
    who: str,
    manager_links: bool,
) -> None:
    page = signed_in(app, session, clock, staff[who].email).get("/staff").text
    for href in ('href="/staff/overdue"', 'href="/staff/dead-letters"'):
        assert (href in page) is manager_links, href
    assert 'href="/staff/process"' in page
