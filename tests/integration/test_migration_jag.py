"""Migration 0013_jag: the JAG tables come and go with it; going back is refused while any
JAG case exists (its work would be lost), and changes nothing."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from engine.clock import FixedClock
from engine.db import make_session_factory
from engine.migrate import alembic_config, downgrade, upgrade
from engine.services.org import sync_areas
from tests.integration.test_migration_deadline_schedule import NOW, fresh
from tests.jag_helpers import make_jag_staff
from workflows.jag_case.models import TABLES
from workflows.jag_case.services import refer

__all__ = ["fresh"]
BEFORE = ScriptDirectory.from_config(alembic_config()).get_revision("0013_jag").down_revision


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) & {t.__tablename__ for t in TABLES}


def test_going_back_is_refused_while_jag_cases_exist(fresh: Engine) -> None:
    upgrade(fresh)
    assert _tables(fresh) == {t.__tablename__ for t in TABLES}
    sessions = make_session_factory(fresh)
    clock = FixedClock(NOW)
    with sessions() as s:
        sync_areas(s)
        staff = make_jag_staff(s, clock)
        refer(
            s,
            clock=clock,
            actor=staff["partner"].actor,
            area_id="llr",
            locality_id="leicester",
            subject_kind="place",
            subject={"label": "Hill Street"},
            reason="Drug dealing.",
            agencies=["Police"],
        )
    with pytest.raises(RuntimeError, match="1 JAG case"):
        downgrade(fresh, str(BEFORE))
    assert _tables(fresh) == {t.__tablename__ for t in TABLES}
    with fresh.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM jag_case")).scalar_one() == 1
        for table in ("case_search_term", "audit_event", "case_subject", "jag_case"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("DELETE FROM case_record"))
    downgrade(fresh, str(BEFORE))
    assert _tables(fresh) == set()
    upgrade(fresh)
    assert _tables(fresh) == {t.__tablename__ for t in TABLES}
