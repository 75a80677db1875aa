"""The `ctengine` command against a fresh SQLite file, configured only through the environment."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select
from typer.testing import CliRunner, Result

from engine import registry
from engine.clock import FixedClock
from engine.db import make_engine, make_session_factory
from engine.models import ApiToken, Case, OutboxMessage, RoleGrant, User
from engine.settings import Settings
from tests.factories import application_body, make_case
from web.cli import app as cli
from workflows.community_trigger.services.demo import DEMO_USERS
from workflows.jag_case.demo import PARTNER as JAG_PARTNER

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

pytestmark = [
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")),
        reason="the CLI tests build their own SQLite database",
    ),
    # Starlette 1.10 warns when its test client runs on httpx rather than httpx2 (see the report).
    pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning"),
]

TOKEN = re.compile(r"\bct_[A-Za-z0-9_-]{20,}")


@dataclass(frozen=True)
class Place:
    url: str
    outbox: Path


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Place:
    """Where the CLI keeps its database and outbox, told to it only through the environment."""
    url = f"sqlite:///{tmp_path / 'ctengine.db'}"
    monkeypatch.setenv("CTENGINE_DATABASE_URL", url)
    monkeypatch.setenv("CTENGINE_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("CTENGINE_DATABASE_SCHEMA", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    return Place(url, tmp_path / "outbox")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


@pytest.fixture
def migrated(place: Place) -> Place:
    ok("db", "upgrade")
    return place


@pytest.fixture
def db(migrated: Place) -> Iterator[Engine]:
    """The CLI's database, for the test to look at and to seed with the fixed clock."""
    engine = make_engine(migrated.url)
    yield engine
    engine.dispose()


def count(engine: Engine, model: type) -> int:
    with make_session_factory(engine)() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_db_upgrade_migrates_an_empty_file_and_loads_the_localities(place: Place) -> None:
    out = ok("db", "upgrade")
    localities = sum(len(registry.area(a).localities) for a in registry.area_ids())
    assert out.strip() == f"database at head; {localities} localities"
    assert ok("db", "upgrade") == out  # running it again changes nothing


def test_demo_data_prints_each_demo_user_with_a_token(migrated: Place) -> None:
    out = ok("demo-data")
    lines = [line for line in out.splitlines() if "@" in line]
    # One user per Community Trigger role, then the JAG demo's partner officer.
    expected = [email for email, *_ in DEMO_USERS] + [JAG_PARTNER[0]]
    assert [line.split()[0] for line in lines] == expected
    tokens = [TOKEN.search(line) for line in lines]
    assert all(tokens), lines
    assert len({t.group() for t in tokens if t}) == len(expected)


def test_demo_data_holds_jag_cases_in_the_states_a_chair_works_on(db: Engine) -> None:
    ok("demo-data")
    with make_session_factory(db)() as s:
        jag = s.exec(select(Case).where(Case.workflow_name == "jag_case")).all()
    assert {c.reference.split("-")[0] for c in jag} == {"JAG"}
    assert sorted(c.state for c in jag) == ["active", "active", "active", "referred"]


def test_running_demo_data_twice_adds_no_more_cases_or_users(db: Engine) -> None:
    first = ok("demo-data")
    cases, users, grants = count(db, Case), count(db, User), count(db, RoleGrant)
    second = ok("demo-data")
    assert cases > 0
    assert (count(db, Case), count(db, User), count(db, RoleGrant)) == (cases, users, grants)
    assert set(TOKEN.findall(first)).isdisjoint(TOKEN.findall(second))  # fresh tokens each time


def test_a_user_added_on_the_command_line_gets_a_token_that_works_on_the_api(
    db: Engine, migrated: Place, clock: FixedClock
) -> None:
    from fastapi.testclient import TestClient

    out = ok(
        "users",
        "add",
        "--email",
        "x@example.org",
        "--name",
        "X",
        "--role",
        "jag_chair",
        "--locality",
        "melton",
    )
    assert "x@example.org" in out and "jag_chair" in out and "melton" in out
    token = ok("tokens", "create", "--email", "x@example.org").strip()
    assert TOKEN.fullmatch(token)

    web = create_web_app(migrated, clock)
    try:
        with TestClient(web, raise_server_exceptions=False) as client:
            melton = submit(client, clock, locality="melton")
            leicester = submit(client, clock, locality="leicester", email="l@example.org")
            auth = {"Authorization": f"Bearer {token}"}
            case = client.get(f"/api/v1/cases/{melton}", headers=auth)
            assert case.status_code == 200, case.text
            assert "acknowledge" in case.json()["events"]
            assert client.get(f"/api/v1/cases/{leicester}", headers=auth).status_code == 403
            fired = client.post(
                f"/api/v1/cases/{melton}/events",
                json={"event": "acknowledge", "version": 1},
                headers=auth,
            )
            assert (fired.status_code, fired.json()["state"]) == (200, "acknowledged")
    finally:
        web.state.engine.dispose()


