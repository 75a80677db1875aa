"""Submitting an application: the case, its people, incidents and reports, in one transaction."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from engine import case_search, case_start, references, registry
from engine.access import PUBLIC, Actor
from engine.case_detail import CaseWithDetail
from engine.clock import Clock
from engine.errors import InvalidInput, NotAllowed
from engine.models import Case, CaseSearchTerm, Incident, Party, Report
from engine.threshold import ReportFacts, assess
from workflows.community_trigger.case_reports import (
    APPLICANT,
    Applicant,
    check_report_date,
    complainant_key,
    contact_text,
    reporter_key,
)
from workflows.community_trigger.models import CommunityTriggerCase
from workflows.community_trigger.services.applications import (
    STAFF_CHANNELS,
    ApplicationIn,
    PersonIn,
)

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
    prepared = prepare_application(application, clock=clock, actor=actor)
    try:
        result = write_application(session, prepared)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


@dataclass
class Prepared:
    """An application checked and turned into rows, before any transaction or lock.

    Everything that needs no database (the checks, the threshold assessment, the token and
    its hash, every row's values) is worked out here, so that the write transaction, which
    on SQLite holds the database's only write lock, does nothing but write.
    """

    case: CaseWithDetail  # its reference and id are filled in by write_application
    year: int
    prefix: str
    parties: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    reports: list[tuple[int, dict[str, Any]]]  # (index of its incident, row)
    complainant_key: str | None
    start: case_start.StartPlan  # the first audit row, deadlines and receipt
    token: str


def prepare_application(
    application: ApplicationIn, *, clock: Clock, actor: Actor = PUBLIC
) -> Prepared:
    """Check an application and build its rows; refuses bad input before anything is written."""
    today = clock.today()
    area = _check(application, today=today)
    token = secrets.token_urlsafe(32)
    case = _case(application, area, clock, hash_token(token))
    case.status_code = new_status_code()
    a = application.applicant
    return Prepared(
        case=case,
        year=today.year,
        prefix=registry.package(case.workflow_name).reference_prefix,
        parties=_parties(application),
        incidents=[
            {
                "seq": seq,
                "occurred_on": inc.date,
                "place": inc.place,
                "description": inc.description,
                "hate_incident": inc.hate_incident,
                "perceived_characteristic": inc.perceived_characteristic,
            }
            for seq, inc in enumerate(application.incidents, start=1)
        ],
        reports=_report_rows(application),
        complainant_key=complainant_key(email=a.email, name=a.name, postcode=a.postcode),
        start=case_start.plan_start(
            case=case,
            actor=actor,
            clock=clock,
            applicant=(a.email, a.address, a.phone),
            # The receipt is the one message that can carry the private link itself.
            private={"status_token": token},
        ),
        token=token,
    )


def write_application(session: Session, prepared: Prepared) -> Submitted:
    """Write a prepared application in the session's transaction (the caller commits): the
    case, its people, incidents and reports, the first audit row, deadlines and receipt."""
    case = prepared.case
    case.reference = references.next_reference(session, prepared.prefix, prepared.year)
    conn = session.connection()
    case.id = conn.execute(_INSERT_CASE, case.case.model_dump(exclude={"id"})).scalar_one()
    if case.detail is not None:
        case.detail.case_id = case.id  # type: ignore[attr-defined]
        conn.execute(type(case.detail).__table__.insert(), case.detail.model_dump())  # type: ignore[attr-defined]
    conn.execute(_PARTY.insert(), [{**p, "case_id": case.id} for p in prepared.parties])
    if terms := case_search.term_rows(case.id, prepared.parties):
        conn.execute(_TERM.insert(), terms)  # the words /staff/cases finds the case by
    incident_ids = list(
        conn.execute(
            _INSERT_INCIDENTS, [{**i, "case_id": case.id} for i in prepared.incidents]
        ).scalars()
    )
    key = prepared.complainant_key or f"case:{case.reference}"
    reports = [
        {
            **row,
            "case_id": case.id,
            "incident_id": incident_ids[n],
            "incident_key": f"{case.reference}/{n + 1}",
            "complainant_key": _key_for(row["complainant_key"], key, case.reference),
        }
        for n, row in prepared.reports
    ]
    conn.execute(_REPORT.insert(), reports)
    case_start.write_start(session, case=case, plan=prepared.start)
    return Submitted(case.reference, prepared.token, case.id)


def _report_rows(app: ApplicationIn) -> list[tuple[int, dict[str, Any]]]:
    """(index of its incident, row) for each report: the applicant's, then other people's.

    Another person's complainant key is worked out once the case has its reference (see
    `_key_for`); until then the row carries what the key is made from.
    """
    rows: list[tuple[int, dict[str, Any]]] = []
    for n, inc in enumerate(app.incidents):
        base = {"incident_on": inc.date, "channel": None, "officer": None, "reference": None}
        for rep in inc.reports:
            rows.append(
                (
                    n,
                    base
                    | {
                        "reported_on": rep.reported_date,
                        "agency": rep.agency,
                        "reference": rep.reference,
                        "channel": rep.channel,
                        "officer": rep.officer,
                        "reporter": None,
                        "reporter_contact": None,
                        "complainant_key": APPLICANT,
                    },
                )
            )
        for other in inc.other_reporters:
            same = _other_key(app, other.name, other.email, "{case}") is None
            rows.append(
                (
                    n,
                    base
                    | {
                        "reported_on": other.reported_date,
                        "agency": other.agency,
                        "reporter": None if same else other.name,
                        "reporter_contact": contact_text(
                            other.email, other.phone, other.contact_consent, "unused"
                        ),
                        "complainant_key": APPLICANT if same else (other.name, other.email),
                    },
                )
            )
    return rows


def _other_key(app: ApplicationIn, name: str, email: str | None, case_ref: str) -> str | None:
    a = app.applicant
    return reporter_key(name, email, Applicant(a.name, a.email), case_ref)


def _key_for(marker: Any, applicant_key: str, case_ref: str) -> str:
    if marker == APPLICANT:
        return applicant_key
    name, email = marker
    return reporter_key(name, email, Applicant("", None), case_ref) or applicant_key


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


# No 0/O or 1/I/L: the code is read aloud and typed from a letter.
CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_status_code() -> str:
    """Six characters from 31 (about 30 bits), shown as KQ7-M4P; only ever used with the
    case reference, and the status page that takes them is rate limited."""
    chars = "".join(secrets.choice(CODE_LETTERS) for _ in range(6))
    return f"{chars[:3]}-{chars[3:]}"


def normal_code(text: str) -> str:
    """A code as typed or read out ("kq7 m4p", "KQ7M4P") in its stored form."""
    chars = re.sub(r"[^A-Za-z0-9]", "", text).upper()
    return f"{chars[:3]}-{chars[3:]}" if len(chars) == 6 else chars


def status_code_of(session: Session, reference: str) -> str:
    """The case's status code (shown once to staff who typed the application in)."""
    found = session.exec(_detail_of(reference, "status_code")).first()
    return found or ""


