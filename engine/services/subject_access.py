"""The subject access export: everything held about a case's people, where it came from,
who it was shared with and what happened, as JSON and as a PDF."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from engine import documents, machine, queries, registry
from engine.access import Actor
from engine.clock import Clock
from engine.documents import case_rows
from engine.models import (
    Case,
    CaseRetention,
    Document,
    OutboxMessage,
    Party,
    Recommendation,
)
from engine.people_match import case_subjects
from engine.services import case_views

EQUALITIES_NOTE = (
    "Equalities monitoring answers are not in this export. They are kept apart from the "
    "case with nothing that links them to a person (no name, no case reference, nothing "
    "finer than the month), and are only ever counted in totals, so they cannot be found "
    "for any one person."
)
ABOUT = (
    "This is a copy of the personal information the ASB Case Review service holds about the "
    "people on case {reference}, made for a subject access request under UK GDPR Article 15. "
    "It lists what we hold, where it came from, who it was shared with and what happened."
)
CHANNELS = {
    "online": "the online application form",
    "phone": "a phone call to the council or police",
    "in_person": "a visit in person",
    "letter": "a letter",
    "representative": "a representative",
}


def bundle(session: Session, *, reference: str, actor: Actor, clock: Clock) -> dict[str, Any]:
    """What a manager of the case (or the command line) may export; not recorded here."""
    case = _require_exporter(session, reference=reference, actor=actor)
    detail = queries.case_detail(session, reference=reference, actor=actor, clock=clock)
    area = registry.area(case.area_id)
    kept = session.get(CaseRetention, case.id)
    hook = registry.package(case.workflow_name).subject_access
    # What the workflow's own tables hold (WorkflowPackage.subject_access), by section.
    own = dict(hook(session, case)) if hook is not None else {}
    return {
        "reference": reference,
        "made_at": clock.now().isoformat(),
        "about": ABOUT.format(reference=reference),
        "what_we_hold": {
            "case": _case(case, detail, area.localities),
            "people": [_person(p) for p in case_rows(session, Party, case)],
            "subjects": _subjects(session, case.id),
            "incidents": detail["incidents"],
            "recommendations": [_rec(r) for r in case_rows(session, Recommendation, case)],
            "case_work": dict(own.get("held") or {}),
        },
        "where_it_came_from": _sources(case, detail, list(own.get("sources") or [])),
        "shared_with": {
            "messages": [_message(m) for m in case_rows(session, OutboxMessage, case)],
            "documents": [_document(d) for d in case_rows(session, Document, case)],
            "bodies": "The relevant bodies of the community safety partnership for "
            f"{area.localities[case.locality_id].name}, who review the case together.",
        },
        "timeline": detail["history"],
        "retention": {
            "rule": f"Personal details are removed {area.retention.case_years_after_closure} "
            "years after the case closes, unless a legal hold stops it.",
            "legal_hold": bool(kept and kept.hold_reason),
            "anonymised_at": kept.anonymised_at.isoformat()
            if kept and kept.anonymised_at
            else None,
        },
        "equalities_monitoring": EQUALITIES_NOTE,
    }


def _require_exporter(session: Session, *, reference: str, actor: Actor) -> Case:
    """A manager of the case, or the command line (run by whoever runs the server)."""
    if actor.user_id is None and "admin" in actor.roles:
        case = machine.load_case(session, reference)
        if any(g.area_id == case.area_id for g in actor.grants):
            return case
    return case_views.require_case_manager(session, reference=reference, actor=actor)


# What an application holds beyond the generic case, for a workflow whose cases have it
# (its detail row): shown when the case has the field, left out when it has not.
_APPLICATION = (
    ("applied_on", "application_on"),
    ("contact_preference", "contact_preference"),
    ("involvement", "involvement"),
    ("accessibility_needs", "accessibility_needs"),
    ("impact", "impact"),
    ("vulnerabilities", "vulnerabilities"),
    ("outcome_wanted", "outcome_wanted"),
    ("hate_incident", "hate_incident"),
    ("hate_characteristic", "hate_characteristic"),
    ("consent_to_share", "consent_to_share"),
    ("threshold_decision", "threshold_decision"),
)


def _has(case: Any, name: str) -> bool:
    try:
        getattr(case, name)
    except AttributeError:
        return False
    return True


def _case(case: Case, detail: dict[str, Any], localities: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "state": detail["state_label"],
        "locality": localities[case.locality_id].name,
    }
    if _has(case, "application_on"):
        out["applied_on"] = case.application_on.isoformat()  # type: ignore[attr-defined]
    out.update(
        {
            "received_at": case.submitted_at.isoformat(),
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
            "closure_reason": case.closure_reason,
        }
    )
    for key, name in _APPLICATION[1:]:
        if _has(case, name):
            out[key] = getattr(case, name)
    return out


def _subjects(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The shared person and place records the case is about, and in what part."""
    out = []
    for link, person, place in case_subjects(session, case_id):
        if person is not None:
            born = person.date_of_birth.isoformat() if person.date_of_birth else None
            out.append({"part": link.part, "name": person.name, "date_of_birth": born})
        elif place is not None:
            out.append({"part": link.part, "place": place.label, "postcode": place.postcode})
    return out


def _person(p: Party) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "role": p.role,
        "name": p.name,
        "email": p.email,
        "phone": p.phone,
        "address": p.address,
        "postcode": p.postcode,
        "permission": p.consent_detail,
    }


