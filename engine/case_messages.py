"""The outbox rows an event queues: who each of its workflow's messages goes to, and how.

A message to a locality staff role goes to every active holder of the role in the case's
locality, by e-mail. Any other recipient (the applicant, someone assigned to the case) is
the workflow package's to find (`WorkflowPackage.recipient`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from engine import messages, registry
from engine.clock import Clock
from engine.definitions import WorkflowDef
from engine.models import AuditEvent, Case, Party
from engine.role_holders import holders

# Staff alerts fall due just after the applicant's message of the same event, so the
# dispatcher (oldest due first) sends the applicant's first; and just before anything a
# later sweep queues, so a new case's alert is the first word staff get, before any
# reminder of its first deadline.
STAFF_ALERT_DELAY = timedelta(milliseconds=1)

_PARTIES = Party.__table__  # type: ignore[attr-defined]
APPLICANT_CONTACT = select(_PARTIES.c.email, _PARTIES.c.address, _PARTIES.c.phone).where(
    _PARTIES.c.case_id == bindparam("p_case"), _PARTIES.c.kind == "applicant"
)


class Contact:
    """The applicant's addresses as fetched with the case (None when there is no applicant)."""

    def __init__(self, row: Any) -> None:
        self.email = row["applicant_email"]
        self.address = row["applicant_address"]
        self.phone = row["applicant_phone"]


def contact(email: str | None, address: str | None, phone: str | None) -> Contact:
    return Contact(
        {"applicant_email": email, "applicant_address": address, "applicant_phone": phone}
    )


def applicant_addresses(session: Session, case_id: int) -> Any:
    """The applicant's (email, address, phone) row, or None."""
    return session.connection().execute(APPLICANT_CONTACT, {"p_case": case_id}).first()


def recipient(
    session: Session | None, case: Case, to: str, applicant: Contact | None = None
) -> tuple[str | None, str] | None:
    """Where a message to `to` goes on this case: (address or None, channel), or None when
    `to` is a locality staff role (see queue_staff_messages)."""
    hook = registry.package(case.workflow_name).recipient
    return hook(session, case, to, applicant) if hook is not None else None


def queue_event_messages(
    session: Session,
    wf: WorkflowDef,
    case: Case,
    trigger: str,
    audit: AuditEvent,
    clock: Clock,
    applicant: Contact | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Queue the messages an event sends, in the order its workflow lists them."""
    context = {
        **(extra or {}),
        "reference": case.reference,
        "locality": case.locality_id,
        "state": case.state,
        "trigger": trigger,
        "data": audit.data,
    }
    for rule in wf.messages_for(trigger, audit.data):
        found = recipient(session, case, rule.to, applicant)
        if found is None:
            queue_staff_messages(session, case, rule.message, rule.to, context, clock.now())
            continue
        address, channel = found
        if address is None:
            continue
        messages.queue_message(
            session,
            case_id=case.id,
            message=rule.message,
            recipient=address,
            recipient_role=rule.to,
            channel=channel,
            context={**context, "version": case.version},
            idempotency_key=f"{case.id}:{case.version}:{rule.message}:{rule.to}",
            now=clock.now(),
        )


def queue_staff_messages(
    session: Session, case: Case, message: str, role: str, context: dict[str, Any], now: Any
) -> None:
    """One message to each active holder of `role` in the case's locality, by e-mail."""

    for user_id, email in holders(session, case.area_id, case.locality_id, role):
        messages.queue_message(
            session,
            case_id=case.id,
            message=message,
            recipient=email,
            recipient_role=role,
            channel="email",
            context=context,
            idempotency_key=f"{case.id}:{case.version}:{message}:{role}:u{user_id}",
            now=now,
            send_after=STAFF_ALERT_DELAY,
        )
