"""Who holds a role in a locality, and the words used when nobody does."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, select

from engine import registry
from engine.models import RoleGrant, User


def holders(session: Session, area_id: str, locality_id: str, role: str) -> list[tuple[int, str]]:
    """Active users holding a role in a locality, or across its whole area: (id, email)."""
    stmt = (
        select(User.id, User.email)
        .join(RoleGrant, col(RoleGrant.user_id) == User.id)
        .where(
            RoleGrant.role == role,
            RoleGrant.area_id == area_id,
            or_(col(RoleGrant.locality_id).is_(None), RoleGrant.locality_id == locality_id),
            col(User.active).is_(True),
        )
        .order_by(col(User.id))
        .distinct()
    )
    return [(uid, email) for uid, email in session.exec(stmt).all() if uid is not None]


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
