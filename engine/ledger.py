"""The manager's view of messages: each case's reminder ledger, dead letters, and retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from engine import case_detail, registry, reminders
from engine.access import Actor, require_case_access, roles_for_case
from engine.clock import Clock
from engine.errors import InvalidTransition, NotAllowed, NotFound
from engine.machine import load_case
from engine.models import Case, Deadline, DeadlineSchedule, OutboxMessage

MANAGER_ROLES = {"manager", "admin"}
RETRYABLE = ("dead", "failed")


@dataclass(frozen=True)
class LedgerEntry:
    """One message, planned or real: `status` is scheduled, pending, sent, failed, dead,
    cancelled or skipped, and `why` says why in plain words when it did not go."""

    deadline: str | None
    step: str | None
    message: str
    recipient: str
    recipient_role: str
    channel: str
    status: str
    on: date | None
    sent_at: datetime | None
    why: str | None
    message_id: int | None = None
    case_reference: str | None = None
    attempts: int = 0
    created_at: datetime | None = None
    last_error: str | None = None
    deadline_id: int | None = None
    deadline_label: str | None = None  # which one, when a case holds several of a kind


def reminder_ledger(session: Session, *, case_ref: str, actor: Actor) -> list[LedgerEntry]:
    """Every message of a case (sent, failed, cancelled) and every reminder still to come."""
    case = load_case(session, case_ref)
    _require_manager(actor, case)
    rows = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.case_id == case.id)
        .order_by(col(OutboxMessage.id))
    ).all()
    found = session.exec(
        select(Deadline, DeadlineSchedule.reminder_step)
        .join(DeadlineSchedule, col(DeadlineSchedule.deadline_id) == Deadline.id, isouter=True)
        .where(Deadline.case_id == case.id)
        .order_by(col(Deadline.id))
    ).all()
    deadlines = [d for d, _ in found]
    last_steps = {d.id: step for d, step in found}
    names = {d.id: d.name for d in deadlines}
    labels = {d.id: _label(case, d) for d in deadlines}
    entries = [
        _entry(r, names.get(r.deadline_id), case.reference, labels.get(r.deadline_id)) for r in rows
    ]
    for d in deadlines:
        entries += _planned(case, d, last_steps[d.id], rows, labels[d.id])
    return entries


def _label(case: Case, d: Deadline) -> str:
    rule = next(
        (r for r in registry.workflow(case.workflow_name).deadlines if r.name == d.name), None
    )
    return d.label or (rule.label if rule else d.name.replace("_", " ").capitalize())


def _entry(
    row: OutboxMessage,
    deadline: str | None,
    reference: str | None = None,
    label: str | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        deadline_id=row.deadline_id,
        deadline_label=label,
        deadline=deadline,
        step=row.step,
        message=row.message,
        recipient=row.recipient,
        recipient_role=row.recipient_role,
        channel=row.channel,
        status=row.status,
        on=row.created_at.date(),
        sent_at=row.sent_at,
        why=row.reason or row.last_error,
        message_id=row.id,
        case_reference=reference,
        attempts=row.attempts,
        created_at=row.created_at,
        last_error=row.last_error,
    )


def _planned(
    case: Case, d: Deadline, last_step: str | None, rows: list[OutboxMessage], label: str
) -> list[LedgerEntry]:
    """Steps still to come, steps a closed deadline no longer needs, and steps done with
    nobody to tell (`last_step`: the last step the sweep did)."""
    policy = registry.area(case.area_id).reminders.policy(d.name)
    steps = reminders.plan(d.due_on, policy, d.owner_role)
    done = reminders.steps_done(steps, last_step)
    queued = {(r.deadline_id, r.step) for r in rows}
    entries = []
    for index, step in enumerate(steps):
        if index >= done and d.status == "open":
            entries += _lines(d, step, "scheduled", None, label)
        elif index >= done:
            entries += _lines(
                d, step, "cancelled", f"not needed: the deadline was {d.status}", label
            )
        elif (d.id, step.name) not in queued:
            entries += _lines(d, step, "skipped", "nobody held the role when it fell due", label)
    return entries


def _lines(
    d: Deadline, step: reminders.Step, status: str, why: str | None, label: str
) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            deadline_id=d.id,
            deadline_label=label,
            deadline=d.name,
            step=step.name,
            message=n.message,
            recipient="",
            recipient_role=d.owner_role if n.role == reminders.OWNER else n.role,
            channel="",
            status=status,
            on=step.on,
            sent_at=None,
            why=why,
        )
        for n in step.notices
    ]


def dead_letters(session: Session, *, actor: Actor) -> list[LedgerEntry]:
    """Messages that could not be delivered, in the localities the actor manages."""
    rows = session.exec(
        select(OutboxMessage, Case)
        .join(Case, col(Case.id) == OutboxMessage.case_id, isouter=True)
        .where(col(OutboxMessage.status).in_(RETRYABLE))
        .order_by(col(OutboxMessage.id))
    ).all()
    return [
        _entry(row, None, case.reference if case is not None else None)
        for row, case in rows
        if _manages(actor, case_detail.with_detail(session, case) if case is not None else None)
    ]


def dead_letters_page(session: Session, *, actor: Actor) -> list[LedgerEntry]:
    """The dead-letter list as a page asks for it: only managers may open it at all."""
    if not actor.roles & MANAGER_ROLES:
        raise NotAllowed("Only managers can see messages that could not be sent.")
    return dead_letters(session, actor=actor)


def retry_dead_letter(
    session: Session, *, message_id: int, actor: Actor, clock: Clock
) -> OutboxMessage:
    """Put a dead or failed message back in the queue, to go out on the next dispatch."""
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound(f"There is no message {message_id}.")
    case = case_detail.load_by_id(session, row.case_id) if row.case_id is not None else None
    if not _manages(actor, case):
        if actor.roles & MANAGER_ROLES:  # another area's or locality's: not theirs to know of
            raise NotFound(f"There is no message {message_id}.")
        raise NotAllowed("Only a manager for this area can retry its messages.")
    if row.status not in RETRYABLE:
        raise InvalidTransition(f"Message {message_id} is {row.status}, not a dead letter.")
    stamp = clock.now().isoformat(timespec="minutes")
    row.status, row.attempts, row.next_attempt_at = "pending", 0, clock.now()
    row.claimed_by = row.claimed_until = None
    row.reason = f"retried by {actor.label} at {stamp} after: {row.last_error or row.reason}"
    session.add(row)
    session.commit()
    return row


def _manages(actor: Actor, case: Case | None) -> bool:
    if case is None:  # a message with no case: area-wide managers and admins see it
        return any(g.role in MANAGER_ROLES and g.locality_id is None for g in actor.grants)
    roles = roles_for_case(None, actor, case)
    return bool(roles & MANAGER_ROLES)


def _require_manager(actor: Actor, case: Case) -> None:
    roles = roles_for_case(None, actor, case)
    # No role at all: refused exactly as the case page refuses (404 where 403 would leak).
    require_case_access(actor, roles, case.reference, area_id=case.area_id)
    if not roles & MANAGER_ROLES:
        raise NotAllowed(f"Only a manager for this area can see the messages of {case.reference}.")
