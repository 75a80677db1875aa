"""Finding cases (/staff/cases, its CSV) and handing a case to another named contact.

Who may see which case, and who may be chosen as contact, are the engine's decisions
(engine/case_search.py, engine/services/named_contact.py); these routes parse and render.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from engine import case_search
from engine.errors import InvalidInput, StaleVersion
from engine.services import named_contact
from web.deps import ClockDep, SessionDep, SignedInStaff
from web.public.forms import read_date
from web.public.templating import redirect
from web.security import checked_form
from web.staff.routes import _cell, render

router = APIRouter(prefix="/staff", include_in_schema=False)
Many = Annotated[list[str], Query(max_length=100)]
DATE_PARTS = ("day", "month", "year")
# The names the page's own form sends; a bookmark keeps exactly these.
KEPT = ("q", "workflow", "locality", "state", "overdue", "sort") + tuple(
    f"{w}-{p}" for w in ("from", "to") for p in DATE_PARTS
)


def read_filter(
    params: Mapping[str, Any], multi: Mapping[str, list[str]]
) -> tuple[case_search.CaseFilter, dict[str, str]]:
    """The search asked for in the query string, and what is wrong with its dates or page."""
    errors: dict[str, str] = {}
    dates = {}
    for name, what in (("from", "the first received date"), ("to", "the last received date")):
        parts = [params.get(f"{name}-{p}") for p in DATE_PARTS]
        if any((p or "").strip() for p in parts):
            value, problem = read_date(parts, what=what)
            if problem:
                errors[name] = problem[1]
            dates[name] = value
    page_text = str(params.get("page") or "1")
    page = int(page_text) if page_text.isdigit() and len(page_text) < 7 else 0
    if page < 1:
        errors["page"] = "The page number must be a whole number, 1 or more."
    wanted = case_search.CaseFilter(
        q=str(params.get("q") or "")[:200],
        localities=tuple(multi.get("locality", [])),
        states=tuple(multi.get("state", [])),
        workflows=tuple(multi.get("workflow", [])),
        overdue=params.get("overdue") == "yes",
        received_from=dates.get("from"),
        received_to=dates.get("to"),
        sort=str(params.get("sort") or "received"),
        page=max(page, 1),
    )
    return wanted, errors


def _multi(request: Request) -> dict[str, list[str]]:
    return {k: request.query_params.getlist(k) for k in ("locality", "state", "workflow")}


@router.get("/cases")
def cases(request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep) -> Response:
    wanted, errors = read_filter(request.query_params, _multi(request))
    found = None
    if not errors:
        try:
            found = case_search.find_cases(session, actor=actor, wanted=wanted, today=clock.today())
        except InvalidInput as exc:
            errors = {e["field"]: e["message"] for e in exc.errors}
    context = _context(request, actor, wanted, found, errors)
    return render(request, "staff/cases.html", context, status=400 if errors else 200)


@router.get("/cases.csv")
def cases_csv(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    wanted, errors = read_filter(request.query_params, _multi(request))
    if errors:
        raise InvalidInput(next(iter(errors.values())), field=next(iter(errors)))
    rows = case_search.all_matching(session, actor=actor, wanted=wanted, today=clock.today())
    headers = {
        "content-disposition": f'attachment; filename="cases-{clock.today().isoformat()}.csv"',
        "cache-control": "no-store",
    }
    return Response(csv_text(rows), media_type="text/csv", headers=headers)


CSV_HEADINGS = (
    ("reference", "Case"),
    ("applicant", "Applicant"),
    ("postcode", "Postcode"),
    ("locality_name", "Locality"),
    ("state_label", "State"),
    ("received", "Received"),
    ("next_step", "Next step"),
    ("next_due", "Next deadline"),
    ("overdue", "Overdue"),
)


def csv_text(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([h for _, h in CSV_HEADINGS])
    for row in rows:
        cells = {**row, "overdue": "yes" if row["overdue"] else "no"}
        writer.writerow([_cell(cells[k] if cells[k] is not None else "") for k, _ in CSV_HEADINGS])
    return out.getvalue()


def _context(
    request: Request,
    actor: Any,
    wanted: case_search.CaseFilter,
    found: case_search.CasePage | None,
    errors: dict[str, str],
) -> dict[str, Any]:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k in KEPT and v != ""]
    query = urlencode(pairs)
    values = dict(request.query_params)
    return {
        "actor": actor,
        "nav": "cases",
        "found": found,
        "wanted": wanted,
        "values": values,
        "errors": errors,
        "error_list": [{"text": m, "href": f"#{_anchor(f)}"} for f, m in errors.items()],
        "localities": [
            {"value": k, "text": n, "checked": k in wanted.localities}
            for k, n in case_search.locality_options(actor)
        ],
        "workflows": [
            {"value": k, "text": n, "checked": k in wanted.workflows}
            for k, n in case_search.workflow_options()
        ],
        "states": [
            {"value": k, "text": n, "checked": k in wanted.states}
            for k, n in case_search.state_options()
        ],
        "sorts": [
            {"value": k, "text": t, "selected": k == wanted.sort}
            for k, t in case_search.SORTS.items()
        ],
        "query": query,
        "selected": _selected(pairs),
        "pagination": _pagination(found, pairs) if found else None,
    }


def _anchor(field: str) -> str:
    return {
        "from": "from-day",
        "to": "to-day",
        "received_to": "to-day",
        "state": "state-1",
        "locality": "locality-1",
        "workflow": "workflow",
    }.get(field, field)


def _selected(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """A tag per chosen filter, each a link to the same search without it."""
    tags = []
    words = {
        "q": "Search",
        "workflow": "Process",
        "locality": "Locality",
        "state": "State",
        "overdue": "Overdue",
    }
    titles = dict(case_search.workflow_options())
    for pair in pairs:
        name, value = pair
        if name not in words:
            continue
        kept = [p for p in pairs if p != pair]
        href = "/staff/cases" + (f"?{urlencode(kept)}" if kept else "")
        shown = titles.get(value, value) if name == "workflow" else value.replace("_", " ")
        text = "Step overdue" if name == "overdue" else f"{words[name]}: {shown}"
        tags.append({"text": text, "href": href})
    return tags


def _pagination(found: case_search.CasePage, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """GOV.UK pagination: the first, last and nearby pages, with gaps as ellipses."""

    def href(n: int) -> str:
        return "/staff/cases?" + urlencode([*pairs, ("page", str(n))])

    shown = sorted({1, found.pages, found.page - 1, found.page, found.page + 1})
    items: list[dict[str, Any]] = []
    before = 0
    for n in (n for n in shown if 1 <= n <= found.pages):
        if before and n - before > 1:
            items.append({"ellipsis": True})
        items.append({"number": str(n), "href": href(n), "current": n == found.page})
        before = n
    return {
        "items": items,
        "previous": {"href": href(found.page - 1)} if found.page > 1 else None,
        "next": {"href": href(found.page + 1)} if found.page < found.pages else None,
        "first": (found.page - 1) * case_search.PAGE_SIZE + 1,
        "last": min(found.page * case_search.PAGE_SIZE, found.total),
    }


# ---------------------------------------------------------------- the named contact


@router.get("/cases/{reference}/contact")
def contact_form(
    reference: str, request: Request, actor: SignedInStaff, session: SessionDep
) -> Response:
    found = named_contact.contact_choices(session, case_ref=reference, actor=actor)
    return _contact_page(request, actor, found, {}, {}, found["version"])


@router.post("/cases/{reference}/contact")
async def change_contact(
    reference: str, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    chosen, version = str(form.get("contact", "")), str(form.get("version", ""))
    reason = str(form.get("reason", ""))
    try:
        named_contact.reassign(
            session,
            clock=clock,
            case_ref=reference,
            actor=actor,
            contact_user_id=int(chosen) if chosen.isdigit() and len(chosen) < 12 else None,
            reason=reason,
            expected_version=int(version) if version.isdigit() and len(version) < 12 else -1,
        )
    except (InvalidInput, StaleVersion) as exc:
        session.rollback()
        found = named_contact.contact_choices(session, case_ref=reference, actor=actor)
        if isinstance(exc, StaleVersion):
            errors = {"contact": exc.detail}
        else:
            errors = {e["field"]: e["message"] for e in exc.errors}
        status = 409 if isinstance(exc, StaleVersion) else 422
        values = {"contact": chosen, "reason": reason}
        return _contact_page(request, actor, found, values, errors, found["version"], status=status)
    return redirect(request, f"/staff/cases/{reference}")  # the summary names the new contact


def _contact_page(
    request: Request,
    actor: Any,
    found: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str],
    version: int,
    *,
    status: int = 200,
) -> Response:
    context = {
        "actor": actor,
        "case": found,
        "values": values,
        "errors": errors,
        "version": version,
        "back_url": f"/staff/cases/{found['reference']}",
        "error_list": [{"text": m, "href": f"#{f}"} for f, m in errors.items()],
    }
    return render(request, "staff/contact.html", context, status=status)
