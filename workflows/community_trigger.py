"""The ASB Case Review (Community Trigger) process, written in process order."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from engine.definitions import (
    DeadlineRule,
    MessageRule,
    NoNulModel,
    TransitionDef,
    WorkflowDef,
)

ROLES = ("applicant", "contact", "jag_chair", "csp_chair", "appeal_chair", "manager", "admin")


class CommunityTriggerState(StrEnum):
    submitted = "submitted"
    acknowledged = "acknowledged"
    threshold_not_met = "threshold_not_met"
    rejected = "rejected"
    review_scheduled = "review_scheduled"
    under_review = "under_review"
    response_drafted = "response_drafted"
    response_issued = "response_issued"
    appeal_lodged = "appeal_lodged"
    appeal_papers_sent = "appeal_papers_sent"
    monitoring = "monitoring"
    closed = "closed"


S = CommunityTriggerState
OPEN_STATES = tuple(s.value for s in S if s is not S.closed)
# States before any review report: no recommendation exists yet.
PRE_REVIEW_STATES = (S.submitted, S.acknowledged, S.threshold_not_met, S.rejected)

STATE_LABELS = {
    S.submitted: "Application received, waiting to be acknowledged",
    S.acknowledged: "Acknowledged, waiting for the threshold decision",
    S.threshold_not_met: "Threshold not met (appeal window open)",
    S.rejected: "Application rejected (appeal window open)",
    S.review_scheduled: "Threshold met, review being arranged",
    S.under_review: "Under review by the JAG",
    S.response_drafted: "JAG report with the CSP chair",
    S.response_issued: "Response issued (appeal window open)",
    S.appeal_lodged: "Appeal received, papers to be sent",
    S.appeal_papers_sent: "With the independent appeal chair",
    S.monitoring: "Recommendations being monitored",
    S.closed: "Closed",
}


class _Data(NoNulModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Text = Field(min_length=1, max_length=5000)


class ThresholdDecisionData(_Data):
    reasons: str = Text
    # Needed only when the decision differs from the computed result (LLR procedure).
    override_reason: str | None = Field(default=None, min_length=1, max_length=5000)


class RejectionData(_Data):
    ground: Literal[
        "prejudicial", "discriminatory", "malicious", "unreasonable", "vexatious", "frivolous"
    ]
    reasons: str = Text


VictimPart = Literal["attend", "representative", "impact_statement", "none"]
# The victim's parts in which they take part, and so are told the meeting date.
TAKING_PART = ("attend", "representative", "impact_statement")


class ReviewArrangementData(_Data):
    meeting_date: date = Field(description="The day the review meeting will be held.")
    # The applicant reads these in their invitation (review_meeting_arranged).
    meeting_time: time | None = Field(default=None, description="For example, 14:00.")
    meeting_place: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="The address, or the link to join the call.",
    )
    attendees: list[str] = Field(
        min_length=1,
        max_length=50,
        description="One per line: each person invited, with their organisation.",
    )
    victim_involvement: VictimPart = Field(
        description=(
            "Attend the meeting, send a representative, give a written impact statement, "
            "or no part."
        )
    )
    not_invited_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Needed when the victim has no part in the meeting: say why.",
    )


class MeetingData(_Data):
    held_on: date
    attendees: list[str] = Field(min_length=1, max_length=50)
    victim_involvement: Literal["attend", "representative", "impact_statement", "none"]
    not_invited_reason: str | None = Field(default=None, max_length=2000)


class RecommendationIn(_Data):
    recipient_body: str = Field(min_length=1, max_length=200)
    action: str = Text
    owner: str | None = Field(default=None, max_length=200)
    due_on: date | None = None


class JagReportData(_Data):
    findings: str = Text
    agency_summaries: dict[str, str] = Field(default_factory=dict, max_length=30)
    recommendations: list[RecommendationIn] = Field(default_factory=list, max_length=50)


class ResponseData(_Data):
    summary: str = Text


class AppealData(_Data):
    ground: Literal["process_not_considered", "facts_not_considered"]
    details: str = Text
    received_on: date | None = None


class AppealPapersData(_Data):
    appeal_chair_email: str = Field(min_length=3, max_length=254)


class AppealDecisionData(_Data):
    reasons: str = Text


class RecommendationUpdateData(_Data):
    recommendation: int = Field(ge=1, description="The recommendation's number on the case")
    status: Literal["open", "accepted", "declined", "done"]
    note: str = Text


class ClosureData(_Data):
    closure_reason: Literal[
        "resolved",
        "no_further_incidents",
        "victim_agrees",
        "transferred",
        "victim_moved",
        "duplicate",
        "appeal_window_passed",
    ]
    explanation: str = Text


class WithdrawalData(_Data):
    reason: str = Text


TRANSITIONS = (
    TransitionDef(
        "acknowledge",
        (S.submitted,),
        S.acknowledged,
        ("contact", "jag_chair"),
        "Acknowledge the application",
    ),
    TransitionDef(
        "threshold_met",
        (S.acknowledged,),
        S.review_scheduled,
        ("jag_chair",),
        "Decide the threshold is met",
        ("decision_agrees_or_override_reason",),
        ThresholdDecisionData,
        ("record_threshold_decision",),
    ),
    TransitionDef(
        "threshold_not_met",
        (S.acknowledged,),
        S.threshold_not_met,
        ("jag_chair",),
        "Decide the threshold is not met",
        ("decision_agrees_or_override_reason",),
        ThresholdDecisionData,
        ("record_threshold_decision",),
    ),
    TransitionDef(
        "application_rejected",
        (S.acknowledged,),
        S.rejected,
        ("jag_chair",),
        "Reject the application on a stated ground",
        (),
        RejectionData,
        ("record_threshold_decision",),
    ),
    TransitionDef(
        "review_meeting_arranged",
        (S.review_scheduled,),
        S.review_scheduled,
        ("jag_chair",),
        "Arrange the review meeting",
        ("meeting_date_not_in_past", "reason_when_victim_not_invited"),
        ReviewArrangementData,
        ("record_review_arrangement",),
    ),
    TransitionDef(
        "jag_papers_sent",
        (S.review_scheduled,),
        S.review_scheduled,
        ("jag_chair",),
        "Record that the papers went to the review panel",
        ("jag_papers_due",),
    ),
    TransitionDef(
        "review_meeting_held",
        (S.review_scheduled,),
        S.under_review,
        ("jag_chair",),
        "Record the review meeting",
        ("meeting_not_in_future",),
        MeetingData,
    ),
    TransitionDef(
        "jag_report_recorded",
        (S.under_review,),
        S.response_drafted,
        ("jag_chair",),
        "Record the JAG report and recommendations",
        (),
        JagReportData,
        ("record_recommendations",),
    ),
    TransitionDef(
        "response_issued",
        (S.response_drafted,),
        S.response_issued,
        ("csp_chair",),
        "Issue the response to the victim",
        (),
        ResponseData,
        ("record_responder", "issue_response_letter"),
    ),
    TransitionDef(
        "appeal_lodged",
        (S.threshold_not_met, S.rejected, S.response_issued),
        S.appeal_lodged,
        ("contact",),
        "Record an appeal",
        ("appeal_window_open",),
        AppealData,
    ),
    TransitionDef(
        "appeal_papers_sent",
        (S.appeal_lodged,),
        S.appeal_papers_sent,
        ("contact",),
        "Send the papers to an independent chair",
        ("appeal_chair_independent",),
        AppealPapersData,
        ("assign_appeal_chair", "make_appeal_pack"),
    ),
    TransitionDef(
        "appeal_upheld",
        (S.appeal_papers_sent,),
        S.under_review,
        ("appeal_chair",),
        "Uphold the appeal (back to the JAG)",
        (),
        AppealDecisionData,
    ),
    TransitionDef(
        "appeal_not_upheld",
        (S.appeal_papers_sent,),
        S.closed,
        ("appeal_chair",),
        "Do not uphold the appeal (final)",
        (),
        AppealDecisionData,
        ("record_closure",),
    ),
    TransitionDef(
        "monitoring_started",
        (S.response_issued,),
        S.monitoring,
        ("contact", "jag_chair"),
        "Start monitoring the recommendations",
        ("appeal_window_passed",),
    ),
    TransitionDef(
        "recommendation_updated",
        (S.monitoring,),
        S.monitoring,
        ("contact", "jag_chair"),
        "Update a recommendation",
        (),
        RecommendationUpdateData,
        ("update_recommendation",),
    ),
    TransitionDef(
        "case_closed",
        (S.monitoring,),
        S.closed,
        ("contact", "jag_chair"),
        "Close the case",
        ("recommendations_resolved",),
        ClosureData,
        ("record_closure",),
    ),
    TransitionDef(
        "case_closed",
        (S.threshold_not_met, S.rejected),
        S.closed,
        ("contact", "jag_chair"),
        "Close the case",
        ("appeal_window_passed",),
        ClosureData,
        ("record_closure",),
    ),
    TransitionDef(
        "withdrawn",
        OPEN_STATES,
        S.closed,
        ("contact", "jag_chair"),
        "Record that the applicant withdrew",
        (),
        WithdrawalData,
        ("record_closure",),
    ),
)

DEADLINES = (
    DeadlineRule(
        "acknowledgement",
        "Acknowledge the application",
        "acknowledgement",
        opened_by=("submit",),
        met_by=("acknowledge",),
        while_in=(S.submitted,),
        owner_role="contact",
    ),
    DeadlineRule(
        "threshold_decision",
        "Tell the applicant the threshold decision",
        "threshold_decision",
        opened_by=("submit",),
        met_by=("threshold_met", "threshold_not_met", "application_rejected"),
        while_in=(S.submitted, S.acknowledged),
        owner_role="jag_chair",
    ),
    DeadlineRule(
        "review_outcome",
        "Complete the review and send the outcome",
        "review_outcome",
        opened_by=("threshold_met", "appeal_upheld"),
        met_by=("response_issued",),
        while_in=(S.review_scheduled, S.under_review, S.response_drafted),
        owner_role="jag_chair",
    ),
    DeadlineRule(
        "jag_papers",
        "Send the papers to the review panel",
        "jag_papers",
        opened_by=("review_meeting_arranged",),
        met_by=("jag_papers_sent",),
        while_in=(S.review_scheduled,),
        owner_role="jag_chair",
        # Counted back from the meeting: N working days before the date arranged.
        anchor="meeting_date",
        direction=-1,
    ),
    DeadlineRule(
        "appeal_window",
        "The applicant may appeal until",
        "appeal_window",
        opened_by=("threshold_not_met", "application_rejected", "response_issued"),
        met_by=("appeal_lodged",),
        while_in=(S.threshold_not_met, S.rejected, S.response_issued),
        owner_role="applicant",
        kind="window",
    ),
    DeadlineRule(
        "appeal_papers",
        "Send the appeal papers to the independent chair",
        "appeal_papers",
        opened_by=("appeal_lodged",),
        met_by=("appeal_papers_sent",),
        while_in=(S.appeal_lodged,),
        owner_role="contact",
    ),
    DeadlineRule(
        "appeal_decision",
        "Decide the appeal",
        "appeal_decision",
        opened_by=("appeal_papers_sent",),
        met_by=("appeal_upheld", "appeal_not_upheld"),
        while_in=(S.appeal_papers_sent,),
        owner_role="appeal_chair",
    ),
    DeadlineRule(
        "recommendation_due",
        "Check a recommendation is carried out",
        None,  # each recommendation's own due date (opened by record_recommendations)
        opened_by=(),
        met_by=(),
        while_in=tuple(s for s in OPEN_STATES if s not in PRE_REVIEW_STATES),
        owner_role="contact",
    ),
)

MESSAGES = (
    MessageRule("submit", "application_received", "applicant"),
    MessageRule("acknowledge", "application_acknowledged", "applicant"),
    # Decision letters: the message carries the letter (engine/templates/letters/).
    MessageRule(
        "threshold_met",
        "threshold_met_letter",
        "applicant",
        letter="threshold_met",
        shows=("reasons",),
    ),
    MessageRule(
        "threshold_not_met",
        "threshold_not_met_letter",
        "applicant",
        letter="threshold_not_met",
        shows=("reasons",),
    ),
    MessageRule(
        "review_meeting_arranged",
        "review_meeting_arranged",
        "applicant",
        when=(("victim_involvement", TAKING_PART),),
        shows=("meeting_date", "meeting_time", "meeting_place"),
    ),
    MessageRule(
        "application_rejected",
        "rejection_notice",
        "applicant",
        letter="rejection",
        shows=("reasons",),
    ),
    MessageRule(
        "response_issued",
        "review_outcome_letter",
        "applicant",
        letter="response_letter",
        shows=("summary",),
    ),
    MessageRule("appeal_lodged", "appeal_received", "applicant"),
    MessageRule("appeal_papers_sent", "appeal_papers", "appeal_chair"),
    MessageRule(
        "appeal_upheld",
        "appeal_decision_letter",
        "applicant",
        letter="appeal_decision",
        shows=("reasons",),
    ),
    MessageRule(
        "appeal_not_upheld",
        "appeal_decision_letter",
        "applicant",
        letter="appeal_decision",
        shows=("reasons",),
    ),
    MessageRule(
        "case_closed", "case_closed_letter", "applicant", letter="closure", shows=("explanation",)
    ),
    MessageRule("withdrawn", "withdrawal_confirmation", "applicant"),
)

COMMUNITY_TRIGGER = WorkflowDef(
    name="community_trigger",
    version=1,
    title="ASB Case Review (Community Trigger)",
    states=CommunityTriggerState,
    initial=S.submitted,
    start_trigger="submit",
    terminal=(S.closed,),
    state_labels={k.value: v for k, v in STATE_LABELS.items()},
    transitions=TRANSITIONS,
    deadlines=DEADLINES,
    messages=MESSAGES,
    recipients=("applicant", "appeal_chair"),
    roles=ROLES,
)
