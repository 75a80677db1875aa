"""Behaviour of the ASB case review threshold: periods, qualifying reports, routes and reasons."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.threshold import (
    ROUTES,
    Assessment,
    ReportFacts,
    ThresholdRules,
    assess,
    period_end,
    second_report_within_six_months,
)

APPLIED = date(2026, 4, 1)


def report(
    incident: str,
    incident_on: date,
    days_later: int = 1,
    agency: str = "police",
    complainant: str = "applicant",
) -> ReportFacts:
    return ReportFacts(
        incident=incident,
        incident_on=incident_on,
        reported_on=incident_on + timedelta(days=days_later),
        agency=agency,
        complainant=complainant,
    )


def three_incidents() -> list[ReportFacts]:
    return [
        report("a", date(2026, 3, 1)),
        report("b", date(2026, 3, 8)),
        report("c", date(2026, 3, 15)),
    ]


def three_people_one_incident() -> list[ReportFacts]:
    return [report("a", date(2026, 3, 1), complainant=name) for name in ("ann", "bob", "cat")]


def counted_flags(result: Assessment) -> list[bool]:
    return [finding.counted for finding in result.reports]


# --- period_end ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2025, 1, 15), 1, date(2025, 2, 14)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 30), 1, date(2024, 2, 29)),
        (date(2025, 1, 29), 1, date(2025, 2, 28)),
        (date(2025, 3, 10), 6, date(2025, 9, 9)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 12, 1), 1, date(2025, 12, 31)),
        (date(2025, 12, 15), 1, date(2026, 1, 14)),
        (date(2025, 12, 31), 6, date(2026, 6, 30)),
    ],
    ids=[
        "15-jan-one-month-ends-14-feb",
        "31-jan-ends-on-last-day-of-feb",
        "30-jan-in-leap-year-ends-29-feb",
        "29-jan-in-common-year-ends-28-feb",
        "10-mar-six-months-ends-9-sep",
        "31-aug-six-months-ends-28-feb",
        "1-dec-one-month-ends-31-dec",
        "mid-december-crosses-the-year-end",
        "31-dec-six-months-ends-30-jun",
    ],
)
def test_period_end_includes_the_first_day_and_follows_the_corresponding_date(
    start: date, months: int, end: date
) -> None:
    assert period_end(start, months) == end


def test_period_end_refuses_a_period_of_no_months() -> None:
    with pytest.raises(ValueError, match="at least one month"):
        period_end(date(2025, 1, 1), 0)


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 28)),
    months=st.integers(min_value=1, max_value=24),
)
def test_period_end_is_the_day_before_the_corresponding_date_when_that_date_exists(
    start: date, months: int
) -> None:
    following = period_end(start, months) + timedelta(days=1)
    if start.day <= 28:
        assert following.day == start.day
    months_on = (following.year - start.year) * 12 + following.month - start.month
    assert months_on in (months, months + 1)


# --- which reports qualify ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reported_on", "counted"),
    [(date(2025, 2, 14), True), (date(2025, 2, 15), False)],
    ids=["reported-on-14-feb-counts", "reported-on-15-feb-is-too-late"],
)
def test_a_report_counts_only_within_one_month_beginning_with_the_incident_day(
    reported_on: date, counted: bool
) -> None:
    facts = ReportFacts("a", date(2025, 1, 15), reported_on, "police")
    result = assess([facts], application_date=date(2025, 3, 1))
    assert counted_flags(result) == [counted]


@pytest.mark.parametrize(
    ("application_date", "counted"),
    [(date(2025, 9, 9), True), (date(2025, 9, 10), False)],
    ids=["application-on-last-day-of-window-counts", "application-a-day-later-does-not"],
)
def test_a_report_counts_only_if_the_application_is_within_six_months_of_it(
    application_date: date, counted: bool
) -> None:
    facts = ReportFacts("a", date(2025, 3, 9), date(2025, 3, 10), "council")
    result = assess([facts], application_date=application_date)
    assert counted_flags(result) == [counted]


def test_a_report_made_after_the_application_date_does_not_count() -> None:
    facts = ReportFacts("a", date(2026, 3, 30), date(2026, 4, 2), "police")
    result = assess([facts], application_date=APPLIED)
    assert result.reports[0].reason == (
        "not counted: reported on 2 April 2026, after the application date (1 April 2026)"
    )
    assert not result.reports[0].counted


def test_a_report_dated_before_its_incident_does_not_count() -> None:
    facts = ReportFacts("a", date(2026, 3, 10), date(2026, 3, 9), "police")
    result = assess([facts], application_date=APPLIED)
    assert result.reports[0].reason == (
        "not counted: reported on 9 March 2026, before the incident date (10 March 2026)"
    )
    assert not result.reports[0].counted


# --- route 1: separate incidents reported by one person -----------------------------------------


@pytest.mark.parametrize(
    ("incident_count", "met"),
    [(3, True), (2, False)],
    ids=["three-separate-incidents-meet", "two-separate-incidents-miss"],
)
def test_one_person_needs_three_separate_incidents(incident_count: int, met: bool) -> None:
    result = assess(three_incidents()[:incident_count], application_date=APPLIED)
    assert result.met is met
    assert result.route == ("three_incidents" if met else None)
    assert result.qualifying_incidents == incident_count


def test_one_incident_reported_to_three_agencies_is_one_incident() -> None:
    day = date(2026, 3, 3)
    reports = [report("a", day, 1, agency) for agency in ("police", "council", "housing")]
    result = assess(reports, application_date=APPLIED)
    assert result.qualifying_incidents == 1
    assert counted_flags(result) == [True, False, False]
    assert not result.met


def test_three_reports_about_two_incidents_do_not_meet_the_threshold() -> None:
    reports = [
        report("a", date(2026, 3, 1), 1, "police"),
        report("a", date(2026, 3, 1), 2, "council"),
        report("b", date(2026, 3, 9), 1, "police"),
    ]
    result = assess(reports, application_date=APPLIED)
    assert result.qualifying_incidents == 2
    assert not result.met


def test_the_earliest_report_of_an_incident_is_the_one_counted_whatever_the_input_order() -> None:
    later = report("a", date(2026, 3, 1), 5, "council")
    earlier = report("a", date(2026, 3, 1), 1, "police")
    result = assess([later, earlier], application_date=APPLIED)
    assert counted_flags(result) == [False, True]
    assert result.reports[0].reason == "not counted: same incident as report 2, already counted"


# --- route 2: several people reporting the same incident ----------------------------------------


@pytest.mark.parametrize(
    ("people", "met"),
    [(3, True), (2, False)],
    ids=["three-people-meet", "two-people-miss"],
)
def test_the_same_incident_needs_three_different_people(people: int, met: bool) -> None:
    result = assess(three_people_one_incident()[:people], application_date=APPLIED)
    assert result.met is met
    assert result.route == ("three_complainants" if met else None)
    assert result.most_complainants_one_incident == people


def test_a_different_persons_report_of_a_counted_incident_is_counted_and_says_so() -> None:
    reports = [
        report("a", date(2026, 3, 3), 2, "police", "ann"),
        report("a", date(2026, 3, 3), 3, "council", "bob"),
    ]
    result = assess(reports, application_date=APPLIED)
    assert counted_flags(result) == [True, True]
    assert result.reports[1].reason == (
        "counted: a separate person reporting the same incident as report 1, "
        "reported to the council 3 days later"
    )


def test_the_same_person_reporting_one_incident_twice_counts_once_for_that_incident() -> None:
    reports = [*three_people_one_incident(), report("a", date(2026, 3, 1), 2, complainant="ann")]
    result = assess(reports, application_date=APPLIED)
    assert result.most_complainants_one_incident == 3
    assert counted_flags(result) == [True, True, True, False]


# --- route 3: hate incidents --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reports", "rules", "met"),
    [
        ([report("a", date(2026, 3, 1))], ThresholdRules(), True),
        ([report("a", date(2026, 1, 1), 60)], ThresholdRules(), False),
        ([report("a", date(2026, 3, 1))], ThresholdRules(hate_incident_route=False), False),
    ],
    ids=[
        "one-qualifying-report-meets",
        "no-qualifying-report-misses",
        "area-without-a-hate-route-misses",
    ],
)
def test_a_hate_incident_needs_one_qualifying_report_where_the_area_allows_it(
    reports: list[ReportFacts], rules: ThresholdRules, met: bool
) -> None:
    result = assess(reports, application_date=APPLIED, hate_incident=True, rules=rules)
    assert result.met is met
    assert result.route == ("hate_incident" if met else None)


def test_the_explanation_for_a_hate_incident_gives_the_number_of_counted_reports() -> None:
    reports = [report("a", date(2026, 3, 1)), report("a", date(2026, 3, 1), 2, "council")]
    result = assess(reports, application_date=APPLIED, hate_incident=True)
    assert result.explanation.startswith(
        "The threshold for an ASB case review is met by the hate incident route."
    )
    assert "victim of a hate incident; 1 counted report (at least 1 needed)." in result.explanation


def test_a_single_report_without_a_hate_incident_does_not_meet_the_threshold() -> None:
    result = assess([report("a", date(2026, 3, 1))], application_date=APPLIED)
    assert not result.met


# --- route priority -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reports", "route"),
    [
        (three_incidents() + three_people_one_incident(), "three_incidents"),
        (three_people_one_incident(), "three_complainants"),
    ],
    ids=["incidents-before-complainants-and-hate", "complainants-before-hate"],
)
def test_when_several_routes_are_met_the_first_in_order_is_reported(
    reports: list[ReportFacts], route: str
) -> None:
    result = assess(reports, application_date=APPLIED, hate_incident=True)
    assert result.route == route
    assert ROUTES.index(route) < ROUTES.index("hate_incident")


# --- reasons ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (
            ReportFacts("a", date(2026, 3, 3), date(2026, 3, 5), "police"),
            "counted: incident on 3 March 2026, reported to the police 2 days later",
        ),
        (
            ReportFacts("a", date(2026, 3, 3), date(2026, 3, 3), "council"),
            "counted: incident on 3 March 2026, reported to the council the same day",
        ),
        (
            ReportFacts("a", date(2026, 3, 3), date(2026, 3, 4), "housing"),
            "counted: incident on 3 March 2026, reported to a housing provider 1 day later",
        ),
        (
            # Issue 10 reverses this case: a report to anyone but a relevant body never counts.
            ReportFacts("a", date(2026, 3, 3), date(2026, 3, 4), "Fire service"),
            "not counted: not a relevant body (reported to another agency on 4 March 2026; "
            "only reports to the council, the police, the integrated care board or a housing "
            "provider count)",
        ),
        (
            ReportFacts("a", date(2026, 1, 1), date(2026, 2, 11), "police"),
            "not counted: reported 41 days after the incident on 1 January 2026, "
            "more than one month later",
        ),
        (
            ReportFacts("a", date(2025, 9, 29), date(2025, 9, 30), "police"),
            "not counted: reported on 30 September 2025, more than six months before the "
            "application on 1 April 2026",
        ),
    ],
    ids=["counted", "same-day", "housing-provider", "unknown-agency", "late", "outside-window"],
)
def test_each_report_gets_a_plain_english_reason(facts: ReportFacts, reason: str) -> None:
    assert assess([facts], application_date=APPLIED).reports[0].reason == reason


def test_a_duplicate_report_names_the_counted_report_by_its_1_based_number() -> None:
    reports = [
        report("x", date(2026, 3, 1)),
        report("a", date(2026, 3, 3), 1),
        report("a", date(2026, 3, 3), 2, "council"),
    ]
    finding = assess(reports, application_date=APPLIED).reports[2]
    assert finding.index == 2
    assert finding.reason == "not counted: same incident as report 2, already counted"


# --- explanation and serialisation --------------------------------------------------------------


def test_the_explanation_names_the_route_and_the_counts_when_met() -> None:
    explanation = assess(three_incidents(), application_date=APPLIED).explanation
    assert "is met by separate incidents reported by one person" in explanation
    assert "3 separate incidents reported within the rules by one person (threshold 3)" in (
        explanation
    )
    assert "most people reporting one incident: 1 (threshold 3)" in explanation


def test_the_explanation_says_what_was_short_and_mentions_discretion_when_not_met() -> None:
    reports = three_people_one_incident()[:2]
    explanation = assess(reports, application_date=APPLIED).explanation
    assert explanation.startswith("The threshold for an ASB case review is not met.")
    assert "most people reporting one incident: 2 (threshold 3)" in explanation
    assert "2 more separate incidents reported by one person" in explanation
    assert "1 more person reporting the same incident" in explanation
    assert "at its discretion" in explanation


def test_as_dict_gives_the_json_shape_with_0_based_indexes() -> None:
    result = assess(three_incidents(), application_date=APPLIED)
    data = result.as_dict()
    assert set(data) == {"met", "route", "reports", "explanation"}
    assert data["route"] == "three_incidents"
    assert [item["index"] for item in data["reports"]] == [0, 1, 2]
    assert set(data["reports"][0]) == {"index", "counted", "reason"}


# --- area rules ---------------------------------------------------------------------------------


def test_an_area_may_set_a_lower_incident_threshold() -> None:
    rules = ThresholdRules(incidents=2)
    result = assess(three_incidents()[:2], application_date=APPLIED, rules=rules)
    assert result.route == "three_incidents"
    assert "(threshold 2)" in result.explanation


def test_an_area_may_allow_longer_to_report_an_incident() -> None:
    facts = ReportFacts("a", date(2026, 1, 1), date(2026, 2, 11), "police")
    rules = ThresholdRules(report_within_months=2)
    result = assess([facts], application_date=APPLIED, rules=rules)
    assert counted_flags(result) == [True]


def test_from_mapping_with_no_keys_gives_the_defaults() -> None:
    assert ThresholdRules.from_mapping({}) == ThresholdRules()


def test_from_mapping_reads_the_keys_it_is_given() -> None:
    rules = ThresholdRules.from_mapping({"incidents": 2, "hate_incident_route": False})
    assert rules == ThresholdRules(incidents=2, hate_incident_route=False)


@pytest.mark.parametrize(
    "data",
    [
        {"incident": 3},
        {"incidents": 4},
        {"complainants": 0},
        {"incidents": True},
        {"window_months": "6"},
        {"hate_incident_route": 1},
    ],
    ids=[
        "unknown-key",
        "more-than-the-act-allows",
        "zero-complainants",
        "boolean-count",
        "text-months",
        "number-for-a-switch",
    ],
)
def test_from_mapping_rejects_settings_the_act_or_the_schema_does_not_allow(
    data: dict[str, object],
) -> None:
    with pytest.raises(ValueError):
        ThresholdRules.from_mapping(data)


# --- second report within six months ------------------------------------------------------------


@pytest.mark.parametrize(
    ("earlier", "new", "expected"),
    [
        ([date(2025, 3, 10)], date(2025, 9, 9), True),
        ([date(2025, 3, 10)], date(2025, 9, 10), False),
        ([date(2025, 3, 10)], date(2025, 3, 10), True),
        ([], date(2025, 3, 10), False),
        ([date(2024, 1, 1), date(2025, 6, 1)], date(2025, 7, 1), True),
        ([date(2025, 8, 1)], date(2025, 7, 1), False),
    ],
    ids=[
        "last-day-of-six-months",
        "day-after-six-months",
        "same-day-as-earlier-report",
        "first-report",
        "one-of-several-earlier-reports-is-recent",
        "only-later-reports",
    ],
)
def test_second_report_within_six_months_is_judged_from_each_earlier_report(
    earlier: list[date], new: date, expected: bool
) -> None:
    assert second_report_within_six_months(earlier, new) is expected


# --- properties ---------------------------------------------------------------------------------

_days = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 3, 31))


@st.composite
def qualifying_report(draw: st.DrawFn) -> ReportFacts:
    incident_on = draw(_days)
    return report(
        incident=draw(st.sampled_from("abcd")),
        incident_on=incident_on,
        days_later=draw(st.integers(min_value=0, max_value=27)),
        agency=draw(st.sampled_from(["police", "council", "housing", "other"])),
        complainant=draw(st.sampled_from(["ann", "bob", "cat"])),
    )


@st.composite
def non_qualifying_report(draw: st.DrawFn) -> ReportFacts:
    incident_on = draw(_days)
    kind = draw(st.sampled_from(["before", "late", "after", "stale"]))
    if kind == "before":
        reported_on = incident_on - timedelta(days=draw(st.integers(1, 30)))
    elif kind == "late":
        reported_on = period_end(incident_on, 1) + timedelta(days=draw(st.integers(1, 30)))
    elif kind == "after":
        reported_on = APPLIED + timedelta(days=draw(st.integers(1, 30)))
        incident_on = reported_on - timedelta(days=draw(st.integers(0, 27)))
    else:
        reported_on = date(2025, 9, 30) - timedelta(days=draw(st.integers(0, 200)))
        incident_on = reported_on
    incident = draw(st.sampled_from("abcd"))
    complainant = draw(st.sampled_from(["ann", "bob", "cat"]))
    return ReportFacts(incident, incident_on, reported_on, "police", complainant)


@given(
    reports=st.lists(qualifying_report(), max_size=8),
    extra=non_qualifying_report(),
    position=st.integers(min_value=0, max_value=8),
    hate=st.booleans(),
)
def test_adding_a_report_that_does_not_qualify_never_changes_whether_the_threshold_is_met(
    reports: list[ReportFacts], extra: ReportFacts, position: int, hate: bool
) -> None:
    before = assess(reports, application_date=APPLIED, hate_incident=hate)
    with_extra = [*reports[:position], extra, *reports[position:]]
    after = assess(with_extra, application_date=APPLIED, hate_incident=hate)
    assert after.met == before.met
    assert after.route == before.route
    assert not after.reports[min(position, len(reports))].counted


@given(reports=st.lists(qualifying_report(), max_size=8), data=st.data())
def test_the_order_reports_are_listed_in_never_changes_the_outcome(
    reports: list[ReportFacts], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(reports))
    first = assess(reports, application_date=APPLIED)
    second = assess(shuffled, application_date=APPLIED)
    assert (first.met, first.route, first.qualifying_incidents) == (
        second.met,
        second.route,
        second.qualifying_incidents,
    )
    assert second.most_complainants_one_incident == first.most_complainants_one_incident
    assert sum(counted_flags(first)) == sum(counted_flags(second))


# --- relevant bodies (issue 10) -------------------------------------------------------------------


def test_three_incidents_reported_to_someone_else_never_meet_the_threshold() -> None:
    reports = [report(r.incident, r.incident_on, agency="other") for r in three_incidents()]
    result = assess(reports, application_date=APPLIED, hate_incident=True)
    assert result.met is False
    assert result.route is None
    assert counted_flags(result) == [False, False, False]
    assert all(f.reason.startswith("not counted: not a relevant body") for f in result.reports)
    assert "3 reports were made to someone other than a relevant body" in result.explanation


def test_three_people_reporting_one_incident_to_someone_else_do_not_meet_the_threshold() -> None:
    reports = [
        report("a", date(2026, 3, 1), agency="other", complainant=n) for n in ("ann", "bob", "cat")
    ]
    result = assess(reports, application_date=APPLIED)
    assert result.met is False
    assert result.most_complainants_one_incident == 0


def test_the_integrated_care_board_is_a_relevant_body() -> None:
    reports = [report(r.incident, r.incident_on, agency="health") for r in three_incidents()]
    result = assess(reports, application_date=APPLIED)
    assert result.route == "three_incidents"
    assert result.reports[0].reason == (
        "counted: incident on 1 March 2026, reported to the integrated care board 1 day later"
    )


def test_an_area_that_lists_fewer_relevant_bodies_counts_only_those() -> None:
    rules = ThresholdRules.from_mapping({"relevant_bodies": ["council", "police"]})
    assert rules.relevant_bodies == ("council", "police")
    reports = [*three_incidents()[:2], report("c", date(2026, 3, 15), agency="housing")]
    result = assess(reports, application_date=APPLIED, rules=rules)
    assert result.met is False
    assert result.reports[2].reason.endswith("only reports to the council or the police count)")


@pytest.mark.parametrize(
    ("bodies", "message"),
    [
        (["council", "other"], "may list only"),
        (["fire"], "may list only"),
        ([], "must be a list"),
        ("police", "must be a list"),
    ],
    ids=["other", "unknown", "empty", "not-a-list"],
)
def test_relevant_bodies_must_be_bodies_the_act_names(bodies: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ThresholdRules.from_mapping({"relevant_bodies": bodies})


@given(reports=st.lists(qualifying_report(), max_size=8), position=st.integers(0, 8))
def test_adding_a_report_to_someone_else_never_changes_the_outcome(
    reports: list[ReportFacts], position: int
) -> None:
    extra = report("a", date(2026, 3, 1), agency="other", complainant="dan")
    before = assess(reports, application_date=APPLIED)
    after = assess([*reports[:position], extra, *reports[position:]], application_date=APPLIED)
    assert (after.met, after.route) == (before.met, before.route)
    assert after.most_complainants_one_incident == before.most_complainants_one_incident


# --- the three-complainants limb explains each person ---------------------------------------------


def test_each_person_reporting_one_incident_is_named_counted_or_not() -> None:
    day = date(2026, 3, 1)
    reports = [
        report("a", day, 0, "police"),
        ReportFacts("a", day, day + timedelta(days=1), "council", "p:jane", "Jane Smith"),
        ReportFacts("a", day, day + timedelta(days=2), "police", "p:jane", "Jane Smith"),
        ReportFacts("a", day, day + timedelta(days=2), "other", "p:n1", "a neighbour"),
        ReportFacts("a", day, day + timedelta(days=3), "housing", "p:n2", "a neighbour at 12"),
    ]
    result = assess(reports, application_date=APPLIED)
    assert result.route == "three_complainants"
    assert result.most_complainants_one_incident == 3
    assert counted_flags(result) == [True, True, False, False, True]
    reasons = [f.reason for f in result.reports]
    assert reasons[1].startswith("counted: Jane Smith, a separate person reporting the same")
    assert reasons[2] == (
        "not counted: same incident as report 2, already counted for the same person (Jane Smith)"
    )
    assert reasons[3].startswith("not counted: not a relevant body")
    assert reasons[4].startswith("counted: a neighbour at 12, a separate person")
    assert (
        "The people counted for that incident: the applicant, Jane Smith and a neighbour at 12."
        in result.explanation
    )


def test_a_first_report_by_someone_else_says_who_made_it() -> None:
    day = date(2026, 3, 1)
    result = assess(
        [ReportFacts("a", day, day, "police", "p:jane", "Jane Smith")], application_date=APPLIED
    )
    assert result.reports[0].reason == (
        "counted: incident on 1 March 2026, reported by Jane Smith to the police the same day"
    )
