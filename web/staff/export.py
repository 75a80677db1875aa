"""The managers' case export: a page choosing the date to export from, and the CSV itself.

Which cases a manager may export is the engine's decision (engine/services/case_export.py);
these routes parse the date, call it and deliver the rows.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine.errors import InvalidInput, NotAllowed
from engine.services.case_export import export_cases, export_localities
from web.deps import ClockDep, SessionDep, SignedInStaff
from web.staff.dashboard import parse_day
from web.staff.routes import render
from web.tables import csv_response

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("/export")
def export_page(request: Request, actor: SignedInStaff) -> Response:
    if not export_localities(actor):
        raise NotAllowed("Only managers can export cases.")
    return _page(request, actor)


@router.get("/export/cases.csv")
def export_csv(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    today = clock.today()
    try:
        since = parse_day(request.query_params, "since", "date to export from")
        export = export_cases(session, actor=actor, since=since, today=today)
        rows = list(export.rows)
    except InvalidInput as exc:
        return _page(request, actor, problem=exc.detail, status=422)
    name = f"cases-{since.isoformat() + '-to-' if since else ''}{today.isoformat()}.csv"
    return csv_response(name, export.headings, rows)


def _page(
    request: Request, actor: Any, *, problem: str | None = None, status: int = 200
) -> Response:
    context: dict[str, Any] = {
        "actor": actor,
        "nav": "export",
        "values": dict(request.query_params),
    }
    if problem:
        context["errors"] = {"since": problem}
        context["error_list"] = [{"text": problem, "href": "#since-day"}]
    return render(request, "staff/export.html", context, status=status)
