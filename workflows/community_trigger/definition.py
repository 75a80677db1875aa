"""The ASB Case Review (Community Trigger) process, written in process order."""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, EmailStr, Field

from engine.definitions import (
    DeadlineRule,
    MessageRule,
    NoNulModel,
    StatutoryFigureRules,
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
# Every state a case can be in after its response is issued, while it is open: an issued
# recommendation's progress can be recorded in each (appeal window, appeal, re-review,
# monitoring). The recommendations_live guard keeps it to cases with an issued response.
AFTER_RESPONSE_STATES = (
    S.response_issued,
    S.appeal_lodged,
    S.appeal_papers_sent,
    S.review_scheduled,
    S.under_review,
    S.response_drafted,
    S.monitoring,
)

STATE_LABELS = {
    S.submitted: "Application received, waiting to be acknowledged",
    S.acknowledged: "Acknowledged, waiting for the threshold decision",
    # Whether the appeal window is open or closed is added from the case's own window.
    S.threshold_not_met: "Threshold not met",
    S.rejected: "Application rejected",
    S.review_scheduled: "Threshold met, review being arranged",
    S.under_review: "Under review by the JAG",
    S.response_drafted: "JAG report with the CSP chair",
    S.response_issued: "Response issued",
    S.appeal_lodged: "Appeal received, papers to be sent",
    S.appeal_papers_sent: "With the independent appeal chair",
    S.monitoring: "Recommendations being monitored",
    S.closed: "Closed",
}


class _Data(NoNulModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Text = Field(min_length=1, max_length=5000)


class _JagDecision(_Data):
    """Where the decision was taken: the JAG meeting of partners (LLR), or, where the area
    allows it, the JAG chair between meetings (the record then says so)."""

    jag_meeting_on: date | None = Field(
        default=None,
        description=(
            "The day of the JAG meeting that decided. Leave empty only for a chair's "
            "decision between meetings, where the area's procedure allows one."
        ),
    )
    partners_present: list[str] | None = Field(
        default=None,
        max_length=40,
        description="One per line: each partner agency present at that meeting.",
    )
    agreed_by: list[str] | None = Field(
        default=None,
        max_length=40,
        description="One per line: who agreed the decision (name and agency).",
    )


class ThresholdDecisionData(_JagDecision):
    reasons: str = Text
    # Needed only when the decision differs from the computed result (LLR procedure).
    override_reason: str | None = Field(default=None, min_length=1, max_length=5000)


class RejectionData(_JagDecision):
    ground: Literal[
        "prejudicial", "discriminatory", "malicious", "unreasonable", "vexatious", "frivolous"
    ]
    reasons: str = Text


VictimPart = Literal["attend", "representative", "impact_statement", "none"]
# The victim's parts in which they take part, and so are told the meeting date.
TAKING_PART = ("attend", "representative", "impact_statement")


class ReviewArrangementData(_Data):
    meeting_date: date = Field(
        description=(
            "The day the review meeting will be held. The papers are due 3 working days"
            " before it; if the meeting is sooner than that, the papers are due today."
        )
    )
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
    confirm_other_date: bool = Field(
        default=False,
        description=(
            "Needed only when the meeting was held on another day than the one arranged: "
            "the case, its deadlines and the applicant's page then show the day it was held."
        ),
    )


class RecommendationIn(_Data):
    recipient_body: str = Field(min_length=1, max_length=200)
    action: str = Text
    owner: str | None = Field(default=None, max_length=200)
    due_on: date | None = None


class RecommendationChange(_Data):
    """A re-review's change to a recommendation already issued: withdrawn, or changed."""

    recommendation: int = Field(ge=1)
    withdraw: bool = False
    action: str | None = Field(default=None, min_length=1, max_length=5000)
    due_on: date | None = None
    reason: str = Field(min_length=1, max_length=2000)


class JagReportData(_Data):
    findings: str = Text
    agency_summaries: dict[str, str] = Field(default_factory=dict, max_length=30)
    recommendations: list[RecommendationIn] = Field(default_factory=list, max_length=50)
    # After an upheld appeal only: the issued recommendations this report withdraws or
    # changes, each with the reason the applicant is shown.
    changes: list[RecommendationChange] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "Only after an upheld appeal. One per line: recommendation number | withdraw, "
            "or the new action | the reason (shown to the applicant)."
        ),
    )


class ResponseData(_Data):
    summary: str = Text


class AppealData(_Data):
    ground: Literal["process_not_considered", "facts_not_considered"]
    details: str = Text
    received_on: date | None = None
    late_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description=(
            "Only for an appeal received after the appeal window closed: why it is accepted "
            "late. The applicant is shown this reason."
        ),
    )


