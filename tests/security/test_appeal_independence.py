"""Appeal independence: nobody with a grant in the case's locality, or who recorded any
decision on the case, can be named its appeal chair (issue 16, hole 3)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.errors import EngineError
from engine.models import RoleGrant
from engine.services.cases import record_event
from engine.services.staff import add_user
from tests.factories import load_case, make_case, make_staff


def _fire(sessions: SessionFactory, clock: FixedClock, ref: str, event: str, actor, data=None):  # type: ignore[no-untyped-def]
    with sessions() as s:
        version = load_case(s, ref).version
        return record_event(
            s,
            clock=clock,
            case_ref=ref,
            event=event,
            data=data,
            actor=actor,
            expected_version=version,
        )


def _not_met_and_appealed(sessions: SessionFactory, clock: FixedClock):  # type: ignore[no-untyped-def]
    with sessions() as s:
        staff = make_staff(s, clock)
        ref = make_case(s, clock, incidents=1).reference
    _fire(sessions, clock, ref, "acknowledge", staff["contact"].actor)
    _fire(sessions, clock, ref, "threshold_not_met", staff["jag_chair"].actor, {"reasons": "One."})
    _fire(
        sessions,
        clock,
        ref,
        "appeal_lodged",
        staff["contact"].actor,
        {"ground": "process_not_considered", "details": "x"},
    )
    return staff, ref


def test_a_chair_with_grants_in_two_places_cannot_hear_the_appeal_against_their_decision(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    staff, ref = _not_met_and_appealed(session_factory, clock)
    # The Leicester JAG chair who decided "not met" is also an appeal chair in Blaby.
    with session_factory() as s:
        add_user(
            s,
            clock=clock,
            email=staff["jag_chair"].email,
            name="Jag",
            role="appeal_chair",
            locality="blaby",
        )
    with pytest.raises(EngineError) as refused:
        _fire(
            session_factory,
            clock,
            ref,
            "appeal_papers_sent",
            staff["contact"].actor,
            {"appeal_chair_email": staff["jag_chair"].email},
        )
    assert refused.value.field == "data.appeal_chair_email"
    with session_factory() as s:
        case = load_case(s, ref)
        assert case.state == "appeal_lodged" and case.appeal_chair_id is None


def test_any_grant_in_the_cases_locality_refuses_the_appeal_chair(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    staff, ref = _not_met_and_appealed(session_factory, clock)
    # The Melton appeal chair also works as a point of contact in Leicester.
    with session_factory() as s:
        add_user(
            s,
            clock=clock,
            email=staff["appeal_chair"].email,
            name="A",
            role="contact",
            locality="leicester",
        )
    with pytest.raises(EngineError):
        _fire(
            session_factory,
            clock,
            ref,
            "appeal_papers_sent",
            staff["contact"].actor,
            {"appeal_chair_email": staff["appeal_chair"].email},
        )


def test_someone_who_recorded_a_decision_is_refused_even_after_their_grant_went(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    staff, ref = _not_met_and_appealed(session_factory, clock)
    with session_factory() as s:
        add_user(
            s,
            clock=clock,
            email=staff["jag_chair"].email,
            name="Jag",
            role="appeal_chair",
            locality="blaby",
        )
        for grant in s.exec(select(RoleGrant).where(RoleGrant.role == "jag_chair")).all():
            if grant.locality_id == "leicester":
                s.delete(grant)
        s.commit()
    with pytest.raises(EngineError):
        _fire(
            session_factory,
            clock,
            ref,
            "appeal_papers_sent",
            staff["contact"].actor,
            {"appeal_chair_email": staff["jag_chair"].email},
        )


def test_an_independent_chair_is_still_accepted(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    staff, ref = _not_met_and_appealed(session_factory, clock)
    case = _fire(
        session_factory,
        clock,
        ref,
        "appeal_papers_sent",
        staff["contact"].actor,
        {"appeal_chair_email": staff["appeal_chair"].email},
    )
    assert case.state == "appeal_papers_sent"
