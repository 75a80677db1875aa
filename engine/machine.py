"""Applies a workflow's triggers to persisted cases: one trigger, one transaction."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam
from sqlalchemy import case as case_
from sqlmodel import Session, SQLModel, select
from transitions import Machine, MachineError

from engine import bulk, deadlines, messages, registry
from engine.access import Actor, case_roles, require_case_access
from engine.clock import Clock, london_date
from engine.definitions import TransitionDef, WorkflowDef
from engine.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound, StaleVersion
from engine.models import AuditEvent, Case, Deadline, Party, User
from engine.rules import EffectContext, GuardContext, Verdict
from engine.sweeps import holders


class CaseFlow:
    """The only object the transitions Machine touches: a state, never the database row."""

    def __init__(self, state: str) -> None:
        self.state = state


class WorkflowMachine:
    """One transitions Machine per workflow, built once and shared by every case.

    The machine drives a single CaseFlow: each call puts the case's state into it, fires
    the trigger and reads the new state out, so no per-case model is ever added.
    """

    def __init__(self, wf: WorkflowDef) -> None:
        self.wf = wf
        self._flow = CaseFlow(wf.initial)
        self._machine = Machine(
            model=self._flow,
            states=[s.value for s in wf.states],
            transitions=[
                {
                    "trigger": t.trigger,
                    "source": list(t.source),
                    "dest": t.dest,
                    # Alternatives of one trigger are told apart by the route the engine chose.
                    "conditions": [_route_is(i)],
                }
                for i, t in enumerate(wf.transitions)
            ],
            initial=wf.initial,
            auto_transitions=False,
        )
        # The one CaseFlow is shared; requests run on many threads.
        self._lock = threading.Lock()

    def next_state(self, state: str, trigger: str, chosen: TransitionDef | None = None) -> str:
        """The state after `trigger`; `chosen` is the alternative the engine's routes picked
        (by default the first one for this trigger and state)."""
        chosen = chosen or self.wf.transition(trigger, state)
        route = next((i for i, t in enumerate(self.wf.transitions) if t is chosen), -1)
        with self._lock:
            self._machine.set_state(state, model=self._flow)
            try:
                self._flow.trigger(trigger, route=route)  # type: ignore[attr-defined]
            except (MachineError, AttributeError) as exc:
                raise InvalidTransition(f"{trigger} is not possible from {state}.") from exc
            return self._flow.state


def _route_is(index: int) -> Any:
    def condition(route: int = -1, **_: Any) -> bool:
        return route == index

    return condition


@cache
def machine_for(workflow_name: str) -> WorkflowMachine:
    return WorkflowMachine(registry.workflow(workflow_name))


@dataclass(frozen=True)
class EventOption:
    trigger: str
    label: str
    ok: bool
    reason: str = ""


REFERENCE = re.compile(r"[A-Z]{1,5}-\d{4}-\d{6}")


_CASES = Case.__table__  # type: ignore[attr-defined]
_CASE_BY_REF = select(_CASES).where(_CASES.c.reference == bindparam("ref"))


def load_case(session: Session, reference: str) -> Case:
    return _load(session, _CASE_BY_REF, reference)[0]


def _load(session: Session, statement: Any, reference: str) -> tuple[Case, Any]:
    if not REFERENCE.fullmatch(reference):
        raise NotFound(f"There is no case {reference!r}.")
    row = session.connection().execute(statement, {"ref": reference}).mappings().first()
    if row is None:
        raise NotFound(f"There is no case {reference}.")
    # A plain snapshot, not a session-tracked row: the machine writes it back itself.
    return Case(**{key: row[key] for key in _CASES.c.keys()}), row


def fire_trigger(
    session: Session,
    *,
    clock: Clock,
    case_ref: str,
    trigger: str,
    data: dict[str, Any] | None,
    actor: Actor,
    expected_version: int,
) -> Case:
    """Record one event on a case: check, move, audit, deadlines, outbox, commit."""
    try:
        case = _apply(session, clock, case_ref, trigger, data or {}, actor, expected_version)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return case


def fire_within(
    session: Session,
    *,
    clock: Clock,
    case_ref: str,
    trigger: str,
    data: dict[str, Any] | None,
    actor: Actor,
    expected_version: int,
) -> Case:
    """Record one event on a case inside the caller's transaction (the caller commits, or
    rolls back everything): an effect on one case recording what follows on another."""
    return _apply(session, clock, case_ref, trigger, data or {}, actor, expected_version)


def _apply(
    session: Session,
    clock: Clock,
    case_ref: str,
    trigger: str,
    data: dict[str, Any],
    actor: Actor,
    expected_version: int,
) -> Case:
    # One round trip fetches the case and where its applicant wants letters sent.
    case, row = _load(session, _CASE_AND_APPLICANT_BY_REF, case_ref)
    before = {key: getattr(case, key) for key in _CASES.c.keys()}
    wf, area = registry.workflow(case.workflow_name), registry.area(case.area_id)
    if case.workflow_version != wf.version:
        # A changed definition reaches open cases only through a data migration.
        raise InvalidTransition(
            f"Case {case_ref} runs on {wf.name} version {case.workflow_version}, but version "
            f"{wf.version} is loaded; it needs migrating before it can move on."
        )
    roles = case_roles(session, actor, case)
    require_case_access(actor, roles, case_ref, area_id=case.area_id)
    tdef = _transition(wf, case, trigger, expected_version)
    if not roles & set(tdef.roles):
        raise NotAllowed(
            f"Only {' or '.join(tdef.roles)} of this locality may {tdef.label.lower()}."
        )
    parsed = parse_event_data(tdef, data)
    ctx = GuardContext(
        session=session, case=case, area=area, trigger=trigger, today=clock.today(), data=parsed
    )
    tdef = _route(wf, case.state, tdef, ctx)
    _check_guards(tdef, ctx)
    from_state = case.state
    # No autoflush: the case row is written once, by the version-guarded UPDATE below.
    with session.no_autoflush:
        case.state = machine_for(wf.name).next_state(from_state, trigger, tdef)
        case.updated_at = clock.now()
        for name in tdef.effects:
            registry.package(wf.name).effects[name](
                EffectContext(
                    session, case, trigger, parsed, actor.user_id, clock.now(), ctx.resolved
                )
            )
        _write_case(session, case, before, expected_version)
    audit = _audit(case, actor, trigger, from_state, parsed, clock)
    _insert(session, audit)
    _move_deadlines(session, wf, area, case, trigger, clock, parsed)
    _queue_messages(
        session,
        wf,
        case,
        trigger,
        audit,
        clock,
        applicant=_Contact(row),
        extra=ctx.resolved.get("message_context"),
    )
    session.flush()
    return case


def _insert(session: Session, *rows: SQLModel) -> None:
    bulk.insert_models(session, *rows)


def _transition(wf: WorkflowDef, case: Case, trigger: str, expected_version: int) -> TransitionDef:
    if case.version != expected_version:
        raise StaleVersion(
            f"Case {case.reference} is at version {case.version}, not {expected_version}: "
            "someone else changed this case. Reload it and try again."
        )
    if trigger not in wf.triggers():
        raise InvalidInput(f"There is no event called {trigger!r}.", field="event")
    tdef = wf.transition(trigger, case.state)
    if tdef is None:
        raise InvalidTransition(f"{trigger} is not possible while the case is {case.state}.")
    return tdef


def parse_event_data(tdef: TransitionDef, data: dict[str, Any]) -> BaseModel | None:
    if tdef.data is None:
        if data:
            raise InvalidInput(f"{tdef.trigger} takes no data.", field="data")
        return None
    try:
        return tdef.data.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(["data", *(str(p) for p in e["loc"])]), "message": e["msg"]}
            for e in exc.errors()
        ]
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors) from None


def _route(wf: WorkflowDef, state: str, first: TransitionDef, ctx: GuardContext) -> TransitionDef:
    """The alternative whose routes hold (the first one when a trigger has only one)."""
    options = wf.alternatives(first.trigger, state)
    if len(options) == 1:
        return first
    refusal = None
    for option in options:
        verdict = _first_refusal(option.route, ctx)
        if verdict.ok:
            return option
        refusal = refusal or verdict
    raise InvalidTransition(refusal.reason if refusal else f"{first.trigger} is not possible now.")


def _guard(ctx: GuardContext, name: str) -> Any:
    return registry.package(ctx.case.workflow_name).guards[name]


def _first_refusal(names: tuple[str, ...], ctx: GuardContext) -> Verdict:
    for name in names:
        verdict = _guard(ctx, name).check(ctx)
        if not verdict.ok:
            return verdict
    return Verdict(True)


def _check_guards(tdef: TransitionDef, ctx: GuardContext) -> None:
    for name in tdef.guards:
        verdict = _guard(ctx, name).check(ctx)
        if not verdict.ok:
            if verdict.field:
                raise InvalidInput(verdict.reason, field=verdict.field)
            raise InvalidTransition(verdict.reason)


# Built once: the SET list follows the parameters given, so one statement serves every event.
_GUARDED_CASE_UPDATE = _CASES.update().where(
    _CASES.c.id == bindparam("w_id"), _CASES.c.version == bindparam("w_version")
)
_DEADLINES = Deadline.__table__  # type: ignore[attr-defined]
_LATE = _DEADLINES.c.due_on < bindparam("today")
_CLOSE_DEADLINES = (
    _DEADLINES.update()
    .where(
        _DEADLINES.c.case_id == bindparam("d_case"),
        _DEADLINES.c.status == "open",
        _DEADLINES.c.name.in_(bindparam("closing", expanding=True)),
    )
    .values(
        status=case_(
            (
                _DEADLINES.c.name.in_(bindparam("met", expanding=True)),
                case_((_LATE, "late"), else_="met"),
            ),
            ((_DEADLINES.c.kind == "window") & _LATE, "lapsed"),
            else_="cancelled",
        ),
        closed_at=bindparam("closed_at"),
        closed_by=bindparam("closed_by"),
    )
    .returning(_DEADLINES.c.id)
)


def _write_case(
    session: Session, case: Case, before: dict[str, Any], expected_version: int
) -> None:
    """Write the case's changes only if nobody else has moved it: one guarded UPDATE.

    On PostgreSQL a rival transaction blocks on the row lock, then finds the version moved
    and updates nothing; on SQLite BEGIN IMMEDIATE already serialises writers.
    """
    changes = {k: getattr(case, k) for k, v in before.items() if getattr(case, k) != v}
    changes["version"] = expected_version + 1
    result = session.connection().execute(
        _GUARDED_CASE_UPDATE, {"w_id": case.id, "w_version": expected_version, **changes}
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleVersion(
            f"Case {case.reference} was changed by someone else just now. Reload it and try again."
        )
    case.version = expected_version + 1


def _audit(
    case: Case,
    actor: Actor,
    trigger: str,
    from_state: str | None,
    parsed: BaseModel | None,
    clock: Clock,
) -> AuditEvent:
    payload = parsed.model_dump(mode="json") if parsed is not None else {}
    reason = next(
        (
            payload[k]
            for k in ("override_reason", "late_reason", "reasons", "reason", "explanation")
            if payload.get(k)
        ),
        None,
    )
    return AuditEvent(
        case_id=case.id,
        version=case.version,
        occurred_at=clock.now(),
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        trigger=trigger,
        from_state=from_state,
        to_state=case.state,
        reason=reason,
        data=payload,
    )


def _move_deadlines(
    session: Session,
    wf: WorkflowDef,
    area: registry.AreaConfig,
    case: Case,
    trigger: str,
    clock: Clock,
    data: BaseModel | None = None,
) -> None:
    today, now = clock.today(), clock.now()
    _settle_on_held_day(session, wf, case, trigger, data, now)
    met, ended = deadlines.closing_plan(wf, trigger=trigger, new_state=case.state)
    if met or ended:
        # One UPDATE closes them all; the status depends on the due date, so SQL decides it.
        params = {
            "d_case": case.id,
            "closing": met + ended,
            "met": met or [""],
            "today": today,
            "closed_at": now,
            "closed_by": trigger,
        }
        closed = session.connection().execute(_CLOSE_DEADLINES, params).scalars().all()
        bulk.end_schedules(session, list(closed))
    opened = deadlines.opened_by(
        wf,
        area,
        locality_id=case.locality_id,
        trigger=trigger,
        today=today,
        data=data,
        new_state=case.state,
    )
    bulk.insert_deadlines(
        session,
        [Deadline(case_id=case.id, opened_at=now, opened_by=trigger, **n.__dict__) for n in opened],
    )
    _hand_over(session, wf, case)


def _settle_on_held_day(
    session: Session,
    wf: WorkflowDef,
    case: Case,
    trigger: str,
    data: BaseModel | None,
    now: datetime,
) -> None:
    """A meeting held on another day than arranged settles the clocks counted back from it
    against the day it was held, before the plain close below would cancel them against
    the date arranged."""
    held = getattr(data, "held_on", None)
    if held is None:
        return
    counted_back = {r.name: r for r in wf.deadlines if r.anchor and r.direction < 0}
    rows = session.exec(
        select(Deadline).where(
            Deadline.case_id == case.id,
            Deadline.status == "open",
            Deadline.name.in_(list(counted_back)),  # type: ignore[attr-defined]
        )
    ).all()
    closed = []
    for d in rows:
        if d.start_on == held:
            continue  # held on the day arranged: the plain close applies
        settled = deadlines.settled_on_held_day(
            label=d.label or counted_back[d.name].label,
            arranged=d.start_on,
            held=held,
            amount=d.amount,
            unit=d.unit,
            opened_on=london_date(d.opened_at),
        )
        d.status, d.label = settled.status, settled.label
        d.closed_at, d.closed_by = now, trigger
        session.add(d)
        closed.append(d)
    if closed:
        session.flush()
        bulk.end_schedules(session, [d.id for d in closed])


def _hand_over(session: Session, wf: WorkflowDef, case: Case) -> None:
    """Give each open clock to the role that can act on it in the case's new state."""
    for rule in wf.deadlines:
        if not rule.owner_in:
            continue
        session.connection().execute(
            _DEADLINES.update()
            .where(
                _DEADLINES.c.case_id == case.id,
                _DEADLINES.c.name == rule.name,
                _DEADLINES.c.status == "open",
                _DEADLINES.c.owner_role != rule.owner_for(case.state),
            )
            .values(owner_role=rule.owner_for(case.state))
        )


