"""Who the Community Trigger gives a role on one case, and where its messages go.

An independent appeal chair (of another locality and partnership) is assigned to an appeal;
they hold the `appeal_chair` role on that case only while the appeal is with them: from the
papers being sent to their decision. Messages go to the applicant as they asked to hear
from us (`contact_preference`), to the assigned appeal chair by e-mail, and to the
locality's staff (the engine finds every holder of those roles).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false
from sqlmodel import Session, col, select

from engine import messages
from engine.case_detail import CaseWithDetail, with_detail
from engine.case_messages import applicant_addresses
from engine.models import Case, User
from workflows.community_trigger.definition import S
from workflows.community_trigger.models import CommunityTriggerCase

APPEAL_CHAIR = "appeal_chair"
APPLICANT = "applicant"
# The states in which an appeal is with its independent chair. Their access to the case
# starts when the papers are sent and ends with their decision (upheld or not).
APPEAL_WITH_CHAIR = frozenset({S.appeal_papers_sent.value})


def appeal_chair_now(case: Case) -> int | None:
    """The appeal chair who holds the role on the case now: only while it is with them."""
    return case.appeal_chair_id if case.state in APPEAL_WITH_CHAIR else None


def _with_detail(session: Session | None, case: Any) -> Any:
    """The case with its ct_case row (a bare case is read with it when a session is given)."""
    if isinstance(case, CaseWithDetail) or session is None:
        return case
    return with_detail(session, case)


def case_roles(session: Session | None, case: Case, user_id: int, *, now: bool = True) -> set[str]:
    case = _with_detail(session, case)
    chair = appeal_chair_now(case) if now else case.appeal_chair_id
    return {APPEAL_CHAIR} if chair is not None and chair == user_id else set()


def assigned(role: str, user_id: int) -> Any:
    """SQL: the cases whose appeal is assigned to this chair (lists and searches)."""
    if role != APPEAL_CHAIR:
        return false()
    chosen = select(CommunityTriggerCase.case_id).where(
        CommunityTriggerCase.appeal_chair_id == user_id
    )
    return col(Case.id).in_(chosen)


def recipient(
    session: Session | None, case: Case, role: str, applicant: Any
) -> tuple[str | None, str] | None:
    if role == APPEAL_CHAIR:
        user = (
            session.get(User, case.appeal_chair_id)
            if session is not None and case.appeal_chair_id
            else None
        )
        return (user.email if user else None), "email"
    if role != APPLICANT:
        return None  # a locality staff role
    if applicant is None and session is not None:
        applicant = applicant_addresses(session, case.id)  # type: ignore[arg-type]
    found = messages.applicant_contact(applicant, case.contact_preference)  # type: ignore[arg-type]
    return found if found else (None, "email")
