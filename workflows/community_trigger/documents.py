"""The Community Trigger's documents: the response letter and the appeal pack.

The engine stores them (engine/documents.py); the web only delivers the stored bytes. Each
document is written in the transaction of the event that produced it (see effects.py).

The response letter's words are a Jinja2 template in templates/letters/ (letters.py builds
what it says; engine/letters.py renders every decision letter): it is part of what the engine
decides, and a plain file lets the wording be changed without touching code. The HTML it
renders is the one source: shown on screen as the preview, stored, and laid out into the PDF.

PDFs are made with fpdf2 (pure Python; WeasyPrint would need the system's Pango libraries),
tagged for screen readers: see engine/pdf.py.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import desc
from sqlmodel import Session, col, select

from engine import registry
from engine.access import Actor
from engine.clock import Clock, london_date
from engine.documents import (  # noqa: F401  (kept importable from here, as before)
    HTML,
    PDF,
    NewDocument,
    case_rows,
    fetch,
    listed,
    named_contact,
    named_contact_id,
    plain_pdf,
    store,
)
from engine.models import (
    AuditEvent,
    Case,
    Document,
    Incident,
    Party,
    Recommendation,
    Report,
    User,
)
from engine.pdf import Pdf as _Pdf
from engine.pdf import html_blocks, latin1  # noqa: F401 (kept importable from here)
from workflows.community_trigger import letters

RESPONSE_EVENT = "response_issued"
RESPONSE_LETTER = "response_letter"

APPEAL_GROUNDS = letters.APPEAL_GROUNDS
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


long_date = letters.long_date


def _short_date(value: date | str | None) -> str:
    if not value:
        return ""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


# ---------------------------------------------------------------- the response letter


def response_letter_context(
    session: Session,
    case: Case,
    *,
    response: str,
    issued_on: date,
    signed_by: str,
) -> dict[str, Any]:
    """Everything the letter says, from the case as recorded and the CSP chair's words.
    Whether it is final (no appeal) follows from the case's events (letters._appeal)."""
    return letters.letter_context(
        session,
        case,
        letter=RESPONSE_LETTER,
        trigger=RESPONSE_EVENT,
        data={"summary": response},
        issued_on=issued_on,
        signed_by=signed_by,
    )


def render_response_letter(context: dict[str, Any], *, top: int = 1) -> str:
    """The letter as an HTML fragment (an <article>) whose own heading is level `top`."""
    return letters.render(RESPONSE_LETTER, context, top=top)


def response_letter_documents(context: dict[str, Any]) -> list[NewDocument]:
    """The issued letter twice: HTML for the screen and a PDF to print or post."""
    letter = letters.build(RESPONSE_LETTER, context)
    ref = context["reference"]
    return [
        NewDocument(
            RESPONSE_LETTER, letter.title, HTML, f"{ref}-response-letter.html", letter.page.encode()
        ),
        NewDocument(RESPONSE_LETTER, letter.title, PDF, f"{ref}-response-letter.pdf", letter.pdf),
    ]


def preview_response_letter(
    session: Session, *, reference: str, data: dict[str, Any], actor: Actor, clock: Clock
) -> str:
    """The letter the actor would issue now with `data`, checked as issuing would be.

    Refused unless the actor may issue the response on this case now; bad data raises
    InvalidInput naming the field, exactly as issuing would. Nothing is stored.
    """
    return letters.preview(
        session, reference=reference, event=RESPONSE_EVENT, data=data, actor=actor, clock=clock
    )


def issued_letter(
    session: Session, case: Case, parsed: BaseModel | None, actor_user_id: int | None, now: datetime
) -> list[NewDocument]:
    """The response letter as the response_issued event issues it."""
    context = response_letter_context(
        session,
        case,
        response=getattr(parsed, "summary", ""),
        issued_on=london_date(now),
        signed_by=_user_name(session, actor_user_id) or "The Community Safety Partnership chair",
    )
    return response_letter_documents(context)


# ---------------------------------------------------------------- the appeal pack


