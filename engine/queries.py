"""The read side: what a case looks like to the person asking, and what a workflow is."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session

from engine import documents, letters, machine, registry, threshold, workdays
from engine.access import (
    Actor,
    require_case_access,
    roles_for_case,
)
from engine.clock import Clock
from engine.definitions import WorkflowDef
from engine.errors import NotAllowed, NotFound
from engine.models import AuditEvent, Case, Deadline, Incident, Party, Recommendation, Report
from engine.threshold import format_date


def case_detail(session: Session, *, reference: str, actor: Actor, clock: Clock) -> dict[str, Any]:
    """The case as staff see it; equalities answers are never part of it."""
    return _case_detail(session, machine.load_case(session, reference), actor, clock)


def events_now(session: Session, *, case: Case, actor: Actor, clock: Clock) -> list[str]:
    """The events the actor may fire now on a case the machine has just moved (and so
    already checked their access to): what `case_detail` lists, without reading the case's
    people, incidents, history and documents again."""
    options = machine.event_options(session, case=case, actor=actor, today=clock.today())
    return [o.trigger for o in options if o.ok]


def _case_detail(session: Session, case: Case, actor: Actor, clock: Clock) -> dict[str, Any]:
    reference = case.reference
    roles = roles_for_case(session, actor, case)
    require_case_access(actor, roles, reference, area_id=case.area_id)
    wf = registry.workflow(case.workflow_name)
    options = machine.event_options(session, case=case, actor=actor, today=clock.today())
    deadline_rows = _rows(session, Deadline, case)
    return {
        "reference": case.reference,
        "state": case.state,
        "state_label": state_label(wf, case.state, deadline_rows, clock.today()),
        "version": case.version,
        "workflow": {"name": case.workflow_name, "version": case.workflow_version},
        "locality": case.locality_id,
        "area": case.area_id,
        "submitted_at": case.submitted_at.isoformat(),
        "closure_reason": case.closure_reason,
        "parties": [_party(p) for p in _rows(session, Party, case)],
        "incidents": _incidents(session, case),
        "deadlines": [_deadline(d, wf) for d in deadline_rows],
        "recommendations": [_recommendation(r) for r in _rows(session, Recommendation, case)],
        "events": [o.trigger for o in options if o.ok],
        "unavailable_events": [
            {"event": o.trigger, "reason": o.reason} for o in options if not o.ok
        ],
        "history": [_history(a) for a in _rows(session, AuditEvent, case)],
        # What the workflow's own tables add (WorkflowPackage.case_view).
        **_package_view(session, case, actor, clock),
    }


def _package_view(session: Session, case: Case, actor: Actor, clock: Clock) -> dict[str, Any]:
    hook = registry.package(case.workflow_name).case_view
    return dict(hook(session, case, actor, clock)) if hook is not None else {}


def state_label(wf: WorkflowDef, state: str, deadlines: list[Any], today: date) -> str:
    """The state in words, with the applicant's open window (to appeal) said as it is
    today: open until its date, or closed since it; never "open" once it has passed."""
    label = wf.state_labels.get(state, state)
    for d in deadlines:
        if d.kind == "window" and d.status == "open":
            what, when = d.name.replace("_", " "), format_date(d.due_on)
            if d.due_on >= today:
                return f"{label} ({what} open until {when})"
            return f"{label} ({what} closed on {when})"
    return label


def _rows(session: Session, table: Any, case: Case) -> list[Any]:
    """The case's rows of `table` in id order, as plain rows: read only, no ORM objects."""
    return session.connection().execute(_rows_of(table), {"case_id": case.id}).all()


_BY_CASE: dict[str, Any] = {}


def _rows_of(table: Any) -> Any:
    """The statement for a case's rows of `table`, built once per table (a request then
    pays only for running it)."""
    found = _BY_CASE.get(table.__tablename__)
    if found is None:
        t = table.__table__
        found = sa_select(t).where(t.c.case_id == bindparam("case_id")).order_by(t.c.id)
        _BY_CASE[table.__tablename__] = found
    return found


def _party(p: Party) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "role": p.role,
        "name": p.name,
        "email": p.email,
        "phone": p.phone,
        "postcode": p.postcode,
    }


