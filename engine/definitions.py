"""The vocabulary workflows are written in: states, transitions, deadlines and messages."""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from engine.inputs import NoNulModel

__all__ = [
    "DeadlineRule",
    "LetterKit",
    "MessageRule",
    "NoNulModel",
    "StatutoryFigureRules",
    "TransitionDef",
    "WorkflowDef",
    "WorkflowPackage",
    "validate",
]

DEADLINE_KINDS = ("duty", "window")
DIRECTIONS = (1, -1)


@dataclass(frozen=True)
class TransitionDef:
    """One event a person records: who may record it, from where, to where, with what data."""

    trigger: str
    source: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    label: str
    guards: tuple[str, ...] = ()
    data: type[BaseModel] | None = None
    effects: tuple[str, ...] = ()
    # Named guards that choose this transition among others with the same trigger and
    # source ("not upheld: to monitoring while recommendations are open, else closed"). A
    # route that does not hold is not an error: the next alternative is tried.
    route: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeadlineRule:
    """A clock: opened by some triggers, met by others, alive only in some states.

    A `duty` is something staff must do by the date; a `window` is time the applicant
    has (to appeal), which lapses rather than being missed.

    The clock counts the area's `timescale` from the day of the event that opens it, or,
    with an `anchor`, from the date in that field of the event's data; `direction` -1
    counts back from it ("papers to the panel 3 working days before the meeting date").
    A trigger that opens a clock already open restarts it: the old one is cancelled.

    With no `timescale` the clock is about one item and falls due on the item's own date
    (a recommendation's due date): an effect opens one per item and closes it when the
    item is resolved; `opened_by` and `met_by` are then empty.
    """

    name: str
    label: str
    timescale: str | None
    opened_by: tuple[str, ...]
    met_by: tuple[str, ...]
    while_in: tuple[str, ...]
    owner_role: str
    kind: str = "duty"
    anchor: str | None = None
    direction: int = 1
    # (state, role) pairs: while the case is in that state the clock is that role's work,
    # because only they can record what meets it (the CSP chair issues the response).
    owner_in: tuple[tuple[str, str], ...] = ()
    # For a clock counted back from its anchor: the field of an event's data that says the
    # day the anchor really happened ("held_on" of a meeting held on another day). The clock
    # is then settled against that day, before the plain close would cancel it.
    settled_by: str | None = None

    def owner_for(self, state: str) -> str:
        return dict(self.owner_in).get(state, self.owner_role)


@dataclass(frozen=True)
class MessageRule:
    """A message queued in the outbox when a trigger fires.

    `when` limits it to events whose data has one of the listed values in a field, e.g.
    (("victim_involvement", ("attend", "representative")),); every pair must match.

    `letter` names a decision letter (the package's letter templates, <letter>.html): the message
    then carries that letter, its words in the e-mail and its PDF attached or posted.
    `shows` lists the event's fields the applicant reads in it, which staff forms mark.
    """

    trigger: str
    message: str
    to: str
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Fields that must be given (not empty) / must be left empty for the message to go.
    if_given: tuple[str, ...] = ()
    unless_given: tuple[str, ...] = ()
    letter: str | None = None
    shows: tuple[str, ...] = ()

    def applies(self, data: Mapping[str, Any] | None) -> bool:
        data = data or {}
        return (
            all(data.get(key) in values for key, values in self.when)
            and all(data.get(key) for key in self.if_given)
            and not any(data.get(key) for key in self.unless_given)
        )


@dataclass(frozen=True)
class StatutoryFigureRules:
    """Which of a workflow's events count toward the four figures s.104 makes areas publish
    (engine/figures.py holds the counting rules; the workflow says which events are which)."""

    received: tuple[str, ...]
    threshold_met: tuple[str, ...]
    threshold_not_met: tuple[str, ...]
    # Of the "not met" decisions, those that refused the application on a stated ground.
    rejected: tuple[str, ...]
    review_completed: tuple[str, ...]
    recommendations_recorded: tuple[str, ...]
    withdrawn: tuple[str, ...]
    appeal_upheld: tuple[str, ...]
    # The threshold decision's field that is given only when the JAG departs from the
    # computed result: on a "met" decision, a review at the area's discretion.
    override_field: str = "override_reason"
    recommendations_field: str = "recommendations"


