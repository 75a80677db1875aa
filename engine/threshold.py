"""Decides whether an ASB case review application meets the threshold, and explains why."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any, TypeVar

_K = TypeVar("_K", bound=Hashable)

ROUTES = ("three_incidents", "three_complainants", "hate_incident")

# s.104(4): the local threshold may be lower than three qualifying complaints, never higher.
STATUTORY_MAXIMUM = 3

# Statutory guidance (2025): a second report within six months triggers an explanation of the
# case review, so this window is fixed nationally rather than set per area.
SECOND_REPORT_MONTHS = 6

_MONTH_NAMES = tuple(
    "January February March April May June July August September October November December".split()
)
_MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_NUMBER_WORDS = tuple("no one two three four five six seven eight nine ten eleven twelve".split())
_AGENCY_NAMES = {
    "council": "the council",
    "police": "the police",
    "health": "the integrated care board",
    "housing": "a housing provider",
}
# Who a report can be made to: the bodies s.105 makes relevant bodies, and anyone else.
# Which of these an area treats as relevant bodies is area data (ThresholdRules).
AGENCIES = ("council", "police", "health", "housing", "other")
# s.105: the council, the chief officer of police, the integrated care board, and any
# local provider of social housing co-opted into the area's arrangements.
RELEVANT_BODIES = ("council", "police", "health", "housing")
_ROUTE_LABELS = {
    "three_incidents": "separate incidents reported by one person",
    "three_complainants": "several people reporting the same incident",
    "hate_incident": "the hate incident route",
}


@dataclass(frozen=True)
class ThresholdRules:
    incidents: int = 3
    complainants: int = 3
    hate_incident_route: bool = True
    report_within_months: int = 1
    window_months: int = 6
    relevant_bodies: tuple[str, ...] = RELEVANT_BODIES

    def __post_init__(self) -> None:
        _check_type("hate_incident_route", self.hate_incident_route, bool)
        _check_bodies(self.relevant_bodies)
        for name in ("incidents", "complainants"):
            _check_count(name, getattr(self, name), STATUTORY_MAXIMUM)
        for name in ("report_within_months", "window_months"):
            _check_count(name, getattr(self, name), None)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ThresholdRules:
        """Build rules from an area's [threshold] table; missing keys keep the defaults."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown threshold setting(s): {', '.join(unknown)}")
        values = dict(data)
        if isinstance(values.get("relevant_bodies"), list):
            values["relevant_bodies"] = tuple(values["relevant_bodies"])
        return cls(**values)


def _check_bodies(bodies: object) -> None:
    # A complaint to anyone but a relevant body never counts (s.104(1)), so "other" may not
    # be listed, and an area must name at least one body its complaints can be made to.
    if type(bodies) is not tuple or not bodies:
        raise ValueError(f"threshold setting relevant_bodies must be a list, got {bodies!r}")
    wrong = [b for b in bodies if b not in RELEVANT_BODIES]
    if wrong:
        raise ValueError(
            f"threshold setting relevant_bodies may list only {', '.join(RELEVANT_BODIES)}; "
            f"got {', '.join(map(str, wrong))}"
        )


def _check_type(name: str, value: object, kind: type) -> None:
    # bool is a subclass of int, so `incidents = true` in TOML must be caught explicitly.
    if type(value) is not kind:
        raise ValueError(f"threshold setting {name} must be {kind.__name__}, got {value!r}")


def _check_count(name: str, value: Any, maximum: int | None) -> None:
    _check_type(name, value, int)
    if value < 1:
        raise ValueError(f"threshold setting {name} must be at least 1, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(
            f"threshold setting {name} may not exceed {maximum} (s.104(4)), got {value}"
        )


@dataclass(frozen=True)
class ReportFacts:
    incident: str
    incident_on: date
    reported_on: date
    agency: str
    complainant: str = "applicant"
    # How the explanation names the person who made the report ("Jane Smith", "a neighbour");
    # empty for the applicant's own reports.
    who: str = ""


@dataclass(frozen=True)
class ReportFinding:
    index: int
    counted: bool
    reason: str


@dataclass(frozen=True)
class Assessment:
    met: bool
    route: str | None
    reports: tuple[ReportFinding, ...]
    explanation: str
    qualifying_incidents: int
    most_complainants_one_incident: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "route": self.route,
            "reports": [
                {"index": f.index, "counted": f.counted, "reason": f.reason} for f in self.reports
            ],
            "explanation": self.explanation,
        }


def _days_in_month(year: int, month: int) -> int:
    # calendar.monthrange also works out the weekday, which doubles the cost of assess().
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_LENGTHS[month - 1]


def period_end(start: date, months: int) -> date:
    """Last day of the period of `months` months beginning with (and including) `start`."""
    if months < 1:
        raise ValueError(f"a period must be at least one month, got {months}")
    year, month_index = divmod(start.month - 1 + months, 12)
    year += start.year
    month = month_index + 1
    last_day = _days_in_month(year, month)
    # Corresponding-date rule: with no such day in the later month, the period runs to its end.
    if start.day > last_day:
        return date(year, month, last_day)
    return date(year, month, start.day) - timedelta(days=1)


