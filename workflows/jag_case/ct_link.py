"""A JAG case and the Community Trigger case it came from: a case review's recommendation
carried out as a JAG action, its progress recorded on the recommendation (with the
Community Trigger case's own audit, deadlines and messages) in the same transaction."""

from __future__ import annotations

from sqlmodel import select

from engine import machine
from engine.access import load_actor
from engine.clock import FixedClock
from engine.errors import InvalidInput, NotAllowed
from engine.models import Case, Recommendation, User
from engine.rules import EffectContext
from workflows.jag_case.models import JagAction, JagCase

# The Community Trigger's event for a recommendation's progress, and the status an action's
# status gives the recommendation (an action re-opened or cancelled leaves it as it is).
CT_PROGRESS_EVENT = "recommendation_updated"
RECOMMENDATION_STATUS = {"in_progress": "accepted", "done": "done"}


def recommendation_id(ctx: EffectContext, row: JagCase, seq: int) -> int:
    """The id of recommendation `seq` of the case's linked Community Trigger case."""
    if row.linked_case_id is None:
        raise InvalidInput(
            "This case is not linked to a Community Trigger case.", field="data.recommendation"
        )
    rec = ctx.session.exec(
        select(Recommendation).where(
            Recommendation.case_id == row.linked_case_id, Recommendation.seq == seq
        )
    ).first()
    if rec is None:
        raise InvalidInput(
            f"The linked case has no recommendation {seq}.", field="data.recommendation"
        )
    return int(rec.id)  # type: ignore[arg-type]


def report_progress(ctx: EffectContext, action: JagAction) -> None:
    """Record the action's progress on its recommendation, as the same person, through the
    Community Trigger workflow (so its applicant hears when it is done)."""
    rec = ctx.session.get(Recommendation, action.recommendation_id)
    status = RECOMMENDATION_STATUS.get(action.status)
    if rec is None or status is None or rec.status == status:
        return
    ct = (
        ctx.session.connection()
        .execute(select(Case.reference, Case.version).where(Case.id == rec.case_id))
        .first()
    )
    user = ctx.session.get(User, ctx.actor_user_id) if ctx.actor_user_id else None
    if ct is None or user is None:
        return
    note = f"{ctx.data.note} (JAG action {action.seq} on {ctx.case.reference})"
    try:
        machine.fire_within(
            ctx.session,
            clock=FixedClock(ctx.now),
            case_ref=ct.reference,
            trigger=CT_PROGRESS_EVENT,
            data={"recommendation": rec.seq, "status": status, "note": note[:5000]},
            actor=load_actor(ctx.session, user),
            expected_version=ct.version,
        )
    except NotAllowed:
        raise NotAllowed(
            f"Action {action.seq} carries out recommendation {rec.seq} of {ct.reference}: "
            f"only that case's point of contact or JAG chair may record it as {action.status}."
        ) from None
