"""Alembic environment: migrates the database the caller's connection or settings name."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import engine.models  # noqa: F401  (registers every table on the metadata)
import workflows  # noqa: F401  (and each workflow package's own tables)
from engine.db import make_engine
from engine.settings import Settings

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    settings = Settings()
    engine = make_engine(settings.database_url, schema=settings.database_schema)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
