"""The review meeting, the JAG papers clock counted back from it, and a clock per
recommendation: fired through record_event, swept with a controlled clock."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, select

from engine import queries, worklists
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import EngineError, InvalidInput, InvalidTransition, NotAllowed
from engine.models import AuditEvent, Case, Deadline, DeadlineSchedule, OutboxMessage
from engine.services.cases import record_event
from engine.sweeps import sweep_deadlines
from notifications.addresses import outgoing_for
from tests.factories import StaffMember, load_case, make_case, make_staff
from workflows.community_trigger.services.public_status import case_status

MEETING = {
    "meeting_date": "2026-03-19",  # Thursday: papers due Monday 16 March
    "attendees": ["PC Smith, Leicestershire Police", "Jo Bloggs, Leicester City Council"],
    "victim_involvement": "attend",
}
REPORT = {
    "findings": "Noise reports were not linked across agencies.",
    "recommendations": [
        {
            "recipient_body": "Leicester City Council",
            "action": "Install noise monitoring equipment in the flat above",
            "owner": "ASB team",
            "due_on": "2026-05-01",  # a Friday
        },
        {"recipient_body": "Leicestershire Police", "action": "Share incident logs"},
        {
            "recipient_body": "Housing provider",
            "action": "Tenancy warning",
            "due_on": "2026-06-06",  # a Saturday: due the Monday after
        },
    ],
}


class Flow:
    """One Leicester case, each event in its own session, as the pages and API record them."""

    def __init__(self, sessions: SessionFactory, clock: FixedClock, **case: Any) -> None:
        self.sessions, self.clock = sessions, clock
        with sessions() as s:
            self.staff = make_staff(s, clock)
            self.submitted = make_case(s, clock, incidents=3, **case)
            self.ref = self.submitted.reference

    def fire(self, event: str, who: str, data: dict[str, Any] | None = None) -> Case:
        member: StaffMember = self.staff[who]
        with self.sessions() as s:
            return record_event(
                s,
                clock=self.clock,
                case_ref=self.ref,
                event=event,
                data=data,
                actor=member.actor,
                expected_version=self.case(s).version,
            )

    def case(self, s: Session) -> Case:
        return load_case(s, self.ref)

    def deadlines(self, name: str | None = None) -> list[Deadline]:
        with self.sessions() as s:
            query = select(Deadline).where(Deadline.case_id == self.case(s).id)
            if name:
                query = query.where(Deadline.name == name)
            return list(s.exec(query.order_by(col(Deadline.id))).all())

    def outbox(self) -> list[OutboxMessage]:
        with self.sessions() as s:
            query = select(OutboxMessage).where(OutboxMessage.case_id == self.case(s).id)
            return list(s.exec(query.order_by(col(OutboxMessage.id))).all())

    def counts(self) -> tuple[Any, ...]:
        """Everything an event writes, to prove a refused one wrote nothing."""
        with self.sessions() as s:
            case = self.case(s)
            audits = s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)).all()
        deadlines = [(d.id, d.status) for d in self.deadlines()]
        return (case.version, case.review_meeting_on, len(audits), deadlines, len(self.outbox()))

    def to_review(self) -> None:
        self.fire("acknowledge", "contact")
        self.fire("threshold_met", "jag_chair", {"reasons": "Three incidents in six months."})

    def to_response(self) -> None:
        self.to_review()
        self.fire(
            "review_meeting_held",
            "jag_chair",
            {"held_on": self.clock.today().isoformat(), "attendees": ["Police"], **_NONE},
        )
        self.fire("jag_report_recorded", "jag_chair", REPORT)
        self.fire("response_issued", "csp_chair", {"summary": "Three recommendations agreed."})

    def rendered(self, row: OutboxMessage) -> str:
        with self.sessions() as s:
            out = outgoing_for(s, row, in_doubt=False, base_url="https://ct.example.org")
        return out.rendered.subject + "\n" + out.rendered.text


_NONE = {"victim_involvement": "none", "not_invited_reason": "The victim asked not to."}


@pytest.fixture
def flow(session_factory: SessionFactory, clock: FixedClock) -> Flow:
    return Flow(session_factory, clock)


def _sweep_daily(flow: Flow, until: date, deadline: str) -> list[tuple[date, str, str, str]]:
    """Sweep once a day up to `until`: (day, step, recipient, message) of each new row."""
    seen: set[int] = {m.id for m in flow.outbox() if m.id is not None}
    log = []
    while flow.clock.today() <= until:
        sweep_deadlines(flow.sessions, clock=flow.clock)
        names = {d.id: d for d in flow.deadlines(deadline)}
        for m in flow.outbox():
            if m.id not in seen and m.deadline_id in names:
                label = names[m.deadline_id].subject or deadline
                log.append((flow.clock.today(), f"{label}:{m.step}", m.recipient, m.message))
            seen.add(m.id or 0)
        flow.clock.advance(days=1)
    return log


# --- arranging the meeting -----------------------------------------------------------------


def test_arranging_the_meeting_stores_its_date_and_opens_the_papers_deadline(
    flow: Flow,
) -> None:
    flow.to_review()  # Mon 2 Mar 2026
    case = flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    assert case.state == "review_scheduled"
    assert case.review_meeting_on == date(2026, 3, 19)
    [papers] = flow.deadlines("jag_papers")
    assert (papers.status, papers.owner_role, papers.kind) == ("open", "jag_chair", "duty")
    assert papers.due_on == date(2026, 3, 16)  # 3 working days before Thursday 19 March
    assert (papers.start_on, papers.amount, papers.unit) == (date(2026, 3, 19), -3, "working_days")
    # The review's own clock is untouched by arranging the meeting.
    [review] = flow.deadlines("review_outcome")
    assert review.status == "open" and review.due_on == date(2026, 3, 30)


def test_an_applicant_taking_part_is_told_the_meeting_date_in_plain_words(flow: Flow) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    told = flow.outbox()[-1]
    assert (told.message, told.recipient_role, told.recipient) == (
        "review_meeting_arranged",
        "applicant",
        "victim@example.org",
    )
    text = flow.rendered(told)
    assert "will be held on Thursday 19 March 2026" in text
    assert "You told us you want to go to the meeting" in text
    assert "PC Smith" not in text  # never who else is invited


@pytest.mark.parametrize(
    ("part", "words"),
    [
        ("representative", "someone to go to the meeting for you"),
        ("impact_statement", "send a written statement"),
    ],
)
def test_each_way_of_taking_part_gets_its_own_words(flow: Flow, part: str, words: str) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, "victim_involvement": part})
    assert words in flow.rendered(flow.outbox()[-1])


def test_an_applicant_with_no_part_in_the_meeting_is_not_sent_the_date(flow: Flow) -> None:
    flow.to_review()
    before = [m.message for m in flow.outbox()]
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, **_NONE})
    assert [m.message for m in flow.outbox()] == before
    assert len(flow.deadlines("jag_papers")) == 1  # the papers are still due


def test_rearranging_cancels_the_old_papers_deadline_and_opens_one_for_the_new_date(
    flow: Flow,
) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    flow.clock.advance(days=3)  # Thu 5 Mar
    case = flow.fire(
        "review_meeting_arranged", "jag_chair", {**MEETING, "meeting_date": "2026-04-09"}
    )
    assert case.review_meeting_on == date(2026, 4, 9)
    old, new = flow.deadlines("jag_papers")
    assert (old.status, old.closed_by) == ("cancelled", "review_meeting_arranged")
    assert new.status == "open"
    assert new.due_on == date(2026, 4, 2)  # back over Easter Monday and Good Friday
    # The applicant hears about each date, once each.
    told = [m for m in flow.outbox() if m.message == "review_meeting_arranged"]
    assert len(told) == 2 and len({m.idempotency_key for m in told}) == 2
    assert "Thursday 9 April 2026" in flow.rendered(told[-1])


def test_papers_sent_meets_the_deadline_and_cannot_be_recorded_twice(flow: Flow) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    flow.clock.advance(days=14)  # Mon 16 Mar, the day they are due
    case = flow.fire("jag_papers_sent", "jag_chair")
    assert case.state == "review_scheduled"
    [papers] = flow.deadlines("jag_papers")
    assert (papers.status, papers.closed_by) == ("met", "jag_papers_sent")
    before = flow.counts()
    with pytest.raises(InvalidTransition, match="already recorded as sent"):
        flow.fire("jag_papers_sent", "jag_chair")
    assert flow.counts() == before


def test_papers_sent_after_their_date_are_recorded_as_late(flow: Flow) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    flow.clock.advance(days=15)  # Tue 17 Mar
    flow.fire("jag_papers_sent", "jag_chair")
    assert [d.status for d in flow.deadlines("jag_papers")] == ["late"]


def test_recording_the_meeting_closes_a_papers_deadline_still_open(flow: Flow) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    flow.clock.advance(days=17)  # Thu 19 Mar, the meeting
    flow.fire(
        "review_meeting_held",
        "jag_chair",
        {"held_on": "2026-03-19", "attendees": ["Police"], "victim_involvement": "attend"},
    )
    [papers] = flow.deadlines("jag_papers")
    assert (papers.status, papers.closed_by) == ("cancelled", "review_meeting_held")


def test_the_meeting_can_be_recorded_without_being_arranged_first(flow: Flow) -> None:
    flow.to_review()
    flow.fire(
        "review_meeting_held",
        "jag_chair",
        {"held_on": "2026-03-02", "attendees": ["Police"], "victim_involvement": "attend"},
    )
    assert flow.deadlines("jag_papers") == []


# --- bad data and the wrong people: refused, nothing stored --------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**MEETING, "meeting_date": "2026-03-01"}, "data.meeting_date"),  # yesterday
        ({**MEETING, "meeting_date": "2026-02-30"}, "data.meeting_date"),
        ({**MEETING, "meeting_date": ""}, "data.meeting_date"),
        ({**MEETING, "attendees": []}, "data.attendees"),
        ({**MEETING, "victim_involvement": "maybe"}, "data.victim_involvement"),
        ({**MEETING, "victim_involvement": "none"}, "data.not_invited_reason"),
        ({**MEETING, **_NONE, "not_invited_reason": ""}, "data.not_invited_reason"),
        ({**MEETING, "venue": "Town hall"}, "data.venue"),
        ({k: v for k, v in MEETING.items() if k != "meeting_date"}, "data.meeting_date"),
    ],
    ids=[
        "in_the_past",
        "not_a_date",
        "empty_date",
        "no_attendees",
        "unknown_part",
        "none_without_reason",
        "none_with_blank_reason",
        "unknown_field",
        "no_date",
    ],
)  # fmt: skip
def test_bad_arrangements_are_refused_naming_the_field_and_nothing_is_stored(
    flow: Flow, data: dict[str, Any], field: str
) -> None:
    flow.to_review()
    before = flow.counts()
    with pytest.raises(InvalidInput) as refused:
        flow.fire("review_meeting_arranged", "jag_chair", data)
    assert refused.value.field == field
    assert flow.counts() == before


def test_a_meeting_today_is_allowed(flow: Flow) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, "meeting_date": "2026-03-02"})
    # Papers cannot go 3 working days before a meeting arranged today: they are due today,
    # never a day already past (issue 10: no "overdue" before anyone has heard of the meeting).
    [papers] = flow.deadlines("jag_papers")
    assert papers.due_on == date(2026, 3, 2)


@pytest.mark.parametrize("who", ["contact", "csp_chair", "manager", "melton_jag_chair"])
def test_only_the_locality_jag_chair_arranges_the_meeting_or_records_papers(
    flow: Flow, who: str
) -> None:
    flow.to_review()
    before = flow.counts()
    for event, data in (("review_meeting_arranged", MEETING), ("jag_papers_sent", None)):
        with pytest.raises(EngineError) as refused:
            flow.fire(event, who, data)
        assert isinstance(refused.value, NotAllowed) or "no case" in str(refused.value).lower()
    assert flow.counts() == before


def test_papers_cannot_be_sent_before_a_meeting_is_arranged(flow: Flow) -> None:
    flow.to_review()
    before = flow.counts()
    with pytest.raises(InvalidTransition, match="Arrange the review meeting first"):
        flow.fire("jag_papers_sent", "jag_chair")
    assert flow.counts() == before


@pytest.mark.parametrize("state_events", [[], ["acknowledge"]])
def test_the_meeting_cannot_be_arranged_before_the_threshold_is_met(
    flow: Flow, state_events: list[str]
) -> None:
    for event in state_events:
        flow.fire(event, "contact")
    before = flow.counts()
    with pytest.raises(InvalidTransition):
        flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    assert flow.counts() == before


# --- reminders for the papers, on the right days -------------------------------------------


def test_papers_reminders_and_the_escalation_go_out_on_their_working_days(flow: Flow) -> None:
    flow.to_review()  # Mon 2 Mar; the meeting on Thu 19 Mar: papers due Mon 16 Mar
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    d = date
    assert _sweep_daily(flow, date(2026, 3, 31), "jag_papers") == [
        (d(2026, 3, 12), "jag_papers:remind_2", "jag@example.org", "deadline_reminder"),
        (d(2026, 3, 16), "jag_papers:remind_0", "jag@example.org", "deadline_reminder"),
        # One escalation only (area data): the working day after, still before the meeting.
        (
            d(2026, 3, 17),
            "jag_papers:overdue_0",
            "manager@example.org",
            "deadline_overdue_escalation",
        ),
    ]
    reminder = next(m for m in flow.outbox() if m.step == "remind_2")
    text = flow.rendered(reminder)
    assert (
        "needs you to send the papers to the review panel by Monday 16 March 2026, "
        "ahead of the meeting on Thursday 19 March 2026."
    ) in text
    escalation = flow.rendered(next(m for m in flow.outbox() if m.step == "overdue_0"))
    assert "It is needed before the meeting on Thursday 19 March 2026." in escalation
    assert f"https://ct.example.org/staff/cases/{flow.ref}" in text


def test_papers_reminders_skip_easter_when_counting_back(flow: Flow) -> None:
    flow.to_review()
    # Meeting Thu 9 Apr: papers due Thu 2 Apr; reminders Tue 31 Mar and Thu 2 Apr, and the
    # escalation the next working day after Good Friday and Easter Monday: Tue 7 Apr.
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, "meeting_date": "2026-04-09"})
    flow.clock.advance(days=20)  # Sun 22 Mar
    steps = [(day, step) for day, step, _, _ in _sweep_daily(flow, date(2026, 4, 8), "jag_papers")]
    assert steps == [
        (date(2026, 3, 31), "jag_papers:remind_2"),
        (date(2026, 4, 2), "jag_papers:remind_0"),
        (date(2026, 4, 7), "jag_papers:overdue_0"),
    ]


def test_a_reminder_queued_for_the_old_date_is_cancelled_when_the_meeting_moves(
    flow: Flow,
) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    flow.clock.advance(days=10)  # Thu 12 Mar: the 2-day reminder is queued, not yet sent
    sweep_deadlines(flow.sessions, clock=flow.clock)
    [queued] = [m for m in flow.outbox() if m.step == "remind_2"]
    assert queued.status == "pending"
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, "meeting_date": "2026-03-26"})
    sweep_deadlines(flow.sessions, clock=flow.clock)
    rows = {m.id: m for m in flow.outbox()}
    assert rows[queued.id].status == "cancelled"
    assert "closed (cancelled) by review meeting arranged" in (rows[queued.id].reason or "")
    # The new deadline (papers due Mon 23 Mar) has its own plan: nothing is due today.
    assert [m.step for m in rows.values() if m.id != queued.id and m.deadline_id] == []
    [papers] = [d for d in flow.deadlines("jag_papers") if d.status == "open"]
    with flow.sessions() as s:
        assert s.get(DeadlineSchedule, papers.id).next_action_on == date(2026, 3, 19)  # type: ignore[union-attr]


# --- a deadline per recommendation ---------------------------------------------------------


def test_each_recommendation_with_a_due_date_gets_its_own_deadline(flow: Flow) -> None:
    flow.to_response()
    rows = flow.deadlines("recommendation_due")
    assert [(d.subject, d.due_on, d.owner_role, d.status, d.opened_by) for d in rows] == [
        ("recommendation:1", date(2026, 5, 1), "contact", "open", "jag_report_recorded"),
        ("recommendation:3", date(2026, 6, 8), "contact", "open", "jag_report_recorded"),
    ]
    assert [d.label for d in rows] == [
        "Recommendation 1: Leicester City Council \u2014 Install noise monitoring equipment "
        "in the flat above",
        "Recommendation 3: Housing provider \u2014 Tenancy warning",
    ]
    assert (rows[1].start_on, rows[1].amount) == (date(2026, 6, 6), 0)  # the date set


def test_recommendation_reminders_name_the_recommendation_and_escalate_to_the_manager(
    flow: Flow,
) -> None:
    flow.to_response()  # Mon 2 Mar; recommendation 1 due Fri 1 May
    log = _sweep_daily(flow, date(2026, 5, 13), "recommendation_due")
    d, one = date, "recommendation:1"
    contact, manager = "contact@example.org", "manager@example.org"
    remind, overdue = "recommendation_reminder", "recommendation_overdue"
    assert log == [
        # 5 working days before Fri 1 May, and on the day (area data for this clock).
        (d(2026, 4, 24), f"{one}:remind_5", contact, remind),
        (d(2026, 5, 1), f"{one}:remind_0", contact, remind),
        # Mon 4 May is a bank holiday: overdue on Tue 5 May, and again 5 working days on.
        (d(2026, 5, 5), f"{one}:overdue_0", manager, overdue),
        (d(2026, 5, 12), f"{one}:overdue_5", manager, overdue),
    ]
    rows = {m.step: m for m in flow.outbox() if m.message.startswith("recommendation_")}
    reminder = flow.rendered(rows["remind_5"])
    assert "Recommendation 1: Leicester City Council \u2014 Install noise monitoring" in reminder
    assert "due to be carried out by Friday 1 May 2026" in reminder
    assert "as done, or as declined with the reason" in reminder
    escalation = flow.rendered(rows["overdue_5"])
    assert "was due by Friday 1 May 2026 and is not recorded as done or declined" in escalation
    assert "this is the second notice" in escalation


def test_done_or_declined_meets_a_recommendation_deadline_and_reopening_chases_it_again(
    flow: Flow,
) -> None:
    flow.to_response()
    flow.clock.advance(days=29)  # Tue 31 Mar: the appeal window has passed
    flow.fire("monitoring_started", "contact")

    def update(number: int, status: str) -> None:
        data = {"recommendation": number, "status": status, "note": "Checked with the agency."}
        flow.fire("recommendation_updated", "contact", data)

    update(1, "accepted")  # accepted is not resolved: still chased
    assert [d.status for d in flow.deadlines("recommendation_due")] == ["open", "open"]
    update(1, "done")
    update(2, "done")  # no due date, no deadline
    first, third = flow.deadlines("recommendation_due")
    assert (first.status, first.closed_by) == ("met", "recommendation_updated")
    assert third.status == "open"

    update(1, "open")  # found not to be done after all: a new deadline, same date
    rows = flow.deadlines("recommendation_due")
    assert [(d.subject, d.status, d.due_on) for d in rows] == [
        ("recommendation:1", "met", date(2026, 5, 1)),
        ("recommendation:3", "open", date(2026, 6, 8)),
        ("recommendation:1", "open", date(2026, 5, 1)),
    ]
    flow.clock.set(flow.clock.now().replace(month=6, day=10))  # Wed 10 Jun
    update(3, "declined")
    update(1, "done")
    assert [(d.subject, d.status) for d in flow.deadlines("recommendation_due")] == [
        ("recommendation:1", "met"),
        ("recommendation:3", "late"),
        ("recommendation:1", "late"),
    ]
    with flow.sessions() as s:  # each closed with its schedule ended: no more reminders
        ends = [s.get(DeadlineSchedule, d.id) for d in flow.deadlines("recommendation_due")]
        assert [e.next_action_on for e in ends if e is not None] == [None, None, None]
    flow.fire("case_closed", "contact", {"closure_reason": "resolved", "explanation": "Done."})


def test_an_unknown_recommendation_is_refused_and_nothing_is_stored(flow: Flow) -> None:
    flow.to_response()
    flow.clock.advance(days=29)
    flow.fire("monitoring_started", "contact")
    before = flow.counts()
    with pytest.raises(InvalidInput, match="no recommendation 9"):
        flow.fire(
            "recommendation_updated",
            "contact",
            {"recommendation": 9, "status": "done", "note": "n"},
        )
    assert flow.counts() == before


# Issue 10: an appeal not upheld no longer closes a case with open recommendations (they
# stay live, in monitoring); only a withdrawal closes it and cancels their deadlines.
@pytest.mark.parametrize("how", ["withdrawn"])
def test_closing_the_case_cancels_open_recommendation_deadlines(flow: Flow, how: str) -> None:
    flow.to_response()
    flow.fire("withdrawn", "contact", {"reason": "The neighbour has moved away."})
    rows = flow.deadlines("recommendation_due")
    assert [(d.status, d.closed_by) for d in rows] == [("cancelled", how), ("cancelled", how)]
    assert _sweep_daily(flow, date(2026, 6, 12), "recommendation_due") == []


def test_an_appeal_not_upheld_keeps_the_recommendation_deadlines_running(flow: Flow) -> None:
    flow.to_response()
    flow.fire("appeal_lodged", "contact", {"ground": "facts_not_considered", "details": "d"})
    flow.fire("appeal_papers_sent", "contact", {"appeal_chair_email": "appeal@example.org"})
    flow.fire("appeal_not_upheld", "appeal_chair", {"reasons": "All facts considered."})
    with flow.sessions() as s:
        assert flow.case(s).state == "monitoring"
    rows = flow.deadlines("recommendation_due")
    assert [d.status for d in rows] == ["open", "open"]
    # Their reminders still go to the contact, who can record them now.
    sent = _sweep_daily(flow, date(2026, 6, 12), "recommendation_due")
    assert sent and {to for _, _, to, _ in sent} >= {"contact@example.org"}


def test_an_upheld_appeal_keeps_the_first_recommendations_and_adds_the_new_ones(
    flow: Flow,
) -> None:
    flow.to_response()
    flow.fire("appeal_lodged", "contact", {"ground": "facts_not_considered", "details": "d"})
    flow.fire("appeal_papers_sent", "contact", {"appeal_chair_email": "appeal@example.org"})
    flow.fire("appeal_upheld", "appeal_chair", {"reasons": "Housing notes missed."})
    flow.fire(
        "jag_report_recorded",
        "jag_chair",
        {
            "findings": "Housing notes considered.",
            "recommendations": [
                {"recipient_body": "Housing provider", "action": "Visit", "due_on": "2026-04-30"}
            ],
        },
    )
    rows = flow.deadlines("recommendation_due")
    assert [(d.subject, d.status) for d in rows] == [
        ("recommendation:1", "open"),
        ("recommendation:3", "open"),
        ("recommendation:4", "open"),
    ]


# --- who holds them: my work and the overdue list ------------------------------------------


def test_my_work_shows_the_papers_to_the_jag_chair_and_recommendations_to_the_contact(
    flow: Flow,
) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    with flow.sessions() as s:
        chair = worklists.my_work(s, actor=flow.staff["jag_chair"].actor, today=flow.clock.today())
        contact = worklists.my_work(s, actor=flow.staff["contact"].actor, today=flow.clock.today())
    papers = [i for i in chair if i["deadline"] == "jag_papers"]
    assert [(i["reference"], i["due_date"], i["owner_role"]) for i in papers] == [
        (flow.ref, "2026-03-16", "jag_chair")
    ]
    assert papers[0]["label"] == "Send the papers to the review panel"
    assert not [i for i in contact if i["deadline"] == "jag_papers"]


def test_recommendation_deadlines_are_the_contacts_work_and_the_managers_when_overdue(
    flow: Flow,
) -> None:
    flow.to_response()
    flow.clock.set(flow.clock.now().replace(month=5, day=5))  # Tue 5 May: rec 1 overdue
    with flow.sessions() as s:
        today = flow.clock.today()
        contact = worklists.work_queue(s, actor=flow.staff["contact"].actor, today=today)
        chair = worklists.work_queue(s, actor=flow.staff["jag_chair"].actor, today=today)
        late = worklists.overdue(s, actor=flow.staff["manager"].actor, today=today)
    mine = [i for i in contact if i["deadline"] == "recommendation_due"]
    assert mine and {i["owner_role"] for i in mine} == {"contact"}
    assert mine[0]["due_date"] == "2026-05-01" and mine[0]["rag"] == "red"
    assert not [i for i in chair if i["deadline"] == "recommendation_due"]
    assert [(i["reference"], i["deadline"], i["due_date"]) for i in late] == [
        (flow.ref, "recommendation_due", "2026-05-01")
    ]


def test_my_work_lists_every_recommendation_deadline_of_a_case_by_its_own_label(
    flow: Flow,
) -> None:
    flow.to_response()
    with flow.sessions() as s:
        items = worklists.my_work(s, actor=flow.staff["contact"].actor, today=flow.clock.today())
    labels = [i["label"] for i in items if i["deadline"] == "recommendation_due"]
    assert len(labels) == 2
    assert labels[0].startswith("Recommendation 1: ")
    assert labels[1].startswith("Recommendation 3: ")  # number 2 has no due date
    with flow.sessions() as s:
        page = queries.staff_case_page(
            s, reference=flow.ref, actor=flow.staff["contact"].actor, clock=flow.clock
        )
    # The case page lists each one by its own label too.
    assert [d["label"] for d in page["deadlines"] if d["name"] == "recommendation_due"] == labels


# --- the applicant's status page ------------------------------------------------------------


def test_the_status_page_shows_the_review_date_in_plain_words(flow: Flow) -> None:
    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    flow.clock.advance(days=1)
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, "meeting_date": "2026-03-26"})
    with flow.sessions() as s:
        status = case_status(s, token=flow.submitted.status_token, clock=flow.clock)
    titles = [e.title for e in status.entries]
    assert titles[-2:] == [
        "The case review meeting was arranged",
        "The date of the case review meeting changed",
    ]
    assert status.entries[-2].lines == (
        "It was set for 19 March 2026.",
        "You chose to attend the meeting.",
    )
    assert status.entries[-1].lines[0] == "It was set for 26 March 2026."
    assert ("The case review meeting will be held on", date(2026, 3, 26)) in [
        (e.title, e.on) for e in status.expected
    ]
    assert [e.on for e in status.expected] == sorted(e.on for e in status.expected if e.on)
    flat = repr(status)
    assert "PC Smith" not in flat and "Jo Bloggs" not in flat and "papers" not in flat

    flow.fire(
        "review_meeting_held",
        "jag_chair",
        # Held on another day than arranged: confirmed (see test_meeting_held_on_another_day).
        {
            "held_on": "2026-03-03",
            "attendees": ["Police"],
            "victim_involvement": "attend",
            "confirm_other_date": True,
        },
    )
    with flow.sessions() as s:
        status = case_status(s, token=flow.submitted.status_token, clock=flow.clock)
    assert "The case review meeting will be held on" not in [e.title for e in status.expected]


# --- the staff pages: the forms are drawn from the data models and post back ---------------


@pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
def test_the_chair_arranges_the_meeting_and_records_the_papers_through_the_staff_pages(
    app: Any, session: Session, flow: Flow
) -> None:
    from tests.integration.test_staff_login import browser_for

    flow.to_review()
    chair = browser_for(app, session, flow.clock, flow.staff["jag_chair"].email)
    chair.sign_in()
    page = chair.get(f"/staff/cases/{flow.ref}")
    assert f"/staff/cases/{flow.ref}/events/review_meeting_arranged" in page.text
    # Papers cannot be recorded before there is a meeting, and the page says why.
    assert "Arrange the review meeting first." in page.text

    path = f"/staff/cases/{flow.ref}/events/review_meeting_arranged"
    form = chair.get(path).text
    for expected in (
        'name="meeting_date-day"',
        'name="attendees"',
        'value="impact_statement"',
        'name="not_invited_reason"',
        # The staff wording (web/staff/wording.py) in place of the models' field names.
        "One per line: each person, with their organisation.",
        "Why will the victim take no part?",
        "Only if they will take no part in the meeting.",
    ):
        assert expected in form, expected

    base = {
        "version": "3",
        "meeting_date-day": "1",
        "meeting_date-month": "3",
        "meeting_date-year": "2026",
        "attendees": "PC Smith, Leicestershire Police\nJo Bloggs, Leicester City Council",
        "victim_involvement": "none",
    }
    page = chair.post(path, base, status=422)  # yesterday, and no reason given
    assert "There is a problem" in page.text
    assert 'href="#meeting_date-day"' in page.text
    assert "today or in the future" in page.text
    page = chair.post(path, base | {"meeting_date-day": "19"}, status=422)
    assert 'href="#not_invited_reason"' in page.text
    assert "Say why the victim is not taking part" in page.text
    page = chair.post(path, base | {"meeting_date-day": "31", "meeting_date-month": "2"}, 422)
    assert 'href="#meeting_date-day"' in page.text
    assert flow.counts()[0:3] == (3, None, 3)  # nothing stored

    chair.post(path, base | {"meeting_date-day": "19", "victim_involvement": "attend"})
    with flow.sessions() as s:
        case = flow.case(s)
        [audit] = s.exec(
            select(AuditEvent).where(
                AuditEvent.case_id == case.id, AuditEvent.trigger == "review_meeting_arranged"
            )
        ).all()
    assert case.review_meeting_on == date(2026, 3, 19)
    assert audit.data["attendees"] == [
        "PC Smith, Leicestershire Police",
        "Jo Bloggs, Leicester City Council",
    ]
    page = chair.get(f"/staff/cases/{flow.ref}")
    # "Why this date" for the papers counts back from the meeting.
    assert "3 working days before Thursday 19 March 2026" in page.text
    assert "Thursday 19 March 2026" in page.text.split("Review meeting", 1)[1].split("</dd>")[0]
    assert '<td class="govuk-table__cell">Send the papers to the review panel</td>' in page.text

    papers = f"/staff/cases/{flow.ref}/events/jag_papers_sent"
    chair.get(papers)
    chair.post(papers, {"version": "4"})
    assert [d.status for d in flow.deadlines("jag_papers")] == ["met"]


def test_the_managers_ledger_plans_each_new_clocks_reminders_from_the_area_data(
    flow: Flow,
) -> None:
    from engine.ledger import reminder_ledger

    flow.to_review()
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    flow.fire(
        "review_meeting_held",
        "jag_chair",
        {
            "held_on": "2026-03-02",
            "attendees": ["Police"],
            "victim_involvement": "attend",
            "confirm_other_date": True,
        },
    )
    flow.fire("jag_report_recorded", "jag_chair", REPORT)
    with flow.sessions() as s:
        entries = reminder_ledger(s, case_ref=flow.ref, actor=flow.staff["manager"].actor)
    planned = [
        (e.deadline, e.step, e.on, e.recipient_role, e.message, e.status)
        for e in entries
        if e.deadline in ("jag_papers", "recommendation_due")
    ]
    d, papers, rec = date, "jag_papers", "recommendation_due"
    remind, escalate = "deadline_reminder", "deadline_overdue_escalation"
    rec_remind, rec_escalate = "recommendation_reminder", "recommendation_overdue"
    assert planned == [
        # The papers' clock ended when the meeting was recorded: its steps are not needed.
        (papers, "remind_2", d(2026, 3, 12), "jag_chair", remind, "cancelled"),
        (papers, "remind_0", d(2026, 3, 16), "jag_chair", remind, "cancelled"),
        (papers, "overdue_0", d(2026, 3, 17), "manager", escalate, "cancelled"),
        # Recommendation 1, due Fri 1 May (Mon 4 May is a bank holiday).
        (rec, "remind_5", d(2026, 4, 24), "contact", rec_remind, "scheduled"),
        (rec, "remind_0", d(2026, 5, 1), "contact", rec_remind, "scheduled"),
        (rec, "overdue_0", d(2026, 5, 5), "manager", rec_escalate, "scheduled"),
        (rec, "overdue_5", d(2026, 5, 12), "manager", rec_escalate, "scheduled"),
        # Recommendation 3, set for Sat 6 June: due Mon 8 June.
        (rec, "remind_5", d(2026, 6, 1), "contact", rec_remind, "scheduled"),
        (rec, "remind_0", d(2026, 6, 8), "contact", rec_remind, "scheduled"),
        (rec, "overdue_0", d(2026, 6, 9), "manager", rec_escalate, "scheduled"),
        (rec, "overdue_5", d(2026, 6, 16), "manager", rec_escalate, "scheduled"),
    ]
    # The manager's page groups the two recommendations apart, each under its own label.
    from web.staff.managers import ledger_groups

    captions = [g["deadline"] for g in ledger_groups(entries)]
    recs = [c for c in captions if c and c.startswith("Recommendation ")]
    assert [c.split(":")[0] for c in recs] == ["Recommendation 1", "Recommendation 3"]


# --- the JSON API: the same engine checks, as problem answers ------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**MEETING, "meeting_date": "2026-03-01"}, "data.meeting_date"),
        ({**MEETING, "victim_involvement": "none"}, "data.not_invited_reason"),
        ({**MEETING, "attendees": []}, "data.attendees"),
    ],
    ids=["past_date", "none_without_reason", "no_attendees"],
)
def test_the_api_refuses_a_bad_arrangement_naming_the_field(
    client: Any, flow: Flow, data: dict[str, Any], field: str
) -> None:
    from tests.http_checks import API, never_a_server_error, problem

    never_a_server_error(client)
    flow.to_review()
    before = flow.counts()
    response = client.post(
        f"{API}/cases/{flow.ref}/events",
        headers={"Authorization": f"Bearer {flow.staff['jag_chair'].token}"},
        json={"event": "review_meeting_arranged", "version": 3, "data": data},
    )
    assert problem(response, 422)["field"] == field
    assert flow.counts() == before
    response = client.post(
        f"{API}/cases/{flow.ref}/events",
        headers={"Authorization": f"Bearer {flow.staff['jag_chair'].token}"},
        json={"event": "review_meeting_arranged", "version": 3, "data": MEETING},
    )
    assert response.status_code < 300, response.text
    assert flow.counts()[1] == date(2026, 3, 19)


# --- a meeting sooner than the papers lead time (issue 10) ---------------------------------


def test_a_meeting_sooner_than_the_lead_time_makes_the_papers_due_today_not_overdue(
    flow: Flow,
) -> None:
    flow.to_review()  # Mon 2 Mar 2026
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, "meeting_date": "2026-03-04"})
    [papers] = flow.deadlines("jag_papers")
    assert papers.due_on == date(2026, 3, 2)  # today, not Thu 26 Feb
    assert (papers.start_on, papers.amount) == (date(2026, 3, 4), -3)
    before = {m.id for m in flow.outbox()}
    sweep_deadlines(flow.sessions, clock=flow.clock)
    new = [m for m in flow.outbox() if m.id not in before and m.deadline_id == papers.id]
    assert "deadline_overdue_escalation" not in {m.message for m in new}
    assert [d.status for d in flow.deadlines("jag_papers")] == ["open"]


def test_the_arrange_form_tells_the_chair_papers_are_due_today_when_the_meeting_is_close() -> None:
    from workflows.community_trigger import ReviewArrangementData

    hint = ReviewArrangementData.model_fields["meeting_date"].description or ""
    assert "the papers are due today" in hint


# --- a meeting held on another day than arranged (issue 10) --------------------------------


def _held(flow: Flow, on: str) -> None:
    flow.fire(
        "review_meeting_held",
        "jag_chair",
        {"held_on": on, "attendees": ["Police"], "victim_involvement": "attend"}
        | {"confirm_other_date": True},
    )


def test_papers_still_open_are_settled_against_an_earlier_day_the_meeting_was_held(
    flow: Flow,
) -> None:
    flow.to_review()  # Mon 2 Mar; arranged for Thu 19 Mar, papers due Mon 16 Mar
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    flow.clock.advance(days=10)  # Thu 12 Mar: held a week early, papers never recorded
    _held(flow, "2026-03-12")
    [papers] = flow.deadlines("jag_papers")
    # Due 3 working days before the day it was held (Mon 9 Mar), so missed as of that day.
    assert papers.status == "late"
    assert papers.label is not None and "due Monday 9 March 2026" in papers.label
    assert papers.closed_by == "review_meeting_held"
    assert papers.label is not None
    assert "missed" in papers.label and "Thursday 12 March 2026" in papers.label
    assert "arranged for Thursday 19 March 2026" in papers.label
    with flow.sessions() as s:
        schedule = s.get(DeadlineSchedule, papers.id)
    assert schedule is not None and schedule.next_action_on is None


def test_papers_for_a_meeting_brought_forward_are_never_due_before_the_day_they_were_set(
    flow: Flow,
) -> None:
    flow.to_review()  # Mon 2 Mar
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, "meeting_date": "2026-03-04"})
    # Arranged at two days' notice: papers due today (Mon 2 Mar).
    flow.clock.advance(days=1)  # Tue 3 Mar: the meeting was brought forward to today
    _held(flow, "2026-03-03")
    [papers] = flow.deadlines("jag_papers")
    # Counted back from Tue 3 Mar would be Thu 26 Feb, before the clock was set: due Mon 2
    # Mar, the day it was set, so missed as of the meeting, against the day it was held.
    assert papers.status == "late"
    assert papers.label is not None and "due Monday 2 March 2026" in papers.label


def test_papers_due_on_the_day_the_meeting_was_held_are_met(flow: Flow) -> None:
    flow.to_review()  # Mon 2 Mar
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, "meeting_date": "2026-03-04"})
    _held(flow, "2026-03-02")  # held the same day it was set, not on Wed 4 Mar
    [papers] = flow.deadlines("jag_papers")
    assert papers.status == "met"
    assert papers.label is not None and "met" in papers.label


def test_papers_still_open_when_held_later_are_settled_against_the_day_held(flow: Flow) -> None:
    flow.to_review()  # Mon 2 Mar; arranged for Thu 19 Mar, papers due Mon 16 Mar
    flow.fire("review_meeting_arranged", "jag_chair", MEETING)
    flow.clock.advance(days=22)  # Tue 24 Mar: held five days later than arranged
    _held(flow, "2026-03-24")
    [papers] = flow.deadlines("jag_papers")
    assert papers.status == "late"
    assert papers.label is not None and "due Thursday 19 March 2026" in papers.label
    assert papers.label is not None and "Tuesday 24 March 2026" in papers.label


def test_the_staff_arrange_form_shows_the_papers_due_today_hint() -> None:
    from web.staff.forms import fields_for
    from workflows.community_trigger import ReviewArrangementData

    fields = {f.name: f for f in fields_for(ReviewArrangementData, "review_meeting_arranged")}
    assert "the papers are due today" in fields["meeting_date"].hint


def test_the_case_page_explains_papers_due_today_for_a_close_meeting(flow: Flow) -> None:
    flow.to_review()  # Mon 2 Mar
    flow.fire("review_meeting_arranged", "jag_chair", {**MEETING, "meeting_date": "2026-03-04"})
    with flow.sessions() as s:
        detail = queries.staff_case_page(
            s, reference=flow.ref, actor=flow.staff["jag_chair"].actor, clock=flow.clock
        )
    [papers] = [d for d in detail["deadlines"] if d["name"] == "jag_papers"]
    assert "due the day it was arranged, Monday 2 March 2026" in papers["why"]
