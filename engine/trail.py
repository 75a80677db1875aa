"""Following an insert-only table (the audit trail, the report audit) by its ids.

A cache that counts from such a table needs only the rows added since it last looked. The
highest id is not quite enough on PostgreSQL: ids come from a sequence when a row is
inserted, not when its transaction commits, so a transaction may commit id 100 after
another has committed id 101. A reader that saw 101 and skipped the missing 100 would never
count it. So the cursor remembers each id below its mark it has not seen (a gap) and asks
for those again on every read, until they appear or are so far behind (HORIZON ids) that
their transaction must have been rolled back (a rolled-back insert leaves a gap for ever).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from engine.models import AuditEvent
from engine.models.complaint import ReportAudit

# How many later ids make a missing one a rollback rather than a transaction still open.
HORIZON = 1000
# Missing ids remembered at most (the oldest are let go first).
MAX_GAPS = 10_000

AUDIT = (AuditEvent, "case_id")
REPORT_AUDIT = (ReportAudit, "report_id")


class TrailCursor:
    """Where a reader has got to in one insert-only table: its mark and the ids it lacks."""

    def __init__(self, table: tuple[Any, str]) -> None:
        self.model, self.other = table
        self.mark = 0
        self.gaps: set[int] = set()

    def _top(self, session: Session) -> int:
        return int(session.exec(select(func.max(self.model.id))).one() or 0)

    def start(self, session: Session) -> None:
        """Begin at the table's end, remembering the ids missing just below it."""
        top = self._top(session)
        seen = session.exec(
            select(col(self.model.id)).where(col(self.model.id) > top - HORIZON)
        ).all()
        self.mark, self.gaps = top, set(range(max(1, top - HORIZON + 1), top + 1)) - set(seen)

    def new_rows(self, session: Session) -> list[tuple[int, Any]]:
        """(id, the other column) of each row not seen before: after the mark, or a gap
        that has appeared since (one index range read). Moves the mark on."""
        id_ = col(self.model.id)
        where = id_ > self.mark
        if self.gaps:
            where = or_(where, id_.in_(sorted(self.gaps)))
        rows = [(int(i), o) for i, o in session.execute(
            select(id_, col(getattr(self.model, self.other))).where(where).order_by(id_)
        )]  # fmt: skip
        if not rows and not self.gaps:
            return rows
        found = {i for i, _ in rows}
        top = max(found, default=self.mark)
        missing = (self.gaps | set(range(self.mark + 1, top + 1))) - found
        self.mark = max(self.mark, top)
        self.gaps = {i for i in missing if i > self.mark - HORIZON}
        if len(self.gaps) > MAX_GAPS:
            self.gaps = set(sorted(self.gaps)[-MAX_GAPS:])
        return rows

    def seen(self) -> Any:
        """A condition on the table: the rows this cursor has already been given."""
        id_ = col(self.model.id)
        where = id_ <= self.mark
        return where & id_.not_in(sorted(self.gaps)) if self.gaps else where
