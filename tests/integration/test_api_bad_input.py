"""Bad input: a 4xx problem that names the broken field, and nothing written to the database."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func
from sqlmodel import select

import workflows
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import (
    AuditEvent,
    Case,
    Incident,
    OutboxMessage,
    Party,
    ReferenceCounter,
    Report,
)
from tests.factories import StaffMember, application_body, make_case, make_staff
from tests.http_checks import API, never_a_server_error, problem

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

# Starlette 1.10 warns when its test client runs on httpx rather than httpx2 (see the report).
pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")
STORED = (Case, Party, Incident, Report, AuditEvent, OutboxMessage, ReferenceCounter)
NOTHING = {model.__tablename__: 0 for model in STORED}


@pytest.fixture(autouse=True)
def _never_a_server_error(client: TestClient) -> None:
    """Every response in this module: no 500, and never a traceback in the body."""
    never_a_server_error(client)


def stored(session_factory: SessionFactory) -> dict[str, int]:
    """Rows in every table an application or an event writes to."""
    with session_factory() as s:
        return {
            model.__tablename__: s.exec(select(func.count()).select_from(model)).one()
            for model in STORED
        }


# --- applications ---------------------------------------------------------------------------

Body = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Body, date], None]:
    """A change to one field of the body, given as a dotted path (list indexes as numbers)."""

    def change(body: Body, _today: date) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value

    return change


def _delete(path: str) -> Callable[[Body, date], None]:
    def change(body: Body, _today: date) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[part]
        del target[last]

    return change


def _incident_tomorrow(body: Body, today: date) -> None:
    body["incidents"][0]["date"] = (today + timedelta(days=1)).isoformat()


def _reported_tomorrow(body: Body, today: date) -> None:
    body["incidents"][0]["reports"][0]["reported_date"] = (today + timedelta(days=1)).isoformat()


def _reported_before_it_happened(body: Body, _today: date) -> None:
    happened = date.fromisoformat(body["incidents"][0]["date"])
    body["incidents"][0]["reports"][0]["reported_date"] = (happened - timedelta(1)).isoformat()


def _no_way_to_reach_the_applicant(body: Body, _today: date) -> None:
    body["applicant"]["email"] = None


BAD_APPLICATIONS = [
    pytest.param(_incident_tomorrow, "incidents.0.date", id="incident_date_in_the_future"),
    pytest.param(
        _reported_tomorrow, "incidents.0.reports.0.reported_date", id="reported_in_the_future"
    ),
    pytest.param(
        _reported_before_it_happened,
        "incidents.0.reports.0.reported_date",
        id="reported_before_the_incident",
    ),
    pytest.param(_set("incidents.1.date", "2026-02-30"), "incidents.1.date", id="no_such_date"),
    pytest.param(_set("locality", "atlantis"), "locality", id="unknown_locality"),
    pytest.param(_set("locality", ""), "locality", id="empty_locality"),
    pytest.param(_set("consent_to_share", False), "consent_to_share", id="no_consent_to_share"),
    pytest.param(_set("declaration", False), "declaration", id="declaration_not_made"),
    pytest.param(_delete("applicant.name"), "applicant.name", id="missing_applicant_name"),
    pytest.param(_set("applicant.name", "   "), "applicant.name", id="blank_applicant_name"),
    pytest.param(_set("applicant.email", "not-an-email"), "applicant.email", id="bad_email"),
    pytest.param(_no_way_to_reach_the_applicant, "applicant.email", id="no_contact_details"),
    pytest.param(_set("applicant.role", "representative"), "victim", id="victim_not_named"),
    pytest.param(_set("incidents", "three of them"), "incidents", id="incidents_as_a_string"),
    pytest.param(_set("consent_to_share", "maybe"), "consent_to_share", id="consent_as_maybe"),
    pytest.param(_set("colour", "purple"), "colour", id="extra_unknown_field"),
    pytest.param(_set("incidents", []), "incidents", id="empty_incidents_list"),
    pytest.param(
        _set("incidents.0.reports", []), "incidents.0.reports", id="incident_never_reported"
    ),
    pytest.param(
        _set("incidents.0.reports.0.agency", "neighbour"),
        "incidents.0.reports.0.agency",
        id="unknown_agency",
    ),
    pytest.param(
        _set("incidents.0.description", "x" * 5001),
        "incidents.0.description",
        id="description_over_5000_characters",
    ),
]


@pytest.mark.parametrize(("change", "field"), BAD_APPLICATIONS)
def test_a_bad_application_is_refused_naming_the_field_and_nothing_is_stored(
    client: TestClient,
    clock: FixedClock,
    session_factory: SessionFactory,
    change: Callable[[Body, date], None],
    field: str,
) -> None:
    body = application_body(today=clock.today())
    change(body, clock.today())

    problem_body = problem(client.post(f"{API}/applications", json=body), 422)

    assert stored(session_factory) == NOTHING
    assert problem_body["field"] == field
    assert field in {e["field"] for e in problem_body["errors"]}


def test_a_refused_application_does_not_use_up_a_reference_number(
    client: TestClient, clock: FixedClock
) -> None:
    bad = application_body(today=clock.today(), locality="atlantis")
    assert client.post(f"{API}/applications", json=bad).status_code == 422
    good = client.post(f"{API}/applications", json=application_body(today=clock.today()))
    assert good.json()["reference"] == "CT-2026-000001"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        pytest.param(b"this is not json", "body", id="not_json_at_all"),
        pytest.param(b'{"locality": "leicester",', "body", id="truncated_json"),
        pytest.param(b"[1, 2, 3]", "body", id="a_list_not_an_object"),
        pytest.param(b"", "body", id="empty_body"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_as_the_body(
    client: TestClient, session_factory: SessionFactory, content: bytes, field: str
) -> None:
    response = client.post(
        f"{API}/applications", content=content, headers={"content-type": "application/json"}
    )
    body = problem(response, 422)
    assert stored(session_factory) == NOTHING
    assert body["field"] == field


def _ten_megabytes(clock: FixedClock) -> bytes:
    body = application_body(today=clock.today(), impact="x" * 10_000_000)
    return json.dumps(body).encode()


def test_a_ten_megabyte_body_is_refused_as_too_large(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    response = client.post(
        f"{API}/applications",
        content=_ten_megabytes(clock),
        headers={"content-type": "application/json"},
    )
    body = problem(response, 413)
    assert body["field"] == "body"
    assert stored(session_factory) == NOTHING


def test_a_ten_megabyte_body_sent_in_chunks_is_refused_as_too_large(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    data = _ten_megabytes(clock)

    def chunks() -> Iterator[bytes]:  # no content-length: the size is only known as it arrives
        for start in range(0, len(data), 1_000_000):
            yield data[start : start + 1_000_000]

    response = client.post(
        f"{API}/applications", content=chunks(), headers={"content-type": "application/json"}
    )
    assert stored(session_factory) == NOTHING
    body = problem(response, 413)
    assert body["field"] == "body"


MARKUP = '<script>alert("boo")</script><img src=x onerror=alert(1)> & <b>bold</b> \' "'


def test_html_in_a_description_is_accepted_and_returned_as_the_same_text(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory
) -> None:
    body = application_body(today=clock.today())
    body["incidents"][0]["description"] = MARKUP
    body["incidents"][1]["place"] = MARKUP
    response = client.post(f"{API}/applications", json=body)
    assert response.status_code == 201, response.text
    with session_factory() as s:
        staff = make_staff(s, clock)
    case = client.get(
        f"{API}/cases/{response.json()['reference']}",
        headers={"Authorization": f"Bearer {staff['contact'].token}"},
    )
    assert case.headers["content-type"].startswith("application/json")
    assert case.json()["incidents"][0]["description"] == MARKUP
    assert case.json()["incidents"][1]["place"] == MARKUP
    with session_factory() as s:
        assert s.exec(select(Incident.description).where(Incident.seq == 1)).one() == MARKUP


@pytest.mark.parametrize(
    "path", ["incidents.0.description", "applicant.name"], ids=["description", "applicant_name"]
)
def test_a_nul_character_is_stored_or_refused_but_never_a_server_error(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory, path: str
) -> None:
    body = application_body(today=clock.today())
    _set(path, "before\x00after")(body, clock.today())
    response = client.post(f"{API}/applications", json=body)
    if response.status_code == 201:  # stored: then exactly as sent
        with session_factory() as s:
            names = set(s.exec(select(Party.name)).all())
            descriptions = set(s.exec(select(Incident.description)).all())
        assert "before\x00after" in names | descriptions
        return
    assert stored(session_factory) == NOTHING
    assert problem(response, 422)["field"] == path


# --- threshold check ------------------------------------------------------------------------


def _threshold_body(today: date) -> Body:
    return {
        "area": "llr",
        "application_date": today.isoformat(),
        "hate_incident": False,
        "reports": [
            {
                "incident": "a",
                "incident_date": (today - timedelta(days=10)).isoformat(),
                "reported_date": (today - timedelta(days=9)).isoformat(),
                "agency": "police",
                "complainant": "me",
            }
        ],
    }


PACKAGE = Path(workflows.__file__).parent


def _applying_tomorrow(body: Body, today: date) -> None:
    body["application_date"] = (today + timedelta(days=1)).isoformat()


def _threshold_report_before_incident(body: Body, today: date) -> None:
    body["reports"][0]["reported_date"] = (today - timedelta(days=11)).isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param(_applying_tomorrow, "application_date", id="application_date_in_the_future"),
        pytest.param(
            _threshold_report_before_incident,
            "reports.0.reported_date",
            id="reported_before_the_incident",
        ),
        pytest.param(_set("area", "narnia"), "area", id="unknown_area"),
        pytest.param(_set("area", "../llr"), "area", id="area_as_a_missing_relative_path"),
        pytest.param(
            _set("area", "llr\x00"),
            "area",
            id="area_with_a_nul_character",
        ),
        pytest.param(
            _set("area", str(PACKAGE / "areas" / "llr")),
            "area",
            id="area_as_an_absolute_path_to_an_area_file",
        ),
        pytest.param(
            _set("area", str(PACKAGE.parent / "pyproject")),
            "area",
            id="area_as_an_absolute_path_to_another_toml_file",
        ),
        pytest.param(_set("reports.0.agency", "neighbour"), "reports.0.agency", id="bad_agency"),
        pytest.param(_set("reports.0.incident", ""), "reports.0.incident", id="blank_incident"),
        pytest.param(_set("hate_incident", "perhaps"), "hate_incident", id="hate_as_perhaps"),
        pytest.param(_delete("reports"), "reports", id="missing_reports"),
        pytest.param(_set("reports", "many"), "reports", id="reports_as_a_string"),
        pytest.param(_set("colour", "purple"), "colour", id="extra_unknown_field"),
    ],
)
def test_a_bad_threshold_check_is_refused_naming_the_field(
    client: TestClient,
    clock: FixedClock,
    session_factory: SessionFactory,
    change: Callable[[Body, date], None],
    field: str,
) -> None:
    body = _threshold_body(clock.today())
    change(body, clock.today())

    problem_body = problem(client.post(f"{API}/threshold-check", json=body), 422)

    assert problem_body["field"] == field
    assert stored(session_factory) == NOTHING


def test_the_unbroken_threshold_body_is_accepted(client: TestClient, clock: FixedClock) -> None:
    response = client.post(f"{API}/threshold-check", json=_threshold_body(clock.today()))
    assert response.status_code == 200
    assert response.json()["reports"][0]["counted"] is True


# --- events ---------------------------------------------------------------------------------


def _case_snapshot(session_factory: SessionFactory, case_id: int) -> dict[str, Any]:
    with session_factory() as s:
        case = s.get(Case, case_id)
        assert case is not None

        def rows(model: Any) -> int:
            return s.exec(
                select(func.count()).select_from(model).where(model.case_id == case_id)
            ).one()

        return {
            "state": case.state,
            "version": case.version,
            "audit": rows(AuditEvent),
            "outbox": rows(OutboxMessage),
        }


@pytest.fixture
def new_case(session_factory: SessionFactory, clock: FixedClock) -> tuple[str, int, StaffMember]:
    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
    return done.reference, done.case_id, staff["contact"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"event": "acknowledge", "version": "two"}, "version", id="version_as_word"),
        pytest.param({"event": "acknowledge", "version": 1.5}, "version", id="version_fraction"),
        pytest.param({"event": "acknowledge", "version": 0}, "version", id="version_zero"),
        pytest.param({"event": "acknowledge"}, "version", id="missing_version"),
        pytest.param({"event": "acknowledge", "version": 1, "data": []}, "data", id="data_list"),
        pytest.param({"event": "acknowledge", "version": 1, "data": "x"}, "data", id="data_text"),
        pytest.param({"version": 1}, "event", id="missing_event"),
        pytest.param({"event": "", "version": 1}, "event", id="empty_event"),
        pytest.param({"event": ["acknowledge"], "version": 1}, "event", id="event_as_list"),
        pytest.param({"event": "make_tea", "version": 1}, "event", id="unknown_event"),
        pytest.param(
            {"event": "acknowledge", "version": 1, "colour": "red"}, "colour", id="extra_field"
        ),
    ],
)
def test_a_bad_event_is_refused_naming_the_field_and_the_case_is_unchanged(
    client: TestClient,
    session_factory: SessionFactory,
    new_case: tuple[str, int, StaffMember],
    payload: Body,
    field: str,
) -> None:
    reference, case_id, contact = new_case
    before = _case_snapshot(session_factory, case_id)

    response = client.post(
        f"{API}/cases/{reference}/events",
        json=payload,
        headers={"Authorization": f"Bearer {contact.token}"},
    )

    assert problem(response, 422)["field"] == field
    assert _case_snapshot(session_factory, case_id) == before
    # The applicant's receipt, and (issue 10) the alert to the locality's contact and CSP chair.
    assert before == {"state": "submitted", "version": 1, "audit": 1, "outbox": 3}


def test_an_event_body_that_is_not_json_is_refused_and_the_case_is_unchanged(
    client: TestClient, session_factory: SessionFactory, new_case: tuple[str, int, StaffMember]
) -> None:
    reference, case_id, contact = new_case
    before = _case_snapshot(session_factory, case_id)
    response = client.post(
        f"{API}/cases/{reference}/events",
        content=b"acknowledge please",
        headers={"Authorization": f"Bearer {contact.token}", "content-type": "application/json"},
    )
    problem(response, 422)
    assert _case_snapshot(session_factory, case_id) == before


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("POST", "/events")], ids=["read", "event"]
)
def test_a_reference_with_a_nul_character_is_not_found(
    client: TestClient, new_case: tuple[str, int, StaffMember], method: str, suffix: str
) -> None:
    _reference, _case_id, contact = new_case
    response = client.request(
        method,
        f"{API}/cases/CT-2026-%00{suffix}",
        json={"event": "acknowledge", "version": 1} if suffix else None,
        headers={"Authorization": f"Bearer {contact.token}"},
    )
    problem(response, 404)


def test_a_nul_character_in_event_data_is_stored_or_refused_but_never_a_server_error(
    client: TestClient, session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
    jag = {"Authorization": f"Bearer {staff['jag_chair'].token}"}
    ack = {"event": "acknowledge", "version": 1}
    assert client.post(f"{API}/cases/{done.reference}/events", json=ack, headers=jag).is_success
    before = _case_snapshot(session_factory, done.case_id)
    decision = {"event": "threshold_met", "version": 2, "data": {"reasons": "three\x00incidents"}}
    response = client.post(f"{API}/cases/{done.reference}/events", json=decision, headers=jag)
    if response.status_code == 200:
        return
    assert problem(response, 422)["field"] == "data.reasons"
    assert _case_snapshot(session_factory, done.case_id) == before


@pytest.mark.parametrize(
    "query",
    ["/cases?localty=melton", "/overdue?stepp=first_response", "/figures?area=llr&year=2026&x=1"],
    ids=["cases", "overdue", "figures"],
)
def test_a_query_parameter_the_route_does_not_take_is_refused_naming_it(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory, query: str
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
    headers = {"Authorization": f"Bearer {staff['manager'].token}"}
    body = problem(client.get(f"{API}{query}", headers=headers), 422)
    assert body["field"] == query.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]
    # Without a token the caller is told that first.
    if not query.startswith("/figures"):
        problem(client.get(f"{API}{query}"), 401)


@pytest.mark.parametrize("value", ["-1.05e-08", "1700000000", "2026-02-30", "5/12/2026"])
def test_a_received_date_must_be_written_as_a_date(
    client: TestClient, clock: FixedClock, session_factory: SessionFactory, value: str
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
    headers = {"Authorization": f"Bearer {staff['manager'].token}"}
    answer = client.get(f"{API}/cases", params={"received_from": value}, headers=headers)
    assert problem(answer, 422)["field"] == "received_from"
    fine = client.get(f"{API}/cases", params={"received_from": "2026-01-01"}, headers=headers)
    assert fine.status_code == 200, fine.text
