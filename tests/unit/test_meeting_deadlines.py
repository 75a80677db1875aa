"""Pure rules for clocks counted back from a date in the event data, and per-item clocks."""

from __future__ import annotations

from datetime import date

import pytest

from engine import deadlines, registry
from engine.definitions import DeadlineRule

WF = registry.workflow("community_trigger")
AREA = registry.area("llr")


def _opened(
    trigger: str, data: object, today: date = date(2026, 3, 2)
) -> dict[str, deadlines.NewDeadline]:
    found = deadlines.opened_by(
        WF, AREA, locality_id="leicester", trigger=trigger, today=today, data=data
    )
    return {d.name: d for d in found}


@pytest.mark.parametrize(
    ("meeting", "due"),
    [
        (date(2026, 3, 19), date(2026, 3, 16)),  # Thu -> Mon
        (date(2026, 3, 17), date(2026, 3, 12)),  # Tue -> Thu, over a weekend
        (date(2026, 4, 9), date(2026, 4, 2)),  # over Good Friday and Easter Monday
        (date(2027, 1, 5), date(2026, 12, 30)),  # over New Year's Day, into the old year
    ],
)
def test_arranging_a_meeting_opens_papers_due_three_working_days_before_it(
    meeting: date, due: date
) -> None:
    opened = _opened("review_meeting_arranged", {"meeting_date": meeting.isoformat()})
    papers = opened["jag_papers"]
    assert list(opened) == ["jag_papers"]
    assert (papers.owner_role, papers.kind) == ("jag_chair", "duty")
    # Stored as counted back from the meeting, so "why this date" can explain it.
    assert (papers.start_on, papers.amount, papers.unit) == (meeting, -3, "working_days")
    assert papers.due_on == due


def test_the_anchor_is_read_from_parsed_event_data_too() -> None:
    parsed = registry.workflow("community_trigger").transition(
        "review_meeting_arranged", "review_scheduled"
    )
    assert parsed is not None and parsed.data is not None
    data = parsed.data.model_validate(
        {"meeting_date": "2026-03-19", "attendees": ["Police"], "victim_involvement": "attend"}
    )
    assert _opened("review_meeting_arranged", data)["jag_papers"].due_on == date(2026, 3, 16)


def test_a_clock_with_no_anchor_still_counts_from_the_day_of_the_event() -> None:
    opened = _opened("threshold_met", {"reasons": "r"}, today=date(2026, 3, 9))
    review = opened["review_outcome"]
    assert review.start_on == date(2026, 3, 9)
    assert review.due_on == date(2026, 4, 7)


def test_a_missing_anchor_is_a_programming_error_not_a_silent_today() -> None:
    with pytest.raises(LookupError, match="meeting_date"):
        _opened("review_meeting_arranged", {})


def test_rearranging_restarts_the_papers_clock_and_recording_the_meeting_ends_it() -> None:
    met, ended = deadlines.closing_plan(
        WF, trigger="review_meeting_arranged", new_state="review_scheduled"
    )
    assert "jag_papers" in ended and "jag_papers" not in met
    assert "review_outcome" not in ended  # the review's own clock carries on
    assert "recommendation_due" not in ended

    met, ended = deadlines.closing_plan(WF, trigger="jag_papers_sent", new_state="review_scheduled")
    assert met == ["jag_papers"] and "review_outcome" not in ended

    met, ended = deadlines.closing_plan(WF, trigger="review_meeting_held", new_state="under_review")
    assert "jag_papers" in ended and "review_outcome" not in ended


@pytest.mark.parametrize(
    ("trigger", "state"),
    [("withdrawn", "closed"), ("appeal_not_upheld", "closed"), ("case_closed", "closed")],
)
def test_closing_the_case_ends_every_recommendation_clock(trigger: str, state: str) -> None:
    _met, ended = deadlines.closing_plan(WF, trigger=trigger, new_state=state)
    assert "recommendation_due" in ended


@pytest.mark.parametrize(
    "state", ["under_review", "response_drafted", "response_issued", "appeal_lodged", "monitoring"]
)
def test_recommendation_clocks_live_on_through_the_response_appeal_and_monitoring(
    state: str,
) -> None:
    _met, ended = deadlines.closing_plan(WF, trigger="recommendation_updated", new_state=state)
    assert "recommendation_due" not in ended


def test_a_recommendation_clock_falls_due_on_its_own_date_moved_to_a_working_day() -> None:
    rule = deadlines.rule_named(WF, "recommendation_due")
    assert rule.timescale is None and rule.owner_role == "contact"
    new = deadlines.dated(rule, on=date(2026, 12, 25), label="L", subject="recommendation:2")
    assert (new.start_on, new.amount, new.unit) == (date(2026, 12, 25), 0, "calendar_days")
    assert new.due_on == date(2026, 12, 29)  # Christmas, then the Boxing Day substitute
    assert (new.label, new.subject, new.owner_role) == ("L", "recommendation:2", "contact")
    assert deadlines.dated(rule, on=date(2026, 5, 1), label="L", subject="s").due_on == date(
        2026, 5, 1
    )


def test_a_recommendation_label_names_it_and_stays_short() -> None:
    label = deadlines.recommendation_label(2, "Leicester City Council", "Install noise monitoring")
    assert label == "Recommendation 2: Leicester City Council \u2014 Install noise monitoring"
    long = deadlines.recommendation_label(12, "A" * 300, "word " * 200)
    assert long.startswith("Recommendation 12: ")
    assert long.endswith("...")
    assert len(long) <= 200


def test_a_rule_with_no_timescale_is_never_opened_by_a_trigger() -> None:
    rule = DeadlineRule("x", "X", None, ("threshold_met",), (), ("review_scheduled",), "contact")
    wf = type(WF)(**{**WF.__dict__, "deadlines": (rule,)})
    assert (
        deadlines.opened_by(
            wf, AREA, locality_id="leicester", trigger="threshold_met", today=date(2026, 3, 2)
        )
        == []
    )
