"""The four figures s.104 makes every area publish, counted from case histories by rules
stated once (COUNTING_RULES) and shown wherever the figures are."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from engine.definitions import StatutoryFigureRules

FIGURES = ("applications", "threshold_not_met", "reviews", "reviews_with_recommendations")
FIGURE_LABELS = {
    "applications": "Applications received",
    "threshold_not_met": "Times the threshold was not met",
    "reviews": "Case reviews carried out",
    "reviews_with_recommendations": "Case reviews that resulted in recommendations",
}

# The counting rules, in the words the public page shows. Each figure counts a case at
# most once in a year, in the financial year (1 April to 31 March, Europe/London dates) of
# the event named.
COUNTING_RULES = (
    (
        "Applications received",
        "Each application counts in the year it reached us (the day it was submitted online "
        "or typed in by staff), whatever happened to it later, including applications that "
        "were withdrawn.",
    ),
    (
        "Times the threshold was not met",
        "Each application counts in the year the JAG decided it did not meet the threshold. "
        "This includes applications refused on a stated ground (for example vexatious), "
        "because the Act knows only two answers: a review, or no review. A decision later "
        "changed on appeal still counts in the year it was made.",
    ),
    (
        "Case reviews carried out",
        "A review counts in the year its outcome was sent to the applicant, because only "
        "then is it complete and are its recommendations known. A review held again after "
        "an appeal is the same review: it is counted once, at its first outcome.",
    ),
    (
        "Case reviews that resulted in recommendations",
        "A review counted above whose JAG report made at least one recommendation by the "
        "time its first outcome was sent. It counts in the same year as the review.",
    ),
)

NOTE_TEXT = {
    "discretionary": (
        "{n} review{s} held at the area's discretion, though the application was below the "
        "statutory threshold"
    ),
    "rejected": "{n} of the times the threshold was not met {was} a refusal on a stated ground",
    "decided_earlier_application": (
        "{n} threshold decision{s} on an application received in an earlier year"
    ),
    "reviewed_earlier_application": "{n} review{s} of an application received in an earlier year",
    "withdrawn_before_decision": "{n} application{s} withdrawn before the threshold decision",
    "withdrawn_before_review": (
        "{n} application{s} withdrawn after the threshold was met, before the review ended"
    ),
    "overturned_on_appeal": (
        "{n} appeal{s} upheld against a decision that the threshold was not met"
    ),
    "re_reviews": "{n} review{s} looked at again after an upheld appeal (not counted twice)",
}


def financial_year(day: date) -> int:
    """The financial year a day falls in, named by the year it begins (1 April)."""
    return day.year if day.month >= 4 else day.year - 1


def year_label(year: int) -> str:
    return f"April {year} to March {year + 1}"


@dataclass(frozen=True)
class FigureEvent:
    """One event of a case's history, as the figures need it (London date)."""

    trigger: str
    on: date
    override: bool = False
    recommendations: int = 0


@dataclass(frozen=True)
class CaseHistory:
    locality: str
    events: tuple[FigureEvent, ...]


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def as_figures(self) -> dict[str, int]:
        return {name: self.counts[name] for name in FIGURES}

    def add(self, other: Tally) -> None:
        self.counts.update(other.counts)
        self.notes.update(other.notes)


# year -> locality -> tally
YearTallies = dict[int, dict[str, Tally]]


def count_histories(histories: Iterable[CaseHistory], rules: StatutoryFigureRules) -> YearTallies:
    """Every year's figures and notes per locality, from the cases' histories."""
    years = new_tallies()
    for history in histories:
        apply_case(years, history, rules, +1)
    return years


def new_tallies() -> YearTallies:
    return defaultdict(lambda: defaultdict(Tally))


def apply_case(
    years: YearTallies, history: CaseHistory, rules: StatutoryFigureRules, sign: int
) -> None:
    """Add (+1) or take away (-1) one case's contribution: a case whose history grows is
    taken away as it was and added as it is, so the tallies follow the trail row by row."""
    for year, figure, kind in _case_marks(history.events, rules):
        tally = years[year][history.locality]
        (tally.counts if kind == "count" else tally.notes)[figure] += sign


def _case_marks(
    events: Sequence[FigureEvent], rules: StatutoryFigureRules
) -> list[tuple[int, str, str]]:
    """(year, figure or note, "count" or "note") for one case, events in order."""
    ordered = sorted(events, key=lambda e: e.on)
    marks: list[tuple[int, str, str]] = []
    received = next((e for e in ordered if e.trigger in rules.received), None)
    received_year = financial_year(received.on) if received else None
    if received:
        marks.append((received_year, "applications", "count"))  # type: ignore[arg-type]
    marks += _decision_marks(ordered, rules, received_year)
    marks += _review_marks(ordered, rules, received_year)
    marks += _withdrawal_marks(ordered, rules)
    return marks


def _decision_marks(
    ordered: Sequence[FigureEvent], rules: StatutoryFigureRules, received_year: int | None
) -> list[tuple[int, str, str]]:
    decisions = rules.threshold_met + rules.threshold_not_met
    first = next((e for e in ordered if e.trigger in decisions), None)
    if first is None:
        return []
    year, marks = financial_year(first.on), []
    if received_year is not None and year > received_year:
        marks.append((year, "decided_earlier_application", "note"))
    if first.trigger in rules.threshold_not_met:
        marks.append((year, "threshold_not_met", "count"))
        if first.trigger in rules.rejected:
            marks.append((year, "rejected", "note"))
        upheld = next((e for e in ordered if e.trigger in rules.appeal_upheld), None)
        if upheld is not None:
            marks.append((financial_year(upheld.on), "overturned_on_appeal", "note"))
    elif first.override:
        marks.append((year, "discretionary", "note"))
    return marks


def _review_marks(
    ordered: Sequence[FigureEvent], rules: StatutoryFigureRules, received_year: int | None
) -> list[tuple[int, str, str]]:
    outcomes = [e for e in ordered if e.trigger in rules.review_completed]
    if not outcomes:
        return []
    first = outcomes[0]
    year = financial_year(first.on)
    marks = [(year, "reviews", "count")]
    made = sum(
        e.recommendations
        for e in ordered
        if e.trigger in rules.recommendations_recorded and e.on <= first.on
    )
    if made:
        marks.append((year, "reviews_with_recommendations", "count"))
    if received_year is not None and year > received_year:
        marks.append((year, "reviewed_earlier_application", "note"))
    marks += [(financial_year(e.on), "re_reviews", "note") for e in outcomes[1:]]
    return marks


def _withdrawal_marks(
    ordered: Sequence[FigureEvent], rules: StatutoryFigureRules
) -> list[tuple[int, str, str]]:
    gone = next((e for e in ordered if e.trigger in rules.withdrawn), None)
    if gone is None:
        return []
    before = [e.trigger for e in ordered if e.on <= gone.on and e is not gone]
    decided = rules.threshold_met + rules.threshold_not_met
    if not any(t in decided for t in before):
        return [(financial_year(gone.on), "withdrawn_before_decision", "note")]
    met = any(t in rules.threshold_met for t in before)
    if met and not any(t in rules.review_completed for t in before):
        return [(financial_year(gone.on), "withdrawn_before_review", "note")]
    return []


def note_sentences(notes: Counter[str]) -> list[str]:
    """The notes column: one plain sentence per kind of note, in a fixed order."""
    out = []
    for key, text in NOTE_TEXT.items():
        n = notes.get(key, 0)
        if n:
            out.append(text.format(n=n, s="" if n == 1 else "s", was="was" if n == 1 else "were"))
    return out
