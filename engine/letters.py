"""The letters a workflow sends: one template each, the same words everywhere.

A workflow's message rule names its letter (`MessageRule.letter`); the words are a Jinja2
template in the workflow package's letter folder (`WorkflowPackage.letters`, a LetterKit),
which also says what each letter may say (its context). One render of it is what staff
preview, what the e-mail says (its text and HTML), and what the PDF attached to it (or
posted) shows. A letter stored with its event (as previewed) is sent as stored; every other
letter is rebuilt from its event's audit row when it is sent, with the same function a
preview uses, so the words cannot drift apart.

Every letter carries its date, the sender's address and phone (the locality's point of
contact, from the area file), the reference, the named contact and how to reach them, the
way to the status page (reference and code). A message that is no letter is posted laid out
as one (engine/templates/letters/_message.html, which a package's folder may replace).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import ChoiceLoader, Environment, FunctionLoader, StrictUndefined
from sqlalchemy import bindparam, desc, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine import machine, registry
from engine.access import Actor
from engine.clock import Clock, london_date
from engine.definitions import LetterKit
from engine.errors import NotAllowed, NotFound
from engine.models import AuditEvent, Case, Deadline, Document, Party, RoleGrant, User
from engine.pdf import Pdf, blocks_text, html_blocks

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
STATUS_PATH = "/status"
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


@dataclass(frozen=True)
class Letter:
    """One letter as sent: the HTML page, its plain text, and the PDF."""

    name: str
    title: str
    reference: str
    page: str  # a whole HTML page holding the letter's <article>
    pdf: bytes

    @property
    def text(self) -> str:
        return letter_text(self.page)

    @property
    def fragment(self) -> str:
        """The letter's <article>, without the page around it (for an e-mail's HTML)."""
        found = re.search(r"<body>\s*(.*?)</body>", self.page, re.DOTALL)
        return found.group(1) if found else self.page

    @property
    def filename(self) -> str:
        return f"{self.reference}-{self.name.replace('_', '-')}.pdf"


def letter_text(html: str) -> str:
    """A letter's words as plain text, paragraph by paragraph (the e-mail's text part)."""
    return blocks_text(html_blocks(html))


def long_date(value: date | str) -> str:
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def kit(workflow_name: str) -> LetterKit:
    """The workflow's letters: its template folder, titles and what a letter may say."""
    found = registry.package(workflow_name).letters
    if found is None:
        raise LookupError(f"workflow {workflow_name!r} sends no letters")
    return found


def _loader(folder: Any) -> FunctionLoader:
    def load(name: str) -> str | None:
        path = folder.joinpath(name)
        return path.read_text("utf-8") if path.is_file() else None

    return FunctionLoader(load)


@cache
def _env(workflow_name: str) -> Environment:
    folders = [
        kit(workflow_name).templates,
        resources.files("engine").joinpath("templates", "letters"),
    ]
    env = Environment(
        loader=ChoiceLoader([_loader(f) for f in folders]),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    env.filters["paragraphs"] = paragraphs
    return env


def letter_names(workflow_name: str) -> list[str]:
    """The workflow's letters (its templates whose names do not start with `_`)."""
    names = (p.name for p in kit(workflow_name).templates.iterdir())
    return sorted(n.removesuffix(".html") for n in names if n.endswith(".html") and n[0] != "_")


def render(workflow_name: str, name: str, context: Mapping[str, Any], *, top: int = 1) -> str:
    """The letter as an HTML fragment (an <article>) whose own heading is level `top`."""
    return str(_env(workflow_name).get_template(f"{name}.html").render(**context, top=top))


def page(title: str, reference: str, fragment: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_escape(title)} ({_escape(reference)})</title></head><body>\n"
        f"{fragment}</body></html>\n"
    )


def build(workflow_name: str, name: str, context: Mapping[str, Any]) -> Letter:
    """The letter rendered once, as a page and as a tagged PDF laid out from that same HTML."""
    fragment = render(workflow_name, name, context)
    ref = context["reference"]
    title = f"{kit(workflow_name).titles.get(name, 'Letter')}, {long_date(context['issued_on'])}"
    pdf = Pdf(ref, title)
    blocks = html_blocks(fragment)
    if context.get("sender") and blocks:
        # The letterhead: sender top right, the applicant's address in the envelope window.
        pdf.letterhead(blocks[0][1], tuple(context.get("recipient_lines") or ()))
        blocks = blocks[1:]
    pdf.blocks(blocks)
    return Letter(name, title, ref, page(title, ref, fragment), pdf.finish())


