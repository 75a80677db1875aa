"""SQLite's one write lock is taken in turn by this process's writers (engine.db.WriterQueue).

The turn must be handed on however a write transaction ends (commit, rollback, a failed
statement, a BEGIN that could not get the lock), reads must not take it, and writers waiting
for it must get it in the order they came.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.db import WriterQueue, make_session_factory, snapshot_read, writer_queue
from tests.conftest import on_postgres

pytestmark = pytest.mark.skipif(on_postgres(), reason="PostgreSQL has no single write lock")


def queue_of(engine: Engine) -> WriterQueue:
    found = writer_queue(engine)
    assert found is not None
    return found


def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for another thread to reach a state (bounded, so a broken queue fails the test)."""
    limit = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < limit, f"gave up waiting for {what}"
        time.sleep(0)  # let the other threads run


def test_postgres_engines_have_no_queue() -> None:
    from engine.db import make_engine

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert writer_queue(engine) is None


def test_commit_hands_the_turn_on(db_engine: Engine) -> None:
    queue = queue_of(db_engine)
    with make_session_factory(db_engine)() as session:
        session.execute(text("UPDATE area SET name = name"))
        assert queue.held
        session.commit()
        assert not queue.held


def test_rollback_and_a_failed_statement_hand_the_turn_on(db_engine: Engine) -> None:
    queue = queue_of(db_engine)
    with make_session_factory(db_engine)() as session:
        session.execute(text("UPDATE area SET name = name"))
        session.rollback()
        assert not queue.held
        with pytest.raises(IntegrityError):
            session.execute(text("INSERT INTO area (id, name) SELECT id, name FROM area"))
        assert queue.held  # the transaction is still open until it is rolled back
        session.rollback()
        assert not queue.held


def test_closing_a_session_mid_transaction_hands_the_turn_on(db_engine: Engine) -> None:
    queue = queue_of(db_engine)
    session = make_session_factory(db_engine)()
    session.execute(text("UPDATE area SET name = name"))
    session.close()
    assert not queue.held


def test_a_snapshot_read_takes_no_turn(db_engine: Engine) -> None:
    queue = queue_of(db_engine)
    with make_session_factory(db_engine)() as session:
        snapshot_read(session)
        session.execute(text("SELECT count(*) FROM area")).one()
        assert not queue.held
        session.commit()


def test_a_begin_that_cannot_get_the_lock_hands_the_turn_on(db_engine: Engine) -> None:
    """Another process holds SQLite's lock: BEGIN IMMEDIATE fails, and the turn is not kept."""
    queue = queue_of(db_engine)
    outsider = sqlite3.connect(db_engine.url.database, isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    try:
        with db_engine.connect() as conn:
            driver = conn.connection.dbapi_connection
            assert driver is not None
            driver.execute("PRAGMA busy_timeout = 1")  # not through conn: that would BEGIN
            with pytest.raises(OperationalError, match="locked"):
                conn.begin()
            assert not queue.held
            driver.execute("PRAGMA busy_timeout = 30000")
    finally:
        outsider.execute("ROLLBACK")
        outsider.close()
    with make_session_factory(db_engine)() as session:
        session.execute(text("UPDATE area SET name = name"))
        session.commit()


def test_writers_get_the_lock_in_the_order_they_came(db_engine: Engine) -> None:
    queue = queue_of(db_engine)
    factory = make_session_factory(db_engine)
    order: list[int] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with factory() as session:
                session.execute(text("UPDATE area SET name = name"))
                order.append(n)
                session.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    first = factory()
    first.execute(text("UPDATE area SET name = name"))  # holds the turn
    threads = []
    for n in range(6):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        threads.append(thread)
        until(lambda n=n: queue.waiting == n + 1, f"writer {n} to queue")
    first.commit()
    first.close()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert order == list(range(6))
    assert not queue.held and queue.waiting == 0
