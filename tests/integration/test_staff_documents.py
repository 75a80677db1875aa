"""The response letter's preview and issue, the appeal pack, and document downloads."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session, col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, Document, OutboxMessage
from tests.factories import load_case
from tests.integration.test_community_trigger_journey import Journey
from tests.integration.test_staff_login import Staff, browser_for
from tests.unit.test_documents import to_response

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
RESPONSE = "We agree with the review.\n\nThe council will install noise monitoring."


@pytest.fixture
def journey(session_factory: SessionFactory, clock: FixedClock) -> Journey:
    """A case with the JAG's report recorded, waiting for the CSP chair (Mon 23 Mar 2026)."""
    j = Journey(session_factory, clock)
    to_response(j, clock)  # issues the response: take it back to just before that step
    return j


def drafted(session_factory: SessionFactory, clock: FixedClock) -> Journey:
    j = Journey(session_factory, clock)
    j.fire("acknowledge", "contact")
    j.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    j.fire(
        "review_meeting_held",
        "jag_chair",
        {"held_on": "2026-03-02", "attendees": ["Police"], "victim_involvement": "none"},
    )
    j.fire(
        "jag_report_recorded",
        "jag_chair",
        {
            "findings": "Reports were not shared.",
            "recommendations": [
                {
                    "recipient_body": "Council",
                    "action": "Install noise monitoring",
                    "owner": "ASB team",
                    "due_on": "2026-04-30",
                }
            ],
        },
    )
    return j


def as_user(app: Any, session: Session, clock: FixedClock, email: str) -> Staff:
    me = browser_for(app, session, clock, email)
    me.sign_in()
    return me


def case_now(session_factory: SessionFactory, ref: str) -> Case:
    with session_factory() as s:
        return load_case(s, ref)


def documents_of(session_factory: SessionFactory, ref: str) -> list[Document]:
    with session_factory() as s:
        case = load_case(s, ref)
        return list(
            s.exec(
                select(Document).where(Document.case_id == case.id).order_by(col(Document.id))
            ).all()
        )


def test_the_csp_chair_previews_the_letter_then_issues_it(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = drafted(session_factory, clock)
    v = str(case_now(session_factory, j.ref).version)
    chair = as_user(app, session, clock, "csp@example.org")
    url = f"/staff/cases/{j.ref}/events/response_issued"
    form = chair.get(url)
    assert "Preview the letter" in form.text and "formaction" not in form.text
    assert f'action="{url}/preview"' in form.text

    preview = chair.post(f"{url}/preview", {"version": v, "summary": RESPONSE}, status=200)
    assert "Check the letter before you issue it" in preview.text
    assert "Dear Val Victim," in preview.text
    assert "Reports were not shared." in preview.text
    assert "Council: Install noise monitoring (named owner: ASB team)" in preview.text
    assert "<p>The council will install noise monitoring.</p>" in preview.text
    # 20 working days from Mon 2 Mar 2026.
    assert "that is by Monday 30 March 2026" in preview.text
    # The same fields come back, filled in, with the button that issues.
    assert re.search(
        r'<textarea[^>]*name="summary"[^>]*>\s*We agree with the review.', preview.text
    )
    assert f'formaction="{url}"' in preview.text and f'name="version" value="{v}"' in preview.text
    # A preview stores nothing and sends nothing.
    assert str(case_now(session_factory, j.ref).version) == v
    assert documents_of(session_factory, j.ref) == []

    chair.post(url, {"version": v, "summary": RESPONSE})
    assert case_now(session_factory, j.ref).state == "response_issued"
    html_doc, pdf_doc = documents_of(session_factory, j.ref)
    assert "<p>The council will install noise monitoring.</p>" in html_doc.content.decode()
    with session_factory() as s:
        sent = s.exec(select(OutboxMessage.message).where(OutboxMessage.case_id == pdf_doc.case_id))
        assert "review_outcome_letter" in list(sent)

    page = chair.get(f"/staff/cases/{j.ref}")
    assert 'id="documents"' in page.text
    for doc in (html_doc, pdf_doc):
        assert f'href="/staff/cases/{j.ref}/documents/{doc.id}"' in page.text
    download = chair.get(f"/staff/cases/{j.ref}/documents/{pdf_doc.id}")
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="{j.ref}-response-letter.pdf"'
    )
    assert download.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(download.content)).pages)
    assert j.ref in text and "Monday 30 March 2026" in text


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        ("", "Enter your response to the applicant"),
        ("x" * 5001, "Your response to the applicant must be 5000 characters or fewer"),
    ],
)
def test_a_bad_response_shows_the_error_summary_and_stores_nothing(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    summary: str,
    message: str,
) -> None:
    j = drafted(session_factory, clock)
    v = str(case_now(session_factory, j.ref).version)
    chair = as_user(app, session, clock, "csp@example.org")
    url = f"/staff/cases/{j.ref}/events/response_issued"
    chair.get(url)
    for target in (f"{url}/preview", url):
        page = chair.post(target, {"version": v, "summary": summary}, status=422)
        assert "There is a problem" in page.text and 'href="#summary"' in page.text
        assert "Check the letter" not in page.text and "Preview the letter" in page.text
        assert message in page.text
    assert str(case_now(session_factory, j.ref).version) == v
    assert documents_of(session_factory, j.ref) == []