class AppealPapersData(_Data):
    appeal_chair_email: str = Field(min_length=3, max_length=254)


class AppealDecisionData(_Data):
    reasons: str = Text


class RecommendationUpdateData(_Data):
    recommendation: int = Field(ge=1, description="The recommendation's number on the case")
    status: Literal["open", "accepted", "declined", "done"] = Field(
        description=(
            "Accepted: the recipient considered it and will act. Declined: the recipient "
            "considered it (had regard to it) and will not act; give their reason in the note. "
            "Done: carried out; say what was done."
        )
    )
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


# --- incidents and reports added after intake, until the threshold decision (issue 10) ---
# Each recomputes the threshold assessment (case_reports.py); none moves the case.
BEFORE_THRESHOLD_DECISION = (S.submitted, S.acknowledged)
Agency = Literal["council", "police", "health", "housing", "other"]
AGENCY_HINT = (
    "council, police, health (the integrated care board), housing (a co-opted housing "
    "provider) or other (anyone else: it does not count toward the threshold)."
)
REPORTED_BY_HINT = (
    "Leave empty if the applicant made the report. Otherwise the person's name, or a "
    'description such as "a neighbour at number 12" (each person a different one).'
)


class IncidentAddedData(_Data):
    occurred_on: date = Field(description="The day the incident happened.")
    place: str | None = Field(default=None, min_length=1, max_length=500)
    description: str = Field(min_length=1, max_length=5000, description="What happened.")
    hate_incident: bool = False
    reported_to: Agency = Field(description=AGENCY_HINT)
    reported_on: date = Field(description="The day it was reported.")
    reference: str | None = Field(default=None, min_length=1, max_length=80)
    reported_by: str | None = Field(
        default=None, min_length=1, max_length=200, description=REPORTED_BY_HINT
    )


class ReportAddedData(_Data):
    incident: int = Field(ge=1, description="The incident's number on the case.")
    reported_to: Agency = Field(description=AGENCY_HINT)
    reported_on: date = Field(description="The day it was reported.")
    reference: str | None = Field(default=None, min_length=1, max_length=80)
    reported_by: str | None = Field(
        default=None, min_length=1, max_length=200, description=REPORTED_BY_HINT
    )
    reporter_email: EmailStr | None = None
    reporter_phone: str | None = Field(default=None, min_length=1, max_length=40)
    contact_consent: bool = Field(
        default=False,
        description="They agreed to be contacted about the case review (needed to keep "
        "their email or phone).",
    )


class ComplaintLinkedData(_Data):
    complaint: int = Field(ge=1, description="The complaint's number in the register.")
    incident: int = Field(ge=1, description="The number of the case's incident it reports.")


