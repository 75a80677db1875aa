"""Who is acting, and which roles they hold on a given case (role and locality checks)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_
from sqlmodel import Session, col, select

from engine import registry
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


def held_per_case() -> frozenset[str]:
    """Roles a grant gives only on the cases a workflow assigns to the person (an appeal
    chair on the appeals given to them), never on a whole locality."""
    return frozenset(r for p in registry.packages().values() for r in p.case_held_roles)


def scoped_roles() -> frozenset[str]:
    """Grant roles that give nothing by themselves: only the workflows that name them in
    WorkflowPackage.scoped_roles give roles for them, on their own cases (case_roles)."""
    return frozenset(r for p in registry.packages().values() for r in p.scoped_roles)


def workflows_scoping(role: str) -> list[str]:
    """The workflows whose cases a scoped grant role (scoped_roles) opens in its locality:
    those that scope it and whose definition has it as a role of its own (a partner works
    the JAG cases of their locality; a cessation_trained grant opens nothing by itself)."""
    return [
        p.name
        for p in registry.packages().values()
        if role in p.scoped_roles and role in p.definition.roles
    ]


def per_case_roles(actor: Actor) -> set[str]:
    """The roles held per case (held_per_case) the actor may hold on some case: those their
    grants give, and those no grant gives (a workflow names the person on the case)."""
    return {r for r in held_per_case() if r in actor.roles or r not in STAFF_ROLES}


def assigned_cases(role: str, user_id: int) -> Any:
    """SQL: the cases on which the user holds a per-case role, in every workflow that has it
    (WorkflowPackage.assigned)."""
    conditions = [
        and_(col(Case.workflow_name) == p.name, p.assigned(role, user_id))
        for p in registry.packages().values()
        if role in p.case_held_roles and p.assigned is not None
    ]
    return or_(*conditions) if conditions else false()


def case_roles(
    session: Session | None, case: Case, user_id: int | None, *, now: bool = True
) -> set[str]:
    """The roles the case's workflow gives this person on this case beyond their grants
    (`WorkflowPackage.case_roles`); with now=False, those they were ever given on it."""
    hook = registry.package(case.workflow_name).case_roles
    if user_id is None or hook is None:
        return set()
    return set(hook(session, case, user_id, now=now))


def roles_on_case(
    actor: Actor, *, area_id: str, locality_id: str, on_case: Iterable[str] = ()
) -> set[str]:
    """The roles an actor holds on one case: the grants of its area and locality, and of
    the roles held per case (held_per_case) only those `on_case` names (see case_roles).
    A scoped grant (scoped_roles) gives nothing here; `on_case` may name a role no grant
    gives (a peer reviewer asked to review the case), or the role a scoped grant held in
    the case's area gives on the workflow's own cases (a partner's).

    An appeal chair holds the role only on appeals assigned to them; assignment already
    refuses a chair from the case's own locality or partnership.
    """
    held, scoped, given = held_per_case(), scoped_roles(), set(on_case)
    roles: set[str] = set()
    granted: set[str] = set()
    for g in actor.grants:
        if g.area_id != area_id:
            continue
        granted.add(g.role)
        if g.role in scoped:
            continue
        if g.role in held:
            if g.role in given:
                roles.add(g.role)
        elif g.locality_id is None or g.locality_id == locality_id:
            roles.add(g.role)
    roles |= {r for r in given if r not in STAFF_ROLES or (r in granted and r in scoped)}
    return roles


def roles_for_case(
    session: Session | None, actor: Actor, case: Case, *, now: bool = True
) -> set[str]:
    """roles_on_case for a loaded case, asking its workflow who is assigned to it."""
    return roles_on_case(
        actor,
        area_id=case.area_id,
        locality_id=case.locality_id,
        on_case=case_roles(session, case, actor.user_id, now=now),
    )


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
    held = held_per_case()
    if any(g.area_id == area_id and g.role not in held for g in actor.grants):
        raise NotAllowed(f"You do not have access to case {reference}.")
    raise NotFound(hidden_case_message(reference))


def hidden_case_message(reference: str) -> str:
    """The words for a case that does not exist, or that the actor may not know exists."""
    return f"There is no case {reference}."
