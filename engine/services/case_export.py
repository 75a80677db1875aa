"""Every case a manager may read as CSV rows, for Sentinel and spreadsheets.

One row per case: its reference, workflow, state, area, locality and dates, the first report
the applicant made (incident and report dates, agency, the agency's reference and the
complainant key, in the columns a Sentinel import reads, so an export imports back as
reports), then the columns each workflow package adds through its `export_columns` and
`export_values` hook (engine.definitions.WorkflowPackage). Equalities answers are never read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from engine import registry
from engine.access import READ_ONLY_ROLES, Actor
from engine.clock import LONDON, london_date
from engine.errors import InvalidInput, NotAllowed
from engine.models import Case, Report

BASE_COLUMNS = (
    "reference",
    "workflow",
    "state",
    "area",
    "locality",
    "received_on",
    "updated_on",
    "closed_on",
    "incident_on",
    "reported_on",
    "agency",
    "agency_reference",
    "complainant_key",
)
BATCH = 1000


@dataclass(frozen=True)
class Export:
    headings: tuple[str, ...]
    rows: Iterator[list[Any]]


def export_localities(actor: Actor) -> tuple[str, ...]:
    """The localities whose cases the actor may export: those they manage (or administer)."""
    found: list[str] = []
    for g in actor.grants:
        if g.role not in READ_ONLY_ROLES:
            continue
        area = registry.area(g.area_id)
        for lid in area.localities if g.locality_id is None else (g.locality_id,):
            if lid not in found:
                found.append(lid)
    return tuple(found)


def headings() -> tuple[str, ...]:
    extra: list[str] = []
    for package in registry.packages().values():
        extra += [c for c in package.export_columns if c not in extra and c not in BASE_COLUMNS]
    return (*BASE_COLUMNS, *extra)


def export_cases(session: Session, *, actor: Actor, since: date | None, today: date) -> Export:
    """The cases in the actor's localities changed on or after `since` (every case without)."""
    localities = export_localities(actor)
    if not localities:
        raise NotAllowed("Only managers can export cases.")
    if since is not None and since > today:
        raise InvalidInput("The date to export from must be today or in the past.", field="since")
    names = headings()
    return Export(names, _rows(session, localities, since, names))


def _rows(
    session: Session, localities: Sequence[str], since: date | None, names: tuple[str, ...]
) -> Iterator[list[Any]]:
    query = (
        select(
            Case.id,
            Case.reference,
            Case.workflow_name,
            Case.state,
            Case.area_id,
            Case.locality_id,
            Case.submitted_at,
            Case.updated_at,
            Case.closed_at,
        )
        .where(Case.locality_id.in_(localities))  # type: ignore[attr-defined]
        .order_by(Case.id)  # type: ignore[arg-type]
    )
    if since is not None:
        query = query.where(Case.updated_at >= datetime.combine(since, time.min, tzinfo=LONDON))
    cases = session.connection().execute(query).all()
    for start in range(0, len(cases), BATCH):
        batch = cases[start : start + BATCH]
        reports = _first_reports(session, [c.id for c in batch])
        extra = _package_values(session, batch)
        for c in batch:
            r = reports.get(c.id)
            row: dict[str, Any] = {
                "reference": c.reference,
                "workflow": c.workflow_name,
                "state": c.state,
                "area": c.area_id,
                "locality": c.locality_id,
                "received_on": _day(c.submitted_at),
                "updated_on": _day(c.updated_at),
                "closed_on": _day(c.closed_at),
                "incident_on": r.incident_on.isoformat() if r else None,
                "reported_on": r.reported_on.isoformat() if r else None,
                "agency": r.agency if r else None,
                "agency_reference": r.reference if r else None,
                "complainant_key": r.complainant_key if r else None,
                **extra.get(c.id, {}),
            }
            yield [row.get(name) for name in names]


def _day(instant: datetime | None) -> str | None:
    return london_date(instant).isoformat() if instant else None


def _first_reports(session: Session, case_ids: list[int]) -> dict[int, Any]:
    """Each case's first report by the applicant (others' reports are not the applicant's)."""
    rows = session.connection().execute(
        select(
            Report.case_id,
            Report.incident_on,
            Report.reported_on,
            Report.agency,
            Report.reference,
            Report.complainant_key,
        )
        .where(Report.case_id.in_(case_ids), Report.reporter.is_(None))  # type: ignore[union-attr]
        .order_by(Report.id.desc())  # type: ignore[union-attr]
    )
    return {r.case_id: r for r in rows}  # the last one written for a case is its first


def _package_values(session: Session, batch: Sequence[Any]) -> dict[int, dict[str, Any]]:
    by_workflow: dict[str, list[int]] = {}
    for c in batch:
        by_workflow.setdefault(c.workflow_name, []).append(c.id)
    values: dict[int, dict[str, Any]] = {}
    for name, ids in by_workflow.items():
        package = registry.packages().get(name)
        if package is not None and package.export_values is not None:
            for case_id, columns in package.export_values(session, ids).items():
                values[case_id] = {k: columns.get(k) for k in package.export_columns}
    return values
