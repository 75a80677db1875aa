"""Named guards: conditions a transition needs, each answering with a reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, select

from engine.models import AuditEvent, Case, Deadline, Recommendation, RoleGrant, User
from engine.registry import AreaConfig
from engine.threshold import format_date


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    field: str | None = None


OK = Verdict(True)


@dataclass
class GuardContext:
    """What a guard may look at: the case (read only), the event's data, and today's date."""

    session: Session
    case: Case
    area: AreaConfig
    trigger: str
    today: date
    data: Any = None
    resolved: dict[str, Any] = field(default_factory=dict)

    def open_deadline(self, name: str) -> Deadline | None:
        return self.session.exec(
            select(Deadline).where(
                Deadline.case_id == self.case.id, Deadline.name == name, Deadline.status == "open"
            )
        ).first()


@dataclass(frozen=True)
class Guard:
    check: Callable[[GuardContext], Verdict]
    needs_data: bool = False


def appeal_window_open(ctx: GuardContext) -> Verdict:
    window = ctx.open_deadline("appeal_window")
    received = getattr(ctx.data, "received_on", None) or ctx.today
    if window is None:
        return Verdict(False, "There is no open appeal window on this case.")
    if received > window.due_on:
        return Verdict(False, f"The appeal window closed on {window.due_on:%d %B %Y}.")
    return OK


def appeal_window_passed(ctx: GuardContext) -> Verdict:
    window = ctx.open_deadline("appeal_window")
    if window is not None and ctx.today <= window.due_on:
        return Verdict(False, f"The applicant may still appeal until {window.due_on:%d %B %Y}.")
    return OK


def recommendations_resolved(ctx: GuardContext) -> Verdict:
    rows = ctx.session.exec(
        select(Recommendation).where(Recommendation.case_id == ctx.case.id)
    ).all()
    pending = [r.seq for r in rows if r.status not in ("done", "declined")]
    if pending:
        numbers = ", ".join(str(n) for n in pending)
        return Verdict(False, f"Recommendations {numbers} are not yet done or declined.")
    return OK


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
    "appeal_window_open": Guard(appeal_window_open),
    "appeal_window_passed": Guard(appeal_window_passed),
    "recommendations_resolved": Guard(recommendations_resolved),
    "decision_agrees_or_override_reason": Guard(decision_agrees_or_override_reason, True),
    "meeting_not_in_future": Guard(meeting_not_in_future, True),
    "meeting_date_not_in_past": Guard(meeting_date_not_in_past, True),
    "reason_when_victim_not_invited": Guard(reason_when_victim_not_invited, True),
    "jag_papers_due": Guard(jag_papers_due),
    "appeal_chair_independent": Guard(appeal_chair_independent, True),
}
