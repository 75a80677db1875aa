"""Roles a person holds on one JAG case beyond their grants (WorkflowPackage.case_roles).

- `partner`: a partner agency's staff member (grant `partner`) works the JAG cases of their
  locality; the grant gives them nothing on other workflows' cases (SCOPED).
- `peer_reviewer`: the chair of another locality asked to review this case, while the
  request is open; they see this case only (HELD: no grant gives it; `assigned` finds
  the cases for lists and searches).
- `cessation_chair`: a JAG chair of the case's locality whom an admin has marked as
  trained in cessation (grant `cessation_trained`): only they record that a case ceased.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, false, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine.models import Case, RoleGrant, User
from workflows.jag_case.definition import PEER_REVIEWER
from workflows.jag_case.models import JagPeerReview

ASKED_WHILE = ("peer_review_requested",)
HELD = (PEER_REVIEWER,)
SCOPED = ("partner", "cessation_trained")


def case_roles(session: Session | None, case: Case, user_id: int, *, now: bool = True) -> set[str]:
    """The roles above that this person holds on this case (now, or with now=False: ever,
    so a peer reviewer's past request still names them in the case's history). Without a
    session (a caller asking only about grants) it names none."""
    if session is None:
        return set()
    found = session.connection().execute(
        _GRANTS, {"g_user": user_id, "g_area": case.area_id, "g_locality": case.locality_id}
    )
    held = set(found.scalars())
    roles = {"partner"} & held
    if {"jag_chair", "cessation_trained"} <= held:
        roles.add("cessation_chair")
    if (case.state in ASKED_WHILE or not now) and _asked(session, case, user_id, now=now):
        roles.add(PEER_REVIEWER)
    return roles


_GRANT = RoleGrant.__table__  # type: ignore[attr-defined]
# Built once (every event on a JAG case asks it): the person's grants that reach the case.
_GRANTS = sa_select(_GRANT.c.role).where(
    _GRANT.c.user_id == bindparam("g_user"),
    _GRANT.c.area_id == bindparam("g_area"),
    or_(_GRANT.c.locality_id.is_(None), _GRANT.c.locality_id == bindparam("g_locality")),
)


def _asked(session: Session, case: Case, user_id: int, *, now: bool) -> bool:
    stmt = select(JagPeerReview.id).where(
        JagPeerReview.case_id == case.id, JagPeerReview.reviewer_user_id == user_id
    )
    if now:
        stmt = stmt.where(col(JagPeerReview.recorded_at).is_(None))
    return session.exec(stmt).first() is not None


def recipient(
    session: Session | None, case: Case, role: str, applicant: Any
) -> tuple[str | None, str] | None:
    """Where a JAG message to `role` goes (WorkflowPackage.recipient): the peer reviewer's
    own e-mail address for the open request; any other role is the locality's staff."""
    if role != PEER_REVIEWER:
        return None
    if session is None:
        return None, "email"
    found = session.exec(
        select(User.email)
        .join(JagPeerReview, col(JagPeerReview.reviewer_user_id) == User.id)
        .where(JagPeerReview.case_id == case.id, col(JagPeerReview.recorded_at).is_(None))
        .order_by(col(JagPeerReview.id).desc())
    ).first()
    return found, "email"


def assigned(role: str, user_id: int) -> Any:
    """SQL: the JAG cases whose peer review is asked of this person now (lists, searches)."""
    if role != PEER_REVIEWER:
        return false()
    asked = select(JagPeerReview.case_id).where(
        JagPeerReview.reviewer_user_id == user_id, col(JagPeerReview.recorded_at).is_(None)
    )
    return and_(col(Case.id).in_(asked), col(Case.state).in_(ASKED_WHILE))