def appeal_pack(
    session: Session,
    case: Case,
    *,
    now: datetime,
    trigger: str,
    parsed: BaseModel | None,
    actor_user_id: int | None,
) -> NewDocument:
    """One PDF for the independent appeal chair: application, meeting record, chronology,
    result letter, outcome report, action plan and the appeal itself.

    Built only from the case's own records; equalities answers are never read.
    """
    area = registry.area(case.area_id)
    wf = registry.workflow(case.workflow_name)
    labels = {t.trigger: t.label for t in wf.transitions} | {wf.start_trigger: "Application made"}
    ref = case.reference
    title = "Appeal pack"
    pdf = _Pdf(ref, title)
    locality = area.localities.get(case.locality_id)
    pdf.heading(f"Appeal pack: ASB Case Review {ref}", 1)
    pdf.pairs(
        [
            ("Locality", locality.name if locality else case.locality_id),
            ("Prepared", _short_date(london_date(now))),
            ("Application received", _short_date(case.application_on)),
        ]
    )
    pdf.paragraph(
        "Contents: 1 the application, 2 the review meeting, 3 chronology, 4 the result "
        "letter, 5 the outcome report, 6 the action plan, 7 the appeal."
    )
    _pack_application(pdf, session, case)
    _pack_meeting(pdf, session, case)
    _pack_chronology(pdf, session, case, labels, now, trigger, actor_user_id)
    _pack_letter(pdf, session, case)
    _pack_report(pdf, session, case)
    _pack_action_plan(pdf, session, case)
    _pack_appeal(pdf, session, case)
    return NewDocument("appeal_pack", title, PDF, f"{ref}-appeal-pack.pdf", pdf.finish())


def _pack_application(pdf: _Pdf, session: Session, case: Case) -> None:
    pdf.heading("1. The application", 2)
    pdf.pairs(
        [
            ("How it came in", case.channel.replace("_", " ")),
            ("Received", _short_date(case.application_on)),
            ("Hate incident", "Yes" if case.hate_incident else "No"),
            ("Involvement wanted in the review", (case.involvement or "").replace("_", " ")),
        ]
    )
    for p in case_rows(session, Party, case):
        who = p.kind.replace("_", " ").capitalize()
        pdf.pairs([(who, p.name + (f" ({p.role.replace('_', ' ')})" if p.role else ""))])
    for label, text in (
        ("The impact on them", case.impact),
        ("The outcome they want", case.outcome_wanted),
        ("Vulnerabilities", case.vulnerabilities),
        ("Accessibility needs", case.accessibility_needs),
    ):
        if text:
            pdf.pairs([(label, text)])
    reports = case_rows(session, Report, case)
    for i in case_rows(session, Incident, case):
        pdf.heading(f"Incident {i.seq}: {_short_date(i.occurred_on)}", 3)
        if i.place:
            pdf.pairs([("Where", i.place)])
        pdf.paragraph(i.description)
        for r in (r for r in reports if r.incident_id == i.id):
            pdf.bullet(
                f"Reported to {r.agency.replace('_', ' ')} on {_short_date(r.reported_on)}"
                + (f", reference {r.reference}" if r.reference else "")
            )


def _pack_meeting(pdf: _Pdf, session: Session, case: Case) -> None:
    pdf.heading("2. The review meeting", 2)
    meeting = _latest_event(session, case, "review_meeting_held")
    if meeting is None:
        pdf.paragraph("No review meeting was held: the case did not reach the review.")
        return
    d = meeting.data
    pdf.pairs(
        [
            ("Held on", _short_date(d.get("held_on"))),
            ("Victim's part", str(d.get("victim_involvement", "")).replace("_", " ")),
        ]
    )
    if d.get("not_invited_reason"):
        pdf.pairs([("Why the victim was not invited", d["not_invited_reason"])])
    pdf.paragraph("Attendees:")
    for name in d.get("attendees", []):
        pdf.bullet(name)
    pdf.pairs([("Recorded by", meeting.actor_label)])


