"""Submitting an application: the case, its people, incidents and reports, in one transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, update

from engine import bulk, machine, registry
from engine.access import PUBLIC, Actor
from engine.clock import Clock
from engine.errors import InvalidInput
from engine.models import Case, Incident, Party, ReferenceCounter, Report
from engine.services.applications import ApplicationIn, PersonIn
from engine.threshold import ReportFacts, assess

WORKFLOW = "community_trigger"


@dataclass(frozen=True)
class Submitted:
    reference: str
    status_token: str
    case_id: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def submit_application(
    session: Session, *, clock: Clock, application: ApplicationIn, actor: Actor = PUBLIC
) -> Submitted:
    """Open a Community Trigger case from an application and queue the receipt."""
    area = _check(application, today=clock.today())
    try:
        result = _create(session, clock, application, area, actor)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def _check(app: ApplicationIn, *, today: date) -> registry.AreaConfig:
    try:
        area = registry.locality_area(app.locality)
    except LookupError:
        raise InvalidInput(
            f"{app.locality!r} is not a locality we cover.", field="locality"
        ) from None
    if not app.consent_to_share:
        raise InvalidInput(
            "The review cannot go ahead unless you agree to share your "
            "information with the agencies.",
            field="consent_to_share",
        )
    if not app.declaration:
        raise InvalidInput(
            "Confirm the information is true to the best of your knowledge.", field="declaration"
        )
    if app.applicant.role != "victim" and app.victim is None:
        raise InvalidInput(
            "Tell us who the victim is when applying for someone else.", field="victim"
        )
    if not (app.applicant.email or app.applicant.address or app.applicant.phone):
        raise InvalidInput(
            "Give an email address, phone number or postal address.", field="applicant.email"
        )
    _check_dates(app, today)
    return area


def _check_dates(app: ApplicationIn, today: date) -> None:
    for i, inc in enumerate(app.incidents):
        if inc.date > today:
            raise InvalidInput(
                "The incident date cannot be in the future.", field=f"incidents.{i}.date"
            )
        for j, rep in enumerate(inc.reports):
            where = f"incidents.{i}.reports.{j}.reported_date"
            if rep.reported_date > today:
                raise InvalidInput("The date reported cannot be in the future.", field=where)
            if rep.reported_date < inc.date:
                raise InvalidInput(
                    "A report cannot be made before the incident happened.", field=where
                )


def _create(
    session: Session, clock: Clock, app: ApplicationIn, area: registry.AreaConfig, actor: Actor
) -> Submitted:
    token = secrets.token_urlsafe(32)
    now, today = clock.now(), clock.today()
    reference = next_reference(session, area.reference_prefix, today.year)
    wf = registry.workflow(WORKFLOW)
    hate = app.hate_incident or any(i.hate_incident for i in app.incidents)
    assessment = assess(
        _facts(app), application_date=today, hate_incident=hate, rules=area.threshold
    )
    case = Case(
        reference=reference,
        area_id=area.id,
        locality_id=app.locality,
        workflow_name=wf.name,
        workflow_version=wf.version,
        state=wf.initial,
        version=1,
        channel=app.channel,
        submitted_at=now,
        updated_at=now,
        application_on=today,
        hate_incident=hate,
        hate_characteristic=next(
            (i.perceived_characteristic for i in app.incidents if i.perceived_characteristic), None
        ),
        route_claimed=app.route_claimed,
        consent_to_share=True,
        declaration=True,
        involvement=app.involvement,
        contact_preference=app.contact_preference,
        accessibility_needs=app.accessibility_needs,
        impact=app.impact,
        vulnerabilities=app.vulnerabilities,
        outcome_wanted=app.outcome_wanted,
        status_token_hash=hash_token(token),
        threshold_assessment=assessment.as_dict(),
    )
    # Plain INSERTs: a submission writes a dozen rows and reads none of them back.
    case.id = bulk.insert_models_returning_ids(session, [case])[0]
    _add_people_and_reports(session, case, app)
    a = app.applicant
    machine.start_case(
        session, case=case, actor=actor, clock=clock, applicant=(a.email, a.address, a.phone)
    )
    return Submitted(reference, token, case.id)


def _facts(app: ApplicationIn) -> list[ReportFacts]:
    return [
        ReportFacts(
            incident=str(i), incident_on=inc.date, reported_on=rep.reported_date, agency=rep.agency
        )
        for i, inc in enumerate(app.incidents, start=1)
        for rep in inc.reports
    ]


def complainant_key(case: Case, app: ApplicationIn) -> str:
    """Ties a person's reports together across cases and imports, without storing the email."""
    if app.applicant.email:
        return "email:" + hashlib.sha256(app.applicant.email.lower().encode()).hexdigest()[:40]
    return f"case:{case.reference}"


def _add_people_and_reports(session: Session, case: Case, app: ApplicationIn) -> None:
    people = [_party(case, "applicant", app.applicant, app.applicant.role, app.consent_detail)]
    if app.victim is not None:
        people.append(_party(case, "victim", app.victim, "victim", None))
    bulk.insert_models(session, *people)
    incidents = [
        Incident(
            case_id=case.id,
            seq=seq,
            occurred_on=inc.date,
            place=inc.place,
            description=inc.description,
            hate_incident=inc.hate_incident,
            perceived_characteristic=inc.perceived_characteristic,
        )
        for seq, inc in enumerate(app.incidents, start=1)
    ]
    ids = bulk.insert_models_returning_ids(session, list(incidents))
    key = complainant_key(case, app)
    reports = [
        Report(
            case_id=case.id,
            incident_id=incident_id,
            incident_key=f"{case.reference}/{seq}",
            complainant_key=key,
            incident_on=inc.date,
            reported_on=rep.reported_date,
            agency=rep.agency,
            reference=rep.reference,
            channel=rep.channel,
            officer=rep.officer,
        )
        for seq, (inc, incident_id) in enumerate(zip(app.incidents, ids, strict=True), start=1)
        for rep in inc.reports
    ]
    bulk.insert_models(session, *reports)


def _party(case: Case, kind: str, person: PersonIn, role: str | None, consent: str | None) -> Party:
    return Party(
        case_id=case.id,
        kind=kind,
        role=role,
        name=person.name,
        email=person.email,
        phone=person.phone,
        address=person.address,
        postcode=person.postcode,
        consent_detail=consent,
    )


def next_reference(session: Session, prefix: str, year: int) -> str:
    """The next CT-YYYY-NNNNNN; the counter row's lock keeps numbers unique under load."""
    bind = session.get_bind()
    insert = postgresql.insert if _dialect(bind) == "postgresql" else sqlite.insert
    session.execute(
        insert(ReferenceCounter)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    number = session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)  # type: ignore[arg-type]
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    ).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


def _dialect(bind: object) -> str:
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", bind)
    return engine.dialect.name  # type: ignore[attr-defined]