def _queue_messages(
    session: Session,
    wf: WorkflowDef,
    case: Case,
    trigger: str,
    audit: AuditEvent,
    clock: Clock,
    applicant: _Contact | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    context = {
        **(extra or {}),
        "reference": case.reference,
        "locality": case.locality_id,
        "state": case.state,
        "trigger": trigger,
        "data": audit.data,
    }
    for rule in wf.messages_for(trigger, audit.data):
        if rule.to in STAFF_RECIPIENTS:
            queue_staff_messages(session, case, rule.message, rule.to, context, clock.now())
            continue
        recipient, channel = _recipient(session, case, rule.to, applicant)
        if recipient is None:
            continue
        messages.queue_message(
            session,
            case_id=case.id,
            message=rule.message,
            recipient=recipient,
            recipient_role=rule.to,
            channel=channel,
            context={**context, "version": case.version},
            idempotency_key=f"{case.id}:{case.version}:{rule.message}:{rule.to}",
            now=clock.now(),
        )


# Staff alerts fall due just after the applicant's message of the same event, so the
# dispatcher (oldest due first) sends the applicant's first; and just before anything a
# later sweep queues, so a new case's alert is the first word staff get, before any
# reminder of its first deadline.
STAFF_ALERT_DELAY = timedelta(milliseconds=1)
# Staff roles a message may go to: every active holder of the role for the case's locality.
STAFF_RECIPIENTS = ("contact", "csp_chair", "jag_chair")


def queue_staff_messages(
    session: Session, case: Case, message: str, role: str, context: dict[str, Any], now: datetime
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


_PARTIES = Party.__table__  # type: ignore[attr-defined]
_APPLICANT_CONTACT = select(_PARTIES.c.email, _PARTIES.c.address, _PARTIES.c.phone).where(
    _PARTIES.c.case_id == bindparam("p_case"), _PARTIES.c.kind == "applicant"
)


_CASE_AND_APPLICANT_BY_REF = (
    select(
        _CASES,
        _PARTIES.c.email.label("applicant_email"),
        _PARTIES.c.address.label("applicant_address"),
        _PARTIES.c.phone.label("applicant_phone"),
    )
    .select_from(
        _CASES.outerjoin(
            _PARTIES, (_PARTIES.c.case_id == _CASES.c.id) & (_PARTIES.c.kind == "applicant")
        )
    )
    .where(_CASES.c.reference == bindparam("ref"))
)


class _Contact:
    """The applicant's addresses as fetched with the case (None when there is no applicant)."""

    def __init__(self, row: Any) -> None:
        self.email = row["applicant_email"]
        self.address = row["applicant_address"]
        self.phone = row["applicant_phone"]


def _recipient(
    session: Session, case: Case, to: str, applicant: _Contact | None = None
) -> tuple[str | None, str]:
    if to == "appeal_chair":
        user = session.get(User, case.appeal_chair_id) if case.appeal_chair_id else None
        return (user.email if user else None), "email"
    party = (
        applicant or session.connection().execute(_APPLICANT_CONTACT, {"p_case": case.id}).first()
    )
    found = messages.applicant_contact(party, case.contact_preference)  # type: ignore[arg-type]
    return found if found else (None, "email")


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
        found = session.connection().execute(_APPLICANT_CONTACT, {"p_case": case.id}).first()
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
    audit = _audit(case, actor, trigger, None, None, clock)
    opened = deadlines.opened_by(
        wf,
        area,
        locality_id=case.locality_id,
        trigger=trigger,
        today=clock.today(),
        new_state=case.state or wf.initial,
    )
    rows = [Deadline(case_id=0, opened_at=now, opened_by=trigger, **n.__dict__) for n in opened]
    email, address, phone = applicant
    contact = _Contact(
        {"applicant_email": email, "applicant_address": address, "applicant_phone": phone}
    )
    sends, staff = [], []
    for rule in wf.messages_for(trigger, audit.data):
        if rule.to == "appeal_chair":
            continue  # a new case has no appeal chair
        if rule.to in STAFF_RECIPIENTS:
            # Staff are looked up when the case is written (write_start).
            staff.append((rule.message, rule.to))
            continue
        found = messages.applicant_contact(contact, case.contact_preference)  # type: ignore[arg-type]
        if found:
            sends.append((rule.message, found[0], rule.to, found[1]))
    return StartPlan(audit, rows, sends, trigger, now, tuple(staff), dict(private or {}))


def write_start(session: Session, *, case: Case, plan: StartPlan) -> None:
    """Write a planned start for a case whose row now exists (caller commits)."""
    plan.audit.case_id = case.id  # type: ignore[assignment]
    for row in plan.deadlines:
        row.case_id = case.id  # type: ignore[assignment]
    _insert(session, plan.audit)
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
            "channel": case.channel,
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


def event_options(session: Session, *, case: Case, actor: Actor, today: Any) -> list[EventOption]:
    """Every event the actor's roles allow in the current state, with why any is blocked."""
    wf, area = registry.workflow(case.workflow_name), registry.area(case.area_id)
    roles = case_roles(session, actor, case)
    ctx = GuardContext(session=session, case=case, area=area, trigger="", today=today)
    options = []
    for first in wf.events_from(case.state):
        if roles & set(first.roles):
            ctx.trigger = first.trigger
            try:
                t = _route(wf, case.state, first, ctx)
            except InvalidTransition as exc:
                options.append(EventOption(first.trigger, first.label, False, str(exc)))
                continue
            verdict = _data_free_verdict(t, ctx)
            options.append(EventOption(t.trigger, t.label, verdict.ok, verdict.reason))
    return options


def _data_free_verdict(t: TransitionDef, ctx: GuardContext) -> Verdict:
    for name in t.guards:
        guard = _guard(ctx, name)
        if not guard.needs_data:
            verdict = guard.check(ctx)
            if not verdict.ok:
                return verdict
    return Verdict(True)
