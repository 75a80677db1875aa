"""Staff sign-in and tokens: TOTP codes used once, the same growing waits for unknown
e-mails as for staff ones, a 12-hour session, API tokens that expire and can be revoked
(issue 16, holes 7 and 9)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from engine.clock import FixedClock, SystemClock
from engine.errors import NotAuthenticated
from engine.services import auth
from engine.services import staff as staff_service
from tests.integration import test_cli
from tests.integration.test_staff_login import PASSWORD, browser_for

# The CLI tests' fixtures: a database file configured only through the environment.
place, migrated = test_cli.place, test_cli.migrated

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")


def test_a_totp_code_signs_in_once(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.sign_in()
    code = me.code()
    me.post("/staff/logout", {})
    me.get("/staff/login")
    me.post("/staff/login", {"email": me.email, "password": PASSWORD})
    page = me.post("/staff/login/code", {"code": code}, status=401)
    assert "Enter a correct security code" in page.text
    me.get("/staff", status=303)
    clock.advance(seconds=30)  # the next step's code works
    me.post("/staff/login/code", {"code": me.code()})
    me.get("/staff")


def test_a_code_from_an_earlier_step_is_refused_after_a_later_one_was_used(
    session: Session, clock: FixedClock, staff: dict
) -> None:
    email = staff["csp_chair"].email
    secret = auth.set_password(session, clock=clock, email=email, password=PASSWORD).totp_secret
    import pyotp

    totp = pyotp.TOTP(secret)
    pending = auth.check_password(session, clock=clock, email=email, password=PASSWORD)
    auth.check_code(session, clock=clock, pending_token=pending, code=totp.at(clock.now()))
    # The previous step's code is still inside the one-step window, but older than the last.
    pending = auth.check_password(session, clock=clock, email=email, password=PASSWORD)
    with pytest.raises(NotAuthenticated):
        earlier = clock.now() - timedelta(seconds=30)
        auth.check_code(session, clock=clock, pending_token=pending, code=totp.at(earlier))


def _attempts(app: Any, session: Session, clock: FixedClock, email: str, n: int) -> list[str]:
    me = browser_for(app, session, clock, "admin@example.org")
    me.get("/staff/login")
    texts = []
    for _ in range(n):
        page = me.post("/staff/login", {"email": email, "password": "wrong-password"}, status=401)
        texts.append("Too many wrong attempts" in page.text)
    return texts  # type: ignore[return-value]


def test_unknown_emails_get_the_same_wait_as_staff_emails(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    known = _attempts(app, session, clock, staff["contact"].email, auth.MAX_FAILURES + 1)
    unknown = _attempts(app, session, clock, "nobody@example.org", auth.MAX_FAILURES + 1)
    assert known == unknown == [False] * auth.MAX_FAILURES + [True]


def test_the_waits_grow_instead_of_a_fixed_lock(
    session: Session, clock: FixedClock, staff: dict
) -> None:
    email = staff["contact"].email
    auth.set_password(session, clock=clock, email=email, password=PASSWORD)

    def wrong() -> str:
        try:
            auth.check_password(session, clock=clock, email=email, password="wrong-password")
        except auth.LockedOut:
            return "wait"
        except NotAuthenticated:
            return "wrong"
        return "in"

    assert [wrong() for _ in range(auth.MAX_FAILURES)] == ["wrong"] * auth.MAX_FAILURES
    waits = []
    for _ in range(4):
        assert wrong() == "wait"
        seconds = 0
        while wrong() == "wait":
            clock.advance(seconds=30)
            seconds += 30
        waits.append(seconds)
    assert waits == sorted(waits) and waits[-1] > waits[0]
    assert max(waits) <= auth.LOCKOUT.total_seconds() + 30


def test_wrong_attempts_from_elsewhere_do_not_lock_out_the_member_of_staff(
    session: Session, clock: FixedClock, staff: dict
) -> None:
    email = staff["contact"].email
    secret = auth.set_password(session, clock=clock, email=email, password=PASSWORD).totp_secret
    for _ in range(auth.MAX_FAILURES + 3):
        with pytest.raises(NotAuthenticated):
            auth.check_password(
                session, clock=clock, email=email, password="guess", client="198.51.100.1"
            )
    import pyotp

    pending = auth.check_password(
        session, clock=clock, email=email, password=PASSWORD, client="203.0.113.5"
    )
    assert auth.check_code(
        session,
        clock=clock,
        pending_token=pending,
        code=pyotp.TOTP(secret).at(clock.now()),
        client="203.0.113.5",
    )


def test_a_staff_session_ends_twelve_hours_after_sign_in_however_busy(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.sign_in()
    for _ in range(11 * 3 + 2):  # a page every 20 minutes for 11 hours 40 minutes
        clock.advance(minutes=20)
        me.get("/staff")
    clock.advance(minutes=19)
    me.get("/staff")
    clock.advance(minutes=1, seconds=1)
    me.get("/staff", status=303)


def test_api_tokens_expire(app: Any, session: Session, clock: FixedClock, staff: dict) -> None:
    from fastapi.testclient import TestClient

    token = staff_service.create_token(session, clock=clock, email=staff["manager"].email, days=30)
    bearer = {"authorization": f"Bearer {token}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/work", headers=bearer).status_code == 200
        clock.advance(days=30, seconds=1)
        assert client.get("/api/v1/work", headers=bearer).status_code == 401


def test_revoked_tokens_stop_working(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    from fastapi.testclient import TestClient

    bearer = {"authorization": f"Bearer {staff['manager'].token}"}
    session.rollback()  # end the set-up's read: SQLite has one writer at a time
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/work", headers=bearer).status_code == 200
        assert staff_service.revoke_tokens(session, email=staff["manager"].email) == 1
        assert client.get("/api/v1/work", headers=bearer).status_code == 401
        other = {"authorization": f"Bearer {staff['contact'].token}"}
        assert staff_service.revoke_tokens(session, token=staff["contact"].token) == 1
        assert client.get("/api/v1/work", headers=other).status_code == 401


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the CLI tests build their own SQLite database"
)
def test_ctengine_tokens_revoke(request: pytest.FixtureRequest) -> None:
    from tests.integration.test_cli import ok

    place = request.getfixturevalue("migrated")
    ok("users", "add", "--email", "t@example.org", "--name", "T", "--role", "manager")
    token = ok("tokens", "create", "--email", "t@example.org", "--days", "5").strip()
    assert token.startswith("ct_")
    assert "revoked 1 token(s)" in ok("tokens", "revoke", "--token", token)
    assert "revoked 0 token(s)" in ok("tokens", "revoke", "--email", "t@example.org")
    from engine.db import make_engine, make_session_factory
    from engine.services.staff import actor_for_token

    engine = make_engine(place.url)
    with make_session_factory(engine)() as s, pytest.raises(NotAuthenticated):
        actor_for_token(s, token, clock=SystemClock())
    engine.dispose()


def test_digits_of_another_script_are_a_wrong_code_not_an_error(
    session: Session, clock: FixedClock, staff: dict
) -> None:
    email = staff["contact"].email
    auth.set_password(session, clock=clock, email=email, password=PASSWORD)
    pending = auth.check_password(session, clock=clock, email=email, password=PASSWORD)
    with pytest.raises(NotAuthenticated):
        auth.check_code(session, clock=clock, pending_token=pending, code="١٢٣٤٥٦")