@dataclass(frozen=True)
class WorkflowDef:
    name: str
    version: int
    title: str
    states: type[StrEnum]
    initial: str
    start_trigger: str
    terminal: tuple[str, ...]
    state_labels: dict[str, str]
    transitions: tuple[TransitionDef, ...]
    deadlines: tuple[DeadlineRule, ...] = ()
    messages: tuple[MessageRule, ...] = ()
    recipients: tuple[str, ...] = ("applicant",)
    roles: tuple[str, ...] = field(default=())
    figures: StatutoryFigureRules | None = None
    # What staff messages call a case of this workflow ("JAG case JAG-2026-000045"); empty:
    # the messages' own words.
    case_kind: str = ""

    def transition(self, trigger: str, source: str) -> TransitionDef | None:
        """The first transition for a trigger from a state (its routed alternatives share
        the label, roles and data, so this one describes them all)."""
        found = self.alternatives(trigger, source)
        return found[0] if found else None

    def alternatives(self, trigger: str, source: str) -> list[TransitionDef]:
        """Every transition a trigger may take from a state, in the order they are tried."""
        return [t for t in self.transitions if t.trigger == trigger and source in t.source]

    def triggers(self) -> set[str]:
        return {t.trigger for t in self.transitions}

    def transitions_from(self, state: str) -> list[TransitionDef]:
        return [t for t in self.transitions if state in t.source]

    def events_from(self, state: str) -> list[TransitionDef]:
        """One transition per trigger possible from a state (the first of its alternatives)."""
        seen: dict[str, TransitionDef] = {}
        for t in self.transitions_from(state):
            seen.setdefault(t.trigger, t)
        return list(seen.values())

    def messages_for(
        self, trigger: str, data: Mapping[str, Any] | None = None
    ) -> list[MessageRule]:
        """The messages a trigger sends, given the event's data (as plain values)."""
        return [m for m in self.messages if m.trigger == trigger and m.applies(data)]


@dataclass(frozen=True)
class LetterKit:
    """A workflow's letters (engine/letters.py renders and sends them)."""

    # The folder of <letter>.html templates (an importlib.resources Traversable); names
    # starting with `_` are parts, not letters. engine/templates/letters/ fills in the rest.
    templates: Any
    # What a letter may say: (session, case, *, letter, trigger, data, issued_on,
    # signed_by) -> the template's context (it must hold `reference` and `issued_on`).
    context: Callable[..., dict[str, Any]]
    titles: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkflowPackage:
    """What a workflow package (workflows/<name>/) registers with the engine, as `PACKAGE`
    in its `__init__.py`: the definition and the code its definition names. The engine
    finds packages through the registry and names no process's states, events or fields.
    """

    definition: WorkflowDef
    # Its references: "CT" gives CT-2026-000123; each prefix has its own counter per year.
    reference_prefix: str
    # Named guards (engine.rules.Guard) and effects (callables taking an EffectContext).
    guards: Mapping[str, Any] = field(default_factory=dict)
    effects: Mapping[str, Any] = field(default_factory=dict)
    # Roles a person holds on one case beyond their grants (an appeal chair assigned to it,
    # a peer reviewer asked to review it): (session, case, user_id, *, now=True) -> set of
    # role names; with now=False, the roles they were ever given on it (so a page can tell
    # "not yours any more", 403, from "no such case", 404).
    case_roles: Any = None
    # Roles a grant gives only on the cases `case_roles` names (not on the whole locality),
    # and roles no grant gives that `case_roles` names on one case (a peer reviewer).
    case_held_roles: tuple[str, ...] = ()
    # Grant roles that give nothing on another workflow's cases: on this one's, the roles
    # `case_roles` names for them (a partner agency's officer on their locality's cases).
    scoped_roles: tuple[str, ...] = ()
    # The same as SQL, for lists and searches: (role, user_id) -> a condition over
    # case_record selecting this workflow's cases on which the user holds the role.
    assigned: Any = None
    # Where a message to a recipient goes: (session or None, case, role, applicant) ->
    # (address or None, channel), or None when the role is a locality staff role (every
    # active holder in the case's locality is then written to). `applicant` is the
    # applicant's addresses (email, address, phone attributes) when fetched with the case,
    # else None; with session None (planning a new case) it must not touch the database.
    recipient: Any = None
    # The table model holding what only this workflow's cases have, keyed by `case_id`
    # (engine.case_detail reads it with the generic case); None when there is none. Its
    # `anonymised_values()` gives what anonymising a case writes over the row.
    detail_model: Any = None
    # What anonymising a case (engine.services.retention) does to this workflow's other
    # tables: (session, case_id, *, removed) -> {table: rows changed}, run in the case's
    # anonymising transaction before the detail row and the shared person and place records
    # are done (so it can still read them). `removed` is the words that replace free text.
    # Dates, statuses, bands, scores and counts must stay: the figures read them. (A link
    # to a person or place still needed elsewhere moves to an anonymous record in every
    # table with a `case_id` and a foreign key to it: the package need not do that.)
    anonymise: Any = None
    # What the subject access export (engine.services.subject_access) adds for a case of
    # this workflow: (session, case) -> {"held": {section: data}, "sources": [sentences]},
    # plain JSON values; "held" lists what its own tables hold about the case's people.
    subject_access: Any = None
    # What the case as staff read it (API and case page: engine.queries.case_detail) shows
    # of this workflow's own tables: (session, case, actor, clock) -> dict added to it.
    case_view: Any = None
    # What its staff case page shows besides that (a page-only summary): (session, case,
    # detail, actor) -> dict added to the page's context. The actor is the reader, already
    # checked to hold a role on the case; anything shown of other cases is checked for them.
    staff_view: Any = None
    # Its letters: templates, titles and what each says (None: it sends no letters).
    letters: LetterKit | None = None
    # Columns a case export (engine/services/case_export.py) adds for this workflow's cases
    # (risk, stage...): their names, and (session, case_ids) -> {case_id: {column: value}}.
    export_columns: tuple[str, ...] = ()
    export_values: Any = None
    # Item clocks (deadline rules with no timescale, one per item) whose completion the
    # managers' dashboard shows: deadline name -> the table's title. Done on time is a clock
    # met, done late a clock closed late, and an open clock past its date is overdue.
    completion_measures: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.definition.name


