"""The s.104 figures of an area read from its audit trail, cached until the trail grows."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import case as case_
from sqlmodel import Session, col, select

from engine import figures, registry
from engine.clock import london_date
from engine.definitions import StatutoryFigureRules, WorkflowDef
from engine.errors import InvalidInput, NotFound
from engine.figures import CaseHistory, FigureEvent, Tally, YearTallies
from engine.models import AuditEvent, Case
from engine.trail import AUDIT, TrailCursor

# (audit id, case id, locality, instant, event): one counted audit row.
EventRow = tuple[int, int, str, Any, FigureEvent]
# Audit ids asked for in one statement at most.
ID_BATCH = 5000
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


@dataclass
class _Area:
    """One area's counts as of where its trail cursor is, with each case's history."""

    cursor: TrailCursor
    histories: dict[int, tuple[str, list[tuple[Any, int, FigureEvent]]]]
    tallies: YearTallies


class _Cache:
    """Every year's tallies per area, brought up to date from the audit rows added since.

    Every event that can change a figure writes an audit row (one transaction with the
    change), and audit rows are only ever inserted, so a cursor on the trail (engine/trail.py:
    the highest id seen, and the ids missing below it that a transaction still open may yet
    commit) says what is new: each read checks the highest id (an index-only lookup), and
    when the trail has grown only the new rows are read and only their cases recounted. A
    new application, decision or outcome shows at once, and nobody waits for the whole
    trail to be counted again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Per database engine (a process may talk to more than one, as the tests do).
        self._held: weakref.WeakKeyDictionary[Any, dict[str, _Area]] = weakref.WeakKeyDictionary()

    def tallies(self, session: Session, area_id: str) -> YearTallies:
        bind = session.get_bind()
        with self._lock:
            try:
                return self._tallies(session, bind, area_id)
            except BaseException:
                # Half caught up (the cursor moved, the counts did not): start again.
                self._held.get(bind, {}).pop(area_id, None)
                raise

    def _tallies(self, session: Session, bind: Any, area_id: str) -> YearTallies:
        held = self._held.setdefault(bind, {}).get(area_id)
        if held is None:
            held = _Area(TrailCursor(AUDIT), {}, figures.new_tallies())
            held.cursor.start(session)
            _count(held, load_events(session, area_id=area_id, where=held.cursor.seen()))
            self._held[bind][area_id] = held
        else:
            ids = [i for i, _ in held.cursor.new_rows(session)]
            if ids:
                _count(held, load_events(session, area_id=area_id, ids=ids))
        return held.tallies

    def clear(self) -> None:
        """Forget everything (the benchmark times a cold count with it)."""
        with self._lock:
            self._held.clear()


def _count(held: _Area, rows: list[EventRow]) -> None:
    """Add the new audit rows to their cases' histories and recount the cases they touch."""
    the_rules = rules()
    touched: dict[int, str] = {}
    for audit_id, case_id, locality, at, event in rows:
        old = held.histories.get(case_id)
        if case_id not in touched and old is not None:
            figures.apply_case(held.tallies, _history(old), the_rules, -1)
        touched[case_id] = locality
        held.histories.setdefault(case_id, (locality, []))[1].append((at, audit_id, event))
    for case_id in touched:
        locality, events = held.histories[case_id]
        events.sort(key=lambda e: (e[0], e[1]))
        figures.apply_case(held.tallies, _history((locality, events)), the_rules, +1)


def _history(held: tuple[str, list[tuple[Any, int, FigureEvent]]]) -> CaseHistory:
    return CaseHistory(held[0], tuple(e for _, _, e in held[1]))


CACHE = _Cache()


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
    return CACHE.tallies(session, area_id)


def available_years(today: date) -> list[int]:
    """The financial years the figures page offers, newest first."""
    return list(range(figures.financial_year(today), FIRST_YEAR - 1, -1))


def load_events(
    session: Session, *, area_id: str, ids: Sequence[int] | None = None, where: Any = None
) -> list[EventRow]:
    """(audit id, case id, locality, instant, event) of the audit rows the figures count:
    all of them, those meeting `where`, or those with `ids` (what is new since a read)."""
    if ids is not None and len(ids) > ID_BATCH:
        return [
            row
            for i in range(0, len(ids), ID_BATCH)
            for row in load_events(session, area_id=area_id, ids=ids[i : i + ID_BATCH])
        ]
    the_rules = rules()
    if ids is not None:
        # Built once per area, so that only the ids change and it is compiled once.
        stmt, params = _events_of_ids(area_id), {"ids": list(ids)}
    else:
        stmt, params = _events_statement(area_id), {}
        if where is not None:
            stmt = stmt.where(where)
    out = []
    for row in session.connection().execute(stmt, params):
        data = row[5] or {}
        event = FigureEvent(
            trigger=row[3],
            on=london_date(row[4]),
            override=bool(data.get(the_rules.override_field)),
            recommendations=len(data.get(the_rules.recommendations_field) or ()),
        )
        out.append((row[0], row[1], row[2], row[4], event))
    return out


def _events_statement(area_id: str) -> Any:
    """The audit rows of the area's cases the figures count, with what they need."""
    workflow_name, the_rules = _counted_workflow()
    wanted = sorted(_triggers(the_rules))
    with_data = sorted(set(the_rules.threshold_met) | set(the_rules.recommendations_recorded))
    # The payload only of the events that need it (a threshold met, a report recorded).
    payload = case_((col(AuditEvent.trigger).in_(with_data), col(AuditEvent.data)), else_=None)
    return (
        select(
            col(AuditEvent.id), col(AuditEvent.case_id), col(Case.locality_id),
            col(AuditEvent.trigger), col(AuditEvent.occurred_at), payload,
        )
        .join(Case, col(Case.id) == col(AuditEvent.case_id))
        .where(
            col(Case.area_id) == area_id,
            col(Case.workflow_name) == workflow_name,
            col(AuditEvent.trigger).in_(wanted),
        )
    )  # fmt: skip


@functools.lru_cache(maxsize=64)
def _events_of_ids(area_id: str) -> Any:
    return _events_statement(area_id).where(
        col(AuditEvent.id).in_(bindparam("ids", expanding=True))
    )


def load_histories(session: Session, *, area_id: str) -> list[CaseHistory]:
    """Each case's counted events, oldest first (the whole trail, uncached)."""
    cases: dict[int, tuple[str, list[tuple[Any, int, FigureEvent]]]] = {}
    for audit_id, case_id, locality, at, event in load_events(session, area_id=area_id):
        cases.setdefault(case_id, (locality, []))[1].append((at, audit_id, event))
    return [_history((loc, sorted(evs, key=lambda e: (e[0], e[1])))) for loc, evs in cases.values()]


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
    if not (text.isascii() and text.isdigit() and len(text) == 4):
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
