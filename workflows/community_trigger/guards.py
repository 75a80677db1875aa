"""Named guards: conditions a transition needs, each answering with a reason."""

from __future__ import annotations

from sqlmodel import Session, select

from engine import registry
from engine.models import AuditEvent, Case, Recommendation, RoleGrant, User
from engine.rules import OK, Guard, GuardContext, Verdict
from engine.threshold import format_date

# A recommendation is resolved when done, declined (after its recipient had regard to
# it), or withdrawn by a later JAG report.
RESOLVED = ("done", "declined", "withdrawn")


def appeal_in_time_or_accepted_late(ctx: GuardContext) -> Verdict:
    """An appeal within the window; after it, only with the contact's reason to accept it."""
    window = ctx.open_deadline("appeal_window")
    if window is None:
        if ctx.case.state == "response_issued":
            return Verdict(False, "This response was final: it cannot be appealed.")
        return Verdict(False, "There is no appeal window on this case.")
    if ctx.data is None:
        return OK  # the page offers the form; the dates are checked when it is sent
    received = ctx.data.received_on or ctx.today
    late_reason = ctx.data.late_reason
    closed = format_date(window.due_on)
    if received > window.due_on and not late_reason:
        return Verdict(
            False,
            f"The appeal window closed on {closed}. To accept this appeal late, give the "
            "reason for accepting it.",
            field="data.late_reason",
        )
    if received <= window.due_on and late_reason:
        return Verdict(
            False,
            f"This appeal is within the appeal window (open until {closed}): leave the "
            "reason for accepting it late empty.",
            field="data.late_reason",
        )
    if received > ctx.today:
        return Verdict(
            False, "The date received cannot be in the future.", field="data.received_on"
        )
    return OK


def appeal_window_passed(ctx: GuardContext) -> Verdict:
    window = ctx.open_deadline("appeal_window")
    if window is not None and ctx.today <= window.due_on:
        return Verdict(False, f"The applicant may still appeal until {format_date(window.due_on)}.")
    return OK


def _recommendations(ctx: GuardContext) -> list[Recommendation]:
    return list(
        ctx.session.exec(
            select(Recommendation)
            .where(Recommendation.case_id == ctx.case.id)
            .order_by(Recommendation.seq)  # type: ignore[arg-type]
        ).all()
    )


def recommendations_resolved(ctx: GuardContext) -> Verdict:
    pending = [r.seq for r in _recommendations(ctx) if r.status not in RESOLVED]
    if pending:
        if len(pending) == 1:
            return Verdict(False, f"Recommendation {pending[0]} is not yet done or declined.")
        numbers = ", ".join(str(n) for n in pending[:-1]) + f" and {pending[-1]}"
        return Verdict(False, f"Recommendations {numbers} are not yet done or declined.")
    return OK


def recommendations_open(ctx: GuardContext) -> Verdict:
    """Some recommendation is still to be done or declined (the case goes to monitoring)."""
    if any(r.status not in RESOLVED for r in _recommendations(ctx)):
        return OK
    return Verdict(False, "Every recommendation is done, declined or withdrawn.")


def recommendations_live(ctx: GuardContext) -> Verdict:
    """Progress is recorded only on a recommendation a response has issued."""
    issued = {r.seq: r for r in _recommendations(ctx) if r.issued_at is not None}
    if not issued:
        return Verdict(False, "No response with recommendations has been issued on this case.")
    number = getattr(ctx.data, "recommendation", None)
    if number is not None and number not in issued:
        return Verdict(
            False,
            f"This case has no recommendation {number} that a response has issued: a "
            "recommendation can be updated once the response that makes it is issued.",
            field="data.recommendation",
        )
    return OK


def _appeals_upheld(ctx: GuardContext) -> int:
    return appeals_upheld(ctx.session, ctx.case)


def appeals_upheld(session: Session, case: Case) -> int:
    """How many times an appeal sent this case back to the JAG."""
    return len(
        session.exec(
            select(AuditEvent.id).where(
                AuditEvent.case_id == case.id, AuditEvent.trigger == "appeal_upheld"
            )
        ).all()
    )


def response_is_final(session: Session, case: Case) -> bool:
    """Whether a response issued now would be final (after a re-review, where the area
    makes it so): its letter offers no appeal."""
    final_by_area = registry.area(case.area_id).re_review_response_final
    return final_by_area and appeals_upheld(session, case) > 0


