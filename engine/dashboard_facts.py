"""What the managers' dashboard counts about one case, read once for an area and then again
for each case an event touches (engine/services/dashboard.py keeps them up to date).

A case's facts are everything of it any dashboard table counts: whether it is open and in
which state, each clock met (when, how many days, on time or late), its open staff steps
(with their due dates), its counted events by day (applications, decisions, outcomes,
withdrawals) and its issued recommendations. Dates are day numbers (date.toordinal) so the
totals can sort and compare them cheaply.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, String, and_, bindparam, cast, literal, null, or_, union_all
from sqlmodel import Session, col, select

from engine import registry
from engine.clock import london_date
from engine.models import AuditEvent, Case, Deadline, Recommendation
from engine.models.complaint import ReportAudit
from engine.models.types import UTCDateTime
from engine.services import figures as figures_service

MET = ("met", "late")
# Where the dashboard's month table puts each counted event (one event may count in more
# than one column when the workflow's figure rules name its trigger twice).
MONTH_COLUMNS = ("applications", "threshold_met", "threshold_not_met", "reviews", "withdrawn")


def month_rules() -> dict[str, tuple[str, ...]]:
    """Each month column with the triggers it counts (the counted workflow's figure rules)."""
    rules = figures_service.rules()
    return {
        "applications": tuple(rules.received),
        "threshold_met": tuple(rules.threshold_met),
        "threshold_not_met": tuple(rules.threshold_not_met),
        "reviews": tuple(rules.review_completed),
        "withdrawn": tuple(rules.withdrawn),
    }


def clock_rules() -> list[Any]:
    """The clocks measured against their targets: every duty with its own timescale that
    counts forward from an event (not the papers counted back from a meeting)."""
    wf = figures_service.counted_workflow_def()
    return [d for d in wf.deadlines if d.kind == "duty" and d.timescale and d.anchor is None]


@dataclass(frozen=True)
class Measure:
    """An item clock of a workflow whose completion the dashboard shows (its package's
    `completion_measures`): done on time, done late, or open past its date."""

    key: str
    workflow: str
    deadline: str
    title: str


def completion_measures() -> dict[str, Measure]:
    """Every package's completion measures, by key ("workflow.deadline")."""
    found = {}
    for name, package in registry.packages().items():
        for deadline, title in package.completion_measures.items():
            key = f"{name}.{deadline}"
            found[key] = Measure(key, name, deadline, title)
    return found


# One clock met: (clock, the day it was met, the days it took, on time).
Timing = tuple[str, int, int, bool]
KINDS = ("timings", "open_steps", "events", "recommendations", "items")


@dataclass(frozen=True)
class CaseFacts:
    locality: str
    # The state of an open case of the counted workflow; None once closed (or another
    # workflow's case).
    open_state: str | None = None
    timings: tuple[Timing, ...] = ()
    # (step name, due day) of each open staff step.
    open_steps: tuple[tuple[str, int], ...] = ()
    # (month column, day) of each counted event.
    events: tuple[tuple[str, int], ...] = ()
    # (status, due day or None, had regard) of each issued recommendation not withdrawn.
    recommendations: tuple[tuple[str, int | None, bool], ...] = ()
    # (measure key, status, due day, day closed or None) of each measured item clock.
    items: tuple[tuple[str, str, int, int | None], ...] = ()


# case id -> (workflow, locality, open state); kind -> case id -> rows (see load_facts)
Cases = dict[int, tuple[str, str, str | None]]
Found = dict[str, dict[int, list[Any]]]


def _rows(session: Session, stmt: Any) -> Any:
    # Plain rows through the session's connection (its transaction), without the ORM's
    # per-row work: a first read of an area goes through hundreds of thousands.
    return session.connection().execute(stmt).all()


# London day numbers by UTC hour: the clocks change on the hour (01:00 UTC), so every
# instant of one UTC hour falls on the same London day.
_DAYS: dict[tuple[int, int, int, int], int] = {}


def london_day(at: datetime) -> int:
    """The Europe/London day number (date.toordinal) of a UTC instant."""
    key = (at.year, at.month, at.day, at.hour)
    day = _DAYS.get(key)
    if day is None:
        if len(_DAYS) > 100_000:
            _DAYS.clear()
        day = _DAYS[key] = london_date(at).toordinal()
    return day


def load_facts(
    session: Session, *, area_id: str, case_ids: Collection[int] | None = None
) -> dict[int, CaseFacts]:
    """Every case of the area (or only `case_ids`) with its facts as they are now.

    The whole area is read in four statements; a few cases (after an event) in one, the
    four joined (UNION ALL) so that keeping the dashboard current costs one round trip."""
    wf = figures_service.counted_workflow_def()
    cases: Cases = {}
    found: Found = {k: {} for k in KINDS}
    read = _Reader(area_id, case_ids)

    def case_row(cid: int, locality: str, workflow: str, state: str) -> None:
        is_open = workflow == wf.name and state not in wf.terminal
        cases[cid] = (workflow, locality, state if is_open else None)

    if case_ids is None:
        for row in _rows(session, read.cases()):
            case_row(*row)
        for stmt, handle in read.parts():
            for row in _rows(session, stmt):
                if row[0] in cases:
                    handle(found, cases, *row)
    else:
        rows = session.connection().execute(_touched(area_id), {"ids": list(case_ids)}).all()
        for row in rows:
            if row[0] == "c":
                case_row(row[1], row[2], row[3], row[4])
        handlers = {"d": read.deadline, "e": read.event, "r": read.recommendation}
        for kind, cid, *values in rows:
            if kind != "c" and cid in cases:
                handlers[kind](found, cases, cid, *_unpadded(kind, values))
    return {
        cid: CaseFacts(locality, open_state, *(_in_order(found[k].get(cid), k) for k in KINDS))
        for cid, (_, locality, open_state) in cases.items()
    }


@functools.lru_cache(maxsize=64)
def _touched(area_id: str) -> Any:
    """The one statement that reads some cases' facts (their ids bound as "ids"), built
    once per area so that it is compiled once."""
    return _Reader(area_id, bindparam("ids", expanding=True)).union()


def _in_order(rows: list[Any] | None, kind: str) -> tuple[Any, ...]:
    """A case's facts in a fixed order, so facts read twice compare equal (rows that may
    hold None in place of a day are ordered by their text)."""
    if not rows:
        return ()
    if len(rows) == 1:
        return (rows[0],)
    return tuple(sorted(rows, key=repr if kind in ("recommendations", "items") else None))


# The columns every part of the joined statement has: kind, case id, four texts, two
# dates, an instant and a flag; each part fills those it has (see _padded / _unpadded).
_LAYOUT = ("t", "t", "t", "t", "d", "d", "at", "b")
_PARTS = {
    "c": ("t", "t", "t"),  # locality, workflow, state
    "d": ("t", "t", "t", "d", "d", "at"),  # name, kind, status, start, due, closed
    "e": ("t", "at"),  # trigger, instant
    "r": ("t", "d", "b"),  # status, due, had regard
}
_NULLS = {"t": String(), "d": Date(), "at": UTCDateTime(), "b": Boolean()}


def _padded(kind: str, columns: list[Any]) -> list[Any]:
    """The part's columns in the joined layout, NULL where it has none."""
    given, out = list(zip(_PARTS[kind], columns, strict=True)), []
    for slot in _LAYOUT:
        if given and given[0][0] == slot:
            out.append(given.pop(0)[1])
        else:
            out.append(cast(null(), _NULLS[slot]))
    return [literal(kind, String()), *out]


def _unpadded(kind: str, values: list[Any]) -> list[Any]:
    wanted, out = list(_PARTS[kind]), []
    for slot, value in zip(_LAYOUT, values, strict=True):
        if wanted and wanted[0] == slot:
            out.append(value)
            wanted.pop(0)
    return out


class _Reader:
    """The statements that read an area's (or some cases') facts."""

    def __init__(self, area_id: str, case_ids: Any) -> None:
        self.area_id, self.case_ids = area_id, case_ids
        self.clocks = frozenset(d.name for d in clock_rules())
        self.measures = {(m.workflow, m.deadline): m.key for m in completion_measures().values()}
        columns = month_rules()
        self.counts_in = {
            t: [c for c, triggers in columns.items() if t in triggers]
            for triggers in columns.values() for t in triggers
        }  # fmt: skip

    def _of_cases(self, stmt: Any, fk: Any) -> Any:
        stmt = stmt.join(Case, col(Case.id) == fk).where(col(Case.area_id) == self.area_id)
        return stmt if self.case_ids is None else stmt.where(fk.in_(self.case_ids))

    def case_columns(self) -> list[Any]:
        return [col(Case.locality_id), col(Case.workflow_name), col(Case.state)]

    def cases(self) -> Any:
        stmt = select(col(Case.id), *self.case_columns()).where(col(Case.area_id) == self.area_id)
        return stmt if self.case_ids is None else stmt.where(col(Case.id).in_(self.case_ids))

    def parts(self) -> list[tuple[Any, Any]]:
        """(statement, row handler) for the deadlines, the events and the recommendations;
        each statement's columns are the case id then the handler's arguments."""
        return [
            (self._of_cases(*_deadlines_stmt()), self.deadline),
            (self._of_cases(*_events_stmt()), self.event),
            (self._of_cases(*_recommendations_stmt()), self.recommendation),
        ]

    def union(self) -> Any:
        """The cases and their three parts as one statement, each row tagged with its kind."""
        stmt = self.cases()
        columns = list(stmt.selected_columns)
        padded = _padded("c", columns[1:])
        selects = [stmt.with_only_columns(padded[0], columns[0], *padded[1:])]
        for kind, (stmt, _) in zip("der", self.parts(), strict=True):
            columns = list(stmt.selected_columns)
            padded = _padded(kind, columns[1:])
            selects.append(stmt.with_only_columns(padded[0], columns[0], *padded[1:]))
        return union_all(*selects)

    # Row handlers: the case id, then the part's own columns.

    def deadline(self, found: Found, cases: Cases, cid: int, name: str, kind: str,
                 status: str, start_on: date, due_on: date,
                 closed_at: datetime | None) -> None:  # fmt: skip
        due = due_on.toordinal()
        measure = self.measures.get((cases[cid][0], name))
        if measure is not None:
            closed = london_day(closed_at) if closed_at and status != "open" else None
            found["items"].setdefault(cid, []).append((measure, status, due, closed))
        if status == "open":
            if kind == "duty":
                found["open_steps"].setdefault(cid, []).append((name, due))
        elif closed_at is not None and name in self.clocks:
            done = london_day(closed_at)
            timing = (name, done, done - start_on.toordinal(), done <= due)
            found["timings"].setdefault(cid, []).append(timing)

    def event(self, found: Found, cases: Cases, cid: int, trigger: str, at: datetime) -> None:
        day = london_day(at)
        columns = [(column, day) for column in self.counts_in[trigger]]
        found["events"].setdefault(cid, []).extend(columns)

    def recommendation(self, found: Found, cases: Cases, cid: int, status: str,
                       due_on: date | None, had_regard: bool | None) -> None:  # fmt: skip
        regard = bool(had_regard) or status in ("done", "declined")
        due = due_on.toordinal() if due_on else None
        found["recommendations"].setdefault(cid, []).append((status, due, regard))


def _deadlines_stmt() -> tuple[Any, Any]:
    clocks = [d.name for d in clock_rules()]
    measured = sorted({m.deadline for m in completion_measures().values()})
    stmt = select(
        col(Deadline.case_id), col(Deadline.name), col(Deadline.kind), col(Deadline.status),
        col(Deadline.start_on), col(Deadline.due_on), col(Deadline.closed_at),
    ).where(
        or_(
            and_(col(Deadline.name).in_(clocks), col(Deadline.status).in_(MET)),
            and_(col(Deadline.status) == "open", col(Deadline.kind) == "duty"),
            and_(col(Deadline.name).in_(measured), col(Deadline.status).in_((*MET, "open"))),
        )
    )  # fmt: skip
    return stmt, col(Deadline.case_id)


def _events_stmt() -> tuple[Any, Any]:
    wanted = sorted({t for triggers in month_rules().values() for t in triggers})
    stmt = select(
        col(AuditEvent.case_id), col(AuditEvent.trigger), col(AuditEvent.occurred_at)
    ).where(col(AuditEvent.trigger).in_(wanted))
    return stmt, col(AuditEvent.case_id)


def _recommendations_stmt() -> tuple[Any, Any]:
    rec = Recommendation
    stmt = select(col(rec.case_id), col(rec.status), col(rec.due_on), col(rec.had_regard)).where(
        col(rec.issued_at).is_not(None), col(rec.status) != "withdrawn"
    )
    return stmt, col(rec.case_id)


@dataclass(frozen=True)
class Prompt:
    """One staff action on a report the dashboard counts: a second report's prompt shown,
    or the case review explained (report audit rows, which are only ever inserted)."""

    locality: str
    action: str
    day: int


def load_prompts(
    session: Session,
    *,
    localities: Collection[str],
    ids: Collection[int] | None = None,
    where: Any = None,
) -> list[Prompt]:
    """The prompts and explanations of the localities: the rows with `ids`, or those
    meeting `where` (the rows a trail cursor has seen)."""
    from engine.person_reports import EXPLAINED, PROMPT_SHOWN

    stmt = select(
        col(ReportAudit.locality_id), col(ReportAudit.action), col(ReportAudit.occurred_at)
    ).where(
        col(ReportAudit.locality_id).in_(localities),
        col(ReportAudit.action).in_((PROMPT_SHOWN, EXPLAINED)),
    )
    if ids is not None:
        stmt = stmt.where(col(ReportAudit.id).in_(ids))
    if where is not None:
        stmt = stmt.where(where)
    rows = _rows(session, stmt)
    return [Prompt(loc, action, london_day(at)) for loc, action, at in rows]