def format_date(day: date) -> str:
    """A date as a victim would write it, e.g. "3 March 2026" (independent of the locale)."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def agency_name(agency: str) -> str:
    return _AGENCY_NAMES.get(agency.strip().lower(), "another agency")


def _months_text(months: int) -> str:
    word = _NUMBER_WORDS[months] if months < len(_NUMBER_WORDS) else str(months)
    return f"{word} month" if months == 1 else f"{word} months"


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _days_later(report: ReportFacts) -> str:
    days = (report.reported_on - report.incident_on).days
    return "the same day" if days == 0 else f"{_plural(days, 'day', 'days')} later"


def _bodies_text(rules: ThresholdRules) -> str:
    names = [agency_name(b) for b in rules.relevant_bodies]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _rejection(report: ReportFacts, application_date: date, rules: ThresholdRules) -> str | None:
    """Why a report cannot count under s.104, or None when it qualifies."""
    reported = format_date(report.reported_on)
    if report.agency.strip().lower() not in rules.relevant_bodies:
        return (
            f"not counted: not a relevant body (reported to {agency_name(report.agency)} on "
            f"{reported}; only reports to {_bodies_text(rules)} count)"
        )
    if report.reported_on < report.incident_on:
        return (
            f"not counted: reported on {reported}, before the incident date "
            f"({format_date(report.incident_on)})"
        )
    if report.reported_on > application_date:
        return (
            f"not counted: reported on {reported}, after the application date "
            f"({format_date(application_date)})"
        )
    # s.104: the complaint must be made within one month beginning with the day of the behaviour.
    if report.reported_on > period_end(report.incident_on, rules.report_within_months):
        days = (report.reported_on - report.incident_on).days
        return (
            f"not counted: reported {days} days after the incident on "
            f"{format_date(report.incident_on)}, more than "
            f"{_months_text(rules.report_within_months)} later"
        )
    # s.104: the application must fall within six months beginning with the day of the complaint.
    if application_date > period_end(report.reported_on, rules.window_months):
        return (
            f"not counted: reported on {reported}, more than "
            f"{_months_text(rules.window_months)} before the application on "
            f"{format_date(application_date)}"
        )
    return None


def _counted_reason(report: ReportFacts) -> str:
    by = f"by {report.who} " if report.who else ""
    return (
        f"counted: incident on {format_date(report.incident_on)}, reported {by}to "
        f"{agency_name(report.agency)} {_days_later(report)}"
    )


def _separate_person_reason(report: ReportFacts, first_index: int) -> str:
    who = f"{report.who}, " if report.who else ""
    return (
        f"counted: {who}a separate person reporting the same incident as report {first_index + 1}, "
        f"reported to {agency_name(report.agency)} {_days_later(report)}"
    )


def _duplicate_reason(report: ReportFacts, first_index: int) -> str:
    # LLR procedure: one incident reported several times or to several agencies is one incident.
    # A person counts once per incident, however many times (or to whom) they reported it.
    reason = f"not counted: same incident as report {first_index + 1}, already counted"
    return f"{reason} for the same person ({report.who})" if report.who else reason


def _earliest(
    reports: Sequence[ReportFacts], indices: Iterable[int], key: Callable[[ReportFacts], _K]
) -> dict[_K, int]:
    """Index of the earliest report (by report date, then position) for each key."""
    first: dict[_K, int] = {}
    for i in indices:
        k = key(reports[i])
        j = first.get(k)
        if j is None or reports[i].reported_on < reports[j].reported_on:
            first[k] = i
    return first


def _findings(
    reports: Sequence[ReportFacts], application_date: date, rules: ThresholdRules
) -> tuple[list[str | None], dict[tuple[str, str], int], dict[str, int]]:
    rejections = [_rejection(r, application_date, rules) for r in reports]
    qualifying = [i for i, reason in enumerate(rejections) if reason is None]
    by_pair = _earliest(reports, qualifying, lambda r: (r.complainant, r.incident))
    by_incident = _earliest(reports, by_pair.values(), lambda r: r.incident)
    return rejections, by_pair, by_incident


def _reason_for(
    i: int,
    report: ReportFacts,
    rejection: str | None,
    by_pair: dict[tuple[str, str], int],
    by_incident: dict[str, int],
) -> ReportFinding:
    if rejection is not None:
        return ReportFinding(i, False, rejection)
    pair_first = by_pair[(report.complainant, report.incident)]
    if pair_first != i:
        return ReportFinding(i, False, _duplicate_reason(report, pair_first))
    incident_first = by_incident[report.incident]
    if incident_first != i:
        return ReportFinding(i, True, _separate_person_reason(report, incident_first))
    return ReportFinding(i, True, _counted_reason(report))


def _max_count(keys: list[str]) -> int:
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return max(counts.values(), default=0)


def _route(
    incidents: int, complainants: int, qualifying: int, hate_incident: bool, rules: ThresholdRules
) -> str | None:
    # LLR procedure: the limbs are alternatives, reported in the order the procedure lists them;
    # a hate incident needs only one qualifying complaint (below the s.104(4) maximum of three).
    met = {
        "three_incidents": incidents >= rules.incidents,
        "three_complainants": complainants >= rules.complainants,
        "hate_incident": rules.hate_incident_route and hate_incident and qualifying > 0,
    }
    return next((route for route in ROUTES if met[route]), None)


def assess(
    reports: Sequence[ReportFacts],
    *,
    application_date: date,
    hate_incident: bool = False,
    rules: ThresholdRules = ThresholdRules(),
) -> Assessment:
    """Check each report against s.104 and the area's rules, then test each route in order."""
    rejections, by_pair, by_incident = _findings(reports, application_date, rules)
    findings = tuple(
        _reason_for(i, r, rejections[i], by_pair, by_incident) for i, r in enumerate(reports)
    )
    incidents = _max_count([complainant for complainant, _ in by_pair])
    complainants = _max_count([incident for _, incident in by_pair])
    qualifying = len(by_pair)
    route = _route(incidents, complainants, qualifying, hate_incident, rules)
    facts = _Counts(
        incidents,
        complainants,
        qualifying,
        hate_incident,
        people=_people_of_busiest_incident(reports, by_pair),
        not_relevant=sum(1 for r in rejections if r and "not a relevant body" in r),
    )
    return Assessment(
        met=route is not None,
        route=route,
        reports=findings,
        explanation=_explain(route, facts, rules),
        qualifying_incidents=incidents,
        most_complainants_one_incident=complainants,
    )


