"""Finding cases: every case an actor may open, searched, filtered, sorted and paged."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, false, func, intersect, literal, or_, union
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from engine import registry
from engine.access import (
    Actor,
    assigned_cases,
    held_per_case,
    per_case_roles,
    scoped_roles,
    workflows_scoping,
)
from engine.clock import LONDON
from engine.errors import InvalidInput
from engine.models import Case, CaseSearchTerm, CaseSubject, Deadline, Party, Person, Place

PAGE_SIZE = 50
# Matches counted (and paged through) at most: beyond this the filters narrow a search.
COUNT_LIMIT = 5000
# The most rows a CSV download carries: every case an area holds for years to come.
CSV_LIMIT = 100_000
TERM_LENGTH = 60
MAX_QUERY_WORDS = 6
SORTS = {
    "received": "Received (newest first)",
    "reference": "Reference",
    "state": "State",
    "deadline": "Next deadline (soonest first)",
}
_WORD = re.compile(r"[a-z0-9]+")
# A reference, or the start of one: "CT-2026-0001", "ct-2026".
_REFERENCE_START = re.compile(r"[A-Z]{1,5}-\d{0,4}(-\d{0,6})?")
# The number part of a reference on its own: "123" finds CT-<any year>-000123.
_REFERENCE_NUMBER = re.compile(r"\d{1,6}")
FIRST_YEAR = 2020


# ---------------------------------------------------------------- the words a case is found by


def words(text: str | None) -> list[str]:
    """The lower-case words of a text, each cut to the length a term keeps."""
    return [w[:TERM_LENGTH] for w in _WORD.findall((text or "").lower())]


def case_terms(parties: Iterable[dict[str, Any]]) -> set[str]:
    """The words of the people on a case (applicant, victim): name, address, postcode, and
    the postcode run together ("le15ab") so it is found typed with or without its space."""
    found: set[str] = set()
    for p in parties:
        for key in ("name", "address", "postcode"):
            found.update(words(p.get(key)))
        squashed = "".join(words(p.get("postcode")))
        if squashed:
            found.add(squashed[:TERM_LENGTH])
    return found


def term_rows(case_id: int, parties: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"term": t, "case_id": case_id} for t in sorted(case_terms(parties))]


# ---------------------------------------------------------------- what was asked for


@dataclass(frozen=True)
class CaseFilter:
    """A search as asked: every part optional; validated by `checked`."""

    q: str = ""
    localities: Sequence[str] = ()
    states: Sequence[str] = ()
    # The processes to show (workflow names: community_trigger, jag_case); none is all.
    workflows: Sequence[str] = ()
    overdue: bool = False
    received_from: date | None = None
    received_to: date | None = None
    sort: str = "received"
    page: int = 1


@dataclass
class CasePage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    locality_options: list[tuple[str, str]] = field(default_factory=list)
    state_options: list[tuple[str, str]] = field(default_factory=list)
    workflow_options: list[tuple[str, str]] = field(default_factory=list)
    # True when more than COUNT_LIMIT match: `total` is then the cap, and so are the pages.
    more: bool = False


def checked(f: CaseFilter, actor: Actor) -> CaseFilter:
    """Refuse filters that name nothing real, each with the field at fault."""
    errors = []
    known_localities = {k for k, _ in locality_options(actor)}
    if unknown := [v for v in f.localities if v not in known_localities]:
        errors.append(_error("locality", f"There is no locality {unknown[0][:40]!r} you can see"))
    if unknown := [v for v in f.states if v not in dict(state_options())]:
        errors.append(_error("state", f"There is no state {unknown[0][:40]!r}"))
    if unknown := [v for v in f.workflows if v not in dict(workflow_options())]:
        errors.append(_error("workflow", f"There is no process {unknown[0][:40]!r}"))
    if f.sort not in SORTS:
        errors.append(_error("sort", "Choose how to sort the cases from the list"))
    if f.page < 1:
        errors.append(_error("page", "The page number must be 1 or more"))
    if f.received_from and f.received_to and f.received_from > f.received_to:
        errors.append(_error("received_to", "Received to must be the same as or after from"))
    if len(f.q) > 100:
        errors.append(_error("q", "Search for 100 characters or fewer"))
    if errors:
        raise InvalidInput(errors[0]["message"], field=errors[0]["field"], errors=errors)
    return f


def _error(name: str, message: str) -> dict[str, str]:
    return {"field": name, "message": message}


def locality_options(actor: Actor) -> list[tuple[str, str]]:
    """(id, name) of each locality where the actor may open cases (not appeal assignments)."""
    found: dict[str, str] = {}
    held, scoped = held_per_case(), scoped_roles()
    for g in actor.grants:
        if g.role in held or (g.role in scoped and not workflows_scoping(g.role)):
            continue
        area = registry.area(g.area_id)
        for loc_id, loc in area.localities.items():
            if g.locality_id is None or g.locality_id == loc_id:
                found[loc_id] = loc.name
    return sorted(found.items(), key=lambda kv: kv[1])


def state_options() -> list[tuple[str, str]]:
    """(state, label) of every workflow's states, in the workflow's order."""
    seen: dict[str, str] = {}
    for name in registry.workflow_names():
        wf = registry.workflow(name)
        for s in wf.states:
            seen.setdefault(s.value, wf.state_labels.get(s.value, s.value.replace("_", " ")))
    return list(seen.items())


def workflow_options() -> list[tuple[str, str]]:
    """(workflow name, title) of every process cases can follow, by title."""
    found = [(name, registry.workflow(name).title) for name in registry.workflow_names()]
    return sorted(found, key=lambda kv: kv[1])


# ---------------------------------------------------------------- the query


def find_cases(session: Session, *, actor: Actor, wanted: CaseFilter, today: date) -> CasePage:
    """One page of the cases the actor may open that match, with the total for paging."""
    wanted = checked(wanted, actor)
    where = _conditions(actor, wanted, today)
    offset = (wanted.page - 1) * PAGE_SIZE
    limit = max(0, min(PAGE_SIZE, COUNT_LIMIT - offset))  # never past the cap
    rows = _rows(session, wanted, where, limit=limit, offset=offset, today=today) if limit else []
    if offset == 0 and len(rows) < limit:
        found = len(rows)  # a first page that is not full is every match: no count needed
    else:
        # Counted only up to just past the cap: a manager's unfiltered list would otherwise
        # read every case of the area for a number nobody pages through.
        capped = sa_select(literal(1)).select_from(_from(wanted, today)).where(*where)
        found = session.execute(
            sa_select(func.count()).select_from(capped.limit(COUNT_LIMIT + 1).subquery())
        ).scalar_one()
    total = min(found, COUNT_LIMIT)
    pages = max(1, -(-total // PAGE_SIZE))
    return CasePage(
        rows,
        total,
        wanted.page,
        pages,
        locality_options(actor),
        state_options(),
        workflow_options(),
        more=found > COUNT_LIMIT,
    )


def all_matching(
    session: Session, *, actor: Actor, wanted: CaseFilter, today: date
) -> list[dict[str, Any]]:
    """Every matching case (not one page), in the chosen order: the CSV download."""
    wanted = checked(wanted, actor)
    where = _conditions(actor, wanted, today)
    return _rows(session, wanted, where, limit=CSV_LIMIT, offset=0, today=today)


_PARTY = Party.__table__  # type: ignore[attr-defined]
_NEXT_DUE = (
    sa_select(
        col(Deadline.case_id).label("case_id"), func.min(col(Deadline.due_on)).label("next_due")
    )
    .where(Deadline.status == "open", Deadline.kind == "duty")
    .group_by(col(Deadline.case_id))
    .subquery("next_due")
)


def _from(wanted: CaseFilter, today: date) -> Any:
    """The case table, joined to the cases the search words find (when there are any) and
    to each case's next open step (only when a filter needs it)."""
    table = Case.__table__  # type: ignore[attr-defined]
    source = table
    matched = _matched(wanted.q, today)
    if matched is not None:
        source = source.join(matched, matched.c.case_id == table.c.id)
    if wanted.overdue:
        source = source.join(_NEXT_DUE, _NEXT_DUE.c.case_id == table.c.id)
    return source


