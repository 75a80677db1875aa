"""Issue 12 in Chromium: typing through the timeout warning, a staff form sent after the idle
limit kept through signing in, and every staff page reflowing at 320 pixels."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from engine.clock import FixedClock
from notifications.channels import PermanentFailure
from notifications.outbox import dispatch_once
from tests.browser.test_public_pages import Tour
from tests.browser.test_staff_pages import PASSWORD, World, open_tab, sign_in, world
from tests.integration.test_outbox import RecordingChannel

pytestmark = pytest.mark.browser
__all__ = ["open_tab", "world"]  # fixtures shared with the staff journey

REASONS = "Three incidents in six months, all reported:\npolice 12/1, council 3/2 & 17/2."


def test_typing_while_the_warning_appears_keeps_every_character(
    chromium: Any, live_server: str, axe_source: str
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5000)
    page = context.new_page()
    page.clock.install()  # the page's timers run on a clock the test moves
    t = Tour(page, live_server, axe_source, "timeout-warning")
    t.go("/apply/who")
    t.choose("I am the victim, or one of the victims")
    t.button()
    name = page.get_by_label("What is your name?", exact=True)
    name.click()
    page.keyboard.type("Val")
    banner = page.locator("[data-ct-timeout]")
    assert banner.is_hidden()
    page.clock.run_for("55:01")  # 4 minutes 59 seconds before the answers would go
    banner.wait_for(state="visible")
    assert banner.get_attribute("role") == "alert"
    # The warning took no focus: the next keys still land in the name box.
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type(" O'Brien-Smith")
    assert name.input_value() == "Val O'Brien-Smith"
    # Typing counts as being here: the answers are kept by a fetch, no reload, no focus move.
    banner.wait_for(state="hidden")
    assert "kept your answers" in page.locator("[data-ct-timeout-status]").inner_text()
    assert name.input_value() == "Val O'Brien-Smith"
    assert page.evaluate("document.activeElement.id") == "name"
    # Enter in the text box sends the question's own form, never "Keep my answers".
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert t.path() != "/apply/your-name"
    page.go_back(wait_until="load")
    assert page.get_by_label("What is your name?", exact=True).input_value() == (
        "Val O'Brien-Smith"
    )
    t.audit("question-after-warning")
    context.close()
    assert t.problems == []


def test_the_keep_button_extends_without_reloading_and_the_warning_passes_axe(
    chromium: Any, live_server: str, axe_source: str
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5000)
    page = context.new_page()
    page.clock.install()
    t = Tour(page, live_server, axe_source, "timeout-keep")
    t.go("/apply/who")
    t.choose("I am the victim, or one of the victims")
    t.button()
    page.get_by_label("What is your name?", exact=True).fill("Val")
    page.evaluate("document.activeElement.blur()")
    page.clock.run_for("55:30")
    banner = page.locator("[data-ct-timeout]")
    banner.wait_for(state="visible")
    t.audit("warning-shown")
    url = page.url
    page.get_by_role("button", name="Keep my answers").click()
    banner.wait_for(state="hidden")
    assert page.url == url  # no reload: what was typed is still in the box
    assert page.get_by_label("What is your name?", exact=True).input_value() == "Val"
    context.close()
    assert t.problems == []


def test_a_staff_form_sent_after_the_idle_limit_keeps_its_text_through_signing_in(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    jag = open_tab("kept-draft")
    sign_in(jag, world, "jag_chair")
    jag.go(f"/staff/cases/{world.review}")
    jag.click("link", "Decide the threshold is met")
    jag.page.get_by_label("Reasons", exact=True).fill(REASONS)
    clock.advance(minutes=31)  # the server's idle limit passes while the chair is away
    jag.button("Decide the threshold is met")
    assert jag.path() == "/staff/login?kept=1"
    assert "We kept what you typed" in jag.page.locator("main").inner_text()
    jag.audit("signed-out-kept")
    clock.advance(minutes=1)  # a fresh security code
    jag.fill("Email address", world.staff["jag_chair"].email)
    jag.fill("Password", PASSWORD)
    jag.button("Continue")
    jag.fill("Enter your security code", pyotp.TOTP(world.secrets["jag_chair"]).at(clock.now()))
    jag.button("Sign in")
    assert jag.heading() == "Decide the threshold is met"
    assert jag.page.get_by_label("Reasons", exact=True).input_value() == REASONS
    assert "What you typed is back in the form" in jag.page.locator("main").inner_text()
    jag.audit("draft-restored")
    jag.button("Decide the threshold is met")
    assert world.state(world.review) == "review_scheduled"
    assert "Recorded: Decide the threshold is met" in jag.page.locator("main").inner_text()
    assert jag.problems == []


def _too_wide(t: Tour, path: str) -> list[str]:
    t.go(path)
    t.page.wait_for_load_state("load")
    width = t.page.evaluate("document.documentElement.scrollWidth")
    return [f"{path}: {width}px"] if width > 320 else []


def test_every_staff_page_reflows_at_320_pixels(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    # A dead letter and a ledger full of long addresses: the widest these pages get.
    refused = RecordingChannel(failures=[PermanentFailure("mailbox full") for _ in range(50)])
    dispatch_once(world.sessions, channel=refused, clock=clock, worker="w1", base_url="http://ct")
    wide: list[str] = []
    for who, paths in {
        "manager": [
            "/staff",
            "/staff/overdue",
            "/staff/process",
            "/staff/dead-letters",
            f"/staff/cases/{world.appeal}",
            f"/staff/cases/{world.appeal}/reminders",
            f"/staff/cases/{world.review}/reminders",
            "/staff/accessibility",
            "/staff/privacy",
        ],
        "jag_chair": [
            f"/staff/cases/{world.review}",
            f"/staff/cases/{world.review}/events/threshold_met",
            f"/staff/cases/{world.review}/events/application_rejected",
            "/staff/applications/new",
            "/staff/complaints/new",
        ],
        "appeal_chair": [
            f"/staff/cases/{world.appeal}",
            f"/staff/cases/{world.appeal}/events/appeal_not_upheld",
        ],
    }.items():
        t = open_tab(f"reflow-{who}")
        sign_in(t, world, who)
        t.page.set_viewport_size({"width": 320, "height": 900})
        for path in paths:
            wide += _too_wide(t, path)
        if who == "manager":
            t.go("/staff/dead-letters")
            t.audit("dead-letters-320")
    t = open_tab("reflow-signed-out")
    t.page.set_viewport_size({"width": 320, "height": 900})
    wide += _too_wide(t, "/staff/login")
    assert wide == []


def test_the_recommendation_fieldsets_and_statements_pass_axe(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    world.fire(world.review, "threshold_met", "jag_chair", {"reasons": "Three incidents."})
    world.fire(
        world.review,
        "review_meeting_held",
        "jag_chair",
        {
            "held_on": clock.today().isoformat(),
            "attendees": ["Police"],
            "victim_involvement": "none",
        },
    )
    jag = open_tab("recommendation-rows")
    sign_in(jag, world, "jag_chair")
    jag.go(f"/staff/cases/{world.review}/events/jag_report_recorded")
    jag.fill("Who is it for?", "Police")
    jag.button("Add another recommendation")
    assert jag.page.locator("#recommendations-1-recipient_body").count() == 1
    assert jag.page.locator("#recommendations-0-recipient_body").input_value() == "Police"
    jag.audit("two-recommendations")
    jag.button("Record the JAG report and recommendations")
    assert jag.error_summary()[0] == "Enter the review's findings"
    jag.audit("recommendation-errors")
    jag.go("/staff/accessibility")
    jag.audit("staff-accessibility")
    assert jag.problems == []
