"""The read side of "what is mine to do": work queues and overdue items with their RAG status."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from engine import registry, workdays
from engine.access import (
    READ_ONLY_ROLES,
    Actor,
    assigned_cases,
    held_per_case,
    per_case_roles,
    scoped_roles,
    workflows_scoping,
)
from engine.clock import london_date
from engine.errors import NotAllowed
from engine.models import Case, Deadline
from engine.role_holders import holders, unheld_flag

AMBER_WORKING_DAYS = 2
LIMIT = 500
PAGE_SIZE = 50  # My work's lines per page


def rag(due_on: date, today: date) -> str:
    """Red when overdue, amber when due within two working days, green otherwise."""
    return _rag(due_on, today, _amber_until(today))


def _amber_until(today: date) -> date:
    return workdays.add_working_days(today, AMBER_WORKING_DAYS)


def _rag(due_on: date, today: date, amber_until: date) -> str:
    if due_on < today:
        return "red"
    if due_on <= amber_until:
        return "amber"
    return "green"


def work_queue(session: Session, *, actor: Actor, today: date) -> list[dict[str, Any]]:
    """Open staff deadlines whose owner role the actor holds there, most urgent first."""
    items, amber = [], _amber_until(today)
    for grant in actor.grants:
        if grant.role in READ_ONLY_ROLES or grant.role in held_per_case():
            continue
        stmt = _open_duties(grant.area_id, grant.locality_id).where(
            Deadline.owner_role == grant.role
        )
        items += [_item(row, today, amber) for row in session.execute(stmt)]
    items += _assigned(session, actor, today)
    return sorted(_unique(items), key=lambda i: (i["due_date"], i["reference"]))


def overdue(session: Session, *, actor: Actor, today: date) -> list[dict[str, Any]]:
    """Every missed staff deadline in the areas and localities the actor manages."""
    if not actor.roles & {"manager", "admin"}:
        raise NotAllowed("Only managers can see everything overdue.")
    items, amber = [], _amber_until(today)
    for grant in actor.grants:
        if grant.role not in ("manager", "admin"):
            continue
        stmt = _open_duties(grant.area_id, grant.locality_id).where(col(Deadline.due_on) < today)
        items += [_item(row, today, amber) for row in session.execute(stmt)]
    return sorted(_unique(items), key=lambda i: (i["due_date"], i["reference"]))


# Only the columns a queue shows: no ORM objects, no case JSON parsed for every row.
_QUEUE_COLUMNS = (
    col(Case.reference),
    col(Case.locality_id),
    col(Case.state),
    col(Case.workflow_name),
    col(Deadline.id),
    col(Deadline.name),
    col(Deadline.label),
    col(Deadline.owner_role),
    col(Deadline.due_on),
)


def deadline_states() -> list[str]:
    """The states a case can hold an open deadline in: the machine ends each deadline as soon
    as its case moves to a state outside the rule's `while_in` (so never a closed case)."""
    return sorted(
        {
            str(state)
            for name in registry.workflow_names()
            for rule in registry.workflow(name).deadlines
            for state in rule.while_in
        }
    )


def _open_duties(area_id: str, locality_id: str | None):  # type: ignore[no-untyped-def]
    stmt = (
        sa_select(*_QUEUE_COLUMNS)
        .select_from(Deadline)
        .join(Case, col(Case.id) == Deadline.case_id)
        .where(Deadline.status == "open", Deadline.kind == "duty", Case.area_id == area_id)
        .order_by(col(Deadline.due_on))
        .limit(LIMIT)
    )
    if locality_id is not None:
        # The state condition changes no answer (see deadline_states); it lets the database
        # start from the locality's cases that can hold open deadlines (ix_case_locality_state)
        # and read theirs (ix_deadline_open_case), not every open deadline in the area.
        stmt = stmt.where(Case.locality_id == locality_id).where(
            col(Case.state).in_(deadline_states())
        )
    return stmt


def _assigned(session: Session, actor: Actor, today: date) -> list[dict[str, Any]]:
    amber = _amber_until(today)
    return [_item(row, today, amber) for row in _assigned_rows(session, actor)]


