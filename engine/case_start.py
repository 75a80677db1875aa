"""Starting a case: its workflow's start trigger, planned from the case's values before
its write transaction (no database), then written once the case row exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from engine import bulk, case_messages, deadlines, messages, registry
from engine.access import Actor
from engine.case_messages import applicant_addresses, contact, queue_staff_messages
from engine.clock import Clock, london_date
from engine.machine import audit_row
from engine.models import AuditEvent, Case, Deadline
from engine.rows import built


def start_case(
    session: Session,
    *,
    case: Case,
    actor: Actor,
    clock: Clock,
    applicant: tuple[str | None, str | None, str | None] | None = None,
) -> None:
    """Record the workflow's start trigger on a new case (caller commits).

    `applicant` is (email, address, phone) when the caller has it to hand, saving a query.
    """
    if applicant is None:
        found = applicant_addresses(session, case.id)  # type: ignore[arg-type]
        applicant = (found[0], found[1], found[2]) if found else (None, None, None)
    write_start(
        session,
        case=case,
        plan=plan_start(case=case, actor=actor, clock=clock, applicant=applicant),
    )


@dataclass(frozen=True)
class StartPlan:
    """What starting a new case writes, worked out before its write transaction begins: the
    first audit row, the deadlines the start opens with their dates, and the messages with
    their recipients. `write_start` fills in the case's id and reference."""

    audit: AuditEvent
    deadlines: list[Deadline]
    messages: list[tuple[str, str, str, str]]  # (message, recipient, recipient role, channel)
    trigger: str
    now: datetime
    # (message, role): alerts to the locality's staff, addressed when the case is written.
    staff: tuple[tuple[str, str], ...] = ()
    # Added to the first message's context only: what the caller alone knows (the status link).
    private: dict[str, Any] = field(default_factory=dict)


def plan_start(
    *,
    case: Case,
    actor: Actor,
    clock: Clock,
    applicant: tuple[str | None, str | None, str | None],
    private: dict[str, Any] | None = None,
) -> StartPlan:
    """Plan a new case's start from its values alone (no database): `case` need not have
    its id or reference yet. A new case has no deadlines open, so none are closed."""
    wf, area = registry.workflow(case.workflow_name), registry.area(case.area_id)
    trigger, now = wf.start_trigger, clock.now()
    audit = audit_row(case, actor, trigger, None, None, clock)
    opened = deadlines.opened_by(
        wf,
        area,
        locality_id=case.locality_id,
        trigger=trigger,
        today=clock.today(),
        new_state=case.state or wf.initial,
    )
    made = {"case_id": 0, "opened_at": now, "opened_by": trigger}
    rows = [built(Deadline, {**made, **n.__dict__}) for n in opened]
    addresses = contact(*applicant)
    sends, staff = [], []
    for rule in wf.messages_for(trigger, audit.data):
        # No session: the package answers from the case's values (nobody is assigned yet).
        found = case_messages.recipient(None, case, rule.to, addresses)
        if found is None:
            # Staff are looked up when the case is written (write_start).
            staff.append((rule.message, rule.to))
            continue
        if found[0]:
            sends.append((rule.message, found[0], rule.to, found[1]))
    return StartPlan(audit, rows, sends, trigger, now, tuple(staff), dict(private or {}))


def write_start(session: Session, *, case: Case, plan: StartPlan) -> None:
    """Write a planned start for a case whose row now exists (caller commits)."""
    plan.audit.case_id = case.id  # type: ignore[assignment]
    for row in plan.deadlines:
        row.case_id = case.id  # type: ignore[assignment]
    bulk.insert_models(session, plan.audit)
    bulk.insert_deadlines(session, plan.deadlines)
    # Staff alerts first: the applicant's acknowledgement is the last word of the start.
    if plan.staff:
        context = {
            "reference": case.reference,
            "locality": case.locality_id,
            "state": case.state,
            "trigger": plan.trigger,
            "data": plan.audit.data,
            # What the new case asks of staff first, and by when.
            "due": {d.name: d.due_on.isoformat() for d in plan.deadlines},
            "received_on": london_date(plan.now).isoformat(),
            # How it came in, for a workflow whose cases record it (its detail row).
            "channel": getattr(case, "channel", None),
        }
        for message, role in plan.staff:
            queue_staff_messages(session, case, message, role, context, plan.now)
    for n, (message, recipient, role, channel) in enumerate(plan.messages):
        if not messages.receipt_allowed(session, recipient=recipient, now=plan.now):
            continue  # the case still opens; the address is not mailed again today
        messages.queue_message(
            session,
            case_id=case.id,
            message=message,
            recipient=recipient,
            recipient_role=role,
            channel=channel,
            context={
                "reference": case.reference,
                "locality": case.locality_id,
                "state": case.state,
                "trigger": plan.trigger,
                "data": plan.audit.data,
                **(plan.private if n == 0 else {}),
            },
            idempotency_key=f"{case.id}:{case.version}:{message}:{role}",
            now=plan.now,
        )
