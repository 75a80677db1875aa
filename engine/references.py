"""Case references: PREFIX-YYYY-NNNNNN, numbered per workflow prefix and year.

Each workflow package names its prefix (`WorkflowPackage.reference_prefix`: CT-2026-000123,
JAG-2026-000045); each (prefix, year) has its own counter row, whose lock keeps numbers
unique under load.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from engine.models import ReferenceCounter

_COUNTER = ReferenceCounter.__table__  # type: ignore[attr-defined]
_BUMP_COUNTER = (
    update(_COUNTER)
    .where(_COUNTER.c.prefix == bindparam("p"), _COUNTER.c.year == bindparam("y"))
    .values(last_number=_COUNTER.c.last_number + 1)
    .returning(_COUNTER.c.last_number)
)


def next_reference(session: Session, prefix: str, year: int) -> str:
    """The next PREFIX-YYYY-NNNNNN; the counter row's lock keeps numbers unique under load.

    On PostgreSQL the number is taken in a short transaction of its own, on another
    connection: bumped inside the submit, the row stayed locked through the rest of the
    submit and its commit, and concurrent submits queued on it one at a time. The price is
    a gap in the numbers if the submit then fails to commit (bench/README.md). On SQLite
    the submit already holds the database's one write lock, so the bump stays inside it.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        with conn.engine.begin() as own:
            number = _bump(own, prefix, year)
    else:
        number = _bump(conn, prefix, year)
    return f"{prefix}-{year}-{number:06d}"


def _bump(conn: Any, prefix: str, year: int) -> int:
    params = {"p": prefix, "y": year}
    number = conn.execute(_BUMP_COUNTER, params).scalar_one_or_none()
    if number is None:
        # The year's first case of this prefix: make its counter (a rival may make it
        # first; then this inserts nothing and waits for the rival's row lock) and bump it.
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            insert(_COUNTER)
            .values(prefix=prefix, year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["prefix", "year"])
        )
        number = conn.execute(_BUMP_COUNTER, params).scalar_one()
    return int(number)
