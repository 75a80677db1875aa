"""Runs the Alembic migrations shipped with ctengine against a database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

ROOT = Path(__file__).resolve().parent.parent


class ForeignKeyViolation(Exception):
    """A migration left rows pointing at rows that are not there; it was rolled back."""


def alembic_config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` inside one connection."""
    _run(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` inside one connection, keeping the data."""
    _run(engine, lambda cfg: command.downgrade(cfg, revision))


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    cfg = alembic_config()
    with _foreign_keys_off(engine) as conn, conn.begin():
        cfg.attributes["connection"] = conn
        step(cfg)
        _check_foreign_keys(conn)


@contextmanager
def _foreign_keys_off(engine: Engine) -> Iterator[Connection]:
    """On SQLite, foreign keys are off while the migration runs.

    Changing a column there means rebuilding its table (create a copy, move the rows, drop
    the old one, rename): with foreign keys on, dropping a table other rows point at fails,
    or empties theirs. The pragma only takes effect outside a transaction, so it is set on
    the bare connection before the migration's transaction begins; the rows are checked
    (PRAGMA foreign_key_check) before that transaction commits.
    """
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            yield conn
            return
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            yield conn
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL checks every row as it is written, migrations included
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise ForeignKeyViolation(f"rows with missing parents in {', '.join(tables)}")
