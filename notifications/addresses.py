"""Turns an outbox row into an Outgoing message: channel, address and words."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from engine.messages import applicant_contact
from engine.models import Case, Deadline, OutboxMessage, Party
from notifications.channels import Outgoing
from notifications.render import render

STAFF_CASE_PATH = "/staff/cases/{reference}"


def outgoing_for(
    session: Session, row: OutboxMessage, *, in_doubt: bool, base_url: str
) -> Outgoing:
    """The message as it goes out now: an applicant is reached the way they asked to be."""
    case = session.get(Case, row.case_id) if row.case_id is not None else None
    kind, to, lines = row.channel, row.recipient, ()
    context: dict[str, Any] = dict(row.context)
    if case is not None and row.recipient_role == "applicant":
        party = _applicant(session, case)
        to, kind = applicant_contact(party, case.contact_preference) or (to, kind)
        lines = _address_lines(party) if kind == "letter" else ()
        context["promised"] = _promised(session, case, context.get("trigger"))
        context["status_root"] = base_url.rstrip("/")  # where their private status link leads
    elif case is not None:
        context["case_url"] = base_url.rstrip("/") + STAFF_CASE_PATH.format(
            reference=case.reference
        )
    return Outgoing(
        kind=kind,
        to=to,
        rendered=render(row.message, context),
        reference=provider_reference(row.idempotency_key),
        area_id=case.area_id if case is not None else "",
        message=row.message,
        address_lines=lines,
        in_doubt=in_doubt,
    )


def provider_reference(key: str) -> str:
    """The outbox key in a form every provider accepts: letters, digits and . _ -"""
    return re.sub(r"[^A-Za-z0-9._-]", "-", key)


def _applicant(session: Session, case: Case) -> Party | None:
    return session.exec(
        select(Party).where(Party.case_id == case.id, Party.kind == "applicant")
    ).first()


def _address_lines(party: Party | None) -> tuple[str, ...]:
    if party is None or not party.address:
        return ()
    lines = [party.name, *re.split(r"\s*[\n,]\s*", party.address.strip())]
    if party.postcode and party.postcode.upper() not in party.address.upper():
        lines.append(party.postcode)
    return tuple(line for line in lines if line)


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
