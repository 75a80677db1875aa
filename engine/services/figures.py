"""The s.104 figures of an area read from its audit trail, cached until the trail grows."""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from engine import figures, registry
from engine.clock import london_date
from engine.definitions import StatutoryFigureRules, WorkflowDef
from engine.errors import InvalidInput, NotFound
from engine.figures import CaseHistory, FigureEvent, Tally, YearTallies
from engine.models import AuditEvent, Case

# The first financial year the figures are asked for (the Act came into force in 2014).
FIRST_YEAR = 2014


@dataclass(frozen=True)
class YearFigures:
    """One financial year's figures for an area: per locality, the total, and notes."""

    area_id: str
    area_name: str
    year: int
    localities: dict[str, Tally]
    locality_names: dict[str, str]
    total: Tally

    @property
    def label(self) -> str:
        return figures.year_label(self.year)

    def as_json(self) -> dict[str, Any]:
        """The fixed shape of GET /api/v1/figures."""
        return {
            "area": self.area_id,
            "year": self.year,
            "localities": {lid: t.as_figures() for lid, t in self.localities.items()},
            "total": self.total.as_figures(),
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per locality then the total, each with its notes as sentences."""
        out = [
            {"id": lid, "name": self.locality_names[lid], **t.as_figures(), "notes": _notes(t)}
            for lid, t in self.localities.items()
        ]
        out.append({"id": "total", "name": self.area_name, **self.total.as_figures(), "notes": []})
        return out


def _notes(tally: Tally) -> list[str]:
    return figures.note_sentences(tally.notes)


class _Cache:
    """Every year's tallies per area, kept while no audit row has been added since.

    Every event that can change a figure writes an audit row (one transaction with the
    change), and audit rows are only ever inserted, so the highest audit id is a version
    of the whole trail: a new application, decision or outcome shows at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Per database engine (a process may talk to more than one, as the tests do).
        self._held: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, YearTallies]]]
        self._held = weakref.WeakKeyDictionary()

    def get(self, bind: Any, area_id: str, mark: int) -> YearTallies | None:
        with self._lock:
            held = self._held.get(bind, {}).get(area_id)
        return held[1] if held and held[0] == mark else None

    def put(self, bind: Any, area_id: str, mark: int, tallies: YearTallies) -> None:
        with self._lock:
            self._held.setdefault(bind, {})[area_id] = (mark, tallies)

    def clear(self) -> None:
        """Forget everything (the benchmark times a cold count with it)."""
        with self._lock:
            self._held.clear()


CACHE = _Cache()


def trail_mark(session: Session) -> int:
    """The audit trail's high-water mark (an index-only read of the primary key)."""
    return int(session.exec(select(func.max(AuditEvent.id))).one() or 0)


def statutory_figures(session: Session, *, area_id: str, year: Any, today: date) -> YearFigures:
    """The four figures for one financial year (the one beginning in April of `year`)."""
    area = _area(area_id)
    fy = _year(year, today)
    tallies = year_tallies(session, area_id=area.id)
    held = tallies.get(fy, {})
    localities = {lid: held.get(lid, Tally()) for lid in area.localities}
    total = Tally()
    for tally in localities.values():
        total.add(tally)
    names = {lid: loc.name for lid, loc in area.localities.items()}
    return YearFigures(area.id, area.name, fy, localities, names, total)


def year_tallies(session: Session, *, area_id: str) -> YearTallies:
    """Every year's tallies for the area, from the cache while the trail is unchanged."""
    mark, bind = trail_mark(session), session.get_bind()
    cached = CACHE.get(bind, area_id, mark)
    if cached is not None:
        return cached
    tallies = figures.count_histories(load_histories(session, area_id=area_id), rules())
    CACHE.put(bind, area_id, mark, tallies)
    return tallies


def available_years(today: date) -> list[int]:
    """The financial years the figures page offers, newest first."""
    return list(range(figures.financial_year(today), FIRST_YEAR - 1, -1))


def load_histories(session: Session, *, area_id: str) -> list[CaseHistory]:
    """Each case's events that the figures count, oldest first, in one read of the trail."""
    workflow_name, rules = _counted_workflow()
    wanted = _triggers(rules)
    with_data = set(rules.threshold_met) | set(rules.recommendations_recorded)
    stmt = (
        select(
            col(AuditEvent.case_id),
            col(Case.locality_id),
            col(AuditEvent.trigger),
            col(AuditEvent.occurred_at),
        )
        .join(Case, col(Case.id) == col(AuditEvent.case_id))
        .where(
            col(Case.area_id) == area_id,
            col(Case.workflow_name) == workflow_name,
            col(AuditEvent.trigger).in_(wanted - with_data),
        )
    )
    rows = [(*r, None) for r in session.execute(stmt)]
    data_stmt = (
        select(
            col(AuditEvent.case_id),
            col(Case.locality_id),
            col(AuditEvent.trigger),
            col(AuditEvent.occurred_at),
            col(AuditEvent.data),
        )
        .join(Case, col(Case.id) == col(AuditEvent.case_id))
        .where(
            col(Case.area_id) == area_id,
            col(Case.workflow_name) == workflow_name,
            col(AuditEvent.trigger).in_(with_data),
        )
    )
    rows += list(session.execute(data_stmt))
    return _histories(rows, rules)


def _histories(rows: list[Any], rules: Any) -> list[CaseHistory]:
    events: dict[int, list[tuple[Any, FigureEvent]]] = defaultdict(list)
    localities: dict[int, str] = {}
    for case_id, locality, trigger, at, data in rows:
        localities[case_id] = locality
        data = data or {}
        event = FigureEvent(
            trigger=trigger,
            on=london_date(at),
            override=bool(data.get(rules.override_field)),
            recommendations=len(data.get(rules.recommendations_field) or ()),
        )
        events[case_id].append((at, event))
    return [
        CaseHistory(localities[cid], tuple(e for _, e in sorted(evs, key=lambda p: p[0])))
        for cid, evs in events.items()
    ]


def _triggers(rules: Any) -> set[str]:
    return set(
        rules.received
        + rules.threshold_met
        + rules.threshold_not_met
        + rules.review_completed
        + rules.recommendations_recorded
        + rules.withdrawn
        + rules.appeal_upheld
    )


def counted_workflow_def() -> WorkflowDef:
    """The workflow whose cases are the statutory case reviews (it names its figure rules)."""
    for name in registry.workflow_names():
        wf = registry.workflow(name)
        if wf.figures is not None:
            return wf
    raise LookupError("no workflow says which events the statutory figures count")


def _counted_workflow() -> tuple[str, StatutoryFigureRules]:
    wf = counted_workflow_def()
    assert wf.figures is not None
    return wf.name, wf.figures


def rules() -> StatutoryFigureRules:
    return _counted_workflow()[1]


def _area(area_id: Any) -> registry.AreaConfig:
    try:
        return registry.area(str(area_id))
    except LookupError:
        raise NotFound(f"There is no area {str(area_id)[:40]!r}.", field="area") from None


def _year(year: Any, today: date) -> int:
    text = str(year).strip()
    if not (text.isdigit() and len(text) == 4):
        raise InvalidInput(
            "Enter the year the financial year begins in, as four digits, like 2026.",
            field="year",
        )
    fy, current = int(text), figures.financial_year(today)
    if fy < FIRST_YEAR:
        raise NotFound(
            f"There are no figures before the year beginning April {FIRST_YEAR}.", field="year"
        )
    if fy > current:
        raise NotFound(f"The year beginning April {fy} has not started yet.", field="year")
    return fy
