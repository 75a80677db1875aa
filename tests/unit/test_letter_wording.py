"""Every message to the victim, at every step, read as they would get it.

Cases are taken through every step (and the reminder sweep run over the weeks after), then
every queued message is turned into what goes out (notifications.addresses.outgoing_for).
Each message to the applicant must name their contact with a way to reach them, give the
status route with their reference, and say what happens next with its date where the step
has one; decision letters must read at age 11 or under (tests/readability.py).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import OutboxMessage
from engine.pdf import html_blocks
from engine.services import named_contact
from engine.services.staff import add_user
from engine.sweeps import sweep_deadlines
from notifications.addresses import outgoing_for
from notifications.channels import Outgoing
from notifications.render import template_names
from tests.factories import make_case
from tests.integration.test_community_trigger_journey import Journey
from tests.readability import reading_age, syllables
from tests.unit.test_documents import to_appeal_papers, to_response
from workflows.community_trigger import letters
from workflows.community_trigger.models import CommunityTriggerCase

MEETING = {
    "meeting_date": "2026-03-26",
    "meeting_time": "14:00",
    "meeting_place": "Room 2, City Hall, 115 Charles Street, Leicester",
    "attendees": ["PC Smith, Leicestershire Police"],
}
# Decision letters: the message that carries each, and the date "what next" must give.
DECISIONS = (
    "threshold_met_letter",
    "threshold_not_met_letter",
    "rejection_notice",
    "review_outcome_letter",
    "appeal_decision_letter",
    "case_closed_letter",
)
# Steps with a date ahead: the message must say it (long date, "Monday 2 March 2026").
DATED = (
    "application_received",
    "application_acknowledged",
    "threshold_met_letter",
    "threshold_not_met_letter",
    "rejection_notice",
    "review_outcome_letter",
    "review_meeting_arranged",
    "appeal_received",
)
LONG_DATE = re.compile(
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) [1-9]\d? [A-Z][a-z]+ \d{4}"
)


def _all_steps(session_factory: SessionFactory, clock: FixedClock) -> list[str]:
    """Cases at every step of the workflow; returns their references."""
    refs = []
    # Met, the meeting (each way of taking part), response, appeal upheld, re-review, closed.
    for part in ("attend", "representative", "impact_statement"):
        j = Journey(session_factory, clock)
        j.fire("acknowledge", "contact")
        j.fire("threshold_met", "jag_chair", {"reasons": "Three separate incidents."})
        j.fire("review_meeting_arranged", "jag_chair", {**MEETING, "victim_involvement": part})
        refs.append(j.ref)
    j = Journey(session_factory, clock)
    to_appeal_papers(j, clock)
    j.fire("appeal_upheld", "appeal_chair", {"reasons": "The housing notes were missed."})
    refs.append(j.ref)
    j = Journey(session_factory, clock)
    to_appeal_papers(j, clock)
    j.fire("appeal_not_upheld", "appeal_chair", {"reasons": "All the facts were looked at."})
    refs.append(j.ref)
    # Not met, then closed after the appeal window; rejected; withdrawn.
    j = Journey(session_factory, clock, incidents=1)
    j.fire("acknowledge", "contact")
    j.fire("threshold_not_met", "jag_chair", {"reasons": "One incident was reported."})
    refs.append(j.ref)
    j = Journey(session_factory, clock)
    j.fire("acknowledge", "contact")
    j.fire("application_rejected", "jag_chair", {"ground": "frivolous", "reasons": "No ASB."})
    refs.append(j.ref)
    j = Journey(session_factory, clock)
    j.fire("withdrawn", "contact", {"reason": "They moved away."})
    refs.append(j.ref)
    # Someone who chose phone and said texts are safe.
    with session_factory() as s:
        phone = {"name": "Pat", "phone": "07700900999", "role": "victim"}
        refs.append(
            make_case(
                s, clock, contact_preference="phone", texts_safe=True, applicant=phone
            ).reference
        )
    # A response with recommendations, left to run: reminders, escalations, promises missed.
    j = Journey(session_factory, clock)
    to_response(j, clock)
    refs.append(j.ref)
    j = Journey(session_factory, clock)  # nobody acts: the threshold decision is missed
    refs.append(j.ref)
    until = clock.now() + timedelta(days=70)
    while clock.now() < until:
        sweep_deadlines(session_factory, clock=clock)
        clock.advance(days=1)
    j = Journey(session_factory, clock, incidents=1)
    j.fire("acknowledge", "contact")
    j.fire("threshold_not_met", "jag_chair", {"reasons": "One incident was reported."})
    clock.advance(days=35)
    j.fire(
        "case_closed",
        "contact",
        {"closure_reason": "appeal_window_passed", "explanation": "No appeal came in."},
    )
    refs.append(j.ref)
    # An appeal accepted late, with the reason; a recommendation done; a new named contact.
    j = Journey(session_factory, clock, incidents=1)
    j.fire("acknowledge", "contact")
    j.fire("threshold_not_met", "jag_chair", {"reasons": "One incident was reported."})
    clock.advance(days=30)
    late = {"ground": "facts_not_considered", "details": "The housing notes were missed."}
    j.fire("appeal_lodged", "contact", {**late, "late_reason": "They were in hospital."})
    refs.append(j.ref)
    j = Journey(session_factory, clock)
    to_response(j, clock)
    done = {"recommendation": 1, "status": "done", "note": "Cameras fitted."}
    j.fire("recommendation_updated", "contact", done)
    refs.append(j.ref)
    j = Journey(session_factory, clock)
    j.fire("acknowledge", "contact")
    with session_factory() as s:
        second = add_user(
            s,
            clock=clock,
            email="contact2@example.org",
            name="Second Contact",
            role="contact",
            locality="leicester",
        )
        s.commit()
        named_contact.reassign(
            s,
            clock=clock,
            case_ref=j.ref,
            actor=j.staff["manager"].actor,
            contact_user_id=second.id,
            reason="On leave.",
            expected_version=j.case(s).version,
        )
    refs.append(j.ref)
    _jag_papers(session_factory, clock)
    _jag_peer_review(session_factory, clock)
    return refs


def _jag_papers(session_factory: SessionFactory, clock: FixedClock) -> None:
    """A JAG meeting's papers sent: its attendees are sent the link (jag_papers_ready)."""
    from tests.jag_helpers import reload_actor
    from workflows.jag_case import meetings, pack

    with session_factory() as s:
        chair = reload_actor(s, "jag@example.org")
        meeting = meetings.create_meeting(
            s,
            clock=clock,
            actor=chair,
            area_id="llr",
            locality_id="leicester",
            held_on=clock.today() + timedelta(days=7),
        )
        pack.send_papers(s, clock=clock, actor=chair, meeting_id=meeting.id)


