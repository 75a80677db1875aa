"""JAG meeting papers and minutes (issue 14): the pack, attendance, decisions item by item
with new actions on the cases (through add_action, with their deadlines and audit, in the
minute's transaction), approval at the next meeting, then only appended corrections."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidInput, InvalidTransition, NotAllowed
from engine.models import AuditEvent, Case, Deadline, OutboxMessage
from tests.jag_helpers import all_yes
from tests.meeting_helpers import MeetingJourney
from workflows.jag_case import agenda, minutes, pack
from workflows.jag_case.meeting_models import (
    JagAttendance,
    JagMeeting,
    JagMeetingPack,
    JagMinute,
    JagMinuteCorrection,
)
from workflows.jag_case.models import JagAction

MARCH = date(2026, 3, 10)
APRIL = date(2026, 4, 14)


@pytest.fixture
def j(session_factory: SessionFactory, clock: FixedClock) -> MeetingJourney:
    return MeetingJourney(session_factory, clock)


def _chair(j: MeetingJourney):  # type: ignore[no-untyped-def]
    return j.staff["jag_chair"].actor


def _send(j: MeetingJourney, mid: int) -> None:
    with j.sessions() as s:
        pack.send_papers(s, clock=j.clock, actor=_chair(j), meeting_id=mid)


def _two_case_meeting(j: MeetingJourney) -> tuple[int, list[int], list[str]]:
    high = j.active("Harry Highrisk")
    j.fire("assess_risk", "partner", {"answers": all_yes()})
    j.flag(high, 4)
    review = j.active("Rita Review", review_on="2026-03-09")
    mid = j.meeting(MARCH)
    with j.sessions() as s:
        items = [i.id for i in agenda.items(s, mid) if i.case_id is not None]
    return mid, items, [high, review]


def _action(what: str, agency: str = "Police") -> dict[str, str]:
    return {"action": what, "owner": "PC Smith", "agency": agency, "due_on": "2026-03-24"}


def test_the_pack_holds_agenda_summary_risk_plan_and_changes(j: MeetingJourney) -> None:
    mid, _, (high, review) = _two_case_meeting(j)
    j.fire("add_action", "jag_chair", _action("Patrol the close"), ref=high)
    _send(j, mid)
    with j.sessions() as s:
        stored = pack.stored(s, j.staff["partner"].actor, mid)
        meeting = s.get(JagMeeting, mid)
    assert meeting.status == "papers_sent"
    html = stored.html
    for words in (
        "JAG meeting, Tuesday 10 March 2026: Leicester",
        "Agenda",
        f"Item 1: {high}: Harry Highrisk",
        "High risk (score",
        "Action 1: Patrol the close (Police, PC Smith), due Tuesday 24 March 2026, open",
        "What changed since the last meeting",
        "Add an action to the plan",
        f"Item 2: {review}: Rita Review",
        "Victim 1: 4 repeat incidents",
    ):
        assert words in html, words
    assert "Harry Highrisk: 4" not in html  # the standing item names nobody in the pack
    assert stored.pdf.startswith(b"%PDF")
    with j.sessions() as s:
        told = s.exec(
            select(OutboxMessage).where(OutboxMessage.message == "jag_papers_ready")
        ).all()
    # The locality's JAG staff get a link to the pack, never the pack itself.
    assert {m.recipient for m in told} >= {
        "jag@example.org",
        "contact@example.org",
        "partner@example.org",
        "trained@example.org",
    }
    assert not {m.recipient for m in told} & {"melton.contact@example.org", "manager@example.org"}
    assert all(m.context["pack_url"].endswith(f"/staff/jag/meetings/{mid}/pack") for m in told)
    assert b"/StructTreeRoot" in stored.pdf
    with j.sessions() as s, pytest.raises(InvalidTransition):
        pack.send_papers(s, clock=j.clock, actor=_chair(j), meeting_id=mid)
    with j.sessions() as s, pytest.raises(NotAllowed):
        pack.send_papers(s, clock=j.clock, actor=j.staff["partner"].actor, meeting_id=mid)


def test_the_pack_lists_a_community_trigger_review_with_its_recommendations(
    j: MeetingJourney,
) -> None:
    from datetime import UTC, datetime

    from engine.models import Recommendation

    refs = j.one_of_each(MARCH)
    ct = j.case_id(refs["community_trigger"])
    with j.sessions() as s:
        s.add(
            Recommendation(
                case_id=ct,
                seq=1,
                recipient_body="Council",
                action="Fit noise monitors",
                due_on=date(2026, 4, 1),
                updated_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
        )
        s.commit()
    mid = j.meeting(MARCH)
    _send(j, mid)
    with j.sessions() as s:
        html = pack.stored(s, _chair(j), mid).html
    assert "Community Trigger: review" in html
    assert "Recommendation 1: Council: Fit noise monitors, due Wednesday 1 April 2026, open" in html


def test_minutes_for_two_items_put_each_action_on_its_case_with_a_deadline(
    j: MeetingJourney,
) -> None:
    mid, (first, second), refs = _two_case_meeting(j)
    with j.sessions() as s, pytest.raises(InvalidTransition):  # papers not sent yet
        minutes.record_minute(
            s, clock=j.clock, actor=_chair(j), meeting_id=mid, item_id=first, decision="Too early"
        )
    _send(j, mid)
    with j.sessions() as s:
        meeting = s.get(JagMeeting, mid)
        everyone = dict.fromkeys(meeting.invited, "present")
        everyone["Health"] = "apologies"
        everyone["Probation"] = "absent"
        minutes.record_attendance(
            s,
            clock=j.clock,
            actor=_chair(j),
            meeting_id=mid,
            attendance=everyone,
            names={"Police": "PC Smith"},
        )
    for item, what in ((first, "Patrol the close nightly"), (second, "Re-house the victim")):
        with j.sessions() as s:
            minutes.record_minute(
                s,
                clock=j.clock,
                actor=_chair(j),
                meeting_id=mid,
                item_id=item,
                decision="Agreed",
                risk_change="Still high",
                actions=[_action(what)],
            )
    with j.sessions() as s:
        for ref, what in zip(
            refs, ("Patrol the close nightly", "Re-house the victim"), strict=True
        ):
            case = s.exec(select(Case).where(Case.reference == ref)).one()
            action = s.exec(select(JagAction).where(JagAction.case_id == case.id)).one()
            assert (action.action, action.agency, action.due_on) == (
                what,
                "Police",
                date(2026, 3, 24),
            )
            clock_row = s.exec(
                select(Deadline).where(Deadline.case_id == case.id, Deadline.subject == "action:1")
            ).one()
            assert (clock_row.name, clock_row.due_on, clock_row.status) == (
                "action_due",
                date(2026, 3, 24),
                "open",
            )
            audit = s.exec(
                select(AuditEvent).where(
                    AuditEvent.case_id == case.id, AuditEvent.trigger == "add_action"
                )
            ).one()
            assert audit.actor_user_id == _chair(j).user_id
        statuses = {a.agency: a.status for a in s.exec(select(JagAttendance)).all()}
        assert (statuses["Police"], statuses["Health"], statuses["Probation"]) == (
            "present",
            "apologies",
            "absent",
        )
        view = minutes.minutes_view(s, j.staff["partner"].actor, mid)
    minuted = [i for i in view["items"] if i["minute"] is not None]
    assert [len(i["actions"]) for i in minuted] == [1, 1]


def test_a_refused_action_leaves_no_minute_and_no_action(j: MeetingJourney) -> None:
    mid, (first, _), (high, _) = _two_case_meeting(j)
    _send(j, mid)
    with j.sessions() as s, pytest.raises(InvalidInput) as bad:
        minutes.record_minute(
            s,
            clock=j.clock,
            actor=_chair(j),
            meeting_id=mid,
            item_id=first,
            decision="Agreed",
            actions=[_action("Fine"), _action("Unknown agency", agency="Nobody")],
        )
    assert bad.value.field == "action-agency"
    with j.sessions() as s:
        assert s.exec(select(JagMinute)).all() == []
        assert s.exec(select(JagAction)).all() == []
    with j.sessions() as s, pytest.raises(InvalidInput) as empty:
        minutes.record_minute(
            s, clock=j.clock, actor=_chair(j), meeting_id=mid, item_id=first, decision=" "
        )
    assert empty.value.field == "decision"


def test_cessation_decided_in_the_minutes_is_the_case_event(j: MeetingJourney) -> None:
    mid, (first, second), (high, review) = _two_case_meeting(j)
    _send(j, mid)
    with j.sessions() as s, pytest.raises(InvalidInput) as bad:
        minutes.record_minute(
            s,
            clock=j.clock,
            actor=_chair(j),
            meeting_id=mid,
            item_id=second,
            decision="Close it",
            cessation="propose",
        )
    assert bad.value.field == "cessation_reason"
    with j.sessions() as s:
        minutes.record_minute(
            s,
            clock=j.clock,
            actor=_chair(j),
            meeting_id=mid,
            item_id=second,
            decision="Risk has gone",
            cessation="propose",
            cessation_reason="risk_reduced",
        )
    assert j.state(review) == "cessation_proposed"
    assert j.state(high) == "active"


def test_minutes_approved_at_the_next_meeting_lock_and_take_corrections(
    j: MeetingJourney,
) -> None:
    mid, (first, _), _ = _two_case_meeting(j)
    _send(j, mid)
    with j.sessions() as s:
        minutes.record_minute(
            s, clock=j.clock, actor=_chair(j), meeting_id=mid, item_id=first, decision="Agreed"
        )
    with j.sessions() as s, pytest.raises(InvalidTransition):
        minutes.add_correction(s, clock=j.clock, actor=_chair(j), meeting_id=mid, text="x")
    april = j.meeting(APRIL)
    with j.sessions() as s, pytest.raises(InvalidTransition):  # not the next meeting
        minutes.approve(s, clock=j.clock, actor=_chair(j), meeting_id=april, at_meeting_id=mid)
    with j.sessions() as s:
        minutes.approve(s, clock=j.clock, actor=_chair(j), meeting_id=mid, at_meeting_id=april)
    with j.sessions() as s, pytest.raises(InvalidTransition):
        minutes.record_minute(
            s,
            clock=j.clock,
            actor=_chair(j),
            meeting_id=mid,
            item_id=first,
            decision="Changed my mind",
        )
    with j.sessions() as s:
        minutes.add_correction(
            s,
            clock=j.clock,
            actor=_chair(j),
            meeting_id=mid,
            item_id=first,
            text="The decision was agreed unanimously.",
        )
        assert s.exec(select(JagMinute.decision)).one() == "Agreed"
        assert [c.text for c in s.exec(select(JagMinuteCorrection)).all()] == [
            "The decision was agreed unanimously."
        ]
        assert s.get(JagMeeting, mid).approved_at_meeting_id == april
        assert s.get(JagMeetingPack, mid) is not None


def test_an_action_on_a_referral_not_yet_accepted_is_refused_with_nothing_stored(
    j: MeetingJourney,
) -> None:
    j.victim("Nina Newcase")
    mid = j.meeting(MARCH)
    _send(j, mid)
    with j.sessions() as s:
        item = next(i for i in agenda.items(s, mid) if i.kind == "new_referral").id
    with j.sessions() as s, pytest.raises(InvalidInput) as bad:
        minutes.record_minute(
            s,
            clock=j.clock,
            actor=_chair(j),
            meeting_id=mid,
            item_id=item,
            decision="Accept it first",
            actions=[_action("Visit")],
        )
    assert bad.value.field == "actions"
    with j.sessions() as s:
        assert s.exec(select(JagMinute)).all() == []
