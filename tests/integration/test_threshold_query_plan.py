"""The planner answers one person's threshold check through the complainant index."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, insert

from engine.db import is_postgres
from engine.models import Report
from engine.person_reports import person_reports_query

APPLICATION_DATE = date(2026, 3, 2)
PEOPLE = 400
REPORTS_EACH = 10
INDEX = "ix_report_complainant_reported"


def _rows() -> list[dict[str, object]]:
    rows = []
    for k in range(REPORTS_EACH):
        for p in range(PEOPLE):
            reported = APPLICATION_DATE - timedelta(days=(p * 37 + k * 71) % 730)
            rows.append(
                {
                    "incident_key": f"imp:{p}/{k % 7}",
                    "complainant_key": f"email:{p:040x}",
                    "incident_on": reported - timedelta(days=(p + k) % 45),
                    "reported_on": reported,
                    "agency": ("police", "council", "housing")[(p + k) % 3],
                }
            )
    return rows


def _plan(db_engine: Engine) -> str:
    stmt = person_reports_query(f"email:{7:040x}", APPLICATION_DATE)
    sql = str(stmt.compile(dialect=db_engine.dialect, compile_kwargs={"literal_binds": True}))
    with db_engine.begin() as conn:
        if is_postgres(db_engine):
            # A few thousand rows fit in a handful of pages, where a seq scan can be cheaper;
            # turning it off asks whether the index *can* serve the query, not whether it is
            # worth it at this size.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql))
        return "\n".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))


def test_person_query_uses_the_complainant_index(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        conn.execute(insert(Report), _rows())
        conn.exec_driver_sql("ANALYZE report")
    plan = _plan(db_engine)
    assert INDEX in plan, plan
    if not is_postgres(db_engine):
        # A search on the index, and no sort step after it: the index gives the order.
        assert f"SEARCH report USING INDEX {INDEX} (complainant_key=?" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
