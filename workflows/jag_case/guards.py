"""Named guards of the JAG case workflow: what must hold before an event is recorded."""

from __future__ import annotations

from sqlmodel import col, select

from engine.models import CaseSubject, RoleGrant, User
from engine.rules import OK, Guard, GuardContext, Verdict
from workflows.jag_case import people, risk
from workflows.jag_case.area import jag_area
from workflows.jag_case.models import JagCase, JagLadderStep


def _no(reason: str, field: str) -> Verdict:
    return Verdict(False, reason, field)


def review_date_not_in_past(ctx: GuardContext) -> Verdict:
    day = getattr(ctx.data, "review_on", None)
    if day is not None and day < ctx.today:
        return _no("The review date cannot be in the past.", "data.review_on")
    return OK


def due_date_not_in_past(ctx: GuardContext) -> Verdict:
    day = ctx.data.due_on
    if day is not None and day < ctx.today:
        return _no("The due date cannot be in the past.", "data.due_on")
    return OK


def step_not_in_future(ctx: GuardContext) -> Verdict:
    if ctx.data.taken_on > ctx.today:
        return _no("Record a step once it has been taken, not before.", "data.taken_on")
    return OK


def reassess_date_not_in_past(ctx: GuardContext) -> Verdict:
    day = ctx.data.reassess_on
    if day is not None and day <= ctx.today:
        return _no("The re-assessment date must be after today.", "data.reassess_on")
    return OK


def risk_answers_complete(ctx: GuardContext) -> Verdict:
    errors = risk.answer_errors(jag_area(ctx.case.area_id), ctx.data.answers)
    if errors:
        field, message = errors[0]
        return _no(message, field)
    return OK


def subject_complete(ctx: GuardContext) -> Verdict:
    errors = people.subject_errors(ctx.data.kind, ctx.data.model_dump(), prefix="data")
    return _no(errors[0]["message"], errors[0]["field"]) if errors else OK


def agency_known(ctx: GuardContext) -> Verdict:
    agencies = jag_area(ctx.case.area_id).agencies
    if agencies and ctx.data.agency not in agencies:
        return _no(f"Choose an agency: {', '.join(agencies)}.", "data.agency")
    return OK


def osara_for_place_or_problem(ctx: GuardContext) -> Verdict:
    kind = ctx.session.exec(select(JagCase.subject_kind).where(JagCase.case_id == ctx.case.id))
    if kind.first() in people.PLACE_KINDS:
        return OK
    linked = ctx.session.exec(
        select(CaseSubject.id).where(
            CaseSubject.case_id == ctx.case.id,
            col(CaseSubject.part).in_(people.PLACE_KINDS),
        )
    ).first()
    if linked is None:
        return Verdict(False, "A problem-solving plan is for a case about a place or a problem.")
    return OK


def osara_not_empty(ctx: GuardContext) -> Verdict:
    if not any(ctx.data.model_dump().values()):
        return _no("Fill in at least one part of the plan.", "data.objective")
    return OK


def ladder_stage_known(ctx: GuardContext) -> Verdict:
    stages = jag_area(ctx.case.area_id).ladder
    if ctx.data.stage not in {s.id for s in stages}:
        return _no(f"Choose a stage: {', '.join(s.id for s in stages)}.", "data.stage")
    return OK


def skipped_stages_explained(ctx: GuardContext) -> Verdict:
    """The stage a perpetrator is taken to, from the highest they reached on any case: a
    stage passed over needs a reason (urgent harm). Resolves the perpetrator and the
    stages skipped for the effect."""
    person = people.person_on_case(ctx.session, ctx.case.id, "perpetrator", ctx.data.person)
    if person is None:
        field = "data.person"
        return _no("Choose a perpetrator on this case (add them first).", field)
    area = jag_area(ctx.case.area_id)
    reached = ctx.session.exec(
        select(JagLadderStep.stage).where(JagLadderStep.person_id == person)
    ).all()
    top = max((area.stage_index(s) for s in reached if s in area.stage_ids()), default=-1)
    target = area.stage_index(ctx.data.stage)
    skipped = [s.id for s in area.ladder[top + 1 : target]]
    if skipped and not ctx.data.skip_reason:
        words = ", ".join(s.label for s in area.ladder[top + 1 : target])
        return _no(f"Say why these stages are skipped: {words}.", "data.skip_reason")
    ctx.resolved["person_id"], ctx.resolved["skipped"] = person, skipped
    return OK


def reviewer_from_another_locality(ctx: GuardContext) -> Verdict:
    """The reviewer is an active JAG chair of another locality of the same area."""
    email = ctx.data.reviewer_email.strip().lower()
    user = ctx.session.exec(select(User).where(User.email == email)).first()
    field = "data.reviewer_email"
    if user is None or not user.active:
        return _no("There is no active staff member with that email address.", field)
    grants = ctx.session.exec(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id,
            RoleGrant.role == "jag_chair",
            RoleGrant.area_id == ctx.case.area_id,
        )
    ).all()
    if not grants:
        return _no("A peer reviewer must be a JAG chair in this area.", field)
    if any(g.locality_id in (None, ctx.case.locality_id) for g in grants):
        return _no("A peer reviewer must chair another locality's JAG, not this one's.", field)
    ctx.resolved["reviewer"] = user
    return OK


def cessation_reason_known(ctx: GuardContext) -> Verdict:
    reasons = jag_area(ctx.case.area_id).cessation_reasons
    if ctx.data.reason not in reasons:
        return _no(f"Choose a reason: {', '.join(reasons)}.", "data.reason")
    return OK


GUARDS = {
    "review_date_not_in_past": Guard(review_date_not_in_past, needs_data=True),
    "due_date_not_in_past": Guard(due_date_not_in_past, needs_data=True),
    "step_not_in_future": Guard(step_not_in_future, needs_data=True),
    "reassess_date_not_in_past": Guard(reassess_date_not_in_past, needs_data=True),
    "risk_answers_complete": Guard(risk_answers_complete, needs_data=True),
    "subject_complete": Guard(subject_complete, needs_data=True),
    "agency_known": Guard(agency_known, needs_data=True),
    "osara_for_place_or_problem": Guard(osara_for_place_or_problem),
    "osara_not_empty": Guard(osara_not_empty, needs_data=True),
    "ladder_stage_known": Guard(ladder_stage_known, needs_data=True),
    "skipped_stages_explained": Guard(skipped_stages_explained, needs_data=True),
    "reviewer_from_another_locality": Guard(reviewer_from_another_locality, needs_data=True),
    "cessation_reason_known": Guard(cessation_reason_known, needs_data=True),
}
