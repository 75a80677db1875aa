"""The managers' performance dashboard: open cases, overdue steps, each clock against its
target with RAG status and direction of travel, applications and outcomes by month, and
recommendation completion, for the area or localities a manager manages."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case as case_
from sqlalchemy import func
from sqlmodel import Session, col, select

from engine import performance as perf
from engine import registry
from engine.access import Actor
from engine.clock import LONDON, london_date
from engine.errors import InvalidInput, NotAllowed
from engine.models import AuditEvent, Case, Deadline, Recommendation
from engine.models.complaint import ReportAudit
from engine.services import figures as figures_service

MANAGER_ROLES = ("manager",)
YEAR = timedelta(days=365)
HALF_YEAR = timedelta(days=182)
# How far back the dashboard may look: the previous year beside the latest 12 months.
MAX_RANGE = timedelta(days=366 * 5)
MET = ("met", "late")


@dataclass(frozen=True)
class Scope:
    """What a manager asked to see, once the engine has checked they may."""

    area_id: str
    localities: tuple[str, ...]
    chosen: str | None
    start: date
    end: date
    today: date


def managed_localities(actor: Actor, area_id: str) -> tuple[str, ...]:
    """The localities of the area whose figures the actor may see as a manager."""
    area = registry.area(area_id)
    found: set[str] = set()
    for g in actor.grants:
        if g.role in MANAGER_ROLES and g.area_id == area_id:
            found |= set(area.localities) if g.locality_id is None else {g.locality_id}
    return tuple(lid for lid in area.localities if lid in found)


def manager_area(actor: Actor) -> str:
    """The area the actor manages (the first, where they manage more than one)."""
    for g in actor.grants:
        if g.role in MANAGER_ROLES:
            return g.area_id
    raise NotAllowed("Only managers can see the performance dashboard.")


def scope(
    actor: Actor,
    *,
    area_id: str,
    locality: str | None,
    start: date | None,
    end: date | None,
    today: date,
) -> Scope:
    """Check the actor manages what they asked for and the dates make sense."""
    allowed = managed_localities(actor, area_id)
    if not allowed:
        raise NotAllowed("Only managers of this area can see its performance dashboard.")
    if locality and locality not in registry.area(area_id).localities:
        raise InvalidInput("Choose a locality from the list.", field="locality")
    if locality and locality not in allowed:
        raise NotAllowed("You do not manage that locality.")
    end = end or today
    start = start or (end - YEAR + timedelta(days=1))
    if end > today:
        raise InvalidInput("The end date must be today or in the past.", field="to")
    if start > end:
        raise InvalidInput("The start date must be on or before the end date.", field="from")
    if end - start > MAX_RANGE:
        raise InvalidInput("Choose dates no more than 5 years apart.", field="from")
    chosen = (locality,) if locality else allowed
    return Scope(area_id, chosen, locality or None, start, end, today)


@dataclass
class Indicator:
    """One supporting indicator of an outcome, as the board's dashboard reads it."""

    name: str
    unit: str
    previous_year: float | None
    latest_12_months: float | None
    last_6_months: float | None
    earlier_6_months: float | None
    direction: str
    rag: str
    progress: str
    by_locality: dict[str, float | None] = field(default_factory=dict)


@dataclass
class Outcome:
    clock: str
    title: str
    target: str
    rag: str
    comment: str
    counted: int
    indicators: list[Indicator]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def _in_scope(stmt: Any, s: Scope) -> Any:
    return stmt.where(col(Case.area_id) == s.area_id, col(Case.locality_id).in_(s.localities))


def open_cases(session: Session, s: Scope) -> list[tuple[str, str, int]]:
    """(locality, state, count) of cases not yet closed."""
    wf = figures_service.counted_workflow_def()
    stmt = _in_scope(
        select(col(Case.locality_id), col(Case.state), func.count())
        .where(col(Case.workflow_name) == wf.name, col(Case.state).not_in(wf.terminal))
        .group_by(col(Case.locality_id), col(Case.state)),
        s,
    )
    return [(r[0], r[1], int(r[2])) for r in session.execute(stmt)]


def overdue_steps(session: Session, s: Scope) -> list[tuple[str, str, int]]:
    """(locality, step, count) of staff steps past their date and still open."""
    stmt = _in_scope(
        select(col(Case.locality_id), col(Deadline.name), func.count())
        .join(Case, col(Case.id) == col(Deadline.case_id))
        .where(
            col(Deadline.status) == "open",
            col(Deadline.kind) == "duty",
            col(Deadline.due_on) < s.today,
        )
        .group_by(col(Case.locality_id), col(Deadline.name)),
        s,
    )
    return [(r[0], r[1], int(r[2])) for r in session.execute(stmt)]


