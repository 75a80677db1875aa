"""The CSP chair issues the response with the JAG report and the victim's words in front of them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Incident, Party
from tests.factories import load_case
from tests.integration.test_community_trigger_journey import Journey
from tests.integration.test_staff_login import browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


def _victim_words(session_factory: SessionFactory, ref: str) -> None:
    with session_factory() as s:
        case = load_case(s, ref)
        case.impact = "I cannot sleep.\n\nMy children are <b>scared</b>."
        case.outcome_wanted = "The noise to stop after 11pm."
        case.contact_preference, case.texts_safe = "phone", True
        applicant = s.exec(select(Party).where(Party.case_id == case.id)).one()
        applicant.phone, applicant.address, applicant.postcode = (
            "07700 900123",
            "Flat 2, 10 Mill Lane, Leicester",
            "LE1 5AA",
        )
        incident = s.exec(select(Incident).where(Incident.case_id == case.id)).first()
        assert incident is not None
        incident.place = "Stairwell of 10 Mill Lane"
        s.add_all([case.case, case.detail, applicant, incident])
        s.commit()


def test_the_csp_chair_reads_the_jag_report_and_the_victims_words_on_the_case_page(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    _victim_words(session_factory, j.ref)
    j.fire("acknowledge", "contact")
    j.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    j.fire(
        "review_meeting_held",
        "jag_chair",
        {
            "held_on": "2026-03-02",
            "attendees": ["PC Lee, Leicestershire Police", "Sam Ortiz, Leicester City Council"],
            "victim_involvement": "impact_statement",
        },
    )
    chair = browser_for(app, session, clock, "csp@example.org")
    chair.sign_in()
    before = chair.get(f"/staff/cases/{j.ref}").text
    assert "The JAG has not recorded its report yet." in before
    j.fire(
        "jag_report_recorded",
        "jag_chair",
        {
            "findings": "Reports were not shared.\n\nNobody visited at night.",
            "agency_summaries": {
                "Police": "Two visits in the day.",
                "Council": "Sent a noise diary <script>x</script>.",
            },
            "recommendations": [{"recipient_body": "Council", "action": "Fit a noise monitor"}],
        },
    )
    page = chair.get(f"/staff/cases/{j.ref}").text
    report = page.split('id="jag-report"', 1)[1]
    assert '<p class="govuk-body">Reports were not shared.</p>' in report
    assert '<p class="govuk-body">Nobody visited at night.</p>' in report
    assert "Police" in report and "Two visits in the day." in report
    assert "Sent a noise diary &lt;script&gt;x&lt;/script&gt;." in report
    assert "PC Lee, Leicestershire Police<br>Sam Ortiz, Leicester City Council" in report
    assert "Monday 2 March 2026" in report
    assert "Send a written statement about the impact" in report
    victim = page.split('id="victim"', 1)[1].split('id="jag-report"', 1)[0]
    assert '<p class="govuk-body">I cannot sleep.</p>' in victim
    assert "My children are &lt;b&gt;scared&lt;/b&gt;." in victim
    assert "The noise to stop after 11pm." in victim
    assert "Phone: 07700 900123 (texts are safe)" in victim
    assert "Post: Flat 2, 10 Mill Lane, Leicester, LE1 5AA" in victim
    assert "victim@example.org" in victim
    assert "Where: Stairwell of 10 Mill Lane" in page
    # And the response form is one step away.
    assert f"/staff/cases/{j.ref}/events/response_issued" in page


def test_staff_forms_mark_the_words_the_applicant_will_read(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    j.fire("acknowledge", "contact")
    jag = browser_for(app, session, clock, "jag@example.org")
    jag.sign_in()
    form = jag.get(f"/staff/cases/{j.ref}/events/threshold_not_met").text
    reasons = form.split('id="reasons-hint"', 1)[1].split("</div>", 1)[0]
    assert "The applicant will read this." in reasons
    override = form.split('name="override_reason"', 1)[0].rsplit("<label", 1)[1]
    assert "The applicant will read this." not in override  # kept for the record only
    j.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    meeting = jag.get(f"/staff/cases/{j.ref}/events/review_meeting_arranged").text
    assert meeting.count("The applicant will read this.") == 3  # date, time and place


def test_every_decision_letter_can_be_previewed_from_its_form_and_is_what_is_sent(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock
) -> None:
    from engine.models import OutboxMessage
    from notifications.addresses import outgoing_for
    from workflows.community_trigger import letters

    j = Journey(session_factory, clock, incidents=1)
    j.fire("acknowledge", "contact")
    jag = browser_for(app, session, clock, "jag@example.org")
    jag.sign_in()
    url = f"/staff/cases/{j.ref}/events/threshold_not_met"
    form = jag.get(url).text
    assert f'formaction="{url}/preview"' in form and "Preview the letter" in form
    with session_factory() as s:
        version = str(j.case(s).version)
    empty = jag.post(f"{url}/preview", {"version": version}, status=422).text
    assert "There is a problem" in empty and "Check the letter" not in empty
    data = {"version": version, "reasons": "You told us about one incident. <b>Three</b>."}
    shown = jag.post(f"{url}/preview", data, status=200).text
    assert "This is the letter the applicant will get" in shown
    assert "Your case does not meet the rules for a case review" in shown
    assert "You told us about one incident. &lt;b&gt;Three&lt;/b&gt;." in shown
    with session_factory() as s:  # a preview records nothing
        assert j.case(s).state == "acknowledged"
    letter = shown.split('aria-label="The letter">', 1)[1].split("</section>", 1)[0]

    jag.post(url, data)
    with session_factory() as s:
        row = s.exec(
            select(OutboxMessage).where(OutboxMessage.message == "threshold_not_met_letter")
        ).one()
        sent = outgoing_for(s, row, in_doubt=False, base_url="http://ct")
    assert sent.rendered.text == letters.letter_text(letter)
    assert sent.rendered.attachments[0].content.startswith(b"%PDF")
    # An event the contact may record now that sends no letter has no preview.
    contact = browser_for(app, session, clock, "contact@example.org")
    contact.sign_in()
    appeal = contact.get(f"/staff/cases/{j.ref}/events/appeal_lodged").text
    assert "Preview the letter" not in appeal
    contact.post(f"/staff/cases/{j.ref}/events/appeal_lodged/preview", {}, status=404)