def _jag_peer_review(session_factory: SessionFactory, clock: FixedClock) -> None:
    """A JAG case's chair asks Melton's chair to peer review it (peer_review_requested)."""
    from engine.services.cases import record_event
    from tests.jag_helpers import VICTIM, reload_actor
    from workflows.jag_case.services import refer

    with session_factory() as s:
        add_user(
            s,
            clock=clock,
            email="melton.jag@example.org",
            name="Melton Chair",
            role="jag_chair",
            locality="melton",
        )
        s.commit()
        chair = reload_actor(s, "jag@example.org")
        case = refer(
            s,
            clock=clock,
            actor=chair,
            area_id="llr",
            locality_id="leicester",
            subject_kind="victim",
            subject=VICTIM,
            reason="Repeated targeted harassment.",
            agencies=["Police"],
        )
        ref = case.reference
    asks = [
        ("accept", {}),
        (
            "request_peer_review",
            {"reviewer_email": "melton.jag@example.org", "question": "Is the plan enough?"},
        ),
    ]
    for version, (event, data) in enumerate(asks, start=1):
        with session_factory() as s:
            record_event(
                s,
                clock=clock,
                case_ref=ref,
                event=event,
                data=data,
                actor=reload_actor(s, "jag@example.org"),
                expected_version=version,
            )


@pytest.fixture
def sent(
    session_factory: SessionFactory, clock: FixedClock
) -> list[tuple[OutboxMessage, Outgoing]]:
    _all_steps(session_factory, clock)
    with session_factory() as s:
        rows = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [(r, outgoing_for(s, r, in_doubt=False, base_url="http://ct")) for r in rows]


def _code(session_factory: SessionFactory, case_id: int | None) -> str:
    with session_factory() as s:
        return (
            s.exec(
                select(CommunityTriggerCase.status_code).where(
                    CommunityTriggerCase.case_id == case_id
                )
            ).one()
            or ""
        )


def test_every_message_template_is_sent_at_some_step(
    sent: list[tuple[OutboxMessage, Outgoing]],
) -> None:
    rendered = {row.message for row, _ in sent} | {
        "text_message" for _, out in sent if out.kind == "sms"
    }
    assert template_names() - rendered == set()


def test_every_message_to_the_victim_names_the_contact_the_way_back_and_what_next(
    sent: list[tuple[OutboxMessage, Outgoing]], session_factory: SessionFactory
) -> None:
    to_applicant = [(r, o) for r, o in sent if r.recipient_role == "applicant"]
    assert len(to_applicant) > 30
    for row, out in to_applicant:
        text, code = out.rendered.text, _code(session_factory, row.case_id)
        where = f"{row.message} ({out.kind})"
        assert code and code in text, where
        assert "http://127.0.0.1:8000/status" in text, where
        assert row.context["reference"] in text, where
        if out.kind == "sms":
            # Neutral, and still a way to reach someone.
            assert "0116 454 1000" in text and "Anti-social" not in text, where
            continue
        assert "Contact" in text, where  # the named contact, by name ("Contact" in tests)
        assert "contact@example.org" in text or "0116 454 1000" in text, where
        assert "0116 454 1000" in text, where
        if row.message in DATED:
            assert LONG_DATE.search(text.split("Dear", 1)[-1]), where
        # Dates as GOV.UK writes them: "6 January 2027", never "06 January 2027".
        assert not re.search(r"\b0\d [A-Z][a-z]+ \d{4}", text), where