def _item(row: Any, today: date, amber_until: date) -> dict[str, Any]:
    """One queue line from a row of _QUEUE_COLUMNS (amber_until: _amber_until(today))."""
    return {
        "reference": row.reference,
        "locality": row.locality_id,
        "state": row.state,
        "deadline_id": row.id,
        "deadline": row.name,
        "deadline_label": row.label,
        "owner_role": row.owner_role,
        "due_date": row.due_on.isoformat(),
        "days_overdue": max(0, (today - row.due_on).days),
        "rag": _rag(row.due_on, today, amber_until),
    }


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for item in items:
        key = item["deadline_id"]  # one line per deadline: a case may hold several of a kind
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _queue_rows(session: Session, *, actor: Actor, today: date) -> tuple[list[Any], Any]:
    """The work queue, plus deadlines the actor's step meets (a CSP chair's response).

    The lines of `work_queue` and the steps due, from one statement per grant: the open
    duties of the grant's locality, those its role owns, and those another role owns that
    an event of the grant's role meets in the case's state.
    """
    amber, labels = _amber_until(today), _deadline_labels()
    found: list[tuple[Any, bool]] = []  # (row, owned by the actor's role)
    meets: dict[tuple[str, str, str, str], bool] = {}  # the answer depends only on these four
    states = deadline_states()
    for grant in actor.grants:
        if grant.role in READ_ONLY_ROLES or grant.role in held_per_case():
            continue
        if not _works_cases(grant.role):
            continue  # a mark on a grant (trained in cessation), not a role with duties
        params: dict[str, Any] = {"area": grant.area_id}
        if grant.locality_id is not None:
            params.update(locality=grant.locality_id, states=states)
        stmt = _MY_DUTIES_IN_LOCALITY if grant.locality_id is not None else _MY_DUTIES_IN_AREA
        kept = {True: 0, False: 0}
        for row in session.connection().execute(stmt, params).all():
            own = row.owner_role == grant.role
            if kept[own] == LIMIT:
                continue
            kept[own] += 1
            if not own:
                key = (grant.role, row.workflow_name, row.state, row.name)
                if key not in meets:
                    meets[key] = _role_meets(*key)
                if not meets[key]:
                    continue
            found.append((row, own))
    found += [(row, True) for row in _assigned_rows(session, actor)]
    # Most urgent first; on a tie, the actor's own duties before the steps due, as before.
    found.sort(key=lambda f: (f[0].due_on, f[0].reference, not f[1]))
    seen: set[int] = set()
    rows = []
    for row, _own in found:
        if row.id not in seen:  # one line per deadline: a case may hold several of a kind
            seen.add(row.id)
            rows.append(row)
    return rows, (amber, labels)


def _works_cases(role: str) -> bool:
    """Whether a grant's role is a role of some workflow (it may own or meet a deadline);
    a scoped grant that no workflow lists as a role of its own marks its holder for another
    role's events (cessation_trained: a JAG chair trained in cessation) and has no queue."""
    return role not in scoped_roles() or bool(workflows_scoping(role))


def my_work(session: Session, *, actor: Actor, today: date) -> list[dict[str, Any]]:
    """The whole work queue, explained (see `_queue_rows`)."""
    rows, (amber, labels) = _queue_rows(session, actor=actor, today=today)
    return [_line(row, today, amber, labels) for row in rows]


@dataclass(frozen=True)
class QueuePage:
    """One page of My work: its lines, the queue's length and the page's place in it."""

    items: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    per_page: int


def my_work_page(
    session: Session, *, actor: Actor, today: date, page: int = 1, per_page: int = PAGE_SIZE
) -> QueuePage:
    """One page of the work queue, most urgent first: only that page's lines are explained
    and worded, so a long queue costs little more than a short one. A page past the end
    gives the last page."""
    rows, (amber, labels) = _queue_rows(session, actor=actor, today=today)
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * per_page : page * per_page]
    items = [_line(row, today, amber, labels) for row in shown]
    return QueuePage(items, len(rows), page, pages, per_page)


# Roles that own every case of their locality from the day it arrives (LLR: the CSP chair),
# and so see each one in a queue of their own, not only the steps they must take.
OWNS_LOCALITY_CASES = ("csp_chair",)


