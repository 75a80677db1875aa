"""Pure rules: which deadlines a trigger opens or closes, and when each falls due."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine import workdays
from engine.definitions import DeadlineRule, WorkflowDef
from engine.registry import AreaConfig

# How a clock with no timescale is stored: 0 calendar days from the item's own date, so it
# falls due on that date (or the next working day) and explains itself as "the date set".
DATED_UNIT = workdays.CALENDAR_DAYS


@dataclass(frozen=True)
class NewDeadline:
    name: str
    kind: str
    owner_role: str
    start_on: date
    # Negative when the clock counts back from its start (papers before a meeting).
    amount: int
    unit: str
    due_on: date
    label: str | None = None
    subject: str | None = None


def opened_by(
    wf: WorkflowDef,
    area: AreaConfig,
    *,
    locality_id: str,
    trigger: str,
    today: date,
    data: Any = None,
    new_state: str | None = None,
) -> list[NewDeadline]:
    """The deadlines a trigger opens, counted from today (the day of the event), or from
    the date its rule anchors on in the event's data.

    A clock is never opened in a state it does not live in: a final response that takes
    the case straight to monitoring opens no appeal window.
    """
    opened = []
    for rule in wf.deadlines:
        if new_state is not None and new_state not in rule.while_in:
            continue
        if trigger in rule.opened_by and rule.timescale is not None:
            scale = area.timescale(rule.timescale, locality_id)
            start = anchor_date(rule, data, today)
            amount = scale.amount * rule.direction
            due = workdays.due_date(start, amount, scale.unit)
            if amount < 0 and due < today:
                # A meeting arranged sooner than the lead time: the papers are due today,
                # never on a day already gone (that would be "overdue" at the next sweep).
                due = today
            owner = rule.owner_for(new_state) if new_state else rule.owner_role
            opened.append(NewDeadline(rule.name, rule.kind, owner, start, amount, scale.unit, due))
    return opened


def anchor_date(rule: DeadlineRule, data: Any, today: date) -> date:
    """The date a rule counts from: today, or the date in the event data's anchor field."""
    if rule.anchor is None:
        return today
    if isinstance(data, Mapping):
        value = data.get(rule.anchor)
    else:
        value = getattr(data, rule.anchor, None)
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if not isinstance(value, date):
        # The definition check (engine.definitions.validate) makes this a programming error.
        raise LookupError(f"deadline {rule.name!r} counts from {rule.anchor!r}, which is missing")
    return value


def dated(
    rule: DeadlineRule, *, on: date, label: str, subject: str, owner_role: str | None = None
) -> NewDeadline:
    """A deadline about one item, due on the item's own date (moved on to a working day)."""
    due = workdays.due_date(on, 0, DATED_UNIT)
    return NewDeadline(
        rule.name,
        rule.kind,
        owner_role or rule.owner_role,
        on,
        0,
        DATED_UNIT,
        due,
        label=label,
        subject=subject,
    )


def recommendation_label(seq: int, recipient: str, action: str) -> str:
    """ "Recommendation 2: Council - Install noise monitoring in the flats above...", short."""
    who = textwrap.shorten(recipient, width=60, placeholder="...")
    what = textwrap.shorten(action, width=80, placeholder="...")
    return f"Recommendation {seq}: {who} \N{EM DASH} {what}"


def closing_plan(wf: WorkflowDef, *, trigger: str, new_state: str) -> tuple[list[str], list[str]]:
    """The deadlines a trigger ends: (met by it, ended because the case moved on).

    A trigger that opens a clock ends the one already open under that name (it restarts:
    a re-arranged meeting moves the papers deadline). Whether a met deadline was late, or
    an ended window lapsed, depends on its due date: the machine lets SQL compare it with
    today in the one UPDATE that closes them all.
    """
    met = [r.name for r in wf.deadlines if trigger in r.met_by]
    ended = [
        r.name
        for r in wf.deadlines
        if r.name not in met and (new_state not in r.while_in or trigger in r.opened_by)
    ]
    return met, ended


def rule_named(wf: WorkflowDef, name: str) -> DeadlineRule:
    for rule in wf.deadlines:
        if rule.name == name:
            return rule
    raise LookupError(f"workflow {wf.name!r} has no deadline {name!r}")


@dataclass(frozen=True)
class Settled:
    """A counted-back clock closed against the day its meeting was really held."""

    due_on: date
    status: str
    label: str


def settled_on_held_day(
    *, label: str, arranged: date, held: date, amount: int, unit: str, opened_on: date
) -> Settled:
    """Papers still open when the meeting is held on another day than arranged: met or
    missed as of the day it was held, against a due date counted back from that day (never
    before the day the clock was set), so nothing shows late against a meeting that did not
    happen. The label gives the reason and that due date on the case page; the row keeps
    the dates it was set with, so the ledger still shows the reminders planned for them."""
    due = max(workdays.due_date(held, amount, unit), opened_on)
    # Not recorded as sent before the meeting: missed if they were due before it; due on
    # the meeting day itself (a meeting sooner than the lead time), they went to it.
    status = "late" if due < held else "met"
    word = "missed" if status == "late" else "met"
    reason = (
        f"{label}: {word}, due {_long(due)} for the meeting held on"
        f" {_long(held)} (arranged for {_long(arranged)})"
    )
    return Settled(due, status, reason[:200])


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"
