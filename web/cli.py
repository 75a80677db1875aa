"""The `ctengine` command: database, demo data, users, tokens, cases, server and worker."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime
from pathlib import Path

import typer

from engine import backup, logs, registry
from engine.access import Actor, Grant
from engine.clock import Clock, FixedClock, SystemClock
from engine.db import make_engine, make_session_factory
from engine.errors import EngineError
from engine.migrate import downgrade, upgrade
from engine.queries import case_detail, mermaid
from engine.services import auth, staff
from engine.services.org import sync_areas
from engine.settings import Settings
from workflows.community_trigger.services.demo import load_demo_data
from workflows.jag_case.demo import load_jag_demo

app = typer.Typer(
    help="ctengine: ASB Case Review (Community Trigger) and JAG case work.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Staff users and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for staff.", no_args_is_help=True)
case_app = typer.Typer(help="Look at cases.", no_args_is_help=True)
report_app = typer.Typer(help="Reports for the partnership board.", no_args_is_help=True)
import_app = typer.Typer(help="Load records from other systems.", no_args_is_help=True)
export_app = typer.Typer(help="Write records out for other systems.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(case_app, name="case")
app.add_typer(report_app, name="report")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")


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


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="e.g. 0006, or -1")) -> None:
    """Take the schema back to an earlier migration, keeping the data (take a backup first)."""
    settings = Settings()
    downgrade(make_engine(settings.database_url, schema=settings.database_schema), revision)
    typer.echo(f"database at {revision}")


@db_app.command("backup")
def db_backup(out: Path = typer.Option(..., "--out", help="The backup file to write.")) -> None:
    """Back up the database while it runs (SQLite online backup; PostgreSQL pg_dump -Fc)."""
    settings = Settings()
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    backup.backup(engine, out, schema=settings.database_schema)
    typer.echo(f"backup written to {out}")


@db_app.command("restore")
def db_restore(backup_file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Restore a backup into an empty database (then run `ctengine db upgrade`)."""
    settings = Settings()
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    try:
        backup.restore(engine, backup_file, schema=settings.database_schema)
    except backup.NotEmpty as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"restored {backup_file}")


@app.command("demo-data")
def demo_data() -> None:
    """Load the demo organisation, users (with fresh API tokens) and cases."""
    with _sessions(Settings())() as session:
        logins = load_demo_data(session, clock=SystemClock())
        jag_logins = load_jag_demo(session, clock=SystemClock(), password=logins[0].password)
    typer.echo("Demo users (email, role, locality, API token, TOTP secret):")
    for login in logins:
        typer.echo(
            f"  {login.email:28} {login.role:13} {login.locality or 'all LLR':10} {login.token}"
            f"  totp={login.totp_secret}"
        )
    for email, role, locality, token, totp in jag_logins:
        typer.echo(f"  {email:28} {role:13} {locality or 'all LLR':10} {token}  totp={totp}")
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


@case_app.command("export")
def case_export(
    reference: str,
    out: str = typer.Option(".", help="Folder to write REFERENCE-subject-access.json and .pdf in."),
) -> None:
    """Write a case's subject access bundle (JSON and PDF); recorded on the case."""
    from pathlib import Path

    from engine.services import subject_access

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with _sessions(Settings())() as session:
        for fmt in subject_access.FORMATS:
            try:
                name, _media, content = subject_access.export(
                    session,
                    reference=reference,
                    actor=_system_actor(),
                    clock=SystemClock(),
                    fmt=fmt,
                )
            except EngineError as exc:
                _fail(exc)
            (folder / name).write_bytes(content)
            typer.echo(str(folder / name))


@report_app.command("board")
def report_board(
    area: str = typer.Option(..., help="The area, e.g. llr"),
    month: str = typer.Option(..., help="The month the report ends with, YYYY-MM"),
    out: str = typer.Option(..., help="The folder to write the HTML and PDF into"),
) -> None:
    """Write the monthly CSP board report (the managers' dashboard) as HTML and PDF."""
    from pathlib import Path

    from web.board_report import write_board_report

    clock = SystemClock()
    with _sessions(Settings())() as session:
        try:
            written = write_board_report(
                session,
                area_id=area,
                month=month,
                out=Path(out),
                today=clock.today(),
                written=clock.now().strftime("%-d %B %Y %H:%M UTC"),
            )
        except EngineError as exc:
            _fail(exc)
    typer.echo(f"wrote {written.html}")
    typer.echo(f"wrote {written.pdf}")


@import_app.command("sentinel")
def import_sentinel(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A Sentinel CSV export."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and count; store nothing."),
) -> None:
    """Load a Sentinel CSV export (docs/sentinel-import.md): all of it, or nothing."""
    from web.interop import run_sentinel_import

    with _sessions(Settings())() as session:
        try:
            code = run_sentinel_import(session, file, dry_run=dry_run, clock=SystemClock())
        except EngineError as exc:
            _fail(exc)
    raise typer.Exit(code)


