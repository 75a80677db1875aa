"""Staff intake in Chromium: an application entered for a caller (one error, then corrected)
and a second complaint within six months with its case review prompt; axe on every state."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from engine.clock import FixedClock
from engine.models import ReportAudit
from tests.browser.test_staff_pages import World, open_tab, sign_in, world
from tests.factories import load_case
from workflows.community_trigger.services import complaints

pytestmark = pytest.mark.browser
__all__ = ["open_tab", "world"]  # the shared fixtures, used by name below


def test_a_point_of_contact_enters_an_application_and_records_a_second_complaint(
    open_tab: Any, world: World, clock: FixedClock
) -> None:
    t = open_tab("intake")
    sign_in(t, world, "contact")
    t.click("link", "Enter an application")
    assert t.heading() == "Enter an application for someone"
    t.audit("apply")

    t.choose("By phone")
    t.choose("The victim, or one of the victims")
    t.fill("Applicant's full name", "Pat Caller")
    t.fill("Applicant's phone number (optional)", "0116 496 0000")
    t.fill("Applicant's postcode (optional)", "LE1 1AA")
    t.choose("Phone")
    t.date("inc1_date", date(2026, 2, 2))
    t.page.fill("#inc1_description", "Stones thrown at the window.")
    t.page.select_option("#inc1_rep1_agency", "police")
    t.date("inc1_rep1_date", date(2026, 2, 2))
    t.page.check("#consent_to_share")
    t.button("Send the application")  # the declaration is not ticked
    assert t.error_summary() == ["Confirm the applicant said the information is true"]
    assert t.page.input_value("#inc1_description") == "Stones thrown at the window."
    t.audit("apply-error")

    t.page.check("#declaration")
    t.button("Send the application")
    assert re.fullmatch(r"/staff/applications/CT-\d{4}-\d{6}/entered", t.path())
    reference = t.path().split("/")[3]
    assert t.heading() == f"Case {reference}"
    link = t.page.locator("#status-link").inner_text()
    assert "/status/" in link
    t.audit("apply-done")
    with world.sessions() as s:
        case = load_case(s, reference)
        assert case.channel == "phone"

    t.click("link", "Record a complaint")
    t.audit("complaint")
    for reported in (date(2026, 1, 12), date(2026, 2, 23)):
        if t.path() != "/staff/complaints/new":
            t.click("link", "Record another complaint")
        t.fill("Full name", "Sam Neighbour")
        t.fill("Postcode", "LE2 3CC")
        t.date("incident_on", reported)
        t.date("reported_on", reported)
        t.choose("Council")
        t.page.fill("#description", "Loud music until 3am.")
        t.button("Record the complaint")
        assert t.heading() == "Complaint recorded"
    assert t.page.get_by_role("heading", name="Second report in six months").is_visible()
    t.audit("complaint-second")
    t.button("I have explained the case review")
    assert "Contact explained the case review" in t.page.inner_text("main")
    t.audit("complaint-explained")
    with world.sessions() as s:
        done = s.exec(select(ReportAudit.action).order_by(ReportAudit.id)).all()  # type: ignore[arg-type]
    assert done[-3:] == [complaints.RECORDED, complaints.PROMPT_SHOWN, complaints.EXPLAINED]
