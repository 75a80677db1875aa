"""The machine's transaction: all of a trigger's writes land together, or none do."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from engine import machine, messages
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import InvalidTransition, NotAllowed, NotFound, StaleVersion
from engine.models import AuditEvent, Case, Deadline, OutboxMessage
from engine.services.cases import record_event
from tests.factories import make_case, make_staff


def _counts(session: Session, case_id: int) -> dict[str, Any]:
    case = session.get(Case, case_id)
    assert case is not None
    session.refresh(case)

    def n(table: Any) -> int:
        return session.exec(
            select(func.count()).select_from(table).where(table.case_id == case_id)
        ).one()

    open_deadlines = session.exec(
        select(Deadline.name).where(Deadline.case_id == case_id, Deadline.status == "open")
    ).all()
    return {
        "state": case.state,
        "version": case.version,
        "audit": n(AuditEvent),
        "outbox": n(OutboxMessage),
        "open_deadlines": sorted(open_deadlines),
    }


def test_a_failure_after_the_state_change_leaves_nothing_behind(
    session_factory: SessionFactory, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
    with session_factory() as s:
        before = _counts(s, done.case_id)

    def explode(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full while queueing the letter")

    # The outbox is written last, after the state, audit row and deadlines have changed.
    monkeypatch.setattr(messages, "queue_message", explode)
    with session_factory() as s, pytest.raises(RuntimeError):
        record_event(
            s,
            clock=clock,
            case_ref=done.reference,
            event="acknowledge",
            data=None,
            actor=staff["contact"].actor,
            expected_version=1,
        )
    with session_factory() as s:
        assert _counts(s, done.case_id) == before
    assert before["state"] == "submitted"
    assert before["open_deadlines"] == ["acknowledgement", "threshold_decision"]


@pytest.mark.parametrize(
    ("who", "event", "version", "error"),
    [
        ("contact", "acknowledge", 7, StaleVersion),
        ("contact", "response_issued", 1, InvalidTransition),
        ("csp_chair", "acknowledge", 1, NotAllowed),
        ("melton_jag_chair", "acknowledge", 1, NotAllowed),
        ("appeal_chair", "acknowledge", 1, NotFound),  # an unassigned appeal stays hidden
    ],
    ids=["stale_version", "wrong_state", "wrong_role", "wrong_locality", "unassigned_appeal_chair"],
)
def test_a_refused_event_writes_nothing(
    session_factory: SessionFactory,
    clock: FixedClock,
    who: str,
    event: str,
    version: int,
    error: type[Exception],
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
        before = _counts(s, done.case_id)
    with session_factory() as s, pytest.raises(error):
        record_event(
            s,
            clock=clock,
            case_ref=done.reference,
            event=event,
            data=None,
            actor=staff[who].actor,
            expected_version=version,
        )
    with session_factory() as s:
        assert _counts(s, done.case_id) == before


def test_one_machine_per_workflow_is_built_once_without_auto_transitions() -> None:
    first = machine.machine_for("community_trigger")
    assert machine.machine_for("community_trigger") is first
    assert first.next_state("submitted", "acknowledge") == "acknowledged"
    with pytest.raises(InvalidTransition):
        first.next_state("submitted", "appeal_upheld")
    # auto_transitions=False: there is no to_closed() shortcut around the rules.
    with pytest.raises(InvalidTransition):
        first.next_state("submitted", "to_closed")


def test_twenty_concurrent_events_on_one_version_let_exactly_one_win(
    live_server: str, session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        staff = make_staff(s, clock)
        done = make_case(s, clock)
    headers = {"Authorization": f"Bearer {staff['contact'].token}"}
    barrier = threading.Barrier(20)

    def attempt(_: int) -> int:
        with httpx.Client(base_url=live_server, timeout=60) as http:
            barrier.wait()
            response = http.post(
                f"/api/v1/cases/{done.reference}/events",
                headers=headers,
                json={"event": "acknowledge", "version": 1},
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    assert sorted(statuses) == [200] + [409] * 19
    with session_factory() as s:
        audits = s.exec(select(AuditEvent.trigger).where(AuditEvent.case_id == done.case_id)).all()
        assert audits.count("acknowledge") == 1
        assert _counts(s, done.case_id)["version"] == 2
