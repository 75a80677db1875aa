"""Named effects of the JAG case workflow: what an accepted event records in the package's
tables besides the case's new state (the machine runs them inside the event's transaction)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import col, func, select

from engine.clock import london_date
from engine.errors import InvalidInput
from engine.models import User
from engine.rows import built
from engine.rules import EffectContext
from workflows.jag_case import ct_link, people, risk, search
from workflows.jag_case.area import jag_area
from workflows.jag_case.clocks import after, close_clock, has_open_clock, open_clock
from workflows.jag_case.definition import (
    ACTION_DEADLINE,
    PEER_REVIEW_DEADLINE,
    REVIEW_DEADLINE,
    RISK_DEADLINE,
)
from workflows.jag_case.models import (
    JagAction,
    JagActionNote,
    JagCase,
    JagLadderStep,
    JagOsara,
    JagPeerReview,
    JagRiskAssessment,
)

RESOLVED = ("done", "cancelled")
REVIEW_SUBJECT = "review"
RISK_SUBJECT = "risk"
PEER_SUBJECT = "peer_review"


def action_subject(seq: int) -> str:
    return f"action:{seq}"


def detail(ctx: EffectContext) -> JagCase:
    row = ctx.session.get(JagCase, ctx.case.id)
    if row is None:  # every JAG case is made with its row (services.refer)
        raise LookupError(f"case {ctx.case.reference} has no JAG record")
    return row


def _next_seq(ctx: EffectContext, table: Any) -> int:
    ctx.session.flush()  # rows added earlier in this event count too
    last = ctx.session.connection().execute(_max_seq(table), {"s_case": ctx.case.id})
    return int(last.scalar() or 0) + 1


@cache
def _max_seq(model: Any) -> Any:
    """The highest item number on one case, in a table of numbered items (built once)."""
    table = model.__table__
    return sa_select(func.max(table.c.seq)).where(table.c.case_id == bindparam("s_case"))


def _set_review(ctx: EffectContext, row: JagCase, day: Any) -> None:
    close_clock(ctx, REVIEW_SUBJECT)
    row.review_on = day
    ctx.session.add(row)
    open_clock(ctx, REVIEW_DEADLINE, on=day, label="Review the case", subject=REVIEW_SUBJECT)


def record_acceptance(ctx: EffectContext) -> None:
    """Accepted: the first review falls on the date given, or after the area's interval."""
    today = london_date(ctx.now)
    day = ctx.data.review_on or after(today, jag_area(ctx.case.area_id).review_interval)
    _set_review(ctx, detail(ctx), day)


def record_decline(ctx: EffectContext) -> None:
    row = detail(ctx)
    row.decline_reason = ctx.data.reason
    ctx.case.closure_reason, ctx.case.closed_at = "declined", ctx.now
    ctx.session.add(row)


def record_review_date(ctx: EffectContext) -> None:
    """A new review date: the one before is met (or late), the new one is chased."""
    _set_review(ctx, detail(ctx), ctx.data.review_on)


def record_risk(ctx: EffectContext) -> None:
    """Keep the assessment (the history), re-assess on its date, and put a high risk on the
    next JAG agenda."""
    area = jag_area(ctx.case.area_id)
    total, band = risk.score(area, ctx.data.answers)
    today = london_date(ctx.now)
    reassess = ctx.data.reassess_on or today + timedelta(days=area.reassess_days)
    person = people.person_on_case(ctx.session, ctx.case.id, "victim", ctx.data.person)
    if ctx.data.person is not None and person is None:
        raise InvalidInput("That person is not a victim on this case.", field="data.person")
    # A victim already on another case is a repeat victim, whether or not the assessor knew.
    repeat = ctx.data.repeat_victim or (
        person is not None and people.on_other_cases(ctx.session, person, "victim", ctx.case.id)
    )
    seq = _next_seq(ctx, JagRiskAssessment)
    ctx.session.add(
        JagRiskAssessment(
            case_id=ctx.case.id,
            seq=seq,
            person_id=person,
            answers=dict(ctx.data.answers),
            score=total,
            band=band,
            repeat_victim=repeat,
            vulnerable=ctx.data.vulnerable,
            reassess_on=reassess,
            notes=ctx.data.notes,
            assessed_at=ctx.now,
            assessed_by=ctx.actor_user_id,
        )
    )
    row = detail(ctx)
    row.risk_band = band
    if band == "high":
        row.agenda_flagged_on = today
        row.agenda_reason = f"High risk (score {total}, assessment {seq})"
    ctx.session.add(row)
    close_clock(ctx, RISK_SUBJECT)
    open_clock(
        ctx,
        RISK_DEADLINE,
        on=reassess,
        label="Assess the victim's risk again",
        subject=RISK_SUBJECT,
    )


