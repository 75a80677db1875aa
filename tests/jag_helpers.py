"""Builders for JAG case tests: staff (with a partner and a chair trained in cessation),
a referral, and events fired as one person in a fresh session each time."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from engine.access import Actor, load_actor
from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import Case, User
from engine.services.cases import record_event
from engine.services.staff import add_user, create_token, grant_role
from tests.factories import StaffMember, make_staff
from workflows.jag_case.area import jag_area
from workflows.jag_case.services import case_view, refer

# Beyond tests.factories.STAFF: a partner agency's officer in Leicester, a Leicester JAG
# chair trained in cessation, and a Melton point of contact.
MORE_STAFF = {
    "partner": ("partner@example.org", "leicester", ("partner",)),
    "trained_chair": ("trained@example.org", "leicester", ("jag_chair", "cessation_trained")),
    "melton_contact": ("melton.contact@example.org", "melton", ("contact",)),
    "melton_partner": ("melton.partner@example.org", "melton", ("partner",)),
}

VICTIM = {"name": "Ann O'Brien", "date_of_birth": "1961-04-09"}
PERPETRATOR = {"name": "Dean Parks", "date_of_birth": "2001-11-30"}
PLACE = {"label": "Victoria Park, Granville Road gates", "postcode": "LE1 7RU"}


def all_yes(area_id: str = "llr", **overrides: bool) -> dict[str, bool]:
    return {q.id: overrides.get(q.id, True) for q in jag_area(area_id).questions}


def all_no(area_id: str = "llr", **overrides: bool) -> dict[str, bool]:
    return {q.id: overrides.get(q.id, False) for q in jag_area(area_id).questions}


def make_jag_staff(session: Session, clock: FixedClock) -> dict[str, StaffMember]:
    staff = make_staff(session, clock)
    for key, (email, locality, roles) in MORE_STAFF.items():
        user = add_user(
            session,
            clock=clock,
            email=email,
            name=key.replace("_", " ").title(),
            role=roles[0],
            locality=locality,
        )
        for role in roles[1:]:
            grant_role(session, user=user, role=role, locality=locality)
        session.commit()
        token = create_token(session, clock=clock, email=email)
        staff[key] = StaffMember(email, load_actor(session, user), token)
    return staff


def reload_actor(session: Session, email: str) -> Actor:
    return load_actor(session, session.exec(select(User).where(User.email == email)).one())


class JagJourney:
    def __init__(self, sessions: SessionFactory, clock: FixedClock) -> None:
        self.sessions, self.clock = sessions, clock
        with sessions() as s:
            self.staff = make_jag_staff(s, clock)
        self.ref = ""

    def refer(self, who: str = "partner", **kwargs: Any) -> str:
        body: dict[str, Any] = {
            "area_id": "llr",
            "locality_id": "leicester",
            "subject_kind": "victim",
            "subject": VICTIM,
            "reason": "Repeated targeted harassment by neighbours' visitors.",
            "agencies": ["Police", "Housing provider"],
        }
        body.update(kwargs)
        with self.sessions() as s:
            case = refer(s, clock=self.clock, actor=self.staff[who].actor, **body)
            self.ref = case.reference
        return self.ref

    def fire(
        self, event: str, who: str, data: dict[str, Any] | None = None, ref: str | None = None
    ) -> Case:
        with self.sessions() as s:
            ref = ref or self.ref
            version = s.exec(select(Case.version).where(Case.reference == ref)).one()
            return record_event(
                s,
                clock=self.clock,
                case_ref=ref,
                event=event,
                data=data,
                actor=self.staff[who].actor,
                expected_version=version,
            )

    def view(self, who: str = "jag_chair", ref: str | None = None) -> dict[str, Any]:
        with self.sessions() as s:
            case = s.exec(select(Case).where(Case.reference == (ref or self.ref))).one()
            return case_view(s, case, self.staff[who].actor, clock=self.clock)

    def state(self, ref: str | None = None) -> str:
        with self.sessions() as s:
            return s.exec(select(Case.state).where(Case.reference == (ref or self.ref))).one()

    def today(self, days: int = 0) -> str:
        from datetime import timedelta

        return (self.clock.today() + timedelta(days=days)).isoformat()
