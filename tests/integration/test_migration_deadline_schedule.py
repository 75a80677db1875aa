"""Migration 0010 moves each deadline's next reminder date and last step into
`deadline_schedule`, keeping what the sweep had reached, and moves them back on downgrade."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from engine.db import make_engine, make_session_factory
from engine.migrate import downgrade, upgrade
from engine.services.org import sync_areas
from tests.conftest import PG_URL, on_postgres
from tests.factories import case_row

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (the shared template is already at the head)."""
    if on_postgres():
        schema = f"ct_mig_{uuid.uuid4().hex[:10]}"
        admin = make_engine(PG_URL, pool_size=1)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(PG_URL, schema=schema, pool_size=2)
        yield engine
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
    yield engine
    engine.dispose()


# (name, status, next_action_on, reminder_step) as the sweep had left them before 0010.
BEFORE = [
    ("acknowledgement", "met", date(2026, 3, 4), "remind_2"),
    ("threshold_decision", "open", date(2026, 3, 9), "remind_5"),
    ("review", "open", None, "overdue_5"),
    ("response", "open", date(2000, 1, 1), None),
]


def test_the_schedule_keeps_what_the_sweep_had_reached(fresh: Engine) -> None:
    upgrade(fresh, "0009")
    with make_session_factory(fresh)() as s:
        sync_areas(s)
    # Plain SQL with the row's own columns: the model has columns later revisions add.
    row = {**case_row(0, NOW, NOW.date()), "threshold_assessment": "{}"}
    columns = ", ".join(row)
    with fresh.begin() as conn:
        conn.execute(text(f"INSERT INTO case_record ({columns}) VALUES (:{', :'.join(row)})"), row)
        for name, status, next_on, step in BEFORE:
            conn.execute(
                text(
                    "INSERT INTO deadline (case_id, name, kind, owner_role, start_on, amount,"
                    " unit, due_on, status, opened_at, opened_by, reminder_step, next_action_on)"
                    " VALUES (1, :name, 'duty', 'contact', :day, 2, 'working_days', :day,"
                    " :status, :now, 'submit', :step, :next_on)"
                ),
                {
                    "name": name,
                    "status": status,
                    "step": step,
                    "next_on": next_on,
                    "day": date(2026, 3, 2),
                    "now": NOW,
                },
            )
    upgrade(fresh)
    with fresh.connect() as conn:
        after = conn.execute(
            text(
                "SELECT d.name, s.next_action_on, s.reminder_step FROM deadline d"
                " JOIN deadline_schedule s ON s.deadline_id = d.id ORDER BY d.id"
            )
        ).all()
    day = date.fromisoformat
    assert [(n, day(str(on)) if on else None, step) for n, on, step in after] == [
        ("acknowledgement", None, "remind_2"),  # closed: the sweep will not read it again
        ("threshold_decision", date(2026, 3, 9), "remind_5"),
        ("review", None, "overdue_5"),
        ("response", date(2000, 1, 1), None),
    ]

    # engine.migrate turns SQLite's foreign keys off while a table is rebuilt (as the CLI does).
    downgrade(fresh, "0009")
    with fresh.connect() as conn:
        back = conn.execute(
            text("SELECT name, next_action_on, reminder_step FROM deadline ORDER BY id")
        ).all()
    assert [(n, day(str(on)) if on else None, step) for n, on, step in back] == [
        ("acknowledgement", None, "remind_2"),
        ("threshold_decision", date(2026, 3, 9), "remind_5"),
        ("review", None, "overdue_5"),
        ("response", date(2000, 1, 1), None),
    ]
