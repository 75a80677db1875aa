"""Roles a person holds on one JAG case beyond their grants (WorkflowPackage.case_roles).

- `partner`: a partner agency's staff member (grant `partner`) works the JAG cases of their
  locality; the grant gives them nothing on other workflows' cases.
- `peer_reviewer`: the chair of another locality asked to review this case, while the
  request is open; they see this case only.
- `cessation_chair`: a JAG chair of the case's locality whom an admin has marked as
  trained in cessation (grant `cessation_trained`): only they record that a case ceased.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, select

from engine.models import Case, RoleGrant
from workflows.jag_case.models import JagPeerReview

ASKED_WHILE = ("peer_review_requested",)


def case_roles(session: Session, case: Case, user_id: int, *, now: bool = True) -> set[str]:
    """The roles above that this person holds on this case (now, or with now=False: ever,
    so a peer reviewer's past request still names them in the case's history)."""
    grants = session.exec(
        select(RoleGrant.role).where(
            RoleGrant.user_id == user_id,
            RoleGrant.area_id == case.area_id,
            or_(col(RoleGrant.locality_id).is_(None), RoleGrant.locality_id == case.locality_id),
        )
    ).all()
    held = set(grants)
    roles = {"partner"} & held
    if {"jag_chair", "cessation_trained"} <= held:
        roles.add("cessation_chair")
    if (case.state in ASKED_WHILE or not now) and _asked(session, case, user_id, now=now):
        roles.add("peer_reviewer")
    return roles


def _asked(session: Session, case: Case, user_id: int, *, now: bool) -> bool:
    stmt = select(JagPeerReview.id).where(
        JagPeerReview.case_id == case.id, JagPeerReview.reviewer_user_id == user_id
    )
    if now:
        stmt = stmt.where(col(JagPeerReview.recorded_at).is_(None))
    return session.exec(stmt).first() is not None
