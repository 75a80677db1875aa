"""The managers' dashboard for one scope, kept current event by event.

Every change a dashboard figure can see writes an audit row in the same transaction (the
machine does), and the complaint register's prompts write report audit rows; both tables
are only ever inserted into. So each read looks at the two high-water marks (index-only
reads). When they have moved, only the new rows are read: the cases they name have their
facts read again (engine/dashboard_facts.py), and each scope held here takes away the old
facts and adds the new (engine/dashboard_totals.py). A new application, decision or outcome
shows at once, and after an event the work is that event's case, never a recount.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from engine import dashboard as board
from engine import figures, registry
from engine.access import Actor
from engine.dashboard_facts import CaseFacts, clock_rules, load_facts, load_prompts
from engine.dashboard_totals import ScopeTotals
from engine.services import figures as figures_service
from engine.trail import AUDIT, REPORT_AUDIT, TrailCursor

# Scopes kept per area and process; each is a few kilobytes of counters.
CACHE_SIZE = 64
# Cases read again in one statement at most.
ID_BATCH = 5000


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
    # Per completion measure of a workflow package (JAG actions): see board.completion.
    completion: list[dict[str, Any]]


class _Held:
    """A scope's totals, and its tables as last read off them."""

    def __init__(self, totals: ScopeTotals) -> None:
        self.totals = totals
        self.read_at = -1
        self.parts: dict[str, Any] = {}


class _Area:
    """One area's case facts as of the two marks, with the scopes built on them."""

    def __init__(self) -> None:
        self.audit = TrailCursor(AUDIT)
        self.register = TrailCursor(REPORT_AUDIT)
        self.cases: dict[int, CaseFacts] | None = None
        self.scopes: OrderedDict[board.Scope, _Held] = OrderedDict()


_lock = threading.Lock()
# Per database engine (a process may talk to more than one, as the tests do), per area.
_areas: weakref.WeakKeyDictionary[Any, dict[str, _Area]] = weakref.WeakKeyDictionary()


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
    """The dashboard for what the actor manages (checked here), current as of this read."""
    area_id = area_id or board.manager_area(actor)
    s = board.scope(actor, area_id=area_id, locality=locality, start=start, end=end, today=today)
    with _lock:
        areas = _areas.setdefault(session.get_bind(), {})
        held = areas.setdefault(area_id, _Area())
        try:
            _catch_up(session, held, area_id)
            scope_held = _scope(session, held, s)
        except BaseException:
            # Half caught up (the cursor moved, the facts did not): start again next time.
            areas.pop(area_id, None)
            raise
        parts = _parts(scope_held, s)
    area = registry.area(s.area_id)
    wf = figures_service.counted_workflow_def()
    return Dashboard(
        scope=s,
        area_name=area.name,
        locality_names={lid: area.localities[lid].name for lid in area.localities},
        state_labels=dict(wf.state_labels),
        step_labels=_step_labels(wf),
        figures=figures_service.statutory_figures(
            session, area_id=s.area_id, year=figures.financial_year(s.end), today=s.today
        ),
        **parts,
    )


def clear_cache() -> None:
    """Forget every dashboard and count (the benchmark times a cold build with it)."""
    with _lock:
        _areas.clear()
    figures_service.CACHE.clear()


def _catch_up(session: Session, held: _Area, area_id: str) -> None:
    """Bring the area's facts, and every scope held, up to the trail as it is now."""
    if held.cases is None:
        # The first read: every case's facts, read after the marks (a case changed in
        # between is read again at the next read and its facts found the same).
        held.audit.start(session)
        held.register.start(session)
        held.cases = load_facts(session, area_id=area_id)
        return
    touched = sorted({case_id for _, case_id in held.audit.new_rows(session)})
    now: dict[int, CaseFacts] = {}
    for i in range(0, len(touched), ID_BATCH):
        now |= load_facts(session, area_id=area_id, case_ids=touched[i : i + ID_BATCH])
    for case_id in touched:
        old, new = held.cases.get(case_id), now.get(case_id)
        if old == new:
            continue
        for scope_held in held.scopes.values():
            if old is not None:
                scope_held.totals.add_case(old, -1)
            if new is not None:
                scope_held.totals.add_case(new, +1)
        if new is None:
            held.cases.pop(case_id, None)
        else:
            held.cases[case_id] = new
    added = held.register.new_rows(session)
    if added:
        localities = tuple(registry.area(area_id).localities)
        prompts = load_prompts(session, localities=localities, ids=[i for i, _ in added])
        for prompt in prompts:
            for scope_held in held.scopes.values():
                scope_held.totals.add_prompt(prompt)


def _scope(session: Session, held: _Area, s: board.Scope) -> _Held:
    """The scope's totals: held, or added up from the area's facts (once per scope)."""
    found = held.scopes.get(s)
    if found is not None:
        held.scopes.move_to_end(s)
        return found
    totals = ScopeTotals(s.localities, s.start, s.end, s.today, [r.name for r in clock_rules()])
    assert held.cases is not None
    for facts in held.cases.values():
        totals.add_case(facts, +1)
    for prompt in load_prompts(session, localities=s.localities, where=held.register.seen()):
        totals.add_prompt(prompt)
    found = held.scopes[s] = _Held(totals)
    while len(held.scopes) > CACHE_SIZE:
        held.scopes.popitem(last=False)
    return found


def _parts(held: _Held, s: board.Scope) -> dict[str, Any]:
    """The scope's tables, read off its totals again only when they have changed."""
    t = held.totals
    if held.read_at != t.version:
        area = registry.area(s.area_id)
        held.parts = {
            "open_cases": board.open_cases(t),
            "overdue": board.overdue_steps(t),
            "outcomes": board.outcomes(t, s, area.performance),
            "months": t.month_rows(),
            "recommendations": board.recommendations(t),
            "prompts": board.second_report_prompts(t, s),
            "completion": board.completion(t, s),
        }
        held.read_at = t.version
    # Shared with every reader of the same scope until it changes: read, never altered.
    return held.parts


def _step_labels(counted: Any) -> dict[str, str]:
    """Every workflow's staff steps by name (the counted workflow's own names first)."""
    labels = {
        d.name: d.label for name in registry.workflow_names()
        for d in registry.workflow(name).deadlines
    }  # fmt: skip
    return labels | {d.name: d.label for d in counted.deadlines}