def clock_rules() -> list[Any]:
    """The clocks measured against their targets: every duty with its own timescale that
    counts forward from an event (not the papers counted back from a meeting)."""
    wf = figures_service.counted_workflow_def()
    return [d for d in wf.deadlines if d.kind == "duty" and d.timescale and d.anchor is None]


@dataclass(frozen=True)
class Timing:
    locality: str
    clock: str
    done_on: date
    days: int
    on_time: bool


def timings(session: Session, s: Scope, *, since: date) -> list[Timing]:
    """Each clock met (on time or late) between `since` and the scope's end."""
    names = [d.name for d in clock_rules()]
    stmt = _in_scope(
        select(
            col(Case.locality_id),
            col(Deadline.name),
            col(Deadline.start_on),
            col(Deadline.due_on),
            col(Deadline.closed_at),
        )
        .join(Case, col(Case.id) == col(Deadline.case_id))
        .where(
            col(Deadline.name).in_(names),
            col(Deadline.status).in_(MET),
            col(Deadline.closed_at) >= _start_of(since),
            col(Deadline.closed_at) < _start_of(s.end + timedelta(days=1)),
        ),
        s,
    )
    out = []
    for loc, name, start_on, due_on, closed_at in session.execute(stmt):
        done = london_date(closed_at)
        out.append(Timing(loc, name, done, (done - start_on).days, done <= due_on))
    return out


def outcomes(rows: list[Timing], s: Scope, performance: dict[str, Any]) -> list[Outcome]:
    """One outcome per clock, laid out as the board reads its Safer Communities dashboard."""
    area = registry.area(s.area_id)
    result = []
    for rule in clock_rules():
        mine = [t for t in rows if t.clock == rule.name]
        limits = perf.thresholds(performance, rule.name)
        result.append(_outcome(rule, mine, s, limits, area))
    return result


def _window(rows: list[Timing], first: date, last: date) -> list[Timing]:
    return [t for t in rows if first <= t.done_on <= last]


def _on_time(rows: list[Timing]) -> float | None:
    return perf.share(sum(t.on_time for t in rows), len(rows))


def _outcome(rule: Any, rows: list[Timing], s: Scope, limits: Any, area: Any) -> Outcome:
    end = s.end
    latest = _window(rows, end - YEAR + timedelta(days=1), end)
    previous = _window(rows, end - 2 * YEAR + timedelta(days=1), end - YEAR)
    last6 = _window(rows, end - HALF_YEAR + timedelta(days=1), end)
    prior6 = _window(rows, end - 2 * HALF_YEAR + timedelta(days=1), end - HALF_YEAR)
    share = _indicator("Done on time", "%", latest, previous, last6, prior6, _on_time, limits)
    share.by_locality = {
        lid: _on_time([t for t in latest if t.locality == lid]) for lid in s.localities
    }
    days = [
        _days_indicator("Median days taken", latest, previous, last6, prior6, perf.median),
        _days_indicator(
            "90th percentile days taken",
            latest,
            previous,
            last6,
            prior6,
            lambda v: perf.percentile(v, 90),
        ),
    ]
    timescale = area.timescales.get(rule.timescale)
    target = f"{timescale.amount} {timescale.unit.replace('_', ' ')}" if timescale else ""
    return Outcome(
        clock=rule.name,
        title=f"{rule.label}: on time",
        target=target,
        rag=share.rag,
        comment=_comment(share, limits, len(latest)),
        counted=len(latest),
        indicators=[share, *days],
    )


def _indicator(
    name: str, unit: str, latest: Any, previous: Any, last6: Any, prior6: Any, fn: Any, limits: Any
) -> Indicator:
    value = fn(latest)
    travel = perf.direction(fn(last6), fn(prior6), limits)
    level = perf.rag(value, limits)
    return Indicator(
        name, unit, fn(previous), value, fn(last6), fn(prior6), travel, level,
        perf.progress_rag(level, travel),
    )  # fmt: skip


def _days_indicator(
    name: str, latest: Any, previous: Any, last6: Any, prior6: Any, stat: Any
) -> Indicator:
    def fn(rows: list[Timing]) -> float | None:
        return stat([t.days for t in rows])

    recent, earlier = fn(last6), fn(prior6)
    # Fewer days is better: the arrow points up when the time taken falls.
    travel = perf.direction(
        -recent if recent is not None else None,
        -earlier if earlier is not None else None,
        perf.Thresholds(steady_within=1),
    )
    return Indicator(
        name, "days", fn(previous), fn(latest), recent, earlier, travel, "none", "none"
    )  # fmt: skip


