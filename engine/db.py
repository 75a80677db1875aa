"""Database engine and sessions: SQLite by default, PostgreSQL when the URL says so."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

SessionFactory = Callable[[], Session]
# Execution option for a transaction that only reads (see `snapshot_read`).
SNAPSHOT_READ = "ct_snapshot_read"


@dataclass(frozen=True)
class Timeouts:
    """How long one statement may run and a lock may be waited for, in milliseconds; None:
    no limit (migrations, backups). Connecting, and waiting for a pooled connection, in s."""

    statement_ms: int | None = None
    lock_ms: int | None = None
    connect_s: int = 10


# The old fixed lock wait on SQLite, kept when no Timeouts are given (the CLI, tests).
_SQLITE_DEFAULT_LOCK_MS = 30_000


def make_engine(
    url: str,
    *,
    schema: str | None = None,
    pool_size: int = 10,
    timeouts: Timeouts | None = None,
) -> Engine:
    """Build the engine; on SQLite every transaction takes the write lock up front."""
    timeouts = timeouts or Timeouts()
    if url.startswith("sqlite"):
        return _sqlite_engine(url, timeouts.lock_ms)
    options = [f"-csearch_path={schema}"] if schema else []
    if timeouts.statement_ms:
        options.append(f"-cstatement_timeout={timeouts.statement_ms}")
    if timeouts.lock_ms:
        options.append(f"-clock_timeout={timeouts.lock_ms}")
    connect_args: dict[str, Any] = {"connect_timeout": timeouts.connect_s}
    if options:
        connect_args["options"] = " ".join(options)
    return create_engine(
        url,
        connect_args=connect_args,
        pool_size=pool_size,
        max_overflow=20,
        pool_pre_ping=True,
        pool_timeout=timeouts.connect_s,
        # Values never go into error messages or logs: they hold applicants' details.
        hide_parameters=True,
    )


def settings_timeouts(settings: Any) -> Timeouts:
    """The request-serving timeouts from Settings (engine.settings)."""
    return Timeouts(
        statement_ms=settings.db_statement_timeout_ms,
        lock_ms=settings.db_lock_timeout_ms,
        connect_s=settings.db_connect_timeout_seconds,
    )


class DatabaseBusy(Exception):
    """A write waited longer than the lock timeout for its turn (SQLite's one writer)."""


def _sqlite_engine(url: str, lock_ms: int | None) -> Engine:
    """`lock_ms`: how long a write waits for SQLite's lock, in this process's queue and then
    in SQLite's busy handler; None waits in the queue for as long as it takes."""
    busy_ms = lock_ms or _SQLITE_DEFAULT_LOCK_MS
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
        hide_parameters=True,
    )
    writers = _WRITERS[engine] = WriterQueue(timeout=lock_ms / 1000 if lock_ms else None)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed state change survives power loss, not just a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
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
        # cannot fail half way with SQLITE_BUSY when another writer commits first. This
        # process's writers queue for it first, in the order they came (WriterQueue).
        dbapi_connection = conn.connection.dbapi_connection
        writers.enter(dbapi_connection)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.leave(dbapi_connection)
            raise

    # The turn is handed on once the transaction has ended, so the next writer's BEGIN
    # IMMEDIATE finds the lock free. The pool's reset on return also ends in do_rollback.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def _do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            if not dbapi_connection.in_transaction:
                writers.leave(dbapi_connection)

    def _do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            writers.leave(dbapi_connection)

    dialect.do_commit = _do_commit  # type: ignore[method-assign]
    dialect.do_rollback = _do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection: Any, _record: Any) -> None:
        writers.leave(dbapi_connection)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(dbapi_connection: Any, _record: Any, _exc: Any) -> None:
        writers.leave(dbapi_connection)

    return engine


class WriterQueue:
    """SQLite's one write lock, handed to this process's writers in the order they came.

    Without it, threads that find the lock taken wait in SQLite's busy handler, which sleeps
    up to 100 ms between tries: a newcomer can take the lock ahead of threads that have
    waited many turns, so under load the slowest writes (the p99) wait for seconds. Here a
    write transaction waits for its turn before BEGIN IMMEDIATE and hands it on when it ends.
    Other processes on the same file still meet in SQLite's busy handler.

    A thread that already holds a turn and opens a second write transaction on another
    connection does not queue behind itself: it goes straight to SQLite, which waits for
    the first to end (busy_timeout) as it would without the queue.
    """

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout
        self._guard = threading.Lock()
        # Each waiter: the lock it sleeps on, and who it is (thread id, DBAPI connection id).
        self._waiting: deque[tuple[threading.Lock, tuple[int, int]]] = deque()
        self._holder: tuple[int, int] | None = None

    def enter(self, dbapi_connection: Any) -> None:
        me = (threading.get_ident(), _identity(dbapi_connection))
        with self._guard:
            if self._holder is None:
                self._holder = me
                return
            if self._holder[0] == me[0]:
                return  # this thread's own turn is open: see the class's note
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append((turn, me))
        # Released by leave(), which has already made us the holder.
        if turn.acquire(timeout=-1 if self.timeout is None else self.timeout):
            return
        with self._guard:
            if (turn, me) in self._waiting:
                self._waiting.remove((turn, me))
                raise DatabaseBusy("waited too long for the database's write lock")
        # Handed the turn just as the wait ran out: it is ours.

    def leave(self, dbapi_connection: Any) -> None:
        with self._guard:
            if self._holder is None or self._holder[1] != _identity(dbapi_connection):
                return  # not this connection's turn (a read, or already handed on)
            if self._waiting:
                turn, self._holder = self._waiting.popleft()
                turn.release()
            else:
                self._holder = None

    @property
    def waiting(self) -> int:
        """How many writers wait for their turn."""
        with self._guard:
            return len(self._waiting)

    @property
    def held(self) -> bool:
        """Whether a writer has the turn now."""
        with self._guard:
            return self._holder is not None


def _identity(dbapi_connection: Any) -> int:
    """The driver's connection, whether given bare or in the pool's wrapper (as the dialect's
    do_commit and do_rollback are)."""
    return id(getattr(dbapi_connection, "dbapi_connection", dbapi_connection))


_WRITERS: WeakKeyDictionary[Engine, WriterQueue] = WeakKeyDictionary()


def writer_queue(engine: Engine) -> WriterQueue | None:
    """The queue of a SQLite engine's writers (None on PostgreSQL, which has no single lock)."""
    return _WRITERS.get(engine)


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
