"""Periodic sweeps over open deadlines: reminders before the date, escalation after it.

Each open deadline carries `next_action_on`, the date of its next reminder or escalation,
indexed over open deadlines only. A sweep reads the deadlines whose date has come, works out
from the area's policy (engine.reminders) which step is due, queues it in the outbox with a
unique key per (case, deadline, step, recipient), and moves the date on, all in one
transaction. The cost of a sweep follows the work due today, not the number of deadlines.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import Connection, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine import registry, reminders
from engine.clock import Clock
from engine.db import SessionFactory
from engine.messages import applicant_contact
from engine.models import Deadline, OutboxMessage, Party
from engine.role_holders import area_holders, holders, unheld_flag

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
    " case_record.workflow_name, case_record.contact_preference, deadline.status"
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


class _Claimed(NamedTuple):
    """One claimed deadline with what the sweep needs of its case, in _CLAIM_SQL's order."""

    id: int
    case_id: int
    name: str
    owner_role: str
    due_on: date
    reminder_step: str | None
    label: str | None
    start_on: date
    amount: int
    reference: str
    area_id: str
    locality_id: str
    workflow_name: str
    contact_preference: str
    status: str


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


# The outbox columns the sweep writes, in the order of each row it builds.
_OUTBOX_COLUMNS = (
    "case_id",
    "deadline_id",
    "step",
    "message",
    "recipient",
    "recipient_role",
    "channel",
    "context",
    "idempotency_key",
    "status",
    "reason",
    "attempts",
    "created_at",
    "next_attempt_at",
)
# The last three are the same on every row of a batch.
_PER_ROW = len(_OUTBOX_COLUMNS) - 3
# Rows per SQLite INSERT: 11 parameters x 500 stays well under SQLite's parameter limit.
_INSERT_CHUNK = 500
_UPDATE_CHUNK = 900


class _Entry(NamedTuple):
    """One outbox row a plan asks for, all but the deadline's own parts worked out."""

    step: str
    message: str
    role: str
    # (address, channel, who) for a role holder or nobody; None: the case's applicant.
    target: tuple[str, str, str] | None
    # The message context from `"locality": ` on (json.dumps(_context(...)) ends so).
    locality_tail: str
    status: str
    reason: str | None


@dataclass
class _Plan:
    """What a sweep does to every deadline of one kind, due on one day, in one locality."""

    next_on: date | None
    last: str | None
    queued: bool
    entries: list[_Entry]
    # (role, step) with no role holder: logged for each deadline, sent to the managers.
    nobody: list[tuple[str, str]]
    ids: list[int] = field(default_factory=list)