def _matched(q: str, today: date) -> Any:
    """The ids of the cases a search finds by its words (each word the start of one of the
    case's words), or whose reference starts so, as a set read from an index first; None
    when the query is empty.

    Read first and joined, not tested case by case: walking the newest cases and looking up
    each one's words costs a lookup per case passed over, thousands for a common name."""
    text = q.strip().upper()
    if not text:
        return None
    if _REFERENCE_START.fullmatch(text):
        # DISTINCT (references are unique, so it changes nothing) keeps the planner from
        # folding this into a walk of the newest cases filtered by reference.
        by_reference = sa_select(col(Case.id).label("case_id")).where(
            _prefix(col(Case.reference), text)
        )
        return by_reference.distinct().subquery("matched")
    term = col(CaseSearchTerm.term)
    sets = [
        sa_select(col(CaseSearchTerm.case_id).label("case_id")).where(_prefix(term, w))
        for w in words(q)[:MAX_QUERY_WORDS]
    ]
    if not sets:  # nothing searchable typed ("?!"): nothing found
        return sa_select(col(Case.id).label("case_id")).where(false()).subquery("matched")
    if _REFERENCE_NUMBER.fullmatch(text):
        numbered = sa_select(col(Case.id).label("case_id")).where(
            col(Case.reference).in_(_numbered(int(text), today))
        )
        return union(numbered, sets[0]).subquery("matched")
    if len(sets) == 1:
        return sets[0].distinct().subquery("matched")
    return intersect(*sets).subquery("matched")