def re_review(ctx: GuardContext) -> Verdict:
    """The case was sent back to the JAG by an upheld appeal."""
    if _appeals_upheld(ctx):
        return OK
    return Verdict(False, "A new review meeting is arranged only after an upheld appeal.")


def response_open_to_appeal(ctx: GuardContext) -> Verdict:
    """A first response can be appealed; one after a re-review only if the area says so."""
    if not _appeals_upheld(ctx) or not ctx.area.re_review_response_final:
        return OK
    return Verdict(False, "The response after a re-review is final.")


def changes_only_on_re_review(ctx: GuardContext) -> Verdict:
    """A JAG report changes or withdraws issued recommendations only after an upheld appeal."""
    changes = ctx.data.changes
    if not changes:
        return OK
    if not _appeals_upheld(ctx):
        return Verdict(
            False,
            "Issued recommendations can be changed or withdrawn only by a report after an "
            "upheld appeal.",
            field="data.changes",
        )
    live = {r.seq for r in _recommendations(ctx) if r.issued_at and r.status not in RESOLVED}
    for change in changes:
        if change.recommendation not in live:
            return Verdict(
                False,
                f"Recommendation {change.recommendation} is not an open, issued "
                "recommendation of this case.",
                field="data.changes",
            )
        if not change.withdraw and not (change.action or change.due_on):
            return Verdict(
                False,
                f"Say how recommendation {change.recommendation} changes, or withdraw it.",
                field="data.changes",
            )
    return OK


def decided_at_jag_meeting(ctx: GuardContext) -> Verdict:
    """The threshold decision names its JAG meeting, partners and who agreed; without a
    meeting it is the chair's decision between meetings, if the area allows one."""
    data = ctx.data
    if data.jag_meeting_on is None:
        if data.partners_present or data.agreed_by:
            return Verdict(
                False, "Give the date of the JAG meeting that decided.", field="data.jag_meeting_on"
            )
        if ctx.area.chair_decides_between_meetings:
            return OK
        return Verdict(
            False,
            "The JAG decides at a meeting of partners: give the meeting's date.",
            field="data.jag_meeting_on",
        )
    if data.jag_meeting_on > ctx.today:
        return Verdict(
            False, "The JAG meeting date cannot be in the future.", field="data.jag_meeting_on"
        )
    if not data.partners_present:
        return Verdict(
            False,
            "List the partner agencies present at the meeting.",
            field="data.partners_present",
        )
    if not data.agreed_by:
        return Verdict(False, "Say who agreed the decision.", field="data.agreed_by")
    return OK


def other_meeting_day_confirmed(ctx: GuardContext) -> Verdict:
    """A meeting recorded on another day than arranged is confirmed before it is kept."""
    arranged, held = ctx.case.review_meeting_on, ctx.data.held_on
    if arranged is None or arranged == held or ctx.data.confirm_other_date:
        return OK
    return Verdict(
        False,
        f"The meeting was arranged for {format_date(arranged)}, not {format_date(held)}. "
        f"Confirm it was held on {format_date(held)}; the case, its deadlines and the "
        "applicant's page will then show that day.",
        field="data.confirm_other_date",
    )


def decision_agrees_or_override_reason(ctx: GuardContext) -> Verdict:
    """The JAG chair confirms the computed result, or overrides it with a reason (LLR)."""
    computed = bool(ctx.case.threshold_assessment.get("met"))
    decided = ctx.trigger == "threshold_met"
    if computed == decided or getattr(ctx.data, "override_reason", None):
        return OK
    word = "met" if computed else "not met"
    return Verdict(
        False,
        f"The rules say the threshold is {word}; give an override reason to decide otherwise.",
        field="data.override_reason",
    )


def meeting_not_in_future(ctx: GuardContext) -> Verdict:
    if ctx.data.held_on > ctx.today:
        return Verdict(False, "The meeting date cannot be in the future.", field="data.held_on")
    return OK


def meeting_date_not_in_past(ctx: GuardContext) -> Verdict:
    """A review meeting is arranged for today or a later day, never one already gone."""
    if ctx.data.meeting_date < ctx.today:
        return Verdict(
            False, "The meeting date must be today or in the future.", field="data.meeting_date"
        )
    return OK


def reason_when_victim_not_invited(ctx: GuardContext) -> Verdict:
    """When the victim has no part in the meeting, the record says why (statutory guidance)."""
    if ctx.data.victim_involvement == "none" and not ctx.data.not_invited_reason:
        return Verdict(
            False,
            "Say why the victim is not taking part in the meeting.",
            field="data.not_invited_reason",
        )
    return OK


