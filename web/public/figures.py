"""The public figures page (s.104's four figures per financial year), its CSV and JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from engine.errors import EngineError
from engine.figures import COUNTING_RULES, FIGURE_LABELS, FIGURES, financial_year
from engine.services import figures as figures_service
from web.deps import ClockDep, SessionDep
from web.errors import problem
from web.public.templating import render
from web.tables import csv_response

router = APIRouter(include_in_schema=False)


def _year_asked(request: Request, clock: ClockDep) -> str:
    # Without a choice: the last whole financial year, the one an annual report publishes.
    default = financial_year(clock.today()) - 1
    return request.query_params.get("year", str(default))


@router.get("/figures")
def figures_page(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    area_id = request.app.state.settings.public_area
    asked = _year_asked(request, clock)
    context: dict[str, Any] = {
        "years": figures_service.available_years(clock.today()),
        "current_year": financial_year(clock.today()),
        "labels": FIGURE_LABELS,
        "names": FIGURES,
        "rules": COUNTING_RULES,
        "asked": asked,
    }
    try:
        found = figures_service.statutory_figures(
            session, area_id=area_id, year=asked, today=clock.today()
        )
    except EngineError as exc:
        context["error_list"] = [{"text": exc.detail, "href": "#year"}]
        context["errors"] = {"year": exc.detail}
        return render(request, "public/figures/figures.html", context, status=exc.status)
    context["found"] = found
    return render(request, "public/figures/figures.html", context)


@router.get("/figures.csv")
def figures_csv(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    found = _found(request, session, clock)
    headings = ["Locality", *(FIGURE_LABELS[f] for f in FIGURES), "Notes"]
    rows = [[r["name"], *(r[f] for f in FIGURES), "; ".join(r["notes"])] for r in found.rows()]
    return csv_response(f"case-review-figures-{found.year}.csv", headings, rows)


@router.get("/figures.json")
def figures_json(request: Request, session: SessionDep, clock: ClockDep) -> Response:
    try:
        found = _found(request, session, clock)
    except EngineError as exc:
        return problem(exc.status, exc.title, exc.detail, field=exc.field)
    body = {
        **found.as_json(),
        "period": found.label,
        "notes": {r["id"]: r["notes"] for r in found.rows() if r["id"] != "total"},
        "counting_rules": dict(COUNTING_RULES),
    }
    return JSONResponse(body)


def _found(request: Request, session: Any, clock: Any) -> figures_service.YearFigures:
    # Bad input here is answered by the public error handler (problem JSON naming the field
    # for JSON, a page otherwise), never a 500.
    return figures_service.statutory_figures(
        session,
        area_id=request.app.state.settings.public_area,
        year=_year_asked(request, clock),
        today=clock.today(),
    )