def letter_context(
    session: Session,
    case: Case,
    *,
    letter: str,
    trigger: str,
    data: Mapping[str, Any],
    issued_on: date,
    signed_by: str | None,
) -> dict[str, Any]:
    """Everything a letter may say, as the case's workflow package builds it."""
    return kit(case.workflow_name).context(
        session,
        case,
        letter=letter,
        trigger=trigger,
        data=data,
        issued_on=issued_on,
        signed_by=signed_by,
    )


def sender(area: registry.AreaConfig, locality_id: str) -> dict[str, Any] | None:
    """The locality's point of contact as the area file gives it: who writes, and how to
    reach them by phone and post."""
    locality = area.localities.get(locality_id)
    poc = locality.point_of_contact if locality else {}
    if not poc:
        return None
    address = [line.strip() for line in poc.get("address", "").split(",") if line.strip()]
    return {
        "team": poc.get("team", "Community Safety Team"),
        "organisation": poc.get("organisation", ""),
        "phone": poc.get("phone", ""),
        "address_lines": address,
        "address": ", ".join([poc.get("team", ""), poc.get("organisation", ""), *address]),
    }


def status_route(area: registry.AreaConfig, case: Case) -> dict[str, str]:
    """Where the applicant follows their case without the private link: the status page,
    with their reference and code (which they can also read to their contact by phone)."""
    base = area.service_url.rstrip("/")
    return {"url": f"{base}{STATUS_PATH}", "code": case.status_code or ""}


def named_contact(session: Session, case: Case) -> dict[str, str] | None:
    """The case's named point of contact: the one a manager chose for it while they are
    still an active contact of its locality, else the locality's first appointed contact."""
    row = _named_contact_row(session, case)
    return {"name": row.name, "email": row.email} if row else None


def named_contact_id(session: Session, case: Case) -> int | None:
    """The user id of the case's named contact (see named_contact)."""
    row = _named_contact_row(session, case)
    return row.id if row else None


_USER, _GRANT = User.__table__, RoleGrant.__table__  # type: ignore[attr-defined]
# Built once (every case page and letter asks): the locality's active contacts, the one
# chosen for the case first, then by id.
_CONTACTS = (
    sa_select(_USER.c.id, _USER.c.name, _USER.c.email)
    .join(_GRANT, _GRANT.c.user_id == _USER.c.id)
    .where(
        _GRANT.c.role == "contact",
        _GRANT.c.area_id == bindparam("n_area"),
        _GRANT.c.locality_id == bindparam("n_locality"),
        _USER.c.active.is_(True),
    )
    .order_by((_USER.c.id == bindparam("n_chosen")).desc(), _USER.c.id)
    .limit(1)
)


def _named_contact_row(session: Session, case: Case) -> Any:
    chosen = getattr(case, "contact_user_id", None)
    params = {"n_area": case.area_id, "n_locality": case.locality_id, "n_chosen": chosen or 0}
    return session.connection().execute(_CONTACTS, params).first()


def address_lines(party: Party | None) -> tuple[str, ...]:
    """The applicant's name and postal address as lines, postcode last (for the envelope)."""
    if party is None or not party.address:
        return ()
    lines = [party.name, *re.split(r"\s*[\n,]\s*", party.address.strip())]
    if party.postcode and party.postcode.upper() not in party.address.upper():
        lines.append(party.postcode)
    return tuple(line for line in lines if line)


def _applicant(session: Session, case: Case) -> Party | None:
    return session.exec(
        select(Party).where(Party.case_id == case.id, Party.kind == "applicant")
    ).first()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------- a sent letter


def letter_for(workflow_name: str, message: str, trigger: str | None) -> str | None:
    """The letter a message carries, as its workflow's message rule names it (or None)."""
    wf = registry.workflow(workflow_name)
    found = (r.letter for r in wf.messages if r.message == message and r.trigger == trigger)
    return next((name for name in found if name), None)


def applicant_context(session: Session, case: Case, *, as_of: datetime) -> dict[str, Any]:
    """What every message to the applicant says besides its news: who their named contact
    is and how to reach them, how to follow the case, and the dates ahead as they stood
    when the message was queued (`as_of`), however late it is sent."""
    area = registry.area(case.area_id)
    applicant = _applicant(session, case)
    dates = session.exec(
        select(Deadline.name, Deadline.due_on)
        .where(
            Deadline.case_id == case.id,
            col(Deadline.subject).is_(None),
            col(Deadline.opened_at) <= as_of,
            or_(col(Deadline.closed_at).is_(None), col(Deadline.closed_at) >= as_of),
        )
        .order_by(col(Deadline.id))
    ).all()
    return {
        "contact": named_contact(session, case),
        "sender": sender(area, case.locality_id),
        "status": status_route(area, case),
        # Each clock running then, for "what happens next, and by when".
        "open_dates": {name: due.isoformat() for name, due in dates},
        "for_someone_else": bool(applicant and applicant.role not in (None, "victim")),
    }


