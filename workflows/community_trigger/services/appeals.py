"""An appeal chair's own decision: theirs to read after their access to the case ends."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from engine import machine
from engine.access import Actor, hidden_case_message
from engine.errors import NotFound
from engine.models import AuditEvent

APPEAL_DECISIONS = ("appeal_upheld", "appeal_not_upheld")


def appeal_decision(session: Session, *, reference: str, actor: Actor) -> dict[str, Any]:
    """An appeal chair's own decision on a case, which they keep after their access to the
    rest of the case ends with it; anyone else is told the case does not exist."""
    case = machine.load_case(session, reference)
    row = None
    if actor.user_id is not None:
        row = session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.case_id == case.id,
                AuditEvent.actor_user_id == actor.user_id,
                col(AuditEvent.trigger).in_(APPEAL_DECISIONS),
            )
            .order_by(col(AuditEvent.version).desc())
        ).first()
    if row is None:
        raise NotFound(hidden_case_message(reference))
    return {
        "reference": case.reference,
        "decision": row.trigger,
        "decided_at": row.occurred_at.isoformat(),
        "reasons": row.data.get("reasons"),
    }