# (trigger, label, data, effect): each a self-loop in every state before the decision.
_AFTER_INTAKE_EVENTS = (
    ("incident_added", "Add an incident", IncidentAddedData, "add_incident"),
    ("report_added", "Add a report of an incident", ReportAddedData, "add_report"),
    (
        "complaint_linked",
        "Link a complaint from the register to an incident",
        ComplaintLinkedData,
        "link_complaint",
    ),
)
AFTER_INTAKE = tuple(
    TransitionDef(trigger, (state,), state, ("contact", "jag_chair"), label, (), data, (effect,))
    for state in BEFORE_THRESHOLD_DECISION
    for trigger, label, data, effect in _AFTER_INTAKE_EVENTS
)

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
        ("decision_agrees_or_override_reason", "decided_at_jag_meeting"),
        ThresholdDecisionData,
        ("record_threshold_decision",),
    ),
    TransitionDef(
        "threshold_not_met",
        (S.acknowledged,),
        S.threshold_not_met,
        ("jag_chair",),
        "Decide the threshold is not met",
        ("decision_agrees_or_override_reason", "decided_at_jag_meeting"),
        ThresholdDecisionData,
        ("record_threshold_decision",),
    ),
    TransitionDef(
        "application_rejected",
        (S.acknowledged,),
        S.rejected,
        ("jag_chair",),
        "Reject the application on a stated ground",
        ("decided_at_jag_meeting",),
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
        ("meeting_not_in_future", "other_meeting_day_confirmed"),
        MeetingData,
        ("record_meeting_held",),
    ),
    TransitionDef(
        "jag_report_recorded",
        (S.under_review,),
        S.response_drafted,
        ("jag_chair",),
        "Record the JAG report and recommendations",
        ("changes_only_on_re_review",),
        JagReportData,
        ("record_recommendations",),
    ),
    # After an upheld appeal the JAG looks again: it may arrange a new meeting (its papers
    # have the same clock as the first). Listed after the report, the usual next step.
    TransitionDef(
        "review_meeting_arranged",
        (S.under_review,),
        S.review_scheduled,
        ("jag_chair",),
        "Arrange the review meeting",
        ("re_review", "meeting_date_not_in_past", "reason_when_victim_not_invited"),
        ReviewArrangementData,
        ("record_review_arrangement",),
    ),
    # The response: open to appeal, unless it follows a re-review and the area makes that
    # final; a final response goes on to monitoring, or closes the case when every
    # recommendation is resolved.
    TransitionDef(
        "response_issued",
        (S.response_drafted,),
        S.response_issued,
        ("csp_chair",),
        "Issue the response to the victim",
        (),
        ResponseData,
        ("record_responder", "issue_recommendations", "issue_response_letter"),
        route=("response_open_to_appeal",),
    ),
    TransitionDef(
        "response_issued",
        (S.response_drafted,),
        S.monitoring,
        ("csp_chair",),
        "Issue the response to the victim",
        (),
        ResponseData,
        ("record_responder", "issue_recommendations", "issue_response_letter"),
        route=("recommendations_open",),
    ),
    TransitionDef(
        "response_issued",
        (S.response_drafted,),
        S.closed,
        ("csp_chair",),
        "Issue the response to the victim",
        (),
        ResponseData,
        (
            "record_responder",
            "issue_recommendations",
            "issue_response_letter",
            "record_closure",
        ),
    ),
    TransitionDef(
        "appeal_lodged",
        (S.threshold_not_met, S.rejected, S.response_issued),
        S.appeal_lodged,
        ("contact",),
        "Record an appeal",
        ("appeal_in_time_or_accepted_late",),
        AppealData,
        ("record_appeal",),
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
    # Not upheld: the recommendations already made stay live, so a case with any open
    # goes on to monitoring; only a case with none open closes.
    TransitionDef(
        "appeal_not_upheld",
        (S.appeal_papers_sent,),
        S.monitoring,
        ("appeal_chair",),
        "Do not uphold the appeal (final)",
        (),
        AppealDecisionData,
        route=("recommendations_open",),
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
    # Progress on a recommendation is recorded in whatever state the case is in after its
    # response (each a loop back to the same state).
    *(
        TransitionDef(
            "recommendation_updated",
            (state,),
            state,
            ("contact", "jag_chair"),
            "Update a recommendation",
            ("recommendations_live",),
            RecommendationUpdateData,
            ("update_recommendation",),
        )
        for state in AFTER_RESPONSE_STATES
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
    *AFTER_INTAKE,
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
        # Once the JAG report is in, only the CSP chair can issue the response.
        owner_in=((S.response_drafted, "csp_chair"),),
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
        settled_by="held_on",
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
    # The locality's point of contact and CSP chair hear of a new application the day it
    # arrives: the first word staff get about a case, before any reminder.
    MessageRule("submit", "new_application_alert", "contact"),
    MessageRule("submit", "new_application_alert", "csp_chair"),
    MessageRule("acknowledge", "application_acknowledged", "applicant"),
    # Decision letters: the message carries the letter (templates/letters/).
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
    MessageRule("appeal_lodged", "appeal_received", "applicant", unless_given=("late_reason",)),
    MessageRule("appeal_lodged", "late_appeal_accepted", "applicant", if_given=("late_reason",)),
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
    # The applicant hears when each recommendation is done or declined.
    MessageRule(
        "recommendation_updated",
        "recommendation_progress",
        "applicant",
        when=(("status", ("done", "declined")),),
    ),
    MessageRule("withdrawn", "withdrawal_confirmation", "applicant"),
)

# The s.104 figures: the application is received when submitted; "threshold not met"
# includes refusals on a stated ground (the Act knows only met or not met); a review is
# carried out when its outcome is issued to the applicant.
FIGURES = StatutoryFigureRules(
    received=("submit",),
    threshold_met=("threshold_met",),
    threshold_not_met=("threshold_not_met", "application_rejected"),
    rejected=("application_rejected",),
    review_completed=("response_issued",),
    recommendations_recorded=("jag_report_recorded",),
    withdrawn=("withdrawn",),
    appeal_upheld=("appeal_upheld",),
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
    recipients=("applicant", "appeal_chair", "contact", "csp_chair"),
    roles=ROLES,
    figures=FIGURES,
)
