"""The response letter in Chromium: write, preview, issue; the documents on the case; axe."""

from __future__ import annotations

from typing import Any

import pytest

from engine.clock import FixedClock
from tests.browser.test_staff_pages import World, open_tab, sign_in, world

pytestmark = pytest.mark.browser
__all__ = ["open_tab", "world"]  # fixtures, used by name


def test_the_csp_chair_previews_and_issues_the_letter_and_the_appeal_chair_gets_the_pack(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    world.fire(world.review, "threshold_met", "jag_chair", {"reasons": "Three incidents."})
    meeting = {
        "held_on": clock.today().isoformat(),
        "attendees": ["Police", "Council ASB team"],
        "victim_involvement": "attend",
    }
    world.fire(world.review, "review_meeting_held", "jag_chair", meeting)
    report = {
        "findings": "Agencies did not share the police logs.",
        "recommendations": [
            {
                "recipient_body": "Police",
                "action": "Share logs weekly",
                "owner": "PC Smith",
                "due_on": "2026-04-30",
            }
        ],
    }
    world.fire(world.review, "jag_report_recorded", "jag_chair", report)

    csp = open_tab("documents-csp")
    sign_in(csp, world, "csp_chair")
    # The JAG report and the victim's words are on the case page before the chair writes.
    csp.go(f"/staff/cases/{world.review}")
    report_section = csp.page.locator("#jag-report ~ p").all_inner_texts()
    assert "Agencies did not share the police logs." in report_section
    assert csp.page.locator("#victim").is_visible()
    csp.audit("case-with-jag-report")
    csp.go(f"/staff/cases/{world.review}/events/response_issued")
    assert csp.heading() == "Issue the response to the victim"
    csp.audit("letter-form")
    csp.button("Preview the letter")
    assert csp.error_summary()
    csp.audit("letter-error")
    csp.fill("Your response to the applicant", "We will share police logs weekly.")
    csp.button("Preview the letter")
    assert csp.heading() == "Check the letter before you issue it"
    letter = csp.page.locator("section[aria-label='The letter']").inner_text()
    assert "Police: Share logs weekly" in letter and "named contact" in letter
    assert world.state(world.review) == "response_drafted"  # a preview issues nothing
    csp.audit("letter-preview")
    csp.button("Issue the response")
    assert world.state(world.review) == "response_issued"
    documents = csp.page.locator("#documents + ul").inner_text()
    assert "Response letter" in documents and "PDF" in documents and "HTML" in documents
    csp.audit("case-documents")

    appeal = open_tab("documents-appeal")
    sign_in(appeal, world, "appeal_chair")
    appeal.go(f"/staff/cases/{world.appeal}")
    assert "Appeal pack (PDF" in appeal.page.locator("#documents + ul").inner_text()
    appeal.audit("appeal-case-documents")
    with appeal.page.expect_download() as download:
        appeal.page.get_by_role("link", name="Appeal pack").first.click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    assert not csp.problems and not appeal.problems, csp.problems + appeal.problems
