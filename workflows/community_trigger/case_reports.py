"""Who reported each incident on a case, and the threshold assessment worked out again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import Session

from engine import registry
from engine.clock import london_date
from engine.errors import InvalidInput
from engine.models import Case, Incident, Party, Report
from engine.person_reports import complainant_key, digest, squash
from engine.threshold import ReportFacts, assess, format_date

if TYPE_CHECKING:
    from engine.rules import EffectContext

# The key an application's own reports carry until the case has a reference.
APPLICANT = "applicant"


@dataclass(frozen=True)
class Applicant:
    name: str
    email: str | None


def reporter_key(name: str, email: str | None, applicant: Applicant, case_ref: str) -> str | None:
    """The key of another person who reported an incident; None when it is the applicant.

    With an email address the person is the same one across cases and complaints; without
    one, people are told apart by the name given, within this case only: two entries both
    called "a neighbour" are taken to be one person (give each a different description).
    """
    if squash(name) == squash(applicant.name):
        return None
    if email and applicant.email and email.strip().lower() == applicant.email.strip().lower():
        return None
    return complainant_key(email=email) or f"case:{case_ref}/named:{digest(squash(name))}"


def contact_text(email: str | None, phone: str | None, consent: bool, field: str) -> str | None:
    """Another person's contact details, kept only with their agreement to be contacted."""
    given = [part for part in (email, phone) if part]
    if given and not consent:
        raise InvalidInput(
            "Contact details for someone else can be kept only if they agreed to be contacted: "
            "confirm they agreed, or leave their details out.",
            field=field,
        )
    return ", ".join(given) or None


def check_report_date(reported_on: date, incident_on: date, today: date, field: str) -> None:
    if reported_on > today:
        raise InvalidInput("The date reported cannot be in the future.", field=field)
    if reported_on < incident_on:
        raise InvalidInput("A report cannot be made before the incident happened.", field=field)


# --- the assessment from what is stored --------------------------------------------------------

_FACTS = (
    select(
        Report.incident_key,
        Report.incident_on,
        Report.reported_on,
        Report.agency,
        Report.complainant_key,
        Report.reporter,
    )
    .join(Incident, Incident.id == Report.incident_id)  # type: ignore[arg-type]
    # The case page lists reports in this order, and the findings are numbered by it.
    .order_by(Incident.id, Report.id)  # type: ignore[arg-type]
)


def case_facts(session: Session, case_id: int) -> list[ReportFacts]:
    """Every report of the case's incidents (linked register complaints too), in page order."""
    rows = session.connection().execute(_FACTS.where(Report.case_id == case_id))
    return [
        ReportFacts(
            incident=r.incident_key,
            incident_on=r.incident_on,
            reported_on=r.reported_on,
            agency=r.agency,
            complainant=r.complainant_key,
            who=r.reporter or "",
        )
        for r in rows
    ]


def reassess(session: Session, case: Case, *, trigger: str, now: datetime) -> None:
    """Work the case's threshold assessment out again, keeping what it said before."""
    area = registry.area(case.area_id)
    result = assess(
        case_facts(session, case.id),  # type: ignore[arg-type]
        application_date=case.application_on,
        hate_incident=case.hate_incident,
        rules=area.threshold,
    )
    old = case.threshold_assessment or {}
    new: dict[str, Any] = result.as_dict()
    change = {"event": trigger, "at": now.isoformat(), "before": _brief(old), "after": _brief(new)}
    # A new dict, never the old one changed: the machine writes only fields that differ.
    new["changes"] = [*old.get("changes", []), change]
    case.threshold_assessment = new


def _brief(assessment: dict[str, Any]) -> dict[str, Any]:
    return {
        "met": bool(assessment.get("met")),
        "route": assessment.get("route"),
        "explanation": assessment.get("explanation", ""),
    }


# --- reading the case ---------------------------------------------------------------------------


def applicant_of(session: Session, case_id: int) -> Applicant:
    row = (
        session.connection()
        .execute(
            select(Party.name, Party.email).where(
                Party.case_id == case_id, Party.kind == "applicant"
            )
        )
        .first()
    )
    return Applicant(row.name, row.email) if row else Applicant("", None)


def applicant_key(session: Session, case_id: int) -> str:
    """The key the applicant's own reports on this case carry."""
    found = session.connection().execute(
        select(Report.complainant_key)
        .where(Report.case_id == case_id, Report.reporter.is_(None))  # type: ignore[union-attr]
        .order_by(Report.id)  # type: ignore[arg-type]
        .limit(1)
    )
    key = found.scalar_one_or_none()
    if key is None:
        raise InvalidInput("This case has no report by the applicant.", field="data")
    return key


def incident_numbered(session: Session, case_id: int, seq: int, field: str) -> Incident:
    table = Incident.__table__  # type: ignore[attr-defined]
    found = (
        session.connection()
        .execute(select(table).where(table.c.case_id == case_id, table.c.seq == seq))
        .first()
    )
    if found is None:
        raise InvalidInput(f"This case has no incident {seq}.", field=field)
    return Incident(**found._mapping)


def next_incident_seq(session: Session, case_id: int) -> int:
    found = session.connection().execute(
        select(func.max(Incident.seq)).where(Incident.case_id == case_id)
    )
    return (found.scalar_one_or_none() or 0) + 1


# --- effects: incidents, reports and register complaints added before the decision -----------

_INCIDENT = Incident.__table__  # type: ignore[attr-defined]
_REPORT = Report.__table__  # type: ignore[attr-defined]


