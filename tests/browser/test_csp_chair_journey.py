"""The CSP chair in Chromium: a new application in their queue on its day, the case, the letter."""

from __future__ import annotations

from typing import Any

import pytest

from engine.clock import FixedClock
from tests.browser.test_staff_pages import World, open_tab, sign_in, world

pytestmark = pytest.mark.browser
__all__ = ["open_tab", "world"]  # fixtures, used by name


def test_the_csp_chair_sees_the_new_application_reads_the_case_and_issues_the_letter(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    csp = open_tab("csp-chair-journey")
    sign_in(csp, world, "csp_chair")
    csp.go("/staff")
    queue = csp.page.locator("#locality-cases + p + div table").inner_text()
    assert world.review in queue and "New today" in queue
    csp.audit("csp-queue")
    csp.click("link", world.review)
    assert csp.heading() == f"Case {world.review}"
    csp.audit("csp-case-new")

    # The JAG decides at its meeting and reports; the case comes back to the chair.
    world.fire(
        world.review,
        "threshold_met",
        "jag_chair",
        {
            "reasons": "Three incidents.",
            "jag_meeting_on": clock.today().isoformat(),
            "partners_present": ["Police", "Council"],
            "agreed_by": ["Jag Chair (Council)"],
        },
    )
    meeting = {"held_on": clock.today().isoformat(), "attendees": ["Police"]}
    world.fire(
        world.review,
        "review_meeting_held",
        "jag_chair",
        {**meeting, "victim_involvement": "attend"},
    )
    findings = "Agencies did not share the police logs."
    report = {
        "findings": findings,
        "recommendations": [{"recipient_body": "Police", "action": "Share logs weekly"}],
    }
    world.fire(world.review, "jag_report_recorded", "jag_chair", report)

    csp.go(f"/staff/cases/{world.review}")
    page = csp.page.locator("main").inner_text()
    assert "Decided at the JAG meeting on" in page and "Share logs weekly" in page
    csp.go(f"/staff/cases/{world.review}/events/response_issued")
    csp.fill("Your response to the applicant", "We will share police logs weekly.")
    csp.button("Preview the letter")
    letter = csp.page.locator("section[aria-label='The letter']").inner_text()
    assert findings in letter and "Police: Share logs weekly" in letter
    csp.button("Issue the response")
    assert world.state(world.review) == "response_issued"
    assert not csp.problems, csp.problems
