"""Pure rules: which deadlines a trigger opens or closes, and when each falls due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine import workdays
from engine.definitions import DeadlineRule, WorkflowDef
from engine.registry import AreaConfig


@dataclass(frozen=True)
class NewDeadline:
    name: str
    kind: str
    owner_role: str
    start_on: date
    amount: int
    unit: str
    due_on: date


def opened_by(
    wf: WorkflowDef, area: AreaConfig, *, locality_id: str, trigger: str, today: date
) -> list[NewDeadline]:
    """The deadlines a trigger opens, counted from today (the day of the event)."""
    opened = []
    for rule in wf.deadlines:
        if trigger in rule.opened_by:
            scale = area.timescale(rule.timescale, locality_id)
            due = workdays.due_date(today, scale.amount, scale.unit)
            opened.append(
                NewDeadline(
                    rule.name, rule.kind, rule.owner_role, today, scale.amount, scale.unit, due
                )
            )
    return opened


def closing_plan(wf: WorkflowDef, *, trigger: str, new_state: str) -> tuple[list[str], list[str]]:
    """The deadlines a trigger ends: (met by it, ended because the case moved on).

    Whether a met deadline was late, or an ended window lapsed, depends on its due date:
    the machine lets SQL compare it with today in the one UPDATE that closes them all.
    """
    met = [r.name for r in wf.deadlines if trigger in r.met_by]
    ended = [r.name for r in wf.deadlines if r.name not in met and new_state not in r.while_in]
    return met, ended


def rule_named(wf: WorkflowDef, name: str) -> DeadlineRule:
    for rule in wf.deadlines:
        if rule.name == name:
            return rule
    raise LookupError(f"workflow {wf.name!r} has no deadline {name!r}")