def _conditions(actor: Actor, wanted: CaseFilter, today: date) -> list[Any]:
    where = [_visible(actor)]
    if wanted.localities:
        where.append(col(Case.locality_id).in_(list(wanted.localities)))
    if wanted.states:
        where.append(col(Case.state).in_(list(wanted.states)))
    if wanted.workflows:
        where.append(col(Case.workflow_name).in_(list(wanted.workflows)))
    if wanted.overdue:
        where.append(_NEXT_DUE.c.next_due < today)
    if wanted.received_from:
        where.append(col(Case.submitted_at) >= _start_of(wanted.received_from))
    if wanted.received_to:
        next_day = date.fromordinal(wanted.received_to.toordinal() + 1)
        where.append(col(Case.submitted_at) < _start_of(next_day))
    return where


def _start_of(day: date) -> datetime:
    """Midnight in London, the day staff mean by a received date."""
    return datetime.combine(day, time(0), tzinfo=LONDON)


def _visible(actor: Actor) -> Any:
    """The cases the actor may open: as engine.access.roles_on_case decides, as SQL."""
    allowed, held = [], held_per_case()
    scoped, areas = scoped_roles(), sorted({g.area_id for g in actor.grants})
    for g in actor.grants:
        if g.role in held:
            continue  # below, with the roles no grant gives
        # A locality belongs to one area (its id is the locality table's key), so the
        # locality alone says it: the count then reads ix_case_locality_state only.
        place = (
            Case.area_id == g.area_id
            if g.locality_id is None
            else Case.locality_id == g.locality_id
        )
        if g.role in scoped:
            # Only the cases of the workflows that give a role for it (a partner works
            # the JAG cases of their locality).
            if names := workflows_scoping(g.role):
                allowed.append(and_(place, col(Case.workflow_name).in_(names)))
            continue
        allowed.append(place)
    if actor.user_id is not None:
        # The cases a workflow assigns to the person (an appeal chair's appeals, a peer
        # review asked of them), in the areas they hold grants in.
        for role in sorted(per_case_roles(actor)):
            where = sorted({g.area_id for g in actor.grants if g.role == role}) or areas
            allowed.append(and_(col(Case.area_id).in_(where), assigned_cases(role, actor.user_id)))
    return or_(*allowed) if allowed else false()


def _numbered(number: int, today: date) -> list[str]:
    """Every reference with this number, in any year cases can have been made."""
    prefixes = sorted({p.reference_prefix for p in registry.packages().values()})
    years = range(FIRST_YEAR, today.year + 1)
    return [f"{p}-{y}-{number:06d}" for p in prefixes for y in years]


def _prefix(column: Any, start: str) -> Any:
    """`column LIKE 'start%'` as a range, which any B-tree index serves (LIKE needs the "C"
    collation or a pattern operator class before PostgreSQL will use one)."""
    return and_(column >= start, column < start + "\uffff")


def _order(sort: str) -> list[Any]:
    return {
        "received": [col(Case.submitted_at).desc(), col(Case.id).desc()],
        "reference": [col(Case.reference)],
        "state": [col(Case.state), col(Case.submitted_at).desc(), col(Case.id).desc()],
        "deadline": [
            _NEXT_DUE.c.next_due.is_(None),
            _NEXT_DUE.c.next_due,
            col(Case.reference),
        ],
    }[sort]


def _rows(
    session: Session,
    wanted: CaseFilter,
    where: list[Any],
    *,
    limit: int,
    offset: int,
    today: date,
) -> list[dict[str, Any]]:
    """One page of cases, then the applicant and next deadline of those rows."""
    stmt = _page_statement(wanted, where, today, limit=limit, offset=offset)
    found = session.execute(stmt).all()
    ids = [r.id for r in found]
    # The page's applicants and next steps read for its rows alone, after the sort and
    # limit: joined before them, they would be read for every match.
    people = _applicants(session, ids) if ids else {}
    if missing := [i for i in ids if i not in people]:
        people.update(_subjects(session, missing))  # a case about a person or place
    due = _next_due(session, ids) if ids else {}
    return [_row(r, people.get(r.id), due.get(r.id), today) for r in found]


