"""The JSON API under /api/v1: threshold check, applications, cases and their events."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.dependencies.models import Dependant

from engine import case_search, queries, registry, worklists
from engine.errors import InvalidInput, NotFound
from engine.services import case_views, figures
from engine.services.cases import record_event
from engine.threshold import ReportFacts, assess
from web.api.schemas import (
    ApplicationOut,
    EventIn,
    EventOut,
    FiguresOut,
    ThresholdCheckIn,
    ThresholdCheckOut,
)
from web.deps import ClockDep, SessionDep, StaffActor
from web.security import rate_limited
from workflows.community_trigger.services import appeals, idempotency
from workflows.community_trigger.services.applications import ApplicationIn
from workflows.community_trigger.services.intake import submit_application

router = APIRouter(prefix="/api/v1")


async def known_query(request: Request) -> None:
    """Refuse a query parameter the route does not take: a misspelt filter (`?localty=`)
    would otherwise be ignored and the caller shown more than they asked for."""
    route = request.scope["route"]
    taken = _query_names(route.dependant)
    if unknown := sorted(k for k in request.query_params if k not in taken):
        name = unknown[0][:40] or "query"
        raise InvalidInput(f"This route takes no query parameter {name!r}.", field=name)


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


# Only a written date: pydantic would also take a number as seconds since 1970.
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _iso_date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value[:10]!r} is not a real date (YYYY-MM-DD).", field=name) from None


# After the caller's token in each signature, so a request without one still gets 401.
KnownQuery = Annotated[None, Depends(known_query)]


@router.post(
    "/threshold-check",
    response_model=ThresholdCheckOut,
    tags=["public"],
    dependencies=[Depends(rate_limited("check"))],
)
def threshold_check(body: ThresholdCheckIn, clock: ClockDep) -> dict[str, Any]:
    """Whether a set of reports meets the area's threshold, and why, report by report."""
    try:
        area = registry.area(body.area)
    except LookupError:
        raise InvalidInput(f"There is no area {body.area!r}.", field="area") from None
    if body.application_date > clock.today():
        raise InvalidInput(
            "The application date cannot be in the future.", field="application_date"
        )
    for i, r in enumerate(body.reports):
        if r.reported_date < r.incident_date:
            raise InvalidInput(
                "A report cannot be made before the incident happened.",
                field=f"reports.{i}.reported_date",
            )
    facts = [
        ReportFacts(
            incident=r.incident,
            incident_on=r.incident_date,
            reported_on=r.reported_date,
            agency=r.agency,
            complainant=r.complainant,
        )
        for r in body.reports
    ]
    result = assess(
        facts,
        application_date=body.application_date,
        hate_incident=body.hate_incident,
        rules=area.threshold,
    )
    return result.as_dict()


