"""The vocabulary workflows are written in: states, transitions, deadlines and messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from engine.inputs import NoNulModel

__all__ = ["DeadlineRule", "MessageRule", "NoNulModel", "TransitionDef", "WorkflowDef", "validate"]

DEADLINE_KINDS = ("duty", "window")


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


@dataclass(frozen=True)
class DeadlineRule:
    """A clock: opened by some triggers, met by others, alive only in some states.

    A `duty` is something staff must do by the date; a `window` is time the applicant
    has (to appeal), which lapses rather than being missed.
    """

    name: str
    label: str
    timescale: str
    opened_by: tuple[str, ...]
    met_by: tuple[str, ...]
    while_in: tuple[str, ...]
    owner_role: str
    kind: str = "duty"


@dataclass(frozen=True)
class MessageRule:
    """A message queued in the outbox when a trigger fires."""

    trigger: str
    message: str
    to: str


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

    def transition(self, trigger: str, source: str) -> TransitionDef | None:
        for t in self.transitions:
            if t.trigger == trigger and source in t.source:
                return t
        return None

    def triggers(self) -> set[str]:
        return {t.trigger for t in self.transitions}

    def transitions_from(self, state: str) -> list[TransitionDef]:
        return [t for t in self.transitions if state in t.source]

    def messages_for(self, trigger: str) -> list[MessageRule]:
        return [m for m in self.messages if m.trigger == trigger]


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
    for m in wf.messages:
        if m.trigger not in triggers:
            problems.append(f"message {m.message!r} names unknown trigger {m.trigger!r}")
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
        f"transition {t.trigger!r} has unknown guard {g!r}" for g in t.guards if g not in guards
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