class _Batch:
    """The outbox rows and deadline moves of one sweep transaction, written in bulk.

    Deadlines of the same kind, due the same day, in the same locality, get the same plan
    (step, messages, recipients, most of the context), worked out once per batch; each
    deadline then adds only its own ids, case reference and the applicant's address.
    """

    def __init__(self, session: Session, conn: Connection, now: datetime) -> None:
        self.session = session
        self.conn = conn
        self.now = now
        # (case_id, deadline_id, entry number, recipient, channel, who, context head)
        self.outbox: list[tuple[int, int, int, str, str, str, str]] = []
        # Each entry of a plan that has rows, numbered from 1 in the order first used.
        self._entry_numbers: dict[_Entry, int] = {}
        self._decided: list[tuple[_Claimed, _Plan]] = []
        self.queued = 0
        self._plans: dict[tuple[Any, ...], _Plan] = {}
        self._holders: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
        self._applicants: dict[int, Party] = {}

    def decide(self, rows: list[_Claimed], today: date) -> None:
        plans = []
        tell_applicant = set()
        for row in rows:
            if row.status != "open":
                # Closed since its schedule was set: nothing is due, ever; clear the date.
                key: tuple[Any, ...] = ("closed", row.reminder_step)
                plan = self._plans.get(key) or _Plan(None, row.reminder_step, False, [], [])
                self._plans[key] = plan
                plan.ids.append(row.id)
                plans.append(plan)
                continue
            key = (
                row.area_id,
                row.name,
                row.owner_role,
                row.due_on,
                row.reminder_step,
                row.locality_id,
                row.workflow_name,
                row.label,
                row.start_on,
            )
            plan = self._plans.get(key)
            if plan is None:
                plan = self._plans[key] = self._plan(row, today)
            plan.ids.append(row.id)
            plans.append(plan)
            if plan.queued:
                self.queued += 1
                if any(e.target is None for e in plan.entries):
                    tell_applicant.add(row.case_id)
        self._load_applicants(sorted(tell_applicant))
        self._decided = list(zip(rows, plans, strict=True))

    def _build_outbox(self) -> None:
        """The outbox rows of the decided plans, one per deadline and recipient: each row's
        own parts, and the number of the plan entry that supplies the rest."""
        append = self.outbox.append
        numbers = self._entry_numbers
        for row, plan in self._decided:
            case_id, deadline_id = row.case_id, row.id
            head = _context_head(row)
            for role, step in plan.nobody:
                # Sent to the area's managers instead (flagged in the message and the ledger).
                log.warning("case %s: nobody holds %s for %s", row.reference, role, step)
            for e in plan.entries:
                target = e.target or self._applicant(row, e.step)
                if target is None:
                    continue
                number = numbers.get(e)
                if number is None:
                    number = numbers[e] = len(numbers) + 1
                recipient, channel, who = target
                append((case_id, deadline_id, number, recipient, channel, who, head))

    def _plan(self, row: _Claimed, today: date) -> _Plan:
        """Steps, recipients and context of `row`'s deadline, shared with its like.

        Nothing is dropped: a step whose day passed while no sweep ran is sent late (marked
        so) unless the step due now tells the same people the same thing, and a notice
        for a role nobody holds goes to the area's managers, flagged.
        """
        step = _progress(
            row.area_id, row.name, row.owner_role, row.due_on, row.reminder_step, today
        )
        entries: list[_Entry] = []
        nobody: list[tuple[str, str]] = []
        covered = _covered_by(row, step.due)
        for skipped in step.superseded:
            why = (
                f"not sent: {step.due.name if step.due else 'a later step'} was already due "
                "when the sweep reached this deadline (caught up after the worker was away, "
                "or opened late)"
            )
            late = [n for n in skipped.notices if (_role_of(row, n), n.message) not in covered]
            if late and not skipped.name.startswith("remind_"):
                entries += self._notices(row, skipped, tuple(late), today, nobody)
            tail = _locality_tail(row, skipped)
            for notice in skipped.notices:
                if notice in late and not skipped.name.startswith("remind_"):
                    continue
                role = _role_of(row, notice)
                target = (f"role:{role}", "none", "none")
                entries.append(
                    _Entry(skipped.name, notice.message, role, target, tail, "cancelled", why)
                )
        if step.due is not None:
            entries += self._notices(row, step.due, step.due.notices, today, nobody)
        last = step.due.name if step.due else row.reminder_step
        return _Plan(step.next_on, last, step.due is not None, entries, nobody)

    def _notices(
        self,
        row: _Claimed,
        step: reminders.Step,
        notices: tuple[reminders.Notice, ...],
        today: date,
        nobody: list[tuple[str, str]],
    ) -> list[_Entry]:
        """The outbox entries of one step's notices: to each role holder, the applicant, or
        (nobody holding the role) the area's managers; marked late if the day has passed."""
        # Late: its day came while the deadline was open, and no sweep ran on it.
        late = row.start_on <= step.on < today
        entries: list[_Entry] = []
        for notice in notices:
            role = _role_of(row, notice)
            extra: dict[str, Any] = {"late": True} if late else {}
            why = f"sent late: its day, {step.on.isoformat()}, passed while no sweep ran"
            reason = why if late else None
            if role == reminders.APPLICANT:
                tail = _locality_tail(row, step, extra)
                entries.append(
                    _Entry(step.name, notice.message, role, None, tail, "pending", reason)
                )
                continue
            holders_ = self._role_holders(row.area_id, row.locality_id, role)
            if not holders_:
                nobody.append((role, step.name))
                holders_ = self._managers(row.area_id, row.locality_id)
                extra["unheld"] = unheld_flag(role, row.area_id, row.locality_id)
                reason = "; ".join(
                    r for r in (extra["unheld"] + ": sent to the area's managers", reason) if r
                )
            tail = _locality_tail(row, step, extra)
            entries += [
                _Entry(
                    step.name,
                    notice.message,
                    role,
                    (email, "email", f"u{uid}"),
                    tail,
                    "pending",
                    reason,
                )
                for uid, email in holders_
            ]
        return entries

    def _managers(self, area_id: str, locality_id: str) -> list[tuple[int, str]]:
        """The locality's managers (and the area-wide ones); failing those, every manager
        in the area, whichever locality they look after."""
        found = self._role_holders(area_id, locality_id, "manager")
        if found:
            return found
        key = (area_id, "*", "manager")
        if key not in self._holders:
            self._holders[key] = area_holders(self.session, area_id, "manager")
        return self._holders[key]

    def write(self) -> None:
        # Deadlines that share a plan share their move: one UPDATE per (next date, step).
        moves: dict[tuple[date | None, str | None], list[int]] = {}
        for plan in self._plans.values():
            moves.setdefault((plan.next_on, plan.last), []).extend(plan.ids)
        if self.conn.dialect.name != "postgresql":
            self._build_outbox()
            if self.outbox:
                self._insert_sqlite()
            for (next_on, last), ids in moves.items():
                self._move_on_sqlite(ids, next_on, last)
            return
        # PostgreSQL: the moves go first without waiting for their answer (pipeline mode),
        # so the server updates the schedule while this process builds the outbox rows.
        # Leaving the pipeline waits for both and raises the first error, if any.
        driver = self.conn.connection.driver_connection
        with driver.cursor() as cursor, driver.pipeline():
            for (next_on, last), ids in moves.items():
                cursor.execute(_PG_MOVE, (next_on, last, ids))
            self._build_outbox()
            if self.outbox:
                self._insert_postgres(cursor)

    def _insert_sqlite(self) -> None:
        """Multi-row INSERT ... ON CONFLICT DO NOTHING, the unique key being the last guard.

        The columns every row shares are bound once, beside the VALUES list.
        """
        created = _bound(OutboxMessage.__table__.c.created_at, self.conn, self.now)  # type: ignore[attr-defined]
        listed = ", ".join(f"column{i + 1}" for i in range(_PER_ROW))
        one_row = f"({', '.join(['?'] * _PER_ROW)})"
        entries = list(self._entry_numbers)
        rows = [
            (
                case_id,
                deadline_id,
                e.step,
                e.message,
                recipient,
                e.role,
                channel,
                head + e.locality_tail,
                f"reminder:{case_id}:{deadline_id}:{e.step}:{e.role}:{who}",
                e.status,
                e.reason,
            )
            for case_id, deadline_id, number, recipient, channel, who, head in self.outbox
            for e in (entries[number - 1],)
        ]
        for start in range(0, len(rows), _INSERT_CHUNK):
            chunk = rows[start : start + _INSERT_CHUNK]
            # `WHERE true`: SQLite's rule for an upsert whose rows come from a SELECT.
            sql = (
                f"INSERT INTO outbox_message ({', '.join(_OUTBOX_COLUMNS)})"
                f" SELECT {listed}, ?, ?, ? FROM (VALUES "
                + ", ".join([one_row] * len(chunk))
                + ") WHERE true ON CONFLICT (idempotency_key) DO NOTHING"
            )
            params = (0, created, created, *chain.from_iterable(chunk))
            self.conn.exec_driver_sql(sql, params)

    def _insert_postgres(self, cursor: Any) -> None:
        """One array per column and `unnest`, in binary: a handful of parameters go over the
        wire instead of a dozen per row, and one statement does the whole batch. What the
        rows of one plan entry share (step, message, role, the context's tail, status,
        reason) goes once, in a second set of arrays; the server joins them back and builds
        each row's context and key (_PG_INSERT), exactly as _insert_sqlite does in Python."""
        rows = [list(values) for values in zip(*self.outbox, strict=True)]
        entries = [list(v) for v in zip(*(_shared(e) for e in self._entry_numbers), strict=True)]
        cursor.execute(_PG_INSERT, (self.now, self.now, *rows, *entries))  # in %b order

    def _move_on_sqlite(self, ids: list[int], next_on: date | None, last: str | None) -> None:
        """Set the next action date and last step done on many deadlines at once."""
        day = next_on.isoformat() if next_on else None
        for start in range(0, len(ids), _UPDATE_CHUNK):
            chunk = ids[start : start + _UPDATE_CHUNK]
            self.conn.exec_driver_sql(
                "UPDATE deadline_schedule SET next_action_on = ?, reminder_step = ?"
                f" WHERE deadline_id IN ({', '.join(['?'] * len(chunk))})",
                (day, last, *chunk),
            )

    def _load_applicants(self, case_ids: list[int]) -> None:
        """The applicants of the cases whose due step tells them, in one query per 500."""
        for start in range(0, len(case_ids), _INSERT_CHUNK):
            parties = self.session.exec(
                select(Party)
                .where(
                    col(Party.case_id).in_(case_ids[start : start + _INSERT_CHUNK]),
                    Party.kind == "applicant",
                )
                .order_by(col(Party.id))
            )
            for party in parties:
                self._applicants.setdefault(party.case_id, party)

    def _applicant(self, row: _Claimed, step: str) -> tuple[str, str, str] | None:
        found = applicant_contact(self._applicants.get(row.case_id), row.contact_preference)
        if found is None:
            log.warning("case %s: nobody to tell (applicant) for %s", row.reference, step)
            return None
        return found[0], found[1], "applicant"

    def _role_holders(self, area_id: str, locality_id: str, role: str) -> list[tuple[int, str]]:
        key = (area_id, locality_id, role)
        if key not in self._holders:
            self._holders[key] = holders(self.session, *key)
        return self._holders[key]


