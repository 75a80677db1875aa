"""Admins managing staff accounts: add, grant and remove roles, disable, new authenticator.

Every change is checked here (only admins; never an admin's own last admin grant) and
written with its row in the staff audit trail, in one transaction.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, select

from engine import registry
from engine.access import STAFF_ROLES, Actor
from engine.clock import Clock
from engine.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from engine.models import RoleGrant, StaffAuditEvent, User
from engine.services import auth, staff

ROLE_NAMES = {
    "contact": "Point of contact",
    "jag_chair": "JAG chair",
    "csp_chair": "CSP chair",
    "appeal_chair": "Appeal chair",
    "manager": "Manager",
    "admin": "Admin",
    "partner": "Partner agency officer",
    "cessation_trained": "Chair trained in cessation",
}
ACTION_WORDS = {
    "added": "Account added",
    "role_granted": "Role granted",
    "role_removed": "Role removed",
    "disabled": "Account disabled",
    "enabled": "Account enabled",
    "authenticator_reset": "Authenticator reset: sets up a new one at next sign-in",
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def require_admin(actor: Actor) -> None:
    if "admin" not in actor.roles:
        raise NotAllowed("Only an admin can manage staff accounts.")


def list_users(session: Session, *, actor: Actor) -> list[dict[str, Any]]:
    """Every staff account, by name, with its roles in words."""
    require_admin(actor)
    users = session.exec(select(User).order_by(col(User.name), col(User.id))).all()
    grants = session.exec(select(RoleGrant).order_by(col(RoleGrant.id))).all()
    by_user: dict[int, list[RoleGrant]] = {}
    for g in grants:
        by_user.setdefault(g.user_id, []).append(g)
    return [_summary(u, by_user.get(u.id or 0, [])) for u in users]


def user_page(session: Session, *, actor: Actor, user_id: int) -> dict[str, Any]:
    """One account: its details, each grant (with its id, to remove it), and its history."""
    require_admin(actor)
    user = _get(session, user_id)
    grants = session.exec(
        select(RoleGrant).where(RoleGrant.user_id == user_id).order_by(col(RoleGrant.id))
    ).all()
    history = session.exec(
        select(StaffAuditEvent)
        .where(StaffAuditEvent.user_id == user_id)
        .order_by(col(StaffAuditEvent.occurred_at).desc(), col(StaffAuditEvent.id).desc())
    ).all()
    page = _summary(user, list(grants))
    page["grants"] = [{"id": g.id, **_grant_words(g)} for g in grants]
    page["history"] = [
        {
            "when": h.occurred_at,
            "what": ACTION_WORDS.get(h.action, h.action),
            "action": h.action,
            "by": h.actor_label,
            "detail": _detail_words(h.detail),
        }
        for h in history
    ]
    page["is_me"] = user.id == actor.user_id
    return page


def add_user(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    email: str,
    name: str,
    role: str,
    locality: str | None,
) -> tuple[User, auth.Enrolment]:
    """A new account with its first role and a one-time password; the user sets up their
    authenticator app from a QR code at first sign-in. One transaction, audited."""
    require_admin(actor)
    email, name = email.strip().lower(), " ".join(name.split())
    errors = _account_errors(email, name) + _grant_errors(role, locality)
    if not errors and session.exec(select(User.id).where(User.email == email)).first():
        errors.append(_e("email", "There is already an account with this email address"))
    _refuse(errors)
    try:
        user = User(email=email, name=name, created_at=clock.now())
        session.add(user)
        session.flush()
        grant = staff.grant_role(session, user=user, role=role, locality=locality or None)
        done = auth.give_password(session, user, new_totp=True)
        _audit(session, clock, actor, user, "added", {"email": email, "name": name})
        if grant is not None:
            _audit(session, clock, actor, user, "role_granted", _grant_words(grant))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return user, done


def grant(
    session: Session, *, clock: Clock, actor: Actor, user_id: int, role: str, locality: str | None
) -> None:
    require_admin(actor)
    _refuse(_grant_errors(role, locality))
    try:
        user = _get(session, user_id)
        made = staff.grant_role(session, user=user, role=role, locality=locality or None)
        if made is None:
            raise InvalidInput("They already hold this role there", field="role")
        _audit(session, clock, actor, user, "role_granted", _grant_words(made))
        session.commit()
    except Exception:
        session.rollback()
        raise


def remove_grant(
    session: Session, *, clock: Clock, actor: Actor, user_id: int, grant_id: int
) -> None:
    require_admin(actor)
    try:
        user = _get(session, user_id)
        found = session.get(RoleGrant, grant_id)
        if found is None or found.user_id != user_id:
            raise NotFound("That role is not one this user holds.")
        if (
            found.role == "admin"
            and user_id == actor.user_id
            and _admin_grants(session, user_id) == 1
        ):
            raise InvalidTransition(
                "You cannot remove your own last admin role: ask another admin to do it"
            )
        words = _grant_words(found)
        session.delete(found)
        _audit(session, clock, actor, user, "role_removed", words)
        session.commit()
    except Exception:
        session.rollback()
        raise


def set_active(session: Session, *, clock: Clock, actor: Actor, user_id: int, active: bool) -> None:
    """Disable (sign out everywhere; API tokens stop working) or enable an account."""
    require_admin(actor)
    try:
        user = _get(session, user_id)
        if not active and user_id == actor.user_id:
            raise InvalidTransition("You cannot disable your own account")
        if user.active == active:
            raise InvalidTransition(
                f"This account is already {'enabled' if active else 'disabled'}"
            )
        user.active = active
        session.add(user)
        if not active:
            auth.end_user_sessions(session, user)
        _audit(session, clock, actor, user, "enabled" if active else "disabled", {})
        session.commit()
    except Exception:
        session.rollback()
        raise


def reset_authenticator(session: Session, *, clock: Clock, actor: Actor, user_id: int) -> None:
    """As `ctengine users set-password --new-totp`, without a new password."""
    require_admin(actor)
    try:
        user = _get(session, user_id)
        auth.new_authenticator(session, user)
        _audit(session, clock, actor, user, "authenticator_reset", {})
        session.commit()
    except Exception:
        session.rollback()
        raise


def grant_choices() -> dict[str, list[tuple[str, str]]]:
    """What the forms offer: each role, and each locality (id, name) across the areas."""
    localities = [
        (loc_id, loc.name)
        for area_id in registry.area_ids()
        for loc_id, loc in registry.area(area_id).localities.items()
    ]
    return {"roles": list(ROLE_NAMES.items()), "localities": sorted(localities, key=lambda x: x[1])}


# ---------------------------------------------------------------- helpers


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


def _admin_grants(session: Session, user_id: int) -> int:
    rows = session.exec(
        select(RoleGrant.id).where(RoleGrant.user_id == user_id, RoleGrant.role == "admin")
    ).all()
    return len(rows)


def _audit(
    session: Session, clock: Clock, actor: Actor, user: User, action: str, detail: dict[str, Any]
) -> None:
    assert user.id is not None
    session.add(
        StaffAuditEvent(
            user_id=user.id,
            occurred_at=clock.now(),
            actor_user_id=actor.user_id,
            actor_label=actor.label,
            action=action,
            detail=detail,
        )
    )


def _account_errors(email: str, name: str) -> list[dict[str, str]]:
    errors = []
    if not name:
        errors.append(_e("name", "Enter their full name"))
    elif len(name) > 200:
        errors.append(_e("name", "Their name must be 200 characters or fewer"))
    if not email:
        errors.append(_e("email", "Enter their email address"))
    elif len(email) > 254 or not _EMAIL.fullmatch(email):
        errors.append(
            _e("email", "Enter an email address in the correct format, like name@example.org")
        )
    return errors


def _grant_errors(role: str, locality: str | None) -> list[dict[str, str]]:
    if role not in STAFF_ROLES:
        return [_e("role", "Choose a role")]
    if role in staff.AREA_WIDE_ROLES:
        return []  # managers and admins hold their role across the whole area
    if not locality:
        return [_e("locality", f"Choose the locality where they are {_a(role)}")]
    try:
        registry.locality_area(locality)
    except LookupError:
        return [_e("locality", "Choose a locality from the list")]
    return []


def _a(role: str) -> str:
    name = ROLE_NAMES[role]
    return ("an " if name[0] in "AEIOU" else "a ") + name.lower().replace("jag", "JAG").replace(
        "csp", "CSP"
    )


def _e(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _refuse(errors: list[dict[str, str]]) -> None:
    if errors:
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)


def _grant_words(g: RoleGrant) -> dict[str, str]:
    place = "the whole area"
    if g.locality_id:
        try:
            place = registry.locality_area(g.locality_id).localities[g.locality_id].name
        except (LookupError, KeyError):
            place = g.locality_id
    return {"role": g.role, "role_name": ROLE_NAMES.get(g.role, g.role), "place": place}


def _detail_words(detail: dict[str, Any]) -> str:
    if "role_name" in detail:
        return f"{detail['role_name']}, {detail['place']}"
    if "email" in detail:
        return f"{detail.get('name', '')} ({detail['email']})"
    return ""


def _summary(user: User, grants: list[RoleGrant]) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "active": user.active,
        "enrolment_due": user.totp_enrolment_due,
        "last_login_at": user.last_login_at,
        "roles": [_grant_words(g) for g in grants],
    }