def _incidents(session: Session, case: Case) -> list[dict[str, Any]]:
    """The case's incidents in order, each with its reports in order: one statement."""
    incidents: dict[int, dict[str, Any]] = {}
    for row in session.connection().execute(_INCIDENT_REPORTS, {"case_id": case.id}):
        incident = incidents.get(row.id)
        if incident is None:
            incident = incidents[row.id] = {
                "seq": row.seq,
                "date": row.occurred_on.isoformat(),
                "place": row.place,
                "description": row.description,
                "hate_incident": row.hate_incident,
                "reports": [],
            }
        if row.agency is not None:
            incident["reports"].append(
                {
                    "agency": row.agency,
                    "reported_date": row.reported_on.isoformat(),
                    "reference": row.report_reference,
                    # Someone other than the applicant (None: the applicant's own report).
                    "reporter": row.reporter,
                    "agency_name": threshold.agency_name(row.agency),
                }
            )
    return list(incidents.values())


_I, _R = Incident.__table__, Report.__table__  # type: ignore[attr-defined]
_INCIDENT_REPORTS = (
    sa_select(
        _I.c.id,
        _I.c.seq,
        _I.c.occurred_on,
        _I.c.place,
        _I.c.description,
        _I.c.hate_incident,
        _R.c.agency,
        _R.c.reported_on,
        _R.c.reference.label("report_reference"),
        _R.c.reporter,
    )
    .select_from(_I.outerjoin(_R, (_R.c.case_id == _I.c.case_id) & (_R.c.incident_id == _I.c.id)))
    .where(_I.c.case_id == bindparam("case_id"))
    .order_by(_I.c.id, _R.c.id)
)


def _deadline(d: Deadline, wf: WorkflowDef) -> dict[str, Any]:
    rule = next((r for r in wf.deadlines if r.name == d.name), None)
    return {
        "name": d.name,
        # Its own label when it has one (which recommendation), else the rule's.
        "label": d.label or (rule.label if rule else d.name.replace("_", " ")),
        "kind": d.kind,
        "owner_role": d.owner_role,
        "start_date": d.start_on.isoformat(),
        "amount": d.amount,
        "unit": d.unit,
        "due_date": d.due_on.isoformat(),
        "status": d.status,
    }


def _recommendation(r: Recommendation) -> dict[str, Any]:
    return {
        "number": r.seq,
        "recipient_body": r.recipient_body,
        "action": r.action,
        "owner": r.owner,
        "due_date": r.due_on.isoformat() if r.due_on else None,
        "status": r.status,
        "note": r.note,
        "issued": r.issued_at is not None,
        "had_regard": r.had_regard,
        "change_reason": r.change_reason,
    }


def _history(a: AuditEvent) -> dict[str, Any]:
    return {
        "version": a.version,
        "at": a.occurred_at.isoformat(),
        "event": a.trigger,
        "by": a.actor_label,
        "from": a.from_state,
        "to": a.to_state,
        "reason": a.reason,
        "decided_at": _decided_at(a.data or {}),
    }


def _decided_at(data: dict[str, Any]) -> str | None:
    """Where a decision taken at a meeting of partners was taken, when the event says."""
    if "jag_meeting_on" not in data:
        return None
    if not data["jag_meeting_on"]:
        return "Decided by the JAG chair between meetings, as the area's procedure allows."
    partners = ", ".join(data.get("partners_present") or [])
    agreed = ", ".join(data.get("agreed_by") or [])
    day = format_date(date.fromisoformat(data["jag_meeting_on"]))
    return (
        f"Decided at the JAG meeting on {day}. Partners present: {partners}. Agreed by: {agreed}."
    )


def workflow_description(wf: WorkflowDef) -> dict[str, Any]:
    return {
        "name": wf.name,
        "version": wf.version,
        "title": wf.title,
        "initial": wf.initial,
        "states": [
            {
                "name": s.value,
                "label": wf.state_labels.get(s.value, s.value),
                "terminal": s.value in wf.terminal,
            }
            for s in wf.states
        ],
        "transitions": [
            {
                "event": t.trigger,
                "from": list(t.source),
                "to": t.dest,
                "roles": list(t.roles),
                "label": t.label,
                "guards": list(t.guards),
                "data_schema": t.data.model_json_schema() if t.data else None,
            }
            for t in wf.transitions
        ],
        "deadlines": [
            {
                "name": d.name,
                "label": d.label,
                "opened_by": list(d.opened_by),
                "met_by": list(d.met_by),
                "kind": d.kind,
                "owner_role": d.owner_role,
            }
            for d in wf.deadlines
        ],
        "mermaid": mermaid(wf),
    }


