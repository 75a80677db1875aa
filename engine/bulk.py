"""Plain INSERTs and UPDATEs that skip the ORM's unit of work, for the hot write paths."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sqlalchemy import Date, Table, bindparam, literal, null, select
from sqlmodel import Session, SQLModel

from engine.models import Deadline, DeadlineSchedule
from engine.models.case import PLAN_ON_NEXT_SWEEP
from engine.rows import values_of

# Statements are built once per table and reused: SQLAlchemy then finds each one's compiled
# form in its cache by identity, without working out a cache key on every call.


@cache
def _insert(table: Table) -> Any:
    return table.insert()


@cache
def _insert_returning(table: Table, many: bool) -> Any:
    return table.insert().returning(table.c.id, sort_by_parameter_order=many)


def insert_models(session: Session, *rows: SQLModel) -> None:
    """INSERT rows of one table in the session's transaction; they are not read back."""
    if rows:
        table = type(rows[0]).__table__  # type: ignore[attr-defined]
        values = [values_of(r) for r in rows]
        session.connection().execute(_insert(table), values if len(values) > 1 else values[0])


def insert_models_returning_ids(session: Session, rows: list[SQLModel]) -> list[int]:
    """INSERT rows of one table and give back their new ids, in the rows' order."""
    table = type(rows[0]).__table__  # type: ignore[attr-defined]
    values = [values_of(r) for r in rows]
    if len(values) == 1:
        one = session.connection().execute(_insert_returning(table, False), values[0])
        return [one.scalar_one()]
    result = session.connection().execute(_insert_returning(table, True), values)
    return list(result.scalars())


# Rows per INSERT statement: 14 columns x 500 stays under every driver's parameter limit.
INSERT_CHUNK = 500


def insert_deadlines(session: Session, rows: list[Deadline]) -> None:
    """INSERT new deadlines, each with its schedule row: reminders planned at the next sweep."""
    if not rows:
        return
    conn = session.connection()
    if len(rows) == 1 and conn.dialect.name == "postgresql":
        # One round trip: the deadline and its schedule row in one statement.
        conn.execute(_deadline_with_schedule(), values_of(rows[0]))
        return
    ids = insert_models_returning_ids(session, rows)  # type: ignore[arg-type]
    planned = [
        {"deadline_id": i, "next_action_on": PLAN_ON_NEXT_SWEEP, "reminder_step": None} for i in ids
    ]
    session.connection().execute(_insert(_SCHEDULE), planned if len(planned) > 1 else planned[0])


def end_schedules(session: Session, deadline_ids: list[int]) -> None:
    """Closed deadlines: no more reminders or escalations, and the sweep never reads them."""
    if deadline_ids:
        session.connection().execute(_END_SCHEDULES, {"ids": deadline_ids})


_SCHEDULE = DeadlineSchedule.__table__  # type: ignore[attr-defined]
_DEADLINE = Deadline.__table__  # type: ignore[attr-defined]


@cache
def _deadline_with_schedule() -> Any:
    """PostgreSQL: INSERT one deadline (its columns bound by name) as a CTE, and its
    schedule row from the id it returns."""
    columns = [c for c in _DEADLINE.c if c.key != "id"]
    new = (
        _DEADLINE.insert()
        .values({c.key: bindparam(c.key, type_=c.type) for c in columns})
        .returning(_DEADLINE.c.id)
        .cte("new_deadline")
    )
    return _SCHEDULE.insert().from_select(
        ["deadline_id", "next_action_on", "reminder_step"],
        select(new.c.id, literal(PLAN_ON_NEXT_SWEEP, type_=Date()), null()),
    )


_END_SCHEDULES = (
    _SCHEDULE.update()
    .where(_SCHEDULE.c.deadline_id.in_(bindparam("ids", expanding=True)))
    .values(next_action_on=None)
)


def insert_ignoring_duplicates(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING, the unique key being the last guard.

    Values go through each column type's own bind processor, each distinct value once:
    SQLAlchemy's per-row parameter handling, and one round trip per row, would otherwise
    cost more than the database's own work.
    """
    conn = session.connection()
    names = list(rows[0])
    if conn.dialect.name == "postgresql":
        _insert_unnest(conn, table, names, rows)
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    one_row = f"({', '.join([mark] * len(names))})"
    bind = _binder(table, names, conn.dialect)
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
            + ", ".join([one_row] * len(chunk))
            + " ON CONFLICT (idempotency_key) DO NOTHING"
        )
        conn.exec_driver_sql(sql, tuple(v for row in chunk for v in bind(row)))


def _insert_unnest(conn: Any, table: Table, names: list[str], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: one array per column and `unnest`, so 14 parameters go over the wire
    instead of 14 per row (the driver's per-value work was most of the cost)."""
    types = [
        table.c[n].type.dialect_impl(conn.dialect).compile(dialect=conn.dialect) for n in names
    ]
    arrays = []
    for name, sql_type in zip(names, types, strict=True):
        values = [row[name] for row in rows]
        if sql_type == "JSON":
            values = [json.dumps(v) for v in values]
        arrays.append(values)
    casts = ", ".join(f"%b::{t}[]" for t in types)  # %b: binary format, no text escaping
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({casts})"
        " ON CONFLICT (idempotency_key) DO NOTHING",
        tuple(arrays),
    )


def _binder(table: Table, names: list[str], dialect: Any) -> Any:
    processors = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    seen: list[dict[Any, Any]] = [{} for _ in names]

    def bind(row: dict[str, Any]) -> list[Any]:
        out = []
        for name, process, memo in zip(names, processors, seen, strict=True):
            value = row[name]
            if process is None:
                out.append(value)
            elif isinstance(value, dict):
                out.append(process(value))
            else:
                if value not in memo:
                    memo[value] = process(value)
                out.append(memo[value])
        return out

    return bind
