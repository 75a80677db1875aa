"""The s.104 counting rules, as a table of case histories and the figures each gives."""

from __future__ import annotations

from datetime import date

import pytest

from engine.figures import (
    CaseHistory,
    FigureEvent,
    count_histories,
    financial_year,
    note_sentences,
)
from workflows.community_trigger import FIGURES as RULES


def ev(trigger: str, on: str, **kw: object) -> FigureEvent:
    return FigureEvent(trigger, date.fromisoformat(on), **kw)  # type: ignore[arg-type]


MET_REVIEWED = (
    ev("submit", "2026-05-01"),
    ev("threshold_met", "2026-05-10"),
    ev("jag_report_recorded", "2026-06-01", recommendations=2),
    ev("response_issued", "2026-06-05"),
)

# (id, events, {year: {figure or note: count}}) for one Leicester case each.
CASES = [
    ("reviewed_with_recommendations", MET_REVIEWED,
     {2026: {"applications": 1, "reviews": 1, "reviews_with_recommendations": 1}}),
    ("reviewed_without_recommendations",
     (ev("submit", "2026-05-01"), ev("threshold_met", "2026-05-10"),
      ev("jag_report_recorded", "2026-06-01"), ev("response_issued", "2026-06-05")),
     {2026: {"applications": 1, "reviews": 1}}),
    ("application_on_31_march_counts_in_the_year_ending",
     (ev("submit", "2026-03-31"),), {2025: {"applications": 1}}),
    ("application_on_1_april_counts_in_the_new_year",
     (ev("submit", "2026-04-01"),), {2026: {"applications": 1}}),
    ("review_spanning_years_counts_when_its_outcome_is_sent",
     (ev("submit", "2026-03-02"), ev("threshold_met", "2026-03-20"),
      ev("jag_report_recorded", "2026-03-30", recommendations=1),
      ev("response_issued", "2026-04-02")),
     {2025: {"applications": 1},
      2026: {"reviews": 1, "reviews_with_recommendations": 1,
             "reviewed_earlier_application": 1}}),
    ("threshold_not_met",
     (ev("submit", "2026-05-01"), ev("threshold_not_met", "2026-05-10")),
     {2026: {"applications": 1, "threshold_not_met": 1}}),
    ("rejection_counts_as_not_met_with_a_note",
     (ev("submit", "2026-05-01"), ev("application_rejected", "2026-05-10")),
     {2026: {"applications": 1, "threshold_not_met": 1, "rejected": 1}}),
    ("decision_in_the_next_year",
     (ev("submit", "2027-03-25"), ev("threshold_not_met", "2027-04-03")),
     {2026: {"applications": 1},
      2027: {"threshold_not_met": 1, "decided_earlier_application": 1}}),
    ("withdrawn_before_the_decision",
     (ev("submit", "2026-05-01"), ev("withdrawn", "2026-05-03")),
     {2026: {"applications": 1, "withdrawn_before_decision": 1}}),
    ("withdrawn_after_threshold_met",
     (ev("submit", "2026-05-01"), ev("threshold_met", "2026-05-10"),
      ev("withdrawn", "2026-05-20")),
     {2026: {"applications": 1, "withdrawn_before_review": 1}}),
    ("discretionary_review_below_threshold",
     (ev("submit", "2026-05-01"), ev("threshold_met", "2026-05-10", override=True),
      ev("response_issued", "2026-06-05")),
     {2026: {"applications": 1, "reviews": 1, "discretionary": 1}}),
    ("not_met_then_upheld_on_appeal_then_reviewed",
     (ev("submit", "2026-05-01"), ev("threshold_not_met", "2026-05-10"),
      ev("appeal_upheld", "2026-06-20"),
      ev("jag_report_recorded", "2026-07-01", recommendations=1),
      ev("response_issued", "2026-07-03")),
     {2026: {"applications": 1, "threshold_not_met": 1, "overturned_on_appeal": 1,
             "reviews": 1, "reviews_with_recommendations": 1}}),
    ("re_review_after_upheld_appeal_counted_once",
     (*MET_REVIEWED, ev("appeal_upheld", "2026-07-01"),
      ev("jag_report_recorded", "2026-07-10"), ev("response_issued", "2027-04-10")),
     {2026: {"applications": 1, "reviews": 1, "reviews_with_recommendations": 1},
      2027: {"re_reviews": 1}}),
    ("recommendations_only_at_the_re_review_do_not_count_for_the_first",
     (ev("submit", "2026-05-01"), ev("threshold_met", "2026-05-10"),
      ev("jag_report_recorded", "2026-06-01"), ev("response_issued", "2026-06-05"),
      ev("appeal_upheld", "2026-07-01"),
      ev("jag_report_recorded", "2026-07-10", recommendations=3),
      ev("response_issued", "2026-07-20")),
     {2026: {"applications": 1, "reviews": 1, "re_reviews": 1}}),
]  # fmt: skip


@pytest.mark.parametrize(("events", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_case_counts_as_the_rules_say(events, expected) -> None:
    years = count_histories([CaseHistory("leicester", events)], RULES)
    got = {
        year: dict(+t.counts + t.notes) for year, locs in years.items() for t in [locs["leicester"]]
    }
    assert got == expected


def test_counts_add_up_per_locality_and_year() -> None:
    histories = [
        CaseHistory("leicester", MET_REVIEWED),
        CaseHistory("leicester", (ev("submit", "2026-07-01"),)),
        CaseHistory("melton", (ev("submit", "2026-08-01"), ev("threshold_not_met", "2026-08-09"))),
    ]
    years = count_histories(histories, RULES)
    assert years[2026]["leicester"].as_figures() == {
        "applications": 2,
        "threshold_not_met": 0,
        "reviews": 1,
        "reviews_with_recommendations": 1,
    }
    assert years[2026]["melton"].as_figures()["threshold_not_met"] == 1


@pytest.mark.parametrize(
    ("day", "year"),
    [("2026-03-31", 2025), ("2026-04-01", 2026), ("2026-12-31", 2026), ("2027-01-01", 2026)],
)
def test_financial_year_runs_april_to_march(day: str, year: int) -> None:
    assert financial_year(date.fromisoformat(day)) == year


def test_notes_read_as_sentences_with_plurals() -> None:
    from collections import Counter

    assert note_sentences(Counter({"rejected": 1, "discretionary": 2})) == [
        "2 reviews held at the area's discretion, though the application was below the "
        "statutory threshold",
        "1 of the times the threshold was not met was a refusal on a stated ground",
    ]
