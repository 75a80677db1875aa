"""References: unique and in order under concurrent submits, and on PostgreSQL the counter
row is not held locked while a submit writes the rest of its case (issue 15)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from engine.clock import FixedClock
from engine.db import SessionFactory
from tests.conftest import on_postgres
from tests.factories import application_body
from workflows.community_trigger.services.applications import ApplicationIn
from workflows.community_trigger.services.intake import prepare_application, write_application


def _prepared(clock: FixedClock):  # type: ignore[no-untyped-def]
    app = ApplicationIn.model_validate(application_body(today=clock.today()))
    return prepare_application(app, clock=clock)


def test_references_follow_on_one_by_one(session_factory: SessionFactory, clock: FixedClock):
    made = []
    for _ in range(3):
        with session_factory() as session:
            made.append(write_application(session, _prepared(clock)).reference)
            session.commit()
    year = clock.today().year
    assert made == [f"CT-{year}-{n:06d}" for n in (1, 2, 3)]


@pytest.mark.skipif(not on_postgres(), reason="SQLite has one writer: submits never overlap")
def test_a_submit_still_writing_does_not_hold_up_the_next(
    session_factory: SessionFactory, clock: FixedClock
) -> None:
    year = clock.today().year
    with session_factory() as first:
        # The first submit has its number and is still writing (not committed).
        one = write_application(first, _prepared(clock)).reference
        done: list[str] = []

        def second() -> None:
            with session_factory() as session:
                session.execute(text("SET LOCAL lock_timeout = '3s'"))
                done.append(write_application(session, _prepared(clock)).reference)
                session.commit()

        worker = threading.Thread(target=second)
        worker.start()
        worker.join(10)
        # Before, the second waited on the counter row until the first committed.
        assert done == [f"CT-{year}-000002"]
        first.commit()
    assert one == f"CT-{year}-000001"
    with session_factory() as session:
        refs = session.execute(text("SELECT reference FROM case_record ORDER BY id")).scalars()
        assert sorted(refs) == [f"CT-{year}-000001", f"CT-{year}-000002"]
