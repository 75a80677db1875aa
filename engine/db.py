"""Database engine and sessions: SQLite by default, PostgreSQL when the URL says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

SessionFactory = Callable[[], Session]
# Execution option for a transaction that only reads (see `snapshot_read`).
SNAPSHOT_READ = "ct_snapshot_read"


def make_engine(url: str, *, schema: str | None = None, pool_size: int = 10) -> Engine:
    """Build the engine; on SQLite every transaction takes the write lock up front."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    return create_engine(
        url, connect_args=connect_args, pool_size=pool_size, max_overflow=20, pool_pre_ping=True
    )


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed state change survives power loss, not just a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(SNAPSHOT_READ):
            # A read-only transaction: in WAL mode a plain BEGIN reads a snapshot and
            # neither waits for nor blocks the writer.
            conn.exec_driver_sql("BEGIN")
            return
        # IMMEDIATE takes the write lock at BEGIN, so a read-then-write transaction
        # cannot fail half way with SQLITE_BUSY when another writer commits first.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def snapshot_read(session: Session) -> None:
    """Start the session's next transaction as a read that takes no write lock on SQLite.

    Only for a transaction that writes nothing: on SQLite it would fail with SQLITE_BUSY
    at its first write if another connection wrote meanwhile. No effect on PostgreSQL, or
    when the session is already in a transaction.
    """
    if not session.in_transaction():
        session.connection(execution_options={SNAPSHOT_READ: True})
