"""JAG case work in Chromium: a referral, its acceptance, a risk assessment and an action,
each new page checked by axe (WCAG 2.2 AA, no violation) and photographed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case
from engine.services import auth
from tests.browser.test_public_pages import WIDTHS, Tour
from tests.browser.test_staff_pages import PASSWORD, sign_in
from tests.factories import make_staff
from workflows.jag_case.area import jag_area

pytestmark = pytest.mark.browser


class World:
    def __init__(self, sessions: SessionFactory, clock: FixedClock) -> None:
        self.sessions, self.clock = sessions, clock
        with sessions() as s:
            self.staff = make_staff(s, clock)
            self.secrets = {
                key: auth.set_password(s, clock=clock, email=m.email, password=PASSWORD).totp_secret
                for key, m in self.staff.items()
            }

    def only_jag_case(self) -> Case:
        with self.sessions() as s:
            return s.exec(select(Case).where(Case.workflow_name == "jag_case")).one()


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
        return Tour(context.new_page(), live_server, axe_source, f"staff-jag-{name}")

    yield opener
    for context in contexts:
        context.close()


def test_refer_accept_assess_risk_and_add_an_action(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    contact = open_tab("contact")
    sign_in(contact, world, "contact")
    contact.click("link", "Refer to the JAG")
    assert contact.heading() == "Refer a case to the JAG"
    contact.audit("refer")
    contact.button("Refer the case")
    assert contact.error_summary()
    contact.audit("refer-errors")
    contact.choose("A victim")
    contact.fill("Full name", "Ann Example")
    contact.fill("Why does the case need the JAG?", "Targeted by neighbours for a year.")
    contact.choose("Police")
    contact.choose("Housing provider")
    contact.button("Refer the case")
    ref = world.only_jag_case().reference
    assert contact.heading() == f"Case {ref}"
    contact.audit("case-referred")

    chair = open_tab("chair")
    sign_in(chair, world, "jag_chair")
    chair.go(f"/staff/cases/{ref}")
    chair.click("link", "Accept the referral")
    chair.audit("accept")
    chair.button("Accept the referral")
    assert world.only_jag_case().state == "active"
    chair.audit("case-active")

    chair.click("link", "Record a risk assessment of the victim")
    first = jag_area("llr").questions[0]
    chair.page.locator(f"#answers-{first.id}").check()
    chair.button("Record a risk assessment of the victim")
    assert len(chair.error_summary()) == len(jag_area("llr").questions) - 1
    chair.audit("risk-errors")
    for q in jag_area("llr").questions:
        chair.page.locator(f"#answers-{q.id}").check()  # the first radio: yes
    chair.choose("The victim is vulnerable")
    chair.button("Record a risk assessment of the victim")
    assert chair.page.get_by_text("High risk").count() >= 1
    chair.audit("case-risk")

    chair.click("link", "Add an action to the plan")
    chair.fill("What is the action?", "Visit the neighbours with a warning")
    chair.fill("Who owns it?", "PC Smith")
    chair.choose("Police")
    chair.date("due_on", clock.today() + timedelta(days=14))
    chair.audit("add-action")
    chair.button("Add an action to the plan")
    assert chair.page.get_by_text("Visit the neighbours with a warning").count() >= 1
    chair.audit("case-action")
    chair.click("link", "Update an action")
    chair.audit("update-action")

    contact.go("/staff/cases?workflow=jag_case")
    assert contact.page.get_by_role("link", name=ref).count() == 1
    contact.audit("find-jag-cases")
    for tab in (contact, chair):
        assert tab.problems == []


def test_ladder_osara_and_peer_review_pages_pass_axe(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    from engine.access import load_actor
    from engine.models import User
    from engine.services.cases import record_event
    from workflows.jag_case import services as jag_services

    def actor(s: Any, key: str) -> Any:
        email = world.staff[key].email
        return load_actor(s, s.exec(select(User).where(User.email == email)).one())

    refs = []
    for kind, subject in (
        ("perpetrator", {"name": "Rob Example", "date_of_birth": "2001-02-03"}),
        ("place", {"label": "Hill Street underpass", "postcode": "LE1 1AA"}),
    ):
        with world.sessions() as s:
            case = jag_services.refer(
                s,
                clock=clock,
                actor=actor(s, "contact"),
                area_id="llr",
                locality_id="leicester",
                subject_kind=kind,
                subject=subject,
                reason="Repeated incidents.",
                agencies=["Police"],
            )
            refs.append(case.reference)
        with world.sessions() as s:
            record_event(
                s,
                clock=clock,
                case_ref=refs[-1],
                event="accept",
                data={},
                actor=actor(s, "jag_chair"),
                expected_version=1,
            )
    perpetrator, place = refs

    chair = open_tab("chair2")
    sign_in(chair, world, "jag_chair")
    chair.go(f"/staff/cases/{perpetrator}")
    chair.click("link", "Record a step of the Incremental Approach")
    chair.audit("ladder-form")
    ladder = jag_area("llr").ladder
    chair.choose(ladder[2].label)
    chair.date("taken_on", clock.today())
    chair.choose("Council")
    chair.button("Record a step of the Incremental Approach")
    assert chair.error_summary()
    chair.audit("ladder-errors")
    chair.fill("Why were earlier stages skipped? (optional)", "Threats of violence: urgent harm.")
    chair.button("Record a step of the Incremental Approach")
    assert chair.page.get_by_text("Threats of violence: urgent harm.").count() >= 1
    chair.audit("case-ladder")

    chair.go(f"/staff/cases/{place}")
    chair.click("link", "Record the problem-solving plan (OSARA)")
    chair.audit("osara-form")
    chair.fill("Objective (optional)", "No drug dealing in the underpass.")
    chair.button("Record the problem-solving plan (OSARA)")
    chair.click("link", "Ask a chair of another locality to peer review the case")
    chair.choose("Melton Jag Chair")
    chair.fill("What should the reviewer look at?", "Is the plan proportionate?")
    chair.audit("peer-review-request")
    chair.button("Ask a chair of another locality to peer review the case")
    chair.audit("case-osara-peer-review")

    reviewer = open_tab("reviewer")
    sign_in(reviewer, world, "melton_jag_chair")
    assert reviewer.page.get_by_role("link", name=place).count() == 1
    reviewer.audit("my-work-asked-of-you")
    reviewer.click("link", place)
    reviewer.click("link", "Record the peer review's findings")
    reviewer.fill("Findings", "Proportionate; add lighting.")
    reviewer.audit("peer-review-findings")
    reviewer.button("Record the peer review's findings")
    assert reviewer.heading() == "Peer review recorded"
    reviewer.audit("peer-review-recorded")
    chair.go("/staff/process?workflow=jag_case")
    chair.audit("process-jag")
    for tab in (chair, reviewer):
        assert tab.problems == []


def test_the_case_review_page_shows_its_linked_jag_case_and_action(
    open_tab: Any, session_factory: SessionFactory, clock: FixedClock
) -> None:
    """A case review's recommendation carried out as a JAG action: the Community Trigger
    case page, as its point of contact reads it, names the JAG case and the action's
    progress beside the recommendation (axe-checked and photographed)."""
    from tests.integration.test_jag_journeys import _ct_case_with_recommendations
    from tests.jag_helpers import PLACE, JagJourney

    j = JagJourney(session_factory, clock)
    ct = _ct_case_with_recommendations(j)
    jag = j.refer(
        "contact", subject_kind="place", subject=PLACE, linked_ct=ct, recommendation_seq=1
    )
    j.fire("accept", "jag_chair", {})
    patrols = {
        "action": "Dispersal patrols on Friday nights",
        "owner": "Sgt Khan",
        "agency": "Police",
        "recommendation": 1,
        "due_on": j.today(14),
    }
    j.fire("add_action", "jag_chair", patrols)
    with session_factory() as s:
        j.secrets = {  # type: ignore[attr-defined]
            "contact": auth.set_password(
                s, clock=clock, email=j.staff["contact"].email, password=PASSWORD
            ).totp_secret
        }

    contact = open_tab("ct-linked")
    sign_in(contact, j, "contact")  # type: ignore[arg-type]
    contact.go(f"/staff/cases/{ct}")
    section = contact.page.locator("h2", has_text="Linked JAG cases")
    assert section.count() == 1
    assert contact.page.get_by_role("link", name=jag).count() >= 1
    assert contact.page.get_by_text("Recommendation 1: carried out by action 1").count() == 1
    contact.audit("ct-case-linked-jag")
    contact.page.get_by_role("link", name=jag).first.click()
    assert contact.heading() == f"Case {jag}"
    assert contact.problems == []