def test_the_meeting_invitation_gives_date_time_place_and_how_to_take_part(
    sent: list[tuple[OutboxMessage, Outgoing]],
) -> None:
    invitations = {
        r.context["data"]["victim_involvement"]: o.rendered.text
        for r, o in sent
        if r.message == "review_meeting_arranged"
    }
    assert set(invitations) == {"attend", "representative", "impact_statement"}
    for text in invitations.values():
        assert "Thursday 26 March 2026 at 2pm" in text
        assert "Where: Room 2, City Hall" in text
    assert "send someone you trust to speak for you" in invitations["attend"]
    assert "tell your named contact who they are" in invitations["representative"].lower()
    assert (
        "Please send it to your named contact before Thursday 26 March 2026"
        in (invitations["impact_statement"])
    )


def _prose(letter: str) -> list[str]:
    """A letter's prose: without the letterhead, date, reference, greeting, signature and
    the contact details themselves (addresses and numbers are not read as sentences)."""
    blocks = [t for _, t in html_blocks(letter)]
    keep = []
    for text in blocks[1:]:
        if LONG_DATE.fullmatch(text) or text.startswith(("Our reference", "Dear ", "Yours")):
            continue
        if text.startswith(("by email:", "by phone:", "by post:")) or "\n" in text:
            continue
        keep.append(text)
    return keep


def test_decision_letters_read_at_age_11_or_under(
    sent: list[tuple[OutboxMessage, Outgoing]],
) -> None:
    ages: dict[str, float] = {}
    for row, out in sent:
        if row.message in DECISIONS and out.kind == "email":
            key = row.context["trigger"]
            ages[key] = max(ages.get(key, 0), reading_age(_prose(out.rendered.html)))
    assert set(ages) == {
        "threshold_met",
        "threshold_not_met",
        "application_rejected",
        "response_issued",
        "appeal_upheld",
        "appeal_not_upheld",
        "case_closed",
    }
    # Measured 2026-12: threshold met 7.4, not met 8.9, rejected 9.4, response 8.6, appeal
    # upheld 7.3, not upheld 8.0, closed 8.4.
    assert all(age <= 11 for age in ages.values()), ages


@pytest.mark.parametrize("name", letters.letter_names())
def test_every_letter_template_reads_at_age_11_or_under_with_plain_staff_words(
    name: str, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    to_response(j, clock)
    trigger = {
        "threshold_met": "threshold_met",
        "threshold_not_met": "threshold_not_met",
        "rejection": "application_rejected",
        "response_letter": "response_issued",
        "appeal_decision": "appeal_not_upheld",
        "closure": "case_closed",
    }[name]
    data: dict[str, Any] = {
        "reasons": "We looked at each report.",
        "summary": "We will act on each point.",
        "ground": "frivolous",
        "closure_reason": "resolved",
        "explanation": "Things are better now.",
    }
    with session_factory() as s:
        context = letters.letter_context(
            s,
            j.case(s),
            letter=name,
            trigger=trigger,
            data=data,
            issued_on=date(2026, 4, 1),
            signed_by="A Chair",
        )
    age = reading_age(_prose(letters.render(name, context)))
    assert age <= 11, (name, round(age, 1))


def test_the_readability_measure_tells_plain_words_from_hard_ones() -> None:
    assert [syllables(w) for w in ("cat", "table", "review", "recommendation", "made")] == [
        1,
        2,
        2,
        5,
        1,
    ]
    assert reading_age(["The cat sat on the mat."]) < 6
    hard = (
        "Notwithstanding the aforementioned considerations, the partnership's determination "
        "constitutes an authoritative interpretation of multi-agency responsibilities."
    )
    assert reading_age([hard]) > 18


def test_no_two_sentences_run_together_in_a_message_to_the_victim(
    sent: list[tuple[OutboxMessage, Outgoing]],
) -> None:
    """A sentence ending at a line end in a template ("…at contact@example.org.") must not be
    glued to the next one ("….You can phone them") when the template's blocks are trimmed."""
    glued = re.compile(r"[a-z0-9)]\.[A-Z]")
    for row, out in sent:
        if row.recipient_role == "applicant" and out.kind != "sms":
            assert not glued.search(out.rendered.text), (row.message, out.rendered.text)
