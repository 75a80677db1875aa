"""What each reminder or escalation a sweep queues says about its deadline: the claimed row
(_Claimed, in the claim query's order) and the message context built from it."""

from __future__ import annotations

import json
from datetime import date
from functools import cache, lru_cache
from typing import Any, NamedTuple

from engine import registry, reminders


class _Claimed(NamedTuple):
    """One claimed deadline with what the sweep needs of its case, in _CLAIM_SQL's order."""

    id: int
    case_id: int
    name: str
    owner_role: str
    due_on: date
    reminder_step: str | None
    label: str | None
    start_on: date
    amount: int
    reference: str
    area_id: str
    locality_id: str
    workflow_name: str
    status: str


def _role_of(row: _Claimed, notice: reminders.Notice) -> str:
    return row.owner_role if notice.role == reminders.OWNER else notice.role


def _covered_by(row: _Claimed, due: reminders.Step | None) -> set[tuple[str, str]]:
    """(role, message) pairs the step due now sends: an earlier step saying the same thing to
    the same people is not sent late as well."""
    return {(_role_of(row, n), n.message) for n in due.notices} if due else set()


def _locality_tail(row: _Claimed, step: reminders.Step, extra: dict[str, Any] | None = None) -> str:
    """json.dumps(_context(row, step)) from `"locality": ` to the end: what deadlines of one
    kind, due on one day, in one locality share (the reference, and the date a clock counts
    back from, come before it; a JSON string holds no bare `"`, so the cut is exact)."""
    whole = json.dumps({**_context(row, step), **(extra or {})})
    return whole[whole.index('"locality": ') :]


def _context_head(row: _Claimed) -> str:
    """json.dumps(_context(row, step)) up to `"locality": `: the deadline's own part."""
    if row.amount < 0:
        return f'{_before_date(row.start_on)}"reference": {json.dumps(row.reference)}, '
    return f'{{"reference": {json.dumps(row.reference)}, '


@lru_cache(maxsize=1024)
def _before_date(start_on: date) -> str:
    """The start of a context that names the date a clock counts back from."""
    return json.dumps({"before_date": start_on.isoformat()})[:-1] + ", "


@lru_cache(maxsize=4096)
def _progress(
    area_id: str, name: str, owner_role: str, due_on: date, last: str | None, today: date
) -> reminders.Progress:
    """What is due for one deadline today; cached, as a batch repeats the same few answers."""
    policy = registry.area(area_id).reminders.policy(name)
    return reminders.progress(reminders.plan(due_on, policy, owner_role), last, today)


def _context(row: _Claimed, step: reminders.Step) -> dict[str, Any]:
    # A clock counted back from a date (papers before a meeting) names that date too.
    before = {"before_date": row.start_on.isoformat()} if row.amount < 0 else {}
    kind = _case_kind(row.workflow_name)
    return {
        **before,
        "reference": row.reference,
        "locality": row.locality_id,
        # After the locality: a deadline's name (below) is its workflow's own, so the
        # deadlines that share this tail (_locality_tail) share their workflow too.
        **({"case_kind": kind} if kind else {}),
        "deadline": row.name,
        # A deadline about one item (a recommendation) carries its own label.
        "label": row.label or _labels(row.workflow_name).get(row.name, row.name.replace("_", " ")),
        "due_date": row.due_on.isoformat(),
        "step": step.name,
        "step_date": step.on.isoformat(),
    }


@cache
def _case_kind(workflow_name: str) -> str:
    return registry.workflow(workflow_name).case_kind


@cache
def _labels(workflow_name: str) -> dict[str, str]:
    return {d.name: d.label for d in registry.workflow(workflow_name).deadlines}
