"""Complaints of ASB recorded by staff, and the 2025 guidance's second-report prompt.

The statutory guidance (July 2025) asks agencies to explain the case review to every victim
who makes a second report within six months. A complaint taken by an agency is stored as a
report with no case, keyed to the person like an application's reports, so that their
earlier reports (from applications, imports or other complaints) are found.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, EmailStr, Field
from sqlalchemy import func
from sqlmodel import Session, select

from engine import bulk, registry
from engine.access import Actor
from engine.clock import Clock
from engine.errors import InvalidInput, NotFound
from engine.inputs import NoNulModel
from engine.models import Report, ReportAudit
from engine.person_reports import EXPLAINED, PROMPT_SHOWN, load_person_reports
from engine.threshold import second_report_within_six_months
from workflows.community_trigger.services.applications import Agency
from workflows.community_trigger.services.intake import (
    complainant_key,
    intake_localities,
    require_intake,
)

RECORDED = "complaint_recorded"
LINKED = "complaint_linked"


class ComplaintIn(NoNulModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    locality: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=200)
    postcode: str | None = Field(default=None, max_length=10)
    email: EmailStr | None = None
    incident_on: date
    reported_on: date
    agency: Agency
    reference: str | None = Field(default=None, max_length=80)
    description: str = Field(min_length=1, max_length=2000)


@dataclass(frozen=True)
class Recorded:
    report_id: int
    second_report: bool
    earlier: list[date]


def record_complaint(
    session: Session, *, clock: Clock, complaint: ComplaintIn, actor: Actor
) -> Recorded:
    """Store the complaint as a caseless report; flag it if it is a second within six months."""
    require_intake(actor, complaint.locality)
    key = _check(complaint, clock.today())
    try:
        recorded = _record(session, clock, complaint, actor, key)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return recorded


def _check(c: ComplaintIn, today: date) -> str:
    key = complainant_key(email=c.email, name=c.name, postcode=c.postcode)
    if key is None:
        raise InvalidInput(
            "Enter the person's postcode (or their email address) so their reports can be matched.",
            field="postcode",
        )
    if c.incident_on > today:
        raise InvalidInput("The date of the incident cannot be in the future.", field="incident_on")
    if c.reported_on > today:
        raise InvalidInput("The date reported cannot be in the future.", field="reported_on")
    if c.reported_on < c.incident_on:
        raise InvalidInput(
            "The date reported cannot be before the date of the incident.", field="reported_on"
        )
    return key


def earlier_reports_within_six_months(session: Session, key: str, reported_on: date) -> list[date]:
    """The dates of the person's earlier reports whose six months include `reported_on`."""
    facts = load_person_reports(session, key, reported_on)
    return [
        f.reported_on
        for f in facts
        if second_report_within_six_months([f.reported_on], reported_on)
    ]


def _record(session: Session, clock: Clock, c: ComplaintIn, actor: Actor, key: str) -> Recorded:
    earlier = earlier_reports_within_six_months(session, key, c.reported_on)
    second = second_report_within_six_months(earlier, c.reported_on)
    report = Report(
        case_id=None,
        incident_id=None,
        incident_key=f"complaint/{secrets.token_hex(8)}",
        complainant_key=key,
        incident_on=c.incident_on,
        reported_on=c.reported_on,
        agency=c.agency,
        reference=c.reference,
        channel="staff",
        # Named in a case's threshold explanation if the complaint is linked to an incident.
        reporter=c.name,
    )
    report_id = bulk.insert_models_returning_ids(session, [report])[0]
    rows = [
        _audit(
            report_id,
            c.locality,
            RECORDED,
            actor,
            clock,
            {
                "description": c.description,
                "agency": c.agency,
                "reference": c.reference,
                "incident_on": c.incident_on.isoformat(),
                "reported_on": c.reported_on.isoformat(),
            },
        )
    ]
    if second:
        # The confirmation page shows the prompt straight after this commit.
        dates = [d.isoformat() for d in earlier]
        rows.append(_audit(report_id, c.locality, PROMPT_SHOWN, actor, clock, {"earlier": dates}))
    bulk.insert_models(session, *rows)
    return Recorded(report_id, second, earlier)


def _audit(
    report_id: int, locality: str, action: str, actor: Actor, clock: Clock, data: dict[str, Any]
) -> ReportAudit:
    return ReportAudit(
        report_id=report_id,
        occurred_at=clock.now(),
        actor_user_id=actor.user_id,
        actor_label=actor.label,
        locality_id=locality,
        action=action,
        data=data,
    )


