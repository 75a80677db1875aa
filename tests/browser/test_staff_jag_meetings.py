"""A JAG meeting in Chromium (issue 14): a chair builds an agenda, sends the papers, takes
minutes for two items with one new action each, and the actions appear on the cases with
their deadlines. Every page is checked by axe (WCAG 2.2 AA, no violation) and photographed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlmodel import col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, Deadline
from engine.services import auth
from tests.browser.test_public_pages import WIDTHS, Tour
from tests.browser.test_staff_pages import PASSWORD, sign_in
from tests.jag_helpers import all_yes
from tests.meeting_helpers import MeetingJourney
from workflows.jag_case.meeting_models import JagAgendaItem
from workflows.jag_case.models import JagAction

pytestmark = pytest.mark.browser
HELD_ON = date(2026, 3, 10)


class World(MeetingJourney):
    """The JAG staff with passwords, a high-risk case and one due for review."""

    def __init__(self, sessions: SessionFactory, clock: FixedClock) -> None:
        super().__init__(sessions, clock)
        with sessions() as s:
            self.secrets = {
                key: auth.set_password(s, clock=clock, email=m.email, password=PASSWORD).totp_secret
                for key, m in self.staff.items()
            }
        self.high = self.active("Harry Highrisk", review_on="2026-06-30")
        self.fire("assess_risk", "partner", {"answers": all_yes()})
        self.due = self.active("Rita Review", review_on="2026-03-09")

    def items(self) -> list[JagAgendaItem]:
        with self.sessions() as s:
            return list(
                s.exec(
                    select(JagAgendaItem)
                    .where(col(JagAgendaItem.dropped).is_(False))
                    .order_by(col(JagAgendaItem.position))
                ).all()
            )


@pytest.fixture
def world(session_factory: SessionFactory, clock: FixedClock) -> World:
    return World(session_factory, clock)


@pytest.fixture
def tab(chromium: Any, live_server: str, axe_source: str) -> Iterator[Tour]:
    context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900})
    context.set_default_timeout(5000)
    yield Tour(context.new_page(), live_server, axe_source, "staff-jag-meeting")
    context.close()


def test_a_chair_builds_an_agenda_sends_papers_and_minutes_two_actions(
    tab: Tour, world: World
) -> None:
    sign_in(tab, world, "jag_chair")
    tab.click("link", "JAG meetings")
    assert tab.heading() == "JAG meetings: Leicester City"
    tab.audit("meetings")
    tab.click("button", "Arrange a meeting")  # a start-style link button
    assert tab.heading() == "Arrange a JAG meeting: Leicester City"
    tab.audit("arrange")
    tab.fill("Start time", "half ten")
    tab.button("Arrange the meeting")
    assert tab.error_summary() == ["Enter the start time as hh:mm, for example 10:00"]
    tab.audit("arrange-errors")
    tab.fill("Start time", "10:00")
    tab.button("Arrange the meeting")
    assert tab.heading() == "Tuesday 10 March 2026, 10:00"
    tab.audit("agenda")

    high, due = world.items()[:2]
    assert (high.kind, due.kind) == ("high_risk", "due_review")
    tab.button("Up item 2")
    assert [i.id for i in world.items()[:2]] == [due.id, high.id]
    tab.page.fill(f"#slot-{high.id}", "25")
    tab.button("Save minutes for item 2")
    tab.fill("What the item is about", "Summer events planning")
    tab.button("Add the item")
    assert tab.page.get_by_text("Summer events planning").count() == 1
    tab.audit("agenda-changed")
    tab.button("Send the papers")
    assert tab.page.get_by_text("Papers sent:").count() >= 1
    tab.audit("papers-sent")
    tab.click("link", "Read the papers")
    assert tab.heading() == "JAG meeting, Tuesday 10 March 2026: Leicester City"
    tab.audit("pack")
    tab.click("link", "Back to the meeting")
    tab.click("link", "Take the minutes")
    assert tab.heading() == "Minutes"
    tab.audit("minutes")

    for n, (item, what) in enumerate(
        ((due, "Ask housing for a move"), (high, "Patrol the close nightly")), start=1
    ):
        tab.page.fill(f"#decision-{item.id}", f"Agreed: {what.lower()}")
        p = f"action-{item.id}-"
        tab.page.fill(f"#{p}action", what)
        tab.page.fill(f"#{p}owner", "PC Smith")
        tab.page.select_option(f"#{p}agency", "Police")
        tab.date(f"{p}due_on", date(2026, 3, 24))
        tab.button(f"Save the minute for item {n}")
        assert tab.page.get_by_text("Minute saved").count() == 1
    tab.audit("minutes-taken")

    with world.sessions() as s:
        for ref, what in (
            (world.due, "Ask housing for a move"),
            (world.high, "Patrol the close nightly"),
        ):
            case_id = s.exec(select(Case.id).where(Case.reference == ref)).one()
            action = s.exec(select(JagAction).where(JagAction.case_id == case_id)).one()
            assert (action.action, action.due_on) == (what, date(2026, 3, 24))
            clock_row = s.exec(
                select(Deadline).where(
                    Deadline.case_id == case_id, Deadline.subject == f"action:{action.seq}"
                )
            ).one()
            assert (clock_row.due_on, clock_row.status) == (date(2026, 3, 24), "open")
    tab.go(f"/staff/cases/{world.high}")
    assert tab.page.get_by_text("Action 1: Police").count() >= 1
    assert tab.problems == []