def _role_of(row: _Claimed, notice: reminders.Notice) -> str:
    return row.owner_role if notice.role == reminders.OWNER else notice.role


def _covered_by(row: _Claimed, due: reminders.Step | None) -> set[tuple[str, str]]:
    """(role, message) pairs the step due now sends: an earlier step saying the same thing to
    the same people is not sent late as well."""
    return {(_role_of(row, n), n.message) for n in due.notices} if due else set()


def _locality_tail(row: _Claimed, step: reminders.Step, extra: dict[str, Any] | None = None) -> str:
    """json.dumps(_context(row, step)) from `"locality": ` to the end: what deadlines of one
    kind, due on one day, in one locality share (the reference, and the date a clock counts
    back from, come before it; a JSON string holds no bare `"`, so the cut is exact)."""
    whole = json.dumps({**_context(row, step), **(extra or {})})
    return whole[whole.index('"locality": ') :]


def _context_head(row: _Claimed) -> str:
    """json.dumps(_context(row, step)) up to `"locality": `: the deadline's own part."""
    if row.amount < 0:
        return f'{_before_date(row.start_on)}"reference": {json.dumps(row.reference)}, '
    return f'{{"reference": {json.dumps(row.reference)}, '


@lru_cache(maxsize=1024)
def _before_date(start_on: date) -> str:
    """The start of a context that names the date a clock counts back from."""
    return json.dumps({"before_date": start_on.isoformat()})[:-1] + ", "


