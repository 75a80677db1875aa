"""The access matrix: every staff role x locality x staff route and event, allowed or refused.

The expected answer is worked out here from the rules in the issue (locality for case
workers, the whole area for managers, assignment for appeal chairs; the workflow's roles for
events), independently of engine.access, and every pair is asked over HTTP. A refusal that
would confirm a case exists is a 404: an appeal chair asking for an appeal not assigned to
them is told there is no such case; staff of another locality in the same area get 403.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from sqlmodel import Session, func, select

from engine import registry
from engine.access import load_actor
from engine.clock import FixedClock
from engine.models import Case, Document, OutboxMessage, User
from engine.services import auth
from engine.services.cases import record_event
from engine.services.staff import add_user, create_token
from tests.factories import load_case, make_case

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
LOCALITIES = ("leicester", "melton", "blaby")
CASE_ROLES = ("contact", "jag_chair", "csp_chair", "appeal_chair")
USERS = [(role, loc) for loc in LOCALITIES for role in CASE_ROLES] + [
    ("manager", None),
    ("admin", None),
]
WF = registry.workflow("community_trigger")
TRIGGERS = sorted({t.trigger for t in WF.transitions})
APPEAL_CHAIR = ("appeal_chair", "melton")


@dataclass(frozen=True)
class CaseSpec:
    key: str
    locality: str
    state: str
    appeal_chair: tuple[str, str] | None = None


CASES = [CaseSpec(f"new-{loc}", loc, "submitted") for loc in LOCALITIES] + [
    CaseSpec("appeal-leicester", "leicester", "appeal_papers_sent", APPEAL_CHAIR)
]
KEYS = {c.key for c in CASES}


def email(role: str, locality: str | None) -> str:
    return f"{role}.{locality or 'area'}@example.org"


def may_read(user: tuple[str, str | None], case: CaseSpec) -> bool:
    role, locality = user
    if role in ("manager", "admin"):
        return True
    if role == "appeal_chair":
        return case.appeal_chair == user
    return locality == case.locality


def refused(user: tuple[str, str | None]) -> int:
    """How a user who may not read a case is refused: 404 where 403 would leak that it exists."""
    return 404 if user[0] == "appeal_chair" else 403


def is_manager(user: tuple[str, str | None]) -> bool:
    return user[0] in ("manager", "admin")


def is_admin(user: tuple[str, str | None]) -> bool:
    return user[0] == "admin"


def takes_in(user: tuple[str, str | None]) -> bool:
    """Points of contact and JAG chairs enter applications and complaints for someone."""
    return user[0] in ("contact", "jag_chair")


def event_status(user: tuple[str, str | None], case: CaseSpec, trigger: str) -> int:
    """200 when the form is offered; 403 when refused; 404 when no such step is there."""
    if not may_read(user, case):
        return refused(user)
    tdef = WF.transition(trigger, case.state)
    if tdef is None:
        return 404
    if user[0] not in tdef.roles:
        return 403
    # Issue 10: recommendations are updated in every state after a response, but only once
    # a response has issued one; none of the matrix's cases has an issued response.
    return 403 if trigger in NEEDS_ISSUED_RECOMMENDATION else 200


NEEDS_ISSUED_RECOMMENDATION = ("recommendation_updated",)


def plan(user: tuple[str, str | None]) -> list[tuple[str, str, str | None, int]]:
    """(method, path template, case key, expected status) for one user."""
    checks: list[tuple[str, str, str | None, int]] = [
        ("GET", "/staff", None, 200),
        ("GET", "/staff/process", None, 200),
        ("GET", "/staff/overdue", None, 200 if is_manager(user) else 403),
        ("GET", "/staff/overdue.csv", None, 200 if is_manager(user) else 403),
        ("GET", "/staff/dead-letters", None, 200 if is_manager(user) else 403),
        ("POST", "/staff/dead-letters/{dead}/retry", None, 303 if is_manager(user) else 403),
        ("GET", "/staff/applications/new", None, 200 if takes_in(user) else 403),
        ("GET", "/staff/complaints/new", None, 200 if takes_in(user) else 403),
        # An empty form: refused for want of the role, else the error summary (nothing stored).
        ("POST", "/staff/applications/new", None, 422 if takes_in(user) else 403),
        ("POST", "/staff/complaints/new", None, 422 if takes_in(user) else 403),
        # Everyone may search, and sees only what they may open (see the test below).
        ("GET", "/staff/cases", None, 200),
        ("GET", "/staff/cases.csv", None, 200),
        ("GET", "/staff/users", None, 200 if is_admin(user) else 403),
        ("GET", "/staff/users/new", None, 200 if is_admin(user) else 403),
        ("POST", "/staff/users/new", None, 422 if is_admin(user) else 403),
    ]
    for case in CASES:
        readable = may_read(user, case)
        checks.append(("GET", "/staff/cases/{ref}", case.key, 200 if readable else refused(user)))
        ledger = 200 if readable and is_manager(user) else 403 if readable else refused(user)
        checks.append(("GET", "/staff/cases/{ref}/reminders", case.key, ledger))
        # Only a manager changes the named contact; an empty form changes nothing (422).
        handover = 200 if readable and user[0] == "manager" else 403 if readable else refused(user)
        checks.append(("GET", "/staff/cases/{ref}/contact", case.key, handover))
        checks.append(
            ("POST", "/staff/cases/{ref}/contact", case.key, 422 if handover == 200 else handover)
        )
        api_read = 200 if readable else refused(user)
        if case.state == "appeal_papers_sent":  # its appeal pack was written with the event
            checks.append(("GET", "/staff/cases/{ref}/documents/{doc}", case.key, api_read))
        checks.append(("API-GET", "/api/v1/cases/{ref}", case.key, api_read))
        for trigger in TRIGGERS:
            expected = event_status(user, case, trigger)
            checks.append(("GET", f"/staff/cases/{{ref}}/events/{trigger}", case.key, expected))
            if expected != 200:
                checks.append(
                    ("POST", f"/staff/cases/{{ref}}/events/{trigger}", case.key, expected)
                )
            api = api_event_status(user, case, trigger)
            if api is not None:
                checks.append(
                    ("API-POST", f"/api/v1/cases/{{ref}}/events#{trigger}", case.key, api)
                )
    return checks


def api_event_status(user: tuple[str, str | None], case: CaseSpec, trigger: str) -> int | None:
    """The API's answer to firing an event; None where it would be allowed (not fired here)."""
    if not may_read(user, case):
        return refused(user)
    tdef = WF.transition(trigger, case.state)
    if tdef is None:
        return 409
    return None if user[0] in tdef.roles else 403


