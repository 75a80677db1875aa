"""Migration 0013_detail splits case_record into the generic case and the Community
Trigger's `ct_case`: every value of every case survives the move, on SQLite and PostgreSQL,
and the downgrade puts each one back (or, while a case of another workflow exists, refuses
and changes nothing).

The data is today's: the demo data and a slice of the bench data set (bench/staff_pages.py's
template cases driven through the engine, then copied), written at the head revision and
taken down to the revision before the split by the downgrade, whose result is checked
against what was written; the upgrade from there must give back exactly the same rows."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from engine.clock import FixedClock
from engine.db import make_session_factory
from engine.migrate import alembic_config, downgrade, upgrade
from tests.integration.test_migration_deadline_schedule import fresh  # noqa: F401  (fixture)
from workflows.community_trigger.services.demo import load_demo_data

# The bench scripts import their helpers as top-level modules (they run from bench/).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench.staff_pages import copy_cases, make_templates  # noqa: E402

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
# The revision before the split (0012_people, or whatever the chain puts before it).
BEFORE = ScriptDirectory.from_config(alembic_config()).get_revision("0013_detail").down_revision
COPIES = 2000
# Every table whose rows the split must leave alone (the case's other rows point at its id).
OTHERS = (
    "party",
    "incident",
    "report",
    "audit_event",
    "deadline",
    "deadline_schedule",
    "recommendation",
    "outbox_message",
    "case_search_term",
    "document",
    "app_user",
)


def _rows(engine: Engine, sql: str) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {r["reference"]: dict(r) for r in conn.execute(text(sql)).mappings()}


def _joined(engine: Engine) -> dict[str, dict[str, Any]]:
    """Each case as one row of values by column name: case_record with its ct_case row."""
    found = _rows(
        engine,
        "SELECT case_record.*, ct_case.* FROM case_record"
        " JOIN ct_case ON ct_case.case_id = case_record.id",
    )
    for row in found.values():
        assert row.pop("case_id") == row["id"]
    return found


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in OTHERS}


def _cases_in(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM case_record")).scalar_one())


@pytest.fixture
def filled(fresh: Engine) -> Engine:  # noqa: F811
    upgrade(fresh)
    sessions = make_session_factory(fresh)
    with sessions() as s:
        load_demo_data(s, clock=FixedClock(NOW))
    copy_cases(fresh, make_templates(sessions), COPIES, NOW.date())
    return fresh


def test_every_value_of_every_case_survives_the_split_both_ways(filled: Engine) -> None:
    written, others = _joined(filled), _counts(filled)
    assert len(written) == _cases_in(filled) > COPIES
    # Values of every kind are there to lose: chosen chairs, meetings, codes, assessments.
    for column in ("appeal_chair_id", "review_meeting_on", "status_code", "threshold_decision"):
        assert any(row[column] is not None for row in written.values()), column

    downgrade(filled, BEFORE)
    old = _rows(filled, "SELECT * FROM case_record")
    assert old == written, "before the split, case_record holds every case with every value"
    assert _counts(filled) == others

    upgrade(filled)
    assert _joined(filled) == written, "the upgrade moves every value into ct_case"
    assert _counts(filled) == others
    with filled.connect() as conn:
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM case_record WHERE NOT EXISTS"
                " (SELECT 1 FROM ct_case WHERE ct_case.case_id = case_record.id)"
            )
        ).scalar_one()
    assert orphans == 0


def test_the_downgrade_refuses_while_a_case_of_another_workflow_exists(
    fresh: Engine,  # noqa: F811
) -> None:
    upgrade(fresh)
    with make_session_factory(fresh)() as s:
        load_demo_data(s, clock=FixedClock(NOW))
    with fresh.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO case_record (reference, area_id, locality_id, workflow_name,"
                " workflow_version, state, version, submitted_at, updated_at)"
                " VALUES ('JAG-2026-000001', 'llr', 'leicester', 'jag_case', 1, 'referred', 1,"
                " :now, :now)"
            ),
            {"now": NOW},
        )
    before = _joined(fresh)
    with pytest.raises(RuntimeError, match="not Community Trigger cases"):
        downgrade(fresh, BEFORE)
    assert _joined(fresh) == before, "nothing changed"
    assert _cases_in(fresh) == len(before) + 1
