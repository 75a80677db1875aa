"""Issue 10 journeys: recommendations followed through, appeals late or decided, re-reviews,
meetings held on another day and the CSP chair's queue. Frozen clock; every step reloads
the case in a fresh session, as the pages and API do."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, col, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidInput, InvalidTransition
from engine.models import AuditEvent, Case, Deadline, Document, OutboxMessage, Recommendation
from engine.queries import case_detail
from engine.services.cases import record_event
from engine.sweeps import sweep_deadlines
from engine.worklists import locality_cases
from notifications.addresses import outgoing_for
from notifications.outbox import dispatch_once
from tests.factories import StaffMember, load_case, make_case, make_staff
from tests.integration.test_outbox import RecordingChannel
from workflows.community_trigger.services.public_status import case_status

REPORT = {
    "findings": "Noise reports were not linked across agencies.",
    "recommendations": [
        {"recipient_body": "Leicester City Council", "action": "Fit noise monitoring"},
        {"recipient_body": "Leicestershire Police", "action": "Share incident logs"},
    ],
}
APPEAL = {"ground": "facts_not_considered", "details": "The housing notes were missed."}
HELD = {"attendees": ["Police", "Council"], "victim_involvement": "impact_statement"}


class Journey:
    def __init__(self, sessions: SessionFactory, clock: FixedClock, **case: Any) -> None:
        self.sessions, self.clock = sessions, clock
        with sessions() as s:
            self.staff = make_staff(s, clock)
            self.submitted = make_case(s, clock, **case)
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

    def state(self) -> str:
        with self.sessions() as s:
            return self.case(s).state

    def written(self) -> tuple[Any, ...]:
        """Everything an event writes, to prove a refused one wrote nothing."""
        with self.sessions() as s:
            case = self.case(s)
            n = {
                t.__name__: len(s.exec(select(t).where(t.case_id == case.id)).all())
                for t in (AuditEvent, Deadline, OutboxMessage, Recommendation)
            }
            recs = s.exec(select(Recommendation).where(Recommendation.case_id == case.id)).all()
            return (case.version, case.state, case.review_meeting_on, n, [r.status for r in recs])

    def open_deadlines(self) -> dict[str, date]:
        with self.sessions() as s:
            rows = s.exec(
                select(Deadline).where(
                    Deadline.case_id == self.case(s).id, Deadline.status == "open"
                )
            ).all()
            return {d.subject or d.name: d.due_on for d in rows}

    def messages(self, name: str | None = None) -> list[OutboxMessage]:
        with self.sessions() as s:
            rows = s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.case_id == self.case(s).id)
                .order_by(col(OutboxMessage.id))
            ).all()
            return [m for m in rows if name is None or m.message == name]

    def text_of(self, row: OutboxMessage) -> str:
        with self.sessions() as s:
            out = outgoing_for(s, row, in_doubt=False, base_url="https://ct.example.org")
        return out.rendered.subject + "\n" + out.rendered.text

    def status(self) -> Any:
        with self.sessions() as s:
            return case_status(s, token=self.submitted.status_token, clock=self.clock)

    def staff_view(self, who: str = "contact") -> dict[str, Any]:
        with self.sessions() as s:
            return case_detail(s, reference=self.ref, actor=self.staff[who].actor, clock=self.clock)

    def to_response(self) -> None:
        self.fire("acknowledge", "contact")
        self.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
        self.fire("review_meeting_held", "jag_chair", {**HELD, "held_on": self.today()})
        self.fire("jag_report_recorded", "jag_chair", REPORT)
        self.fire("response_issued", "csp_chair", {"summary": "Two recommendations agreed."})

    def to_appeal_decision(self) -> None:
        self.fire("appeal_lodged", "contact", APPEAL)
        self.fire("appeal_papers_sent", "contact", {"appeal_chair_email": "appeal@example.org"})

    def today(self) -> str:
        return self.clock.today().isoformat()


@pytest.fixture
def j(session_factory: SessionFactory, clock: FixedClock) -> Journey:
    return Journey(session_factory, clock)


def _update(j: Journey, number: int, status: str, note: str, who: str = "contact") -> None:
    j.fire(
        "recommendation_updated", who, {"recommendation": number, "status": status, "note": note}
    )


def test_recommendations_are_recorded_during_the_appeal_window_and_the_appeal(
    j: Journey,
) -> None:
    j.fire("acknowledge", "contact")
    j.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    j.fire("review_meeting_held", "jag_chair", {**HELD, "held_on": j.today()})
    j.fire("jag_report_recorded", "jag_chair", REPORT)
    # Not live until the response issues them: nothing to record yet.
    before = j.written()
    with pytest.raises(InvalidTransition, match="No response with recommendations"):
        _update(j, 1, "done", "Too early.")
    assert j.written() == before
    j.fire("response_issued", "csp_chair", {"summary": "Two recommendations agreed."})

    j.clock.advance(days=3)  # Thu 5 Mar, inside the appeal window
    assert j.state() == "response_issued"
    assert "recommendation_updated" in j.staff_view()["events"]
    _update(j, 1, "done", "Monitoring equipment fitted on 4 March.")
    assert j.state() == "response_issued"
    assert "appeal_window" in j.open_deadlines()

    # The applicant is told, by message and on their page.
    sent = j.messages("recommendation_progress")
    assert len(sent) == 1
    text = j.text_of(sent[0])
    assert "Fit noise monitoring" in text and "Monitoring equipment fitted" in text
    assert "Your named contact is Contact. You can email them at contact@example.org" in text
    assert "still checking 1 other recommendation" in text
    titles = [e.title for e in j.status().entries]
    assert "A recommendation was done: Leicester City Council" in titles

    j.fire("appeal_lodged", "contact", APPEAL)
    _update(j, 2, "accepted", "The police will share logs monthly.")  # no news yet
    assert len(j.messages("recommendation_progress")) == 1
    j.fire("appeal_papers_sent", "contact", {"appeal_chair_email": "appeal@example.org"})
    _update(j, 2, "declined", "Logs hold third-party data the force cannot share.")
    assert j.state() == "appeal_papers_sent"
    with j.sessions() as s:
        recs = s.exec(select(Recommendation).order_by(col(Recommendation.seq))).all()
        assert [(r.status, r.had_regard) for r in recs] == [("done", False), ("declined", True)]
    declined = j.text_of(j.messages("recommendation_progress")[-1])
    assert "looked carefully at recommendation 2" in declined
    assert "third-party data" in declined
    assert "every recommendation is now finished" in declined


def test_appeal_not_upheld_with_open_recommendations_monitors_then_closes_when_all_resolved(
    j: Journey,
) -> None:
    j.to_response()
    j.to_appeal_decision()
    j.fire("appeal_not_upheld", "appeal_chair", {"reasons": "All facts were considered."})
    assert j.state() == "monitoring"
    letter = j.text_of(j.messages("appeal_decision_letter")[-1])
    # The letters slice's words (reading age 11): the earlier decision stands.
    assert "not upheld" in letter and "The decision stays as it was." in letter
    assert "Local Government and Social Care Ombudsman" in letter
    assert "Police and Crime Commissioner" in letter
    decided = j.status().entries[-1]
    assert decided.title == "Your appeal was not upheld"
    assert any("Ombudsman" in line for line in decided.lines)

    before = j.written()
    with pytest.raises(InvalidTransition, match="Recommendations 1 and 2 are not yet done"):
        j.fire("case_closed", "contact", {"closure_reason": "resolved", "explanation": "x"})
    assert j.written() == before

    _update(j, 1, "done", "Equipment fitted.")
    with pytest.raises(InvalidTransition, match="Recommendation 2 is not yet done"):
        j.fire("case_closed", "contact", {"closure_reason": "resolved", "explanation": "x"})
    _update(j, 2, "declined", "The force cannot share the logs.", who="jag_chair")
    j.fire("case_closed", "contact", {"closure_reason": "resolved", "explanation": "All done."})
    assert j.state() == "closed"
    closing = j.text_of(j.messages("case_closed_letter")[-1])
    # The closure letter's sentence for each (letters slice), with what was done.
    done = "1. Leicester City Council: Fit noise monitoring. This is done."
    assert f"{done} What was done: Equipment fitted." in closing
    assert "This was not taken up. They said: The force cannot share the logs." in closing


def test_appeal_not_upheld_with_nothing_open_closes_the_case(j: Journey) -> None:
    j.to_response()
    _update(j, 1, "done", "Fitted.")
    _update(j, 2, "done", "Shared.")
    j.to_appeal_decision()
    j.fire("appeal_not_upheld", "appeal_chair", {"reasons": "All facts were considered."})
    with j.sessions() as s:
        case = j.case(s)
        assert (case.state, case.closure_reason) == ("closed", "appeal_not_upheld")


def test_upheld_appeal_new_meeting_and_a_final_second_response(j: Journey) -> None:
    j.to_response()
    j.to_appeal_decision()
    j.fire("appeal_upheld", "appeal_chair", {"reasons": "The housing notes must be seen."})
    assert j.state() == "under_review"

    # The JAG arranges a new meeting: the same papers clock as the first.
    j.fire(
        "review_meeting_arranged",
        "jag_chair",
        {"meeting_date": "2026-03-19", "attendees": ["Police", "Housing"], **HELD},
    )
    assert j.state() == "review_scheduled"
    assert j.open_deadlines()["jag_papers"] == date(2026, 3, 16)
    # The first recommendations stay live through the re-review.
    _update(j, 1, "accepted", "The council will fit it next month.")

    j.clock.advance(days=14)  # Mon 16 Mar
    j.fire("jag_papers_sent", "jag_chair")
    j.clock.advance(days=3)  # Thu 19 Mar
    j.fire("review_meeting_held", "jag_chair", {**HELD, "held_on": "2026-03-19"})
    with pytest.raises(InvalidInput, match="Recommendation 5 is not an open, issued"):
        j.fire(
            "jag_report_recorded",
            "jag_chair",
            {"findings": "f", "changes": [{"recommendation": 5, "withdraw": True, "reason": "r"}]},
        )
    j.fire(
        "jag_report_recorded",
        "jag_chair",
        {
            "findings": "The housing notes were considered.",
            "recommendations": [{"recipient_body": "Housing provider", "action": "Visit"}],
            "changes": [
                {
                    "recommendation": 2,
                    "withdraw": True,
                    "reason": "The housing provider's visit replaces the log sharing.",
                }
            ],
        },
    )
    j.fire("response_issued", "csp_chair", {"summary": "One recommendation changed."})

    # Final: no appeal window; the case monitors its open recommendations.
    assert j.state() == "monitoring"
    assert "appeal_window" not in j.open_deadlines()
    assert "appeal_lodged" not in j.staff_view()["events"]
    letter = j.text_of(j.messages("review_outcome_letter")[-1])
    assert "This decision is final. You cannot appeal again." in letter
    assert "Local Government and Social Care Ombudsman" in letter
    assert "you can appeal" not in letter.lower()
    with j.sessions() as s:
        html = s.exec(
            select(Document)
            .where(
                Document.kind == "response_letter",
                Document.media_type == "text/html; charset=utf-8",
            )
            .order_by(col(Document.id).desc())
        ).first()
        assert html is not None
        page = html.content.decode()
    assert "This decision is final" in page and "To appeal, write" not in page
    assert "visit replaces the log sharing" in page
    status = j.status()
    outcome = [e for e in status.entries if e.title.startswith("We sent you the outcome")][-1]
    assert any("withdrawn after your appeal: The housing provider" in i for i in outcome.items)
    assert "This response is final: it cannot be appealed." in outcome.lines

    # Recommendation 2 is resolved by its withdrawal; the rest close the case.
    _update(j, 1, "done", "Fitted.")
    _update(j, 3, "done", "Visited.")
    j.fire("case_closed", "contact", {"closure_reason": "resolved", "explanation": "Done."})
    closing = j.text_of(j.messages("case_closed_letter")[-1])
    # The closure letter's words for it (letters slice).
    assert "After your appeal, the review took back this:" in closing
    assert "The housing provider" in closing.split("took back this:", 1)[1]


def test_a_late_appeal_is_accepted_only_with_a_reason_that_is_shown(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock, incidents=1)
    j.fire("acknowledge", "contact")
    j.fire("threshold_not_met", "jag_chair", {"reasons": "One incident in six months."})
    assert "appeal window open until 30 March 2026" in j.staff_view()["state_label"]

    clock.advance(days=30)  # Wed 1 Apr: the window closed on Mon 30 Mar
    label = j.staff_view()["state_label"]
    assert "appeal window closed on 30 March 2026" in label and "open" not in label
    status = j.status()
    assert "The time to appeal ended" in [e.title for e in status.entries]
    assert "You can appeal until" not in [e.title for e in status.expected]

    before = j.written()
    with pytest.raises(InvalidInput, match="appeal window closed on 30 March 2026") as refused:
        j.fire("appeal_lodged", "contact", APPEAL)
    assert refused.value.field == "data.late_reason"
    assert j.written() == before
    j.fire(
        "appeal_lodged",
        "contact",
        {**APPEAL, "late_reason": "The applicant was in hospital until 31 March."},
    )
    assert j.state() == "appeal_lodged"
    assert j.messages("appeal_received") == []
    text = j.text_of(j.messages("late_appeal_accepted")[-1])
    assert "in hospital until 31 March" in text and "within 1 working day" in text
    appeal = [e for e in j.status().entries if e.title == "We received your appeal"][0]
    assert "Why we accepted it: The applicant was in hospital until 31 March." in appeal.lines
    history = j.staff_view()["history"]
    assert history[-1]["event"] == "appeal_lodged"


def test_a_late_reason_for_an_appeal_in_time_is_refused(j: Journey) -> None:
    j.to_response()
    before = j.written()
    with pytest.raises(InvalidInput, match="within the appeal window") as refused:
        j.fire("appeal_lodged", "contact", {**APPEAL, "late_reason": "Not late at all."})
    assert refused.value.field == "data.late_reason"
    assert j.written() == before


def test_a_meeting_held_on_another_day_is_confirmed_then_is_the_one_date(j: Journey) -> None:
    j.fire("acknowledge", "contact")
    j.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    arranged = {"meeting_date": "2026-03-19", "attendees": ["Police", "Council"], **HELD}
    j.fire("review_meeting_arranged", "jag_chair", arranged)
    j.clock.advance(days=18)  # Fri 20 Mar: the meeting slipped a day
    before = j.written()
    with pytest.raises(InvalidInput, match="arranged for 19 March 2026, not 20 March") as refused:
        j.fire("review_meeting_held", "jag_chair", {**HELD, "held_on": "2026-03-20"})
    assert refused.value.field == "data.confirm_other_date"
    assert j.written() == before

    j.fire(
        "review_meeting_held",
        "jag_chair",
        {**HELD, "held_on": "2026-03-20", "confirm_other_date": True},
    )
    with j.sessions() as s:
        assert j.case(s).review_meeting_on == date(2026, 3, 20)
    assert j.staff_view()["review_meeting_on"] == "2026-03-20"
    assert "jag_papers" not in j.open_deadlines()
    shown = repr(j.status())
    assert "20 March 2026" in shown and "19 March 2026" not in shown


def test_the_threshold_decision_names_its_jag_meeting_or_says_it_was_the_chairs(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock)
    j.fire("acknowledge", "contact")
    before = j.written()
    with pytest.raises(InvalidInput, match="date of the JAG meeting") as refused:
        j.fire(
            "threshold_met",
            "jag_chair",
            {"reasons": "Three incidents.", "partners_present": ["Police"]},
        )
    assert refused.value.field == "data.jag_meeting_on"
    with pytest.raises(InvalidInput, match="who agreed"):
        j.fire(
            "threshold_met",
            "jag_chair",
            {
                "reasons": "Three incidents.",
                "jag_meeting_on": "2026-02-27",
                "partners_present": ["Police", "Council"],
            },
        )
    assert j.written() == before
    j.fire(
        "threshold_met",
        "jag_chair",
        {
            "reasons": "Three incidents.",
            "jag_meeting_on": "2026-02-27",
            "partners_present": ["Leicestershire Police", "Leicester City Council"],
            "agreed_by": ["Jag Chair (Council)", "PS Lee (Police)"],
        },
    )
    met = [e for e in j.status().entries if e.title == "The threshold for a case review is met"]
    assert met[0].lines[-1] == (
        "The partner agencies decided this at their Joint Action Group meeting on 27 February 2026."
    )
    assert "PS Lee" not in repr(j.status())  # who agreed is for the file, not the page

    other = Journey(session_factory, clock, email="second@example.org")
    other.staff = j.staff
    other.fire("acknowledge", "contact")
    other.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    met = [e for e in other.status().entries if e.title.startswith("The threshold")]
    assert "decided this between meetings" in met[0].lines[-1]


def test_the_csp_chair_sees_a_new_application_on_its_day_and_is_told_of_it(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
    with session_factory() as s:
        assert locality_cases(s, actor=staff["csp_chair"].actor, today=clock.today()) == []
        new = make_case(s, clock)
        make_case(s, clock, locality="melton", email="melton@example.org")
    with session_factory() as s:
        lines = locality_cases(s, actor=staff["csp_chair"].actor, today=clock.today())
        assert [(c["reference"], c["new"]) for c in lines] == [(new.reference, True)]
        assert lines[0]["state_text"].startswith("Application received")
        assert locality_cases(s, actor=staff["contact"].actor, today=clock.today()) == []
        alerts = s.exec(
            select(OutboxMessage).where(OutboxMessage.message == "new_application_alert")
        ).all()
    # The Leicester contact and CSP chair hear the day it arrives; Melton's staff are not
    # Leicester's, and nobody in the Melton locality holds those roles here.
    leicester = sorted((m.recipient, m.created_at.date()) for m in alerts if m.case_id)
    assert ("contact@example.org", clock.today()) in leicester
    assert ("csp@example.org", clock.today()) in leicester
    assert len([m for m in alerts if m.recipient == "csp@example.org"]) == 1

    # The alert is the first word staff get: it is queued with the case, before any sweep
    # can remind them of the acknowledgement, which the sweep then sends to the contact.
    # Sent in that order, the applicant's receipt first.
    clock.advance(minutes=5)  # the worker's next sweep
    sweep_deadlines(session_factory, clock=clock)
    channel = RecordingChannel()
    dispatch_once(session_factory, channel=channel, clock=clock, worker="w1", base_url="http://ct")
    order = [(m.message, m.to) for m in channel.sent if m.to != "melton@example.org"]
    assert order[0] == ("application_received", "victim@example.org")
    assert order.index(("new_application_alert", "contact@example.org")) < order.index(
        ("deadline_reminder", "contact@example.org")
    )
    with session_factory() as s:
        to_contact = s.exec(
            select(OutboxMessage.message)
            .where(OutboxMessage.recipient == "contact@example.org")
            .order_by(col(OutboxMessage.id))
        ).all()
    assert to_contact[0] == "new_application_alert"
    assert "deadline_reminder" in to_contact[1:]
    alert = next(m for m in alerts if m.recipient == "csp@example.org")
    with session_factory() as s:
        text = outgoing_for(s, alert, in_doubt=False, base_url="https://ct.example.org")
    words = text.rendered.text
    assert new.reference in words and "Monday 2 March 2026" in words
    assert "acknowledges it by Tuesday 3 March 2026" in words
    assert "whether the threshold is met, and the applicant is told, by Monday 16 March" in words
    assert f"https://ct.example.org/staff/cases/{new.reference}" in words


def test_once_the_report_is_in_the_review_deadline_is_the_csp_chairs(j: Journey) -> None:
    j.fire("acknowledge", "contact")
    j.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    j.fire("review_meeting_held", "jag_chair", {**HELD, "held_on": j.today()})
    owners = {d["name"]: d["owner_role"] for d in j.staff_view()["deadlines"]}
    assert owners["review_outcome"] == "jag_chair"
    j.fire("jag_report_recorded", "jag_chair", REPORT)
    view = j.staff_view()
    owners = {d["name"]: d["owner_role"] for d in view["deadlines"] if d["status"] == "open"}
    assert owners["review_outcome"] == "csp_chair"


@pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
def test_the_csp_chairs_my_work_lists_the_new_application_the_day_it_arrives(
    app: Any, session: Session, j: Journey
) -> None:
    from tests.integration.test_staff_login import browser_for

    chair = browser_for(app, session, j.clock, j.staff["csp_chair"].email)
    chair.sign_in()
    page = chair.get("/staff").text
    assert "Cases in your locality" in page
    assert f'href="/staff/cases/{j.ref}"' in page and "New today" in page
    assert "Application received" in page
    # The case page opens for them, as for every case of their locality.
    assert chair.get(f"/staff/cases/{j.ref}").status_code == 200
    contact = browser_for(app, session, j.clock, j.staff["contact"].email)
    contact.sign_in()
    assert "Cases in your locality" not in contact.get("/staff").text


@pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
def test_the_meeting_form_asks_to_confirm_another_day_then_records_it(
    app: Any, session: Session, j: Journey
) -> None:
    from tests.integration.test_staff_login import browser_for

    j.fire("acknowledge", "contact")
    j.fire("threshold_met", "jag_chair", {"reasons": "Three incidents."})
    arranged = {"meeting_date": "2026-03-02", "attendees": ["Police"], **HELD}
    j.fire("review_meeting_arranged", "jag_chair", arranged)
    j.clock.advance(days=1)  # Tue 3 Mar: held a day late
    chair = browser_for(app, session, j.clock, j.staff["jag_chair"].email)
    chair.sign_in()
    path = f"/staff/cases/{j.ref}/events/review_meeting_held"
    form = {
        "version": "4",
        "held_on-day": "3",
        "held_on-month": "3",
        "held_on-year": "2026",
        "attendees": "Police",
        "victim_involvement": "impact_statement",
    }
    page = chair.post(path, form, status=422)
    assert 'href="#confirm_other_date"' in page.text
    assert "arranged for 2 March 2026, not 3 March 2026" in page.text
    assert j.state() == "review_scheduled"
    chair.post(path, form | {"confirm_other_date": "yes"})
    with j.sessions() as s:
        case = j.case(s)
        assert (case.state, case.review_meeting_on) == ("under_review", date(2026, 3, 3))


def test_the_case_page_shows_where_the_threshold_was_decided_and_a_late_appeals_reason(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    j = Journey(session_factory, clock, incidents=1)
    j.fire("acknowledge", "contact")
    j.fire(
        "threshold_not_met",
        "jag_chair",
        {
            "reasons": "One incident.",
            "jag_meeting_on": "2026-02-27",
            "partners_present": ["Police", "Council"],
            "agreed_by": ["PS Lee (Police)"],
        },
    )
    clock.advance(days=30)
    j.fire("appeal_lodged", "contact", {**APPEAL, "late_reason": "Posted before the deadline."})
    history = {h["event"]: h for h in j.staff_view()["history"]}
    assert history["threshold_not_met"]["decided_at"] == (
        "Decided at the JAG meeting on 27 February 2026. Partners present: Police, Council. "
        "Agreed by: PS Lee (Police)."
    )
    assert history["appeal_lodged"]["reason"] == "Posted before the deadline."
    assert history["acknowledge"]["decided_at"] is None