def validate(wf: WorkflowDef, *, guards: Iterable[str], messages: Iterable[str]) -> list[str]:
    """Every structural problem in a workflow definition, as sentences (empty when sound)."""
    problems: list[str] = []
    states = {s.value for s in wf.states}
    known_guards, known_messages = set(guards), set(messages)
    triggers = wf.triggers() | {wf.start_trigger}
    if wf.initial not in states:
        problems.append(f"initial state {wf.initial!r} is not declared")
    for t in wf.transitions:
        problems += _transition_problems(t, states, known_guards, wf.roles)
    for d in wf.deadlines:
        problems += _deadline_problems(d, states, triggers)
        problems += _anchor_problems(d, wf.transitions)
    for m in wf.messages:
        if m.trigger not in triggers:
            problems.append(f"message {m.message!r} names unknown trigger {m.trigger!r}")
        problems += _message_condition_problems(m, wf.transitions)
        if m.message not in known_messages:
            problems.append(f"message {m.message!r} has no template")
        if m.to not in wf.recipients:
            problems.append(f"message {m.message!r} goes to unknown recipient {m.to!r}")
    unreachable = states - _reachable(wf)
    problems += [f"state {s!r} cannot be reached" for s in sorted(unreachable)]
    return problems


def _transition_problems(
    t: TransitionDef, states: set[str], guards: set[str], roles: tuple[str, ...]
) -> list[str]:
    problems = []
    if not t.roles:
        problems.append(f"transition {t.trigger!r} names no role (deny by default)")
    problems += [
        f"transition {t.trigger!r} has unknown role {r!r}" for r in t.roles if r not in roles
    ]
    for s in (*t.source, t.dest):
        if s not in states:
            problems.append(f"transition {t.trigger!r} names unknown state {s!r}")
    problems += [
        f"transition {t.trigger!r} has unknown guard {g!r}"
        for g in (*t.guards, *t.route)
        if g not in guards
    ]
    return problems


def _deadline_problems(d: DeadlineRule, states: set[str], triggers: set[str]) -> list[str]:
    problems = []
    if d.kind not in DEADLINE_KINDS:
        problems.append(f"deadline {d.name!r} has unknown kind {d.kind!r}")
    for trig in (*d.opened_by, *d.met_by):
        if trig not in triggers:
            problems.append(f"deadline {d.name!r} names unknown trigger {trig!r}")
    problems += [
        f"deadline {d.name!r} names unknown state {s!r}" for s in d.while_in if s not in states
    ]
    if d.direction not in DIRECTIONS:
        problems.append(f"deadline {d.name!r} has direction {d.direction!r}; use 1 or -1")
    if d.timescale is None and (d.opened_by or d.met_by or d.anchor):
        problems.append(
            f"deadline {d.name!r} has no timescale, so it is opened and met per item by "
            "effects: it cannot name triggers or an anchor"
        )
    return problems


def _data_fields(t: TransitionDef) -> dict[str, Any]:
    return dict(t.data.model_fields) if t.data is not None else {}


def _anchor_problems(d: DeadlineRule, transitions: tuple[TransitionDef, ...]) -> list[str]:
    """An anchored clock needs a required date field in every event that opens it."""
    if d.anchor is None:
        return []
    problems = []
    for t in transitions:
        if t.trigger not in d.opened_by:
            continue
        info = _data_fields(t).get(d.anchor)
        if info is None or info.annotation is not date or not info.is_required():
            problems.append(
                f"deadline {d.name!r} counts from {d.anchor!r}, which event {t.trigger!r} "
                "does not require as a date"
            )
    return problems


def _message_condition_problems(
    m: MessageRule, transitions: tuple[TransitionDef, ...]
) -> list[str]:
    problems = []
    for key in (*m.if_given, *m.unless_given):
        for t in transitions:
            if t.trigger == m.trigger and key not in _data_fields(t):
                problems.append(
                    f"message {m.message!r} depends on {key!r}, which event {t.trigger!r} "
                    "does not offer"
                )
    for key, values in m.when:
        for t in transitions:
            if t.trigger != m.trigger:
                continue
            info = _data_fields(t).get(key)
            allowed = typing.get_args(info.annotation) if info is not None else ()
            if info is None or not set(values) <= set(allowed):
                problems.append(
                    f"message {m.message!r} depends on {key!r}, which event {t.trigger!r} "
                    f"does not offer with the values {values!r}"
                )
    return problems


def _reachable(wf: WorkflowDef) -> set[str]:
    seen, frontier = {wf.initial}, [wf.initial]
    while frontier:
        state = frontier.pop()
        for t in wf.transitions_from(state):
            if t.dest not in seen:
                seen.add(t.dest)
                frontier.append(t.dest)
    return seen
