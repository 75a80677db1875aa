"""Staff looking at a case: each view of a case, document or export recorded, and shown
to the case's managers ("who looked at this case")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from engine import ledger, machine, queries
from engine.access import Actor, require_case_access, roles_for_case, roles_on_case
from engine.clock import Clock
from engine.db import SNAPSHOT_READ
from engine.errors import NotAllowed
from engine.models import Case, CaseRetention, CaseView, Document, User

_VIEW = CaseView.__table__  # type: ignore[attr-defined]
_CASE = Case.__table__  # type: ignore[attr-defined]
# One statement: the case's id is looked up by the INSERT itself, so a view costs one
# round trip and one small row (plus its index entry).
_RECORD = insert(_VIEW).from_select(
    ["case_id", "user_id", "viewed_at", "what", "item", "via"],
    sa_select(
        _CASE.c.id,
        bindparam("user_id"),
        bindparam("viewed_at"),
        bindparam("what"),
        bindparam("item"),
        bindparam("via"),
    ).where(_CASE.c.reference == bindparam("reference")),
)


def record(
    session: Session,
    *,
    reference: str,
    actor: Actor,
    clock: Clock,
    what: str,
    item: str | None = None,
    via: str = "page",
) -> None:
    """Record one view and commit: called after the access check has passed, before the
    page or file is handed over, so nothing is shown that was not recorded.

    A staff page reads in a snapshot transaction that may not write on SQLite; that read is
    ended first (on PostgreSQL the view joins the request's own transaction).
    """
    if session.in_transaction() and session.connection().get_execution_options().get(SNAPSHOT_READ):
        session.commit()
    values = {
        "reference": reference,
        "user_id": actor.user_id,
        "viewed_at": clock.now(),
        "what": what,
        "item": item,
        "via": via,
    }
    try:
        session.connection().execute(_RECORD, values)
        session.commit()
    except Exception:
        session.rollback()
        raise


def case_page(session: Session, *, reference: str, actor: Actor, clock: Clock) -> dict[str, Any]:
    """The staff case page, with what its privacy section shows this actor; recorded."""
    detail = queries.staff_case_page(session, reference=reference, actor=actor, clock=clock)
    # From what the page already loaded: one small read for the hold, then the view's INSERT.
    detail["privacy"] = _panel(
        session,
        reference=reference,
        manager=_manages(actor, area_id=detail["area"], locality_id=detail["locality"]),
    )
    record(session, reference=reference, actor=actor, clock=clock, what="case")
    return detail


def case_api(session: Session, *, reference: str, actor: Actor, clock: Clock) -> dict[str, Any]:
    """The case as the API gives it; recorded."""
    detail = queries.case_detail(session, reference=reference, actor=actor, clock=clock)
    record(session, reference=reference, actor=actor, clock=clock, what="case", via="api")
    return detail


def document(
    session: Session, *, reference: str, document_id: int, actor: Actor, clock: Clock
) -> Document:
    """One document's bytes, checked as the case page is; recorded."""
    doc = queries.case_document(
        session, reference=reference, document_id=document_id, actor=actor, clock=clock
    )
    session.expunge(doc)  # handed out after the view's commit
    record(
        session, reference=reference, actor=actor, clock=clock, what="document", item=str(doc.id)
    )
    return doc


def reminders(
    session: Session, *, reference: str, actor: Actor, clock: Clock
) -> list[ledger.LedgerEntry]:
    """The case's reminder ledger (who was written to, when) for its managers; recorded."""
    entries = ledger.reminder_ledger(session, case_ref=reference, actor=actor)
    record(session, reference=reference, actor=actor, clock=clock, what="reminders")
    return entries


def _manages(actor: Actor, *, area_id: str, locality_id: str) -> bool:
    roles = roles_on_case(actor, area_id=area_id, locality_id=locality_id)
    return "manager" in roles


def require_case_manager(session: Session, *, reference: str, actor: Actor) -> Case:
    """The case, for a manager of its area or locality; anyone else is refused (404 where
    the case page itself would be)."""
    case = machine.load_case(session, reference)
    roles = roles_for_case(session, actor, case, now=False)
    require_case_access(actor, roles, reference, area_id=case.area_id)
    if "manager" not in roles:
        raise NotAllowed("Only a manager for this case's area can do this.")
    return case


def privacy_panel(session: Session, *, reference: str, actor: Actor) -> dict[str, Any]:
    """What the case page's personal-data section shows: the legal hold, and for managers
    the links to who looked, the export and the hold form."""
    case = machine.load_case(session, reference)
    roles = roles_for_case(session, actor, case, now=False)
    require_case_access(actor, roles, reference, area_id=case.area_id)
    return _panel(session, reference=reference, manager="manager" in roles)


_HOLD = (
    sa_select(CaseRetention.hold_reason, CaseRetention.hold_at, CaseRetention.anonymised_at)  # type: ignore[call-overload]
    .join(Case, Case.id == CaseRetention.case_id)
    .where(Case.reference == bindparam("reference"))
)


def _panel(session: Session, *, reference: str, manager: bool) -> dict[str, Any]:
    kept = session.connection().execute(_HOLD, {"reference": reference}).first()
    return {
        "manager": manager,
        "hold_reason": kept.hold_reason if kept else None,
        "hold_at": kept.hold_at.isoformat() if kept and kept.hold_at else None,
        "anonymised_at": kept.anonymised_at.isoformat() if kept and kept.anonymised_at else None,
    }


@dataclass(frozen=True)
class View:
    at: datetime
    who: str
    what: str
    item: str | None
    via: str


WHAT = {
    "case": "The case",
    "document": "A document",
    "export": "The subject access export",
    "reminders": "Its reminders and messages",
    "views": "Who looked at this case",
}


def who_looked(
    session: Session, *, reference: str, actor: Actor, clock: Clock, limit: int = 500
) -> list[View]:
    """Every recorded view of the case, newest first, for its managers; this look is
    recorded too."""
    case = require_case_manager(session, reference=reference, actor=actor)
    rows = session.exec(
        select(CaseView, User.name)  # type: ignore[call-overload]
        .outerjoin(User, User.id == CaseView.user_id)
        .where(CaseView.case_id == case.id)
        .order_by(CaseView.viewed_at.desc(), CaseView.id.desc())  # type: ignore[attr-defined]
        .limit(limit)
    ).all()
    views = [
        View(v.viewed_at, name or "ctengine command line", v.what, v.item, v.via)
        for v, name in rows
    ]
    record(session, reference=reference, actor=actor, clock=clock, what="views")
    return views