def add_subject(ctx: EffectContext) -> None:
    """Link the person or place (the area's record of them), and find the case by them."""
    subject = ctx.data.model_dump()
    people.link_subject(
        ctx.session,
        case_id=ctx.case.id,
        area_id=ctx.case.area_id,
        kind=ctx.data.kind,
        subject=subject,
        now=ctx.now,
    )
    search.index_subject(ctx.session, case_id=ctx.case.id, subject=subject)


def _action_label(a: JagAction) -> str:
    return f"Action {a.seq}: {a.agency} \N{EM DASH} {a.action}"[:200]


def add_action(ctx: EffectContext) -> None:
    """A new action with its own clock on its due date; one made from a Community Trigger
    recommendation is tied to it, so its progress is recorded there too."""
    rec_id = None
    if ctx.data.recommendation is not None:
        rec_id = ct_link.recommendation_id(ctx, detail(ctx), ctx.data.recommendation)
    # The event's data is validated already: the row is written with one plain INSERT that
    # numbers it after the case's last action (no separate read for the number).
    values = {
        "case_id": ctx.case.id,
        "action": ctx.data.action,
        "owner": ctx.data.owner,
        "agency": ctx.data.agency,
        "due_on": ctx.data.due_on,
        "status": "open",
        "recommendation_id": rec_id,
        "created_at": ctx.now,
        "updated_at": ctx.now,
    }
    ctx.session.flush()  # actions added earlier in this event count too
    seq = ctx.session.connection().execute(_NUMBERED_ACTION, values).scalar_one()
    action = built(JagAction, {**values, "seq": seq})
    open_clock(
        ctx,
        ACTION_DEADLINE,
        on=action.due_on,
        label=_action_label(action),
        subject=action_subject(action.seq),
    )


def _numbered_insert(model: Any, keys: tuple[str, ...]) -> Any:
    """INSERT one numbered item (columns `keys`, bound by name) with the next number on its
    case, worked out in the same statement; it returns the number."""
    table = model.__table__
    columns = [table.c[k] for k in keys]
    number = func.coalesce(func.max(table.c.seq), 0) + 1
    source = sa_select(*(bindparam(c.key, type_=c.type) for c in columns), number).where(
        table.c.case_id == bindparam("case_id", type_=table.c.case_id.type)
    )
    return table.insert().from_select([*keys, "seq"], source).returning(table.c.seq)


_NUMBERED_ACTION = _numbered_insert(
    JagAction,
    (
        "case_id",
        "action",
        "owner",
        "agency",
        "due_on",
        "status",
        "recommendation_id",
        "created_at",
        "updated_at",
    ),
)


def _action(ctx: EffectContext, seq: int) -> JagAction:
    found = ctx.session.exec(
        select(JagAction).where(JagAction.case_id == ctx.case.id, JagAction.seq == seq)
    ).first()
    if found is None:
        raise InvalidInput(f"This case has no action {seq}.", field="data.action")
    return found


def update_action(ctx: EffectContext) -> None:
    """The action's status and note (and due date, if moved); done or cancelled stops its
    clock (met, late or cancelled), reopened starts it again. A linked recommendation hears
    of it."""
    action = _action(ctx, ctx.data.action)
    subject = action_subject(action.seq)
    if ctx.data.due_on is not None and ctx.data.due_on != action.due_on:
        # Moved: a live action's clock moves with it (cancelled, and one for the new date).
        action.due_on = ctx.data.due_on
        if close_clock(ctx, subject, status="cancelled"):
            open_clock(
                ctx, ACTION_DEADLINE, on=action.due_on, label=_action_label(action), subject=subject
            )
    action.status, action.updated_at = ctx.data.status, ctx.now
    action.completed_on = london_date(ctx.now) if action.status == "done" else None
    ctx.session.add(action)
    ctx.session.add(
        JagActionNote(
            action_id=action.id,
            written_at=ctx.now,
            written_by=ctx.actor_user_id,
            status=action.status,
            note=ctx.data.note,
        )
    )
    if action.status == "done":
        close_clock(ctx, subject)
    elif action.status == "cancelled":
        close_clock(ctx, subject, status="cancelled")
    elif not has_open_clock(ctx, subject):
        open_clock(
            ctx, ACTION_DEADLINE, on=action.due_on, label=_action_label(action), subject=subject
        )
    if action.recommendation_id is not None:
        ctx.session.flush()
        ct_link.report_progress(ctx, action)