def test_the_preview_needs_the_csrf_token_and_the_right_role(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = drafted(session_factory, clock)
    v = str(case_now(session_factory, j.ref).version)
    url = f"/staff/cases/{j.ref}/events/response_issued/preview"
    chair = as_user(app, session, clock, "csp@example.org")
    chair.get(f"/staff/cases/{j.ref}")
    response = chair.client.post(url, data={"version": v, "summary": "Yes."})
    assert response.status_code in (400, 403) and "Dear" not in response.text
    jag = as_user(app, session, clock, "jag@example.org")
    jag.get(f"/staff/cases/{j.ref}")
    page = jag.post(url, {"version": v, "summary": "Yes."}, status=403)
    assert "Dear Val Victim" not in page.text
    melton = as_user(app, session, clock, "melton.jag@example.org")
    melton.get("/staff")
    page = melton.post(url, {"version": v, "summary": "Yes."}, status=403)
    assert "Dear Val Victim" not in page.text


def test_the_api_still_issues_the_response_in_one_step(
    app: Any, session_factory: SessionFactory, clock: FixedClock
) -> None:
    from fastapi.testclient import TestClient

    j = drafted(session_factory, clock)
    client = TestClient(app)
    version = case_now(session_factory, j.ref).version
    response = client.post(
        f"/api/v1/cases/{j.ref}/events",
        json={"event": "response_issued", "data": {"summary": "Agreed."}, "version": version},
        headers={"authorization": f"Bearer {j.staff['csp_chair'].token}"},
    )
    assert response.status_code in (200, 201), response.text
    kinds = [(d.kind, d.media_type[:9]) for d in documents_of(session_factory, j.ref)]
    assert kinds == [("response_letter", "text/html"), ("response_letter", "applicati")]


def test_sending_the_appeal_papers_makes_the_pack_for_the_chair_to_download(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    to_response(j, clock)
    clock.advance(days=1)
    j.fire("appeal_lodged", "contact", {"ground": "facts_not_considered", "details": "Missed."})
    contact = as_user(app, session, clock, "contact@example.org")
    url = f"/staff/cases/{j.ref}/events/appeal_papers_sent"
    contact.get(url)
    version = str(case_now(session_factory, j.ref).version)
    contact.post(url, {"version": version, "appeal_chair_email": "appeal@example.org"})
    pack = documents_of(session_factory, j.ref)[-1]
    assert pack.kind == "appeal_pack"
    with session_factory() as s:
        message = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.case_id == pack.case_id, OutboxMessage.message == "appeal_papers"
            )
        ).one()
        assert message.recipient == "appeal@example.org"

    chair = as_user(app, session, clock, "appeal@example.org")  # Melton: another locality
    page = chair.get(f"/staff/cases/{j.ref}")
    assert "Appeal pack (PDF" in page.text
    download = chair.get(f"/staff/cases/{j.ref}/documents/{pack.id}")
    assert download.content.startswith(b"%PDF")
    assert download.headers["content-disposition"].startswith("attachment;")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(download.content)).pages)
    assert j.ref in text and "7. The appeal" in text


def test_documents_are_refused_to_other_localities_and_other_cases(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    journey: Journey,
) -> None:
    doc = documents_of(session_factory, journey.ref)[-1]
    path = f"/staff/cases/{journey.ref}/documents/{doc.id}"
    melton = as_user(app, session, clock, "melton.jag@example.org")
    page = melton.get(path, status=403)
    assert not page.content.startswith(b"%PDF") and "attachment" not in str(page.headers)
    # The appeal chair is not assigned to this case: it is not theirs to see.
    outsider = as_user(app, session, clock, "blaby.appeal@example.org")
    assert outsider.client.get(path).status_code in (403, 404)

    with session_factory() as s:
        other = Journey.__new__(Journey)
        other.sessions, other.clock = session_factory, clock
        from tests.factories import make_case

        other_ref = make_case(s, clock, incidents=3).reference
    jag = as_user(app, session, clock, "jag@example.org")
    jag.get(path)  # its own locality's case: allowed
    jag.get(f"/staff/cases/{other_ref}/documents/{doc.id}", status=404)  # another case's id
    jag.get(f"/staff/cases/{journey.ref}/documents/999999", status=404)
    jag.get(f"/staff/cases/{journey.ref}/documents/not-a-number", status=404)
    jag.get(f"/staff/cases/CT-2026-999999/documents/{doc.id}", status=404)


def test_signed_out_people_are_sent_to_sign_in(
    client: Any, session_factory: SessionFactory, clock: FixedClock, journey: Journey
) -> None:
    doc = documents_of(session_factory, journey.ref)[-1]
    response = client.get(f"/staff/cases/{journey.ref}/documents/{doc.id}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/login"
