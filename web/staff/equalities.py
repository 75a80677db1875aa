"""The equalities report page for managers of the area: totals only, small numbers hidden."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine.dashboard import manager_area
from engine.equalities_report import equalities_report
from engine.errors import InvalidInput
from web.deps import ClockDep, SessionDep, SignedInStaff
from web.staff.routes import render
from web.tables import csv_response

router = APIRouter(prefix="/staff", include_in_schema=False)


def _report(request: Request, actor: Any, session: Any, clock: Any) -> Any:
    year = request.query_params.get("year", str(clock.today().year))
    return equalities_report(
        session, actor=actor, area_id=manager_area(actor), year=year, today=clock.today()
    )


@router.get("/equalities")
def equalities_page(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    context: dict[str, Any] = {
        "actor": actor,
        "nav": "equalities",
        "years": list(range(clock.today().year, 2013, -1)),
        "asked": request.query_params.get("year", str(clock.today().year)),
    }
    try:
        context["report"] = _report(request, actor, session, clock)
    except InvalidInput as exc:
        context["errors"] = {"year": exc.detail}
        context["error_list"] = [{"text": exc.detail, "href": "#year"}]
        return render(request, "staff/equalities.html", context, status=422)
    return render(request, "staff/equalities.html", context)


@router.get("/equalities.csv")
def equalities_csv(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    report = _report(request, actor, session, clock)
    rows = [
        [t.question, label, cell.text]
        for t in report.characteristics
        for label, cell in [*zip(t.labels, t.published.cells, strict=True),
                            ("Total", t.published.total)]
    ]  # fmt: skip
    return csv_response(
        f"equalities-{report.year}.csv", ["Question", "Answer", "Number of people"], rows
    )
