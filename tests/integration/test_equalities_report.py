"""The equalities report: released answers only, small numbers suppressed, area managers only."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from engine.clock import FixedClock
from engine.equalities_report import equalities_report
from engine.errors import InvalidInput, NotAllowed
from engine.models import EqualitiesHeld, EqualitiesResponse, RoleGrant, User
from engine.suppression import FEWER
from tests.factories import make_staff
from tests.integration.test_staff_login import browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
TODAY = date(2026, 3, 2)


def released(session: Session, n: int, period: str = "2026-01", **answers: str) -> None:
    for _ in range(n):
        session.add(EqualitiesResponse(id=uuid.uuid4().hex, area_id="llr", locality_id=None,
                                       period=period, **answers))  # fmt: skip
    session.commit()


@pytest.fixture
def staff(session: Session, clock: FixedClock) -> Any:
    people = make_staff(session, clock)
    user = User(email="melton.manager@example.org", name="Melton Manager", created_at=clock.now())
    session.add(user)
    session.flush()
    session.add(RoleGrant(user_id=user.id, role="manager", area_id="llr", locality_id="melton"))
    session.commit()
    released(session, 12, sex="female", disability="no")
    released(session, 9, sex="male", disability="no")
    released(session, 3, sex="prefer_not_to_say", disability="yes")
    released(session, 7, period="2025-Q4", sex="female")  # another year
    # Marriage: one small cell beside a known total would give itself away.
    released(session, 2, period="2026", marital_status="yes")
    session.add(EqualitiesHeld(id=uuid.uuid4().hex, area_id="llr", locality_id="leicester",
                               period="2026-02", sex="male"))  # fmt: skip
    session.commit()
    return people


def test_released_answers_are_counted_with_small_numbers_hidden(
    session: Session, staff: Any
) -> None:
    report = equalities_report(
        session, actor=staff["manager"].actor, area_id="llr", year=2026, today=TODAY
    )
    assert report.responses.total.value == 26  # the held (unreleased) row is not counted
    sex = next(t for t in report.characteristics if t.field == "sex")
    shown = dict(zip(sex.labels, [c.text for c in sex.published.cells], strict=True))
    # 3 "prefer not to say" and 0 "not answered" are hidden; their sum (3) can be split
    # several ways, so nothing more need be withheld.
    assert shown == {"Female": "12", "Male": "9", "Prefer not to say": FEWER,
                     "Not answered": "fewer than 5"}  # fmt: skip
    assert sex.published.total.text == "26"
    disability = next(t for t in report.characteristics if t.field == "disability")
    assert [c.text for c in disability.published.cells] == [FEWER, "21", FEWER, FEWER]
    assert disability.published.total.text == "26"
    married = next(t for t in report.characteristics if t.field == "marital_status")
    # yes 2, no 0, prefer 0, not answered 24: the hidden three sum to 2, which could be split
    # several ways; fine. The total is shown.
    assert [c.text for c in married.published.cells] == [FEWER, FEWER, FEWER, "24"]


@pytest.mark.parametrize("who", ["contact", "jag_chair", "csp_chair", "admin"])
def test_only_area_managers_see_it(session: Session, staff: Any, who: str) -> None:
    with pytest.raises(NotAllowed):
        equalities_report(session, actor=staff[who].actor, area_id="llr", year=2026, today=TODAY)


def test_a_bad_year_is_refused_naming_the_field(session: Session, staff: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        equalities_report(
            session, actor=staff["manager"].actor, area_id="llr", year="20265", today=TODAY
        )
    assert caught.value.field == "year"


def test_the_page_and_csv(app: Any, session: Session, clock: FixedClock, staff: Any) -> None:
    me = browser_for(app, session, clock, "manager@example.org")
    me.sign_in()
    html = me.get("/staff/equalities?year=2026").text
    assert "What is your sex?" in html and FEWER in html and "CT-20" not in html
    csv_text = me.get("/staff/equalities.csv?year=2026").text
    assert "What is your sex?,Female,12" in csv_text
    me.get("/staff/equalities?year=abc", status=422)
    assert 'href="/staff/equalities"' in me.get("/staff").text
    other = browser_for(app, session, clock, "melton.manager@example.org")
    other.sign_in()
    assert 'href="/staff/equalities"' not in other.get("/staff").text
    other.get("/staff/equalities", status=403)