def _applicants(session: Session, ids: list[int]) -> dict[int, Any]:
    stmt = sa_select(_PARTY.c.case_id, _PARTY.c.name, _PARTY.c.postcode).where(
        _PARTY.c.case_id.in_(ids), _PARTY.c.kind == "applicant"
    )
    return {r.case_id: r for r in session.execute(stmt)}


_SUBJECT = CaseSubject.__table__  # type: ignore[attr-defined]
_PERSON = Person.__table__  # type: ignore[attr-defined]
_PLACE = Place.__table__  # type: ignore[attr-defined]


def _subjects(session: Session, ids: list[int]) -> dict[int, Any]:
    """The first person or place each case is about (name or label, postcode), for cases
    with no applicant (a JAG case is about a victim, perpetrator, place or problem)."""
    stmt = (
        sa_select(
            _SUBJECT.c.case_id,
            func.coalesce(_PERSON.c.name, _PLACE.c.label).label("name"),
            _PLACE.c.postcode.label("postcode"),
        )
        .select_from(
            _SUBJECT.outerjoin(_PERSON, _PERSON.c.id == _SUBJECT.c.person_id).outerjoin(
                _PLACE, _PLACE.c.id == _SUBJECT.c.place_id
            )
        )
        .where(_SUBJECT.c.case_id.in_(ids))
        .order_by(_SUBJECT.c.id)
    )
    first: dict[int, Any] = {}
    for r in session.execute(stmt):
        first.setdefault(r.case_id, r)
    return first


def page_statement(actor: Actor, wanted: CaseFilter, today: date) -> Any:
    """The statement that picks a page of cases (for looking at its query plan)."""
    where = _conditions(actor, checked(wanted, actor), today)
    return _page_statement(
        wanted, where, today, limit=PAGE_SIZE, offset=(wanted.page - 1) * PAGE_SIZE
    )


def _page_statement(
    wanted: CaseFilter, where: list[Any], today: date, *, limit: int, offset: int
) -> Any:
    table = Case.__table__  # type: ignore[attr-defined]
    columns = [
        table.c.id,
        table.c.reference,
        table.c.locality_id,
        table.c.state,
        table.c.submitted_at,
        table.c.workflow_name,
    ]
    source = _from(wanted, today)
    if wanted.sort == "deadline" and not wanted.overdue:
        source = source.outerjoin(_NEXT_DUE, _NEXT_DUE.c.case_id == table.c.id)
    stmt = sa_select(*columns).select_from(source).where(*where)
    return stmt.order_by(*_order(wanted.sort)).limit(limit).offset(offset)


def _next_due(session: Session, ids: list[int]) -> dict[int, Any]:
    stmt = (
        sa_select(
            col(Deadline.case_id), col(Deadline.due_on), col(Deadline.label), col(Deadline.name)
        )
        .where(col(Deadline.case_id).in_(ids), Deadline.status == "open", Deadline.kind == "duty")
        .order_by(col(Deadline.due_on))
    )
    first: dict[int, Any] = {}
    for r in session.execute(stmt):
        first.setdefault(r.case_id, r)
    return first


def _row(r: Any, person: Any, due: Any, today: date) -> dict[str, Any]:
    wf = registry.workflow(r.workflow_name)
    step = None
    if due is not None:
        rule = next((d for d in wf.deadlines if d.name == due.name), None)
        step = due.label or (rule.label if rule else due.name.replace("_", " "))
    return {
        "reference": r.reference,
        "applicant": person.name if person else "",
        "postcode": (person.postcode or "") if person else "",
        "locality": r.locality_id,
        "locality_name": _locality_name(r.locality_id),
        "state": r.state,
        "state_label": wf.state_labels.get(r.state, r.state.replace("_", " ")),
        "workflow": r.workflow_name,
        "process": wf.title,
        "received": r.submitted_at.astimezone(LONDON).date().isoformat(),
        "next_due": due.due_on.isoformat() if due is not None else None,
        "next_step": step,
        "overdue": bool(due is not None and due.due_on < today),
    }


def _locality_name(locality_id: str) -> str:
    try:
        return registry.locality_area(locality_id).localities[locality_id].name
    except (LookupError, KeyError):
        return locality_id
