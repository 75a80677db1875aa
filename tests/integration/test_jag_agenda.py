"""JAG meeting agendas (issue 14): every item type from live data, time slots adding up,
the papers deadline across a bank holiday weekend, carry-over of open actions, and the
standing repeat-victims item on every agenda. Frozen clock: Monday 2 March 2026."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from engine.models import Deadline, DeadlineSchedule
from tests.meeting_helpers import MeetingJourney
from workflows.jag_case import agenda, agenda_items, meetings, minutes
from workflows.jag_case.meeting_area import meetings_area
from workflows.jag_case.meeting_models import JagAgendaItem, JagMeeting

MARCH = date(2026, 3, 10)  # Leicester's standing day: the second Tuesday
APRIL = date(2026, 4, 14)


@pytest.fixture
def j(session_factory: SessionFactory, clock: FixedClock) -> MeetingJourney:
    return MeetingJourney(session_factory, clock)


def _items(j: MeetingJourney, meeting_id: int) -> list[JagAgendaItem]:
    with j.sessions() as s:
        return agenda.items(s, meeting_id)


def _kinds(j: MeetingJourney, meeting_id: int) -> list[str]:
    return [i.kind for i in _items(j, meeting_id)]


def _send(j: MeetingJourney, meeting_id: int) -> None:
    from workflows.jag_case import pack

    with j.sessions() as s:
        pack.send_papers(s, clock=j.clock, actor=j.staff["jag_chair"].actor, meeting_id=meeting_id)


def test_every_item_type_in_the_standard_order(j: MeetingJourney) -> None:
    refs = j.one_of_each(MARCH)
    mid = j.meeting(MARCH)
    rows = _items(j, mid)
    assert [r.kind for r in rows] == [
        "new_referral",
        "high_risk",
        "due_review",
        "overdue_actions",
        "community_trigger",
        "repeat_victims",
        "other_business",
    ]
    by_kind = {r.kind: r for r in rows}
    for kind, ref in refs.items():
        assert by_kind[kind].title == ref
    with j.sessions() as s:
        titles = agenda.named(s, rows)
    assert titles[by_kind["new_referral"].id] == f"{refs['new_referral']}: Nina Newcase"
    assert titles[by_kind["other_business"].id] == "Any other business"
    assert by_kind["overdue_actions"].reason == "1 overdue action"
    assert by_kind["high_risk"].reason.startswith("High risk (score")
    assert [r.position for r in rows] == list(range(1, 8))
    # Carried-over actions are a kind of their own: see the carry-over test.


def test_time_slots_add_up_against_the_meeting_length(j: MeetingJourney) -> None:
    j.one_of_each(MARCH)
    mid = j.meeting(MARCH, length_minutes=60)
    slots = meetings_area("llr").slots
    rows = _items(j, mid)
    expected = sum(slots[r.kind] for r in rows)
    with j.sessions() as s:
        meeting = s.get(JagMeeting, mid)
        timing = agenda.timing(meeting, rows)
    assert timing == {"total": expected, "length": 60, "over_by": expected - 60, "spare": 0}
    chair = j.staff["jag_chair"].actor
    with j.sessions() as s:
        agenda_items.set_slot(
            s, clock=j.clock, actor=chair, meeting_id=mid, item_id=rows[0].id, minutes="25"
        )
    with j.sessions() as s, pytest.raises(InvalidInput) as bad:
        agenda_items.set_slot(
            s, clock=j.clock, actor=chair, meeting_id=mid, item_id=rows[0].id, minutes="0"
        )
    assert bad.value.field == f"slot-{rows[0].id}"
    rows = _items(j, mid)
    with j.sessions() as s:
        assert agenda.timing(s.get(JagMeeting, mid), rows)["total"] == (
            expected - slots["new_referral"] + 25
        )


@pytest.mark.parametrize(
    ("held_on", "due"),
    [
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
        (date(2026, 4, 7), date(2026, 4, 2)),  # Saturday 4 -> Fri 3 (holiday) -> Thu 2
        (date(2026, 4, 8), date(2026, 4, 2)),  # Sunday 5
        (date(2026, 4, 9), date(2026, 4, 2)),  # Easter Monday 6
        (date(2026, 4, 10), date(2026, 4, 7)),  # Tuesday 7, a working day
        (date(2026, 3, 10), date(2026, 3, 6)),  # Saturday 7 -> Friday 6
    ],
)
def test_papers_deadline_across_a_bank_holiday_weekend(
    j: MeetingJourney, held_on: date, due: date
) -> None:
    case_id = j.case_id(j.victim("Nina Newcase"))
    mid = j.meeting(held_on)
    with j.sessions() as s:
        assert s.get(JagMeeting, mid).papers_due_on == due
        reminder = s.exec(
            select(Deadline).where(Deadline.case_id == case_id, Deadline.name == "meeting_papers")
        ).one()
        assert (reminder.due_on, reminder.owner_role, reminder.status) == (due, "contact", "open")
        assert reminder.subject == f"meeting:{mid}"
        assert s.get(DeadlineSchedule, reminder.id) is not None


def test_reminders_go_by_the_standard_sweep_and_close_when_the_papers_go(
    j: MeetingJourney,
) -> None:
    from engine.models import OutboxMessage
    from engine.sweeps import sweep_deadlines

    case_id = j.case_id(j.victim("Nina Newcase"))
    mid = j.meeting(date(2026, 4, 7))  # papers due Thursday 2 April
    j.clock.set(j.clock.now().replace(month=3, day=31))  # 2 working days before
    sweep_deadlines(j.sessions, clock=j.clock)
    with j.sessions() as s:
        sent = s.exec(select(OutboxMessage).where(OutboxMessage.case_id == case_id)).all()
        assert [m.message for m in sent] == ["deadline_reminder"]
        assert sent[0].recipient_role == "contact"
    _send(j, mid)
    with j.sessions() as s:
        reminder = s.exec(select(Deadline).where(Deadline.name == "meeting_papers")).one()
        assert reminder.status == "met"


def test_carry_over_of_open_actions(j: MeetingJourney) -> None:
    later = {"review_on": "2026-06-30"}  # no review due at either meeting
    ref = j.active("Olive Open", **later)
    done_ref = j.active("Dora Done", **later)
    march = j.meeting(MARCH)
    # Cases accepted today come up only by what the meeting sets; add them by hand.
    chair = j.staff["jag_chair"].actor
    with j.sessions() as s:
        a = agenda_items.add_item(
            s, clock=j.clock, actor=chair, meeting_id=march, title="Olive", case_ref=ref
        )
        b = agenda_items.add_item(
            s, clock=j.clock, actor=chair, meeting_id=march, title="Dora", case_ref=done_ref
        )
        item_a, item_b = a.id, b.id
    _send(j, march)
    action = {
        "action": "Fit a door camera",
        "owner": "Ms Jones",
        "agency": "Council",
        "due_on": "2026-03-31",
    }
    for item in (item_a, item_b):
        with j.sessions() as s:
            minutes.record_minute(
                s,
                clock=j.clock,
                actor=chair,
                meeting_id=march,
                item_id=item,
                decision="Agreed",
                actions=[action],
            )
    j.fire(
        "update_action", "partner", {"action": 1, "status": "done", "note": "Fitted"}, ref=done_ref
    )
    april = j.meeting(APRIL)
    rows = {r.case_id: r for r in _items(j, april)}
    carried = rows[j.case_id(ref)]
    assert carried.kind == "overdue_actions"  # listed once, under its first kind
    assert "Action 1 (Council, due 31 March 2026) carried over from the meeting of " in (
        carried.reason or ""
    )
    assert j.case_id(done_ref) not in rows  # done: nothing carried


def test_carried_actions_are_their_own_kind_before_they_are_overdue(j: MeetingJourney) -> None:
    ref = j.active("Olive Open", review_on="2026-06-30")
    march = j.meeting(MARCH)
    chair = j.staff["jag_chair"].actor
    with j.sessions() as s:
        item = agenda_items.add_item(
            s, clock=j.clock, actor=chair, meeting_id=march, title="Olive", case_ref=ref
        ).id
    _send(j, march)
    with j.sessions() as s:
        minutes.record_minute(
            s,
            clock=j.clock,
            actor=chair,
            meeting_id=march,
            item_id=item,
            decision="Agreed",
            actions=[
                {
                    "action": "Letter",
                    "owner": "Ms Jones",
                    "agency": "Council",
                    "due_on": "2026-05-29",
                }
            ],
        )
    april = j.meeting(APRIL)
    assert _kinds(j, april)[0] == "carried_actions"


def test_the_standing_item_is_on_every_agenda_and_cannot_be_dropped(j: MeetingJourney) -> None:
    empty = j.meeting(MARCH)
    assert _kinds(j, empty) == ["repeat_victims", "other_business"]
    j.one_of_each(APRIL)
    full = j.meeting(APRIL)
    assert "repeat_victims" in _kinds(j, full)
    standing = next(i for i in _items(j, full) if i.kind == "repeat_victims")
    with j.sessions() as s, pytest.raises(InvalidInput):
        agenda_items.drop_item(
            s, clock=j.clock, actor=j.staff["jag_chair"].actor, meeting_id=full, item_id=standing.id
        )
    with j.sessions() as s:
        agenda_items.refresh_agenda(
            s, clock=j.clock, actor=j.staff["jag_chair"].actor, meeting_id=full
        )
    assert _kinds(j, full).count("repeat_victims") == 1


def test_top_three_repeat_victims_named_only_to_those_allowed(j: MeetingJourney) -> None:
    counts = {"Ann One": 2, "Bea Two": 9, "Cat Three": 5, "Di Four": 7}
    refs = {name: j.victim(name) for name in counts}
    for name, n in counts.items():
        j.flag(refs[name], n)
    mid = j.meeting(MARCH)
    with j.sessions() as s:
        meeting = s.get(JagMeeting, mid)
        chair_view = agenda.repeat_victims(
            s, meeting, show_names=meetings.sees_victim_names(j.staff["jag_chair"].actor, meeting)
        )
        partner_view = agenda.repeat_victims(
            s, meeting, show_names=meetings.sees_victim_names(j.staff["partner"].actor, meeting)
        )
    assert [(v["label"], v["repeat_count"]) for v in chair_view] == [
        ("Bea Two", 9),
        ("Di Four", 7),
        ("Cat Three", 5),
    ]
    assert [v["label"] for v in partner_view] == ["Victim 1", "Victim 2", "Victim 3"]
    assert all(v["reference"] is None for v in partner_view)


def test_the_chair_adds_drops_and_reorders_before_the_papers_go(j: MeetingJourney) -> None:
    refs = j.one_of_each(MARCH)
    mid = j.meeting(MARCH)
    chair = j.staff["jag_chair"].actor
    first, second = _items(j, mid)[:2]
    with j.sessions() as s:
        agenda_items.move_item(
            s, clock=j.clock, actor=chair, meeting_id=mid, item_id=second.id, up=True
        )
    assert [i.id for i in _items(j, mid)[:2]] == [second.id, first.id]
    new_id = j.case_id(refs["new_referral"])
    with j.sessions() as s:
        agenda_items.drop_item(s, clock=j.clock, actor=chair, meeting_id=mid, item_id=first.id)
        cancelled = s.exec(
            select(Deadline.status).where(
                Deadline.case_id == new_id,
                Deadline.name == "meeting_papers",
            )
        ).one()
    assert cancelled == "cancelled"
    assert first.id not in [i.id for i in _items(j, mid)]
    with j.sessions() as s:
        agenda_items.refresh_agenda(s, clock=j.clock, actor=chair, meeting_id=mid)
    assert first.id not in [i.id for i in _items(j, mid)]  # dropped stays dropped
    with j.sessions() as s:
        agenda_items.add_item(
            s, clock=j.clock, actor=chair, meeting_id=mid, title="Summer plan", minutes="20"
        )
    kinds = _kinds(j, mid)
    assert kinds[-2:] == ["chair_item", "other_business"]
    with j.sessions() as s, pytest.raises(InvalidInput) as bad:
        agenda_items.add_item(
            s, clock=j.clock, actor=chair, meeting_id=mid, title="", case_ref="JAG-2026-999999"
        )
    assert [e["field"] for e in bad.value.errors] == ["title", "case_ref"]
    _send(j, mid)
    with j.sessions() as s, pytest.raises(InvalidTransition):
        agenda_items.move_item(
            s, clock=j.clock, actor=chair, meeting_id=mid, item_id=second.id, up=False
        )


def test_only_a_chair_of_the_locality_shapes_the_agenda(j: MeetingJourney) -> None:
    mid = j.meeting(MARCH)
    with j.sessions() as s, pytest.raises(NotAllowed):
        meetings.create_meeting(
            s,
            clock=j.clock,
            actor=j.staff["partner"].actor,
            area_id="llr",
            locality_id="leicester",
            held_on=MARCH,
        )
    for who in ("partner", "contact"):
        with j.sessions() as s, pytest.raises(NotAllowed):
            agenda_items.refresh_agenda(s, clock=j.clock, actor=j.staff[who].actor, meeting_id=mid)
    with j.sessions() as s:
        assert meetings.load(s, j.staff["partner"].actor, mid).id == mid
    with j.sessions() as s, pytest.raises(NotAllowed):
        meetings.load(s, j.staff["melton_jag_chair"].actor, mid)
    with j.sessions() as s, pytest.raises(NotFound):
        meetings.load(s, j.staff["partner"].actor, 999)


def test_bad_meeting_details_are_refused_with_every_field_named(j: MeetingJourney) -> None:
    with j.sessions() as s, pytest.raises(InvalidInput) as bad:
        meetings.create_meeting(
            s,
            clock=j.clock,
            actor=j.staff["jag_chair"].actor,
            area_id="llr",
            locality_id="leicester",
            held_on=date(2026, 3, 1),
            starts_at="25:00",
            length_minutes=5,
            place=" ",
            call_link="http://insecure",
            invited=["Nobody"],
        )
    assert [e["field"] for e in bad.value.errors] == [
        "held_on",
        "starts_at",
        "length_minutes",
        "call_link",
        "invited",
    ]
    with j.sessions() as s:
        assert s.exec(select(JagMeeting)).all() == []
    j.meeting(MARCH)
    with j.sessions() as s, pytest.raises(InvalidInput) as twice:
        meetings.create_meeting(
            s,
            clock=j.clock,
            actor=j.staff["jag_chair"].actor,
            area_id="llr",
            locality_id="leicester",
            held_on=MARCH,
        )
    assert twice.value.field == "held_on"


def test_the_standing_pattern_fills_the_defaults(j: MeetingJourney) -> None:
    with j.sessions() as s:
        m = meetings.create_meeting(
            s,
            clock=j.clock,
            actor=j.staff["jag_chair"].actor,
            area_id="llr",
            locality_id="leicester",
        )
        assert (m.held_on, m.starts_at, m.length_minutes) == (MARCH, "10:00", 120)
        assert m.place and "City Hall" in m.place
    pattern = meetings_area("llr").patterns["rutland"]
    assert pattern.on_or_after(date(2026, 3, 2)) == date(2026, 3, 26)  # last Thursday
    assert pattern.on_or_after(date(2026, 3, 27)) == date(2026, 4, 30)