def create_web_app(place: Place, clock: FixedClock):  # type: ignore[no-untyped-def]
    from web.app import create_app

    return create_app(Settings(database_url=place.url, outbox_dir=str(place.outbox)), clock=clock)


def submit(client: TestClient, clock: FixedClock, **kwargs: object) -> str:
    response = client.post(
        "/api/v1/applications", json=application_body(today=clock.today(), **kwargs)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wizard", "--locality", "melton"], "Unknown role 'wizard'; use one of contact"),
        (["--role", "contact", "--locality", "atlantis"], "Unknown locality 'atlantis'"),
        (["--role", "contact"], "A contact needs a locality"),
    ],
    ids=["unknown_role", "unknown_locality", "locality_missing_for_a_local_role"],
)
def test_users_add_refuses_bad_input_with_a_clear_message_and_adds_nobody(
    db: Engine, args: list[str], message: str
) -> None:
    result = run("users", "add", "--email", "y@example.org", "--name", "Y", *args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert count(db, User) == 0


def test_tokens_create_for_an_unknown_email_fails_with_a_message(db: Engine) -> None:
    result = run("tokens", "create", "--email", "nobody@example.org")
    assert result.exit_code != 0
    assert "No user with email nobody@example.org" in result.stderr
    assert count(db, ApiToken) == 0


def test_case_show_prints_the_case_as_json(db: Engine, clock: FixedClock) -> None:
    with make_session_factory(db)() as s:
        done = make_case(s, clock)
    shown = json.loads(ok("case", "show", done.reference))
    assert (shown["reference"], shown["state"], shown["version"]) == (
        done.reference,
        "submitted",
        1,
    )
    assert [h["event"] for h in shown["history"]] == ["submit"]


def test_case_show_prints_each_demo_case_in_the_state_it_is_in(db: Engine) -> None:
    ok("demo-data")
    with make_session_factory(db)() as s:
        states = {c.reference: c.state for c in s.exec(select(Case)).all()}
    assert len(set(states.values())) > 1
    for reference, state in states.items():
        assert json.loads(ok("case", "show", reference))["state"] == state


def test_case_show_of_an_unknown_reference_fails_with_a_message(migrated: Place) -> None:
    result = run("case", "show", "CT-2099-999999")
    assert result.exit_code != 0
    assert "There is no case CT-2099-999999" in result.stderr
    assert result.stdout == ""


def test_worker_once_sends_the_queued_messages_into_the_outbox_folder(
    db: Engine, migrated: Place, clock: FixedClock
) -> None:
    with make_session_factory(db)() as s:
        make_case(s, clock, email="first@example.org")
        make_case(s, clock, email="second@example.org")
    as_of = ["--as-of", clock.now().replace(tzinfo=None).isoformat()]

    out = ok("worker", "--once", *as_of)

    assert "messages sent: 2" in out
    files = sorted(migrated.outbox.iterdir())
    assert len(files) == 2
    recipients = {f.read_text(encoding="utf-8").splitlines()[0] for f in files}
    assert recipients == {"To: first@example.org", "To: second@example.org"}
    with make_session_factory(db)() as s:
        assert {m.status for m in s.exec(select(OutboxMessage)).all()} == {"sent"}
    assert "messages sent: 0" in ok("worker", "--once", *as_of)  # nothing is sent twice
    assert len(list(migrated.outbox.iterdir())) == 2


def test_diagrams_prints_a_mermaid_state_diagram_for_each_workflow() -> None:
    out = ok("diagrams")
    assert "%% community_trigger\nstateDiagram-v2\n" in out
    assert "submitted --> acknowledged: acknowledge" in out
