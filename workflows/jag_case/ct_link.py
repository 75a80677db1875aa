"""A JAG case and the Community Trigger case it came from: a case review's recommendation
carried out as a JAG action, its progress recorded on the recommendation (with the
Community Trigger case's own audit, deadlines and messages) in the same transaction; and,
the other way, the JAG cases linked to a Community Trigger case (`linked_to`), for its
case page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine import machine, registry
from engine.access import Actor, load_actor, roles_for_case
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


_CASE, _JAG = Case.__table__, JagCase.__table__  # type: ignore[attr-defined]
# Built once: every Community Trigger case page asks it (almost always finding none).
_LINKED = (
    sa_select(_CASE, _JAG.c.linked_recommendation_seq.label("referred_for"))
    .join(_JAG, _JAG.c.case_id == _CASE.c.id)
    .where(_JAG.c.linked_case_id == bindparam("ct_case"))
    .order_by(_CASE.c.id)
)


def linked_to(session: Session, ct_case_id: int, actor: Actor) -> list[dict[str, Any]]:
    """The JAG cases linked to a Community Trigger case that this reader may open (as the
    JAG case page decides: a case they may not open is left out, so its existence is not
    shown), in the order they were referred; each with the recommendation it was referred
    for and the actions that carry out the Community Trigger case's recommendations."""
    rows = session.connection().execute(_LINKED, {"ct_case": ct_case_id}).all()
    # Each row reads as the case (reference, area, locality, state...) for the access check.
    visible = [(row, row.referred_for) for row in rows if roles_for_case(session, actor, row)]
    if not visible:
        return []
    actions: dict[int, list[dict[str, Any]]] = {}
    for action, rec_seq in session.exec(
        select(JagAction, Recommendation.seq)
        .join(Recommendation, col(Recommendation.id) == JagAction.recommendation_id)
        .where(
            col(JagAction.case_id).in_([case.id for case, _ in visible]),
            Recommendation.case_id == ct_case_id,
        )
        .order_by(col(Recommendation.seq), col(JagAction.seq))
    ).all():
        actions.setdefault(action.case_id, []).append(
            {
                "recommendation": rec_seq,
                "action": action.seq,
                "text": action.action,
                "status": action.status,
                "due_on": action.due_on.isoformat(),
                "completed_on": action.completed_on.isoformat() if action.completed_on else None,
            }
        )
    out = []
    for case, referred_for in visible:
        labels = registry.workflow(case.workflow_name).state_labels
        out.append(
            {
                "reference": case.reference,
                "state": case.state,
                "state_label": labels.get(case.state, case.state),
                "locality": case.locality_id,
                "recommendation": referred_for,
                "actions": actions.get(case.id, []),  # type: ignore[arg-type]
            }
        )
    return out
