"""The JAG access matrix: every staff role x locality x JAG case state x JAG event, over the
API, allowed or refused as the rules in issue 13 say, worked out here independently of
engine.access and the package's case roles.

Case workers (contact, JAG chair, CSP chair) and partners read their locality's JAG cases;
managers and admins the whole area; a chair of another locality asked to peer review a case
reads that case only, while asked; a chair trained in cessation alone records a cessation;
appeal chairs have no JAG cases (404, as for a case that does not exist); anyone else in
the area is refused with 403. A refused event writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from engine import registry
from engine.access import load_actor
from engine.clock import FixedClock
from engine.models import AuditEvent, Case, User
from engine.services.cases import record_event
from engine.services.staff import add_user, create_token, grant_role
from tests.jag_helpers import PERPETRATOR
from workflows.jag_case.services import refer

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
LOCALITIES = ("leicester", "melton")
# "trained": a JAG chair an admin has marked as trained in cessation.
LOCAL_ROLES = ("contact", "jag_chair", "trained", "csp_chair", "partner", "appeal_chair")
USERS = [(role, loc) for loc in LOCALITIES for role in LOCAL_ROLES] + [
    ("manager", None),
    ("admin", None),
]
WF = registry.workflow("jag_case")
TRIGGERS = sorted(WF.triggers())
REVIEWER = ("jag_chair", "melton")
# (key, locality, state): Leicester cases in each open state and a Melton referral.
CASES = [
    ("referred", "leicester", "referred"),
    ("active", "leicester", "active"),
    ("peer", "leicester", "peer_review_requested"),
    ("proposed", "leicester", "cessation_proposed"),
    ("melton", "melton", "referred"),
]


def email(role: str, locality: str | None) -> str:
    return f"{role}.{locality or 'area'}@example.org"


def roles_of(user: tuple[str, str | None], locality: str, state: str) -> set[str]:
    """The roles the rules give a user on a JAG case of this locality and state."""
    role, home = user
    if role in ("manager", "admin"):
        return {role}
    if role == "appeal_chair":
        return set()
    if home != locality:
        asked = user == REVIEWER and state == "peer_review_requested"
        return {"peer_reviewer"} if asked else set()
    if role == "trained":
        return {"jag_chair", "cessation_chair"}
    return {role}


def refused(user: tuple[str, str | None]) -> int:
    return 404 if user[0] == "appeal_chair" else 403


def event_status(user: tuple[str, str | None], case: tuple[str, str, str], trigger: str) -> int:
    """The API's answer to an event with no data; 0 where the rules allow it (the data is
    then checked, which another test covers: the matrix fires only refusals)."""
    _, locality, state = case
    roles = roles_of(user, locality, state)
    if not roles:
        return refused(user)
    tdef = WF.transition(trigger, state)
    if tdef is None:
        return 409
    return 0 if roles & set(tdef.roles) else 403


def build(session: Session, clock: FixedClock) -> dict[str, str]:
    for role, locality in USERS:
        real = "jag_chair" if role == "trained" else role
        user = add_user(
            session,
            clock=clock,
            email=email(role, locality),
            name=f"{role} {locality}",
            role=real,
            locality=locality,
        )
        if role == "trained":
            grant_role(session, user=user, role="cessation_trained", locality=locality)
            session.commit()
    refs = {}
    for key, locality, state in CASES:
        partner = _actor(session, "partner", locality)
        case = refer(
            session,
            clock=clock,
            actor=partner,
            area_id="llr",
            locality_id=locality,
            subject_kind="perpetrator",
            subject=PERPETRATOR,
            reason="Threats.",
            agencies=["Police"],
        )
        refs[key] = case.reference
        chair = _actor(session, "jag_chair", locality)
        steps: list[tuple[str, dict[str, Any]]] = []
        if state != "referred":
            steps.append(("accept", {}))
        if state == "peer_review_requested":
            steps.append(
                (
                    "request_peer_review",
                    {"reviewer_email": email(*REVIEWER), "question": "Is the plan enough?"},
                )
            )
        if state == "cessation_proposed":
            steps.append(("propose_cessation", {"reason": "risk_reduced", "explanation": "Calm."}))
        for version, (event, data) in enumerate(steps, start=1):
            record_event(
                session,
                clock=clock,
                case_ref=case.reference,
                event=event,
                data=data,
                actor=chair,
                expected_version=version,
            )
    return refs


def _actor(session: Session, role: str, locality: str | None) -> Any:
    user = session.exec(select(User).where(User.email == email(role, locality))).one()
    return load_actor(session, user)


def _written(session: Session) -> tuple[Any, ...]:
    session.expire_all()
    cases = session.exec(select(Case.reference, Case.version, Case.state)).all()
    return tuple(sorted(cases)), len(session.exec(select(AuditEvent)).all())


def test_the_matrix_is_large() -> None:
    assert len(USERS) * len(CASES) * (len(TRIGGERS) + 1) >= 900


@pytest.mark.parametrize("user", USERS, ids=[f"{r}-{loc or 'area'}" for r, loc in USERS])
def test_each_jag_read_and_event_answers_as_the_rules_say(
    client: Any, session: Session, clock: FixedClock, user: tuple[str, str | None]
) -> None:
    refs = build(session, clock)
    versions = {
        ref: session.exec(select(Case.version).where(Case.reference == ref)).one()
        for ref in refs.values()
    }
    before = _written(session)
    bearer = {"Authorization": f"Bearer {create_token(session, clock=clock, email=email(*user))}"}
    session.rollback()
    wrong = []
    for case in CASES:
        ref = refs[case[0]]
        readable = bool(roles_of(user, case[1], case[2]))
        got = client.get(f"/api/v1/cases/{ref}", headers=bearer).status_code
        if got != (200 if readable else refused(user)):
            wrong.append(("GET", ref, got))
        for trigger in TRIGGERS:
            expected = event_status(user, case, trigger)
            if expected == 0:
                continue
            body = {"event": trigger, "version": versions[ref], "data": {}}
            got = client.post(f"/api/v1/cases/{ref}/events", json=body, headers=bearer).status_code
            if got != expected:
                wrong.append((trigger, case[0], expected, got))
    assert wrong == []
    assert _written(session) == before


def test_each_allowed_event_reaches_its_data_check(
    client: Any, session: Session, clock: FixedClock
) -> None:
    """Where the rules allow an event, the API gets past the role check: bad data (an
    unknown field) is answered 422, naming it, and nothing is written."""
    refs = build(session, clock)
    versions = {
        ref: session.exec(select(Case.version).where(Case.reference == ref)).one()
        for ref in refs.values()
    }
    before = _written(session)
    tokens = {u: create_token(session, clock=clock, email=email(*u)) for u in USERS}
    session.rollback()
    allowed = 0
    for user in USERS:
        for case in CASES:
            ref = refs[case[0]]
            for trigger in TRIGGERS:
                if event_status(user, case, trigger) != 0:
                    continue
                allowed += 1
                body = {"event": trigger, "version": versions[ref], "data": {"nonsense": 1}}
                got = client.post(
                    f"/api/v1/cases/{ref}/events",
                    json=body,
                    headers={"Authorization": f"Bearer {tokens[user]}"},
                )
                assert got.status_code == 422, (user, case, trigger, got.text)
                answer = got.json()
                named = {answer["field"]} | {e["field"] for e in answer.get("errors", [])}
                assert "data.nonsense" in named, (user, case, trigger, answer)
    assert allowed > 50
    assert _written(session) == before