def status_token_matches(session: Session, reference: str, token_hash: str) -> bool:
    """Whether a private status link belongs to this case (shown once after staff entry)."""
    found = session.exec(_detail_of(reference, "status_token_hash")).first()
    return found is not None and secrets.compare_digest(found, token_hash)


def _detail_of(reference: str, column: str) -> Any:
    """One column of the case's ct_case row, found by the case's reference."""
    return (
        select(getattr(CommunityTriggerCase, column))
        .join(Case, Case.id == CommunityTriggerCase.case_id)
        .where(Case.reference == reference)
    )


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
        for j, other in enumerate(inc.other_reporters):
            where = f"incidents.{i}.other_reporters.{j}"
            check_report_date(other.reported_date, inc.date, today, f"{where}.reported_date")
            contact_text(
                other.email, other.phone, other.contact_consent, f"{where}.contact_consent"
            )


def _case(
    app: ApplicationIn, area: registry.AreaConfig, clock: Clock, token_hash: str
) -> CaseWithDetail:
    now, today = clock.now(), clock.today()
    wf = registry.workflow(WORKFLOW)
    hate = app.hate_incident or any(i.hate_incident for i in app.incidents)
    assessment = assess(
        _facts(app), application_date=today, hate_incident=hate, rules=area.threshold
    )
    case = Case(
        reference="",
        area_id=area.id,
        locality_id=app.locality,
        workflow_name=wf.name,
        workflow_version=wf.version,
        state=wf.initial,
        version=1,
        submitted_at=now,
        updated_at=now,
    )
    detail = CommunityTriggerCase(
        case_id=0,
        channel=app.channel,
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
        texts_safe=app.texts_safe,
        accessibility_needs=app.accessibility_needs,
        impact=app.impact,
        vulnerabilities=app.vulnerabilities,
        outcome_wanted=app.outcome_wanted,
        status_token_hash=token_hash,
        threshold_assessment=assessment.as_dict(),
    )
    return CaseWithDetail(case, detail)


def _facts(app: ApplicationIn) -> list[ReportFacts]:
    """The application's reports as facts, in the order they are stored and numbered."""
    facts = []
    for n, row in _report_rows(app):
        marker = row["complainant_key"]
        who = "" if marker == APPLICANT else marker[0]
        facts.append(
            ReportFacts(
                incident=str(n + 1),
                incident_on=row["incident_on"],
                reported_on=row["reported_on"],
                agency=row["agency"],
                complainant=APPLICANT if marker == APPLICANT else _other_key(app, *marker, "-"),
                who=who,
            )
        )
    return facts


_CASE = Case.__table__  # type: ignore[attr-defined]
_PARTY = Party.__table__  # type: ignore[attr-defined]
_INCIDENT = Incident.__table__  # type: ignore[attr-defined]
_TERM = CaseSearchTerm.__table__  # type: ignore[attr-defined]
_REPORT = Report.__table__  # type: ignore[attr-defined]
_INSERT_CASE = _CASE.insert().returning(_CASE.c.id)
_INSERT_INCIDENTS = _INCIDENT.insert().returning(_INCIDENT.c.id, sort_by_parameter_order=True)


def _parties(app: ApplicationIn) -> list[dict[str, Any]]:
    people = [_party("applicant", app.applicant, app.applicant.role, app.consent_detail)]
    if app.victim is not None:
        people.append(_party("victim", app.victim, "victim", None))
    return people


def _party(kind: str, person: PersonIn, role: str | None, consent: str | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "role": role,
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "address": person.address,
        "postcode": person.postcode,
        "consent_detail": consent,
    }
