"""Who holds a role in a locality, and the words used when nobody does."""

from __future__ import annotations

from sqlalchemy import bindparam, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine import registry
from engine.models import RoleGrant, User

_USER, _GRANT = User.__table__, RoleGrant.__table__  # type: ignore[attr-defined]
# Built once: every new application and staff alert asks it, a statement per role.
_HOLDERS = (
    sa_select(_USER.c.id, _USER.c.email)
    .join(_GRANT, _GRANT.c.user_id == _USER.c.id)
    .where(
        _GRANT.c.role == bindparam("h_role"),
        _GRANT.c.area_id == bindparam("h_area"),
        or_(_GRANT.c.locality_id.is_(None), _GRANT.c.locality_id == bindparam("h_locality")),
        _USER.c.active.is_(True),
    )
    .order_by(_USER.c.id)
    .distinct()
)


def holders(session: Session, area_id: str, locality_id: str, role: str) -> list[tuple[int, str]]:
    """Active users holding a role in a locality, or across its whole area: (id, email)."""
    found = session.connection().execute(
        _HOLDERS, {"h_role": role, "h_area": area_id, "h_locality": locality_id}
    )
    return [(uid, email) for uid, email in found.all() if uid is not None]


def area_holders(session: Session, area_id: str, role: str) -> list[tuple[int, str]]:
    """Active users holding a role anywhere in an area: (id, email)."""
    stmt = (
        select(User.id, User.email)
        .join(RoleGrant, col(RoleGrant.user_id) == User.id)
        .where(RoleGrant.role == role, RoleGrant.area_id == area_id, col(User.active).is_(True))
        .order_by(col(User.id))
        .distinct()
    )
    return [(uid, email) for uid, email in session.exec(stmt).all() if uid is not None]


ROLE_WORDS = {
    "contact": "point of contact",
    "jag_chair": "JAG chair",
    "csp_chair": "CSP chair",
    "appeal_chair": "appeal chair",
    "manager": "manager",
    "admin": "administrator",
    "partner": "partner agency staff member",
    "cessation_trained": "JAG chair trained in cessation",
}


def unheld_flag(role: str, area_id: str, locality_id: str) -> str:
    """The words a message and the overdue page use when nobody holds a role."""
    localities = registry.area(area_id).localities
    place = localities[locality_id].name if locality_id in localities else locality_id
    return f"nobody holds this role ({ROLE_WORDS.get(role, role)}) in {place}"
