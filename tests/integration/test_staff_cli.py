"""`ctengine users set-password` and the demo users' sign-in details, through the CLI."""

from __future__ import annotations

import os
import re

import pytest
from sqlmodel import select

from engine.db import make_engine, make_session_factory
from engine.models import User
from engine.services import auth
from tests.integration import test_cli
from tests.integration.test_cli import Place, ok, run
from workflows.community_trigger.services.demo import DEMO_PASSWORD, DEMO_USERS

# The CLI tests' fixtures: a database file configured only through the environment.
place, migrated = test_cli.place, test_cli.migrated

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the CLI tests build their own SQLite database"
)


@pytest.fixture
def cli_place(request: pytest.FixtureRequest) -> Place:
    return request.getfixturevalue("migrated")  # type: ignore[no-any-return]


def user(url: str, email: str) -> User:
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        found = s.exec(select(User).where(User.email == email)).one()
    engine.dispose()
    return found


def test_set_password_prints_a_one_time_password_and_never_the_totp_secret(
    cli_place: Place,
) -> None:
    ok(
        "users",
        "add",
        "--email",
        "a@example.org",
        "--name",
        "A",
        "--role",
        "contact",
        "--locality",
        "leicester",
    )
    out = ok("users", "set-password", "--email", "a@example.org")
    password = re.search(r"one-time password: (\S+)", out)
    assert password and "otpauth://" not in out and "QR code" in out
    stored = user(cli_place.url, "a@example.org")
    assert stored.password_hash and password.group(1) not in stored.password_hash
    assert auth._hasher_verify(stored.password_hash, password.group(1))
    # A first authenticator is set up in the browser at the first sign-in.
    assert stored.totp_secret and stored.totp_secret not in out and stored.totp_enrolment_due


def test_new_totp_puts_an_enrolled_user_back_into_enrolment(cli_place: Place) -> None:
    ok("users", "add", "--email", "c@example.org", "--name", "C", "--role", "manager")
    ok("users", "set-password", "--email", "c@example.org")
    engine = make_engine(cli_place.url)
    with make_session_factory(engine)() as s:  # they sign in once: enrolled
        found = s.exec(select(User).where(User.email == "c@example.org")).one()
        found.totp_enrolment_due = False
        s.add(found)
        s.commit()
    engine.dispose()
    first = user(cli_place.url, "c@example.org")
    again = ok("users", "set-password", "--email", "c@example.org")
    assert "authenticator app is unchanged" in again
    assert user(cli_place.url, "c@example.org").totp_secret == first.totp_secret
    reset = ok("users", "set-password", "--email", "c@example.org", "--new-totp")
    stored = user(cli_place.url, "c@example.org")
    assert stored.totp_enrolment_due and stored.totp_secret != first.totp_secret
    assert "QR code" in reset and (stored.totp_secret or "?") not in reset


def test_set_password_can_read_the_password_from_a_prompt(cli_place: Place) -> None:
    from typer.testing import CliRunner

    from web.cli import app as cli

    ok("users", "add", "--email", "b@example.org", "--name", "B", "--role", "manager")
    answer = "typed-password-99\ntyped-password-99\n"
    result = CliRunner().invoke(
        cli, ["users", "set-password", "--email", "b@example.org", "--prompt"], input=answer
    )
    assert result.exit_code == 0, result.output
    assert "one-time password" not in result.stdout
    stored = user(cli_place.url, "b@example.org")
    assert auth._hasher_verify(stored.password_hash or "", "typed-password-99")


def test_set_password_for_an_unknown_user_fails(cli_place: Place) -> None:
    assert run("users", "set-password", "--email", "nobody@example.org").exit_code == 2


def test_demo_users_get_the_demo_password_and_a_printed_totp_secret(cli_place: Place) -> None:
    out = ok("demo-data")
    secrets = re.findall(r"totp=([A-Z2-7]+)", out)
    # One per Community Trigger role and the JAG demo's partner officer.
    assert len(secrets) == len(DEMO_USERS) + 1 and DEMO_PASSWORD in out
    stored = user(cli_place.url, "jag.chair@example.org")
    assert auth._hasher_verify(stored.password_hash or "", DEMO_PASSWORD)
    assert stored.totp_secret in secrets
    again = ok("demo-data")
    assert re.findall(r"totp=([A-Z2-7]+)", again) == secrets  # authenticators keep working