def _rec(r: Recommendation) -> dict[str, Any]:
    return {
        "number": r.seq,
        "for": r.recipient_body,
        "action": r.action,
        "owner": r.owner,
        "due_on": r.due_on.isoformat() if r.due_on else None,
        "status": r.status,
    }


def _sources(case: Case, detail: dict[str, Any], more: list[str]) -> list[str]:
    out = []
    if _has(case, "channel"):  # a case made from an application
        channel = case.channel  # type: ignore[attr-defined]
        how = CHANNELS.get(channel, channel.replace("_", " "))
        out.append(
            f"The application, received on {case.submitted_at.date().isoformat()} through {how}."
        )
    for incident in detail["incidents"]:
        for r in incident["reports"]:
            ref = f" (their reference {r['reference']})" if r.get("reference") else ""
            out.append(
                f"A report of incident {incident['seq']} to the {r['agency']} on "
                f"{r['reported_date']}{ref}."
            )
    out += more  # the workflow's own (WorkflowPackage.subject_access)
    out.append("What staff recorded at each step: see the timeline.")
    return out


def _message(m: OutboxMessage) -> dict[str, Any]:
    return {
        "to": m.recipient,
        "to_role": m.recipient_role,
        "by": m.channel,
        "message": m.message,
        "status": m.status,
        "written_at": m.created_at.isoformat(),
        "sent_at": m.sent_at.isoformat() if m.sent_at else None,
    }


def _document(d: Document) -> dict[str, Any]:
    return {"title": d.title, "file": d.filename, "made_at": d.created_at.isoformat()}


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def as_pdf(data: dict[str, Any]) -> bytes:
    pdf = documents.plain_pdf(data["reference"], "Subject access export")
    pdf.heading(f"Personal information held on case {data['reference']}", 1)
    pdf.paragraph(data["about"])
    pdf.paragraph(f"Made {data['made_at'][:16].replace('T', ' at ')} UTC.")
    _pdf_held(pdf, data["what_we_hold"])
    pdf.heading("Where it came from", 2)
    for line in data["where_it_came_from"]:
        pdf.bullet(line)
    _pdf_shared(pdf, data["shared_with"])
    pdf.heading("Timeline", 2)
    for h in data["timeline"]:
        reason = f": {h['reason']}" if h.get("reason") else ""
        pdf.bullet(f"{h['at'][:10]} {h['event'].replace('_', ' ')} by {h['by']}{reason}")
    pdf.heading("How long we keep it", 2)
    pdf.paragraph(data["retention"]["rule"])
    pdf.heading("Equalities monitoring", 2)
    pdf.paragraph(data["equalities_monitoring"])
    return pdf.finish()


def _pdf_held(pdf: Any, held: dict[str, Any]) -> None:
    pdf.heading("What we hold", 2)
    pdf.pairs([(k.replace("_", " ").capitalize(), _text(v)) for k, v in held["case"].items()])
    for person in held["people"]:
        pdf.heading(f"{person['kind'].capitalize()}: {person['name']}", 3)
        pdf.pairs([(k.capitalize(), _text(v)) for k, v in person.items() if k != "name"])
    for incident in held["incidents"]:
        pdf.heading(f"Incident {incident['seq']} on {incident['date']}", 3)
        pdf.pairs([("Place", _text(incident["place"])), ("What happened", incident["description"])])
    for rec in held["recommendations"]:
        pdf.bullet(
            f"Recommendation {rec['number']} for {rec['for']}: {rec['action']} ({rec['status']})"
        )
    for subject in held["subjects"]:
        name = subject.get("name") or subject.get("place") or ""
        pdf.heading(f"{_label(subject['part'])}: {name}", 3)
        pdf.pairs([(_label(k), _text(v)) for k, v in subject.items() if k != "part"])
    for section, value in held["case_work"].items():
        if value:
            _pdf_section(pdf, _label(section), value)


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _flat(value: Any) -> str:
    """A value as one line: lists joined, mappings as "key: value" pairs."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_flat(v) for v in value)
    return _text(value)


def _pdf_section(pdf: Any, title: str, value: Any) -> None:
    """A workflow's section of the export: a record's fields, or each record's in turn."""
    pdf.heading(title, 3)
    records = value if isinstance(value, list) else [value]
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            pdf.bullet(_text(record))
            continue
        if len(records) > 1:
            pdf.paragraph(f"{title}, {n} of {len(records)}")
        pdf.pairs([(_label(k), _flat(v)) for k, v in record.items()])


def _pdf_shared(pdf: Any, shared: dict[str, Any]) -> None:
    pdf.heading("Who it was shared with", 2)
    pdf.paragraph(shared["bodies"])
    for m in shared["messages"]:
        when = (m["sent_at"] or m["written_at"])[:10]
        what = m["message"].replace("_", " ")
        pdf.bullet(f"{what} to {m['to']} ({m['to_role']}) by {m['by']}, {m['status']} {when}")
    for d in shared["documents"]:
        pdf.bullet(f"Document: {d['title']} ({d['file']}), made {d['made_at'][:10]}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


FORMATS = {"json": ("application/json", as_json), "pdf": ("application/pdf", as_pdf)}


def export(
    session: Session, *, reference: str, actor: Actor, clock: Clock, fmt: str
) -> tuple[str, str, bytes]:
    """The export in one format (filename, media type, bytes), recorded as a view."""
    media_type, render = FORMATS[fmt]
    data = bundle(session, reference=reference, actor=actor, clock=clock)
    content = render(data)
    case_views.record(
        session, reference=reference, actor=actor, clock=clock, what="export", item=fmt
    )
    return f"{reference}-subject-access.{fmt}", media_type, content
