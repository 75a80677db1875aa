"""The documents the engine writes: the response letter and the appeal pack."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import col, select

from engine import workdays
from engine.case_detail import CaseWithDetail
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import AuditEvent, Case, Deadline, Document, EqualitiesResponse
from tests.integration.test_community_trigger_journey import Journey
from workflows.community_trigger import documents

FINDINGS = "Noise reports were not linked across agencies.\n\nNobody visited at night."
RECOMMENDATIONS = [
    {
        "recipient_body": "Council",
        "action": "Install noise monitoring",
        "owner": "ASB team",
        "due_on": "2026-05-01",
    },
    {"recipient_body": "Police", "action": "Share incident logs", "owner": "PCSO"},
]


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def to_response(
    j: Journey, clock: FixedClock, summary: str = "Two recommendations agreed."
) -> None:
    j.fire("acknowledge", "contact")
    clock.advance(days=7)  # Mon 9 Mar 2026
    j.fire("threshold_met", "jag_chair", {"reasons": "Three separate incidents."})
    clock.advance(days=14)  # Mon 23 Mar
    j.fire(
        "review_meeting_held",
        "jag_chair",
        {
            "held_on": "2026-03-23",
            "attendees": ["PC Ann Lee (Police)", "Sam Ortiz (Council)"],
            "victim_involvement": "impact_statement",
        },
    )
    j.fire(
        "jag_report_recorded",
        "jag_chair",
        {
            "findings": FINDINGS,
            "agency_summaries": {"police": "Two visits.", "council": "Noise diary sent."},
            "recommendations": RECOMMENDATIONS,
        },
    )
    clock.advance(days=9)  # Wed 1 Apr 2026
    j.fire("response_issued", "csp_chair", {"summary": summary})


def to_appeal_papers(j: Journey, clock: FixedClock) -> None:
    to_response(j, clock)
    clock.advance(days=6)  # Tue 7 Apr
    j.fire(
        "appeal_lodged",
        "contact",
        {"ground": "facts_not_considered", "details": "The housing provider's notes were missed."},
    )
    j.fire("appeal_papers_sent", "contact", {"appeal_chair_email": "appeal@example.org"})


def docs(j: Journey) -> list[Document]:
    with j.sessions() as s:
        case = j.case(s)
        return list(
            s.exec(
                select(Document).where(Document.case_id == case.id).order_by(col(Document.id))
            ).all()
        )


def audit_version(j: Journey, trigger: str) -> int:
    with j.sessions() as s:
        case = j.case(s)
        return s.exec(
            select(AuditEvent.version).where(
                AuditEvent.case_id == case.id, AuditEvent.trigger == trigger
            )
        ).one()


def test_issuing_the_response_stores_the_letter_as_html_and_pdf(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    to_response(j, clock)
    html_doc, pdf_doc = docs(j)
    assert (html_doc.kind, pdf_doc.kind) == ("response_letter", "response_letter")
    assert html_doc.media_type.startswith("text/html") and pdf_doc.media_type == "application/pdf"
    # Written with the event: both name its audit row, and the person who issued it.
    version = audit_version(j, "response_issued")
    assert html_doc.event_version == pdf_doc.event_version == version
    assert html_doc.created_by == j.staff["csp_chair"].actor.user_id
    assert html_doc.size == len(html_doc.content)

    html = html_doc.content.decode()
    assert html.startswith("<!DOCTYPE html>") and j.ref in html
    assert "Dear Val Victim," in html
    assert "Wednesday 1 April 2026" in html  # the date of the letter
    assert "Noise reports were not linked across agencies." in html
    assert "<p>Nobody visited at night.</p>" in html  # each paragraph its own
    assert "Two recommendations agreed." in html
    assert (
        "Council: Install noise monitoring (named owner: ASB team), to be done by "
        "Friday 1 May 2026." in html
    )
    assert "Police: Share incident logs (named owner: PCSO)." in html
    # The named contact: the locality's point of contact, by name and email.
    assert "Contact is your named contact" in html and "contact@example.org" in html
    # The appeal route: both LLR grounds, and the date 20 working days on (skipping Easter).
    assert "a relevant process, policy or protocol was not considered" in html
    assert "relevant facts were not considered" in html
    assert "within 20 working days of the date of this letter, that is by Friday 1 May 2026" in html
    assert "Csp Chair<br>Chair, Safer Leicester Partnership" in html

    text = pdf_text(pdf_doc.content)
    assert j.ref in text and "Val Victim" in text and "Friday 1 May 2026" in text
    assert "Install noise monitoring" in text


def test_the_letters_appeal_date_is_the_appeal_window_deadline(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    to_response(j, clock)
    with session_factory() as s:
        case = j.case(s)
        window = s.exec(
            select(Deadline).where(Deadline.case_id == case.id, Deadline.name == "appeal_window")
        ).one()
    assert window.due_on == workdays.due_date(date(2026, 4, 1), 20, "working_days")
    assert documents.long_date(window.due_on) in docs(j)[0].content.decode()


def test_the_letter_escapes_what_people_typed(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    to_response(j, clock, summary="We agree <script>alert(1)</script> & will act.")
    html = docs(j)[0].content.decode()
    assert "<script>" not in html
    assert "We agree &lt;script&gt;alert(1)&lt;/script&gt; &amp; will act." in html


def test_the_appeal_pack_is_one_pdf_with_every_part(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    with session_factory() as s:
        s.add(
            EqualitiesResponse(
                id="e" * 32,
                area_id="llr",
                locality_id="leicester",
                period="2026-03",
                ethnicity="white_other",
                religion="buddhist",
                sexual_orientation="bisexual",
            )
        )
        s.commit()
    to_appeal_papers(j, clock)
    packs = [d for d in docs(j) if d.kind == "appeal_pack"]
    assert len(packs) == 1
    pack = packs[0]
    assert pack.event_version == audit_version(j, "appeal_papers_sent")
    assert pack.filename == f"{j.ref}-appeal-pack.pdf"
    text = pdf_text(pack.content)
    for part in (
        "1. The application",
        "2. The review meeting",
        "3. Chronology",
        "4. The result letter",
        "5. The outcome report",
        "6. The action plan",
        "7. The appeal",
    ):
        assert part in text, part
    assert f"Appeal pack: ASB Case Review {j.ref}" in text
    assert "Incident 1: shouting at night." in text and "reference PR1" in text
    assert "PC Ann Lee (Police)" in text and "impact statement" in text
    # The chronology runs from the application to this very event.
    assert "Application made" in text and "Send the papers to an independent chair" in text
    assert "Issue the response to the victim" in text
    # The result letter as issued, the report's findings and each agency, the action plan.
    assert "The outcome of your ASB Case Review" in text and "Friday 1 May 2026" in text
    assert "Nobody visited at night." in text and "police: Two visits." in text
    assert "Recommendation 1: Council" in text and "Named owner: ASB team" in text
    assert "Status: open" in text and "No date set" in text
    assert "The housing provider's notes were missed." in text
    # Equalities answers are never part of a case's papers.
    lowered = text.lower()
    for word in ("ethnicity", "religion", "orientation", "buddhist", "bisexual", "white_other"):
        assert word not in lowered


def test_a_pack_for_a_threshold_not_met_appeal_has_the_decision_and_no_review(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    j.fire("acknowledge", "contact")
    j.fire(
        "threshold_not_met",
        "jag_chair",
        {"reasons": "Two reports only.", "override_reason": "Reports were duplicates."},
    )
    j.fire("appeal_lodged", "contact", {"ground": "process_not_considered", "details": "Unfair."})
    j.fire("appeal_papers_sent", "contact", {"appeal_chair_email": "appeal@example.org"})
    (pack,) = docs(j)
    text = pdf_text(pack.content)
    assert "No review meeting was held" in text
    assert "Threshold not met on 2 March 2026" in text
    assert "The review made no recommendations." in text
    assert "a relevant process, policy or protocol was not considered" in text


@pytest.mark.parametrize(
    "name",
    [
        "Zażółć Gęślą Jaźń",  # Polish
        "محمد عمران",  # Urdu
        "Chloé 😀 O’Brien",  # accents, emoji, curly apostrophe
        "Ŀŀ \u200b\x07 \U0001f3f3\ufe0f\u200d\U0001f308",  # oddities and a joined emoji
    ],
)
def test_text_outside_latin_1_never_breaks_the_pdfs(
    session_factory: SessionFactory, clock: FixedClock, name: str
) -> None:
    j = Journey(session_factory, clock)
    with session_factory() as s:
        case = j.case(s)
        from engine.models import Party

        applicant = s.exec(
            select(Party).where(Party.case_id == case.id, Party.kind == "applicant")
        ).one()
        applicant.name = name
        s.add(applicant)
        s.commit()
    to_response(j, clock, summary=f"Response for {name}.")
    html_doc, pdf_doc = docs(j)
    assert f"Dear {name}," in html_doc.content.decode()  # the screen copy keeps it exactly
    text = pdf_text(pdf_doc.content)
    assert j.ref in text and "cannot be shown in this PDF" in text
    clock.advance(days=1)
    j.fire("appeal_lodged", "contact", {"ground": "facts_not_considered", "details": name})
    j.fire("appeal_papers_sent", "contact", {"appeal_chair_email": "appeal@example.org"})
    assert j.ref in pdf_text(docs(j)[-1].content)


def test_latin_1_text_is_kept_and_the_rest_written_plainly() -> None:
    assert documents.latin1("Chloé Ødegård") == ("Chloé Ødegård", False)
    assert documents.latin1("Łódź – “quoted”") == ('Lódz - "quoted"', True)
    assert documents.latin1("😀") == ("?", True)


def test_the_letter_html_reads_back_as_blocks() -> None:
    blocks = documents.html_blocks(
        "<article><h1>Title</h1><p>One\n  two</p><ol><li>a</li><li>b</li></ol>"
        "<ul><li>c</li></ul><p>x<br>y</p></article>"
    )
    assert blocks == [
        ("h1", "Title"),
        ("p", "One two"),
        ("ol", "1. a"),
        ("ol", "2. b"),
        ("li", "c"),
        ("p", "x\ny"),
    ]


def test_a_case_with_no_contact_in_its_locality_names_the_role(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    with session_factory() as s:
        case: Any = j.case(s)
        assert documents.named_contact(s, case) == {
            "name": "Contact",
            "email": "contact@example.org",
        }
        other = CaseWithDetail(Case(**{**case.model_dump(), "locality_id": "rutland"}), case.detail)
        assert documents.named_contact(s, other) is None
        context = documents.response_letter_context(
            s, other, response="Done.", issued_on=date(2026, 3, 2), signed_by="A Chair"
        )
    html = documents.render_response_letter(context)
    assert "the ASB Case Review point of contact for Rutland" in html
    assert "Chair, Rutland Community Safety Partnership" in html
