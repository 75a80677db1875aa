"""JAG case journeys (issue 13 part 2), frozen clock: every path of the workflow through
the generic machine, each step in a fresh session as the pages and API do."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidInput, InvalidTransition, NotAllowed
from engine.models import AuditEvent, Case, CaseSubject, Deadline, OutboxMessage, Person
from engine.sweeps import sweep_deadlines
from notifications.addresses import outgoing_for
from tests.jag_helpers import PERPETRATOR, PLACE, VICTIM, JagJourney, all_no, all_yes
from workflows.jag_case.access import case_roles as jag_case_roles
from workflows.jag_case.models import (
    JagAction,
    JagActionNote,
    JagCase,
    JagLadderStep,
    JagPeerReview,
    JagRiskAssessment,
)
from workflows.jag_case.services import peer_reviewer_options


@pytest.fixture
def j(session_factory: SessionFactory, clock: FixedClock) -> JagJourney:
    return JagJourney(session_factory, clock)


def _case(s: Session, ref: str) -> Case:
    return s.exec(select(Case).where(Case.reference == ref)).one()


def _deadlines(j: JagJourney, status: str | None = "open") -> dict[str, Deadline]:
    with j.sessions() as s:
        stmt = select(Deadline).where(Deadline.case_id == _case(s, j.ref).id)
        if status:
            stmt = stmt.where(Deadline.status == status)
        return {d.subject or d.name: d for d in s.exec(stmt.order_by(col(Deadline.id))).all()}


def _written(j: JagJourney) -> tuple[Any, ...]:
    """Everything an event writes, to prove a refused one wrote nothing."""
    with j.sessions() as s:
        case = _case(s, j.ref)
        counts = {
            t.__name__: len(s.exec(select(t).where(t.case_id == case.id)).all())
            for t in (AuditEvent, Deadline, OutboxMessage, JagAction, JagRiskAssessment)
        }
        detail = s.get(JagCase, case.id)
        return case.version, case.state, counts, detail.model_dump() if detail else None


def test_a_referral_is_declined_with_a_reason(j: JagJourney) -> None:
    ref = j.refer("partner")
    assert ref.startswith(f"JAG-{j.clock.today().year}-")
    assert j.state() == "referred"
    with j.sessions() as s:
        audit = s.exec(select(AuditEvent).where(AuditEvent.case_id == _case(s, ref).id)).one()
        assert (audit.trigger, audit.to_state, audit.actor_label) == (
            "refer",
            "referred",
            "Partner",
        )
    before = _written(j)
    with pytest.raises(NotAllowed):  # a partner refers; only the JAG chair decides
        j.fire("decline", "partner", {"reason": "Not for the JAG."})
    with pytest.raises(InvalidInput) as missing:
        j.fire("decline", "jag_chair", {})
    assert missing.value.field == "data.reason"
    assert _written(j) == before
    j.fire("decline", "jag_chair", {"reason": "A single incident: the housing provider leads."})
    view = j.view("partner")
    assert view["state"] == "declined"
    assert view["referral"]["decline_reason"] == "A single incident: the housing provider leads."
    assert view["timeline"][0]["reason"] == "A single incident: the housing provider leads."
    assert view["events"] == []
    with pytest.raises(InvalidTransition):
        j.fire("accept", "jag_chair", {})


def test_referral_checks_every_field_and_writes_nothing_when_wrong(j: JagJourney) -> None:
    with pytest.raises(InvalidInput) as bad:
        j.refer(subject_kind="victim", subject={"name": " "}, reason="", agencies=["Aliens"])
    fields = [e["field"] for e in bad.value.errors]
    assert fields == ["subject.name", "reason", "agencies"]
    with pytest.raises(InvalidInput) as odd:
        j.refer(subject={"name": 7, "date_of_birth": "9 April"}, agencies="Police")
    assert [e["field"] for e in odd.value.errors] == [
        "subject.date_of_birth",
        "subject.name",
        "agencies",
    ]
    with pytest.raises(InvalidInput) as kind:
        j.refer(subject_kind="rumour")
    assert kind.value.field == "subject_kind"
    with pytest.raises(InvalidInput) as place:
        j.refer(locality_id="atlantis")
    assert place.value.field == "locality_id"
    with pytest.raises(NotAllowed):  # Melton's partner cannot refer to Leicester's JAG
        j.refer("melton_partner")
    with pytest.raises(NotAllowed):  # a manager reads; they do not refer
        j.refer("manager")
    with j.sessions() as s:
        assert s.exec(select(Case)).all() == []
        assert s.exec(select(Person)).all() == []


def test_accepted_high_risk_plan_escalated_peer_reviewed_then_ceased(
    j: JagJourney, session_factory: SessionFactory
) -> None:
    j.refer("partner")
    j.fire("accept", "jag_chair", {})
    assert j.state() == "active"
    review = _deadlines(j)["review"]
    assert review.due_on == date(2026, 3, 30)  # the area's 28 days
    assert review.owner_role == "jag_chair"

    # Risk: every answer yes is high: the case goes on the next agenda; history kept.
    j.fire("assess_risk", "partner", {"answers": all_no(hate=True, repeat=True)})
    j.fire(
        "assess_risk", "partner", {"answers": all_yes(), "repeat_victim": True, "vulnerable": True}
    )
    view = j.view()
    assert [(r["seq"], r["band"], r["score"]) for r in view["risk"]] == [
        (2, "high", 19),
        (1, "standard", 3),
    ]
    assert view["risk"][0]["repeat_victim"] and view["risk"][0]["vulnerable"]
    assert view["referral"]["risk_band"] == "high"
    assert view["referral"]["on_next_agenda"] is True
    assert view["referral"]["agenda_flagged_on"] == j.today()
    risk_clocks = [d for d in _deadlines(j, None).values() if d.name == "risk_reassessment"]
    assert [d.status for d in risk_clocks] == ["open"]  # the first was met by the second
    with j.sessions() as s:
        closed = s.exec(
            select(Deadline).where(Deadline.name == "risk_reassessment", Deadline.status == "met")
        ).all()
        assert len(closed) == 1

    # An action due in 3 days, missed: the sweep escalates it to the locality's manager.
    j.fire(
        "add_action",
        "jag_chair",
        {
            "action": "Visit the victim with a housing officer",
            "owner": "PC Hall",
            "agency": "Police",
            "due_on": j.today(3),
        },
    )
    action_clock = _deadlines(j)["action:1"]
    assert action_clock.name == "action_due" and action_clock.label.startswith("Action 1: Police")
    j.clock.advance(days=7)  # Monday 9 March: due Thursday 5 March, missed
    sweep_deadlines(session_factory, clock=j.clock)
    with j.sessions() as s:
        escalations = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.deadline_id == action_clock.id,
                OutboxMessage.message == "deadline_overdue_escalation",
            )
        ).all()
        assert [m.recipient for m in escalations] == ["manager@example.org"]
        text = outgoing_for(s, escalations[0], in_doubt=False, base_url="https://ct.example.org")
        assert f"JAG case {j.ref} (Leicester City) has missed a deadline" in text.rendered.text
        assert "Action 1: Police" in text.rendered.subject
    view = j.view()
    assert view["actions"][0]["overdue"] is True
    assert any(d["subject"] == "action:1" and d["overdue"] for d in view["deadlines"])
    j.fire(
        "update_action",
        "partner",
        {"action": 1, "status": "in_progress", "note": "Visit booked for Wednesday."},
    )
    j.fire("update_action", "partner", {"action": 1, "status": "done", "note": "Visited."})
    view = j.view()
    assert view["actions"][0]["status"] == "done" and view["actions"][0]["overdue"] is False
    assert [n["status"] for n in view["actions"][0]["notes"]] == ["in_progress", "done"]
    assert _deadlines(j, None)["action:1"].status == "late"

    # Peer review by Melton's chair: they see this case, and only while asked.
    other = JagJourney.__new__(JagJourney)
    other.__dict__.update(j.__dict__)
    other_ref = other.refer("contact", subject_kind="place", subject=PLACE)
    with pytest.raises(InvalidInput) as same:
        j.fire(
            "request_peer_review",
            "jag_chair",
            {"reviewer_email": "jag@example.org", "question": "Is the plan enough?"},
        )
    assert same.value.field == "data.reviewer_email"
    with pytest.raises(NotAllowed):
        j.view("melton_jag_chair")
    with j.sessions() as s:
        offered = peer_reviewer_options(s, _case(s, j.ref))
    assert offered == [
        {"email": "melton.jag@example.org", "name": "Melton Jag Chair", "locality": "Melton"}
    ]
    j.fire(
        "request_peer_review",
        "jag_chair",
        {"reviewer_email": "melton.jag@example.org", "question": "Is the plan enough?"},
    )
    assert j.state() == "peer_review_requested"
    assert _deadlines(j)["peer_review"].due_on == date(2026, 3, 30)  # 15 working days
    # The reviewer is told at once, by e-mail, and nobody else is.
    with j.sessions() as s:
        asked = s.exec(
            select(OutboxMessage).where(OutboxMessage.message == "peer_review_requested")
        ).all()
        assert [(m.recipient, m.recipient_role, m.channel) for m in asked] == [
            ("melton.jag@example.org", "peer_reviewer", "email")
        ]
        mail = outgoing_for(s, asked[0], in_doubt=False, base_url="https://ct.example.org")
    assert mail.rendered.subject == f"Please peer review JAG case {j.ref} by Monday 30 March 2026"
    assert "chairs the Leicester City Joint Action Group" in mail.rendered.text
    assert "Is the plan enough?" in mail.rendered.text
    assert f"https://ct.example.org/staff/cases/{j.ref}" in mail.rendered.text
    seen = j.view("melton_jag_chair")
    assert seen["roles"] == ["peer_reviewer"]
    assert seen["events"] == ["record_peer_review"]
    with pytest.raises(NotAllowed):
        j.view("melton_jag_chair", ref=other_ref)
    with pytest.raises(NotAllowed):
        j.view("melton_contact")
    j.fire(
        "record_peer_review",
        "melton_jag_chair",
        {
            "findings": "The plan is sound; add a housing warning.",
            "recommendations": "Ask the housing provider for a tenancy warning.",
        },
    )
    assert j.state() == "active"
    assert _deadlines(j, None)["peer_review"].status == "met"
    assert j.view()["peer_reviews"][0]["findings"].startswith("The plan is sound")
    with pytest.raises(NotAllowed):  # their access ended with their findings
        j.view("melton_jag_chair")
    reviewer = j.staff["melton_jag_chair"].actor.user_id
    with j.sessions() as s:
        case = _case(s, j.ref)
        assert jag_case_roles(s, case, reviewer) == set()
        assert jag_case_roles(s, case, reviewer, now=False) == {"peer_reviewer"}  # once asked

    # Cessation: proposed on a reason from the area's list, recorded by a trained chair.
    with pytest.raises(InvalidInput) as reason:
        j.fire("propose_cessation", "jag_chair", {"reason": "bored", "explanation": "x"})
    assert reason.value.field == "data.reason"
    j.fire(
        "propose_cessation",
        "jag_chair",
        {"reason": "risk_reduced", "explanation": "No incidents since the visit."},
    )
    before = _written(j)
    with pytest.raises(NotAllowed):
        j.fire(
            "cease",
            "jag_chair",
            {"reason": "risk_reduced", "explanation": "No incidents since the visit."},
        )
    assert _written(j) == before
    assert "cease" not in j.view("jag_chair")["events"]
    assert "cease" in j.view("trained_chair")["events"]
    j.fire(
        "cease",
        "trained_chair",
        {"reason": "risk_reduced", "explanation": "No incidents since the visit."},
    )
    view = j.view()
    assert view["state"] == "ceased"
    assert view["referral"]["cessation_reason"] == "risk_reduced"
    assert view["referral"]["ceased_by"] == "Trained Chair"
    assert _deadlines(j) == {}  # the review and re-assessment clocks end with the case
    with j.sessions() as s:
        statuses = {
            d.subject: d.status
            for d in s.exec(
                select(Deadline)
                .where(Deadline.case_id == _case(s, j.ref).id)
                .order_by(col(Deadline.id))
            ).all()
        }
        assert statuses["review"] == "cancelled" and statuses["risk"] == "cancelled"


def test_a_proposed_cessation_can_be_kept_open_with_a_reason(j: JagJourney) -> None:
    j.refer("partner")
    j.fire("accept", "jag_chair", {"review_on": j.today(14)})
    assert _deadlines(j)["review"].due_on == date(2026, 3, 16)
    j.fire("set_review_date", "contact", {"review_on": j.today(21)})
    assert _deadlines(j)["review"].due_on == date(2026, 3, 23)
    with pytest.raises(InvalidInput) as past:
        j.fire("set_review_date", "contact", {"review_on": j.today(-1)})
    assert past.value.field == "data.review_on"
    j.fire(
        "propose_cessation",
        "contact",
        {"reason": "moved_away", "explanation": "The victim moved to Derby."},
    )
    with pytest.raises(InvalidInput):
        j.fire("keep_open", "jag_chair", {})
    j.fire("keep_open", "jag_chair", {"reason": "The perpetrator followed her address."})
    view = j.view()
    assert view["state"] == "active"
    assert view["referral"]["kept_open_reason"] == "The perpetrator followed her address."
    assert "review" in _deadlines(j)  # still under review


def test_the_incremental_approach_per_perpetrator_across_cases(j: JagJourney) -> None:
    first = j.refer("partner", subject_kind="perpetrator", subject=PERPETRATOR)
    j.fire("accept", "jag_chair", {})
    step = {"stage": "first_letter", "taken_on": j.today(), "agency": "Council"}
    j.fire("record_ladder_step", "partner", step)
    with pytest.raises(InvalidInput) as skip:
        j.fire("record_ladder_step", "partner", {**step, "stage": "cpn", "agency": "Police"})
    assert skip.value.field == "data.skip_reason"
    assert "Acceptable Behaviour Contract" in str(skip.value)
    with pytest.raises(InvalidInput) as unknown:
        j.fire("record_ladder_step", "partner", {**step, "stage": "exile"})
    assert unknown.value.field == "data.stage"
    j.fire(
        "record_ladder_step",
        "partner",
        {**step, "stage": "cpn", "agency": "Police", "skip_reason": "Threats with a knife."},
    )

    # A second case about the same man (his name written differently) is linked to him.
    second = j.refer(
        "contact",
        subject_kind="perpetrator",
        subject={"name": "dean  PARKS", "date_of_birth": "2001-11-30"},
    )
    with j.sessions() as s:
        assert len(s.exec(select(Person)).all()) == 1
        assert len(s.exec(select(CaseSubject)).all()) == 2
    view = j.view(ref=second)
    assert [o["reference"] for o in view["other_cases"]] == [first]
    ladder = view["ladder"][0]
    assert ladder["current"] == "Community Protection Notice"
    assert [(st["stage"], st["status"]) for st in ladder["stages"]] == [
        ("first_letter", "reached"),
        ("second_letter", "skipped"),
        ("abc", "skipped"),
        ("cpw", "skipped"),
        ("cpn", "reached"),
        ("court", "not_reached"),
    ]
    assert ladder["stages"][1]["reason"] == "Threats with a knife."
    assert ladder["stages"][4]["case"] == first
    # Another locality's staff do not see the Leicester case from a case of their own.
    with pytest.raises(NotAllowed):
        j.view("melton_contact", ref=first)


def test_a_repeat_victim_shows_from_each_case_but_only_cases_the_reader_may_open(
    j: JagJourney,
) -> None:
    first = j.refer("partner")
    melton = j.refer("melton_partner", locality_id="melton")
    third = j.refer("contact", subject={"name": "ANN O'BRIEN", "date_of_birth": "1961-04-09"})
    view = j.view("jag_chair", ref=third)
    assert [o["reference"] for o in view["other_cases"]] == [first]
    assert [o["reference"] for o in j.view("manager", ref=third)["other_cases"]] == [
        melton,
        first,
    ]
    # Assessed on the third case, she is a repeat victim though nobody said so.
    j.fire("assess_risk", "contact", {"answers": all_no()}, ref=third)
    assert j.view(ref=third)["risk"][0]["repeat_victim"] is True
    # A victim added to a case later is matched the same way.
    j.ref = third
    j.fire("add_subject", "contact", {"kind": "perpetrator", **PERPETRATOR})
    with pytest.raises(InvalidInput):
        j.fire("add_subject", "contact", {"kind": "victim", **VICTIM})  # already on it
    with pytest.raises(InvalidInput) as nameless:
        j.fire("add_subject", "contact", {"kind": "place"})
    assert nameless.value.field == "data.label"


def test_osara_is_for_place_and_problem_cases(j: JagJourney) -> None:
    j.refer("partner")
    j.fire("accept", "jag_chair", {})
    with pytest.raises(InvalidTransition):
        j.fire("record_osara", "partner", {"objective": "Fewer calls."})
    j.refer(
        "partner",
        subject_kind="problem",
        subject={"label": "Drug dealing, Beaumont Leys shops", "postcode": "LE4 1DS"},
    )
    j.fire("accept", "jag_chair", {})
    with pytest.raises(InvalidInput):
        j.fire("record_osara", "partner", {})
    j.fire("record_osara", "partner", {"objective": "Fewer calls.", "scanning": "40 calls."})
    j.fire("record_osara", "contact", {"analysis": "Evenings, school holidays."})
    osara = j.view()["osara"]
    assert (osara["objective"], osara["scanning"], osara["analysis"], osara["response"]) == (
        "Fewer calls.",
        "40 calls.",
        "Evenings, school holidays.",
        None,
    )


def test_action_updates_check_the_action_exists(j: JagJourney) -> None:
    j.refer("partner")
    j.fire("accept", "jag_chair", {})
    with pytest.raises(InvalidInput) as missing:
        j.fire("update_action", "partner", {"action": 3, "status": "done", "note": "x"})
    assert missing.value.field == "data.action"
    with pytest.raises(InvalidInput) as agency:
        j.fire(
            "add_action",
            "contact",
            {"action": "x", "owner": "y", "agency": "Aliens", "due_on": j.today(3)},
        )
    assert agency.value.field == "data.agency"
    with pytest.raises(InvalidInput) as unlinked:
        j.fire(
            "add_action",
            "contact",
            {
                "action": "x",
                "owner": "y",
                "agency": "Police",
                "due_on": j.today(3),
                "recommendation": 1,
            },
        )
    assert unlinked.value.field == "data.recommendation"
    with j.sessions() as s:
        assert s.exec(select(JagAction)).all() == []
        assert s.exec(select(JagActionNote)).all() == []
        assert s.exec(select(JagLadderStep)).all() == []
        assert s.exec(select(JagPeerReview)).all() == []


def test_a_reassessment_date_must_be_ahead(j: JagJourney) -> None:
    j.refer("partner")
    with pytest.raises(InvalidInput) as gap:
        j.fire("assess_risk", "partner", {"answers": {"repeat": True}})
    assert gap.value.field == "data.answers.ongoing"
    with pytest.raises(InvalidInput) as odd:
        j.fire("assess_risk", "partner", {"answers": {**all_no(), "zodiac": True}})
    assert odd.value.field == "data.answers.zodiac"
    with pytest.raises(InvalidInput) as past:
        j.fire("assess_risk", "partner", {"answers": all_no(), "reassess_on": j.today()})
    assert past.value.field == "data.reassess_on"
    j.fire("assess_risk", "partner", {"answers": all_no(), "reassess_on": j.today(10)})
    assert _deadlines(j)["risk"].due_on == date(2026, 3, 12)
    assert j.view()["referral"]["on_next_agenda"] is False
    assert j.clock.today() + timedelta(days=10) == date(2026, 3, 12)


REPORT = {
    "findings": "Noise reports were not linked across agencies.",
    "recommendations": [
        {
            "recipient_body": "Leicestershire Police",
            "action": "Refer the street to the JAG",
            "due_on": "2026-04-30",
        },
        {"recipient_body": "Leicester City Council", "action": "Fit noise monitoring"},
    ],
}
HELD = {"attendees": ["Police", "Council"], "victim_involvement": "impact_statement"}


def _ct_case_with_recommendations(j: JagJourney) -> str:
    from tests.factories import make_case

    with j.sessions() as s:
        ct = make_case(s, j.clock).reference
    j.fire("acknowledge", "contact", ref=ct)
    j.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."}, ref=ct)
    j.fire("review_meeting_held", "jag_chair", {**HELD, "held_on": j.today()}, ref=ct)
    j.fire("jag_report_recorded", "jag_chair", REPORT, ref=ct)
    j.fire("response_issued", "csp_chair", {"summary": "Two recommendations agreed."}, ref=ct)
    return ct


def test_a_case_review_recommendation_carried_out_as_a_jag_action(j: JagJourney) -> None:
    ct = _ct_case_with_recommendations(j)
    with pytest.raises(InvalidInput) as wrong:
        j.refer("contact", linked_ct=ct, recommendation_seq=7)
    assert wrong.value.field == "recommendation_seq"
    with pytest.raises(InvalidInput) as hidden:  # Melton's partner may not open the CT case
        j.refer("melton_partner", locality_id="melton", linked_ct=ct, recommendation_seq=1)
    assert hidden.value.field == "linked_ct"
    j.refer("contact", subject_kind="place", subject=PLACE, linked_ct=ct, recommendation_seq=1)
    j.fire("accept", "jag_chair", {})
    view = j.view()
    assert view["linked"]["reference"] == ct
    assert view["linked"]["recommendation"]["status"] == "open"
    assert j.view("partner")["linked"] == {"visible": False}  # a partner cannot open the CT case
    j.fire(
        "add_action",
        "jag_chair",
        {
            "action": "Dispersal patrols on Friday nights",
            "owner": "Sgt Khan",
            "agency": "Police",
            "due_on": j.today(14),
            "recommendation": 1,
        },
    )
    assert j.view()["actions"][0]["recommendation"] == 1

    # A partner cannot record it done: that would record the CT case's progress, which
    # only its contact or JAG chair may; nothing of either case is written.
    with j.sessions() as s:
        ct_version = _case(s, ct).version
    before = _written(j)
    with pytest.raises(NotAllowed) as refused:
        j.fire("update_action", "partner", {"action": 1, "status": "done", "note": "Done."})
    assert ct in str(refused.value)
    assert _written(j) == before
    with j.sessions() as s:
        assert _case(s, ct).version == ct_version

    j.fire(
        "update_action",
        "jag_chair",
        {"action": 1, "status": "done", "note": "Six weekends of patrols, no incidents."},
    )
    with j.sessions() as s:
        ct_case = _case(s, ct)
        assert ct_case.version == ct_version + 1
        audit = s.exec(
            select(AuditEvent)
            .where(AuditEvent.case_id == ct_case.id)
            .order_by(col(AuditEvent.version).desc())
        ).first()
        assert audit is not None and audit.trigger == "recommendation_updated"
        assert audit.data["status"] == "done" and audit.data["recommendation"] == 1
        assert j.ref in audit.data["note"]
        assert audit.actor_label == "Jag Chair"
        clock_of_rec = s.exec(
            select(Deadline).where(
                Deadline.case_id == ct_case.id, Deadline.subject == "recommendation:1"
            )
        ).one()
        assert clock_of_rec.status == "met"
        told = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.case_id == ct_case.id,
                OutboxMessage.message == "recommendation_progress",
            )
        ).all()
        assert len(told) == 1  # the applicant hears it was done
    from engine.queries import case_detail

    with j.sessions() as s:
        ct_view = case_detail(s, reference=ct, actor=j.staff["contact"].actor, clock=j.clock)
    assert ct_view["recommendations"][0]["status"] == "done"
    assert j.view()["linked"]["recommendation"]["status"] == "done"


def test_the_jag_case_list_shows_exactly_the_cases_each_reader_may_open(j: JagJourney) -> None:
    from workflows.jag_case.lists import jag_cases

    leicester = j.refer("partner")
    melton = j.refer("melton_partner", locality_id="melton")
    j.fire("accept", "jag_chair", {}, ref=leicester)

    def listed(who: str) -> list[str]:
        with j.sessions() as s:
            return [c["reference"] for c in jag_cases(s, actor=j.staff[who].actor, clock=j.clock)]

    assert listed("partner") == [leicester]
    assert listed("melton_partner") == [melton]
    assert listed("manager") == [melton, leicester]
    assert listed("appeal_chair") == []
    assert listed("melton_jag_chair") == [melton]
    j.ref = leicester
    j.fire(
        "request_peer_review",
        "jag_chair",
        {"reviewer_email": "melton.jag@example.org", "question": "Enough?"},
    )
    assert listed("melton_jag_chair") == [melton, leicester]
    with j.sessions() as s:
        rows = jag_cases(s, actor=j.staff["jag_chair"].actor, clock=j.clock)
    assert rows[0]["state"] == "peer_review_requested" and rows[0]["review_on"] == "2026-03-30"
    # Each listed case opens for its reader.
    for who in ("partner", "melton_partner", "melton_jag_chair", "manager"):
        for ref in listed(who):
            assert j.view(who, ref=ref)["reference"] == ref


def test_a_jag_case_is_indexed_by_its_people_and_places(j: JagJourney) -> None:
    from engine.models import CaseSearchTerm

    j.refer("partner")
    j.fire("add_subject", "contact", {"kind": "place", **PLACE})
    with j.sessions() as s:
        terms = set(
            s.exec(
                select(CaseSearchTerm.term).where(CaseSearchTerm.case_id == _case(s, j.ref).id)
            ).all()
        )
    assert {"ann", "o", "brien", "victoria", "park", "le1", "7ru", "le17ru"} <= terms


def test_an_action_moved_to_a_new_date_is_chased_on_that_date(j: JagJourney) -> None:
    j.refer("partner")
    j.fire("accept", "jag_chair", {})
    action = {"action": "Fit a doorbell camera", "owner": "Sam", "agency": "Council"}
    with pytest.raises(InvalidInput) as past:
        j.fire("add_action", "contact", {**action, "due_on": j.today(-1)})
    assert past.value.field == "data.due_on"
    j.fire("add_action", "contact", {**action, "due_on": j.today(5)})
    j.fire(
        "update_action",
        "partner",
        {"action": 1, "status": "in_progress", "note": "Parts late.", "due_on": j.today(12)},
    )
    with j.sessions() as s:
        rows = s.exec(
            select(Deadline.due_on, Deadline.status)
            .where(Deadline.subject == "action:1")
            .order_by(col(Deadline.id))
        ).all()
    assert [(str(d), st) for d, st in rows] == [
        ("2026-03-09", "cancelled"),
        ("2026-03-16", "open"),
    ]
    assert set(_deadlines(j)) == {"review", "action:1"}
    j.fire("update_action", "partner", {"action": 1, "status": "done", "note": "Fitted."})
    assert _deadlines(j, None)["action:1"].status == "met"
    with pytest.raises(InvalidInput) as early:
        j.fire(
            "record_ladder_step",
            "partner",
            {"stage": "first_letter", "taken_on": j.today(1), "agency": "Council"},
        )
    assert early.value.field == "data.taken_on"