def test_the_matrix_has_at_least_a_thousand_checks() -> None:
    assert sum(len(plan(u)) for u in USERS) >= 1000


def build_world(session: Session, clock: FixedClock) -> dict[str, str]:
    for role, locality in USERS:
        add_user(
            session,
            clock=clock,
            email=email(role, locality),
            name=f"{role} {locality}",
            role=role,
            locality=locality,
        )
    refs = {
        c.key: make_case(session, clock, locality=c.locality).reference
        for c in CASES
        if c.state == "submitted"
    }
    refs["appeal-leicester"] = _appeal_case(session, clock)
    refs["dead"] = str(_dead_letter(session, clock, refs["new-leicester"]))
    appeal = load_case(session, refs["appeal-leicester"])
    refs["doc"] = str(session.exec(select(Document.id).where(Document.case_id == appeal.id)).one())
    return refs


def _dead_letter(session: Session, clock: FixedClock, ref: str) -> int:
    """A message that failed for good on a Leicester case."""
    case = load_case(session, ref)
    row = OutboxMessage(
        case_id=case.id,
        message="application_received",
        recipient="victim@example.org",
        recipient_role="applicant",
        idempotency_key=f"matrix-dead-{ref}",
        status="dead",
        attempts=5,
        created_at=clock.now(),
        next_attempt_at=clock.now(),
        last_error="mailbox full",
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id


def _appeal_case(session: Session, clock: FixedClock) -> str:
    ref = make_case(session, clock, incidents=1).reference
    contact, chair = (
        _actor(session, "contact", "leicester"),
        _actor(session, "jag_chair", "leicester"),
    )
    steps: list[tuple[str, Any, dict[str, Any] | None]] = [
        ("acknowledge", contact, None),
        ("threshold_not_met", chair, {"reasons": "One incident."}),
        ("appeal_lodged", contact, {"ground": "process_not_considered", "details": "Missed."}),
        ("appeal_papers_sent", contact, {"appeal_chair_email": email(*APPEAL_CHAIR)}),
    ]
    for version, (event, actor, data) in enumerate(steps, start=1):
        record_event(
            session,
            clock=clock,
            case_ref=ref,
            event=event,
            data=data,
            actor=actor,
            expected_version=version,
        )
    return ref


def _actor(session: Session, role: str, locality: str) -> Any:
    user = session.exec(select(User).where(User.email == email(role, locality))).one()
    return load_actor(session, user)


def signed_in_client(app: Any, session: Session, clock: FixedClock, address: str) -> Any:
    from fastapi.testclient import TestClient

    secret = auth.set_password(session, clock=clock, email=address, password="matrix-password-1")
    pending = auth.check_password(session, clock=clock, email=address, password="matrix-password-1")
    code = pyotp.TOTP(secret.totp_secret).at(clock.now())
    token = auth.check_code(session, clock=clock, pending_token=pending, code=code)
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies.set("ct_staff", token)
    return client


@pytest.mark.parametrize("user", USERS, ids=[f"{r}-{loc or 'area'}" for r, loc in USERS])
def test_each_route_and_event_answers_as_the_rules_say(
    app: Any, session: Session, clock: FixedClock, user: tuple[str, str | None]
) -> None:
    refs = build_world(session, clock)
    versions = {ref: _version(session, ref) for key, ref in refs.items() if key in KEYS}
    client = signed_in_client(app, session, clock, email(*user))
    bearer = {"Authorization": f"Bearer {create_token(session, clock=clock, email=email(*user))}"}
    csrf = CSRF.search(client.get("/staff").text)
    assert csrf is not None
    wrong = []
    for method, template, key, expected in plan(user):
        path = template.format(ref=refs[key] if key else "", dead=refs["dead"], doc=refs["doc"])
        if method == "GET":
            got = client.get(path, follow_redirects=False).status_code
        elif method == "API-GET":
            got = client.get(path, headers=bearer).status_code
        elif method == "API-POST":
            path, trigger = path.split("#")
            body = {"event": trigger, "version": versions[refs[key]]}
            got = client.post(path, json=body, headers=bearer).status_code
        else:
            data = {"csrf_token": csrf.group(1)}
            if key:
                data["version"] = str(versions[refs[key]])
            got = client.post(path, data=data, follow_redirects=False).status_code
        if got != expected:
            wrong.append((method, path, expected, got))
    assert wrong == []
    session.expire_all()
    assert {ref: _version(session, ref) for key, ref in refs.items() if key in KEYS} == versions
    assert session.exec(select(func.count()).select_from(Case)).one() == len(KEYS)


def _version(session: Session, ref: str) -> int:
    return load_case(session, ref).version


def test_a_hidden_case_answers_exactly_like_a_missing_one(
    app: Any, session: Session, clock: FixedClock
) -> None:
    """An unassigned appeal chair learns nothing: same status and words as a missing case."""
    refs = build_world(session, clock)
    hidden, missing = refs["appeal-leicester"], "CT-2099-999999"
    body = {"event": "appeal_decided", "version": _version(session, hidden)}
    session.rollback()  # no read left open while the app writes
    chair = ("appeal_chair", "blaby")
    client = signed_in_client(app, session, clock, email(*chair))
    bearer = {"Authorization": f"Bearer {create_token(session, clock=clock, email=email(*chair))}"}
    for path in ("/staff/cases/{}", "/staff/cases/{}/reminders", "/api/v1/cases/{}"):
        headers = bearer if path.startswith("/api") else {}
        seen = client.get(path.format(hidden), headers=headers)
        unknown = client.get(path.format(missing), headers=headers)
        assert seen.status_code == unknown.status_code == 404, path
        assert seen.text.replace(hidden, "REF") == unknown.text.replace(missing, "REF"), path
    fired = client.post(f"/api/v1/cases/{hidden}/events", json=body, headers=bearer)
    unknown = client.post(f"/api/v1/cases/{missing}/events", json=body, headers=bearer)
    assert fired.status_code == unknown.status_code == 404
    assert fired.text.replace(hidden, "REF") == unknown.text.replace(missing, "REF")


LISTED = re.compile(r'href="/staff/cases/(CT-\d{4}-\d{6})"')


@pytest.mark.parametrize("user", USERS, ids=[f"{r}-{loc or 'area'}" for r, loc in USERS])
def test_the_case_list_shows_exactly_the_cases_the_user_may_open(
    app: Any, session: Session, clock: FixedClock, user: tuple[str, str | None]
) -> None:
    """/staff/cases (every filter off, and searched by each reference) and its CSV list a
    case only if the rules above let the user open it, and every case they may open."""
    refs = build_world(session, clock)
    expected = {refs[c.key] for c in CASES if may_read(user, c)}
    client = signed_in_client(app, session, clock, email(*user))
    listed = set(LISTED.findall(client.get("/staff/cases").text))
    assert listed == expected
    rows = client.get("/staff/cases.csv").text.splitlines()[1:]
    assert {row.split(",")[0] for row in rows} == expected
    for case in CASES:
        found = set(LISTED.findall(client.get(f"/staff/cases?q={refs[case.key]}").text))
        assert found == ({refs[case.key]} if may_read(user, case) else set()), case.key
    for ref in listed:
        assert client.get(f"/staff/cases/{ref}").status_code == 200
