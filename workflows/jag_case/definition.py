"""JAG case work (LLR minimum standards): referral, risk, action plan, peer review, cessation.

A partner agency's staff member refers a victim, perpetrator, place or problem; the JAG
chair accepts it (with a review date) or declines it with a reason. While active, the case
gathers risk assessments, an action plan, a problem-solving record (OSARA) and the steps of
the Incremental Approach; a chair of another locality may be asked to peer review it; it
ceases only on a reason from the area's list, recorded by a chair trained in cessation.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from engine.definitions import DeadlineRule, MessageRule, NoNulModel, TransitionDef, WorkflowDef

# `partner`: a partner agency's staff member working the locality's JAG cases (a grant
# that gives no access to other workflows' cases); `peer_reviewer`: a chair of another
# locality asked to review this one case; `cessation_chair`: a JAG chair of the case's
# locality whom an admin has marked as trained in cessation (grant `cessation_trained`).
ROLES = (
    "contact",
    "jag_chair",
    "partner",
    "peer_reviewer",
    "cessation_chair",
    "manager",
    "admin",
)


class JagState(StrEnum):
    referred = "referred"
    declined = "declined"
    active = "active"
    peer_review_requested = "peer_review_requested"
    cessation_proposed = "cessation_proposed"
    ceased = "ceased"


S = JagState
# Where the case's work goes on: risk, actions, OSARA, ladder, review date.
WORKING = (S.active, S.peer_review_requested, S.cessation_proposed)
OPEN_STATES = (S.referred, *WORKING)

STATE_LABELS = {
    S.referred: "Referred, waiting for the JAG chair to accept or decline",
    S.declined: "Referral declined",
    S.active: "Active",
    S.peer_review_requested: "With a peer reviewer from another locality",
    S.cessation_proposed: "Cessation proposed",
    S.ceased: "Ceased",
}

SUBJECT_KINDS = ("victim", "perpetrator", "place", "problem")
SubjectKind = Literal["victim", "perpetrator", "place", "problem"]
ActionStatus = Literal["open", "in_progress", "done", "cancelled"]


class _Data(NoNulModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Text = Field(min_length=1, max_length=5000)
Short = Field(min_length=1, max_length=200)


class AcceptData(_Data):
    review_on: date | None = Field(
        default=None,
        description="The case's first review date; empty: the area's review interval from today.",
    )
    note: str | None = Field(default=None, min_length=1, max_length=2000)


class DeclineData(_Data):
    reason: str = Text


class RiskData(_Data):
    answers: dict[str, bool] = Field(
        max_length=60, description="Each question of the area's risk assessment: yes or no."
    )
    repeat_victim: bool = False
    vulnerable: bool = False
    reassess_on: date | None = Field(
        default=None,
        description="When to assess again; empty: the area's re-assessment interval.",
    )
    person: int | None = Field(
        default=None, ge=1, description="The victim assessed (a person on the case)."
    )
    notes: str | None = Field(default=None, min_length=1, max_length=5000)


class AddActionData(_Data):
    action: str = Text
    owner: str = Short
    agency: str = Short
    due_on: date
    recommendation: int | None = Field(
        default=None,
        ge=1,
        description="The number of the linked Community Trigger case's recommendation "
        "this action carries out.",
    )


class UpdateActionData(_Data):
    action: int = Field(ge=1, description="The action's number on the case.")
    status: ActionStatus
    note: str = Text
    due_on: date | None = Field(
        default=None, description="A new due date, if it has moved; empty: unchanged."
    )


class OsaraData(_Data):
    objective: str | None = Field(default=None, min_length=1, max_length=5000)
    scanning: str | None = Field(default=None, min_length=1, max_length=5000)
    analysis: str | None = Field(default=None, min_length=1, max_length=5000)
    response: str | None = Field(default=None, min_length=1, max_length=5000)
    assessment: str | None = Field(default=None, min_length=1, max_length=5000)


class LadderStepData(_Data):
    stage: str = Field(min_length=1, max_length=40, description="A stage of the area's ladder.")
    taken_on: date
    agency: str = Short
    person: int | None = Field(
        default=None, ge=1, description="The perpetrator (a person on the case)."
    )
    skip_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Needed when stages are skipped (urgent harm): why.",
    )


class ReviewDateData(_Data):
    review_on: date


class PeerReviewRequestData(_Data):
    reviewer_email: str = Field(min_length=3, max_length=254)
    question: str = Text


class PeerReviewData(_Data):
    findings: str = Text
    recommendations: str | None = Field(default=None, min_length=1, max_length=5000)


class CessationData(_Data):
    reason: str = Field(min_length=1, max_length=40, description="A reason from the area's list.")
    explanation: str = Text


class KeepOpenData(_Data):
    reason: str = Text


class SubjectData(_Data):
    kind: SubjectKind
    name: str | None = Field(default=None, min_length=1, max_length=200)
    date_of_birth: date | None = None
    label: str | None = Field(default=None, min_length=1, max_length=300)
    postcode: str | None = Field(default=None, min_length=1, max_length=10)


WORKERS = ("contact", "jag_chair")
PARTNERS = ("contact", "jag_chair", "partner")


def _loops(
    trigger: str,
    states: tuple[str, ...],
    roles: tuple[str, ...],
    label: str,
    guards: tuple[str, ...],
    data: type[_Data],
    effects: tuple[str, ...],
) -> tuple[TransitionDef, ...]:
    """One event recorded in each of several states, each time staying in that state."""
    return tuple(
        TransitionDef(trigger, (s,), s, roles, label, guards, data, effects) for s in states
    )


TRANSITIONS = (
    TransitionDef(
        "accept",
        (S.referred,),
        S.active,
        ("jag_chair",),
        "Accept the referral",
        ("review_date_not_in_past",),
        AcceptData,
        ("record_acceptance",),
    ),
    TransitionDef(
        "decline",
        (S.referred,),
        S.declined,
        ("jag_chair",),
        "Decline the referral",
        (),
        DeclineData,
        ("record_decline",),
    ),
    *_loops(
        "assess_risk",
        OPEN_STATES,
        PARTNERS,
        "Record a risk assessment of the victim",
        ("risk_answers_complete", "reassess_date_not_in_past"),
        RiskData,
        ("record_risk",),
    ),
    *_loops(
        "add_subject",
        OPEN_STATES,
        PARTNERS,
        "Add a person or place to the case",
        ("subject_complete",),
        SubjectData,
        ("add_subject",),
    ),
    *_loops(
        "add_action",
        WORKING,
        WORKERS,
        "Add an action to the plan",
        ("agency_known", "due_date_not_in_past"),
        AddActionData,
        ("add_action",),
    ),
    *_loops(
        "update_action",
        WORKING,
        PARTNERS,
        "Update an action",
        ("due_date_not_in_past",),
        UpdateActionData,
        ("update_action",),
    ),
    *_loops(
        "record_osara",
        WORKING,
        PARTNERS,
        "Record the problem-solving plan (OSARA)",
        ("osara_for_place_or_problem", "osara_not_empty"),
        OsaraData,
        ("record_osara",),
    ),
    *_loops(
        "record_ladder_step",
        WORKING,
        PARTNERS,
        "Record a step of the Incremental Approach",
        ("agency_known", "step_not_in_future", "ladder_stage_known", "skipped_stages_explained"),
        LadderStepData,
        ("record_ladder_step",),
    ),
    *_loops(
        "set_review_date",
        WORKING,
        WORKERS,
        "Set the next review date",
        ("review_date_not_in_past",),
        ReviewDateData,
        ("record_review_date",),
    ),
    TransitionDef(
        "request_peer_review",
        (S.active,),
        S.peer_review_requested,
        ("jag_chair",),
        "Ask a chair of another locality to peer review the case",
        ("reviewer_from_another_locality",),
        PeerReviewRequestData,
        ("record_peer_review_request",),
    ),
    TransitionDef(
        "record_peer_review",
        (S.peer_review_requested,),
        S.active,
        ("peer_reviewer",),
        "Record the peer review's findings",
        (),
        PeerReviewData,
        ("record_peer_review",),
    ),
    TransitionDef(
        "propose_cessation",
        (S.active,),
        S.cessation_proposed,
        WORKERS,
        "Propose that the case ceases",
        ("cessation_reason_known",),
        CessationData,
    ),
    TransitionDef(
        "cease",
        (S.cessation_proposed,),
        S.ceased,
        ("cessation_chair",),
        "Record that the case has ceased",
        ("cessation_reason_known",),
        CessationData,
        ("record_cessation",),
    ),
    TransitionDef(
        "keep_open",
        (S.cessation_proposed,),
        S.active,
        ("jag_chair", "cessation_chair"),
        "Keep the case open",
        (),
        KeepOpenData,
        ("record_kept_open",),
    ),
)

# Clocks about one item each, opened and closed by the package's effects on the item's own
# date (like the Community Trigger's recommendations): the reminder and escalation sweeps
# treat them as every other deadline.
REVIEW_DEADLINE = "jag_review"
RISK_DEADLINE = "risk_reassessment"
ACTION_DEADLINE = "action_due"
PEER_REVIEW_DEADLINE = "peer_review"
# The e-mail to a chair asked to peer review a case (notifications/templates/<this>.txt).
PEER_REVIEW_ASKED = "peer_review_requested"
PEER_REVIEWER = "peer_reviewer"
# A case on a JAG meeting's agenda: its owner brings it up to date before the papers go
# (opened and closed by the meetings' services, workflows/jag_case/agenda.py).
MEETING_PAPERS_DEADLINE = "meeting_papers"

DEADLINES = (
    DeadlineRule(
        REVIEW_DEADLINE,
        "Review the case",
        None,
        opened_by=(),
        met_by=(),
        while_in=WORKING,
        owner_role="jag_chair",
    ),
    DeadlineRule(
        RISK_DEADLINE,
        "Assess the victim's risk again",
        None,
        opened_by=(),
        met_by=(),
        while_in=OPEN_STATES,
        owner_role="contact",
    ),
    DeadlineRule(
        ACTION_DEADLINE,
        "Check an action is carried out",
        None,
        opened_by=(),
        met_by=(),
        while_in=WORKING,
        owner_role="contact",
    ),
    DeadlineRule(
        PEER_REVIEW_DEADLINE,
        "Get the peer review's findings",
        None,
        opened_by=(),
        met_by=(),
        while_in=(S.peer_review_requested,),
        # The chair who asked chases the reviewer (who holds no role in this locality).
        owner_role="jag_chair",
    ),
    DeadlineRule(
        MEETING_PAPERS_DEADLINE,
        "Update the case before the JAG papers go",
        None,
        opened_by=(),
        met_by=(),
        while_in=OPEN_STATES,
        owner_role="contact",
    ),
)

JAG_CASE = WorkflowDef(
    name="jag_case",
    version=1,
    title="JAG case",
    case_kind="JAG case",
    states=JagState,
    initial=S.referred,
    start_trigger="refer",
    terminal=(S.declined, S.ceased),
    state_labels={k.value: v for k, v in STATE_LABELS.items()},
    transitions=TRANSITIONS,
    deadlines=DEADLINES,
    # The chair asked to peer review a case hears of it at once, by e-mail: the request is
    # a deadline of theirs, and they hold no role on the case's locality to find it by.
    messages=(MessageRule("request_peer_review", PEER_REVIEW_ASKED, PEER_REVIEWER),),
    recipients=(PEER_REVIEWER,),
    roles=ROLES,
)
