"""Migration 0011_find fills the search words of the cases already there, and goes back."""

from __future__ import annotations

from sqlalchemy import Engine, text

from engine.db import make_session_factory
from engine.migrate import downgrade, upgrade
from engine.services.org import sync_areas
from tests.factories import case_row
from tests.integration.test_migration_deadline_schedule import NOW, fresh

__all__ = ["fresh"]


def test_existing_cases_get_their_search_words(fresh: Engine) -> None:
    upgrade(fresh, "0010")
    with make_session_factory(fresh)() as s:
        sync_areas(s)
    row = {**case_row(0, NOW, NOW.date()), "threshold_assessment": "{}"}  # plain SQL: JSON text
    columns = ", ".join(row)
    with fresh.begin() as conn:
        conn.execute(text(f"INSERT INTO case_record ({columns}) VALUES (:{', :'.join(row)})"), row)
        conn.execute(
            text(
                "INSERT INTO party (case_id, kind, name, address, postcode) VALUES "
                "(1, 'applicant', 'Ann Lee-Hart', '4 Oak Road', 'LE3 9ZZ'), "
                "(1, 'victim', 'Bo Lee', NULL, NULL)"
            )
        )
    upgrade(fresh)
    with fresh.begin() as conn:
        terms = {r[0] for r in conn.execute(text("SELECT term FROM case_search_term"))}
    assert terms == {"ann", "lee", "hart", "4", "oak", "road", "le3", "9zz", "le39zz", "bo"}
    # engine.migrate turns SQLite's foreign keys off while a table is rebuilt (as the CLI does).
    downgrade(fresh, "0010")
    with fresh.begin() as conn:
        tables = (
            set(
                conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables"
                        " WHERE table_schema = current_schema()"
                        " AND table_name IN ('case_search_term', 'staff_audit_event')"
                    )
                ).scalars()
            )
            if fresh.dialect.name == "postgresql"
            else set(
                conn.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                        " AND name IN ('case_search_term', 'staff_audit_event')"
                    )
                ).scalars()
            )
        )
        assert tables == set()
        conn.execute(text("SELECT name FROM party"))  # the data is still there
