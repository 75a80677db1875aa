"""Migrations both ways with data in the database: a downgrade keeps every row."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, text

from engine.clock import FixedClock
from engine.db import SessionFactory
from engine.migrate import downgrade, upgrade
from engine.models import AuditEvent, Case, Deadline, OutboxMessage
from engine.sweeps import sweep_deadlines
from tests.factories import make_case, make_staff


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            m.__tablename__: conn.execute(select(func.count()).select_from(m)).scalar_one()  # type: ignore[attr-defined]
            for m in (Case, Deadline, AuditEvent, OutboxMessage)
        }


def test_a_downgrade_below_0007_and_back_keeps_every_row(
    db_engine: Engine, session_factory: SessionFactory, clock: FixedClock
) -> None:
    with session_factory() as s:
        make_staff(s, clock)
        for _ in range(3):
            make_case(s, clock)
    sweep_deadlines(session_factory, clock=clock)
    before = _counts(db_engine)
    assert before["case_record"] == 3 and before["outbox_message"] > 3

    downgrade(db_engine, "0006")
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0006"
    assert _counts(db_engine) == before

    upgrade(db_engine)
    assert _counts(db_engine) == before
    if db_engine.dialect.name == "sqlite":
        with db_engine.connect() as conn:  # back on for the connections that follow
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
