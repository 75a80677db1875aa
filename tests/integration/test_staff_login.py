"""Staff sign-in: password then TOTP code, lockout, idle timeout, sign-out, and the CLI."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from sqlmodel import Session, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import StaffSession, User
from engine.services import auth
from tests.factories import make_staff

if TYPE_CHECKING:
    import httpx
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
PASSWORD = "correct-horse-battery"


class Staff:
    """One staff member's browser: keeps cookies, finds the CSRF token, signs in."""

    def __init__(self, client: TestClient, clock: FixedClock, email: str, secret: str) -> None:
        self.client, self.clock, self.email, self.secret = client, clock, email, secret
        self.csrf = ""

    def get(self, path: str, status: int = 200) -> httpx.Response:
        response = self.client.get(path, follow_redirects=False)
        assert response.status_code == status, (path, response.status_code, response.text[:300])
        found = CSRF.search(response.text)
        self.csrf = found.group(1) if found else self.csrf
        return response

    def post(self, path: str, data: dict[str, Any], status: int = 303) -> httpx.Response:
        response = self.client.post(
            path, data={"csrf_token": self.csrf, **data}, follow_redirects=False
        )
        assert response.status_code == status, (path, response.status_code, response.text[:300])
        found = CSRF.search(response.text)
        self.csrf = found.group(1) if found else self.csrf
        return response

    def code(self) -> str:
        return pyotp.TOTP(self.secret).at(self.clock.now())

    def sign_in(self, password: str = PASSWORD) -> None:
        self.get("/staff/login")
        self.post("/staff/login", {"email": self.email, "password": password})
        self.get("/staff/login/code")
        self.post("/staff/login/code", {"code": self.code()})


def enrol(session: Session, clock: FixedClock, email: str) -> str:
    return auth.set_password(session, clock=clock, email=email, password=PASSWORD).totp_secret


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    return make_staff(session, clock)


def browser_for(app: Any, session: Session, clock: FixedClock, email: str) -> Staff:
    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    return Staff(client, clock, email, enrol(session, clock, email))