def add_incident(ctx: EffectContext) -> None:
    """A further incident the applicant told staff about, with its first report."""
    d, today = ctx.data, london_date(ctx.now)
    if d.occurred_on > today:
        raise InvalidInput("The incident date cannot be in the future.", field="data.occurred_on")
    check_report_date(d.reported_on, d.occurred_on, today, "data.reported_on")
    seq = next_incident_seq(ctx.session, ctx.case.id)  # type: ignore[arg-type]
    row = {
        "case_id": ctx.case.id,
        "seq": seq,
        "occurred_on": d.occurred_on,
        "place": d.place,
        "description": d.description,
        "hate_incident": d.hate_incident,
        "perceived_characteristic": None,
    }
    incident_id = (
        ctx.session.connection()
        .execute(_INCIDENT.insert().returning(_INCIDENT.c.id), row)
        .scalar_one()
    )
    incident = Incident(id=incident_id, **row)
    by = _Reporter(d.reported_by, None, None) if d.reported_by else None
    _insert_report(ctx, incident, d.reported_to, d.reported_on, d.reference, by)
    if d.hate_incident:
        ctx.case.hate_incident = True
    reassess(ctx.session, ctx.case, trigger=ctx.trigger, now=ctx.now)


def add_report(ctx: EffectContext) -> None:
    """Another report of one of the case's incidents: by the applicant or someone else."""
    d = ctx.data
    incident = incident_numbered(ctx.session, ctx.case.id, d.incident, "data.incident")  # type: ignore[arg-type]
    check_report_date(d.reported_on, incident.occurred_on, london_date(ctx.now), "data.reported_on")
    contact = contact_text(
        d.reporter_email, d.reporter_phone, d.contact_consent, "data.contact_consent"
    )
    if contact and not d.reported_by:
        raise InvalidInput(
            "Contact details are kept only for someone other than the applicant: say who "
            "reported it.",
            field="data.reported_by",
        )
    by = _Reporter(d.reported_by, d.reporter_email, contact) if d.reported_by else None
    _insert_report(ctx, incident, d.reported_to, d.reported_on, d.reference, by)
    reassess(ctx.session, ctx.case, trigger=ctx.trigger, now=ctx.now)


@dataclass(frozen=True)
class _Reporter:
    """Someone other than the applicant, as staff named them."""

    name: str
    email: str | None
    contact: str | None  # email and phone as kept: only with their consent


def _insert_report(
    ctx: EffectContext,
    incident: Incident,
    agency: str,
    reported_on: date,
    reference: str | None,
    by: _Reporter | None,
) -> None:
    own = applicant_key(ctx.session, ctx.case.id)  # type: ignore[arg-type]
    key = None
    if by is not None:
        applicant = applicant_of(ctx.session, ctx.case.id)  # type: ignore[arg-type]
        key = reporter_key(by.name, by.email, applicant, ctx.case.reference)
    ctx.session.connection().execute(
        _REPORT.insert(),
        {
            "case_id": ctx.case.id,
            "incident_id": incident.id,
            "incident_key": f"{ctx.case.reference}/{incident.seq}",
            "complainant_key": key or own,
            "incident_on": incident.occurred_on,
            "reported_on": reported_on,
            "agency": agency,
            "reference": reference,
            "channel": "staff",
            "officer": None,
            "reporter": by.name if by and key else None,
            "reporter_contact": by.contact if by and key else None,
        },
    )


def link_complaint(ctx: EffectContext) -> None:
    """A complaint from the locality's register, made about one of the case's incidents."""
    from workflows.community_trigger.services import (
        complaints,  # complaints builds on intake, which needs this
    )

    d, conn = ctx.data, ctx.session.connection()
    found = conn.execute(select(_REPORT).where(_REPORT.c.id == d.complaint)).first()
    locality = complaints.recorded_locality(ctx.session, d.complaint)
    if found is None or locality != ctx.case.locality_id:
        raise InvalidInput(
            f"There is no complaint {d.complaint} in this locality's register.",
            field="data.complaint",
        )
    if found.case_id is not None:
        raise InvalidInput(
            f"Complaint {d.complaint} is already linked to a case.", field="data.complaint"
        )
    incident = incident_numbered(ctx.session, ctx.case.id, d.incident, "data.incident")  # type: ignore[arg-type]
    if found.incident_on != incident.occurred_on:
        raise InvalidInput(
            f"Complaint {d.complaint} is about an incident on {format_date(found.incident_on)}, "
            f"but incident {d.incident} happened on {format_date(incident.occurred_on)}: link "
            "it to the incident it reports.",
            field="data.incident",
        )
    own = found.complainant_key == applicant_key(ctx.session, ctx.case.id)  # type: ignore[arg-type]
    conn.execute(
        _REPORT.update()
        .where(_REPORT.c.id == d.complaint, _REPORT.c.case_id.is_(None))
        .values(
            case_id=ctx.case.id,
            incident_id=incident.id,
            incident_key=f"{ctx.case.reference}/{incident.seq}",
            reporter=None if own else (found.reporter or f"the person in complaint {d.complaint}"),
        )
    )
    complaints.record_link(
        ctx.session,
        d.complaint,
        locality,
        ctx.case.reference,
        incident.seq,
        ctx.actor_user_id,
        ctx.now,
    )
    reassess(ctx.session, ctx.case, trigger=ctx.trigger, now=ctx.now)


EFFECTS = {"add_incident": add_incident, "add_report": add_report, "link_complaint": link_complaint}
