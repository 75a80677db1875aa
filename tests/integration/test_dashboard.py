"""The managers' dashboard: the same figures as /figures, each clock against its target,
access checked in the engine, the page, its charts and CSV downloads."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from engine import registry
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidInput, NotAllowed
from engine.models import RoleGrant, User
from engine.services.dashboard import dashboard
from tests.integration.test_figures import Cases, build_history
from tests.integration.test_staff_login import browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
TODAY = date(2026, 7, 1)


@pytest.fixture
def history(session_factory: SessionFactory, clock: FixedClock) -> Cases:
    cases = build_history(session_factory, clock)
    with session_factory() as s:
        user = User(
            email="melton.manager@example.org", name="Melton Manager", created_at=clock.now()
        )
        s.add(user)
        s.flush()
        area = registry.locality_area("melton").id
        s.add(RoleGrant(user_id=user.id, role="manager", area_id=area, locality_id="melton"))
        s.commit()
    return cases


def board(sessions: SessionFactory, cases: Cases, who: str = "manager", **kw: Any) -> Any:
    with sessions() as s:
        return dashboard(s, actor=cases.staff[who].actor, today=TODAY, **kw)


def test_the_statutory_figures_are_the_published_ones(
    history: Cases, session_factory: SessionFactory, client: Any
) -> None:
    d = board(session_factory, history)
    published = client.get("/api/v1/figures?area=llr&year=2026").json()
    assert d.figures.as_json() == published


def test_each_clock_is_measured_against_its_target(
    history: Cases, session_factory: SessionFactory
) -> None:
    outcomes = {o.clock: o for o in board(session_factory, history).outcomes}
    ack = outcomes["acknowledgement"]
    assert (ack.counted, ack.rag) == (3, "green")
    assert [i.latest_12_months for i in ack.indicators] == [100.0, 1.0, 1.0]
    review = outcomes["review_outcome"]
    # 9 March -> 2 April (24 days) and 8 June -> 24 June (16 days), both within 28.
    assert review.counted == 2
    assert [i.latest_12_months for i in review.indicators] == [100.0, 20.0, 24.0]
    assert review.indicators[0].by_locality["leicester"] == 100.0
    assert review.indicators[0].by_locality["melton"] is None
    assert outcomes["appeal_decision"].rag == "none"
    assert "Nothing was due" in outcomes["appeal_decision"].comment


def test_open_cases_months_and_recommendations(
    history: Cases, session_factory: SessionFactory
) -> None:
    d = board(session_factory, history)
    open_ = {(loc, st): n for loc, st, n in d.open_cases}
    # Two submitted Leicester cases (31 March), one not met in Melton, two responses issued.
    assert open_[("leicester", "submitted")] == 2
    assert open_[("melton", "threshold_not_met")] == 1
    assert open_[("leicester", "response_issued")] == 2
    months = {m["month"]: m for m in d.months}
    assert months["2026-05"]["applications"] == 1 and months["2026-05"]["threshold_not_met"] == 1
    assert months["2026-06"]["reviews"] == 1 and months["2026-06"]["threshold_met"] == 1
    assert d.recommendations["issued"] == 1 and d.recommendations["completed_share"] == 0.0


def test_a_locality_manager_sees_only_their_locality(
    history: Cases, session_factory: SessionFactory
) -> None:
    with session_factory() as s:
        from sqlmodel import select

        from engine.access import load_actor

        user = s.exec(select(User).where(User.email == "melton.manager@example.org")).one()
        actor = load_actor(s, user)
        d = dashboard(s, actor=actor, today=TODAY)
        assert d.scope.localities == ("melton",)
        assert {loc for loc, _, _ in d.open_cases} == {"melton"}
        with pytest.raises(NotAllowed):
            dashboard(s, actor=actor, locality="leicester", today=TODAY)


@pytest.mark.parametrize("who", ["contact", "jag_chair", "csp_chair", "admin"])
def test_only_managers_see_the_dashboard(
    history: Cases, session_factory: SessionFactory, who: str
) -> None:
    with pytest.raises(NotAllowed):
        board(session_factory, history, who)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"locality": "atlantis"}, "locality"),
        ({"end": date(2026, 7, 2)}, "to"),
        ({"start": date(2026, 6, 2), "end": date(2026, 6, 1)}, "from"),
        ({"start": date(2019, 1, 1)}, "from"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(
    history: Cases, session_factory: SessionFactory, kw: dict, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        board(session_factory, history, **kw)
    assert caught.value.field == field


def test_a_new_application_shows_at_once(history: Cases, session_factory: SessionFactory) -> None:
    before = {m["month"]: m for m in board(session_factory, history).months}["2026-07"]
    history.new("2026-07-01T11:00")
    after = {m["month"]: m for m in board(session_factory, history).months}["2026-07"]
    assert after["applications"] == before["applications"] + 1


def test_the_page_has_charts_with_tables_and_csv(
    app: Any, session: Session, clock: FixedClock, history: Cases
) -> None:
    me = browser_for(app, session, clock, "manager@example.org")
    me.sign_in()
    html = me.get("/staff/dashboard").text
    assert "Performance dashboard" in html and 'href="/staff/dashboard"' in html
    assert 'role="img"' in html and "<title id=" in html
    assert "Applications and outcomes by month" in html
    assert "Statutory figures (s.104), April 2026 to March 2027" in html
    assert "JAG action completion" in html
    rows = list(csv.reader(io.StringIO(me.get("/staff/dashboard/months.csv").text)))
    assert rows[0][:2] == ["Month", "Applications received"]
    figures = list(csv.reader(io.StringIO(me.get("/staff/dashboard/figures.csv").text)))
    assert figures[-1][:5] == ["Leicester, Leicestershire and Rutland", "3", "1", "2", "1"]
    me.get("/staff/dashboard/nothing.csv", status=404)
    bad = me.get("/staff/dashboard?from-day=31&from-month=2&from-year=2026", status=422)
    assert "There is a problem" in bad.text and 'href="#from-day"' in bad.text


def test_other_staff_get_no_dashboard_link_and_a_403(
    app: Any, session: Session, clock: FixedClock, history: Cases
) -> None:
    me = browser_for(app, session, clock, "contact@example.org")
    me.sign_in()
    assert 'href="/staff/dashboard"' not in me.get("/staff").text
    me.get("/staff/dashboard", status=403)


def test_recommendation_progress_is_counted(
    history: Cases, session_factory: SessionFactory, clock: FixedClock
) -> None:
    from sqlmodel import select as select_

    from engine.models import Case, Recommendation

    with session_factory() as s:
        ref = s.exec(
            select_(Case.reference).join(Recommendation, Recommendation.case_id == Case.id)
        ).one()
    # The spanning review's one recommendation (no due date) is declined with a reason.
    data = {"recommendation": 1, "status": "declined", "note": "Considered; not possible."}
    history.fire(ref, "2026-07-01T12:00", "recommendation_updated", "contact", data)
    r = board(session_factory, history).recommendations
    assert (r["issued"], r["completed"], r["completed_share"]) == (1, 1, 100.0)
    assert r["regard_share"] == 100.0
    assert r["statuses"] == {"declined": 1} and r["overdue"] == 0
