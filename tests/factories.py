"""Builders for test data: applications, staff with tokens, cases in a given state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from engine import case_detail
from engine.access import Actor, load_actor
from engine.clock import Clock
from engine.models import Case, User
from engine.services.staff import add_user, create_token
from workflows.community_trigger.services.applications import ApplicationIn
from workflows.community_trigger.services.intake import Submitted, submit_application

STAFF = {
    "contact": ("contact@example.org", "leicester"),
    "jag_chair": ("jag@example.org", "leicester"),
    "csp_chair": ("csp@example.org", "leicester"),
    "appeal_chair": ("appeal@example.org", "melton"),
    "manager": ("manager@example.org", None),
    "admin": ("admin@example.org", None),
    "melton_jag_chair": ("melton.jag@example.org", "melton"),
    "blaby_appeal_chair": ("blaby.appeal@example.org", "blaby"),
}


@dataclass(frozen=True)
class StaffMember:
    email: str
    actor: Actor
    token: str


def make_staff(session: Session, clock: Clock) -> dict[str, StaffMember]:
    """One user per role in Leicester, plus a Melton JAG chair and two appeal chairs."""
    people = {}
    for key, (email, locality) in STAFF.items():
        role = key.split("_", 1)[1] if key.startswith(("melton_", "blaby_")) else key
        add_user(
            session,
            clock=clock,
            email=email,
            name=key.replace("_", " ").title(),
            role=role,
            locality=locality,
        )
        token = create_token(session, clock=clock, email=email)
        user = session.exec(select(User).where(User.email == email)).one()
        people[key] = StaffMember(email, load_actor(session, user), token)
    return people


def application_body(
    *,
    today: date,
    incidents: int = 3,
    locality: str = "leicester",
    days_ago: int = 20,
    email: str = "victim@example.org",
    hate: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A JSON application body with `incidents` separate incidents, each reported next day."""
    items = []
    for i in range(incidents):
        happened = today - timedelta(days=days_ago + 7 * i)
        items.append(
            {
                "date": happened.isoformat(),
                "description": f"Incident {i + 1}: shouting at night.",
                "hate_incident": hate,
                "reports": [
                    {
                        "agency": "police",
                        "reported_date": (happened + timedelta(days=1)).isoformat(),
                        "reference": f"PR{i + 1}",
                    }
                ],
            }
        )
    body = {
        "locality": locality,
        "consent_to_share": True,
        "declaration": True,
        "applicant": {"name": "Val Victim", "email": email, "role": "victim"},
        "incidents": items,
    }
    body.update(extra)
    return body


def make_case(session: Session, clock: Clock, **kwargs: Any) -> Submitted:
    body = application_body(today=clock.today(), **kwargs)
    return submit_application(session, clock=clock, application=ApplicationIn.model_validate(body))


def case_row(i: int, now: datetime, today: date) -> dict[str, object]:
    """The values of a submitted Leicester case row, for tests that write rows directly."""
    return {
        "reference": f"CT-2026-{i + 1:06d}",
        "area_id": "llr",
        "locality_id": "leicester",
        "workflow_name": "community_trigger",
        "workflow_version": 1,
        "state": "submitted",
        "version": 1,
        "channel": "online",
        "submitted_at": now,
        "updated_at": now,
        "application_on": today,
        "hate_incident": False,
        "consent_to_share": True,
        "declaration": True,
        "contact_preference": "email",
        "status_token_hash": f"{i:064d}",
        "threshold_assessment": {},
    }


def load_case(session: Session, reference: str) -> Any:
    """The case with its workflow's detail row, read as one (engine.case_detail)."""
    found = case_detail.load(session, reference)
    assert found is not None, f"no case {reference}"
    return found


def case_parts(
    rows: list[dict[str, object]],
) -> tuple[list[dict[str, object]], list[dict[str, Any]]]:
    """case_row values split into case_record rows and ct_case rows (ids 1, 2, ... in order),
    for tests that write rows directly into a database at the head revision."""
    generic = set(Case.model_fields)
    cases = [{k: v for k, v in r.items() if k in generic} for r in rows]
    details = [
        {"case_id": n + 1, **{k: v for k, v in r.items() if k not in generic}}
        for n, r in enumerate(rows)
    ]
    return cases, details
