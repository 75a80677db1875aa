"""Any JAG event, by anyone, at any time: the JAG case's invariants always hold."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func
from sqlmodel import col, select

from engine import registry
from engine.clock import FixedClock
from engine.db import make_engine, make_session_factory
from engine.errors import EngineError
from engine.models import AuditEvent, Case, Deadline
from engine.services.org import sync_areas
from tests.conftest import on_postgres
from tests.jag_helpers import PERPETRATOR, JagJourney, all_no, all_yes
from workflows.jag_case.definition import WORKING
from workflows.jag_case.models import JagAction, JagPeerReview

WF = registry.workflow("jag_case")
STATES = {s.value for s in WF.states}
RULES = {d.name: d for d in WF.deadlines}
ORDER = [s.value for s in WF.states]
WORKING_STATES = {s.value for s in WORKING}
STAFF_KEYS = (
    "contact",
    "jag_chair",
    "trained_chair",
    "partner",
    "manager",
    "melton_jag_chair",
    "melton_contact",
    "appeal_chair",
)
ROLE_OF = {
    "contact": {"contact"},
    "jag_chair": {"jag_chair"},
    "trained_chair": {"jag_chair", "cessation_chair"},
    "partner": {"partner"},
    "melton_jag_chair": {"peer_reviewer"},
}


def _data(trigger: str, today: Any, pick: int) -> dict[str, Any]:
    later = (today + timedelta(days=7)).isoformat()
    return {
        "accept": {},
        "decline": {"reason": "r"},
        "assess_risk": {"answers": all_yes() if pick % 2 else all_no()},
        "add_subject": {"kind": "perpetrator", **PERPETRATOR},
        "add_action": {"action": "a", "owner": "o", "agency": "Police", "due_on": later},
        "update_action": {
            "action": 1 + pick % 2,
            "status": ("open", "in_progress", "done", "cancelled")[pick % 4],
            "note": "n",
        },
        "record_osara": {"objective": "o"},
        "record_ladder_step": {
            "stage": ("first_letter", "cpw")[pick % 2],
            "taken_on": today.isoformat(),
            "agency": "Police",
            "skip_reason": "urgent",
        },
        "set_review_date": {"review_on": later},
        "request_peer_review": {"reviewer_email": "melton.jag@example.org", "question": "q"},
        "record_peer_review": {"findings": "f"},
        "propose_cessation": {"reason": "risk_reduced", "explanation": "e"},
        "cease": {"reason": "risk_reduced", "explanation": "e"},
        "keep_open": {"reason": "r"},
    }[trigger]


@pytest.mark.skipif(on_postgres(), reason="one database per example: SQLite only")
def test_jag_case_invariants_hold_for_any_sequence_of_events(_template: dict[str, str]) -> None:
    template = Path(_template["path"])
    reached: set[str] = set()

    class JagMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.folder = Path(tempfile.mkdtemp())
            shutil.copyfile(template, self.folder / "t.db")
            self.engine = make_engine(f"sqlite:///{self.folder / 't.db'}")
            self.sessions = make_session_factory(self.engine)
            clock = FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
            with self.sessions() as s:
                sync_areas(s)
            self.j = JagJourney(self.sessions, clock)
            self.j.refer("partner")
            self.last = self._counts()
            self.visited: set[str] = {self.last["state"]}

        def teardown(self) -> None:
            reached.update(self.visited)
            self.engine.dispose()
            shutil.rmtree(self.folder, ignore_errors=True)

        def _counts(self) -> dict[str, Any]:
            with self.sessions() as s:
                case = s.exec(select(Case).where(Case.reference == self.j.ref)).one()
                audit = s.exec(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.case_id == case.id)
                ).one()
                open_rows = s.exec(
                    select(Deadline.name, Deadline.subject).where(
                        Deadline.case_id == case.id, Deadline.status == "open"
                    )
                ).all()
                live = s.exec(
                    select(JagAction.seq).where(
                        JagAction.case_id == case.id,
                        col(JagAction.status).in_(("open", "in_progress")),
                    )
                ).all()
                asked = s.exec(
                    select(func.count())
                    .select_from(JagPeerReview)
                    .where(
                        JagPeerReview.case_id == case.id,
                        col(JagPeerReview.recorded_at).is_(None),
                    )
                ).one()
                return {
                    "state": case.state,
                    "version": case.version,
                    "audit": audit,
                    "open": sorted(name for name, _ in open_rows),
                    "action_clocks": sorted(s_ for n, s_ in open_rows if n == "action_due"),
                    "live_actions": sorted(f"action:{n}" for n in live),
                    "asked": asked,
                }

        @rule(
            trigger=st.sampled_from(sorted(WF.triggers())),
            who=st.sampled_from(STAFF_KEYS),
            days=st.integers(min_value=0, max_value=20),
            pick=st.integers(min_value=0, max_value=7),
        )
        def fire(self, trigger: str, who: str, days: int, pick: int) -> None:
            self._attempt(trigger, who, days, pick)

        @rule(
            data=st.data(),
            days=st.integers(min_value=0, max_value=20),
            pick=st.integers(min_value=0, max_value=7),
        )
        def fire_a_possible_event(self, data: st.DataObject, days: int, pick: int) -> None:
            """Steer towards the deeper states: an event the current state offers."""
            state = self.last["state"]
            options = sorted(
                WF.transitions_from(state),
                key=lambda t: (t.dest == state, ORDER.index(str(t.dest)) < ORDER.index(state)),
            )
            if options:
                t = data.draw(st.sampled_from(options))
                people = [k for k in STAFF_KEYS if ROLE_OF.get(k, set()) & set(t.roles)]
                if people:
                    self._attempt(t.trigger, data.draw(st.sampled_from(people)), days, pick)

        def _attempt(self, trigger: str, who: str, days: int, pick: int) -> None:
            self.j.clock.advance(days=days)
            before = self._counts()
            accepted = True
            try:
                self.j.fire(trigger, who, _data(trigger, self.j.clock.today(), pick))
            except EngineError:
                accepted = False
            after = self._counts()
            if accepted:
                assert after["version"] == before["version"] + 1
                assert after["audit"] == before["audit"] + 1
            else:
                assert after == before, "a refused event must write nothing"
            self.last = after
            self.visited.add(after["state"])

        @invariant()
        def state_is_declared(self) -> None:
            assert self.last["state"] in STATES

        @invariant()
        def one_audit_row_per_version(self) -> None:
            assert self.last["audit"] == self.last["version"]

        @invariant()
        def open_deadlines_belong_to_the_current_state(self) -> None:
            for name in self.last["open"]:
                assert self.last["state"] in RULES[name].while_in

        @invariant()
        def a_working_case_has_one_review_date(self) -> None:
            expected = 1 if self.last["state"] in WORKING_STATES else 0
            assert self.last["open"].count("jag_review") == expected
            assert self.last["open"].count("risk_reassessment") <= 1

        @invariant()
        def each_live_action_has_one_open_clock(self) -> None:
            if self.last["state"] in WORKING_STATES:
                assert self.last["action_clocks"] == self.last["live_actions"]
            else:
                assert self.last["action_clocks"] == []

        @invariant()
        def a_peer_review_is_open_exactly_while_asked(self) -> None:
            asked = self.last["state"] == "peer_review_requested"
            assert self.last["asked"] == (1 if asked else 0)
            assert self.last["open"].count("peer_review") == (1 if asked else 0)

    run_state_machine_as_test(
        JagMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            database=None,
            # The same 60 examples every run (they reach cessation): a random draw of 25
            # sometimes did not, so the test passed or failed by chance.
            derandomize=True,
        ),
    )
    assert {"active", "peer_review_requested", "cessation_proposed", "ceased"} <= reached
