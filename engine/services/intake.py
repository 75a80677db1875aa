"""Submitting an application: the case, its people, incidents and reports, in one transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select, update

from engine import bulk, machine, registry
from engine.access import PUBLIC, Actor
from engine.clock import Clock
from engine.errors import InvalidInput, NotAllowed
from engine.models import Case, Incident, Party, ReferenceCounter, Report
from engine.services.applications import STAFF_CHANNELS, ApplicationIn, PersonIn
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


# Staff who take applications and complaints for people: the point of contact and JAG chair.
INTAKE_ROLES = ("contact", "jag_chair")


def intake_localities(actor: Actor) -> list[str]:
    """The localities where this staff member may enter applications and record complaints."""
    found: list[str] = []
    for g in actor.grants:
        if g.role not in INTAKE_ROLES:
            continue
        ids = [g.locality_id] if g.locality_id else list(registry.area(g.area_id).localities)
        found.extend(i for i in ids if i not in found)
    return found


def require_intake(actor: Actor, locality: str) -> None:
    """Refuse anyone without a contact or JAG chair grant for this locality."""
    if not intake_localities(actor):
        raise NotAllowed("Only a point of contact or JAG chair can enter these for someone.")
    if locality not in intake_localities(actor):
        raise NotAllowed(f"You cannot enter these for {locality!r}: it is not one of yours.")


def intake_form_localities(actor: Actor) -> list[tuple[str, str]]:
    """(id, name) of the localities the intake forms offer this staff member; 403 for none."""
    ids = intake_localities(actor)
    if not ids:
        raise NotAllowed("Only a point of contact or JAG chair can enter these for someone.")
    return [(i, registry.locality_area(i).localities[i].name) for i in ids]


def status_token_matches(session: Session, reference: str, token_hash: str) -> bool:
    """Whether a private status link belongs to this case (shown once after staff entry)."""
    found = session.exec(select(Case.status_token_hash).where(Case.reference == reference)).first()
    return found is not None and secrets.compare_digest(found, token_hash)


def enter_application(
    session: Session, *, clock: Clock, application: ApplicationIn, actor: Actor
) -> Submitted:
    """An application typed in by staff for someone who phoned, wrote or came in.

    Same checks and transaction as an online one; the case keeps the channel and its first
    audit row names the staff member who entered it.
    """
    require_intake(actor, application.locality)
    if application.channel not in STAFF_CHANNELS:
        raise InvalidInput("Choose how the application came in.", field="channel")
    return submit_application(session, clock=clock, application=application, actor=actor)


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


def complainant_key(
    *, email: str | None = None, name: str | None = None, postcode: str | None = None
) -> str | None:
    """Ties one person's reports together across cases, complaints and imports.

    Keyed on the email address when there is one, else on name and postcode together; only a
    hash is kept. None when neither is known (the caller picks a key of its own).
    """
    if email and email.strip():
        return "email:" + _digest(email.strip().lower())
    if name and name.strip() and postcode and postcode.strip():
        return "person:" + _digest(f"{_squash(name)}|{_squash(postcode)}")
    return None


def _squash(text: str) -> str:
    return "".join(text.lower().split())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


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
    a = app.applicant
    key = complainant_key(email=a.email, name=a.name, postcode=a.postcode)
    key = key or f"case:{case.reference}"
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
