"""The JSON API under /api/v1: threshold check, applications, cases and their events."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from engine import queries, registry, worklists
from engine.errors import InvalidInput, NotFound
from engine.services.applications import ApplicationIn
from engine.services.cases import record_event
from engine.services.intake import submit_application
from engine.threshold import ReportFacts, assess
from web.api.schemas import (
    ApplicationOut,
    EventIn,
    EventOut,
    ThresholdCheckIn,
    ThresholdCheckOut,
)
from web.deps import ClockDep, SessionDep, StaffActor
from web.security import rate_limited

router = APIRouter(prefix="/api/v1")


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


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationOut,
    tags=["public"],
    dependencies=[Depends(rate_limited("submit"))],
)
def create_application(body: ApplicationIn, session: SessionDep, clock: ClockDep) -> ApplicationOut:
    """Apply for an ASB Case Review; answers with the reference and a private status link."""
    body = body.model_copy(update={"channel": "online"})
    done = submit_application(session, clock=clock, application=body)
    return ApplicationOut(
        reference=done.reference,
        status_token=done.status_token,
        status_url=f"/status/{done.status_token}",
        state="submitted",
    )


@router.get("/cases/{reference}", tags=["staff"])
def get_case(
    reference: str, session: SessionDep, clock: ClockDep, actor: StaffActor
) -> dict[str, Any]:
    """The case with its deadlines, history and the events the caller may fire now."""
    return queries.case_detail(session, reference=reference, actor=actor, clock=clock)


@router.get("/cases/{reference}/appeal-decision", tags=["staff"])
def get_appeal_decision(reference: str, session: SessionDep, actor: StaffActor) -> dict[str, Any]:
    """For the appeal chair: the decision they recorded (their access to the rest of the case
    ends with it)."""
    return queries.appeal_decision(session, reference=reference, actor=actor)


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
    detail = queries.case_detail(session, reference=reference, actor=actor, clock=clock)
    return EventOut(
        reference=case.reference, state=case.state, version=case.version, events=detail["events"]
    )


@router.get("/work", tags=["staff"])
def get_work(session: SessionDep, clock: ClockDep, actor: StaffActor) -> dict[str, Any]:
    """The caller's work queue: open deadlines they own, most urgent first, with RAG."""
    return {"items": worklists.work_queue(session, actor=actor, today=clock.today())}


@router.get("/overdue", tags=["staff"])
def get_overdue(
    session: SessionDep,
    clock: ClockDep,
    actor: StaffActor,
    localities: Annotated[list[str], Query(alias="locality", max_length=100)] = [],  # noqa: B006
    steps: Annotated[list[str], Query(alias="step", max_length=100)] = [],  # noqa: B006
) -> dict[str, Any]:
    """For managers: every missed deadline in their area, oldest first; `locality` and
    `step` (a deadline's name), each given any number of times, keep only those."""
    items = worklists.overdue(session, actor=actor, today=clock.today())
    return {"items": worklists.chosen(items, localities=localities, steps=steps)}


@router.get("/workflows/{name}", tags=["public"])
def get_workflow(name: str) -> dict[str, Any]:
    """States, transitions, roles and a Mermaid diagram, from the live definition."""
    try:
        wf = registry.workflow(name)
    except LookupError:
        raise NotFound(f"There is no workflow {name!r}.") from None
    return queries.workflow_description(wf)
