"""JAG action completion on the managers' dashboard: actions done on time, done late and open
past their date, per district and per district and month, shown as soon as they happen, on
the page and as CSV. The engine reads them through the package's completion measures."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.services import dashboard as dashboard_service
from engine.services.dashboard import dashboard
from tests.integration.test_staff_login import browser_for
from tests.jag_helpers import JagJourney

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
MEASURE = "jag_case.action_due"


@pytest.fixture
def j(session_factory: SessionFactory, clock: FixedClock) -> JagJourney:
    return JagJourney(session_factory, clock)


def jag(j: JagJourney, **kw: Any) -> dict[str, Any]:
    with j.sessions() as s:
        d = dashboard(s, actor=j.staff["manager"].actor, today=j.clock.today(), **kw)
    found = {m["key"]: m for m in d.completion}
    return found[MEASURE]


def district(m: dict[str, Any], lid: str = "leicester") -> tuple[int, int, int]:
    row = {r["locality"]: r for r in m["by_locality"]}[lid]
    return row["on_time"], row["late"], row["overdue"]


def add_action(j: JagJourney, due_in: int) -> None:
    j.fire("add_action", "jag_chair", {
        "action": "Visit the victim with a housing officer", "owner": "PC Hall",
        "agency": "Police", "due_on": j.today(due_in),
    })  # fmt: skip


def done(j: JagJourney, n: int) -> None:
    j.fire("update_action", "partner", {"action": n, "status": "done", "note": "Done."})


def test_actions_done_on_time_late_and_overdue_show_at_once(j: JagJourney) -> None:
    # Monday 2 March 2026: a Leicester case with three actions.
    j.refer()
    j.fire("accept", "jag_chair", {})
    assert district(jag(j)) == (0, 0, 0)
    for due_in in (5, 1, 2):
        add_action(j, due_in)
    assert district(jag(j)) == (0, 0, 0)
    done(j, 1)  # on its first day: on time
    assert district(jag(j)) == (1, 0, 0)
    j.clock.advance(days=3)  # Thursday 5 March: actions 2 and 3 are past their date
    assert district(jag(j)) == (1, 0, 2)
    done(j, 2)  # done late
    m = jag(j)
    assert district(m) == (1, 1, 1)
    assert district(m, "melton") == (0, 0, 0)
    assert m["total"] == {"on_time": 1, "late": 1, "overdue": 1, "on_time_share": 50.0}
    assert m["by_month"] == [
        {"locality": "leicester", "month": "2026-03", "on_time": 1, "late": 1, "overdue": 1,
         "on_time_share": 50.0},
    ]  # fmt: skip
    # Cancelled: no longer open past its date, and never done.
    j.fire("update_action", "partner", {"action": 3, "status": "cancelled", "note": "Moved."})
    assert district(jag(j)) == (1, 1, 0)
    # Leicester's own scope, and a fresh count, agree.
    assert district(jag(j, locality="leicester")) == (1, 1, 0)
    dashboard_service.clear_cache()
    assert district(jag(j)) == (1, 1, 0)


def test_an_action_done_before_the_period_is_not_counted_in_it(j: JagJourney) -> None:
    j.refer()
    j.fire("accept", "jag_chair", {})
    add_action(j, 1)
    done(j, 1)
    j.clock.advance(days=40)
    assert district(jag(j, start=date(2026, 4, 1))) == (0, 0, 0)
    assert district(jag(j)) == (1, 0, 0)


def test_the_page_and_csv_show_jag_action_completion(
    app: Any, session: Session, clock: FixedClock, j: JagJourney
) -> None:
    j.refer()
    j.fire("accept", "jag_chair", {})
    add_action(j, 1)
    j.clock.advance(days=2)
    me = browser_for(app, session, clock, "manager@example.org")
    me.sign_in()
    html = me.get("/staff/dashboard").text
    assert "JAG action completion by district" in html
    assert "JAG action completion by district and month" in html
    rows = list(csv.reader(io.StringIO(
        me.get("/staff/dashboard/completion-jag_case-action_due.csv").text)))  # fmt: skip
    assert rows[0] == ["District", "Done on time", "Done late", "Open past their date (today)",
                       "Done on time (%)"]  # fmt: skip
    assert ["Leicester City", "0", "0", "1", "no data"] in rows
    assert rows[-1] == ["Total", "0", "0", "1", "no data"]
    months = list(csv.reader(io.StringIO(
        me.get("/staff/dashboard/completion-months-jag_case-action_due.csv").text)))  # fmt: skip
    assert months[1] == ["Leicester City", "2026-03", "0", "0", "1", "no data"]
