"""The area's generic staff pages and API lists hold JAG cases beside Community Trigger
ones without failing: My work, overdue, dashboard, case search and its CSV, the process
page and the case's reminders ledger (the JAG case pages themselves are jagweb's)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from engine.clock import FixedClock
from engine.sweeps import sweep_deadlines
from tests.factories import make_case
from tests.http_checks import never_a_server_error
from tests.integration.test_access_matrix import signed_in_client
from tests.jag_helpers import JagJourney

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


def test_generic_pages_hold_jag_cases(
    app: Any, session: Session, session_factory: Any, clock: FixedClock
) -> None:
    j = JagJourney(session_factory, clock)
    j.refer("partner")
    j.fire("accept", "jag_chair", {})
    j.fire(
        "add_action",
        "jag_chair",
        {"action": "Visit", "owner": "PC Hall", "agency": "Police", "due_on": j.today(2)},
    )
    with session_factory() as s:
        make_case(s, clock)
    clock.advance(days=9)
    sweep_deadlines(session_factory, clock=clock)
    session.rollback()
    for who in ("manager@example.org", "contact@example.org", "jag@example.org"):
        client = signed_in_client(app, session, clock, who)
        never_a_server_error(client)
        pages = ["/staff", "/staff/cases", "/staff/cases.csv", "/staff/process"]
        if who.startswith("manager"):
            pages += [
                "/staff/overdue",
                "/staff/overdue.csv",
                "/staff/dashboard",
                f"/staff/cases/{j.ref}/reminders",
            ]
        for path in pages:
            got = client.get(path, follow_redirects=False)
            assert got.status_code == 200, (who, path, got.status_code)
        work = client.get("/api/v1/work", headers=_bearer(j, who))
        assert work.status_code == 200
        if who.startswith("manager"):
            assert j.ref in client.get("/staff/overdue").text  # the missed action
        if who.startswith("contact"):
            assert j.ref in client.get("/staff").text  # the action's clock is theirs
            assert j.ref in str(work.json())


def _bearer(j: JagJourney, email: str) -> dict[str, str]:
    member = next(m for m in j.staff.values() if m.email == email)
    return {"Authorization": f"Bearer {member.token}"}
