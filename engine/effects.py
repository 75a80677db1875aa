"""Named effects: what an accepted event records on the case besides its new state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from engine.errors import InvalidInput
from engine.models import Case, Recommendation


@dataclass
class EffectContext:
    session: Session
    case: Case
    trigger: str
    data: Any
    actor_user_id: int | None
    now: datetime
    resolved: dict[str, Any]


def record_threshold_decision(ctx: EffectContext) -> None:
    ctx.case.threshold_decision = {
        "threshold_met": "met",
        "threshold_not_met": "not_met",
        "application_rejected": "rejected",
    }[ctx.trigger]


def record_recommendations(ctx: EffectContext) -> None:
    existing = ctx.session.exec(
        select(Recommendation.seq).where(Recommendation.case_id == ctx.case.id)
    ).all()
    start = max(existing, default=0)
    for offset, rec in enumerate(ctx.data.recommendations, start=1):
        ctx.session.add(
            Recommendation(
                case_id=ctx.case.id,
                seq=start + offset,
                recipient_body=rec.recipient_body,
                action=rec.action,
                owner=rec.owner,
                due_on=rec.due_on,
                updated_at=ctx.now,
            )
        )


def record_responder(ctx: EffectContext) -> None:
    ctx.case.response_issued_by = ctx.actor_user_id


def assign_appeal_chair(ctx: EffectContext) -> None:
    ctx.case.appeal_chair_id = ctx.resolved["appeal_chair"].id


def update_recommendation(ctx: EffectContext) -> None:
    rec = ctx.session.exec(
        select(Recommendation).where(
            Recommendation.case_id == ctx.case.id, Recommendation.seq == ctx.data.recommendation
        )
    ).first()
    if rec is None:
        raise InvalidInput(
            f"This case has no recommendation {ctx.data.recommendation}.",
            field="data.recommendation",
        )
    rec.status, rec.note, rec.updated_at = ctx.data.status, ctx.data.note, ctx.now
    ctx.session.add(rec)


def record_closure(ctx: EffectContext) -> None:
    reason = getattr(ctx.data, "closure_reason", None)
    ctx.case.closure_reason = reason or {
        "withdrawn": "withdrawn",
        "appeal_not_upheld": "appeal_not_upheld",
    }.get(ctx.trigger, ctx.trigger)
    ctx.case.closed_at = ctx.now


EFFECTS: dict[str, Callable[[EffectContext], None]] = {
    "record_threshold_decision": record_threshold_decision,
    "record_recommendations": record_recommendations,
    "record_responder": record_responder,
    "assign_appeal_chair": assign_appeal_chair,
    "update_recommendation": update_recommendation,
    "record_closure": record_closure,
}


# Documents (engine/documents.py), written in the event's own transaction. The audit row is
# inserted after the effects run, with the case's next version: that is the version named.
def issue_response_letter(ctx: EffectContext) -> None:
    from engine import documents  # documents reads the machine, which runs these effects

    documents.store(
        ctx.session,
        ctx.case,
        documents.issued_letter(ctx.session, ctx.case, ctx.data, ctx.actor_user_id, ctx.now),
        event_version=ctx.case.version + 1,
        created_by=ctx.actor_user_id,
        now=ctx.now,
    )


def make_appeal_pack(ctx: EffectContext) -> None:
    from engine import documents

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