def mermaid(wf: WorkflowDef) -> str:
    """A Mermaid state diagram drawn from the same definition the engine runs."""
    lines = ["stateDiagram-v2", f"    [*] --> {wf.initial}"]
    seen: set[tuple[str, str, str]] = set()
    for t in wf.transitions:
        for src in t.source:
            if (src, t.dest, t.trigger) not in seen:
                seen.add((src, t.dest, t.trigger))
                lines.append(f"    {src} --> {t.dest}: {t.trigger}")
    lines += [f"    {s} --> [*]" for s in wf.terminal]
    return "\n".join(lines)


def staff_case_page(
    session: Session, *, reference: str, actor: Actor, clock: Clock
) -> dict[str, Any]:
    """The case page for staff: the detail, plus what the page explains and offers."""
    case = machine.load_case(session, reference)
    detail = _case_detail(session, case, actor, clock)
    wf = registry.workflow(case.workflow_name)
    labels = {t.trigger: t.label for t in wf.transitions}
    for d in detail["deadlines"]:
        d["why"] = _why_due(d)
    detail["event_labels"] = labels
    detail["state_labels"] = wf.state_labels
    detail["documents"] = documents.listed(session, case.id)  # type: ignore[arg-type]
    # What the workflow's own page parts show (WorkflowPackage.staff_view), for this reader.
    staff_view = registry.package(case.workflow_name).staff_view
    if staff_view is not None:
        detail.update(staff_view(session, case, detail, actor))
    return detail


def _why_due(deadline: dict[str, Any]) -> str:
    try:
        start = date.fromisoformat(deadline["start_date"])
        due = date.fromisoformat(deadline["due_date"])
        if due > workdays.due_date(start, deadline["amount"], deadline["unit"]):
            # Counted back to a day already gone when it was set: due the day it was set.
            return (
                f"The meeting was arranged sooner than the time allowed for the papers, "
                f"so they were due the day it was arranged, {due:%A} {due.day} {due:%B %Y}."
            )
        return workdays.explain_due_date(start, deadline["amount"], deadline["unit"])
    except (ValueError, TypeError):
        return ""


def event_form(
    session: Session, *, reference: str, event: str, actor: Actor, clock: Clock
) -> dict[str, Any]:
    """What a page needs to offer one event: the case, its version, and the event's data model.

    Refused (as the engine would refuse firing it) unless the actor may fire it now.
    """
    detail = staff_case_page(session, reference=reference, actor=actor, clock=clock)
    wf = registry.workflow(detail["workflow"]["name"])
    tdef = wf.transition(event, detail["state"])
    if tdef is None:
        raise NotFound(f"There is no event {event!r} on case {reference} now.")
    if event not in detail["events"]:
        blocked = {u["event"]: u["reason"] for u in detail["unavailable_events"]}
        raise NotAllowed(blocked.get(event) or f"You may not {tdef.label.lower()} on this case.")
    return {
        "case": detail,
        "event": event,
        "label": tdef.label,
        "model": tdef.data,
        # Fields whose words go to the applicant as typed: the form says so.
        "applicant_reads": letters.fields_read_by_applicant(wf.name, event),
        # The decision letter this event sends, if any: its form offers a preview.
        "letter": letters.letter_for_event(wf.name, event),
    }


def changes_since(
    session: Session, *, reference: str, version: int, actor: Actor, clock: Clock
) -> dict[str, Any]:
    """The case now, and every event recorded after the version someone was looking at."""
    detail = case_detail(session, reference=reference, actor=actor, clock=clock)
    detail["changes"] = [h for h in detail["history"] if (h["version"] or 0) > version]
    return detail


def case_document(
    session: Session, *, reference: str, document_id: int, actor: Actor, clock: Clock
) -> Any:
    """One of a case's documents with its bytes, refused exactly as the case page is.

    The case page's own check runs (case_detail), so a download can never be more open than
    the page that lists it; a document of another case is not found.
    """
    case_detail(session, reference=reference, actor=actor, clock=clock)
    case = machine.load_case(session, reference)
    return documents.fetch(session, case_id=case.id, document_id=document_id)  # type: ignore[arg-type]
