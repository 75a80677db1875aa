"""The FastAPI application factory: settings, clock and database are passed in, never global."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from engine.clock import Clock, SystemClock
from engine.db import make_engine, make_session_factory
from engine.settings import Settings
from web import errors
from web.api import v1
from web.security import BodyLimitAndHeaders


def create_app(
    settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None
) -> FastAPI:
    app = FastAPI(
        title="ctengine",
        summary="ASB Case Review (Community Trigger) and JAG case work",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    db = engine or make_engine(settings.database_url, schema=settings.database_schema)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = db
    app.state.session_factory = make_session_factory(db)
    errors.install(app)
    app.include_router(v1.router)
    app.add_middleware(BodyLimitAndHeaders, max_body_bytes=settings.max_body_bytes)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
