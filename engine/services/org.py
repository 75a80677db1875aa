"""Mirrors each area file's localities, partnerships and JAGs into the database."""

from __future__ import annotations

from sqlmodel import Session

from engine import registry
from engine.models import Area, Group, Locality, Partnership


def sync_areas(session: Session) -> int:
    """Insert or update every area's organisation rows; returns the number of localities."""
    count = 0
    for area_id in registry.area_ids():
        cfg = registry.area(area_id)
        session.merge(Area(id=cfg.id, name=cfg.name))
        for pid, name in cfg.partnerships.items():
            session.merge(Partnership(id=pid, area_id=cfg.id, name=name))
        session.flush()
        for loc in cfg.localities.values():
            session.merge(
                Locality(id=loc.id, area_id=cfg.id, partnership_id=loc.partnership, name=loc.name)
            )
            session.flush()
            session.merge(Group(id=f"{loc.id}-jag", locality_id=loc.id, name=f"{loc.name} JAG"))
            count += 1
    session.commit()
    return count
