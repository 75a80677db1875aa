"""Named effects: what an accepted event records on the case besides its new state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import case as case_
from sqlmodel import col, select, update

from engine import bulk, deadlines, registry
from engine.clock import london_date
from engine.definitions import DeadlineRule
from engine.errors import InvalidInput
from engine.models import Deadline, Recommendation
from engine.rules import EffectContext

# The clock each recommendation with a due date gets (a rule with no timescale).
RECOMMENDATION_DEADLINE = "recommendation_due"
RESOLVED = ("done", "declined", "withdrawn")
# A recipient who accepted or declined a recommendation considered it: had regard to it.
HAD_REGARD = ("accepted", "declined")


def record_threshold_decision(ctx: EffectContext) -> None:
    ctx.case.threshold_decision = {
        "threshold_met": "met",
        "threshold_not_met": "not_met",
        "application_rejected": "rejected",
    }[ctx.trigger]


def record_review_arrangement(ctx: EffectContext) -> None:
    """The date the review meeting is arranged for, kept on the case (re-arranging moves it)."""
    ctx.case.review_meeting_on = ctx.data.meeting_date


def record_meeting_held(ctx: EffectContext) -> None:
    """The day the meeting was held is the case's one meeting date from now on."""
    ctx.case.review_meeting_on = ctx.data.held_on


def record_recommendations(ctx: EffectContext) -> None:
    """Number the report's recommendations after any already on the case; each with a due
    date gets its own deadline, owned by the case's contact, who chases the action plan.
    A report after an upheld appeal may also withdraw or change issued ones, with a reason."""
    for change in ctx.data.changes:
        _apply_change(ctx, change)
    existing = ctx.session.exec(
        select(Recommendation.seq).where(Recommendation.case_id == ctx.case.id)
    ).all()
    start = max(existing, default=0)
    for offset, rec in enumerate(ctx.data.recommendations, start=1):
        row = Recommendation(
            case_id=ctx.case.id,
            seq=start + offset,
            recipient_body=rec.recipient_body,
            action=rec.action,
            owner=rec.owner,
            due_on=rec.due_on,
            updated_at=ctx.now,
        )
        ctx.session.add(row)
        _open_recommendation_deadline(ctx, row)


def _recommendation_rule(ctx: EffectContext) -> DeadlineRule | None:
    wf = registry.workflow(ctx.case.workflow_name)
    return next((r for r in wf.deadlines if r.name == RECOMMENDATION_DEADLINE), None)


def _recommendation_subject(seq: int) -> str:
    return f"recommendation:{seq}"


def _open_recommendation_deadline(ctx: EffectContext, rec: Recommendation) -> None:
    rule = _recommendation_rule(ctx)
    if rule is None or rec.due_on is None:
        return
    new = deadlines.dated(
        rule,
        on=rec.due_on,
        label=deadlines.recommendation_label(rec.seq, rec.recipient_body, rec.action),
        subject=_recommendation_subject(rec.seq),
    )
    bulk.insert_deadlines(
        ctx.session,
        [Deadline(case_id=ctx.case.id, opened_at=ctx.now, opened_by=ctx.trigger, **new.__dict__)],
    )


def _apply_change(ctx: EffectContext, change: Any) -> None:
    rec = _recommendation(ctx, change.recommendation)
    rec.change_reason, rec.updated_at = change.reason, ctx.now
    if change.withdraw:
        rec.status = "withdrawn"
        _close_recommendation_deadline(ctx, rec, status="cancelled")
    else:
        rec.action = change.action or rec.action
        if change.due_on and change.due_on != rec.due_on:
            # A new date: the old clock is cancelled and one opened for the new date.
            _close_recommendation_deadline(ctx, rec, status="cancelled")
            rec.due_on = change.due_on
            _open_recommendation_deadline(ctx, rec)
    ctx.session.add(rec)


def _recommendation(ctx: EffectContext, seq: int) -> Recommendation:
    rec = ctx.session.exec(
        select(Recommendation).where(
            Recommendation.case_id == ctx.case.id, Recommendation.seq == seq
        )
    ).first()
    if rec is None:
        raise InvalidInput(f"This case has no recommendation {seq}.", field="data.recommendation")
    return rec


def _all_recommendations(ctx: EffectContext) -> list[Recommendation]:
    return list(
        ctx.session.exec(
            select(Recommendation)
            .where(Recommendation.case_id == ctx.case.id)
            .order_by(col(Recommendation.seq))
        ).all()
    )


def recommendation_summary(rec: Recommendation) -> dict[str, Any]:
    """One recommendation as a message shows it to the applicant."""
    return {
        "seq": rec.seq,
        "recipient_body": rec.recipient_body,
        "action": rec.action,
        "status": rec.status,
        "note": rec.note,
        "change_reason": rec.change_reason,
        "due_on": rec.due_on.isoformat() if rec.due_on else None,
    }


def _tell(ctx: EffectContext, **values: Any) -> None:
    """Values the event's messages show beside its data (engine.machine passes them on)."""
    ctx.resolved.setdefault("message_context", {}).update(values)


def _named_contact(ctx: EffectContext) -> dict[str, str] | None:
    from workflows.community_trigger import (
        documents,  # documents reads the machine, which runs these effects
    )

    return documents.named_contact(ctx.session, ctx.case)


def record_appeal(ctx: EffectContext) -> None:
    """An appeal's message names the contact who will send it on."""
    _tell(ctx, contact=_named_contact(ctx))


