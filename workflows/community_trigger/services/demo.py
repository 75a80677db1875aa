"""Demo data for `make run`: LLR's organisation, one user per role, cases in several states."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from engine.access import Actor, load_actor
from engine.clock import Clock
from engine.models import Case, User
from engine.services.auth import set_password
from engine.services.cases import record_event
from engine.services.org import sync_areas
from engine.services.staff import add_user, create_token
from workflows.community_trigger.services.applications import ApplicationIn
from workflows.community_trigger.services.intake import submit_application

DEMO_USERS = (
    ("contact@example.org", "Casey Contact", "contact", "leicester"),
    ("jag.chair@example.org", "Jordan JAG Chair", "jag_chair", "leicester"),
    ("csp.chair@example.org", "Sam CSP Chair", "csp_chair", "leicester"),
    ("appeal.chair@example.org", "Alex Appeal Chair", "appeal_chair", "melton"),
    ("manager@example.org", "Morgan Manager", "manager", None),
    ("admin@example.org", "Ash Admin", "admin", None),
)
DEMO_PASSWORD = "demo-password-1"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    locality: str | None
    token: str
    password: str
    totp_secret: str


def load_demo_data(session: Session, *, clock: Clock) -> list[DemoLogin]:
    """Idempotent: organisation and users are upserted; cases are added only once."""
    sync_areas(session)
    for email, name, role, locality in DEMO_USERS:
        add_user(session, clock=clock, email=email, name=name, role=role, locality=locality)
    if session.exec(select(Case).limit(1)).first() is None:
        _demo_cases(session, clock)
    return [
        _login(session, clock, email, role, locality) for email, _n, role, locality in DEMO_USERS
    ]


def _login(
    session: Session, clock: Clock, email: str, role: str, locality: str | None
) -> DemoLogin:
    # The TOTP secret survives a reload, so an authenticator set up once keeps working.
    enrolled = set_password(session, clock=clock, email=email, password=DEMO_PASSWORD)
    token = create_token(session, clock=clock, email=email)
    return DemoLogin(email, role, locality, token, DEMO_PASSWORD, enrolled.totp_secret)


def demo_application(
    name: str, *, locality: str, incidents: int, today_offset: int, clock: Clock
) -> ApplicationIn:
    today = clock.today()
    items = [
        {
            "date": (today - timedelta(days=today_offset + 10 * i)).isoformat(),
            "description": f"Shouting and banging at night, incident {i + 1}.",
            "reports": [
                {
                    "agency": "police",
                    "reported_date": (
                        today - timedelta(days=today_offset + 10 * i - 1)
                    ).isoformat(),
                }
            ],
        }
        for i in range(incidents)
    ]
    return ApplicationIn.model_validate(
        {
            "locality": locality,
            "consent_to_share": True,
            "declaration": True,
            "applicant": {
                "name": name,
                "email": f"{name.split()[0].lower()}@example.org",
                "role": "victim",
            },
            "incidents": items,
        }
    )


def _actor(session: Session, email: str) -> Actor:
    user = session.exec(select(User).where(User.email == email)).one()
    return load_actor(session, user)


def _demo_cases(session: Session, clock: Clock) -> None:
    contact, chair = _actor(session, DEMO_USERS[0][0]), _actor(session, DEMO_USERS[1][0])
    csp = _actor(session, DEMO_USERS[2][0])
    today = clock.today()
    people = ["PC Shah, Leicestershire Police", "Dee Ray, Leicester City Council ASB team"]
    meeting = {"attendees": people, "victim_involvement": "attend"}
    report = {
        "findings": "Reports to the police and the council were never linked.",
        "recommendations": [
            {
                "recipient_body": "Leicester City Council",
                "action": "Install noise monitoring in the flat above",
                "owner": "ASB team",
                "due_on": (today + timedelta(days=28)).isoformat(),
            },
            {"recipient_body": "Leicestershire Police", "action": "Share incident logs weekly"},
        ],
    }
    plans = [
        ("Pat Newcase", 3, []),
        ("Robin Waiting", 3, [("acknowledge", contact, {})]),
        (
            "Lee Threshold",
            3,
            [
                ("acknowledge", contact, {}),
                ("threshold_met", chair, {"reasons": "Three incidents."}),
            ],
        ),
        (
            "Kim Notmet",
            1,
            [
                ("acknowledge", contact, {}),
                ("threshold_not_met", chair, {"reasons": "One incident."}),
            ],
        ),
        ("Jo Withdrawn", 3, [("withdrawn", contact, {"reason": "Moved house."})]),
        (
            "Drew Meeting",  # a review meeting next week: the papers' clock is running
            3,
            [
                ("acknowledge", contact, {}),
                ("threshold_met", chair, {"reasons": "Three incidents."}),
                (
                    "review_meeting_arranged",
                    chair,
                    {**meeting, "meeting_date": (today + timedelta(days=7)).isoformat()},
                ),
            ],
        ),
        (
            "Sam Responded",  # reviewed and answered: a letter, recommendations being chased
            3,
            [
                ("acknowledge", contact, {}),
                ("threshold_met", chair, {"reasons": "Three incidents."}),
                ("review_meeting_arranged", chair, {**meeting, "meeting_date": today.isoformat()}),
                ("review_meeting_held", chair, {**meeting, "held_on": today.isoformat()}),
                ("jag_report_recorded", chair, report),
                ("response_issued", csp, {"summary": "We will act on both recommendations."}),
            ],
        ),
    ]
    for name, incidents, steps in plans:
        app = demo_application(
            name, locality="leicester", incidents=incidents, today_offset=5, clock=clock
        )
        done = submit_application(session, clock=clock, application=app)
        for version, (event, actor, data) in enumerate(steps, start=1):
            record_event(
                session,
                clock=clock,
                case_ref=done.reference,
                event=event,
                data=data,
                actor=actor,
                expected_version=version,
            )