def recorded_locality(session: Session, report_id: int) -> str | None:
    """The locality whose register a complaint is in; None when it is not a complaint."""
    return session.exec(
        select(ReportAudit.locality_id).where(
            ReportAudit.report_id == report_id, ReportAudit.action == RECORDED
        )
    ).first()


def record_link(
    session: Session,
    report_id: int,
    locality: str,
    reference: str,
    incident: int,
    actor_user_id: int | None,
    now: datetime,
) -> None:
    """The register's own note that a complaint now counts on a case (in the event's
    transaction, beside the case's audit row, which names who linked it)."""
    row = ReportAudit(
        report_id=report_id,
        occurred_at=now,
        actor_user_id=actor_user_id,
        actor_label="",
        locality_id=locality,
        action=LINKED,
        data={"case": reference, "incident": incident},
    )
    bulk.insert_models(session, row)


def complaint_view(session: Session, *, report_id: int, actor: Actor) -> dict[str, Any]:
    """A recorded complaint as its confirmation page shows it, to staff of its locality."""
    report = session.get(Report, report_id)
    rows = session.exec(
        select(ReportAudit).where(ReportAudit.report_id == report_id).order_by(ReportAudit.id)  # type: ignore[arg-type]
    ).all()
    by_action = {r.action: r for r in rows}
    recorded = by_action.get(RECORDED)
    # Someone else's locality gets "not found": a complaint names a person.
    if report is None or recorded is None or recorded.locality_id not in intake_localities(actor):
        raise NotFound("There is no complaint with that number.")
    prompt, explained = by_action.get(PROMPT_SHOWN), by_action.get(EXPLAINED)
    linked = by_action.get(LINKED)
    locality = registry.locality_area(recorded.locality_id).localities[recorded.locality_id]
    return {
        "id": report.id,
        "locality": locality.name,
        "agency": report.agency,
        "reference": report.reference,
        "incident_on": report.incident_on,
        "reported_on": report.reported_on,
        "description": recorded.data.get("description", ""),
        "recorded_by": recorded.actor_label,
        "second_report": prompt is not None,
        "earlier": [date.fromisoformat(d) for d in (prompt.data["earlier"] if prompt else [])],
        "explained_by": explained.actor_label if explained else None,
        "explained_at": explained.occurred_at if explained else None,
        "linked_case": linked.data.get("case") if linked else None,
        "linked_incident": linked.data.get("incident") if linked else None,
    }


def record_explained(session: Session, *, clock: Clock, report_id: int, actor: Actor) -> None:
    """The staff member says they explained the case review; recorded once per complaint."""
    view = complaint_view(session, report_id=report_id, actor=actor)
    if not view["second_report"]:
        raise InvalidInput(
            "This is not a second report within six months: there is nothing to record.",
            field="explained",
        )
    if view["explained_by"] is not None:
        session.rollback()
        return
    locality = session.exec(
        select(ReportAudit.locality_id).where(
            ReportAudit.report_id == report_id, ReportAudit.action == RECORDED
        )
    ).one()
    try:
        bulk.insert_models(session, _audit(report_id, locality, EXPLAINED, actor, clock, {}))
        session.commit()
    except Exception:
        session.rollback()
        raise


def case_review_prompts(session: Session, *, actor: Actor) -> dict[str, dict[str, int]]:
    """Per locality of the actor's: how often the prompt was shown and the review explained."""
    localities = intake_localities(actor) or _managed_localities(actor)
    rows = session.exec(
        select(ReportAudit.locality_id, ReportAudit.action, func.count())
        .where(
            ReportAudit.locality_id.in_(localities),  # type: ignore[attr-defined]
            ReportAudit.action.in_((PROMPT_SHOWN, EXPLAINED)),  # type: ignore[attr-defined]
        )
        .group_by(ReportAudit.locality_id, ReportAudit.action)
    ).all()
    counts: dict[str, dict[str, int]] = {}
    for locality, action, n in rows:
        counts.setdefault(locality, {PROMPT_SHOWN: 0, EXPLAINED: 0})[action] = n
    return counts


def _managed_localities(actor: Actor) -> list[str]:
    return [
        lid
        for g in actor.grants
        if g.role in ("manager", "admin")
        for lid in ([g.locality_id] if g.locality_id else registry.area(g.area_id).localities)
    ]
