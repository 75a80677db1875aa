"""Turns an outbox row into an Outgoing message: channel, address and words."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from engine import case_detail, letters, registry
from engine.clock import london_date
from engine.messages import applicant_contact
from engine.models import Case, Deadline, OutboxMessage, Party
from notifications.channels import Attachment, Outgoing, PermanentFailure, Rendered
from notifications.render import render

STAFF_CASE_PATH = "/staff/cases/{reference}"
# The one text message the applicant gets, whatever happened: it says nothing about the
# case itself (someone else may read their phone); the details are behind the status page.
TEXT_MESSAGE = "text_message"


def outgoing_for(
    session: Session, row: OutboxMessage, *, in_doubt: bool, base_url: str
) -> Outgoing:
    """The message as it goes out now: an applicant is reached the way they asked to be."""
    case = case_detail.load_by_id(session, row.case_id) if row.case_id is not None else None
    kind, to, lines = row.channel, row.recipient, ()
    context: dict[str, Any] = dict(row.context)
    if case is not None and row.recipient_role == "applicant":
        party = _applicant(session, case)
        to, kind = _reach(party, case) or (to, kind)
        lines = _address_lines(party) if kind == "letter" else ()
        context["promised"] = _promised(session, case, context.get("trigger"))
        context.update(letters.applicant_context(session, case, as_of=row.created_at))
        context["status_link"] = _status_link(case, context.pop("status_token", None))
        context["status_root"] = base_url.rstrip("/")  # where their private status link leads
        rendered = _applicant_message(session, case, row, context, kind)
    else:
        if case is not None:
            context["case_url"] = base_url.rstrip("/") + STAFF_CASE_PATH.format(
                reference=case.reference
            )
        context["earlier_notices"] = _earlier_notices(session, row)
        rendered = render(row.message, context)
    return Outgoing(
        kind=kind,
        to=to,
        rendered=rendered,
        reference=provider_reference(row.idempotency_key),
        area_id=case.area_id if case is not None else "",
        message=row.message,
        address_lines=lines,
        in_doubt=in_doubt,
    )


def _reach(party: Party | None, case: Case) -> tuple[str, str] | None:
    """Where to send: as the applicant asked, except that a text goes only to someone who
    said texts are safe; anyone else who asked for a phone call is written to instead."""
    found = applicant_contact(party, case.contact_preference)
    if found is None or found[1] != "sms" or case.texts_safe:
        return found
    assert party is not None  # applicant_contact found a phone number on it
    for address, kind in ((party.email, "email"), (party.address, "letter")):
        if address:
            return address, kind
    raise PermanentFailure(
        "The applicant asked not to get texts and gave no e-mail or postal address: "
        "their named contact should phone them."
    )


def _applicant_message(
    session: Session, case: Case, row: OutboxMessage, context: dict[str, Any], kind: str
) -> Rendered:
    """The message's words; a decision letter's message is the letter, with its PDF."""
    if kind == "sms":
        return render(TEXT_MESSAGE, context)
    name = letters.letter_for(case.workflow_name, row.message, context.get("trigger"))
    if name is None:
        rendered = render(row.message, context)
        if kind != "letter":
            return rendered
        # By post: the message's words as a letter (date, sender, reference), its PDF.
        posted = letters.posted_message(
            session,
            case,
            subject=rendered.subject,
            body=rendered.text,
            issued_on=london_date(row.created_at),
        )
        pdf = Attachment(
            f"{case.reference}-{row.message.replace('_', '-')}.pdf", letters.PDF, posted.pdf
        )
        return Rendered(rendered.subject, rendered.text, rendered.html, (pdf,))
    letter = letters.for_message(
        session, case, letter=name, trigger=context["trigger"], version=context.get("version")
    )
    context.update(letter_text=letter.text, letter_html=letter.fragment)
    rendered = render(row.message, context)
    pdf = Attachment(letter.filename, letters.PDF, letter.pdf)
    # The text part is the letter's own text, to the character (the template only frames it).
    return Rendered(rendered.subject, letter.text, rendered.html, (pdf,))


def _earlier_notices(session: Session, row: OutboxMessage) -> int:
    """How many overdue notices about this deadline went (or are going) before this one, so a
    notice says "second" only when a first really went (a skipped step is not a notice)."""
    if row.deadline_id is None or not (row.step or "").startswith("overdue_"):
        return 0
    t = OutboxMessage.__table__  # type: ignore[attr-defined]
    found = session.connection().execute(
        select(func.count())
        .select_from(t)
        .where(
            t.c.deadline_id == row.deadline_id,
            t.c.step.like("overdue_%"),
            t.c.id < row.id,
            t.c.status.in_(("pending", "sent")),
        )
    )
    return int(found.scalar_one())


def _status_link(case: Case, token: Any) -> str:
    """The private link, known only to the receipt (the token is kept hashed on the case)."""
    if not token:
        return ""
    base = registry.area(case.area_id).service_url.rstrip("/")
    return f"{base}{letters.STATUS_PATH}/{token}"


def provider_reference(key: str) -> str:
    """The outbox key in a form every provider accepts: letters, digits and . _ -"""
    return re.sub(r"[^A-Za-z0-9._-]", "-", key)


def _applicant(session: Session, case: Case) -> Party | None:
    return session.exec(
        select(Party).where(Party.case_id == case.id, Party.kind == "applicant")
    ).first()


def _address_lines(party: Party | None) -> tuple[str, ...]:
    return letters.address_lines(party)


def _promised(session: Session, case: Case, trigger: Any) -> dict[str, str]:
    """The dates promised by the event this message reports: the deadlines it opened."""
    if not trigger:
        return {}
    rows = session.exec(
        select(Deadline)
        .where(Deadline.case_id == case.id, Deadline.opened_by == trigger)
        .order_by(col(Deadline.id))
    ).all()
    return {d.name: d.due_on.isoformat() for d in rows}
