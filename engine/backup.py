"""Backups that restore: SQLite's online backup API, PostgreSQL's pg_dump custom format.

A backup is taken while the service runs (SQLite copies a consistent snapshot page by page;
pg_dump reads one snapshot). A restore goes only into an empty database, so it can never
mix a backup with newer rows; run `ctengine db upgrade` after it if the code is newer.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url


class NotEmpty(Exception):
    """The database to restore into already has tables."""


def backup(engine: Engine, out: Path, *, schema: str | None = None) -> None:
    """Write a backup of the database (on PostgreSQL, of `schema` if one is used) to `out`."""
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        target = sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    args = ["pg_dump", "--format=custom", "--no-owner", f"--file={out}"]
    if schema:
        args.append(f"--schema={schema}")
    _run([*args, _libpq_url(engine)], engine)


def restore(engine: Engine, backup_file: Path, *, schema: str | None = None) -> None:
    """Load a backup into an empty database."""
    if inspect(engine).get_table_names(schema=schema):
        raise NotEmpty("the database already has tables: restore only into an empty one")
    if engine.dialect.name == "sqlite":
        engine.dispose()
        source = sqlite3.connect(backup_file)
        target = sqlite3.connect(_sqlite_path(engine))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    args = ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction"]
    _run([*args, f"--dbname={_libpq_url(engine)}", str(backup_file)], engine)


def _sqlite_path(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise ValueError("an in-memory SQLite database has nothing to back up")
    return path


def _libpq_url(engine: Engine) -> str:
    """The URL as libpq reads it, without the password (that goes in PGPASSWORD)."""
    url = make_url(engine.url.render_as_string(hide_password=False))
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(args: list[str], engine: Engine) -> None:
    env = dict(os.environ)
    if engine.url.password:
        env["PGPASSWORD"] = str(engine.url.password)
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()[-500:]}")