def _pack_chronology(
    pdf: _Pdf,
    session: Session,
    case: Case,
    labels: dict[str, str],
    now: datetime,
    trigger: str,
    actor_user_id: int | None,
) -> None:
    pdf.heading("3. Chronology", 2)
    events = [
        (a.occurred_at, a.trigger, a.actor_label, a.reason)
        for a in case_rows(session, AuditEvent, case)
    ]
    # The event making this pack is recorded in the same transaction, after its effects.
    events.append((now, trigger, _user_name(session, actor_user_id) or "", None))
    for at, event, by, reason in events:
        line = f"{at.strftime('%d/%m/%Y %H:%M')} UTC  {labels.get(event, event)}"
        line += f", by {by}" if by else ""
        line += f": {reason}" if reason else ""
        pdf.bullet(line)


def _pack_letter(pdf: _Pdf, session: Session, case: Case) -> None:
    pdf.heading("4. The result letter", 2)
    letter = session.exec(
        select(Document.content)
        .where(
            Document.case_id == case.id,
            Document.kind == "response_letter",
            Document.media_type == HTML,
        )
        .order_by(desc(col(Document.id)))
    ).first()
    if letter is not None:
        pdf.blocks(html_blocks(letter.decode("utf-8")), top=3)
        return
    decision = _latest_event(
        session, case, "threshold_not_met", "application_rejected", RESPONSE_EVENT
    )
    if decision is None:
        pdf.paragraph("No result letter has been issued on this case.")
        return
    pdf.paragraph(
        f"{decision.trigger.replace('_', ' ').capitalize()} on "
        f"{_short_date(decision.occurred_at.date())} by {decision.actor_label}."
    )
    for key in ("ground", "reasons", "summary"):
        if decision.data.get(key):
            pdf.pairs([(key.capitalize(), str(decision.data[key]).replace("_", " "))])


def _pack_report(pdf: _Pdf, session: Session, case: Case) -> None:
    pdf.heading("5. The outcome report", 2)
    report = _latest_event(session, case, "jag_report_recorded")
    if report is None:
        pdf.paragraph("The JAG has not recorded a report on this case.")
        return
    pdf.pairs([("Recorded", f"{_short_date(report.occurred_at.date())} by {report.actor_label}")])
    pdf.heading("Findings", 3)
    for paragraph in _paragraphs(report.data.get("findings", "")):
        pdf.paragraph(paragraph)
    summaries = report.data.get("agency_summaries") or {}
    if summaries:
        pdf.heading("What each agency said", 3)
        pdf.pairs(list(summaries.items()))


def _pack_action_plan(pdf: _Pdf, session: Session, case: Case) -> None:
    pdf.heading("6. The action plan", 2)
    recs = case_rows(session, Recommendation, case)
    if not recs:
        pdf.paragraph("The review made no recommendations.")
    for r in recs:
        pdf.heading(f"Recommendation {r.seq}: {r.recipient_body}", 3)
        pdf.paragraph(r.action)
        pdf.pairs(
            [
                ("Named owner", r.owner or "Not named"),
                ("Due", _short_date(r.due_on) or "No date set"),
                ("Status", r.status + (f": {r.note}" if r.note else "")),
            ]
        )


def _pack_appeal(pdf: _Pdf, session: Session, case: Case) -> None:
    pdf.heading("7. The appeal", 2)
    appeal = _latest_event(session, case, "appeal_lodged")
    if appeal is None:
        pdf.paragraph("No appeal is recorded on this case.")
        return
    d = appeal.data
    pdf.pairs(
        [
            ("Ground", APPEAL_GROUNDS.get(d.get("ground", ""), str(d.get("ground", "")))),
            ("Received", _short_date(d.get("received_on") or appeal.occurred_at.date())),
        ]
    )
    for paragraph in _paragraphs(d.get("details", "")):
        pdf.paragraph(paragraph)


# ---------------------------------------------------------------- helpers


def _user_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.exec(select(User.name).where(User.id == user_id)).first()


def _latest_event(session: Session, case: Case, *triggers: str) -> AuditEvent | None:
    return session.exec(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, col(AuditEvent.trigger).in_(triggers))
        .order_by(desc(col(AuditEvent.version)))
    ).first()


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