def record_responder(ctx: EffectContext) -> None:
    ctx.case.response_issued_by = ctx.actor_user_id


def issue_recommendations(ctx: EffectContext) -> None:
    """The response makes the report's recommendations live; its letter lists them all,
    and says whether it can be appealed (a final response goes straight on)."""
    recs = _all_recommendations(ctx)
    for rec in recs:
        if rec.issued_at is None:
            rec.issued_at = ctx.now
            ctx.session.add(rec)
    _tell(
        ctx,
        final=ctx.case.state != "response_issued",
        recommendations=[recommendation_summary(r) for r in recs],
    )


def assign_appeal_chair(ctx: EffectContext) -> None:
    ctx.case.appeal_chair_id = ctx.resolved["appeal_chair"].id


def update_recommendation(ctx: EffectContext) -> None:
    rec = _recommendation(ctx, ctx.data.recommendation)
    if rec.status == "withdrawn":
        raise InvalidInput(
            f"Recommendation {rec.seq} was withdrawn by the JAG's report after the appeal.",
            field="data.recommendation",
        )
    rec.status, rec.note, rec.updated_at = ctx.data.status, ctx.data.note, ctx.now
    rec.had_regard = rec.had_regard or rec.status in HAD_REGARD
    ctx.session.add(rec)
    _tell(
        ctx,
        contact=_named_contact(ctx),
        recommendation=recommendation_summary(rec),
        still_open=sum(1 for r in _all_recommendations(ctx) if r.status not in RESOLVED),
    )
    if rec.status in RESOLVED:
        _close_recommendation_deadline(ctx, rec)
    elif not _has_open_recommendation_deadline(ctx, rec):
        # Back to open or accepted after being resolved: it is chased again.
        _open_recommendation_deadline(ctx, rec)


def _close_recommendation_deadline(
    ctx: EffectContext, rec: Recommendation, status: str | None = None
) -> None:
    """Done or declined: its deadline is met, or late if its date had already passed
    (withdrawn or re-dated: `status` cancelled)."""
    today = london_date(ctx.now)
    closed = ctx.session.connection().execute(
        update(Deadline)
        .where(
            col(Deadline.case_id) == ctx.case.id,
            col(Deadline.status) == "open",
            col(Deadline.subject) == _recommendation_subject(rec.seq),
        )
        .values(
            status=status or case_((col(Deadline.due_on) < today, "late"), else_="met"),
            closed_at=ctx.now,
            closed_by=ctx.trigger,
        )
        .returning(col(Deadline.id))
    )
    bulk.end_schedules(ctx.session, list(closed.scalars()))


def _has_open_recommendation_deadline(ctx: EffectContext, rec: Recommendation) -> bool:
    found = ctx.session.connection().execute(
        select(Deadline.id).where(
            col(Deadline.case_id) == ctx.case.id,
            col(Deadline.status) == "open",
            col(Deadline.subject) == _recommendation_subject(rec.seq),
        )
    )
    return found.first() is not None


def record_closure(ctx: EffectContext) -> None:
    reason = getattr(ctx.data, "closure_reason", None)
    ctx.case.closure_reason = reason or {
        "withdrawn": "withdrawn",
        "appeal_not_upheld": "appeal_not_upheld",
        "response_issued": "final_response",
    }.get(ctx.trigger, ctx.trigger)
    ctx.case.closed_at = ctx.now
    # The closing letter sums up what became of each recommendation.
    _tell(ctx, recommendations=[recommendation_summary(r) for r in _all_recommendations(ctx)])


EFFECTS: dict[str, Callable[[EffectContext], None]] = {
    "record_threshold_decision": record_threshold_decision,
    "record_review_arrangement": record_review_arrangement,
    "record_recommendations": record_recommendations,
    "record_meeting_held": record_meeting_held,
    "issue_recommendations": issue_recommendations,
    "record_appeal": record_appeal,
    "record_responder": record_responder,
    "assign_appeal_chair": assign_appeal_chair,
    "update_recommendation": update_recommendation,
    "record_closure": record_closure,
}


# Documents (documents.py, stored by engine/documents.py), written in the event's own
# transaction. The audit row is inserted after the effects run, with the case's next
# version: that is the version named.
def issue_response_letter(ctx: EffectContext) -> None:
    from workflows.community_trigger import (
        documents,  # documents reads the machine, which runs these effects
    )

    documents.store(
        ctx.session,
        ctx.case,
        documents.issued_letter(ctx.session, ctx.case, ctx.data, ctx.actor_user_id, ctx.now),
        event_version=ctx.case.version + 1,
        created_by=ctx.actor_user_id,
        now=ctx.now,
    )


def make_appeal_pack(ctx: EffectContext) -> None:
    from workflows.community_trigger import documents

    pack = documents.appeal_pack(
        ctx.session,
        ctx.case,
        now=ctx.now,
        trigger=ctx.trigger,
        parsed=ctx.data,
        actor_user_id=ctx.actor_user_id,
    )
    documents.store(
        ctx.session,
        ctx.case,
        [pack],
        event_version=ctx.case.version + 1,
        created_by=ctx.actor_user_id,
        now=ctx.now,
    )


EFFECTS.update(
    {
        "issue_response_letter": issue_response_letter,
        "make_appeal_pack": make_appeal_pack,
    }
)


# Incidents, reports and register complaints added before the threshold decision (issue 10).
from workflows.community_trigger import case_reports  # noqa: E402  (case_reports needs nothing from this module)

EFFECTS.update(case_reports.EFFECTS)
