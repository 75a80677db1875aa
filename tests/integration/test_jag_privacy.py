"""A JAG case's personal data under the retention schedule and in the subject access export:
every JAG table's free text and names go when a ceased case's period ends, the figures'
dates, statuses, bands and counts stay, and a live case (and a person still on it) is left
alone; before that, the export holds all of it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from markupsafe import escape
from pypdf import PdfReader
from sqlmodel import Session, col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import (
    Case,
    CaseRetention,
    CaseSearchTerm,
    CaseSubject,
    Deadline,
    Person,
    Place,
    PrivacyEvent,
)
from engine.services import dashboard as dashboard_service
from engine.services import retention, subject_access
from engine.services.dashboard import dashboard
from tests.integration.test_staff_login import browser_for
from tests.jag_helpers import PERPETRATOR, PLACE, VICTIM, all_yes
from tests.meeting_helpers import MeetingJourney
from workflows.jag_case import minutes, pack
from workflows.jag_case.meeting_models import (
    JagAgendaItem,
    JagMeetingPack,
    JagMinute,
    JagMinuteCorrection,
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

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
REMOVED = retention.REMOVED
MEETING_ON = date(2026, 3, 10)

# The target case's free text: each must be gone after anonymising, and in the export before.
REASON = "Ann is targeted by Dean's friends at the park gates."
RISK_NOTES = "Ann says she no longer leaves the flat after dark."
ACTION = "Visit Ann with a housing officer about the gate code"
OWNER = "PC Hollis"
ACTION_NOTE = "Visited: Ann named two of the visitors."
SKIP_REASON = "Dean threatened Ann with a knife."
OSARA_OBJECTIVE = "Stop the gatherings at the Granville Road gates."
QUESTION = "Is the plan for Ann enough?"
FINDINGS = "Sound, but Ann needs a support worker."
PEER_RECS = "Refer Ann to victim services."
DECISION = "Ann to be moved; Dean warned by letter."
RISK_CHANGE = "Ann's risk down to medium."
CORRECTION = "Dean's letter was sent by the council, not the police."
CESSATION = "Ann moved to Derby; no incidents since."
TARGET_TEXTS = (
    REASON,
    RISK_NOTES,
    ACTION,
    OWNER,
    ACTION_NOTE,
    SKIP_REASON,
    OSARA_OBJECTIVE,
    QUESTION,
    FINDINGS,
    PEER_RECS,
    DECISION,
    RISK_CHANGE,
    CORRECTION,
    CESSATION,
)

# The live case (about the same perpetrator): all of it must stay.
LIVE_REASON = "Dean Parks keeps gathering a crowd outside the chip shop."
LIVE_NOTES = "The shop owner is frightened to open."
LIVE_ACTION = "Patrol the chip shop on Friday nights"
LIVE_NOTE = "Two patrols done, crowd dispersed."


@pytest.fixture
def j(session_factory: SessionFactory, clock: FixedClock) -> MeetingJourney:
    return MeetingJourney(session_factory, clock)


def _id(s: Session, ref: str) -> int:
    return int(s.exec(select(Case.id).where(Case.reference == ref)).one())


def _person(s: Session, name: str) -> Person:
    return s.exec(select(Person).where(Person.name == name)).one()


def build(j: MeetingJourney) -> tuple[str, str, int]:
    """The target case (victim Ann; Dean and the park gates added), with a risk assessment,
    an action and its note, two ladder steps, OSARA, a peer review and a minute at a meeting
    with its papers; and a live case about Dean. Returns the references and the meeting."""
    live = j.refer("partner", subject_kind="perpetrator", subject=PERPETRATOR, reason=LIVE_REASON)
    j.fire("accept", "jag_chair", {})
    j.fire("assess_risk", "partner", {"answers": all_yes(), "notes": LIVE_NOTES})
    j.fire(
        "add_action",
        "jag_chair",
        {"action": LIVE_ACTION, "owner": "PC Ray", "agency": "Police", "due_on": j.today(2)},
    )
    j.fire("update_action", "partner", {"action": 1, "status": "in_progress", "note": LIVE_NOTE})

    target = j.refer("partner", subject=VICTIM, reason=REASON)
    j.fire("accept", "jag_chair", {})
    j.fire("add_subject", "partner", {"kind": "perpetrator", **PERPETRATOR})
    j.fire("add_subject", "partner", {"kind": "place", **PLACE})
    j.fire(
        "assess_risk",
        "partner",
        {"answers": all_yes(), "vulnerable": True, "notes": RISK_NOTES},
    )
    j.fire(
        "add_action",
        "jag_chair",
        {"action": ACTION, "owner": OWNER, "agency": "Police", "due_on": j.today(3)},
    )
    j.fire("update_action", "partner", {"action": 1, "status": "done", "note": ACTION_NOTE})
    step = {"stage": "first_letter", "taken_on": j.today(), "agency": "Council"}
    j.fire("record_ladder_step", "partner", step)
    j.fire(
        "record_ladder_step",
        "partner",
        {**step, "stage": "cpn", "agency": "Police", "skip_reason": SKIP_REASON},
    )
    j.fire("record_osara", "partner", {"objective": OSARA_OBJECTIVE})
    j.fire(
        "request_peer_review",
        "jag_chair",
        {"reviewer_email": "melton.jag@example.org", "question": QUESTION},
    )
    j.fire(
        "record_peer_review",
        "melton_jag_chair",
        {"findings": FINDINGS, "recommendations": PEER_RECS},
    )

    # Both cases are high risk: both on the meeting's agenda, both in its papers.
    mid = j.meeting(MEETING_ON)
    chair = j.staff["jag_chair"].actor
    with j.sessions() as s:
        pack.send_papers(s, clock=j.clock, actor=chair, meeting_id=mid)
    with j.sessions() as s:
        item = s.exec(
            select(JagAgendaItem).where(
                JagAgendaItem.meeting_id == mid, JagAgendaItem.case_id == _id(s, target)
            )
        ).one()
        item_id = int(item.id)  # type: ignore[arg-type]
    with j.sessions() as s:
        minutes.record_minute(
            s,
            clock=j.clock,
            actor=chair,
            meeting_id=mid,
            item_id=item_id,
            decision=DECISION,
            risk_change=RISK_CHANGE,
        )
    with j.sessions() as s:
        meeting = minutes.meetings.load(s, chair, mid)
        meeting.minutes_approved_at = j.clock.now()  # approved: only corrections now
        s.add(meeting)
        s.commit()
    with j.sessions() as s:
        minutes.add_correction(
            s, clock=j.clock, actor=chair, meeting_id=mid, text=CORRECTION, item_id=item_id
        )

    j.fire(
        "propose_cessation",
        "jag_chair",
        {"reason": "moved_away", "explanation": CESSATION},
        ref=target,
    )
    j.fire("cease", "trained_chair", {"reason": "moved_away", "explanation": CESSATION}, ref=target)
    assert j.state(target) == "ceased" and j.state(live) == "active"
    return target, live, mid


def run_at(session_factory: SessionFactory, when: datetime) -> retention.RetentionRun:
    with session_factory() as s:
        return retention.apply_schedule(s, clock=FixedClock(when))


def completion(j: MeetingJourney) -> Any:
    dashboard_service.clear_cache()
    with j.sessions() as s:
        d = dashboard(s, actor=j.staff["manager"].actor, today=j.clock.today())
    return {m["key"]: m for m in d.completion}["jag_case.action_due"]


def snapshot(s: Session, case_id: int) -> dict[str, Any]:
    """Every JAG row of a case, as plain values."""
    actions = s.exec(select(JagAction).where(JagAction.case_id == case_id)).all()
    items = s.exec(select(JagAgendaItem).where(JagAgendaItem.case_id == case_id)).all()
    item_ids = [i.id for i in items]
    return {
        "case": s.get(JagCase, case_id).model_dump(),  # type: ignore[union-attr]
        "risk": [
            r.model_dump()
            for r in s.exec(select(JagRiskAssessment).where(JagRiskAssessment.case_id == case_id))
        ],
        "actions": [a.model_dump() for a in actions],
        "notes": [
            n.model_dump()
            for n in s.exec(
                select(JagActionNote).where(
                    col(JagActionNote.action_id).in_([a.id for a in actions])
                )
            )
        ],
        "osara": [
            o.model_dump() for o in s.exec(select(JagOsara).where(JagOsara.case_id == case_id))
        ],
        "ladder": [
            x.model_dump()
            for x in s.exec(select(JagLadderStep).where(JagLadderStep.case_id == case_id))
        ],
        "peer": [
            p.model_dump()
            for p in s.exec(select(JagPeerReview).where(JagPeerReview.case_id == case_id))
        ],
        "items": [i.model_dump() for i in items],
        "minutes": [
            m.model_dump()
            for m in s.exec(select(JagMinute).where(col(JagMinute.item_id).in_(item_ids)))
        ],
        "subjects": [
            c.model_dump()
            for c in s.exec(select(CaseSubject).where(CaseSubject.case_id == case_id))
        ],
        "terms": sorted(
            t.term for t in s.exec(select(CaseSearchTerm).where(CaseSearchTerm.case_id == case_id))
        ),
        "clocks": [
            (d.subject, d.label, d.status, d.due_on, d.closed_at)
            for d in s.exec(
                select(Deadline).where(Deadline.case_id == case_id).order_by(col(Deadline.id))
            )
        ],
    }


def test_a_ceased_jag_case_loses_its_personal_data_and_keeps_its_figures(
    j: MeetingJourney, session_factory: SessionFactory
) -> None:
    target, live, mid = build(j)
    with j.sessions() as s:
        tid, lid = _id(s, target), _id(s, live)
        before, live_before = snapshot(s, tid), snapshot(s, lid)
        dean = _person(s, "Dean Parks")
        ann = _person(s, "Ann O'Brien")
        pack_before = s.get(JagMeetingPack, mid).html  # type: ignore[union-attr]
        closed_at = s.get(Case, tid).closed_at  # type: ignore[union-attr]
    assert all(str(escape(t)) in pack_before for t in (REASON, ACTION, LIVE_REASON, LIVE_ACTION))
    assert before["terms"] and "ann" in before["terms"]
    figures_before = completion(j)
    assert figures_before["total"]["on_time"] == 1  # the target's action, done on time

    # Ceased on 2 March 2026: due six years on (the area's case period; no JAG period).
    assert closed_at is not None
    six_years = closed_at.replace(year=closed_at.year + 6)
    assert run_at(session_factory, six_years - timedelta(seconds=1)).cases == 0
    assert run_at(session_factory, six_years).cases == 1

    with j.sessions() as s:
        after, live_after = snapshot(s, tid), snapshot(s, lid)
        pack_after = s.get(JagMeetingPack, mid)
        corrections = s.exec(select(JagMinuteCorrection)).all()
        event = s.exec(select(PrivacyEvent).where(PrivacyEvent.case_id == tid)).one()
        ann_after, dean_after = s.get(Person, ann.id), s.get(Person, dean.id)
        gates = s.exec(select(Place)).one()
        target_people = {c["part"]: c["person_id"] or c["place_id"] for c in after["subjects"]}
        stand_in = s.get(Person, target_people["perpetrator"])
        assert s.get(CaseRetention, tid).anonymised_at is not None  # type: ignore[union-attr]

    # The referral: free text gone; what it was about, the band and the outcome kept.
    case = after["case"]
    assert case["referral_reason"] == REMOVED and case["cessation_note"] is None
    assert case["agenda_reason"] is None
    assert (case["subject_kind"], case["risk_band"], case["cessation_reason"]) == (
        "victim",
        "high",
        "moved_away",
    )
    assert case["agencies"] == before["case"]["agencies"]
    # Risk: notes and answers gone; score, band, flags and dates kept.
    for old, new in zip(before["risk"], after["risk"], strict=True):
        assert (new["notes"], new["answers"]) == (None, {})
        assert old["answers"] and old["notes"] == RISK_NOTES
        for key in ("seq", "score", "band", "vulnerable", "repeat_victim", "reassess_on"):
            assert new[key] == old[key], key
        assert new["assessed_at"] == old["assessed_at"]
    # The action and its note: words gone; status, dates and agency kept.
    [action] = after["actions"]
    assert (action["action"], action["owner"]) == (REMOVED, REMOVED)
    for key in ("seq", "agency", "due_on", "status", "completed_on", "created_at"):
        assert action[key] == before["actions"][0][key], key
    assert [(n["note"], n["status"]) for n in after["notes"]] == [(REMOVED, "done")]
    # The action's clock: its label named the action; the dates and status stay.
    assert ("action:1", "Action 1: Police") in [(c[0], c[1]) for c in after["clocks"]]
    assert [c[2:] for c in after["clocks"]] == [c[2:] for c in before["clocks"]]
    assert not any(ACTION in c[1] for c in after["clocks"])
    # OSARA, the ladder, the peer review, the minutes and a correction.
    [osara] = after["osara"]
    assert osara["objective"] == REMOVED and osara["scanning"] is None
    assert [(x["stage"], x["agency"], x["skip_reason"]) for x in after["ladder"]] == [
        ("first_letter", "Council", None),
        ("cpn", "Police", REMOVED),
    ]
    assert [x["taken_on"] for x in after["ladder"]] == [x["taken_on"] for x in before["ladder"]]
    assert after["ladder"][1]["skipped"] == before["ladder"][1]["skipped"] != []
    [review] = after["peer"]
    assert (review["question"], review["findings"], review["recommendations"]) == (
        REMOVED,
        REMOVED,
        REMOVED,
    )
    assert review["recorded_at"] == before["peer"][0]["recorded_at"]
    assert review["due_on"] == before["peer"][0]["due_on"]
    assert [(m["decision"], m["risk_change"]) for m in after["minutes"]] == [(REMOVED, REMOVED)]
    assert [m["cessation"] for m in after["minutes"]] == [m["cessation"] for m in before["minutes"]]
    assert [i["title"] for i in after["items"]] == [target]
    assert [c.text for c in corrections] == [REMOVED]
    # The papers: the case's words gone, the PDF made again, the live case's words kept.
    assert pack_after is not None and pack_after.html != pack_before
    for text in (REASON, ACTION, OWNER, "Ann O&#39;Brien"):
        assert str(escape(text)) not in pack_after.html and text not in pack_after.html, text
    pdf = "".join(p.extract_text() for p in PdfReader(BytesIO(pack_after.pdf)).pages)
    assert "Ann" not in pdf and "gate code" not in pdf
    assert str(escape(LIVE_REASON)) in pack_after.html and LIVE_ACTION in pack_after.html
    # Nothing of the target's free text is left anywhere in its JAG rows.
    flat = json.dumps(after, default=str)
    for text in TARGET_TEXTS:
        assert text not in flat, text
    assert "Ann" not in flat and "O'Brien" not in flat and "Granville" not in flat
    # People and places: Ann and the gates were only on this case; Dean is on the live one.
    assert (ann_after.name, ann_after.date_of_birth) == ("Anonymised", None)  # type: ignore[union-attr]
    assert "brien" not in ann_after.match_key  # type: ignore[union-attr]
    assert (gates.label, gates.postcode) == ("Anonymised", "LE1")
    assert dean_after.name == "Dean Parks"  # type: ignore[union-attr]
    assert stand_in is not None and stand_in.id != dean.id and stand_in.name == "Anonymised"
    assert {x["person_id"] for x in after["ladder"]} == {stand_in.id}
    assert after["terms"] == []
    # The dashboard's action completion counts as before.
    assert completion(j)["by_locality"] == figures_before["by_locality"]
    assert completion(j)["total"] == figures_before["total"]
    # The privacy event counts what each JAG table lost.
    for key, n in (("jag_actions", 1), ("jag_action_notes", 1), ("jag_peer_reviews", 1)):
        assert event.data[key] == n, key
    assert event.data["subjects"] == 3 and event.data["jag_meeting_packs"] == 1

    # The live case is untouched, and its victim record too.
    assert live_after == live_before
    assert live_after["case"]["referral_reason"] == LIVE_REASON
    assert live_after["risk"][0]["notes"] == LIVE_NOTES
    assert live_after["notes"][0]["note"] == LIVE_NOTE
    assert run_at(session_factory, six_years.replace(year=2033)).cases == 0  # once only


def test_a_declined_jag_case_is_due_after_the_same_period(
    j: MeetingJourney, session_factory: SessionFactory
) -> None:
    ref = j.refer("partner", subject=VICTIM, reason=REASON)
    j.fire("decline", "jag_chair", {"reason": "The housing provider leads on this."})
    start = j.clock.now()
    assert run_at(session_factory, start.replace(year=2032) - timedelta(days=1)).cases == 0
    assert run_at(session_factory, start.replace(year=2032)).cases == 1
    with j.sessions() as s:
        detail = s.get(JagCase, _id(s, ref))
        assert detail is not None
        assert (detail.referral_reason, detail.decline_reason) == (REMOVED, None)
        assert s.exec(select(Person)).one().name == "Anonymised"


def test_a_person_on_a_case_still_on_legal_hold_keeps_their_details(
    j: MeetingJourney, session_factory: SessionFactory
) -> None:
    first = j.refer("partner", subject=VICTIM)
    j.fire("decline", "jag_chair", {"reason": "Not yet."})
    second = j.refer("partner", subject=VICTIM)
    j.fire("decline", "jag_chair", {"reason": "Still not."})
    with j.sessions() as s:
        retention.set_hold(
            s, reference=first, actor=j.staff["manager"].actor, clock=j.clock, reason="Claim"
        )
    assert run_at(session_factory, datetime(2033, 1, 1, tzinfo=UTC)) == retention.RetentionRun(
        cases=1, held=1
    )
    with j.sessions() as s:
        ann = _person(s, "Ann O'Brien")  # still on the held case
        links = {
            c.case_id: c.person_id
            for c in s.exec(select(CaseSubject).order_by(col(CaseSubject.id)))
        }
        assert links[_id(s, first)] == ann.id
        moved = s.get(Person, links[_id(s, second)])
        assert moved is not None and moved.id != ann.id and moved.name == "Anonymised"
    with j.sessions() as s:
        retention.clear_hold(
            s, reference=first, actor=j.staff["manager"].actor, clock=j.clock, reason="Settled"
        )
    assert run_at(session_factory, datetime(2033, 1, 1, tzinfo=UTC)).cases == 1
    with j.sessions() as s:
        assert s.exec(select(Person).where(Person.name == "Ann O'Brien")).all() == []


def test_the_subject_access_export_of_a_jag_case_holds_its_personal_data(
    app: Any, j: MeetingJourney, session_factory: SessionFactory, session: Session
) -> None:
    target, live, _ = build(j)
    session.commit()
    manager = browser_for(app, session, j.clock, j.staff["manager"].email)
    manager.sign_in()
    response = manager.get(f"/staff/cases/{target}/export.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    held = data["what_we_hold"]
    assert held["case"]["closure_reason"] == "moved_away" and "applied_on" not in held["case"]
    assert [(x["part"], x.get("name") or x.get("place")) for x in held["subjects"]] == [
        ("victim", "Ann O'Brien"),
        ("perpetrator", "Dean Parks"),
        ("place", "Victoria Park, Granville Road gates"),
    ]
    work = held["case_work"]
    assert work["referral"]["reason_for_referral"] == REASON
    assert work["referral"]["cessation_note"] == CESSATION
    [risk] = work["risk_assessments"]
    assert (risk["band"], risk["notes"], risk["victim"]) == ("high", RISK_NOTES, "Ann O'Brien")
    assert risk["assessed_at"] and risk["reassess_on"]
    assert risk["answers"] and set(risk["answers"].values()) == {"Yes"}
    [action] = work["actions"]
    assert (action["action"], action["owner"], action["status"]) == (ACTION, OWNER, "done")
    assert [u["note"] for u in action["updates"]] == [ACTION_NOTE]
    assert [s["why_skipped"] for s in work["incremental_approach"]] == [None, SKIP_REASON]
    assert {s["person"] for s in work["incremental_approach"]} == {"Dean Parks"}
    assert work["problem_solving"]["objective"] == OSARA_OBJECTIVE
    [review] = work["peer_reviews"]
    assert (review["question"], review["findings"], review["recommendations"]) == (
        QUESTION,
        FINDINGS,
        PEER_RECS,
    )
    [minute] = work["meeting_minutes"]
    assert (minute["meeting_on"], minute["decision"], minute["risk_change"]) == (
        MEETING_ON.isoformat(),
        DECISION,
        RISK_CHANGE,
    )
    assert minute["corrections"] == [CORRECTION]
    assert any("referral" in line for line in data["where_it_came_from"])
    assert LIVE_REASON not in json.dumps(data) and LIVE_NOTE not in json.dumps(data)

    pdf = manager.get(f"/staff/cases/{target}/export.pdf")
    assert pdf.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    text = " ".join(text.split())
    for words in ("Incremental approach", "Peer reviews", "Meeting minutes", "Dean Parks"):
        assert words in text, words
    for words in (ACTION_NOTE, FINDINGS, SKIP_REASON):
        assert " ".join(words.split()) in text, words
    manager.get(f"/staff/cases/{target}/export.xml", status=404)

    # Once anonymised, the export says so: nothing of it is left to give.
    with j.sessions() as s:
        closed = s.get(Case, _id(s, target)).closed_at  # type: ignore[union-attr]
    assert run_at(session_factory, closed.replace(year=2032)).cases == 1  # type: ignore[union-attr]
    with j.sessions() as s:
        later = subject_access.bundle(
            s, reference=target, actor=j.staff["manager"].actor, clock=j.clock
        )
    dumped = json.dumps(later)
    assert all(t not in dumped for t in TARGET_TEXTS)
    assert later["retention"]["anonymised_at"] is not None