def jag_papers_due(ctx: GuardContext) -> Verdict:
    """Papers can be recorded as sent only for an arranged meeting whose papers are due."""
    if ctx.case.review_meeting_on is None:
        return Verdict(False, "Arrange the review meeting first.")
    if ctx.open_deadline("jag_papers") is None:
        return Verdict(
            False,
            f"The papers for the meeting on {format_date(ctx.case.review_meeting_on)} "
            "are already recorded as sent.",
        )
    return OK


def appeal_chair_independent(ctx: GuardContext) -> Verdict:
    """An appeal is heard by a CSP chair from another locality and partnership (LLR)."""
    email = ctx.data.appeal_chair_email.lower()
    user = ctx.session.exec(select(User).where(User.email == email)).first()
    grants = _appeal_chair_grants(ctx, user)
    if user is None or not grants:
        return Verdict(
            False,
            "No appeal chair on the area's list has that email address.",
            field="data.appeal_chair_email",
        )
    own = ctx.area.localities[ctx.case.locality_id].partnership
    home = {g.locality_id for g in grants}
    homes = {ctx.area.localities[h].partnership for h in home if h in ctx.area.localities}
    if ctx.case.locality_id in home or own in homes:
        return Verdict(
            False,
            "The appeal chair must come from another locality and partnership.",
            field="data.appeal_chair_email",
        )
    if user.id == ctx.case.response_issued_by or _decided_on_case(ctx, user):
        return Verdict(
            False,
            "The appeal chair cannot be someone who recorded a decision on this case.",
            field="data.appeal_chair_email",
        )
    if _works_in_locality(ctx, user):
        return Verdict(
            False,
            "The appeal chair cannot hold any role in the case's locality.",
            field="data.appeal_chair_email",
        )
    ctx.resolved["appeal_chair"] = user
    return OK


def _works_in_locality(ctx: GuardContext, user: User) -> bool:
    """Any grant of any role that covers the case's locality (area-wide grants cover it too):
    a chair with grants in two places must not hear an appeal from the place they work."""
    rows = ctx.session.exec(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id,
            RoleGrant.area_id == ctx.case.area_id,
            RoleGrant.role != "appeal_chair",
        )
    ).all()
    return any(g.locality_id in (None, ctx.case.locality_id) for g in rows)


def _decided_on_case(ctx: GuardContext, user: User) -> bool:
    """Whether the user recorded any event on the case: the audit trail remembers it even
    after their grants change, so nobody hears an appeal against their own decision."""
    found = ctx.session.exec(
        select(AuditEvent.id).where(
            AuditEvent.case_id == ctx.case.id, AuditEvent.actor_user_id == user.id
        )
    ).first()
    return found is not None


def _appeal_chair_grants(ctx: GuardContext, user: User | None) -> list[RoleGrant]:
    if user is None or not user.active:
        return []
    return list(
        ctx.session.exec(
            select(RoleGrant).where(
                RoleGrant.user_id == user.id,
                RoleGrant.role == "appeal_chair",
                RoleGrant.area_id == ctx.case.area_id,
            )
        ).all()
    )


GUARDS: dict[str, Guard] = {
    "appeal_in_time_or_accepted_late": Guard(appeal_in_time_or_accepted_late),
    "recommendations_open": Guard(recommendations_open),
    "recommendations_live": Guard(recommendations_live),
    "re_review": Guard(re_review),
    "response_open_to_appeal": Guard(response_open_to_appeal),
    "changes_only_on_re_review": Guard(changes_only_on_re_review, True),
    "decided_at_jag_meeting": Guard(decided_at_jag_meeting, True),
    "other_meeting_day_confirmed": Guard(other_meeting_day_confirmed, True),
    "appeal_window_passed": Guard(appeal_window_passed),
    "recommendations_resolved": Guard(recommendations_resolved),
    "decision_agrees_or_override_reason": Guard(decision_agrees_or_override_reason, True),
    "meeting_not_in_future": Guard(meeting_not_in_future, True),
    "meeting_date_not_in_past": Guard(meeting_date_not_in_past, True),
    "reason_when_victim_not_invited": Guard(reason_when_victim_not_invited, True),
    "jag_papers_due": Guard(jag_papers_due),
    "appeal_chair_independent": Guard(appeal_chair_independent, True),
}