# Printable ASCII without spaces (a UUID is the usual choice), as the header draft asks.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=r"^[!-~]+$",
        description="Any unique string (a UUID): a retry with the same key and body gets the "
        "first answer back and opens no second case.",
    ),
]


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationOut,
    tags=["public"],
    dependencies=[Depends(rate_limited("submit"))],
)
def create_application(
    body: ApplicationIn,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ApplicationOut:
    """Apply for an ASB Case Review; answers with the reference and a private status link.

    With an `Idempotency-Key` header, a retry of the same request (the same key and body,
    within 24 hours) gets the first answer back and opens no second case.
    """
    body = body.model_copy(update={"channel": "online"})
    if idempotency_key is None:
        done = submit_application(session, clock=clock, application=body)
        reference, token = done.reference, done.status_token
    else:
        answer = idempotency.submit_application_once(
            session, clock=clock, application=body, key=idempotency_key
        )
        reference, token = answer.body["reference"], answer.body["status_token"]
        if answer.replayed:
            response.headers["idempotent-replayed"] = "true"
    return ApplicationOut(
        reference=reference, status_token=token, status_url=f"/status/{token}", state="submitted"
    )


@router.get("/cases", tags=["staff"])
def find_cases(
    session: SessionDep,
    clock: ClockDep,
    actor: StaffActor,
    _known: KnownQuery,
    q: Annotated[str, Query(max_length=100)] = "",
    localities: Annotated[list[str], Query(alias="locality", max_length=100)] = [],  # noqa: B006
    states: Annotated[list[str], Query(alias="state", max_length=100)] = [],  # noqa: B006
    overdue: bool = False,
    received_from: Annotated[str | None, Query(pattern=ISO_DATE, description="YYYY-MM-DD")] = None,
    received_to: Annotated[str | None, Query(pattern=ISO_DATE, description="YYYY-MM-DD")] = None,
    sort: Annotated[str, Query(max_length=20)] = "received",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> dict[str, Any]:
    """The cases you may open, as /staff/cases lists them: `q` (a reference or its start,
    its number, or words of the applicant's name, postcode or address), `locality` and
    `state` (each any number of times), `overdue`, `received_from`/`received_to`, `sort`
    (received, reference, state, deadline) and `page` (50 a page)."""
    wanted = case_search.CaseFilter(
        q=q,
        localities=tuple(localities),
        states=tuple(states),
        overdue=overdue,
        received_from=_iso_date(received_from, "received_from"),
        received_to=_iso_date(received_to, "received_to"),
        sort=sort,
        page=page,
    )
    found = case_search.find_cases(session, actor=actor, wanted=wanted, today=clock.today())
    return {
        "cases": found.rows,
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
        "page_size": case_search.PAGE_SIZE,
    }


@router.get("/cases/{reference}", tags=["staff"])
def get_case(
    reference: str, session: SessionDep, clock: ClockDep, actor: StaffActor
) -> dict[str, Any]:
    """The case with its deadlines, history and the events the caller may fire now."""
    return case_views.case_api(session, reference=reference, actor=actor, clock=clock)


@router.get("/cases/{reference}/appeal-decision", tags=["staff"])
def get_appeal_decision(reference: str, session: SessionDep, actor: StaffActor) -> dict[str, Any]:
    """For the appeal chair: the decision they recorded (their access to the rest of the case
    ends with it)."""
    return appeals.appeal_decision(session, reference=reference, actor=actor)


@router.post("/cases/{reference}/events", response_model=EventOut, tags=["staff"])
def post_event(
    reference: str, body: EventIn, session: SessionDep, clock: ClockDep, actor: StaffActor
) -> EventOut:
    """Record one workflow event; 409 when the version is stale or the event not allowed now."""
    case = record_event(
        session,
        clock=clock,
        case_ref=reference,
        event=body.event,
        data=body.data,
        actor=actor,
        expected_version=body.version,
    )
    events = queries.events_now(session, case=case, actor=actor, clock=clock)
    return EventOut(reference=case.reference, state=case.state, version=case.version, events=events)


@router.get("/work", tags=["staff"])
def get_work(session: SessionDep, clock: ClockDep, actor: StaffActor) -> dict[str, Any]:
    """The caller's work queue: open deadlines they own, most urgent first, with RAG."""
    return {"items": worklists.work_queue(session, actor=actor, today=clock.today())}


@router.get("/overdue", tags=["staff"])
def get_overdue(
    session: SessionDep,
    clock: ClockDep,
    actor: StaffActor,
    _known: KnownQuery,
    localities: Annotated[list[str], Query(alias="locality", max_length=100)] = [],  # noqa: B006
    steps: Annotated[list[str], Query(alias="step", max_length=100)] = [],  # noqa: B006
) -> dict[str, Any]:
    """For managers: every missed deadline in their area, oldest first; `locality` and
    `step` (a deadline's name), each given any number of times, keep only those."""
    items = worklists.overdue(session, actor=actor, today=clock.today())
    return {"items": worklists.chosen(items, localities=localities, steps=steps)}


@router.get("/figures", response_model=FiguresOut, tags=["public"])
def get_figures(
    session: SessionDep,
    clock: ClockDep,
    _known: KnownQuery,
    area: Annotated[str, Query(min_length=1, max_length=40, description="The area, e.g. llr")],
    year: Annotated[
        str,
        Query(
            min_length=1,
            max_length=10,
            description="The financial year, named by the year it begins: 2026 is April 2026 "
            "to March 2027.",
        ),
    ],
) -> dict[str, Any]:
    """The four s.104 figures for one financial year, per locality and for the area."""
    found = figures.statutory_figures(session, area_id=area, year=year, today=clock.today())
    return found.as_json()


@router.get("/workflows/{name}", tags=["public"])
def get_workflow(name: str) -> dict[str, Any]:
    """States, transitions, roles and a Mermaid diagram, from the live definition."""
    try:
        wf = registry.workflow(name)
    except LookupError:
        raise NotFound(f"There is no workflow {name!r}.") from None
    return queries.workflow_description(wf)