# PostgreSQL: a row's own parts, and its plan entry's shared parts joined back by number.
_PG_INSERT = (
    f"INSERT INTO outbox_message ({', '.join(_OUTBOX_COLUMNS)})"
    " SELECT u.case_id, u.deadline_id, e.step, e.message, u.recipient, e.role, u.channel,"
    " CAST(u.head || e.tail AS json),"
    " 'reminder:' || u.case_id || ':' || u.deadline_id || ':' || e.step || ':' || e.role"
    " || ':' || u.who,"
    " e.status, e.reason, 0, %b, %b"
    " FROM unnest(%b::int4[], %b::int4[], %b::int4[], %b::text[], %b::text[], %b::text[],"
    " %b::text[]) WITH ORDINALITY AS u(case_id, deadline_id, entry, recipient, channel, who,"
    " head, ord)"
    " JOIN unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[])"
    " WITH ORDINALITY AS e(step, message, role, tail, status, reason, n) ON e.n = u.entry"
    " ORDER BY u.ord"
    " ON CONFLICT (idempotency_key) DO NOTHING"
)


def _shared(e: _Entry) -> tuple[str, str, str, str, str, str | None]:
    """What every outbox row of one plan entry has in common, in _PG_INSERT's order."""
    return (e.step, e.message, e.role, e.locality_tail, e.status, e.reason)


# Binary parameters: the ids go as one array, not one text parameter each.
_PG_MOVE = (
    "UPDATE deadline_schedule SET next_action_on = %b, reminder_step = %b"
    " WHERE deadline_id = ANY(%b)"
)


def _bound(column: Any, conn: Connection, value: Any) -> Any:
    """`value` as the column's type hands it to the driver (one value, bound once)."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(value) if process else value


@lru_cache(maxsize=4096)
def _progress(
    area_id: str, name: str, owner_role: str, due_on: date, last: str | None, today: date
) -> reminders.Progress:
    """What is due for one deadline today; cached, as a batch repeats the same few answers."""
    policy = registry.area(area_id).reminders.policy(name)
    return reminders.progress(reminders.plan(due_on, policy, owner_role), last, today)


def _context(row: _Claimed, step: reminders.Step) -> dict[str, Any]:
    # A clock counted back from a date (papers before a meeting) names that date too.
    before = {"before_date": row.start_on.isoformat()} if row.amount < 0 else {}
    kind = _case_kind(row.workflow_name)
    return {
        **before,
        "reference": row.reference,
        "locality": row.locality_id,
        # After the locality: a deadline's name (below) is its workflow's own, so the
        # deadlines that share this tail (_locality_tail) share their workflow too.
        **({"case_kind": kind} if kind else {}),
        "deadline": row.name,
        # A deadline about one item (a recommendation) carries its own label.
        "label": row.label or _labels(row.workflow_name).get(row.name, row.name.replace("_", " ")),
        "due_date": row.due_on.isoformat(),
        "step": step.name,
        "step_date": step.on.isoformat(),
    }


@cache
def _case_kind(workflow_name: str) -> str:
    return registry.workflow(workflow_name).case_kind


@cache
def _labels(workflow_name: str) -> dict[str, str]:
    return {d.name: d.label for d in registry.workflow(workflow_name).deadlines}


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
