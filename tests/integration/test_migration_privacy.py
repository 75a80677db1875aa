"""Migration 0011_privacy: answers stored before it (in the order cases came) move into the
holding table shuffled under new keys, to be released coarsened; its downgrade puts released
and held answers back in one table."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, text

from engine.migrate import alembic_config, upgrade
from tests.conftest import on_postgres
from tests.integration.test_migration_deadline_schedule import fresh  # noqa: F401  (fixture)

OLD = [(f"{n:032x}", "rutland", "2026-01", f"age{n}") for n in range(8)]


def test_old_answers_are_held_under_new_keys_and_come_back_on_downgrade(
    fresh: Engine,  # noqa: F811
) -> None:
    upgrade(fresh, "0010")
    with fresh.begin() as conn:
        for row_id, locality, period, age in OLD:
            conn.execute(
                text(
                    "INSERT INTO equalities_response (id, area_id, locality_id, period, age)"
                    " VALUES (:i, 'llr', :l, :p, :a)"
                ),
                {"i": row_id, "l": locality, "p": period, "a": age},
            )
    upgrade(fresh, "0011_privacy")
    with fresh.connect() as conn:
        held = conn.execute(text("SELECT id, locality_id, period, age FROM equalities_held")).all()
        released = conn.execute(text("SELECT count(*) FROM equalities_response")).scalar_one()
        if not on_postgres():
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'equalities_response'")
            ).scalar_one()
            assert "WITHOUT ROWID" in sql
    assert released == 0
    assert sorted(r.age for r in held) == sorted(r[3] for r in OLD)
    assert not {r.id for r in held} & {r[0] for r in OLD}, "new keys, not the old ones"

    cfg = alembic_config()
    with fresh.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")
    with fresh.connect() as conn:
        back = conn.execute(text("SELECT locality_id, period, age FROM equalities_response")).all()
        tables = conn.execute(
            text(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'case_view'"
                " AND table_schema = current_schema()"
                if on_postgres()
                else "SELECT count(*) FROM sqlite_master WHERE name = 'case_view'"
            )
        ).scalar_one()
    assert sorted(tuple(r) for r in back) == sorted((r[1], r[2], r[3]) for r in OLD)
    assert tables == 0
