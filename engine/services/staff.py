"""Staff accounts: users, their role grants, and API tokens (only hashes are stored)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

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


# An API token works for this long unless the caller asks for another term.
TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366


def create_token(session: Session, *, clock: Clock, email: str, days: int = TOKEN_DAYS) -> str:
    """Issue a new bearer token for a user, ending after `days`; only its hash is kept."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"A token lasts 1 to {MAX_TOKEN_DAYS} days.", field="days")
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        raise NotFound(f"No user with email {email}.")
    token = "ct_" + secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    session.commit()
    return token


def revoke_tokens(session: Session, *, email: str | None = None, token: str | None = None) -> int:
    """Revoke one token (given in full) or every token of a user; returns how many."""
    query = select(ApiToken).where(col(ApiToken.revoked).is_(False))
    if token is not None:
        query = query.where(ApiToken.token_hash == token_hash(token.strip()))
    elif email is not None:
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            raise NotFound(f"No user with email {email}.")
        query = query.where(ApiToken.user_id == user.id)
    else:
        raise InvalidInput("Name a token or a user's email.", field="email")
    rows = session.exec(query).all()
    for row in rows:
        row.revoked = True
        session.add(row)
    session.commit()
    return len(rows)


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
        # Tokens made before expiry existed last the default term from when they were made.
        or_(
            _TOKENS.c.expires_at > bindparam("now"),
            (_TOKENS.c.expires_at.is_(None)) & (_TOKENS.c.created_at > bindparam("made_after")),
        ),
    )
    .order_by(_GRANTS.c.id)
)


def actor_for_token(session: Session, token: str, *, clock: Clock) -> Actor:
    """The actor behind a live API token; revoked and expired tokens are refused alike."""
    now = clock.now()
    params = {"hash": token_hash(token), "now": now, "made_after": now - timedelta(days=TOKEN_DAYS)}
    rows = session.connection().execute(_TOKEN_ACTOR, params).all()
    if not rows:
        raise NotAuthenticated("That API token is not valid.")
    grants = tuple(Grant(r.role, r.area_id, r.locality_id) for r in rows if r.role is not None)
    return Actor(user_id=rows[0].id, label=rows[0].name, grants=grants)