@export_app.command("cases")
def export_cases(
    fmt: str = typer.Option("csv", "--format", help="csv (the only format)."),
    since: str = typer.Option(None, "--since", help="Only cases changed on or after YYYY-MM-DD."),
    out: Path = typer.Option(None, "--out", help="The file to write; standard output without."),
) -> None:
    """Every case with its state, dates and locality (no equalities answers), as CSV."""
    from web.interop import write_case_export

    with _sessions(Settings())() as session:
        try:
            write_case_export(
                session, fmt=fmt, since=since, out=out, actor=_system_actor(), clock=SystemClock()
            )
        except EngineError as exc:
            _fail(exc)


@app.command("diagrams")
def diagrams() -> None:
    """Print a Mermaid state diagram of each workflow."""
    for name in registry.workflow_names():
        typer.echo(f"%% {name}\n{mermaid(registry.workflow(name))}\n")


# Seconds a stopping web process gives requests in flight to finish (SIGTERM).
GRACEFUL_SHUTDOWN_SECONDS = 30


@app.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, min=1, help="Web processes (PostgreSQL for more than one)."),
    with_worker: bool = typer.Option(False, help="Run the background worker too."),
) -> None:
    """Serve the web application (and, with --with-worker, the background worker).

    On SIGTERM each process stops taking connections and finishes the requests in flight.
    """
    import uvicorn

    from web.app import create_app
    from web.server import uvicorn_options

    logs.configure()
    settings = Settings()
    if workers > 1:
        _several_processes(settings, with_worker)
        uvicorn.run(
            "web.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **{**uvicorn_options(), "log_config": None},
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        return
    web_app = create_app(settings)
    scheduler = worker_ = None
    if with_worker:
        from notifications.worker import build_worker, schedule

        worker_ = build_worker(settings, web_app.state.session_factory)
        scheduler = schedule(worker_, settings, blocking=False)
        scheduler.start()
        scheduler.add_job(worker_.tick, id="first_tick")  # once, straight away
    # uvicorn drains on SIGTERM, then raises the signal again for the handler it found:
    # this one lets a finished drain end the process with 0, not "killed by SIGTERM".
    signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        # Header cap and read timeouts from web/server.py; logs from engine.logs (the request
        # log names route templates, never a status link).
        options = {**uvicorn_options(), "log_config": None}
        uvicorn.run(
            web_app,
            host=host,
            port=port,
            **options,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    finally:
        if scheduler is not None and worker_ is not None:
            worker_.stop()  # the message in hand is finished, the rest handed back
            scheduler.shutdown(wait=True)


def _several_processes(settings: Settings, with_worker: bool) -> None:
    """Several web processes share the CSRF and cookie signing key, and run no worker."""
    if settings.secret_key is None:
        typer.echo(
            "error: set CTENGINE_SECRET_KEY (the same value for every process) to run more "
            "than one web process: each would otherwise sign forms with a key of its own",
            err=True,
        )
        raise typer.Exit(2)
    if with_worker:
        typer.echo("error: with --workers, run `ctengine worker` as its own process", err=True)
        raise typer.Exit(2)


def _privacy_once(w: object) -> None:
    """The worker's privacy jobs once (equalities release, retention schedule), for --once."""
    released = w.release_equalities()  # type: ignore[attr-defined]
    kept = w.apply_retention()  # type: ignore[attr-defined]
    typer.echo(
        f"equalities answers released: {released.released} (waiting: {released.waiting}); "
        f"retention: {kept.cases} cases and {kept.complaints} complaints anonymised, "
        f"{kept.held} on legal hold, {kept.saved_answers} saved answers deleted, "
        f"{kept.imported} imported reports anonymised"
    )


@app.command("worker")
def worker(
    once: bool = typer.Option(False, help="One sweep and one dispatch pass, then exit."),
    as_of: str | None = typer.Option(None, help="Pretend it is this UTC time (ISO)."),
) -> None:
    """Run the deadline sweep and outbox dispatch (every minute, or --once)."""
    from notifications.worker import build_worker, drain_on_sigterm, schedule

    logs.configure()
    settings = Settings()
    clock: Clock = SystemClock()
    if as_of:
        clock = FixedClock(datetime.fromisoformat(as_of).replace(tzinfo=UTC))
    w = build_worker(settings, _sessions(settings), clock=clock)
    if once:
        drain_on_sigterm(w)
        swept, sent = w.run_once()
        typer.echo(f"deadlines swept: {swept}; messages sent: {sent}")
        _privacy_once(w)
        return
    scheduler = schedule(w, settings, blocking=True)
    drain_on_sigterm(w, scheduler)
    w.tick()
    if not w.stopping.is_set():
        scheduler.start()  # returns once SIGTERM has let the running jobs finish
    typer.echo("worker stopped")
