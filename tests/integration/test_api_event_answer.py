"""The answer to an API event lists the events allowed now exactly as reading the case
does, for each role, although it no longer reads the whole case again (issue 15)."""

from __future__ import annotations

from typing import Any

from engine.clock import FixedClock
from engine.db import SessionFactory
from tests.factories import application_body, make_staff
from tests.http_checks import API


def test_each_event_answer_lists_what_reading_the_case_lists(
    client: Any, session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as session:
        staff = make_staff(session, clock)
    sent = client.post(f"{API}/applications", json=application_body(today=clock.today()))
    reference = sent.json()["reference"]
    steps = [
        ("acknowledge", "contact", None),
        ("threshold_met", "jag_chair", {"reasons": "Three incidents."}),
    ]
    for version, (event, who, data) in enumerate(steps, start=1):
        me = {"Authorization": f"Bearer {staff[who].token}"}
        body: dict[str, Any] = {"event": event, "version": version}
        if data:
            body["data"] = data
        answer = client.post(f"{API}/cases/{reference}/events", json=body, headers=me)
        assert answer.status_code == 200, answer.text
        read = client.get(f"{API}/cases/{reference}", headers=me).json()
        got = answer.json()
        assert (got["state"], got["version"]) == (read["state"], read["version"])
        assert got["events"] == read["events"]
    assert read["version"] == 3