def locality_cases(session: Session, *, actor: Actor, today: date) -> list[dict[str, Any]]:
    """Every open case of the localities the actor owns as CSP chair, newest first: what
    stage it is at, when it arrived, and whether it arrived today."""
    rows: dict[int, Any] = {}
    for grant in actor.grants:
        if grant.role not in OWNS_LOCALITY_CASES:
            continue
        stmt = (
            sa_select(
                Case.id,
                Case.reference,
                Case.locality_id,
                Case.state,
                Case.workflow_name,
                Case.submitted_at,
            )
            .where(Case.area_id == grant.area_id, col(Case.closed_at).is_(None))
            .order_by(col(Case.submitted_at).desc(), col(Case.id).desc())
            .limit(LIMIT)
        )
        if grant.locality_id is not None:
            stmt = stmt.where(Case.locality_id == grant.locality_id)
        for row in session.execute(stmt):
            rows[row.id] = row
    ordered = sorted(rows.values(), key=lambda r: (r.submitted_at, r.id), reverse=True)
    return [_case_line(r, today) for r in ordered[:LIMIT]]


def _case_line(row: Any, today: date) -> dict[str, Any]:
    wf = registry.workflow(row.workflow_name)
    area = registry.locality_area(row.locality_id)
    locality = area.localities.get(row.locality_id)
    return {
        "reference": row.reference,
        "locality": row.locality_id,
        "locality_name": locality.name if locality else row.locality_id,
        "state": row.state,
        "state_text": wf.state_labels.get(row.state, row.state),
        "received_on": london_date(row.submitted_at).isoformat(),
        "new": london_date(row.submitted_at) == today,
    }


def _duties_of_role(*, in_locality: bool):  # type: ignore[no-untyped-def]
    """A grant's open duties, whoever owns them, as one statement built once: the conditions
    of `_open_duties` less the owner, which `my_work` sorts out (so one read serves both
    the grant's own duties and the steps it meets). Up to LIMIT of each are kept; reading
    2 x LIMIT by due date gives exactly that unless the locality holds more than that many.

    The values are written into the SQL, not bound: a prepared statement's generic plan
    could not use the partial indexes on open deadlines, nor the locality's statistics.
    """

    def fixed(name: str, **kw: Any) -> Any:
        return bindparam(name, literal_execute=True, **kw)

    stmt = (
        sa_select(*_QUEUE_COLUMNS)
        .select_from(Deadline)
        .join(Case, col(Case.id) == Deadline.case_id)
        .where(
            col(Deadline.status) == literal_column("'open'"),
            col(Deadline.kind) == literal_column("'duty'"),
            Case.area_id == fixed("area"),
        )
        .order_by(col(Deadline.due_on))
        .limit(2 * LIMIT)
    )
    if in_locality:
        stmt = stmt.where(Case.locality_id == fixed("locality")).where(
            col(Case.state).in_(fixed("states", expanding=True))
        )
    return stmt


_MY_DUTIES_IN_LOCALITY = _duties_of_role(in_locality=True)
_MY_DUTIES_IN_AREA = _duties_of_role(in_locality=False)


def _assigned_rows(session: Session, actor: Actor) -> list[Any]:
    """Open duties of the cases assigned to the actor (an appeal chair's appeals), owned by
    the role they hold on them."""
    roles = per_case_roles(actor)
    if actor.user_id is None or not roles:
        return []
    rows: list[Any] = []
    for role in sorted(roles):
        stmt = (
            sa_select(*_QUEUE_COLUMNS)
            .select_from(Deadline)
            .join(Case, col(Case.id) == Deadline.case_id)
            .where(
                Deadline.status == "open",
                assigned_cases(role, actor.user_id),
                Deadline.owner_role == role,
            )
        )
        rows += session.execute(stmt)
    return rows


def _role_meets(role: str, workflow_name: str, state: str, deadline: str) -> bool:
    wf = registry.workflow(workflow_name)
    rule = next((r for r in wf.deadlines if r.name == deadline), None)
    if rule is None:
        return False
    return any(t.trigger in rule.met_by and role in t.roles for t in wf.transitions_from(state))