def for_message(
    session: Session, case: Case, *, letter: str, trigger: str, version: int | None
) -> Letter:
    """The letter an outbox message carries: the one stored with its event (the response
    letter, as previewed and issued), else rebuilt from the event's audit row."""
    event = _event(session, case, trigger, version)
    stored = _stored(session, case, letter, event.version if event else version)
    if stored is not None:
        return stored
    if event is None:
        raise LookupError(f"case {case.reference} has no {trigger} event for its letter")
    context = letter_context(
        session,
        case,
        letter=letter,
        trigger=trigger,
        data=event.data or {},
        issued_on=london_date(event.occurred_at),
        signed_by=event.actor_label,
    )
    return build(case.workflow_name, letter, context)


def posted_message(
    session: Session, case: Case, *, subject: str, body: str, issued_on: date
) -> Letter:
    """A message that is no decision letter, laid out as a letter to post: the same words,
    with the sender's address, the date, the reference and the envelope's address."""
    area = registry.area(case.area_id)
    locality = area.localities.get(case.locality_id)
    applicant = _applicant(session, case)
    context = {
        "reference": case.reference,
        "issued_on": issued_on,
        "applicant_name": applicant.name if applicant else "Sir or Madam",
        "recipient_lines": address_lines(applicant),
        "locality_name": locality.name if locality else case.locality_id,
        "sender": sender(area, case.locality_id),
        "subject": subject,
        "body": body,
    }
    return build(case.workflow_name, "_message", context)


def _event(session: Session, case: Case, trigger: str, version: int | None) -> AuditEvent | None:
    query = select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.trigger == trigger)
    if version is not None:
        query = query.where(AuditEvent.version == version)
    return session.exec(query.order_by(desc(col(AuditEvent.version)))).first()


def _stored(session: Session, case: Case, kind: str, version: int | None) -> Letter | None:
    if version is None:
        return None
    rows = session.exec(
        select(Document).where(
            Document.case_id == case.id, Document.kind == kind, Document.event_version == version
        )
    ).all()
    html = next((d for d in rows if d.media_type == HTML), None)
    pdf = next((d for d in rows if d.media_type == PDF), None)
    if html is None or pdf is None:
        return None
    return Letter(kind, html.title, case.reference, html.content.decode("utf-8"), pdf.content)


# ---------------------------------------------------------------- the preview


def preview(
    session: Session,
    *,
    reference: str,
    event: str,
    data: Mapping[str, Any],
    actor: Actor,
    clock: Clock,
) -> str:
    """The letter `event` would send now with `data`, checked as recording it would be.

    Refused unless the actor may record the event on this case now; bad data raises
    InvalidInput naming the field, exactly as recording would. Nothing is stored. The
    context is built as the letter is when sent, from the same event data (as stored in
    the audit row) and today's date, so the preview and the letter cannot differ.
    """
    case = machine.load_case(session, reference)
    options = machine.event_options(session, case=case, actor=actor, today=clock.today())
    tdef = registry.workflow(case.workflow_name).transition(event, case.state)
    if tdef is None or not any(o.trigger == event and o.ok for o in options):
        raise NotAllowed(f"You may not record {event.replace('_', ' ')} on case {reference} now.")
    name = letter_for_event(case.workflow_name, event)
    if name is None:
        raise NotFound(f"The event {event!r} sends no letter.")
    parsed = machine.parse_event_data(tdef, dict(data))
    context = letter_context(
        session,
        case,
        letter=name,
        trigger=event,
        data=parsed.model_dump(mode="json") if parsed is not None else {},
        issued_on=clock.today(),
        signed_by=actor.label,
    )
    # Shown inside a page with its own h1, so the letter's headings start one level down.
    return render(case.workflow_name, name, context, top=2)


def letter_for_event(workflow_name: str, event: str) -> str | None:
    """The letter an event sends the applicant, if any."""
    wf = registry.workflow(workflow_name)
    return next((r.letter for r in wf.messages if r.trigger == event and r.letter), None)


def fields_read_by_applicant(workflow_name: str, event: str) -> tuple[str, ...]:
    """The event's fields the applicant reads (a staff form marks them)."""
    wf = registry.workflow(workflow_name)
    return tuple(f for r in wf.messages if r.trigger == event for f in r.shows)
