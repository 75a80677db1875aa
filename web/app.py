"""The FastAPI application factory: settings, clock and database are passed in, never global."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.gzip import GZipMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from engine.clock import Clock, SystemClock
from engine.db import make_engine, make_session_factory, settings_timeouts
from engine.settings import Settings
from web import errors, fingerprints, ops, telemetry
from web.api import docs as api_docs
from web.api import openapi as api_openapi
from web.api import v1
from web.public import errors as page_errors
from web.public.routes import public_router
from web.public.templating import make_environment
from web.security import BodyLimitAndHeaders, RateLimits
from web.staff import callers as staff_callers
from web.staff import dashboard as staff_dashboard
from web.staff import documents as staff_documents
from web.staff import equalities as staff_equalities
from web.staff import export as staff_export
from web.staff import find as staff_find
from web.staff import intake as staff_intake
from web.staff import jag as staff_jag
from web.staff import jag_meetings as staff_jag_meetings
from web.staff import jag_minutes as staff_jag_minutes
from web.staff import managers as staff_managers
from web.staff import routes as staff_routes
from web.staff import statements as staff_statements
from web.staff import users as staff_users

WEB = Path(__file__).resolve().parent
# Sign-in attempts per address; each account also locks after five wrong attempts.
LOGIN_RATE_LIMIT = "30/minute"
STATUS_RATE_LIMIT = "20/hour"
# Feedback per address: plenty for people, too few to flood the table.
FEEDBACK_RATE_LIMIT = "10/hour"


def create_app(
    settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    app = FastAPI(
        title="ctengine",
        summary="ASB Case Review (Community Trigger) and JAG case work",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # web/api/docs.py: Swagger UI from local files, no inline script
        redoc_url=None,
    )
    db = engine or make_engine(
        settings.database_url,
        schema=settings.database_schema,
        timeouts=settings_timeouts(settings),
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = db
    app.state.session_factory = make_session_factory(db)
    errors.install(app)
    app.include_router(v1.router)
    app.include_router(api_docs.router)
    api_openapi.install(app)
    _add_public_pages(app, settings)
    # Pages, API answers and assets over 1 kB are compressed for clients that accept it;
    # pages' CSRF tokens are masked afresh each time so compression gives nothing away.
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    ops.install(app)
    app.add_middleware(ops.Healthz)
    app.add_middleware(BodyLimitAndHeaders, max_body_bytes=settings.max_body_bytes)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    telemetry.install(app, token=token, networks=settings.metrics_networks)
    _trust_proxies(app, settings)
    return app


def app_from_environment() -> FastAPI:
    """The application built from the environment's settings, in each process that
    `ctengine serve --workers N` starts."""
    from engine import logs

    logs.configure()
    return create_app(Settings())


def _trust_proxies(app: FastAPI, settings: Settings) -> None:
    """Believe X-Forwarded-For and -Proto only from CTENGINE_TRUSTED_PROXIES: the client is
    then the last hop that is not one of them (docs/security.md). Unset: never."""
    trusted = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    if trusted:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)


def _add_public_pages(app: FastAPI, settings: Settings) -> None:
    """The victim-facing pages: templates, assets, CSRF secret, rate limits, error pages."""
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    app.state.secret_key = secret.encode() or secrets.token_bytes(32)
    app.state.templates = make_environment(settings)
    app.state.page_cache = {}
    app.state.rate_limits = RateLimits(
        {
            "submit": settings.submit_rate_limit,
            "check": settings.check_rate_limit,
            "answers": settings.answers_rate_limit,
            "login": LOGIN_RATE_LIMIT,
            # Reference and code on /status: a few tries, then wait (guessing a code is slow).
            "status": STATUS_RATE_LIMIT,
            "feedback": FEEDBACK_RATE_LIMIT,
        },
        clock=app.state.clock,
    )
    page_errors.install(app)
    # GOV.UK Frontend's files, copied from node_modules by `make assets` (not committed).
    # Both served with cache headers by content hash (web/fingerprints.py).
    static = fingerprints.FOLDERS
    app.mount(
        "/assets",
        fingerprints.FingerprintedStaticFiles(directory=static["/assets/"], check_dir=False),
        name="assets",
    )
    # Our own small script and style files, committed with the code.
    app.mount(
        "/static",
        fingerprints.FingerprintedStaticFiles(directory=static["/static/"]),
        name="static",
    )
    app.include_router(public_router())
    staff_routes.install(app)
    app.include_router(staff_documents.router)
    app.include_router(staff_managers.router)
    app.include_router(staff_export.router)
    app.include_router(staff_dashboard.router)
    app.include_router(staff_equalities.router)
    app.include_router(staff_intake.router)
    app.include_router(staff_find.router)
    app.include_router(staff_users.router)
    app.include_router(staff_callers.router)
    app.include_router(staff_statements.router)
    app.include_router(staff_jag.router)
    app.include_router(staff_jag_meetings.router)
    app.include_router(staff_jag_minutes.router)
