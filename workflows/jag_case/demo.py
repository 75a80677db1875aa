"""JAG demo data for `make run`: a partner officer and four cases a chair can work on.

A victim referral accepted and assessed high risk with an action plan, a perpetrator on the
Incremental Approach, a place with its problem-solving record, and a referral waiting to
be accepted. Added once, beside the Community Trigger's demo cases.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from engine.access import load_actor
from engine.clock import Clock
from engine.models import Case, User
from engine.services.auth import set_password
from engine.services.cases import record_event
from engine.services.staff import add_user, create_token
from workflows.jag_case.area import jag_area
from workflows.jag_case.services import refer

PARTNER = ("partner@example.org", "Pat Partner", "partner", "leicester")
CHAIR = "jag.chair@example.org"
HIGH_RISK = (
    "repeat",
    "ongoing",
    "targeted",
    "hate",
    "afraid_at_home",
    "physical_harm",
    "property_damage",
    "health",
    "isolated",
    "considering_moving",
)


def load_jag_demo(
    session: Session, *, clock: Clock, password: str
) -> list[tuple[str, str, str | None, str, str]]:
    """The partner's login (email, role, locality, API token, TOTP secret); the JAG cases
    are added only on the first load."""
    email, name, role, locality = PARTNER
    add_user(session, clock=clock, email=email, name=name, role=role, locality=locality)
    # The demo JAG chair may record cessation (an admin marks chairs trained in it).
    add_user(
        session,
        clock=clock,
        email=CHAIR,
        name="Jordan JAG Chair",
        role="cessation_trained",
        locality="leicester",
    )
    enrolled = set_password(session, clock=clock, email=email, password=password)
    token = create_token(session, clock=clock, email=email)
    has_jag = session.exec(select(Case).where(Case.workflow_name == "jag_case").limit(1))
    if has_jag.first() is None:
        _cases(session, clock)
    return [(email, role, locality, token, enrolled.totp_secret)]


def _actor(session: Session, email: str):  # type: ignore[no-untyped-def]
    user = session.exec(select(User).where(User.email == email)).one()
    return load_actor(session, user)


def _refer(
    session: Session, clock: Clock, kind: str, subject: dict, reason: str, agencies: list[str]
) -> Case:
    return refer(
        session,
        clock=clock,
        actor=_actor(session, PARTNER[0]),
        area_id="llr",
        locality_id="leicester",
        subject_kind=kind,
        subject=subject,
        reason=reason,
        agencies=agencies,
    )


def _events(session: Session, clock: Clock, case: Case, *steps: tuple[str, dict]) -> Case:
    chair = _actor(session, CHAIR)
    for event, data in steps:
        case = record_event(
            session,
            clock=clock,
            case_ref=case.reference,
            event=event,
            data=data,
            actor=chair,
            expected_version=case.version,
        )
    return case


def _cases(session: Session, clock: Clock) -> None:
    today = clock.today()
    questions = jag_area("llr").questions
    victim = _refer(
        session,
        clock,
        "victim",
        {"name": "Dana Whitfield", "date_of_birth": "1958-03-14", "postcode": "LE2 1AB"},
        "Repeated harassment and damage to her front door by a group of youths since the "
        "summer; she no longer goes out after dark.",
        ["Police", "Council", "Housing provider"],
    )
    _events(
        session,
        clock,
        victim,
        ("accept", {"review_on": (today + timedelta(days=28)).isoformat()}),
        (
            "assess_risk",
            {
                "answers": {q.id: q.id in HIGH_RISK for q in questions},
                "repeat_victim": True,
                "vulnerable": True,
            },
        ),
        (
            "add_action",
            {
                "action": "Fit a door camera and a letterbox guard",
                "owner": "Lee Cole",
                "agency": "Housing provider",
                "due_on": (today + timedelta(days=10)).isoformat(),
            },
        ),
        (
            "add_action",
            {
                "action": "Extra patrols on Granby Road, evenings",
                "owner": "PC Ahmed",
                "agency": "Police",
                "due_on": (today + timedelta(days=5)).isoformat(),
            },
        ),
    )
    perpetrator = _refer(
        session,
        clock,
        "perpetrator",
        {"name": "Tyler Brooks", "date_of_birth": "2007-09-02", "postcode": "LE2 1AD"},
        "Named in several reports of intimidation on Granby Road.",
        ["Police", "Youth services"],
    )
    _events(
        session,
        clock,
        perpetrator,
        ("accept", {"review_on": (today + timedelta(days=28)).isoformat()}),
        (
            "record_ladder_step",
            {
                "stage": "first_letter",
                "agency": "Police",
                "taken_on": (today - timedelta(days=40)).isoformat(),
            },
        ),
        (
            "record_ladder_step",
            {
                "stage": "second_letter",
                "agency": "Youth services",
                "taken_on": (today - timedelta(days=12)).isoformat(),
            },
        ),
    )
    place = _refer(
        session,
        clock,
        "place",
        {"label": "Spinney Hill Park, the play area by the Mere Road gate", "postcode": "LE5 3GH"},
        "Drinking, fires and broken glass in the play area most weekends.",
        ["Council", "Police", "Fire and rescue"],
    )
    _events(
        session,
        clock,
        place,
        ("accept", {"review_on": (today + timedelta(days=28)).isoformat()}),
        (
            "record_osara",
            {
                "objective": "A play area families can use safely at weekends.",
                "scanning": "14 reports in 3 months, mostly Friday and Saturday after 9 pm.",
                "analysis": "The gate is left open and the lighting by the shelter is broken.",
            },
        ),
    )
    _refer(
        session,
        clock,
        "problem",
        {"label": "Off-road bikes on the Braunstone Park paths", "postcode": "LE3 1HH"},
        "Residents report bikes ridden at speed on the paths near the school at home time.",
        ["Police", "Council"],
    )
