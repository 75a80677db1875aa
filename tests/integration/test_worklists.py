"""Work queues and the overdue list: each person sees their own work, most urgent first."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.services.cases import record_event
from engine.worklists import overdue_report, rag
from tests.factories import make_case, make_staff


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_rag_is_red_when_overdue_amber_within_two_working_days_green_after() -> None:
    today = date(2026, 4, 2)  # Thursday before Good Friday and Easter Monday
    assert rag(date(2026, 4, 1), today) == "red"
    assert rag(date(2026, 4, 8), today) == "amber"  # two working days on, over Easter
    assert rag(date(2026, 4, 9), today) == "green"


def test_each_role_sees_only_its_own_open_deadlines_and_managers_see_overdue(
    client: TestClient, session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        first = make_case(s, clock)
        second = make_case(s, clock, email="other@example.org")
        make_case(s, clock, locality="melton", email="melton@example.org")
        record_event(
            s,
            clock=clock,
            case_ref=second.reference,
            event="acknowledge",
            data=None,
            actor=staff["contact"].actor,
            expected_version=1,
        )

    contact = client.get("/api/v1/work", headers=_auth(staff["contact"].token)).json()["items"]
    assert [(i["reference"], i["deadline"], i["rag"]) for i in contact] == [
        (first.reference, "acknowledgement", "amber")
    ]
    chair = client.get("/api/v1/work", headers=_auth(staff["jag_chair"].token)).json()["items"]
    assert {(i["reference"], i["deadline"]) for i in chair} == {
        (first.reference, "threshold_decision"),
        (second.reference, "threshold_decision"),
    }

    assert client.get("/api/v1/overdue", headers=_auth(staff["manager"].token)).json() == {
        "items": []
    }
    clock.advance(days=3)
    items = client.get("/api/v1/overdue", headers=_auth(staff["manager"].token)).json()["items"]
    assert {(i["locality"], i["deadline"], i["rag"]) for i in items} == {
        ("leicester", "acknowledgement", "red"),
        ("melton", "acknowledgement", "red"),
    }
    melton = client.get(
        "/api/v1/overdue?locality=melton", headers=_auth(staff["manager"].token)
    ).json()["items"]
    assert [(i["locality"], i["deadline"]) for i in melton] == [("melton", "acknowledgement")]
    both = client.get(
        "/api/v1/overdue?locality=melton&locality=leicester&step=acknowledgement",
        headers=_auth(staff["manager"].token),
    ).json()["items"]
    assert len(both) == 2
    none = client.get(
        "/api/v1/overdue?step=threshold_decision", headers=_auth(staff["manager"].token)
    ).json()
    assert none == {"items": []}
    refused = client.get("/api/v1/overdue", headers=_auth(staff["contact"].token))
    assert refused.status_code == 403


def test_the_overdue_report_counts_what_there_is_to_choose_and_keeps_the_chosen(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        leicester = make_case(s, clock)
        melton = make_case(s, clock, locality="melton")
    clock.advance(days=30)  # acknowledgements and threshold decisions all missed
    manager = staff["manager"].actor
    with session_factory() as s:
        everything = overdue_report(s, actor=manager, today=clock.today())
        picked = overdue_report(
            s, actor=manager, today=clock.today(), localities=["melton"], steps=["acknowledgement"]
        )
    assert len(everything["items"]) == len(everything["shown"]) == 4
    assert [(o["value"], o["count"]) for o in everything["localities"]] == [
        ("leicester", 2),
        ("melton", 2),
    ]
    assert [(o["value"], o["label"], o["count"]) for o in everything["steps"]] == [
        ("acknowledgement", "Acknowledge the application", 2),
        ("threshold_decision", "Tell the applicant the threshold decision", 2),
    ]
    assert [(i["reference"], i["deadline"]) for i in picked["shown"]] == [
        (melton.reference, "acknowledgement")
    ]
    assert picked["localities"] == everything["localities"]  # the choices stay the same
    assert leicester.reference in {i["reference"] for i in picked["items"]}