def test_a_staff_page_sends_a_stranger_to_sign_in(client: TestClient) -> None:
    response = client.get("/staff", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login"


def test_password_and_code_sign_in_and_show_my_work(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.sign_in()
    page = me.get("/staff")
    assert "My work" in page.text and "Signed in as" in page.text


def test_a_password_alone_opens_no_staff_page(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.get("/staff/login")
    me.post("/staff/login", {"email": me.email, "password": PASSWORD})
    me.get("/staff", status=303)


def test_a_wrong_password_or_code_shows_the_error_summary(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.get("/staff/login")
    page = me.post("/staff/login", {"email": me.email, "password": "wrong-password"}, status=401)
    assert "There is a problem" in page.text and 'href="#email"' in page.text
    me.post("/staff/login", {"email": me.email, "password": PASSWORD})
    page = me.post("/staff/login/code", {"code": "000000"}, status=401)
    assert "Enter a correct security code" in page.text


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.get("/staff/login")
    for _ in range(auth.MAX_FAILURES):
        me.post("/staff/login", {"email": me.email, "password": "wrong-password"}, status=401)
    page = me.post("/staff/login", {"email": me.email, "password": PASSWORD}, status=401)
    assert "Too many wrong attempts" in page.text
    clock.advance(minutes=15, seconds=1)
    me.sign_in()
    me.get("/staff")


def test_the_form_without_its_csrf_token_is_refused(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.get("/staff/login")
    response = me.client.post(
        "/staff/login", data={"email": me.email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403


def test_the_session_ends_after_thirty_idle_minutes_but_use_keeps_it_alive(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.sign_in()
    clock.advance(minutes=29)
    me.get("/staff")
    clock.advance(minutes=29)
    me.get("/staff")
    clock.advance(minutes=31)
    me.get("/staff", status=303)


def test_a_page_view_writes_the_idle_timeout_at_most_once_a_minute(
    app: Any, session_factory: SessionFactory, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.sign_in()

    def expires() -> Any:
        with session_factory() as s:
            return s.exec(select(StaffSession.expires_at).where(StaffSession.verified)).one()

    first = expires()
    clock.advance(seconds=50)
    me.get("/staff")
    assert expires() == first  # a read only: nothing written
    clock.advance(seconds=20)
    me.get("/staff")
    assert expires() == first + timedelta(seconds=70)  # over a minute since: pushed back
    # Worst case the session ends a minute early: 29 minutes idle still keeps it.
    clock.advance(minutes=29, seconds=59)
    me.get("/staff")


def test_signing_out_ends_the_session_on_the_server(
    app: Any, session_factory: SessionFactory, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.sign_in()
    cookie = me.client.cookies.get("ct_staff")
    page = me.get("/staff")
    me.post("/staff/logout", {})
    me.client.cookies.set("ct_staff", cookie or "")
    me.get("/staff", status=303)
    with session_factory() as s:
        assert s.exec(select(StaffSession).where(StaffSession.verified)).all() == []
    assert "Sign out" in page.text


def test_only_a_hash_of_the_cookie_and_an_argon2_hash_of_the_password_are_stored(
    app: Any, session_factory: SessionFactory, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.sign_in()
    cookie = me.client.cookies.get("ct_staff") or ""
    with session_factory() as s:
        ids = [row.id for row in s.exec(select(StaffSession)).all()]
        user = s.exec(select(User).where(User.email == me.email)).one()
    assert ids == [auth.session_id(cookie)] and cookie not in ids
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert user.last_login_at == clock.now()


def test_a_pending_sign_in_expires_after_five_minutes(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.get("/staff/login")
    me.post("/staff/login", {"email": me.email, "password": PASSWORD})
    clock.advance(minutes=5, seconds=1)
    page = me.post("/staff/login/code", {"code": me.code()}, status=401)
    assert "timed out" in page.text


def test_set_password_refuses_a_short_password(
    session: Session, clock: FixedClock, staff: dict
) -> None:
    from engine.errors import InvalidInput

    with pytest.raises(InvalidInput):
        auth.set_password(session, clock=clock, email=staff["contact"].email, password="short")


def test_purge_removes_only_expired_sessions(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.sign_in()
    assert auth.purge_sessions(session, clock=clock) == 0
    clock.advance(minutes=31)
    assert auth.purge_sessions(session, clock=clock) == 1
    assert clock.now() - timedelta(minutes=31) < clock.now()


QR_IMG = re.compile(
    r'<img class="ct-qr" src="data:image/svg\+xml;charset=utf-8,([^"]+)"[^>]*alt="([^"]+)"'
)
SETUP_KEY = re.compile(r'<code class="ct-setup-key">([A-Z2-7 ]+)</code>')


def reset_authenticator(session: Session, clock: FixedClock, email: str) -> auth.Enrolment:
    return auth.set_password(session, clock=clock, email=email, password=PASSWORD, new_totp=True)


def test_a_reset_authenticator_is_set_up_from_a_qr_code_before_the_session_is_granted(
    app: Any, session_factory: SessionFactory, session: Session, clock: FixedClock, staff: dict
) -> None:
    from urllib.parse import unquote

    me = browser_for(app, session, clock, staff["jag_chair"].email)
    old_secret = me.secret
    me.secret = reset_authenticator(session, clock, me.email).totp_secret
    assert me.secret != old_secret
    me.get("/staff/login")
    done = me.post("/staff/login", {"email": me.email, "password": PASSWORD})
    assert done.headers["location"] == "/staff/login/enrol"
    assert me.get("/staff/login/code", status=303).headers["location"] == "/staff/login/enrol"
    me.get("/staff", status=303)  # the password alone opens nothing
    page = me.get("/staff/login/enrol").text
    assert "Set up your authenticator app" in page
    found = QR_IMG.search(page)
    assert found, page[-3000:]
    svg, alt = unquote(found.group(1)), found.group(2)
    assert svg.lstrip().startswith("<svg") or "<svg" in svg[:200]
    assert "QR code" in alt and me.email in alt and "set-up key" in alt
    key = SETUP_KEY.search(page)
    assert key and key.group(1).replace(" ", "") == me.secret
    assert "<script" not in page.split("</main>")[0].split("<main")[-1]  # CSP: no inline script
    wrong = me.post("/staff/login/enrol", {"code": "000000"}, status=401)
    assert "There is a problem" in wrong.text and 'href="#code"' in wrong.text
    assert QR_IMG.search(wrong.text)  # the QR code is still there to scan
    stale = pyotp.TOTP(old_secret).at(clock.now())
    if stale != me.code():
        me.post("/staff/login/enrol", {"code": stale}, status=401)  # the old app no longer works
    signed_in = me.post("/staff/login/enrol", {"code": me.code()})
    assert signed_in.headers["location"] == "/staff"
    assert "My work" in me.get("/staff").text
    with session_factory() as s:
        assert s.exec(select(User).where(User.email == me.email)).one().totp_enrolment_due is False
    # Next time the code page is enough, and the enrolment page gives nothing away.
    me.post("/staff/logout", {})
    clock.advance(seconds=30)  # a TOTP code signs in once: the next sign-in needs the next one
    me.get("/staff/login")
    assert (
        me.post("/staff/login", {"email": me.email, "password": PASSWORD}).headers["location"]
        == "/staff/login/code"
    )
    assert me.get("/staff/login/enrol", status=303).headers["location"] == "/staff/login/code"
    me.post("/staff/login/code", {"code": me.code()})
    me.get("/staff")


def test_the_enrolment_page_needs_a_correct_password_first(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["contact"].email)
    secret = reset_authenticator(session, clock, me.email).totp_secret
    assert me.get("/staff/login/enrol", status=303).headers["location"] == "/staff/login"
    me.get("/staff/login")
    me.post("/staff/login", {"email": me.email, "password": "wrong-password"}, status=401)
    me.client.cookies.set("ct_staff", "forged-token")
    me.get("/staff/login/enrol", status=303)
    assert secret not in me.client.get("/staff/login/code").text
    response = me.client.post(
        "/staff/login/enrol", data={"code": pyotp.TOTP(secret).at(clock.now())}
    )
    assert response.status_code == 403  # no CSRF token
    me.post("/staff/login/enrol", {"code": pyotp.TOTP(secret).at(clock.now())}, status=401)
    me.get("/staff", status=303)


def test_enrolment_times_out_and_wrong_codes_count_towards_the_lockout(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["csp_chair"].email)
    me.secret = reset_authenticator(session, clock, me.email).totp_secret
    me.get("/staff/login")
    me.post("/staff/login", {"email": me.email, "password": PASSWORD})
    me.get("/staff/login/enrol")
    for _ in range(auth.MAX_FAILURES - 1):
        me.post("/staff/login/enrol", {"code": "12345x"}, status=401)
    page = me.post("/staff/login/enrol", {"code": "000000"}, status=401)
    page = me.post("/staff/login/enrol", {"code": me.code()}, status=401)
    assert "Too many wrong attempts" in page.text
    clock.advance(minutes=15, seconds=1)
    me.get("/staff/login")
    me.post("/staff/login", {"email": me.email, "password": PASSWORD})
    clock.advance(minutes=5, seconds=1)
    page = me.post("/staff/login/enrol", {"code": me.code()}, status=401)
    assert "timed out" in page.text
    me.get("/staff", status=303)


def test_resetting_the_authenticator_ends_the_users_sessions(
    app: Any, session: Session, clock: FixedClock, staff: dict
) -> None:
    me = browser_for(app, session, clock, staff["jag_chair"].email)
    me.sign_in()
    me.get("/staff")
    reset_authenticator(session, clock, me.email)
    me.get("/staff", status=303)