def record_osara(ctx: EffectContext) -> None:
    """The parts given replace those recorded; parts left empty stay as they were."""
    row = ctx.session.exec(select(JagOsara).where(JagOsara.case_id == ctx.case.id)).first()
    row = row or JagOsara(case_id=ctx.case.id, updated_at=ctx.now)
    for key, value in ctx.data.model_dump().items():
        if value:
            setattr(row, key, value)
    row.updated_at, row.updated_by = ctx.now, ctx.actor_user_id
    ctx.session.add(row)


def record_ladder_step(ctx: EffectContext) -> None:
    ctx.session.add(
        JagLadderStep(
            case_id=ctx.case.id,
            person_id=ctx.resolved["person_id"],
            stage=ctx.data.stage,
            taken_on=ctx.data.taken_on,
            agency=ctx.data.agency,
            skipped=list(ctx.resolved["skipped"]),
            skip_reason=ctx.data.skip_reason if ctx.resolved["skipped"] else None,
            recorded_at=ctx.now,
            recorded_by=ctx.actor_user_id,
        )
    )


def record_peer_review_request(ctx: EffectContext) -> None:
    """The asked chair holds the peer reviewer's role on this case alone while the request
    is open (access.py); the request is a deadline."""
    reviewer = ctx.resolved["reviewer"]
    due = after(london_date(ctx.now), jag_area(ctx.case.area_id).peer_review)
    ctx.session.add(
        JagPeerReview(
            case_id=ctx.case.id,
            reviewer_user_id=reviewer.id,
            requested_by=ctx.actor_user_id,
            requested_at=ctx.now,
            question=ctx.data.question,
            due_on=due,
        )
    )
    open_clock(
        ctx,
        PEER_REVIEW_DEADLINE,
        on=due,
        label=f"Peer review by {reviewer.name}",
        subject=PEER_SUBJECT,
    )
    # What the e-mail to the reviewer says besides the question: by when, and who asks.
    asking = ctx.session.get(User, ctx.actor_user_id) if ctx.actor_user_id else None
    ctx.resolved.setdefault("message_context", {}).update(
        {
            "due_on": due.isoformat(),
            "requested_by": asking.name if asking else "The JAG chair",
            "case_locality": ctx.case.locality_id,
        }
    )


def open_peer_review(session: Any, case_id: int) -> JagPeerReview | None:
    return session.exec(
        select(JagPeerReview)
        .where(JagPeerReview.case_id == case_id, col(JagPeerReview.recorded_at).is_(None))
        .order_by(col(JagPeerReview.id).desc())
    ).first()


def record_peer_review(ctx: EffectContext) -> None:
    review = open_peer_review(ctx.session, ctx.case.id)
    if review is None:  # the state says one is open; a missing row is a bug
        raise LookupError(f"case {ctx.case.reference} has no open peer review")
    review.findings, review.recommendations = ctx.data.findings, ctx.data.recommendations
    review.recorded_at = ctx.now
    ctx.session.add(review)
    close_clock(ctx, PEER_SUBJECT)


def record_cessation(ctx: EffectContext) -> None:
    """Ceased: the reason and who recorded it. Its open clocks end with the case (the
    machine cancels the clocks that live only while it is open)."""
    row = detail(ctx)
    row.cessation_reason, row.cessation_note = ctx.data.reason, ctx.data.explanation
    row.ceased_by = ctx.actor_user_id
    ctx.case.closure_reason = ctx.data.reason
    ctx.case.closed_at = ctx.now
    ctx.session.add(row)


def record_kept_open(ctx: EffectContext) -> None:
    row = detail(ctx)
    row.kept_open_reason = ctx.data.reason
    ctx.session.add(row)


EFFECTS = {
    "record_acceptance": record_acceptance,
    "record_decline": record_decline,
    "record_review_date": record_review_date,
    "record_risk": record_risk,
    "add_subject": add_subject,
    "add_action": add_action,
    "update_action": update_action,
    "record_osara": record_osara,
    "record_ladder_step": record_ladder_step,
    "record_peer_review_request": record_peer_review_request,
    "record_peer_review": record_peer_review,
    "record_cessation": record_cessation,
    "record_kept_open": record_kept_open,
}
