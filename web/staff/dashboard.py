"""The managers' performance dashboard page and a CSV of each of its tables.

Who may see which localities is the engine's decision (engine/dashboard.py); these routes
parse the filter, call the service and render.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine import registry
from engine.dashboard import managed_localities, manager_area
from engine.errors import InvalidInput, NotFound
from engine.services.dashboard import dashboard
from web.deps import ClockDep, SessionDep, SignedInStaff
from web.staff.dashboard_tables import every_table, outcome_summary, outcome_tables, tables
from web.staff.routes import render
from web.tables import csv_response

router = APIRouter(prefix="/staff", include_in_schema=False)
KEPT = ("locality", *(f"{n}-{p}" for n in ("from", "to") for p in ("day", "month", "year")))


def parse_day(params: Any, name: str, words: str) -> date | None:
    """A GOV.UK date input's three fields as a date; all empty is no date."""
    parts = [str(params.get(f"{name}-{p}", "")).strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        day, month, year = (int(p) for p in parts)
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(f"Enter a real {words}, like 1 4 2026.", field=name) from None


def _wanted(request: Request, clock: Any) -> dict[str, Any]:
    q = request.query_params
    return {
        "locality": q.get("locality") or None,
        "start": parse_day(q, "from", "start date"),
        "end": parse_day(q, "to", "end date"),
        "today": clock.today(),
    }


@router.get("/dashboard")
def dashboard_page(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    area_id = manager_area(actor)
    context: dict[str, Any] = {
        "actor": actor,
        "nav": "dashboard",
        "values": dict(request.query_params),
        "localities": [
            (lid, registry.area(area_id).localities[lid].name)
            for lid in managed_localities(actor, area_id)
        ],
        "query": urlencode([(k, v) for k, v in request.query_params.items() if k in KEPT and v]),
    }
    try:
        d = dashboard(session, actor=actor, area_id=area_id, **_wanted(request, clock))
    except InvalidInput as exc:
        anchor = {"from": "from-day", "to": "to-day"}.get(exc.field or "", exc.field)
        context["errors"] = {exc.field: exc.detail}
        context["error_list"] = [{"text": exc.detail, "href": f"#{anchor}"}]
        return render(request, "staff/dashboard.html", context, status=422)
    context.update(
        d=d,
        summary=outcome_summary(d),
        outcomes=outcome_tables(d),
        tables=tables(d),
    )
    return render(request, "staff/dashboard.html", context)


@router.get("/dashboard/{name}.csv")
def dashboard_csv(
    name: str, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    d = dashboard(session, actor=actor, **_wanted(request, clock))
    table = every_table(d).get(name)
    if table is None:
        raise NotFound(f"The dashboard has no table {name[:40]!r}.")
    return csv_response(f"dashboard-{name}-{d.scope.end}.csv", table.headings, table.rows)
