"""Staff accounts: users, their role grants, and API tokens (only hashes are stored)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from engine import registry
from engine.access import STAFF_ROLES, Actor, Grant
from engine.clock import Clock
from engine.errors import InvalidInput, NotAuthenticated, NotFound
from engine.models import ApiToken, RoleGrant, User

AREA_WIDE_ROLES = ("manager", "admin")


def add_user(
    session: Session, *, clock: Clock, email: str, name: str, role: str, locality: str | None
) -> User:
    """Create the user if new, and grant the role in the locality (or the area for managers)."""
    if role not in STAFF_ROLES:
        raise InvalidInput(
            f"Unknown role {role!r}; use one of {', '.join(STAFF_ROLES)}.", field="role"
        )
    _place(role, locality)  # refuse an unknown locality before anything is written
    email = email.strip().lower()
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        user = User(email=email, name=name, created_at=clock.now())
        session.add(user)
        session.flush()
    grant_role(session, user=user, role=role, locality=locality)
    session.commit()
    return user


def grant_role(
    session: Session, *, user: User, role: str, locality: str | None
) -> RoleGrant | None:
    """Grant the role in the locality (or the area for managers and admins) in the caller's
    transaction; None when the user already holds it."""
    if role not in STAFF_ROLES:
        raise InvalidInput(
            f"Unknown role {role!r}; use one of {', '.join(STAFF_ROLES)}.", field="role"
        )
    area_id, locality_id = _place(role, locality)
    exists = session.exec(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id,
            RoleGrant.role == role,
            RoleGrant.area_id == area_id,
            RoleGrant.locality_id == locality_id,
        )
    ).first()
    if exists is not None:
        return None
    grant = RoleGrant(user_id=user.id, role=role, area_id=area_id, locality_id=locality_id)
    session.add(grant)
    session.flush()
    return grant


def _place(role: str, locality: str | None) -> tuple[str, str | None]:
    if locality is None:
        if role not in AREA_WIDE_ROLES:
            raise InvalidInput(f"A {role} needs a locality.", field="locality")
        return registry.area_ids()[0], None
    try:
        area = registry.locality_area(locality)
    except LookupError:
        raise InvalidInput(f"Unknown locality {locality!r}.", field="locality") from None
    # Managers named with a locality still see the whole area they belong to.
    return area.id, (None if role in AREA_WIDE_ROLES else locality)


def create_token(session: Session, *, clock: Clock, email: str) -> str:
    """Issue a new bearer token for a user; only its hash is kept."""
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"No user with email {email}.")
    token = "ct_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=clock.now()))
    session.commit()
    return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_TOKENS, _USERS, _GRANTS = (
    ApiToken.__table__,  # type: ignore[attr-defined]
    User.__table__,  # type: ignore[attr-defined]
    RoleGrant.__table__,  # type: ignore[attr-defined]
)
# A live token's user and every grant the user holds (one row per grant, or one row with no
# grant) in one statement, built once: the check runs on every API request.
_TOKEN_ACTOR = (
    sa_select(_USERS.c.id, _USERS.c.name, _GRANTS.c.role, _GRANTS.c.area_id, _GRANTS.c.locality_id)
    .select_from(
        _TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id).outerjoin(
            _GRANTS, _GRANTS.c.user_id == _USERS.c.id
        )
    )
    .where(
        _TOKENS.c.token_hash == bindparam("hash"),
        _TOKENS.c.revoked.is_(False),
        _USERS.c.active.is_(True),
    )
    .order_by(_GRANTS.c.id)
)


def actor_for_token(session: Session, token: str) -> Actor:
    rows = session.connection().execute(_TOKEN_ACTOR, {"hash": token_hash(token)}).all()
    if not rows:
        raise NotAuthenticated("That API token is not valid.")
    grants = tuple(Grant(r.role, r.area_id, r.locality_id) for r in rows if r.role is not None)
    return Actor(user_id=rows[0].id, label=rows[0].name, grants=grants)