def _people_of_busiest_incident(
    reports: Sequence[ReportFacts], by_pair: dict[tuple[str, str], int]
) -> tuple[str, ...]:
    """Who counted for the incident reported by the most people, in report order."""
    people: dict[str, list[int]] = {}
    for (_, incident), i in by_pair.items():
        people.setdefault(incident, []).append(i)
    if not people:
        return ()
    busiest = max(people.values(), key=lambda found: (len(found), -min(found)))
    return tuple(reports[i].who or "the applicant" for i in sorted(busiest))


@dataclass(frozen=True)
class _Counts:
    incidents: int
    complainants: int
    qualifying: int
    hate_incident: bool
    people: tuple[str, ...] = ()
    not_relevant: int = 0


def _verdict(route: str | None) -> str:
    if route is None:
        return "The threshold for an ASB case review is not met."
    return f"The threshold for an ASB case review is met by {_ROUTE_LABELS[route]}."


def _count_sentences(facts: _Counts, rules: ThresholdRules) -> list[str]:
    incidents = _plural(facts.incidents, "separate incident", "separate incidents")
    sentences = [
        f"{incidents} reported within the rules by one person (threshold {rules.incidents}); "
        f"most people reporting one incident: {facts.complainants} "
        f"(threshold {rules.complainants})."
    ]
    if facts.complainants > 1:
        sentences.append(f"The people counted for that incident: {_and_list(facts.people)}.")
    if facts.not_relevant:
        reports = _plural(facts.not_relevant, "report was", "reports were")
        sentences.append(f"{reports} made to someone other than a relevant body and not counted.")
    if facts.hate_incident and rules.hate_incident_route:
        counted = _plural(facts.qualifying, "counted report", "counted reports")
        sentences.append(
            f"The application says the person was the victim of a hate incident; "
            f"{counted} (at least 1 needed)."
        )
    elif facts.hate_incident:
        sentences.append("This area does not use a separate route for hate incidents.")
    return sentences


def _and_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _shortfall(facts: _Counts, rules: ThresholdRules) -> list[str]:
    more_incidents = rules.incidents - facts.incidents
    more_people = rules.complainants - facts.complainants
    parts = [
        f"{_plural(more_incidents, 'more separate incident', 'more separate incidents')} "
        f"reported by one person",
        f"{_plural(more_people, 'more person', 'more people')} reporting the same incident",
    ]
    if rules.hate_incident_route:
        parts.append("for a hate incident, at least one report within the rules")
    return [
        f"Short of the threshold: it needs {', or '.join(parts)}.",
        "The area may still decide to hold a case review at its discretion.",
    ]


def _explain(route: str | None, facts: _Counts, rules: ThresholdRules) -> str:
    sentences = [_verdict(route), *_count_sentences(facts, rules)]
    if route is None:
        sentences.extend(_shortfall(facts, rules))
    return " ".join(sentences)


def second_report_within_six_months(report_dates: Sequence[date], new_report: date) -> bool:
    """True when `new_report` falls within six months beginning with an earlier report's day."""
    return any(
        earlier <= new_report <= period_end(earlier, SECOND_REPORT_MONTHS)
        for earlier in report_dates
    )
