"""The read side of "what is mine to do": work queues and overdue items with their RAG status."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from engine import registry, workdays
from engine.access import Actor
from engine.errors import NotAllowed
from engine.models import Case, Deadline

AMBER_WORKING_DAYS = 2
LIMIT = 500


def rag(due_on: date, today: date) -> str:
    """Red when overdue, amber when due within two working days, green otherwise."""
    if due_on < today:
        return "red"
    if due_on <= workdays.add_working_days(today, AMBER_WORKING_DAYS):
        return "amber"
    return "green"


def work_queue(session: Session, *, actor: Actor, today: date) -> list[dict[str, Any]]:
    """Open staff deadlines whose owner role the actor holds there, most urgent first."""
    items = []
    for grant in actor.grants:
        if grant.role in ("manager", "admin", "appeal_chair"):
            continue
        stmt = _open_duties(grant.area_id, grant.locality_id).where(
            Deadline.owner_role == grant.role
        )
        items += [_item(d, c, today) for d, c in session.exec(stmt).all()]
    items += _appeals_assigned(session, actor, today)
    return sorted(_unique(items), key=lambda i: (i["due_date"], i["reference"]))


def overdue(session: Session, *, actor: Actor, today: date) -> list[dict[str, Any]]:
    """Every missed staff deadline in the areas and localities the actor manages."""
    if not actor.roles & {"manager", "admin"}:
        raise NotAllowed("Only managers can see everything overdue.")
    items = []
    for grant in actor.grants:
        if grant.role not in ("manager", "admin"):
            continue
        stmt = _open_duties(grant.area_id, grant.locality_id).where(col(Deadline.due_on) < today)
        items += [_item(d, c, today) for d, c in session.exec(stmt).all()]
    return sorted(_unique(items), key=lambda i: (i["due_date"], i["reference"]))


def _open_duties(area_id: str, locality_id: str | None):  # type: ignore[no-untyped-def]
    stmt = (
        select(Deadline, Case)
        .join(Case, col(Case.id) == Deadline.case_id)
        .where(Deadline.status == "open", Deadline.kind == "duty", Case.area_id == area_id)
        .order_by(col(Deadline.due_on))
        .limit(LIMIT)
    )
    if locality_id is not None:
        stmt = stmt.where(Case.locality_id == locality_id)
    return stmt


def _appeals_assigned(session: Session, actor: Actor, today: date) -> list[dict[str, Any]]:
    if actor.user_id is None or "appeal_chair" not in actor.roles:
        return []
    stmt = (
        select(Deadline, Case)
        .join(Case, col(Case.id) == Deadline.case_id)
        .where(
            Deadline.status == "open",
            Case.appeal_chair_id == actor.user_id,
            Deadline.owner_role == "appeal_chair",
        )
    )
    return [_item(d, c, today) for d, c in session.exec(stmt).all()]


def _item(d: Deadline, c: Case, today: date) -> dict[str, Any]:
    return {
        "reference": c.reference,
        "locality": c.locality_id,
        "state": c.state,
        "deadline": d.name,
        "owner_role": d.owner_role,
        "due_date": d.due_on.isoformat(),
        "days_overdue": max(0, (today - d.due_on).days),
        "rag": rag(d.due_on, today),
    }


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for item in items:
        key = (item["reference"], item["deadline"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def my_work(session: Session, *, actor: Actor, today: date) -> list[dict[str, Any]]:
    """The work queue, plus deadlines the actor's step meets (a CSP chair's response), explained."""
    items = work_queue(session, actor=actor, today=today) + _steps_due(session, actor, today)
    ordered = sorted(_unique(items), key=lambda i: (i["due_date"], i["reference"]))
    return [_explained(item, today) for item in ordered]


def _steps_due(session: Session, actor: Actor, today: date) -> list[dict[str, Any]]:
    """Open deadlines that another role owns but that an event of the actor's role meets now."""
    items = []
    for grant in actor.grants:
        if grant.role in ("manager", "admin", "appeal_chair"):
            continue
        stmt = _open_duties(grant.area_id, grant.locality_id).where(
            Deadline.owner_role != grant.role
        )
        items += [
            _item(d, c, today)
            for d, c in session.exec(stmt).all()
            if _role_meets(grant.role, c, d.name)
        ]
    return items


def _role_meets(role: str, case: Case, deadline: str) -> bool:
    wf = registry.workflow(case.workflow_name)
    rule = next((r for r in wf.deadlines if r.name == deadline), None)
    if rule is None:
        return False
    return any(
        t.trigger in rule.met_by and role in t.roles for t in wf.transitions_from(case.state)
    )


def overdue_report(session: Session, *, actor: Actor, today: date) -> dict[str, Any]:
    """Managers' view: every overdue item, with counts by locality and by step."""
    items = [_explained(item, today) for item in overdue(session, actor=actor, today=today)]
    items.sort(key=lambda i: (i["locality"], i["deadline"], i["due_date"]))
    return {
        "items": items,
        "by_locality": _counts(items, "locality"),
        "by_step": _counts(items, "label"),
    }


def _counts(items: list[dict[str, Any]], key: str) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item[key]] = counts.get(item[key], 0) + 1
    return sorted(counts.items())


def _deadline_labels() -> dict[str, str]:
    return {
        rule.name: rule.label
        for name in registry.workflow_names()
        for rule in registry.workflow(name).deadlines
    }


def _explained(item: dict[str, Any], today: date) -> dict[str, Any]:
    days = (date.fromisoformat(item["due_date"]) - today).days
    if days < 0:
        status = f"{-days} day{'s' if days != -1 else ''} overdue"
    elif days == 0:
        status = "Due today"
    else:
        status = f"{days} day{'s' if days != 1 else ''} left"
    label = _deadline_labels().get(item["deadline"], item["deadline"].replace("_", " "))
    return {**item, "label": label, "days_left": days, "status_text": status}
