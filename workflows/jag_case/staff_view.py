"""What the staff pages for JAG work show and offer: the referral form's choices, the
choices each event's form gives from the case and the area, the case page's context, and
the peer reviews asked of a chair (for My work).

Read only: every change goes through services.refer or the machine's events. Access is the
engine's (queries.case_detail refuses as every case page does); a peer reviewer's role on
the one case they were asked about is the package's case_roles hook.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from engine import machine, registry, worklists
from engine.access import Actor
from engine.clock import Clock
from engine.errors import NotAllowed, NotFound
from engine.models import Case, CaseSubject, Person, Recommendation, RoleGrant, User
from workflows.jag_case import services
from workflows.jag_case.area import jag_area
from workflows.jag_case.models import JagAction, JagCase, JagPeerReview

WORKFLOW = "jag_case"


def referral_options(actor: Actor) -> dict[str, Any]:
    """The localities this staff member may refer cases to (with each one's area), and the
    agencies a referral can name; refused for someone who may refer to none."""
    localities: dict[str, tuple[str, str]] = {}
    for g in actor.grants:
        if g.role not in services.REFERRERS:
            continue
        area = registry.area(g.area_id)
        for loc_id, loc in area.localities.items():
            if g.locality_id is None or g.locality_id == loc_id:
                localities[loc_id] = (loc.name, g.area_id)
    if not localities:
        raise NotAllowed("Only a point of contact, JAG chair or partner can refer a case.")
    ordered = sorted(localities.items(), key=lambda kv: kv[1][0])
    agencies: list[str] = []
    for area_id in dict.fromkeys(a for _, (_, a) in ordered):
        agencies += [a for a in jag_area(area_id).agencies if a not in agencies]
    return {
        "localities": [(k, name) for k, (name, _) in ordered],
        "area_of": [(k, area_id) for k, (_, area_id) in ordered],
        "agencies": [(a, a) for a in agencies],
    }


# ---------------------------------------------------------------- the case page


def case_page(session: Session, *, reference: str, actor: Actor, clock: Clock) -> dict[str, Any]:
    """The package's view of the case (refused as every case page is: 403 for staff of
    another locality, 404 for anyone who may not know it exists)."""
    case = machine.load_case(session, reference)
    if case.workflow_name != WORKFLOW:
        raise NotFound(f"There is no JAG case {reference}.")
    return services.case_view(session, case, actor, clock=clock)


def reviewed_by(session: Session, *, reference: str, actor: Actor) -> dict[str, Any] | None:
    """The peer review this actor recorded on the case (their access to it ended with it),
    or None: anyone else learns nothing about the case."""
    if actor.user_id is None:
        return None
    found = session.exec(
        select(JagPeerReview, Case)
        .join(Case, col(Case.id) == JagPeerReview.case_id)
        .where(
            Case.reference == reference,
            JagPeerReview.reviewer_user_id == actor.user_id,
            col(JagPeerReview.recorded_at).is_not(None),
        )
        .order_by(col(JagPeerReview.id).desc())
    ).first()
    if found is None:
        return None
    review, case = found
    loc = registry.locality_area(case.locality_id).localities.get(case.locality_id)
    return {
        "reference": case.reference,
        "locality_name": loc.name if loc else case.locality_id,
        "findings": review.findings,
    }


# ---------------------------------------------------------------- event choices


def event_choices(
    session: Session, *, actor: Actor, reference: str, event: str
) -> dict[str, list[dict[str, Any]]]:
    """For each field of the event answered by choosing: what there is to choose from."""
    case = machine.load_case(session, reference)
    area = jag_area(case.area_id)
    agencies = [{"value": a, "text": a} for a in area.agencies]
    if event == "assess_risk":
        return {
            "answers": [{"value": q.id, "text": q.text} for q in area.questions],
            "person": _people(session, case, "victim"),
        }
    if event == "add_action":
        return {"agency": agencies, "recommendation": _recommendations(session, case)}
    if event == "update_action":
        return {"action": _actions(session, case)}
    if event == "record_ladder_step":
        return {
            "stage": [{"value": s.id, "text": s.label} for s in area.ladder],
            "agency": agencies,
            "person": _people(session, case, "perpetrator"),
        }
    if event == "request_peer_review":
        return {"reviewer_email": reviewer_choices(session, case)}
    if event in ("propose_cessation", "cease"):
        return {"reason": [{"value": k, "text": v} for k, v in area.cessation_reasons.items()]}
    return {}


def _people(session: Session, case: Case, part: str) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Person)
        .join(CaseSubject, col(CaseSubject.person_id) == Person.id)
        .where(CaseSubject.case_id == case.id, CaseSubject.part == part)
        .order_by(col(CaseSubject.id))
    ).all()
    return [
        {
            "value": p.id,
            "text": p.name,
            "hint": f"Born {_day(p.date_of_birth)}" if p.date_of_birth else "",
        }
        for p in rows
    ]


def _actions(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.exec(
        select(JagAction).where(JagAction.case_id == case.id).order_by(col(JagAction.seq))
    ).all()
    return [
        {
            "value": a.seq,
            "text": f"{a.seq}. {a.action}",
            "hint": f"{a.owner}, {a.agency}. Due {_day(a.due_on)}. Now: {_status(a.status)}",
        }
        for a in rows
        if a.status not in ("done", "cancelled")
    ]


def _recommendations(session: Session, case: Case) -> list[dict[str, Any]]:
    """The linked Community Trigger case's recommendations, when the referral has one."""
    jag = session.get(JagCase, case.id)
    if jag is None or jag.linked_case_id is None:
        return []
    rows = session.exec(
        select(Recommendation)
        .where(Recommendation.case_id == jag.linked_case_id)
        .order_by(col(Recommendation.seq))
    ).all()
    return [{"value": r.seq, "text": f"{r.seq}. {r.recipient_body}: {r.action}"} for r in rows]


