"""The s.104 figures from real case histories: hand-computed expectations, the year's
boundary in London time, withdrawn cases, reviews spanning years, and the cache."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidInput, NotFound
from engine.services import figures as figures_service
from engine.services.cases import record_event
from tests.factories import StaffMember, load_case, make_case, make_staff


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Cases:
    def __init__(self, sessions: SessionFactory, clock: FixedClock) -> None:
        self.sessions, self.clock = sessions, clock
        with sessions() as s:
            self.staff: dict[str, StaffMember] = make_staff(s, clock)

    def new(self, when: str, **kw: Any) -> str:
        self.clock.set(at(when))
        with self.sessions() as s:
            return make_case(s, self.clock, **kw).reference

    def fire(self, ref: str, when: str, event: str, who: str, data: Any = None) -> None:
        self.clock.set(at(when))
        with self.sessions() as s:
            case = load_case(s, ref)
            record_event(
                s,
                clock=self.clock,
                case_ref=ref,
                event=event,
                data=data,
                actor=self.staff[who].actor,
                expected_version=case.version,
            )


def review(cases: Cases, ref: str, day: str, recommendations: int) -> None:
    cases.fire(ref, f"{day}T09:00", "review_meeting_held", "jag_chair", {
        "held_on": day, "attendees": ["Police"], "victim_involvement": "none",
        "not_invited_reason": "They chose not to take part.",
    })  # fmt: skip
    recs = [{"recipient_body": "Council", "action": f"Action {i}"} for i in range(recommendations)]
    cases.fire(ref, f"{day}T10:00", "jag_report_recorded", "jag_chair", {
        "findings": "Reports were not joined up.", "recommendations": recs,
    })  # fmt: skip


@pytest.fixture
def history(session_factory: SessionFactory, clock: FixedClock) -> Cases:
    return build_history(session_factory, clock)


def build_history(session_factory: SessionFactory, clock: FixedClock) -> Cases:
    """Six cases whose figures are counted by hand in the tests below."""
    cases = Cases(session_factory, clock)
    # 22:30 UTC on 31 March 2026 is 23:30 in London (BST): still the year 2025 to 2026.
    cases.new("2026-03-31T22:30")
    # 23:30 UTC is 00:30 on 1 April in London: the year 2026 to 2027.
    cases.new("2026-03-31T23:30")
    # Applied in March, reviewed with a recommendation, outcome sent in April.
    spanning = cases.new("2026-03-02T10:00")
    cases.fire(spanning, "2026-03-03T10:00", "acknowledge", "contact")
    cases.fire(spanning, "2026-03-09T10:00", "threshold_met", "jag_chair", {"reasons": "Three."})
    review(cases, spanning, "2026-03-23", recommendations=1)
    cases.fire(spanning, "2026-04-02T10:00", "response_issued", "csp_chair", {"summary": "Done."})
    # Withdrawn before any decision (year 2025 to 2026).
    gone = cases.new("2026-03-10T10:00")
    cases.fire(gone, "2026-03-11T10:00", "withdrawn", "contact", {"reason": "Moved house."})
    # Melton: below threshold, not met (year 2026 to 2027).
    melton = cases.new("2026-05-05T10:00", locality="melton", incidents=1)
    cases.fire(melton, "2026-05-06T10:00", "acknowledge", "melton_jag_chair")
    cases.fire(melton, "2026-05-12T10:00", "threshold_not_met", "melton_jag_chair", {
        "reasons": "One incident only."})  # fmt: skip
    # Leicester: below threshold, met at the area's discretion, reviewed with none made.
    kind = cases.new("2026-06-01T10:00", incidents=1)
    cases.fire(kind, "2026-06-02T10:00", "acknowledge", "contact")
    cases.fire(kind, "2026-06-08T10:00", "threshold_met", "jag_chair", {
        "reasons": "Serious harm.", "override_reason": "Harm to a vulnerable victim."})  # fmt: skip
    review(cases, kind, "2026-06-22", recommendations=0)
    cases.fire(kind, "2026-06-24T10:00", "response_issued", "csp_chair", {"summary": "Advice."})
    clock.set(at("2026-07-01T10:00"))
    return cases


def figures_for(sessions: SessionFactory, year: Any, today: str = "2026-07-01") -> Any:
    with sessions() as s:
        return figures_service.statutory_figures(
            s, area_id="llr", year=year, today=datetime.fromisoformat(today).date()
        )


def test_figures_match_hand_counts_across_the_year_boundary(
    history: Cases, session_factory: SessionFactory
) -> None:
    y2025 = figures_for(session_factory, 2025).as_json()
    assert y2025["localities"]["leicester"] == {
        "applications": 3,  # 31 March 23:30 London, the spanning review, the withdrawn one
        "threshold_not_met": 0,
        "reviews": 0,
        "reviews_with_recommendations": 0,
    }
    assert y2025["total"] == y2025["localities"]["leicester"]
    y2026 = figures_for(session_factory, "2026").as_json()
    assert y2026["localities"]["leicester"] == {
        "applications": 2,  # 1 April 00:30 London, the discretionary one
        "threshold_not_met": 0,
        "reviews": 2,  # the spanning review (outcome 2 April) and the discretionary one
        "reviews_with_recommendations": 1,
    }
    assert y2026["localities"]["melton"] == {
        "applications": 1,
        "threshold_not_met": 1,
        "reviews": 0,
        "reviews_with_recommendations": 0,
    }
    assert y2026["total"] == {
        "applications": 3,
        "threshold_not_met": 1,
        "reviews": 2,
        "reviews_with_recommendations": 1,
    }
    assert set(y2026["localities"]) == set(figures_service.registry.area("llr").localities)


def test_notes_explain_the_unusual_counts(history: Cases, session_factory: SessionFactory) -> None:
    rows = {r["id"]: r for r in figures_for(session_factory, 2026).rows()}
    assert rows["leicester"]["notes"] == [
        "1 review held at the area's discretion, though the application was below the "
        "statutory threshold",
        "1 review of an application received in an earlier year",
    ]
    earlier = {r["id"]: r for r in figures_for(session_factory, 2025).rows()}
    assert earlier["leicester"]["notes"] == [
        "1 application withdrawn before the threshold decision"
    ]


def test_a_new_application_shows_at_once_despite_the_cache(
    history: Cases, session_factory: SessionFactory
) -> None:
    before = figures_for(session_factory, 2026).as_json()["total"]["applications"]
    assert figures_for(session_factory, 2026).as_json()["total"]["applications"] == before
    history.new("2026-07-01T11:00", locality="rutland")
    after = figures_for(session_factory, 2026).as_json()
    assert after["total"]["applications"] == before + 1
    assert after["localities"]["rutland"]["applications"] == 1


@pytest.mark.parametrize(
    ("area", "year", "error", "field"),
    [
        ("nowhere", 2026, NotFound, "area"),
        ("llr", "20x6", InvalidInput, "year"),
        ("llr", "", InvalidInput, "year"),
        ("llr", 2027, NotFound, "year"),  # not begun on 1 July 2026
        ("llr", 1999, NotFound, "year"),
    ],
)
def test_bad_area_or_year_is_refused_naming_the_field(
    session_factory: SessionFactory, area: str, year: Any, error: type, field: str
) -> None:
    with session_factory() as s, pytest.raises(error) as caught:
        figures_service.statutory_figures(s, area_id=area, year=year, today=date(2026, 7, 1))
    assert caught.value.field == field


def test_counts_kept_up_to_date_row_by_row_equal_a_fresh_count(
    history: Cases, session_factory: SessionFactory
) -> None:
    def both() -> tuple[dict, dict]:
        with session_factory() as s:
            kept = figures_service.year_tallies(s, area_id="llr")
            fresh = figures_service.figures.count_histories(
                figures_service.load_histories(s, area_id="llr"), figures_service.rules()
            )

        def plain(t: Any) -> dict:
            return {
                (y, loc): (+tally.counts, +tally.notes)
                for y, locs in t.items()
                for loc, tally in locs.items()
                if +tally.counts or +tally.notes
            }

        return plain(kept), plain(fresh)

    kept, fresh = both()
    assert kept == fresh
    # A case already counted changes: a new decision and a withdrawal after it.
    late = history.new("2026-07-01T12:00", locality="melton", incidents=1)
    assert both()[0] == both()[1]
    history.fire(late, "2026-07-02T10:00", "acknowledge", "melton_jag_chair")
    history.fire(late, "2026-07-03T10:00", "threshold_not_met", "melton_jag_chair",
                 {"reasons": "One incident."})  # fmt: skip
    kept, fresh = both()
    assert kept == fresh
    assert kept[(2026, "melton")][0]["threshold_not_met"] == 2
