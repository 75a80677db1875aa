"""Shared fixtures: a fresh migrated database per test, a fixed clock, app and clients.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL is set; each
pytest-xdist worker then gets a schema of its own, dropped at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import workflows  # noqa: F401  (each workflow package's tables join the metadata)
from engine.clock import FixedClock
from engine.db import SessionFactory, make_engine, make_session_factory
from engine.migrate import upgrade
from engine.services.org import sync_areas
from engine.settings import Settings

PG_URL = os.environ.get("DATABASE_URL", "")


def on_postgres() -> bool:
    return PG_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Migrate once per worker: a template SQLite file, or a PostgreSQL schema."""
    if on_postgres():
        schema = f"ct_test_{uuid.uuid4().hex[:12]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        migrator = make_engine(PG_URL, schema=schema, pool_size=2)
        upgrade(migrator)
        migrator.dispose()
        yield {"url": PG_URL, "schema": schema}
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        return
    folder = tmp_path_factory.mktemp("db")
    path = folder / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection folds the WAL back into the file
    yield {"url": f"sqlite:///{path}", "path": str(path), "folder": str(folder)}


@pytest.fixture
def db_engine(_template: dict[str, str], tmp_path: Path) -> Iterator[Engine]:
    """A clean, migrated database holding only the area files' organisation."""
    if "schema" in _template:
        engine = make_engine(_template["url"], schema=_template["schema"], pool_size=25)
        _truncate(engine)
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(_template["path"], path)
        engine = make_engine(f"sqlite:///{path}")
    with make_session_factory(engine)() as session:
        sync_areas(session)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def session_factory(db_engine: Engine) -> SessionFactory:
    return make_session_factory(db_engine)


@pytest.fixture
def session(session_factory: SessionFactory):  # type: ignore[no-untyped-def]
    with session_factory() as s:
        yield s


@pytest.fixture
def clock() -> FixedClock:
    """Monday 2 March 2026, 10:00 UTC (10:00 in London: GMT)."""
    return FixedClock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite://", outbox_dir=str(tmp_path / "outbox"))


@pytest.fixture
def app(settings: Settings, clock: FixedClock, db_engine: Engine):  # type: ignore[no-untyped-def]
    from web.app import create_app

    return create_app(settings, clock=clock, engine=db_engine)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def serve(app: Any) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, for real concurrent requests."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)  # waiting for a server to start, not for domain time
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    yield from serve(app)
