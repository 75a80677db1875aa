"""The JAG cases a person may open, for the JAG pages' case list: partners hold no
locality-wide access through /staff/cases (their grant opens JAG cases only), and a peer
reviewer reaches only the case they were asked to review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, or_
from sqlmodel import Session, col, select

from engine.access import Actor
from engine.clock import Clock
from engine.models import Case
from workflows.jag_case.definition import JAG_CASE
from workflows.jag_case.models import JagCase, JagPeerReview

# Grants that open a locality's JAG cases (with the locality) or the area's (without).
READERS = ("contact", "jag_chair", "csp_chair", "partner", "manager", "admin")


def jag_cases(
    session: Session, *, actor: Actor, clock: Clock, state: str | None = None
) -> list[dict[str, Any]]:
    """Every JAG case the actor may open, newest first (as engine.access decides, as SQL),
    with what a list shows: state, subject kind, risk band, next review, agenda flag."""
    allowed = []
    for g in actor.grants:
        if g.role not in READERS:
            continue
        place = (
            Case.area_id == g.area_id
            if g.locality_id is None
            else Case.locality_id == g.locality_id
        )
        allowed.append(place)
    if actor.user_id is not None:
        asked = select(JagPeerReview.case_id).where(
            JagPeerReview.reviewer_user_id == actor.user_id,
            col(JagPeerReview.recorded_at).is_(None),
        )
        allowed.append(and_(col(Case.id).in_(asked), Case.state == "peer_review_requested"))
    stmt = (
        select(Case, JagCase)
        .join(JagCase, col(JagCase.case_id) == Case.id)
        .where(Case.workflow_name == JAG_CASE.name, or_(*allowed) if allowed else false())
        .order_by(col(Case.submitted_at).desc(), col(Case.id).desc())
    )
    if state is not None:
        stmt = stmt.where(Case.state == state)
    today = clock.today()
    return [
        {
            "reference": case.reference,
            "locality": case.locality_id,
            "state": case.state,
            "state_label": JAG_CASE.state_labels.get(case.state, case.state),
            "subject_kind": row.subject_kind,
            "risk_band": row.risk_band,
            "review_on": row.review_on.isoformat() if row.review_on else None,
            "review_overdue": bool(row.review_on and row.review_on < today)
            and case.state not in JAG_CASE.terminal,
            "on_next_agenda": row.agenda_flagged_on is not None,
            "referred_at": case.submitted_at.isoformat(),
        }
        for case, row in session.exec(stmt).all()
    ]
