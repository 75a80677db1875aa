"""Pure rules: when each reminder and escalation of a deadline falls, and which one is due now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from engine import workdays

OWNER = "owner"
APPLICANT = "applicant"


@dataclass(frozen=True)
class ReminderPolicy:
    """One clock's reminders (working days before it falls due) and escalations (after)."""

    remind_before: tuple[int, ...] = (2, 0)
    escalate_after: tuple[int, ...] = (0, 5)
    escalate_to: str = "manager"
    remind_message: str = "deadline_reminder"
    escalate_message: str = "deadline_overdue_escalation"
    # A clock that is a promise to the applicant: when it is missed they are told, too.
    tell_applicant: bool = False
    applicant_message: str = "promise_missed"


@dataclass(frozen=True)
class Notice:
    """Who is told (a role, or the applicant) and with which message."""

    role: str
    message: str


@dataclass(frozen=True)
class Step:
    name: str
    on: date
    notices: tuple[Notice, ...]


@dataclass(frozen=True)
class Progress:
    """What a sweep on `today` does to one deadline: the step to send, and what it skips."""

    due: Step | None
    superseded: tuple[Step, ...]
    next_on: date | None


def working_days_before(day: date, n: int) -> date:
    """The working day n working days before `day` (n = 0 is `day` itself)."""
    return workdays.subtract_working_days(day, n) if n else day


@lru_cache(maxsize=8192)
def plan(due_on: date, policy: ReminderPolicy, owner_role: str) -> tuple[Step, ...]:
    """Every step of one deadline in date order (cached: many deadlines share a due date)."""
    steps = [
        Step(
            f"remind_{n}",
            working_days_before(due_on, n),
            (Notice(owner_role, policy.remind_message),),
        )
        for n in sorted(set(policy.remind_before), reverse=True)
    ]
    for i, k in enumerate(sorted(set(policy.escalate_after))):
        notices = [Notice(policy.escalate_to, policy.escalate_message)]
        if policy.tell_applicant and i == 0:
            notices.append(Notice(APPLICANT, policy.applicant_message))
        # Overdue by k: k working days after the first working day past the due date.
        steps.append(Step(f"overdue_{k}", workdays.add_working_days(due_on, k + 1), tuple(notices)))
    return tuple(steps)


def step_label(step: str | None) -> str:
    """A step's name (as `plan` makes them) in words: remind_2 -> "Reminder, 2 working days
    before"; overdue_0 -> "Escalation when missed"; anything else with its underscores
    spaced."""
    kind, _, days = (step or "").partition("_")
    if not step:
        return "Message"
    if days.isdigit() and kind in ("remind", "overdue"):
        n = int(days)
        span = "1 working day" if n == 1 else f"{n} working days"
        if kind == "remind":
            return "Reminder on the day" if n == 0 else f"Reminder, {span} before"
        return "Escalation when missed" if n == 0 else f"Escalation, {span} overdue"
    return step.replace("_", " ")


def progress(steps: tuple[Step, ...], last_done: str | None, today: date) -> Progress:
    """Only the latest step now due is sent, so a worker back from downtime catches up once."""
    pending = steps[steps_done(steps, last_done) :]
    due_now = [s for s in pending if s.on <= today]
    later = [s for s in pending if s.on > today]
    return Progress(
        due=due_now[-1] if due_now else None,
        superseded=tuple(due_now[:-1]),
        next_on=later[0].on if later else None,
    )


# Steps recorded by the first sweep design (one reminder, one escalation) map onto the plan.
_LEGACY = {"due_soon": "remind_", "overdue": "overdue_"}


def steps_done(steps: tuple[Step, ...], last_done: str | None) -> int:
    """How many steps of the plan are behind us, given the last one done."""
    if last_done is None:
        return 0
    names = [s.name for s in steps]
    if last_done in names:
        return names.index(last_done) + 1
    prefix = _LEGACY.get(last_done, last_done)
    matching = [i for i, n in enumerate(names) if n.startswith(prefix)]
    if last_done in _LEGACY and matching:
        return (matching[-1] if last_done == "due_soon" else matching[0]) + 1
    return len(steps)  # an unknown step name: nothing is sent twice rather than guessed at
