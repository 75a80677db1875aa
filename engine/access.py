"""Who is acting, and which roles they hold on a given case (role and locality checks)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from engine.errors import NotAllowed, NotFound
from engine.models import Case, RoleGrant, User

STAFF_ROLES = (
    "contact",
    "jag_chair",
    "csp_chair",
    "appeal_chair",
    "manager",
    "admin",
    "partner",
    "cessation_trained",
)
# Grants that give no access to a locality's cases by themselves: a workflow package turns
# them into roles on its own cases (WorkflowPackage.case_roles): a partner agency's staff
# member works on the cases of the process they refer to; a chair trained in closing cases
# holds that as a qualification beside their chair's grant.
SCOPED_ROLES = ("partner", "cessation_trained")
# Roles that may read every case of their area or locality without acting on it.
READ_ONLY_ROLES = ("manager", "admin")


@dataclass(frozen=True)
class Grant:
    role: str
    area_id: str
    locality_id: str | None


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    grants: tuple[Grant, ...] = ()

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}


PUBLIC = Actor(user_id=None, label="applicant", grants=())


def load_actor(session: Session, user: User) -> Actor:
    rows = session.exec(select(RoleGrant).where(RoleGrant.user_id == user.id)).all()
    grants = tuple(Grant(r.role, r.area_id, r.locality_id) for r in rows)
    return Actor(user_id=user.id, label=user.name, grants=grants)


# The states in which an appeal is with its independent chair. Their access to the case
# starts when the papers are sent and ends with their decision (upheld or not).
APPEAL_WITH_CHAIR = frozenset({"appeal_papers_sent"})


def appeal_chair_now(case: Case) -> int | None:
    """The appeal chair who holds the role on the case now: only while it is with them."""
    return case.appeal_chair_id if case.state in APPEAL_WITH_CHAIR else None


def roles_on_case(
    actor: Actor, *, area_id: str, locality_id: str, appeal_chair_id: int | None
) -> set[str]:
    """The roles an actor holds on one case.

    An appeal chair holds the role only on appeals assigned to them; assignment already
    refuses a chair from the case's own locality or partnership.
    """
    roles: set[str] = set()
    for g in actor.grants:
        if g.area_id != area_id or g.role in SCOPED_ROLES:
            continue
        if g.role == "appeal_chair":
            if actor.user_id is not None and actor.user_id == appeal_chair_id:
                roles.add(g.role)
        elif g.locality_id is None or g.locality_id == locality_id:
            roles.add(g.role)
    return roles


def case_roles(session: Session, actor: Actor, case: Case) -> set[str]:
    """Every role an actor holds on one case: their grants' roles there, and any the case's
    workflow package gives them on this case alone (a peer reviewer asked to review it)."""
    from engine import registry  # the registry loads the workflow packages

    roles = roles_on_case(
        actor,
        area_id=case.area_id,
        locality_id=case.locality_id,
        appeal_chair_id=appeal_chair_now(case),
    )
    hook = registry.package(case.workflow_name).case_roles
    if hook is not None and actor.user_id is not None:
        roles |= set(hook(session, case, actor.user_id))
    return roles


def require_case_access(actor: Actor, roles: set[str], reference: str, *, area_id: str) -> None:
    """Refuse an actor who holds no role on the case, without confirming it exists when
    that would leak.

    Staff who work cases in another locality of the same area get 403: they are
    colleagues in one partnership, and "no access" tells them to ask a manager. Everyone
    else gets 404, exactly as for a reference that does not exist: an appeal chair sees
    only the appeals assigned to them (independence), and staff of another area must not
    learn which references exist here.
    """
    if roles:
        return
    if any(g.area_id == area_id and g.role != "appeal_chair" for g in actor.grants):
        raise NotAllowed(f"You do not have access to case {reference}.")
    raise NotFound(hidden_case_message(reference))


def hidden_case_message(reference: str) -> str:
    """The words for a case that does not exist, or that the actor may not know exists."""
    return f"There is no case {reference}."
