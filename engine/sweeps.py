"""Periodic sweeps over open deadlines: reminders before the date, escalation after it.

Each open deadline carries `next_action_on`, the date of its next reminder or escalation,
indexed over open deadlines only. A sweep reads the deadlines whose date has come, works out
from the area's policy (engine.reminders) which step is due, queues it in the outbox with a
unique key per (case, deadline, step, recipient), and moves the date on, all in one
transaction. The cost of a sweep follows the work due today, not the number of deadlines.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Connection, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from engine.clock import Clock
from engine.db import SessionFactory
from engine.models import Deadline, OutboxMessage
from engine.sweep_batch import _Batch, _Claimed

log = logging.getLogger(__name__)
BATCH = 1000
# A bound on one sweep, so a huge backlog is worked through over several ticks.
MAX_BATCHES = 200


def sweep_deadlines(session_factory: SessionFactory, *, clock: Clock) -> int:
    """Queue every reminder and escalation now due, once; returns how many deadlines moved on."""
    moved = 0
    with session_factory() as session:
        cancel_obsolete(session, clock=clock)
    for _ in range(MAX_BATCHES):
        with session_factory() as session:
            read, queued = sweep_batch(session, clock=clock)
        moved += queued
        if read < BATCH:
            break
    return moved


def sweep_batch(session: Session, *, clock: Clock, limit: int = BATCH) -> tuple[int, int]:
    """One transaction: claim up to `limit` due deadlines, queue their steps, move them on.

    Returns (deadlines read, deadlines with a step queued).
    """
    today, now = clock.today(), clock.now()
    conn = session.connection()
    rows = _claim_due(conn, today, limit)
    batch = _Batch(session, conn, now)
    batch.decide(rows, today)
    batch.write()
    session.commit()
    return len(rows), batch.queued


# The claim is written out in SQL and read as plain tuples: at 1,000 rows a batch, building
# ORM rows and parsing dates through the column types cost more than the query itself.
_CLAIM_SQL = (
    "SELECT deadline.id, deadline.case_id, deadline.name, deadline.owner_role,"
    " deadline.due_on, deadline_schedule.reminder_step, deadline.label, deadline.start_on,"
    " deadline.amount, case_record.reference, case_record.area_id, case_record.locality_id,"
    " case_record.workflow_name, deadline.status"
    " FROM deadline_schedule"
    " JOIN deadline ON deadline.id = deadline_schedule.deadline_id"
    " JOIN case_record ON case_record.id = deadline.case_id"
    " WHERE deadline_schedule.next_action_on <= {mark}"
    " ORDER BY deadline_schedule.next_action_on LIMIT {mark}"
)

# The schedule rows are the claim: a worker that finds one locked skips it. The deadline
# and case rows are locked in the weakest mode (it blocks only deleting them or changing
# their ids, not closing the deadline): the outbox rows' foreign key checks then find them
# locked by this transaction already, instead of locking each one themselves.
_PG_LOCKS = " FOR UPDATE OF deadline_schedule SKIP LOCKED FOR KEY SHARE OF deadline, case_record"


def _claim_due(conn: Connection, today: date, limit: int) -> list[_Claimed]:
    """Lock the due deadlines' schedule rows for this transaction.

    Closed deadlines come too, once, when their next action falls due: the sweep then clears
    it, so they do not come again. On PostgreSQL `SKIP LOCKED` (_PG_LOCKS) lets several
    workers sweep side by side, each taking rows the others have not; SQLite takes its write
    lock at BEGIN (engine.db), so there one sweep runs at a time. The outbox key's unique
    index is the last guard either way: a step can be queued only once.
    """
    # The driver's own cursor, in this transaction: its plain tuples are all the sweep needs.
    cursor = conn.connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            sql = _CLAIM_SQL.format(mark="%s") + _PG_LOCKS
            cursor.execute(sql, (today, limit))
            return [_Claimed._make(r) for r in cursor.fetchall()]
        # SQLite hands dates back as ISO text; each distinct one is parsed once.
        cursor.execute(_CLAIM_SQL.format(mark="?"), (today.isoformat(), limit))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    day = _day
    return [
        _Claimed(r[0], r[1], r[2], r[3], day(r[4]), r[5], r[6], day(r[7]), *r[8:]) for r in rows
    ]


@lru_cache(maxsize=4096)
def _day(text: str) -> date:
    return date.fromisoformat(text)


def cancel_obsolete(session: Session, *, clock: Clock) -> int:
    """Cancel queued reminders whose deadline closed before they were sent (the case moved on)."""
    rows = session.execute(
        sa_select(OutboxMessage.id, Deadline.status, Deadline.closed_by, Deadline.closed_at)
        .join(Deadline, col(Deadline.id) == OutboxMessage.deadline_id)
        .where(OutboxMessage.status == "pending", Deadline.status != "open")
    ).all()
    for message_id, status, closed_by, closed_at in rows:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, OutboxMessage.status == "pending")
            .values(status="cancelled", reason=obsolete_reason(status, closed_by, closed_at))
        )
    session.commit()
    return len(rows)


def obsolete_reason(status: str, closed_by: str | None, closed_at: datetime | None) -> str:
    when = f" on {closed_at.date().isoformat()}" if closed_at else ""
    by = f" by {closed_by.replace('_', ' ')}" if closed_by else ""
    return f"not sent: the deadline was closed ({status}){by}{when} before it went out"
