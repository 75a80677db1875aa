"""JAG case services the staff pages and API call: `refer` opens a case, `case_view` shows
one. Every other change is a workflow event (engine.services.cases.record_event)."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from engine import machine, registry
from engine.access import Actor, case_roles
from engine.clock import Clock, SystemClock
from engine.errors import InvalidInput, NotAllowed
from engine.models import Case, Recommendation, RoleGrant, User
from engine.services.intake import next_reference
from workflows.jag_case import people, search
from workflows.jag_case.area import jag_area
from workflows.jag_case.definition import JAG_CASE, SUBJECT_KINDS
from workflows.jag_case.models import JagCase

# Who may refer a case to a locality's JAG: a partner agency's staff member, the point of
# contact or the JAG chair of that locality.
REFERRERS = ("partner", "contact", "jag_chair")
PREFIX = "JAG"


def refer(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    area_id: str,
    locality_id: str,
    subject_kind: str,
    subject: dict[str, Any],
    reason: str,
    agencies: list[str],
    linked_ct: str | None = None,
    recommendation_seq: int | None = None,
) -> Case:
    """Check a referral, open its case (JAG-YYYY-NNNNNN) and commit; nothing is written
    when anything is wrong (InvalidInput names every field at fault)."""
    area = _area(area_id, locality_id)
    if not _may_refer(actor, area_id, locality_id):
        raise NotAllowed(
            "Only a partner, point of contact or JAG chair of this locality may refer."
        )
    errors = _referral_errors(area_id, subject_kind, subject, reason, agencies)
    linked = None
    if linked_ct:
        linked, more = _linked(session, actor, linked_ct, recommendation_seq, area.id)
        errors += more
    elif recommendation_seq is not None:
        errors.append(_e("linked_ct", "Give the Community Trigger case the recommendation is on"))
    if errors:
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)
    try:
        case = _insert_case(session, clock=clock, area_id=area_id, locality_id=locality_id)
        session.add(
            JagCase(
                case_id=case.id,  # type: ignore[arg-type]
                subject_kind=subject_kind,
                referral_reason=reason.strip(),
                agencies=list(agencies),
                referred_by=actor.user_id,
                linked_case_id=linked.id if linked else None,
                linked_recommendation_seq=recommendation_seq,
            )
        )
        people.link_subject(
            session,
            case_id=case.id,  # type: ignore[arg-type]
            area_id=area_id,
            kind=subject_kind,
            subject=subject,
            now=clock.now(),
        )
        search.index_subject(session, case_id=case.id, subject=subject)  # type: ignore[arg-type]
        machine.start_case(session, case=case, actor=actor, clock=clock, applicant=(None,) * 3)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return case


def _area(area_id: str, locality_id: str) -> registry.AreaConfig:
    try:
        area = registry.area(area_id)
    except LookupError:
        raise InvalidInput(f"There is no area {area_id!r}.", field="area_id") from None
    if locality_id not in area.localities:
        raise InvalidInput(f"There is no locality {locality_id!r} here.", field="locality_id")
    return area


def _may_refer(actor: Actor, area_id: str, locality_id: str) -> bool:
    return any(
        g.role in REFERRERS and g.area_id == area_id and g.locality_id in (None, locality_id)
        for g in actor.grants
    )


def _e(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _referral_errors(
    area_id: str, kind: str, subject: dict[str, Any], reason: str, agencies: list[str]
) -> list[dict[str, str]]:
    errors = []
    if kind not in SUBJECT_KINDS:
        errors.append(
            _e("subject_kind", "Choose whether it is about a victim, perpetrator, place or problem")
        )
    else:
        errors += people.subject_errors(kind, subject or {})
        errors += _subject_value_errors(subject or {})
    if not (reason or "").strip():
        errors.append(_e("reason", "Enter the reason for the referral"))
    elif len(reason) > 5000:
        errors.append(_e("reason", "The reason must be 5000 characters or fewer"))
    known = jag_area(area_id).agencies
    if not isinstance(agencies, list | tuple) or not all(isinstance(a, str) for a in agencies):
        errors.append(_e("agencies", "Choose the agencies involved from the list"))
    elif not agencies:
        errors.append(_e("agencies", "Choose the agencies involved"))
    elif unknown := [a for a in agencies if known and a not in known]:
        errors.append(_e("agencies", f"Unknown agency {unknown[0]!r}; choose from the list"))
    return errors


def _subject_value_errors(subject: dict[str, Any]) -> list[dict[str, str]]:
    errors = []
    dob = subject.get("date_of_birth")
    if isinstance(dob, str) and dob:
        try:
            dob = date.fromisoformat(dob)
        except ValueError:
            dob = None
            errors.append(_e("subject.date_of_birth", "Enter the date of birth as YYYY-MM-DD"))
    elif dob not in (None, "") and not isinstance(dob, date):
        errors.append(_e("subject.date_of_birth", "Enter the date of birth as YYYY-MM-DD"))
    for key in ("name", "label", "postcode"):
        if subject.get(key) is not None and not isinstance(subject.get(key), str):
            errors.append(_e(f"subject.{key}", f"The {key} must be text"))
    for key, limit in (("name", 200), ("label", 300), ("postcode", 10)):
        if len(str(subject.get(key) or "")) > limit:
            errors.append(_e(f"subject.{key}", f"The {key} must be {limit} characters or fewer"))
    return errors


def _linked(
    session: Session, actor: Actor, reference: str, seq: int | None, area_id: str
) -> tuple[Case | None, list[dict[str, str]]]:
    """The Community Trigger case a referral carries on from, which the referrer may open."""
    found = session.exec(select(Case).where(Case.reference == reference.strip())).first()
    if found is None or found.area_id != area_id or not case_roles(session, actor, found):
        return None, [_e("linked_ct", f"There is no case {reference} you can open")]
    if found.workflow_name == JAG_CASE.name:
        return None, [_e("linked_ct", "Link a Community Trigger case, not a JAG case")]
    if seq is not None:
        rec = session.exec(
            select(Recommendation.id).where(
                Recommendation.case_id == found.id, Recommendation.seq == seq
            )
        ).first()
        if rec is None:
            return None, [_e("recommendation_seq", f"{reference} has no recommendation {seq}")]
    return found, []


def _insert_case(session: Session, *, clock: Clock, area_id: str, locality_id: str) -> Case:
    """The one place a JAG case's generic row is written.

    The columns after `updated_at` belong to the Community Trigger and are NOT NULL in
    case_record until the split into a generic table and a Community Trigger detail table
    (helper "detail"); they get harmless values here, and the split removes them. The
    reference uses the shared counter until it counts per prefix (helper "moves")."""
    now = clock.now()
    case = Case(
        reference=next_reference(session, PREFIX, clock.today().year),
        area_id=area_id,
        locality_id=locality_id,
        workflow_name=JAG_CASE.name,
        workflow_version=JAG_CASE.version,
        state=JAG_CASE.initial,
        channel="staff",
        submitted_at=now,
        updated_at=now,
        # --- Community Trigger columns, removed by the case_record split ---
        application_on=clock.today(),
        consent_to_share=False,
        declaration=False,
        status_token_hash=secrets.token_hex(32),  # unique, and no token hashes to it
        threshold_assessment={},
    )
    session.add(case)
    session.flush()
    return case


def case_view(
    session: Session, case: Case, actor: Actor, *, clock: Clock | None = None
) -> dict[str, Any]:
    """Everything the JAG case page shows (access-checked); see views.py."""
    from workflows.jag_case.views import build_view

    return build_view(session, case, actor, clock or SystemClock())


def peer_reviewer_options(session: Session, case: Case) -> list[dict[str, str]]:
    """Who may be asked to peer review a case: active JAG chairs of the area's other
    localities (the `request_peer_review` event takes one's email)."""
    area = registry.area(case.area_id)
    rows = session.exec(
        select(User.email, User.name, RoleGrant.locality_id)
        .join(RoleGrant, col(RoleGrant.user_id) == User.id)
        .where(
            RoleGrant.role == "jag_chair",
            RoleGrant.area_id == case.area_id,
            col(RoleGrant.locality_id).is_not(None),
            RoleGrant.locality_id != case.locality_id,
            col(User.active).is_(True),
        )
        .order_by(col(User.name))
    ).all()
    own = {
        email
        for email, *_ in session.exec(
            select(User.email, RoleGrant.id)
            .join(RoleGrant, col(RoleGrant.user_id) == User.id)
            .where(RoleGrant.role == "jag_chair", RoleGrant.area_id == case.area_id)
            .where(
                or_(col(RoleGrant.locality_id).is_(None), RoleGrant.locality_id == case.locality_id)
            )
        ).all()
    }
    return [
        {"email": email, "name": name, "locality": area.localities[loc].name}
        for email, name, loc in rows
        if email not in own and loc in area.localities
    ]
