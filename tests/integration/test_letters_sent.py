"""The letter previewed is the letter sent: every decision letter, through a real SMTP server.

Each scenario takes a case to the step before a decision, previews the letter the way staff
would (engine.letters.preview, which the CSP chair's preview page uses), records the
decision, and delivers the outbox through SmtpChannel to aiosmtpd. The e-mail's text is the
previewed letter's text, its HTML is the letter, and the letter's PDF is attached.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import OutboxMessage
from engine.settings import Settings
from notifications.channels.log import LogChannel
from notifications.channels.smtp import SmtpChannel
from notifications.outbox import dispatch_once
from tests.factories import load_case
from tests.integration.test_channels_smtp import SmtpSink, smtp_server  # noqa: F401
from tests.integration.test_community_trigger_journey import Journey
from tests.unit.test_documents import to_appeal_papers, to_response
from workflows.community_trigger import letters

Setup = Callable[[Journey, FixedClock], None]


def _acknowledged(j: Journey, clock: FixedClock) -> None:
    j.fire("acknowledge", "contact")


def _drafted(j: Journey, clock: FixedClock) -> None:
    to_response(j, clock)  # issues a first response; the scenario below issues after appeal


def _papers_sent(j: Journey, clock: FixedClock) -> None:
    to_appeal_papers(j, clock)


def _appeal_window_passed(j: Journey, clock: FixedClock) -> None:
    j.fire("acknowledge", "contact")
    j.fire("threshold_not_met", "jag_chair", {"reasons": "Only one incident was reported."})
    clock.advance(days=35)


def _before_response(j: Journey, clock: FixedClock) -> None:
    j.fire("acknowledge", "contact")
    clock.advance(days=7)
    j.fire("threshold_met", "jag_chair", {"reasons": "Three separate incidents."})
    clock.advance(days=14)
    j.fire(
        "review_meeting_held",
        "jag_chair",
        {
            "held_on": clock.today().isoformat(),
            "attendees": ["PC Lee"],
            "victim_involvement": "none",
        },
    )
    j.fire(
        "jag_report_recorded",
        "jag_chair",
        {
            "findings": "Reports were not shared between the police and the council.",
            "recommendations": [
                {
                    "recipient_body": "Council",
                    "action": "Fit a noise monitor",
                    "due_on": "2026-05-01",
                }
            ],
        },
    )


# (incidents on the application, how to get there, event, who records it, its data)
SCENARIOS: dict[str, tuple[int, Setup, str, str, dict[str, Any]]] = {
    "threshold met": (
        3,
        _acknowledged,
        "threshold_met",
        "jag_chair",
        {"reasons": "You reported three separate incidents to the police."},
    ),
    "threshold not met": (
        1,
        _acknowledged,
        "threshold_not_met",
        "jag_chair",
        {"reasons": "You reported one incident. The rules need three."},
    ),
    "rejected": (
        3,
        _acknowledged,
        "application_rejected",
        "jag_chair",
        {"ground": "vexatious", "reasons": "The same person has been named in ten applications."},
    ),
    "response": (
        3,
        _before_response,
        "response_issued",
        "csp_chair",
        {"summary": "The council will fit a noise monitor.\n\nThe police will visit at night."},
    ),
    "appeal upheld": (
        3,
        _papers_sent,
        "appeal_upheld",
        "appeal_chair",
        {"reasons": "The housing provider's notes were not read."},
    ),
    "appeal not upheld": (
        3,
        _papers_sent,
        "appeal_not_upheld",
        "appeal_chair",
        {"reasons": "All the facts were looked at."},
    ),
    "closed": (
        1,
        _appeal_window_passed,
        "case_closed",
        "contact",
        {"closure_reason": "appeal_window_passed", "explanation": "No appeal came in."},
    ),
}


def _send_all(session_factory: SessionFactory, clock: FixedClock, port: int) -> None:
    channel = SmtpChannel(Settings(smtp_port=port, smtp_from="ct@example.org"))
    try:
        dispatch_once(session_factory, channel=channel, clock=clock, base_url="http://ct")
    finally:
        channel.close()


def pdf_words(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def _one_email(sink: SmtpSink) -> EmailMessage:
    [(rcpts, mail)] = sink.received
    assert rcpts == ["victim@example.org"]
    return mail


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_letter_emailed_is_the_letter_previewed_with_its_pdf_attached(
    name: str,
    session_factory: SessionFactory,
    clock: FixedClock,
    smtp_server: tuple[SmtpSink, int],  # noqa: F811
) -> None:
    sink, port = smtp_server
    incidents, setup, event, who, data = SCENARIOS[name]
    j = Journey(session_factory, clock, incidents=incidents)
    setup(j, clock)
    _send_all(session_factory, clock, port)
    sink.raw.clear()

    with session_factory() as s:
        previewed = letters.preview(
            s, reference=j.ref, event=event, data=data, actor=j.staff[who].actor, clock=clock
        )
    j.fire(event, who, data)
    _send_all(session_factory, clock, port)
    mail = _one_email(sink)

    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    # The words are the letter's, exactly: nothing added, nothing left out.
    assert plain.get_content() == letters.letter_text(previewed)
    assert letters.letter_text(html.get_content()) == letters.letter_text(previewed)
    assert j.ref in str(mail["Subject"])

    [pdf] = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
    letter = letters.letter_for_event("community_trigger", event) or ""
    assert pdf.get_filename() == f"{j.ref}-{letter.replace('_', '-')}.pdf"
    words = pdf_words(pdf.get_content())
    # The PDF says what the e-mail says, paragraph by paragraph (the letterhead aside).
    for paragraph in plain.get_content().split("\n\n")[1:]:
        assert " ".join(paragraph.split()).lstrip("- ") in words, paragraph

    # What every letter has: the contact by name and how to reach them, the way to follow
    # the case, the date and the reference.
    text = plain.get_content()
    with session_factory() as s:
        code = load_case(s, j.ref).status_code
    assert code and re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}", code)
    for must in (
        "Contact is your named contact",
        "contact@example.org",
        "0116 454 1000",
        "City Hall, 115 Charles Street, Leicester LE1 1FZ",
        "http://127.0.0.1:8000/status",
        code,
        f"Our reference: {j.ref}",
        letters.long_date(clock.today()),
    ):
        assert must in text, must


def test_an_appeal_not_upheld_and_a_closure_are_final_and_signpost_the_ombudsman(
    session_factory: SessionFactory,
    clock: FixedClock,
    smtp_server: tuple[SmtpSink, int],  # noqa: F811
) -> None:
    sink, port = smtp_server
    j = Journey(session_factory, clock)
    to_appeal_papers(j, clock)
    _send_all(session_factory, clock, port)
    sink.raw.clear()
    j.fire("appeal_not_upheld", "appeal_chair", {"reasons": "All the facts were looked at."})
    _send_all(session_factory, clock, port)
    text = _one_email(sink).get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "This decision is final. You cannot appeal again." in text
    assert "Local Government and Social Care Ombudsman" in text
    assert "Police and Crime Commissioner" in text
    assert "To appeal, write" not in text


def test_a_threshold_not_met_letter_explains_why_in_words_and_how_to_appeal_by_when(
    session_factory: SessionFactory,
    clock: FixedClock,
    smtp_server: tuple[SmtpSink, int],  # noqa: F811
) -> None:
    sink, port = smtp_server
    j = Journey(session_factory, clock, incidents=1)
    j.fire("acknowledge", "contact")
    j.fire("threshold_not_met", "jag_chair", {"reasons": "One incident."})
    _send_all(session_factory, clock, port)
    mail = [m for r, m in sink.received if "decision" in str(m["Subject"])][0]
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Why: One incident." not in text
    assert "you reported 3 or more separate incidents in the last 6 months" in text
    assert "3 or more people reported the same incident" in text
    assert "within one month of the incident" in text
    assert "You told us about 1 report. It counted, but that is not enough" in text
    # 20 working days from Monday 2 March 2026.
    assert "that is by Monday 30 March 2026" in text
    assert "write to your named contact" in text


def test_a_response_after_a_re_review_is_final(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    to_appeal_papers(j, clock)
    j.fire("appeal_upheld", "appeal_chair", {"reasons": "Notes were missed."})
    with session_factory() as s:
        case = j.case(s)
        context = letters.letter_context(
            s,
            case,
            letter="response_letter",
            trigger="response_issued",
            data={"summary": "We looked again."},
            issued_on=clock.today(),
            signed_by="A Chair",
        )
    assert context["appeal"]["final"] is True
    text = letters.letter_text(letters.render("response_letter", context))
    assert "This decision is final." in text and "To appeal, write" not in text


def test_a_posted_letter_is_the_pdf_written_beside_the_message(
    session_factory: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    j = Journey(session_factory, clock, incidents=1)
    with session_factory() as s:
        case = j.case(s)
        case.contact_preference = "post"
        from engine.models import Party

        party = s.exec(select(Party).where(Party.case_id == case.id)).first()
        assert party is not None
        party.address, party.postcode = "1 High Street, Leicester", "LE1 1AA"
        s.add_all([case.case, case.detail, party])
        s.commit()
    j.fire("acknowledge", "contact")
    j.fire("threshold_not_met", "jag_chair", {"reasons": "One incident."})
    folder = tmp_path / "outbox"
    dispatch_once(session_factory, channel=LogChannel(folder), clock=clock)
    with session_factory() as s:
        row = s.exec(
            select(OutboxMessage).where(OutboxMessage.message == "threshold_not_met_letter")
        ).one()
    assert (row.status, row.channel) == ("sent", "letter")
    [pdf] = list(folder.glob("*threshold-not-met.pdf"))
    words = pdf_words(pdf.read_bytes())
    # Addressed for the envelope window, then the letter itself.
    assert "Val Victim 1 High Street Leicester LE1 1AA" in words
    assert "Your case does not meet the rules for a case review" in words
    assert j.ref in words


def test_every_posted_message_is_a_letter_with_date_sender_and_reference(
    session_factory: SessionFactory, clock: FixedClock, tmp_path: Path
) -> None:
    from tests.factories import make_case

    with session_factory() as s:
        done = make_case(
            s,
            clock,
            contact_preference="post",
            applicant={
                "name": "Pat Post",
                "address": "1 High Street, Leicester",
                "postcode": "LE1 1AA",
                "role": "victim",
            },
        )
    folder = tmp_path / "outbox"
    dispatch_once(session_factory, channel=LogChannel(folder), clock=clock)
    [pdf] = list(folder.glob("*application-received.pdf"))
    words = pdf_words(pdf.read_bytes())
    for must in (
        "Pat Post 1 High Street Leicester LE1 1AA",  # the envelope window
        "Community Safety Team Leicester City Council City Hall",  # the sender
        "Monday 2 March 2026",
        f"Our reference: {done.reference}",
        "Dear Pat Post,",
        "We have received your application for an ASB Case Review",
        "acknowledge your application by Tuesday 3 March 2026",
        "0116 454 1000",
    ):
        assert must in words, must


def test_the_closure_letter_sums_up_each_recommendation(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    from engine.models import Recommendation

    j = Journey(session_factory, clock)
    to_response(j, clock)
    with session_factory() as s:
        recs = s.exec(select(Recommendation).order_by(Recommendation.seq)).all()
        recs[0].status = "done"
        recs[1].status, recs[1].note = "declined", "The logs hold other people's details."
        s.add_all(recs)
        s.commit()
        context = letters.letter_context(
            s,
            j.case(s),
            letter="closure",
            trigger="case_closed",
            data={"closure_reason": "resolved", "explanation": "Things are quiet now."},
            issued_on=clock.today(),
            signed_by="Contact",
        )
    text = letters.letter_text(letters.render("closure", context))
    assert "We closed it because the problems have been dealt with." in text
    assert "Council: Install noise monitoring. This is done." in text
    assert (
        "Police: Share incident logs. This was not taken up. They said: The logs hold other "
        "people's details.\n" in text
    )
    assert "This decision is final." in text and "Ombudsman" in text
