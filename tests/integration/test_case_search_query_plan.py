"""The planner finds cases through indexes: a reference's start through the reference's
unique index, a name through the search words' primary key, never by reading every row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert

from engine import case_search
from engine.access import Actor, Grant
from engine.db import is_postgres
from engine.models import Case, CaseSearchTerm
from tests.factories import case_parts, case_row
from workflows.community_trigger.models import CommunityTriggerCase

CASES = 3000
TODAY = date(2026, 3, 2)
MANAGER = Actor(user_id=None, label="m", grants=(Grant("manager", "llr", None),))
NAMES = ("smith", "patel", "khan", "jones", "kaur", "brown", "taylor", "ahmed", "wilson", "singh")


def _load(db_engine: Engine) -> None:
    start = datetime(2026, 1, 5, 10, tzinfo=UTC)
    rows, terms = [], []
    for i in range(CASES):
        now = start + timedelta(minutes=i)
        rows.append(case_row(i, now, TODAY))
        for word in (NAMES[i % 10], f"first{i % 300}", f"le{i % 19}", str(i % 97), "road"):
            terms.append({"term": word, "case_id": i + 1})
    with db_engine.begin() as conn:
        cases, details = case_parts(rows)
        conn.execute(insert(Case), cases)
        conn.execute(insert(CommunityTriggerCase), details)
        conn.execute(insert(CaseSearchTerm), terms)
        # These two tables only: a bare ANALYZE would reach every schema of the database.
        conn.exec_driver_sql("ANALYZE case_record")
        conn.exec_driver_sql("ANALYZE case_search_term")


def _plan(db_engine: Engine, q: str) -> str:
    stmt = case_search.page_statement(MANAGER, case_search.CaseFilter(q=q), TODAY)
    sql = str(stmt.compile(dialect=db_engine.dialect, compile_kwargs={"literal_binds": True}))
    with db_engine.begin() as conn:
        if is_postgres(db_engine):
            # A few thousand rows fit in a handful of pages, where a seq scan can be cheaper;
            # turned off, the plan says whether an index *can* serve the search.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql))
        return "\n".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))


def test_a_name_is_found_through_the_search_words_index(db_engine: Engine) -> None:
    _load(db_engine)
    plan = _plan(db_engine, "smi")
    if is_postgres(db_engine):
        assert "case_search_term_pkey" in plan, plan
        assert "Seq Scan on case_search_term" not in plan, plan
    else:
        assert "SEARCH case_search_term USING" in plan and "(term>? AND term<?)" in plan, plan
        assert "SCAN case_search_term" not in plan, plan


def test_a_reference_start_is_found_through_the_reference_index(db_engine: Engine) -> None:
    _load(db_engine)
    plan = _plan(db_engine, "CT-2026-0012")
    if is_postgres(db_engine):
        assert "case_record_reference_key" in plan, plan
    else:
        assert "SEARCH case_record USING COVERING INDEX" in plan, plan
        assert "(reference>? AND reference<?)" in plan and "SCAN case_record" not in plan, plan
