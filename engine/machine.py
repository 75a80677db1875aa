"""Applies a workflow's triggers to persisted cases: one trigger, one transaction."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam
from sqlalchemy import select as select_
from sqlmodel import Session, SQLModel, select
from transitions import Machine, MachineError

from engine import bulk, case_deadlines, registry
from engine.access import Actor, require_case_access, roles_for_case
from engine.case_detail import CaseWithDetail
from engine.case_messages import Contact, queue_event_messages
from engine.clock import Clock
from engine.definitions import TransitionDef, WorkflowDef
from engine.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound, StaleVersion
from engine.models import AuditEvent, Case, Party
from engine.rows import built, column_keys, values_of
from engine.rules import EffectContext, GuardContext, Verdict


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
_CASE_KEYS = tuple(_CASES.c.keys())
_CASE_BY_REF = select(_CASES).where(_CASES.c.reference == bindparam("ref"))
_PARTIES = Party.__table__  # type: ignore[attr-defined]
# The case with its applicant's addresses, in one round trip (the messages need them).
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


def load_case(session: Session, reference: str) -> CaseWithDetail:
    return _load(session, _CASE_BY_REF, reference)[0]


def _load(session: Session, statement: Any, reference: str) -> tuple[CaseWithDetail, Any]:
    if not REFERENCE.fullmatch(reference):
        raise NotFound(f"There is no case {reference!r}.")
    package = registry.package_for_reference(reference)
    model = package.detail_model if package is not None else None
    row = (
        session.connection()
        .execute(_with_detail(statement, model), {"ref": reference})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"There is no case {reference}.")
    # A plain snapshot, not a session-tracked row: the machine writes it back itself. The
    # values come typed from the database, so the rows are built without validating again.
    case = built(Case, {key: row[key] for key in _CASE_KEYS})
    if model is None:
        return CaseWithDetail(case), row
    detail = built(model, {key: row[f"d_{key}"] for key in column_keys(model.__table__)})
    return CaseWithDetail(case, detail), row


@cache
def _with_detail(statement: Any, model: Any) -> Any:
    """The statement with the workflow's detail row joined on (its columns prefixed d_)."""
    if model is None:
        return statement
    table = model.__table__
    return statement.add_columns(*(c.label(f"d_{c.key}") for c in table.c)).join_from(
        _CASES, table, table.c.case_id == _CASES.c.id
    )


def _snapshot(case: CaseWithDetail) -> dict[str, Any]:
    detail = case.detail
    held = case.case.__dict__
    values = {("case", key): held.get(key) for key in _CASE_KEYS}
    if detail is not None:
        keys = column_keys(type(detail).__table__)  # type: ignore[attr-defined]
        held = detail.__dict__
        values |= {("detail", key): held.get(key) for key in keys}
    return values


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
    before = _snapshot(case)
    wf, area = registry.workflow(case.workflow_name), registry.area(case.area_id)
    if case.workflow_version != wf.version:
        # A changed definition reaches open cases only through a data migration.
        raise InvalidTransition(
            f"Case {case_ref} runs on {wf.name} version {case.workflow_version}, but version "
            f"{wf.version} is loaded; it needs migrating before it can move on."
        )
    roles = roles_for_case(session, actor, case)
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
        audit = _write_case(session, case, before, expected_version, actor, trigger, parsed, clock)
    case_deadlines.move_deadlines(session, wf, area, case, trigger, clock, parsed, from_state)
    queue_event_messages(
        session,
        wf,
        case,
        trigger,
        audit,
        clock,
        applicant=Contact(row),
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


def _write_case(
    session: Session,
    case: CaseWithDetail,
    before: dict[tuple[str, str], Any],
    expected_version: int,
    actor: Actor,
    trigger: str,
    parsed: BaseModel | None,
    clock: Clock,
) -> AuditEvent:
    """Write the case's changes only if nobody else has moved it: one guarded UPDATE, and
    the event's audit row (returned). On PostgreSQL both go in one statement (the INSERT
    reads the UPDATE's row, so it inserts nothing when the version guard matched nothing).

    On PostgreSQL a rival transaction blocks on the row lock, then finds the version moved
    and updates nothing; on SQLite BEGIN IMMEDIATE already serialises writers.
    """
    from_state = before[("case", "state")]
    after = _snapshot(case)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    changes = {key: v for (part, key), v in changed.items() if part == "case"}
    changes["version"] = expected_version + 1
    case.version = expected_version + 1
    audit = audit_row(case, actor, trigger, from_state, parsed, clock)
    conn = session.connection()
    guard = {"w_id": case.id, "w_version": expected_version}
    on_postgres = conn.dialect.name == "postgresql"
    if on_postgres:
        statement = _update_with_audit(tuple(sorted(changes)))
        params = {**guard, **_prefixed(changes), **values_of(audit)}
        # The audit ids it returns: none when the guard matched no row (an INSERT's
        # rowcount is not reported).
        written = len(conn.execute(statement, params).all())
    else:
        written = conn.execute(_GUARDED_CASE_UPDATE, {**guard, **changes}).rowcount
    if written != 1:
        case.version = expected_version
        raise StaleVersion(
            f"Case {case.reference} was changed by someone else just now. Reload it and try again."
        )
    if not on_postgres:
        _insert(session, audit)
    detail = {key: v for (part, key), v in changed.items() if part == "detail"}
    if detail and case.detail is not None:
        table = type(case.detail).__table__  # type: ignore[attr-defined]
        session.connection().execute(_detail_update(table), {"w_case": case.id, **detail})
    return audit


_AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]


def _prefixed(changes: dict[str, Any]) -> dict[str, Any]:
    return {f"s_{key}": value for key, value in changes.items()}


@cache
def _update_with_audit(keys: tuple[str, ...]) -> Any:
    """PostgreSQL: the guarded case UPDATE (SET the columns `keys`, bound as s_<key>) as a
    CTE, and the audit row inserted from the row it returns: one round trip. Built once per
    set of changed columns."""
    moved = (
        _CASES.update()
        .where(_CASES.c.id == bindparam("w_id"), _CASES.c.version == bindparam("w_version"))
        .values({k: bindparam(f"s_{k}", type_=_CASES.c[k].type) for k in keys})
        .returning(_CASES.c.id)
        .cte("moved_case")
    )
    columns = [c for c in _AUDIT.c if c.key != "id"]
    row = [moved.c.id if c.key == "case_id" else bindparam(c.key, type_=c.type) for c in columns]
    return (
        _AUDIT.insert().from_select([c.key for c in columns], select_(*row)).returning(_AUDIT.c.id)
    )


@cache
def _detail_update(table: Any) -> Any:
    """A detail table's UPDATE for one case; the SET list follows the parameters given."""
    return table.update().where(table.c.case_id == bindparam("w_case"))


def audit_row(
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
    return built(
        AuditEvent,
        {
            "case_id": case.id,
            "version": case.version,
            "occurred_at": clock.now(),
            "actor_user_id": actor.user_id,
            "actor_label": actor.label,
            "trigger": trigger,
            "from_state": from_state,
            "to_state": case.state,
            "reason": reason,
            "data": payload,
        },
    )


def event_options(session: Session, *, case: Case, actor: Actor, today: Any) -> list[EventOption]:
    """Every event the actor's roles allow in the current state, with why any is blocked."""
    wf, area = registry.workflow(case.workflow_name), registry.area(case.area_id)
    roles = roles_for_case(session, actor, case)
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
