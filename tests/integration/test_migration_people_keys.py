"""Migration 0015_people_keys: people and places stored under the old import rule ("o brien",
"zo") are put under the one rule a JAG referral and a Sentinel import now share, so a new
referral of the same person finds their record; anonymised records keep their keys."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, text

from engine.migrate import upgrade
from engine.people_match import person_key, place_key
from tests.integration.test_migration_deadline_schedule import fresh

__all__ = ["fresh"]


def test_stored_keys_are_recomputed_under_the_shared_rule(fresh: Engine) -> None:
    upgrade(fresh, "0014_jag_linked")
    with fresh.begin() as conn:
        conn.execute(text("INSERT INTO area (id, name) VALUES ('llr', 'LLR')"))
        now = "2026-03-02 10:00:00"
        for name, born, key in (
            ("Ann O'Brien", "1980-04-02", "ann o brien|1980-04-02"),  # the old import rule
            ("Zoë Smith-Jones", None, "zo smith jones|"),
            ("Anonymised", None, "anonymised|7"),
        ):
            conn.execute(
                text(
                    "INSERT INTO person (area_id, name, date_of_birth, match_key, created_at)"
                    " VALUES ('llr', :n, :b, :k, :t)"
                ),
                {"n": name, "b": born, "k": key, "t": now},
            )
        conn.execute(
            text(
                "INSERT INTO place (area_id, label, postcode, match_key, created_at)"
                " VALUES ('llr', :l, 'le1 7ru', 'st mary s car park|LE17RU', :t)"
            ),
            {"l": "St. Mary's Car-Park", "t": now},
        )
    upgrade(fresh)
    with fresh.connect() as conn:
        people = dict(conn.execute(text("SELECT name, match_key FROM person")).all())
        places = dict(conn.execute(text("SELECT label, match_key FROM place")).all())
    assert people == {
        "Ann O'Brien": person_key("Ann O'Brien", date(1980, 4, 2)),
        "Zoë Smith-Jones": person_key("Zoe Smith Jones", None),
        "Anonymised": "anonymised|7",
    }
    assert people["Ann O'Brien"] == "ann obrien|1980-04-02"
    assert places == {"St. Mary's Car-Park": place_key("St Marys Car Park", "LE1 7RU")}
