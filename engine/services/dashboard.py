"""The managers' dashboard assembled for one scope, cached until the audit trail grows."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from engine import dashboard as board
from engine import figures, registry
from engine.access import Actor
from engine.models.complaint import ReportAudit
from engine.services import figures as figures_service

# Dashboards kept per process; each is a few kilobytes.
CACHE_SIZE = 64


@dataclass
class Dashboard:
    scope: board.Scope
    area_name: str
    locality_names: dict[str, str]
    state_labels: dict[str, str]
    step_labels: dict[str, str]
    open_cases: list[tuple[str, str, int]]
    overdue: list[tuple[str, str, int]]
    outcomes: list[board.Outcome]
    months: list[dict[str, Any]]
    recommendations: dict[str, Any]
    figures: figures_service.YearFigures
    prompts: list[dict[str, Any]]


_lock = threading.Lock()
_held: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()


def dashboard(
    session: Session,
    *,
    actor: Actor,
    area_id: str | None = None,
    locality: str | None = None,
    start: date | None = None,
    end: date | None = None,
    today: date,
) -> Dashboard:
    """The dashboard for what the actor manages (checked here), from the cache while
    neither the audit trail nor the complaint register has grown."""
    area_id = area_id or board.manager_area(actor)
    s = board.scope(actor, area_id=area_id, locality=locality, start=start, end=end, today=today)
    key = (id(session.get_bind()), s, _marks(session))
    with _lock:
        if key in _held:
            _held.move_to_end(key)
            return _held[key]
    built = _build(session, s)
    with _lock:
        _held[key] = built
        while len(_held) > CACHE_SIZE:
            _held.popitem(last=False)
    return built


def clear_cache() -> None:
    """Forget every dashboard and count (the benchmark times a cold build with it)."""
    with _lock:
        _held.clear()
    figures_service.CACHE.clear()


def _marks(session: Session) -> tuple[int, int]:
    # Every change a figure here can see writes an audit row or a report audit row (both
    # insert-only), in the same transaction; the clock's date is part of the scope.
    register = session.exec(select(func.max(ReportAudit.id))).one() or 0
    return figures_service.trail_mark(session), int(register)


def _build(session: Session, s: board.Scope) -> Dashboard:
    area = registry.area(s.area_id)
    wf = figures_service.counted_workflow_def()
    since = s.end - 2 * board.YEAR
    return Dashboard(
        scope=s,
        area_name=area.name,
        locality_names={lid: area.localities[lid].name for lid in area.localities},
        state_labels=dict(wf.state_labels),
        step_labels={d.name: d.label for d in wf.deadlines},
        open_cases=board.open_cases(session, s),
        overdue=board.overdue_steps(session, s),
        outcomes=board.outcomes(board.timings(session, s, since=since), s, area.performance),
        months=board.by_month(session, s),
        recommendations=board.recommendations(session, s),
        figures=figures_service.statutory_figures(
            session, area_id=s.area_id, year=figures.financial_year(s.end), today=s.today
        ),
        prompts=board.second_report_prompts(session, s),
    )