def _comment(share: Indicator, limits: Any, counted: int) -> str:
    if share.latest_12_months is None:
        return "Nothing was due in the latest 12 months."
    travel = perf.DIRECTION_TEXT[share.direction]
    return (
        f"{share.latest_12_months:g}% of {counted} on time in the latest 12 months "
        f"(green at {limits.green:g}%, amber at {limits.amber:g}%); over six months: {travel}."
    )


def by_month(session: Session, s: Scope) -> list[dict[str, Any]]:
    """Applications and outcomes per month of the date range (London months)."""
    rules = figures_service.rules()
    columns = {
        "applications": rules.received,
        "threshold_met": rules.threshold_met,
        "threshold_not_met": rules.threshold_not_met,
        "reviews": rules.review_completed,
        "withdrawn": rules.withdrawn,
    }
    wanted = [t for triggers in columns.values() for t in triggers]
    stmt = _in_scope(
        select(col(AuditEvent.trigger), col(AuditEvent.occurred_at))
        .join(Case, col(Case.id) == col(AuditEvent.case_id))
        .where(
            col(AuditEvent.trigger).in_(wanted),
            col(AuditEvent.occurred_at) >= _start_of(s.start),
            col(AuditEvent.occurred_at) < _start_of(s.end + timedelta(days=1)),
        ),
        s,
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for trigger, at in session.execute(stmt):
        month = london_date(at).strftime("%Y-%m")
        for column, triggers in columns.items():
            if trigger in triggers:
                counts[month][column] += 1
    return [{"month": m, **{c: counts[m][c] for c in columns}} for m in _months(s.start, s.end)]


def _months(start: date, end: date) -> list[str]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def recommendations(session: Session, s: Scope) -> dict[str, Any]:
    """Issued recommendations by status, how many are past their date, and completion
    (counted in the database: one row per status comes back)."""
    rec = Recommendation
    late = case_(
        (col(rec.status).in_(("open", "accepted")) & (col(rec.due_on) < s.today), 1), else_=0
    )
    regard = case_((col(rec.had_regard) | col(rec.status).in_(("done", "declined")), 1), else_=0)
    stmt = _in_scope(
        select(col(rec.status), func.count(), func.sum(late), func.sum(regard))
        .join(Case, col(Case.id) == col(rec.case_id))
        .where(col(rec.issued_at).is_not(None), col(rec.status) != "withdrawn")
        .group_by(col(rec.status)),
        s,
    )
    statuses: Counter[str] = Counter()
    overdue = regarded = 0
    for status, n, n_late, n_regard in session.execute(stmt):
        statuses[status] += int(n)
        overdue += int(n_late or 0)
        regarded += int(n_regard or 0)
    issued = sum(statuses.values())
    done = statuses["done"] + statuses["declined"]
    return {
        "issued": issued,
        "statuses": dict(statuses),
        "overdue": overdue,
        "completed": done,
        "completed_share": perf.share(done, issued),
        "regard_share": perf.share(regarded, issued),
    }


def second_report_prompts(session: Session, s: Scope) -> list[dict[str, Any]]:
    """Per locality and month: people who made a second report within six months (the
    prompt was shown), and how many were told about the case review ("I have explained")."""
    from engine.person_reports import EXPLAINED, PROMPT_SHOWN

    stmt = select(
        col(ReportAudit.locality_id), col(ReportAudit.action), col(ReportAudit.occurred_at)
    ).where(
        col(ReportAudit.locality_id).in_(s.localities),
        col(ReportAudit.action).in_((PROMPT_SHOWN, EXPLAINED)),
        col(ReportAudit.occurred_at) >= _start_of(s.start),
        col(ReportAudit.occurred_at) < _start_of(s.end + timedelta(days=1)),
    )
    counts: Counter[tuple[str, str, str]] = Counter()
    for locality, action, at in session.execute(stmt):
        counts[(locality, london_date(at).strftime("%Y-%m"), action)] += 1
    rows = []
    for lid in s.localities:
        for month in _months(s.start, s.end):
            second, told = counts[(lid, month, PROMPT_SHOWN)], counts[(lid, month, EXPLAINED)]
            rows.append(
                {
                    "locality": lid,
                    "month": month,
                    "second_reports": second,
                    "explained": told,
                    "explained_share": perf.share(told, second),
                }
            )
    return rows