def overdue_report(
    session: Session,
    *,
    actor: Actor,
    today: date,
    localities: Collection[str] = (),
    steps: Collection[str] = (),
) -> dict[str, Any]:
    """Managers' view: every overdue item ("items"), those in the chosen localities at the
    chosen steps ("shown"; none chosen: all), and what there is to choose from: each
    locality and each step (by deadline name) that has overdue items, with their counts."""
    labels = _deadline_labels()
    items = [_explained(i, today, labels) for i in overdue(session, actor=actor, today=today)]
    items.sort(key=lambda i: (i["locality"], i["deadline"], i["due_date"]))
    flags = _UnheldRoles(session)
    for item in items:
        item["unheld"] = flags.flag(item["locality"], item["owner_role"])
    return {
        "items": items,
        # Open steps (overdue or not) whose role nobody holds: their reminders go to managers.
        "unheld": _unheld(session, actor, today, flags, labels),
        "shown": chosen(items, localities=localities, steps=steps),
        "localities": _options(items, "locality", "locality"),
        "steps": _options(items, "deadline", "step"),
    }


class _UnheldRoles:
    """Whether anyone holds a role in a locality, asked once per (locality, role)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._seen: dict[tuple[str, str], str | None] = {}

    def flag(self, locality_id: str, role: str) -> str | None:
        """ "nobody holds this role (...) in <locality>", or None when someone does."""
        key = (locality_id, role)
        if key not in self._seen:
            area_id = registry.locality_area(locality_id).id
            taken = holders(self.session, area_id, locality_id, role)
            self._seen[key] = None if taken else unheld_flag(role, area_id, locality_id)
        return self._seen[key]


def _unheld(
    session: Session, actor: Actor, today: date, flags: _UnheldRoles, labels: dict[str, str]
) -> list[dict[str, Any]]:
    amber, found = _amber_until(today), []
    for grant in actor.grants:
        if grant.role in ("manager", "admin"):
            stmt = _open_duties(grant.area_id, grant.locality_id)
            found += [_item(row, today, amber) for row in session.execute(stmt)]
    out = []
    for item in _unique(found):
        flag = flags.flag(item["locality"], item["owner_role"])
        if flag is not None:
            out.append({**_explained(item, today, labels), "unheld": flag})
    return sorted(out, key=lambda i: (i["due_date"], i["reference"]))


def chosen(
    items: list[dict[str, Any]], *, localities: Collection[str], steps: Collection[str]
) -> list[dict[str, Any]]:
    """The items in the chosen localities and at the chosen steps (deadline names)."""
    return [
        item
        for item in items
        if (not localities or item["locality"] in localities)
        and (not steps or item["deadline"] in steps)
    ]


def _options(items: list[dict[str, Any]], key: str, label_key: str) -> list[dict[str, Any]]:
    """Each value of `key` among the items, with its label and how many items have it."""
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        option = found.setdefault(item[key], {"value": item[key], "label": item[label_key]})
        option["count"] = option.get("count", 0) + 1
    return sorted(found.values(), key=lambda o: str(o["label"]))


def _deadline_labels() -> dict[str, str]:
    return {
        rule.name: rule.label
        for name in registry.workflow_names()
        for rule in registry.workflow(name).deadlines
    }


def _explained(item: dict[str, Any], today: date, labels: dict[str, str]) -> dict[str, Any]:
    days = (date.fromisoformat(item["due_date"]) - today).days
    # The step is the rule's label (what managers count and filter by); the line's own label
    # says which one when a case holds several (recommendation 2 of 3).
    step = labels.get(item["deadline"], item["deadline"].replace("_", " "))
    label = item.get("deadline_label") or step
    return {**item, "label": label, "step": step, "days_left": days, "status_text": _status(days)}


def _line(row: Any, today: date, amber_until: date, labels: dict[str, str]) -> dict[str, Any]:
    """`_explained(_item(row, ...))` built as one dict, straight from the row."""
    item = _item(row, today, amber_until)
    days = (row.due_on - today).days
    step = labels.get(row.name, row.name.replace("_", " "))
    item["label"], item["step"] = row.label or step, step
    item["days_left"], item["status_text"] = days, _status(days)
    return item


def _status(days: int) -> str:
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days == 0:
        return "Due today"
    return f"{days} day{'s' if days != 1 else ''} left"