def reviewer_choices(session: Session, case: Case) -> list[dict[str, Any]]:
    """The active JAG chairs of the area's other localities: who may be asked to peer review."""
    rows = session.exec(
        select(User, RoleGrant)
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
    area = registry.area(case.area_id)
    seen: dict[str, dict[str, Any]] = {}
    for user, grant in rows:
        loc = area.localities.get(grant.locality_id or "")
        where = loc.name if loc else grant.locality_id
        seen.setdefault(
            user.email, {"value": user.email, "text": user.name, "hint": f"Chairs {where}"}
        )
    return list(seen.values())


# ---------------------------------------------------------------- My work


def peer_reviews_for(session: Session, *, actor: Actor, today: date) -> list[dict[str, Any]]:
    """The peer reviews asked of this chair and not yet recorded, soonest due first."""
    if actor.user_id is None:
        return []
    rows = session.exec(
        select(JagPeerReview, Case)
        .join(Case, col(Case.id) == JagPeerReview.case_id)
        .where(
            JagPeerReview.reviewer_user_id == actor.user_id,
            col(JagPeerReview.recorded_at).is_(None),
            Case.state == "peer_review_requested",
        )
        .order_by(col(JagPeerReview.due_on), col(Case.reference))
    ).all()
    out = []
    for review, case in rows:
        days = (review.due_on - today).days
        loc = registry.locality_area(case.locality_id).localities.get(case.locality_id)
        out.append(
            {
                "reference": case.reference,
                "locality_name": loc.name if loc else case.locality_id,
                "label": "Peer review the case and record your findings",
                "question": review.question,
                "due_date": review.due_on.isoformat(),
                "days_left": days,
                "rag": worklists.rag(review.due_on, today),
            }
        )
    return out


def _status(status: str) -> str:
    return status.replace("_", " ")


def _day(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""
