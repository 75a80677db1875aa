"""Every id in a path is bounded, and a form field sent as a file is refused (hole 8)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from engine.clock import FixedClock
from tests.factories import make_case
from tests.integration.test_staff_login import browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

HUGE = [str(2**63), "9" * 20, "-1", "0", str(2**31)]


@pytest.mark.parametrize("number", HUGE)
def test_staff_pages_answer_a_huge_or_negative_id_with_not_found(
    app: Any,
    session: Session,
    clock: FixedClock,
    staff: dict,
    number: str,
) -> None:
    ref = make_case(session, clock).reference
    me = browser_for(app, session, clock, staff["manager"].email)
    me.sign_in()
    for path in (
        f"/staff/cases/{ref}/documents/{number}",
        f"/staff/complaints/{number}",
    ):
        response = me.client.get(path, follow_redirects=False)
        assert response.status_code in (404, 422), (path, response.status_code)
    for path in (f"/staff/complaints/{number}/explained", f"/staff/dead-letters/{number}/retry"):
        response = me.client.post(path, data={"csrf_token": me.csrf}, follow_redirects=False)
        assert 400 <= response.status_code < 500, (path, response.status_code)


def test_a_text_field_sent_as_a_file_is_refused(
    app: Any, session: Session, clock: FixedClock
) -> None:
    from fastapi.testclient import TestClient

    from tests.integration.test_public_flow import Visitor

    with TestClient(app, raise_server_exceptions=False) as client:
        visitor = Visitor(client)
        token = visitor.csrf()
        for path, field in (
            ("/apply/who", "role"),
            ("/apply/address", "postcode"),
            ("/apply/incidents/new", "description"),
        ):
            response = client.post(
                path,
                data={"csrf_token": token},
                files={field: ("x.txt", b"victim", "text/plain")},
                follow_redirects=False,
            )
            assert 400 <= response.status_code < 500, (path, response.status_code)
        response = client.post(
            "/apply/who",
            files={"csrf_token": ("t.txt", token.encode(), "text/plain"), "role": (None, "victim")},
        )
        assert 400 <= response.status_code < 500
