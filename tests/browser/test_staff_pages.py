"""The staff workspace in Chromium: sign-in with TOTP, a case from threshold to appeal, axe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pyotp
import pytest
from sqlmodel import select

from engine.access import load_actor
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import User
from engine.services import auth
from engine.services.cases import record_event
from tests.browser.test_public_pages import WIDTHS, Tour
from tests.factories import load_case, make_case, make_staff

pytestmark = pytest.mark.browser
PASSWORD = "browser-password-1"


class World:
    """The staff, their TOTP secrets and the cases the journey works on."""

    def __init__(self, sessions: SessionFactory, clock: FixedClock) -> None:
        self.sessions, self.clock = sessions, clock
        with sessions() as s:
            self.staff = make_staff(s, clock)
            self.secrets = {
                key: auth.set_password(s, clock=clock, email=m.email, password=PASSWORD).totp_secret
                for key, m in self.staff.items()
            }
            self.review = make_case(s, clock, incidents=3).reference
            self.appeal = make_case(s, clock, incidents=1).reference
            self.late = make_case(s, clock, locality="melton").reference  # never acknowledged
        self.fire(self.review, "acknowledge", "contact", None)
        self.fire(self.appeal, "acknowledge", "contact", None)
        self.fire(self.appeal, "threshold_not_met", "jag_chair", {"reasons": "One incident."})
        details = {"ground": "facts_not_considered", "details": "The police log was missed."}
        self.fire(self.appeal, "appeal_lodged", "contact", details)
        chair = {"appeal_chair_email": self.staff["appeal_chair"].email}
        self.fire(self.appeal, "appeal_papers_sent", "contact", chair)

    def fire(self, ref: str, event: str, who: str, data: dict[str, Any] | None) -> None:
        with self.sessions() as s:
            case = load_case(s, ref)
            user = s.exec(select(User).where(User.email == self.staff[who].email)).one()
            record_event(
                s,
                clock=self.clock,
                case_ref=ref,
                event=event,
                data=data,
                actor=load_actor(s, user),
                expected_version=case.version,
            )

    def state(self, ref: str) -> str:
        with self.sessions() as s:
            return load_case(s, ref).state


@pytest.fixture
def world(session_factory: SessionFactory, clock: FixedClock) -> World:
    return World(session_factory, clock)


@pytest.fixture
def open_tab(chromium: Any, live_server: str, axe_source: str) -> Iterator[Any]:
    contexts = []

    def opener(name: str) -> Tour:
        context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900})
        context.set_default_timeout(5000)
        contexts.append(context)
        return Tour(context.new_page(), live_server, axe_source, f"staff-{name}")

    yield opener
    for context in contexts:
        context.close()


def sign_in(t: Tour, world: World, who: str, *, audit: bool = False) -> None:
    t.go("/staff")
    assert t.path() == "/staff/login"
    t.fill("Email address", world.staff[who].email)
    t.fill("Password", PASSWORD)
    if audit:
        t.audit("login")
    t.button("Continue")
    assert t.heading() == "Enter your security code"
    if audit:
        t.audit("code")
    # A TOTP code signs in once: each sign-in is a time step (30 s) after the last.
    world.clock.advance(seconds=30)
    t.fill("Enter your security code", pyotp.TOTP(world.secrets[who]).at(world.clock.now()))
    t.button("Sign in")
    assert t.heading() == "My work"


def test_jag_chair_csp_chair_appeal_chair_and_manager_progress_cases(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    jag = open_tab("jag")
    sign_in(jag, world, "jag_chair", audit=True)
    jag.audit("my-work")
    # The threshold decision's deadline is the point of contact's (they tell the applicant),
    # so the chair opens the case by its reference.
    jag.go(f"/staff/cases/{world.review}")
    jag.audit("case")
    jag.click("link", "Decide the threshold is met")
    jag.button("Decide the threshold is met")
    assert jag.error_summary()
    jag.audit("threshold-error")
    jag.fill("Reasons", "Three incidents reported to the police within six months.")
    jag.button("Decide the threshold is met")
    assert world.state(world.review) == "review_scheduled"
    jag.click("link", "Arrange the review meeting")
    jag.date("meeting_date", clock.today())
    jag.fill("Attendees", "Police\nCouncil ASB team\nHousing")
    jag.choose("Attend the meeting")
    jag.audit("arrange-meeting")
    jag.button("Arrange the review meeting")
    jag.click("link", "Record that the papers went to the review panel")
    jag.audit("papers-sent")
    jag.button("Record that the papers went to the review panel")
    jag.click("link", "Record the review meeting")
    jag.date("held_on", clock.today())
    jag.fill("Attendees", "Police\nCouncil ASB team\nHousing")
    jag.choose("Attend the meeting")
    jag.audit("review-meeting")
    jag.button("Record the review meeting")
    assert world.state(world.review) == "under_review"
    jag.click("link", "Record the JAG report and recommendations")
    jag.fill("Findings", "Agencies did not share the police logs.")
    # Recommendations are fieldsets now (issue 12), not pipe-separated lines.
    jag.fill("Who is it for?", "Police")
    jag.fill("What should they do?", "Share logs weekly")
    jag.fill("Named owner (optional)", "PC Smith")
    jag.date("recommendations-0-due_on", date(2026, 4, 30))
    jag.audit("jag-report")
    jag.button("Record the JAG report and recommendations")
    assert world.state(world.review) == "response_drafted"

    csp = open_tab("csp")
    sign_in(csp, world, "csp_chair")
    csp.click("link", world.review)
    csp.click("link", "Issue the response to the victim")
    csp.fill(
        "Your response to the applicant", "We will share police logs weekly and review in a month."
    )
    csp.audit("response")
    csp.button("Preview the letter")
    csp.audit("response-preview")
    csp.button("Issue the response")
    assert world.state(world.review) == "response_issued"
    csp.audit("case-with-recommendations")

    appeal = open_tab("appeal")
    sign_in(appeal, world, "appeal_chair")
    appeal.click("link", world.appeal)
    appeal.click("link", "Do not uphold the appeal (final)")
    appeal.fill("Reasons", "The police log was considered at the threshold decision.")
    appeal.button("Do not uphold the appeal (final)")
    assert world.state(world.appeal) != "appeal_papers_sent"
    appeal.audit("appeal-decided")

    clock.advance(days=40)
    manager = open_tab("manager")
    sign_in(manager, world, "manager")
    manager.audit("manager-my-work")
    manager.click("link", "Overdue")
    assert manager.page.get_by_role("link", name=world.late).count() >= 1
    manager.audit("overdue")
    manager.click("link", "The process")
    manager.audit("process")
    for tab in (jag, csp, appeal, manager):
        assert tab.problems == []


def test_the_conflict_page_and_the_refusal_page_pass_axe(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    ref = world.late
    contact = open_tab("conflict")
    sign_in(contact, world, "contact")
    contact.go(f"/staff/cases/{world.review}/events/withdrawn")
    world.fire(world.review, "threshold_met", "jag_chair", {"reasons": "Three incidents."})
    contact.fill("Reason", "The applicant phoned to withdraw.")
    contact.button("Record that the applicant withdrew")
    assert contact.heading() == "This case changed since you opened it"
    assert world.state(world.review) == "review_scheduled"
    contact.audit("changed")
    contact.go(f"/staff/cases/{ref}")  # a Melton case: not this Leicester contact's
    assert contact.heading() == "You do not have access to this"
    contact.audit("refused")
    contact.go(f"/staff/cases/{world.review}/events/jag_report_recorded")
    assert contact.heading() in ("Page not found", "You do not have access to this")
    contact.audit("no-such-step")
