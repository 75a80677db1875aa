"""The JSON API under /api/v1, driven over HTTP: what each endpoint promises its callers."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import AuditEvent, OutboxMessage
from tests.factories import StaffMember, application_body, load_case, make_staff
from tests.http_checks import API, never_a_server_error, problem
from workflows.community_trigger import ROLES, CommunityTriggerState

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

# Starlette 1.10 warns when its test client runs on httpx rather than httpx2 (see the report).
pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

REFERENCE = re.compile(r"^CT-2026-\d{6}$")


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _never_a_server_error(client: TestClient) -> None:
    """Every response in this module: no 500, and never a traceback in the body."""
    never_a_server_error(client)


def bearer(member: StaffMember) -> dict[str, str]:
    return {"Authorization": f"Bearer {member.token}"}


@pytest.fixture
def staff(session_factory: SessionFactory, clock: FixedClock) -> dict[str, StaffMember]:
    with session_factory() as s:
        return make_staff(s, clock)


def submit(client: TestClient, clock: FixedClock, **kwargs: Any) -> str:
    response = client.post(
        f"{API}/applications", json=application_body(today=clock.today(), **kwargs)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


@pytest.fixture
def reference(client: TestClient, clock: FixedClock) -> str:
    """A new Leicester application: three incidents, so the rules say the threshold is met."""
    return submit(client, clock)


def fire(
    client: TestClient, ref: str, who: StaffMember, event: str, version: int, **data: Any
) -> httpx.Response:
    return client.post(
        f"{API}/cases/{ref}/events",
        headers=bearer(who),
        json={"event": event, "version": version, "data": data},
    )


def audit_rows(session_factory: SessionFactory, ref: str) -> int:
    with session_factory() as s:
        case = load_case(s, ref)
        return s.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)
        ).one()


# --- threshold check ------------------------------------------------------------------------


def report(
    incident: str,
    *,
    agency: str = "police",
    complainant: str = "applicant",
    happened: date = date(2026, 2, 10),
    days_later: int = 1,
) -> dict[str, str]:
    return {
        "incident": incident,
        "incident_date": happened.isoformat(),
        "reported_date": (happened + timedelta(days=days_later)).isoformat(),
        "agency": agency,
        "complainant": complainant,
    }


def check_threshold(
    client: TestClient, clock: FixedClock, reports: list[dict[str, Any]], *, hate: bool = False
) -> dict[str, Any]:
    response = client.post(
        f"{API}/threshold-check",
        json={
            "area": "llr",
            "application_date": clock.today().isoformat(),
            "hate_incident": hate,
            "reports": reports,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("reports", "hate", "met", "route"),
    [
        ([report("a"), report("b"), report("c")], False, True, "three_incidents"),
        (
            [report("x", complainant=p) for p in ("ann", "bob", "cat")],
            False,
            True,
            "three_complainants",
        ),
        ([report("a")], True, True, "hate_incident"),
        ([report("a"), report("b")], False, False, None),
        ([], False, False, None),
    ],
    ids=[
        "three_incidents_by_one_person",
        "three_people_reporting_one_incident",
        "one_hate_incident",
        "two_incidents_fall_short",
        "no_reports_at_all",
    ],
)
def test_the_threshold_check_names_the_route_that_meets_the_threshold(
    client: TestClient,
    clock: FixedClock,
    reports: list[dict[str, Any]],
    hate: bool,
    met: bool,
    route: str | None,
) -> None:
    result = check_threshold(client, clock, reports, hate=hate)
    assert (result["met"], result["route"]) == (met, route)
    assert [r["index"] for r in result["reports"]] == list(range(len(reports)))
    assert all(r["counted"] and r["reason"] for r in result["reports"])
    assert ("is met" if met else "is not met") in result["explanation"]


def test_one_incident_reported_to_police_and_council_counts_once(
    client: TestClient, clock: FixedClock
) -> None:
    result = check_threshold(
        client, clock, [report("a", agency="police"), report("a", agency="council"), report("b")]
    )
    assert result["met"] is False
    assert result["route"] is None
    assert [r["counted"] for r in result["reports"]] == [True, False, True]
    assert "same incident as report 1" in result["reports"][1]["reason"]
    assert "2 separate incidents" in result["explanation"]


def test_a_report_made_too_late_is_not_counted_and_the_reason_gives_the_days(
    client: TestClient, clock: FixedClock
) -> None:
    late = report("c", happened=date(2026, 1, 1), days_later=50)
    result = check_threshold(client, clock, [report("a"), report("b"), late])
    assert result["met"] is False
    assert result["reports"][2]["counted"] is False
    assert "50 days" in result["reports"][2]["reason"]


# --- applications ---------------------------------------------------------------------------


def test_an_application_is_answered_with_a_reference_and_a_private_status_link(
    client: TestClient, clock: FixedClock
) -> None:
    response = client.post(f"{API}/applications", json=application_body(today=clock.today()))
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert REFERENCE.match(body["reference"])
    assert len(body["status_token"]) >= 32
    assert body["status_url"].endswith(body["status_token"])
    assert body["state"] == "submitted"


def test_references_are_given_out_in_sequence(client: TestClient, clock: FixedClock) -> None:
    references = [submit(client, clock, email=f"person{i}@example.org") for i in range(3)]
    assert references == ["CT-2026-000001", "CT-2026-000002", "CT-2026-000003"]


def test_each_application_gets_its_own_status_token(client: TestClient, clock: FixedClock) -> None:
    body = application_body(today=clock.today())
    tokens = {client.post(f"{API}/applications", json=body).json()["status_token"] for _ in "ab"}
    assert len(tokens) == 2


def test_submitting_queues_a_receipt_to_the_applicants_email(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    ref = submit(client, clock, email="someone@example.org")
    with session_factory() as s:
        rows = s.exec(select(OutboxMessage)).all()
    assert [(m.message, m.recipient, m.status) for m in rows] == [
        ("application_received", "someone@example.org", "pending")
    ]
    assert rows[0].context["reference"] == ref


# --- reading a case -------------------------------------------------------------------------


def test_the_locality_contact_sees_a_new_case_with_its_deadlines_and_may_acknowledge_it(
    client: TestClient, staff: dict[str, StaffMember], reference: str
) -> None:
    response = client.get(f"{API}/cases/{reference}", headers=bearer(staff["contact"]))
    assert response.status_code == 200
    case = response.json()
    assert (case["reference"], case["state"], case["version"], case["locality"]) == (
        reference,
        "submitted",
        1,
        "leicester",
    )
    deadlines = {d["name"]: (d["due_date"], d["status"]) for d in case["deadlines"]}
    # Monday 2 March: one working day to acknowledge, fourteen days for the threshold decision.
    assert deadlines == {
        "acknowledgement": ("2026-03-03", "open"),
        "threshold_decision": ("2026-03-16", "open"),
    }
    assert "acknowledge" in case["events"]
    assert [(h["event"], h["to"]) for h in case["history"]] == [("submit", "submitted")]


def test_a_manager_may_read_any_case_in_the_area_but_fire_nothing(
    client: TestClient, staff: dict[str, StaffMember], reference: str
) -> None:
    response = client.get(f"{API}/cases/{reference}", headers=bearer(staff["manager"]))
    assert response.status_code == 200
    assert response.json()["events"] == []


@pytest.mark.parametrize(
    ("headers", "path", "status"),
    [
        (lambda staff: {}, "{ref}", 401),
        (lambda staff: {"Authorization": "Bearer ct_not-a-real-token"}, "{ref}", 401),
        (lambda staff: {"Authorization": f"Basic {staff['contact'].token}"}, "{ref}", 401),
        (lambda staff: {"Authorization": "Bearer "}, "{ref}", 401),
        (lambda staff: bearer(staff["melton_jag_chair"]), "{ref}", 403),
        # An appeal chair sees only the appeals assigned to them: anything else is "not found".
        (lambda staff: bearer(staff["blaby_appeal_chair"]), "{ref}", 404),
        (lambda staff: bearer(staff["contact"]), "CT-2099-999999", 404),
    ],
    ids=[
        "no_token",
        "unknown_token",
        "not_a_bearer_token",
        "empty_bearer_token",
        "jag_chair_of_another_locality",
        "appeal_chair_not_assigned",
        "unknown_reference",
    ],
)
def test_reading_a_case_is_refused_without_a_valid_token_or_access(
    client: TestClient,
    staff: dict[str, StaffMember],
    reference: str,
    headers: Callable[[dict[str, StaffMember]], dict[str, str]],
    path: str,
    status: int,
) -> None:
    response = client.get(f"{API}/cases/{path.format(ref=reference)}", headers=headers(staff))
    problem(response, status)
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"


# --- events ---------------------------------------------------------------------------------


def test_the_contact_acknowledges_a_new_case(
    client: TestClient, staff: dict[str, StaffMember], reference: str
) -> None:
    response = fire(client, reference, staff["contact"], "acknowledge", 1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["reference"], body["state"], body["version"]) == (reference, "acknowledged", 2)
    assert "acknowledge" not in body["events"]
    case = client.get(f"{API}/cases/{reference}", headers=bearer(staff["contact"])).json()
    assert case["version"] == 2
    assert [h["event"] for h in case["history"]] == ["submit", "acknowledge"]
    assert {d["name"]: d["status"] for d in case["deadlines"]}["acknowledgement"] == "met"


def test_the_jag_chair_decides_the_threshold_is_met_with_reasons(
    client: TestClient, staff: dict[str, StaffMember], reference: str
) -> None:
    assert fire(client, reference, staff["contact"], "acknowledge", 1).status_code == 200
    response = fire(
        client, reference, staff["jag_chair"], "threshold_met", 2, reasons="Three incidents."
    )
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["version"]) == ("review_scheduled", 3)
    assert "review_meeting_held" in response.json()["events"]


def test_the_jag_chair_may_override_the_computed_result_when_giving_a_reason(
    client: TestClient, staff: dict[str, StaffMember], reference: str
) -> None:
    assert fire(client, reference, staff["contact"], "acknowledge", 1).status_code == 200
    response = fire(
        client,
        reference,
        staff["jag_chair"],
        "threshold_not_met",
        2,
        reasons="Two of the incidents are the same dispute.",
        override_reason="Incidents 1 and 2 describe one argument.",
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "threshold_not_met"
    case = client.get(f"{API}/cases/{reference}", headers=bearer(staff["jag_chair"])).json()
    assert case["history"][-1]["reason"] == "Incidents 1 and 2 describe one argument."


def _acknowledged(client: TestClient, staff: dict[str, StaffMember], ref: str) -> None:
    assert fire(client, ref, staff["contact"], "acknowledge", 1).status_code == 200


def _new(_client: TestClient, _staff: dict[str, StaffMember], _ref: str) -> None:
    pass


@pytest.mark.parametrize(
    ("setup", "who", "event", "version", "data", "status", "field"),
    [
        (_new, "contact", "acknowledge", 7, {}, 409, None),
        (_new, "contact", "acknowledge", 2, {}, 409, None),
        (_new, "csp_chair", "response_issued", 1, {"summary": "Done."}, 409, None),
        (_new, "contact", "threshold_met", 1, {"reasons": "Three incidents."}, 409, None),
        (_new, "contact", "make_tea", 1, {}, 422, "event"),
        (_new, "csp_chair", "acknowledge", 1, {}, 403, None),
        (_new, "melton_jag_chair", "acknowledge", 1, {}, 403, None),
        (_new, "manager", "acknowledge", 1, {}, 403, None),
        (_new, "contact", "acknowledge", 1, {"note": "hello"}, 422, "data"),
        (_acknowledged, "contact", "threshold_met", 2, {"reasons": "Three."}, 403, None),
        (_acknowledged, "jag_chair", "threshold_met", 2, {}, 422, "data.reasons"),
        (_acknowledged, "jag_chair", "threshold_met", 2, {"reasons": "   "}, 422, "data.reasons"),
        (
            _acknowledged,
            "jag_chair",
            "threshold_met",
            2,
            {"reasons": "Three.", "mood": "good"},
            422,
            "data.mood",
        ),
        (
            _acknowledged,
            "jag_chair",
            "threshold_not_met",
            2,
            {"reasons": "Only a dispute."},
            422,
            "data.override_reason",
        ),
        (
            _acknowledged,
            "jag_chair",
            "application_rejected",
            2,
            {"ground": "annoying", "reasons": "No."},
            422,
            "data.ground",
        ),
    ],
    ids=[
        "stale_version",
        "version_from_the_future",
        "event_not_allowed_in_this_state",
        "event_of_a_later_state",
        "unknown_event",
        "wrong_role",
        "wrong_locality",
        "read_only_manager",
        "data_on_an_event_that_takes_none",
        "contact_deciding_the_threshold",
        "threshold_decision_without_reasons",
        "threshold_decision_with_blank_reasons",
        "unknown_data_field",
        "overriding_the_rules_without_a_reason",
        "rejection_on_an_unknown_ground",
    ],
)
def test_a_refused_event_is_a_problem_and_leaves_the_case_as_it_was(
    client: TestClient,
    session_factory: SessionFactory,
    staff: dict[str, StaffMember],
    reference: str,
    setup: Callable[[TestClient, dict[str, StaffMember], str], None],
    who: str,
    event: str,
    version: int,
    data: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    setup(client, staff, reference)
    before = client.get(f"{API}/cases/{reference}", headers=bearer(staff["contact"])).json()
    audits = audit_rows(session_factory, reference)

    body = problem(fire(client, reference, staff[who], event, version, **data), status)

    assert body.get("field") == field
    after = client.get(f"{API}/cases/{reference}", headers=bearer(staff["contact"])).json()
    assert (after["state"], after["version"]) == (before["state"], before["version"])
    assert after["history"] == before["history"]
    assert audit_rows(session_factory, reference) == audits


def test_the_same_version_cannot_be_used_twice(
    client: TestClient, staff: dict[str, StaffMember], reference: str
) -> None:
    assert fire(client, reference, staff["contact"], "acknowledge", 1).status_code == 200
    body = problem(fire(client, reference, staff["jag_chair"], "acknowledge", 1), 409)
    assert "version 2" in body["detail"]


def test_an_event_on_an_unknown_case_is_not_found(
    client: TestClient, staff: dict[str, StaffMember]
) -> None:
    problem(fire(client, "CT-2099-999999", staff["contact"], "acknowledge", 1), 404)


def test_an_event_without_a_token_is_not_signed_in(client: TestClient, reference: str) -> None:
    response = client.post(
        f"{API}/cases/{reference}/events", json={"event": "acknowledge", "version": 1}
    )
    problem(response, 401)


# --- workflows, OpenAPI and errors in general -----------------------------------------------


def test_the_workflow_is_described_with_its_states_transitions_roles_and_diagram(
    client: TestClient,
) -> None:
    response = client.get(f"{API}/workflows/community_trigger")
    assert response.status_code == 200
    wf = response.json()
    assert {s["name"] for s in wf["states"]} == {s.value for s in CommunityTriggerState}
    assert wf["initial"] == "submitted"
    assert wf["transitions"]
    for t in wf["transitions"]:
        assert t["roles"] and set(t["roles"]) <= set(ROLES), t
    events = {t["event"] for t in wf["transitions"]}
    assert {"acknowledge", "threshold_met", "appeal_lodged", "case_closed"} <= events
    assert wf["mermaid"].startswith("stateDiagram-v2")
    assert "submitted --> acknowledged: acknowledge" in wf["mermaid"]


def test_an_unknown_workflow_is_not_found(client: TestClient) -> None:
    body = problem(client.get(f"{API}/workflows/jag_referral"), 404)
    assert "jag_referral" in body["detail"]


def test_the_openapi_document_lists_every_endpoint(client: TestClient) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        f"{API}/threshold-check": "post",
        f"{API}/applications": "post",
        f"{API}/cases/{{reference}}": "get",
        f"{API}/cases/{{reference}}/events": "post",
        f"{API}/workflows/{{name}}": "get",
    }.items() <= {path: next(iter(ops)) for path, ops in paths.items()}.items()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{API}/no-such-thing", 404),
        ("DELETE", f"{API}/applications", 405),
        ("GET", f"{API}/threshold-check", 405),
    ],
    ids=["unknown_path", "wrong_method", "get_on_a_post_endpoint"],
)
def test_routing_errors_are_problems_too(
    client: TestClient, method: str, path: str, status: int
) -> None:
    problem(client.request(method, path), status)


def test_responses_carry_the_security_headers(client: TestClient) -> None:
    for response in (client.get(f"{API}/workflows/community_trigger"), client.get(f"{API}/x")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
