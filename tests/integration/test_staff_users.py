"""/staff/users: admins add users, grant and remove roles, disable and enable accounts and
reset authenticators; every change is audited and shown on the user's page."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from sqlmodel import Session, func, select

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.models import RoleGrant, StaffAuditEvent, StaffSession, User
from tests.factories import make_staff
from tests.integration.test_staff_login import PASSWORD, Staff, browser_for

pytestmark = pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
PASSWORD_SHOWN = re.compile(r"<code>([A-Za-z0-9_-]{16})</code>")


@pytest.fixture
def staff(session: Session, clock: FixedClock):  # type: ignore[no-untyped-def]
    return make_staff(session, clock)


def signed_in(app: Any, session: Session, clock: FixedClock, email: str) -> Staff:
    me = browser_for(app, session, clock, email)
    me.sign_in()
    return me


def user_id(factory: SessionFactory, email: str) -> int:
    with factory() as s:
        found = s.exec(select(User.id).where(User.email == email)).one()
        assert found is not None
        return found


def audit(factory: SessionFactory, uid: int) -> list[tuple[str, str]]:
    with factory() as s:
        rows = s.exec(
            select(StaffAuditEvent)
            .where(StaffAuditEvent.user_id == uid)
            .order_by(StaffAuditEvent.id)  # type: ignore[arg-type]
        ).all()
        return [(r.action, r.actor_label) for r in rows]


def counts(factory: SessionFactory) -> tuple[int, int, int]:
    with factory() as s:
        return (
            s.exec(select(func.count()).select_from(User)).one(),
            s.exec(select(func.count()).select_from(RoleGrant)).one(),
            s.exec(select(func.count()).select_from(StaffAuditEvent)).one(),
        )


def test_an_admin_adds_a_user_who_then_enrols_and_signs_in(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    admin = signed_in(app, session, clock, staff["admin"].email)
    listing = admin.get("/staff/users").text
    assert 'href="/staff/users"' in listing and "contact@example.org" in listing
    admin.get("/staff/users/new")
    done = admin.post(
        "/staff/users/new",
        {
            "name": "  Nia   New ",
            "email": "Nia.New@Example.org",
            "role": "contact",
            "locality": "blaby",
        },
        status=200,
    )
    assert done.headers["cache-control"] == "no-store"
    shown = PASSWORD_SHOWN.search(done.text)
    assert shown is not None and "User added" in done.text
    uid = user_id(session_factory, "nia.new@example.org")
    assert audit(session_factory, uid) == [("added", "Admin"), ("role_granted", "Admin")]
    page = admin.get(f"/staff/users/{uid}").text
    assert "Nia New" in page and "Point of contact" in page and "Blaby" in page
    assert "Account added" in page and "Role granted: Point of contact, Blaby" in page
    # The new user signs in with the one-time password and sets up an authenticator.
    from fastapi.testclient import TestClient

    nia = Staff(TestClient(app, raise_server_exceptions=False), clock, "nia.new@example.org", "")
    nia.get("/staff/login")
    login = nia.post("/staff/login", {"email": "nia.new@example.org", "password": shown.group(1)})
    assert login.headers["location"] == "/staff/login/enrol"
    with session_factory() as s:
        secret = s.exec(select(User.totp_secret).where(User.id == uid)).one()
    assert secret
    nia.get("/staff/login/enrol")
    nia.post("/staff/login/enrol", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert "My work" in nia.get("/staff").text


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "", "email": "a@b.org", "role": "admin"}, "name", "Enter their full name"),
        ({"name": "A", "email": "not-an-email", "role": "admin"}, "email", "correct format"),
        ({"name": "A", "email": "a@b.org", "role": "wizard"}, "role", "Choose a role"),
        ({"name": "A", "email": "a@b.org", "role": "contact"}, "locality", "Choose the locality"),
        (
            {"name": "A", "email": "a@b.org", "role": "contact", "locality": "narnia"},
            "locality",
            "Choose a locality from the list",
        ),
        (
            {"name": "A", "email": "contact@example.org", "role": "admin"},
            "email",
            "already an account",
        ),
    ],
)
def test_bad_input_when_adding_a_user_stores_nothing(
    app: Any,
    session: Session,
    session_factory: SessionFactory,
    clock: FixedClock,
    staff: dict,
    form: dict,
    field: str,
    message: str,
) -> None:
    admin = signed_in(app, session, clock, staff["admin"].email)
    admin.get("/staff/users/new")
    before = counts(session_factory)
    page = admin.post("/staff/users/new", form, status=422).text
    assert "govuk-error-summary" in page and message in page
    assert f'href="#{field}"' in page
    assert counts(session_factory) == before


def test_grant_and_remove_roles_each_audited(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    admin = signed_in(app, session, clock, staff["admin"].email)
    uid = user_id(session_factory, staff["contact"].email)
    admin.get(f"/staff/users/{uid}")
    done = admin.post(f"/staff/users/{uid}/grants", {"role": "jag_chair", "locality": "melton"})
    assert done.headers["location"] == f"/staff/users/{uid}?done=added"
    page = admin.get(done.headers["location"]).text
    assert "Role granted." in page and "JAG chair" in page and "Melton" in page
    with session_factory() as s:
        grant = s.exec(
            select(RoleGrant).where(RoleGrant.user_id == uid, RoleGrant.role == "jag_chair")
        ).one()
    # The same role again is refused, with nothing stored.
    before = counts(session_factory)
    again = admin.post(
        f"/staff/users/{uid}/grants", {"role": "jag_chair", "locality": "melton"}, status=422
    )
    assert "already hold this role" in again.text and counts(session_factory) == before
    bad = admin.post(f"/staff/users/{uid}/grants", {"role": "contact"}, status=422)
    assert "Choose the locality" in bad.text and counts(session_factory) == before
    admin.post(f"/staff/users/{uid}/grants/{grant.id}/remove", {})
    assert audit(session_factory, uid) == [("role_granted", "Admin"), ("role_removed", "Admin")]
    page = admin.get(f"/staff/users/{uid}").text
    assert "Role removed: JAG chair, Melton" in page
    # A grant of someone else, or none, is not found.
    admin.post(f"/staff/users/{uid}/grants/{grant.id}/remove", {}, status=404)
    admin.post(f"/staff/users/{uid}/grants/99999999999999999999/remove", {}, status=404)


def test_an_admin_cannot_remove_their_own_last_admin_role(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    admin = signed_in(app, session, clock, staff["admin"].email)
    uid = user_id(session_factory, staff["admin"].email)
    with session_factory() as s:
        grant = s.exec(select(RoleGrant).where(RoleGrant.user_id == uid)).one()
    admin.get(f"/staff/users/{uid}")
    refused = admin.post(f"/staff/users/{uid}/grants/{grant.id}/remove", {}, status=409)
    assert "cannot remove your own last admin role" in refused.text
    assert "disable" not in refused.text.split("Sign-in")[1].split("Changes to")[0].lower()
    with session_factory() as s:
        assert s.get(RoleGrant, grant.id) is not None
    assert audit(session_factory, uid) == []
    admin.post(f"/staff/users/{uid}/disable", {}, status=409)


def test_disable_signs_out_and_enable_lets_them_back(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    jag = signed_in(app, session, clock, staff["jag_chair"].email)
    admin = signed_in(app, session, clock, staff["admin"].email)
    uid = user_id(session_factory, staff["jag_chair"].email)
    admin.get(f"/staff/users/{uid}")
    admin.post(f"/staff/users/{uid}/disable", {})
    assert jag.client.get("/staff", follow_redirects=False).status_code == 303  # signed out
    bearer = {"Authorization": f"Bearer {staff['jag_chair'].token}"}
    assert jag.client.get("/api/v1/work", headers=bearer).status_code == 401
    page = admin.get(f"/staff/users/{uid}").text
    assert "Account disabled" in page and "Enable the account" in page
    admin.post(f"/staff/users/{uid}/disable", {}, status=409)  # already disabled
    admin.post(f"/staff/users/{uid}/enable", {})
    assert jag.client.get("/api/v1/work", headers=bearer).status_code == 200
    assert audit(session_factory, uid) == [("disabled", "Admin"), ("enabled", "Admin")]


def test_reset_authenticator_makes_them_enrol_again(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    contact = signed_in(app, session, clock, staff["contact"].email)
    admin = signed_in(app, session, clock, staff["admin"].email)
    uid = user_id(session_factory, staff["contact"].email)
    with session_factory() as s:
        old_secret = s.exec(select(User.totp_secret).where(User.id == uid)).one()
    admin.get(f"/staff/users/{uid}")
    admin.post(f"/staff/users/{uid}/reset-authenticator", {})
    with session_factory() as s:
        user = s.get(User, uid)
        assert user is not None and user.totp_enrolment_due and user.totp_secret != old_secret
        assert s.exec(select(StaffSession).where(StaffSession.user_id == uid)).first() is None
    assert contact.client.get("/staff", follow_redirects=False).status_code == 303
    contact.get("/staff/login")
    # The password is unchanged; the next step is setting up a new app.
    login = contact.post("/staff/login", {"email": staff["contact"].email, "password": PASSWORD})
    assert login.headers["location"] == "/staff/login/enrol"
    page = admin.get(f"/staff/users/{uid}").text
    assert "Authenticator reset" in page and "Sets up a new one at next sign-in" in page
    assert audit(session_factory, uid) == [("authenticator_reset", "Admin")]


def test_only_admins_reach_the_users_pages_and_forms_need_csrf(
    app: Any, session: Session, session_factory: SessionFactory, clock: FixedClock, staff: dict
) -> None:
    session.rollback()  # end the fixture's read before other sessions write
    uid = user_id(session_factory, staff["contact"].email)
    before = counts(session_factory)
    for key in ("manager", "contact", "jag_chair", "appeal_chair"):
        me = signed_in(app, session, clock, staff[key].email)
        assert 'href="/staff/users"' not in me.get("/staff").text
        for path in ("/staff/users", "/staff/users/new", f"/staff/users/{uid}"):
            me.get(path, status=403)
        me.post("/staff/users/new", {"name": "X", "email": "x@y.org", "role": "admin"}, status=403)
        me.post(f"/staff/users/{uid}/disable", {}, status=403)
        me.post(f"/staff/users/{uid}/grants", {"role": "admin"}, status=403)
    admin = signed_in(app, session, clock, staff["admin"].email)
    assert 'href="/staff/users"' in admin.get("/staff").text
    forged = admin.client.post(
        f"/staff/users/{uid}/disable", data={"csrf_token": "0" * 64}, follow_redirects=False
    )
    assert forged.status_code == 403
    missing = admin.client.post("/staff/users/new", data={"name": "X"}, follow_redirects=False)
    assert missing.status_code == 403
    assert counts(session_factory) == before
    admin.get("/staff/users/999999", status=404)
    admin.get("/staff/users/abc", status=404)
    admin.post(f"/staff/users/{uid}/explode", {}, status=404)
