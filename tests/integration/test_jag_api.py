"""The API serves JAG cases as it serves every workflow: the case (with the package's own
part under "detail"), its events, and the workflow's diagram."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from engine.clock import FixedClock
from engine.db import SessionFactory
from tests.factories import StaffMember
from tests.http_checks import API, never_a_server_error, problem
from tests.jag_helpers import JagJourney, all_yes

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture(autouse=True)
def _never_a_server_error(client: TestClient) -> None:
    never_a_server_error(client)


def bearer(member: StaffMember) -> dict[str, str]:
    return {"Authorization": f"Bearer {member.token}"}


@pytest.fixture
def j(session_factory: SessionFactory, clock: FixedClock) -> JagJourney:
    journey = JagJourney(session_factory, clock)
    journey.refer("partner")
    return journey


def post(
    client: TestClient,
    j: JagJourney,
    who: str,
    event: str,
    version: int,
    data: dict[str, Any] | None = None,
) -> Any:
    return client.post(
        f"{API}/cases/{j.ref}/events",
        headers=bearer(j.staff[who]),
        json={"event": event, "version": version, "data": data or {}},
    )


def test_a_jag_case_through_the_api(client: TestClient, j: JagJourney) -> None:
    got = client.get(f"{API}/cases/{j.ref}", headers=bearer(j.staff["jag_chair"]))
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["reference"], body["state"], body["workflow"]["name"]) == (
        j.ref,
        "referred",
        "jag_case",
    )
    assert body["detail"]["referral"]["agencies"] == ["Police", "Housing provider"]
    assert body["detail"]["subjects"][0]["name"] == "Ann O'Brien"
    assert {"accept", "decline", "assess_risk"} <= set(body["events"])

    accepted = post(client, j, "jag_chair", "accept", body["version"])
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "active"
    version = accepted.json()["version"]
    risk = post(client, j, "partner", "assess_risk", version, {"answers": all_yes()})
    assert risk.status_code == 200, risk.text
    detail = client.get(f"{API}/cases/{j.ref}", headers=bearer(j.staff["partner"])).json()
    assert detail["detail"]["risk"][0]["band"] == "high"

    # Bad data names the field; a stale version and a wrong role are refused; no 500.
    bad = post(client, j, "partner", "assess_risk", version + 1, {"answers": {"repeat": True}})
    assert problem(bad, 422)["field"] == "data.answers.ongoing"
    stale = post(client, j, "jag_chair", "set_review_date", version, {"review_on": "2026-04-01"})
    problem(stale, 409)
    wrong = post(
        client,
        j,
        "partner",
        "request_peer_review",
        version + 1,
        {"reviewer_email": "melton.jag@example.org", "question": "Enough?"},
    )
    problem(wrong, 403)


def test_other_localities_and_other_workflows_stay_closed(
    client: TestClient, j: JagJourney
) -> None:
    refused = client.get(f"{API}/cases/{j.ref}", headers=bearer(j.staff["melton_contact"]))
    assert refused.status_code == 403
    # A partner's grant opens JAG cases only: a Community Trigger case of their own
    # locality is refused.
    from tests.factories import make_case

    with j.sessions() as s:
        ct = make_case(s, j.clock).reference
    assert client.get(f"{API}/cases/{ct}", headers=bearer(j.staff["partner"])).status_code == 403
    assert client.get(f"{API}/cases/{ct}", headers=bearer(j.staff["contact"])).status_code == 200


def test_the_jag_workflow_diagram(client: TestClient) -> None:
    got = client.get(f"{API}/workflows/jag_case")
    assert got.status_code == 200
    body = got.json()
    assert body["initial"] == "referred"
    assert {s["name"] for s in body["states"] if s["terminal"]} == {"declined", "ceased"}
    assert "referred --> active: accept" in body["mermaid"]
    assert "cessation_proposed --> ceased: cease" in body["mermaid"]
    cease = next(t for t in body["transitions"] if t["event"] == "cease")
    assert cease["roles"] == ["cessation_chair"]
    assert cease["data_schema"]["required"] == ["reason", "explanation"]
