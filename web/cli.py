"""The `ctengine` command: database, demo data, users, tokens, cases, server and worker."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import typer

from engine import registry
from engine.access import Actor, Grant
from engine.clock import Clock, FixedClock, SystemClock
from engine.db import make_engine, make_session_factory
from engine.errors import EngineError
from engine.migrate import upgrade
from engine.queries import case_detail, mermaid
from engine.services import auth, staff
from engine.services.demo import load_demo_data
from engine.services.org import sync_areas
from engine.settings import Settings

app = typer.Typer(
    help="ctengine: ASB Case Review (Community Trigger) and JAG case work.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff users and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for staff.", no_args_is_help=True)
case_app = typer.Typer(help="Look at cases.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(case_app, name="case")


def _sessions(settings: Settings):  # type: ignore[no-untyped-def]
    return make_session_factory(make_engine(settings.database_url, schema=settings.database_schema))


def _fail(exc: EngineError) -> None:
    typer.echo(f"error: {exc.detail}", err=True)
    raise typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration, then mirror the area files' organisation into the database."""
    settings = Settings()
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        count = sync_areas(session)
    typer.echo(f"database at head; {count} localities")


@app.command("demo-data")
def demo_data() -> None:
    """Load the demo organisation, users (with fresh API tokens) and cases."""
    with _sessions(Settings())() as session:
        logins = load_demo_data(session, clock=SystemClock())
    typer.echo("Demo users (email, role, locality, API token, TOTP secret):")
    for login in logins:
        typer.echo(
            f"  {login.email:28} {login.role:13} {login.locality or 'all LLR':10} {login.token}"
            f"  totp={login.totp_secret}"
        )
    # The secret goes into an authenticator app (as a set-up key) to give sign-in codes.
    typer.echo(
        f"\nStaff sign in at /staff/login with the password {logins[0].password!r} and a code "
        "from an authenticator app set up with the user's TOTP secret."
    )


@users_app.command("add")
def users_add(
    email: str = typer.Option(...),
    name: str = typer.Option(...),
    role: str = typer.Option(...),
    locality: str | None = typer.Option(None),
) -> None:
    """Add a staff user (or another role for an existing one)."""
    with _sessions(Settings())() as session:
        try:
            user = staff.add_user(
                session, clock=SystemClock(), email=email, name=name, role=role, locality=locality
            )
        except EngineError as exc:
            _fail(exc)
        typer.echo(f"user {user.email} has role {role} in {locality or 'the whole area'}")


@users_app.command("set-password")
def users_set_password(
    email: str = typer.Option(...),
    prompt: bool = typer.Option(False, "--prompt", help="Type the password instead."),
    new_totp: bool = typer.Option(
        False, "--new-totp", help="Also make them set up their authenticator app again."
    ),
) -> None:
    """Set a password (a one-time one is printed unless --prompt).

    A user with no authenticator app yet, or every user with --new-totp, sets one up from a
    QR code at their next sign-in: the secret is never printed here.
    """
    password = (
        typer.prompt("Password", hide_input=True, confirmation_prompt=True) if prompt else None
    )
    with _sessions(Settings())() as session:
        try:
            enrol = new_totp or not auth.has_totp(session, email=email)
            done = auth.set_password(
                session, clock=SystemClock(), email=email, password=password, new_totp=enrol
            )
        except EngineError as exc:
            _fail(exc)
    if not prompt:
        typer.echo(f"one-time password: {done.password}")
    if done.enrolment_due:
        typer.echo(
            "At their next sign-in they will set up an authenticator app from a QR code; "
            "any app they used before no longer works."
        )
    else:
        typer.echo("Their authenticator app is unchanged.")


@tokens_app.command("create")
def tokens_create(
    email: str = typer.Option(...),
    days: int | None = typer.Option(None, help="Days until it expires (CTENGINE_API_TOKEN_DAYS)."),
) -> None:
    """Create an API token for a user and print it (it is shown only once)."""
    settings = Settings()
    with _sessions(settings)() as session:
        try:
            typer.echo(
                staff.create_token(
                    session, clock=SystemClock(), email=email, days=days or settings.api_token_days
                )
            )
        except EngineError as exc:
            _fail(exc)


@tokens_app.command("revoke")
def tokens_revoke(
    email: str | None = typer.Option(None, help="Revoke every token of this user."),
    token: str | None = typer.Option(None, help="Revoke this one token."),
) -> None:
    """Revoke API tokens at once: one token, or all of a user's (e.g. when they leave)."""
    with _sessions(Settings())() as session:
        try:
            count = staff.revoke_tokens(session, email=email, token=token)
        except EngineError as exc:
            _fail(exc)
    typer.echo(f"revoked {count} token(s)")


def _system_actor() -> Actor:
    grants = tuple(Grant("admin", aid, None) for aid in registry.area_ids())
    return Actor(user_id=None, label="ctengine CLI", grants=grants)


@case_app.command("show")
def case_show(reference: str) -> None:
    """Print a case as JSON: state, version, deadlines, history."""
    with _sessions(Settings())() as session:
        try:
            detail = case_detail(
                session, reference=reference, actor=_system_actor(), clock=SystemClock()
            )
        except EngineError as exc:
            _fail(exc)
        typer.echo(json.dumps(detail, indent=2))


@app.command("diagrams")
def diagrams() -> None:
    """Print a Mermaid state diagram of each workflow."""
    for name in registry.workflow_names():
        typer.echo(f"%% {name}\n{mermaid(registry.workflow(name))}\n")


@app.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    with_worker: bool = typer.Option(False, help="Run the background worker too."),
) -> None:
    """Serve the web application (and, with --with-worker, the background worker)."""
    import uvicorn

    from web.app import create_app
    from web.server import uvicorn_options

    settings = Settings()
    web_app = create_app(settings)
    scheduler = None
    if with_worker:
        from notifications.worker import build_worker, schedule

        worker = build_worker(settings, web_app.state.session_factory)
        scheduler = schedule(worker, settings, blocking=False)
        scheduler.start()
        scheduler.add_job(worker.tick, id="first_tick")  # once, straight away
    try:
        # Header cap, read timeouts, access log without status links: web/server.py.
        uvicorn.run(web_app, host=host, port=port, **uvicorn_options())
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@app.command("worker")
def worker(
    once: bool = typer.Option(False, help="One sweep and one dispatch pass, then exit."),
    as_of: str | None = typer.Option(None, help="Pretend it is this UTC time (ISO)."),
) -> None:
    """Run the deadline sweep and outbox dispatch (every minute, or --once)."""
    from notifications.worker import build_worker, schedule

    logging.basicConfig(level=logging.INFO)
    settings = Settings()
    clock: Clock = SystemClock()
    if as_of:
        clock = FixedClock(datetime.fromisoformat(as_of).replace(tzinfo=UTC))
    w = build_worker(settings, _sessions(settings), clock=clock)
    if once:
        swept, sent = w.run_once()
        typer.echo(f"deadlines swept: {swept}; messages sent: {sent}")
        return
    w.tick()
    schedule(w, settings, blocking=True).start()
