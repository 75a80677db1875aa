"""What the Community Trigger's decision letters say (its templates are in templates/letters/).

The engine renders and sends them (engine/letters.py); this module builds each letter's
context from the case as recorded and the event's data, and names the letters' titles.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import desc
from sqlmodel import Session, col, select

from engine import deadlines, registry, workdays
from engine.definitions import LetterKit
from engine.letters import (  # noqa: F401  (the general letter functions, as before)
    HTML,
    PDF,
    STATUS_PATH,
    Letter,
    _applicant,
    address_lines,
    applicant_context,
    fields_read_by_applicant,
    for_message,
    letter_for,
    letter_for_event,
    letter_text,
    long_date,
    named_contact,
    named_contact_id,
    page,
    paragraphs,
    posted_message,
    preview,
    sender,
    status_route,
)
from engine.letters import build as _build
from engine.letters import letter_names as _letter_names
from engine.letters import render as _render
from engine.models import AuditEvent, Case, Recommendation

WORKFLOW = "community_trigger"

TITLES = {
    "_message": "Letter",
    "threshold_met": "Threshold decision letter",
    "threshold_not_met": "Threshold decision letter",
    "rejection": "Rejection letter",
    "response_letter": "Response letter",
    "appeal_decision": "Appeal decision letter",
    "closure": "Closure letter",
}
APPEAL_GROUNDS = {
    "process_not_considered": "a relevant process, policy or protocol was not considered",
    "facts_not_considered": "relevant facts were not considered",
}
UNIT_WORDS = {"working_days": "working day", "calendar_days": "day"}


def letter_names() -> list[str]:
    return _letter_names(WORKFLOW)


def render(name: str, context: Mapping[str, Any], *, top: int = 1) -> str:
    """The letter as an HTML fragment (an <article>) whose own heading is level `top`."""
    return _render(WORKFLOW, name, context, top=top)


def build(name: str, context: Mapping[str, Any]) -> Letter:
    return _build(WORKFLOW, name, context)


# ---------------------------------------------------------------- what a letter says


def letter_context(
    session: Session,
    case: Case,
    *,
    letter: str,
    trigger: str,
    data: Mapping[str, Any],
    issued_on: date,
    signed_by: str | None,
) -> dict[str, Any]:
    """Everything a letter may say, from the case as recorded and the event's data."""
    area = registry.area(case.area_id)
    locality = area.localities.get(case.locality_id)
    partnership = (
        area.partnerships.get(locality.partnership, "Community Safety Partnership")
        if locality
        else "Community Safety Partnership"
    )
    locality_name = locality.name if locality else case.locality_id
    wf = registry.workflow(case.workflow_name)
    promised = {
        d.name: d.due_on
        for d in deadlines.opened_by(
            wf, area, locality_id=case.locality_id, trigger=trigger, today=issued_on, data=data
        )
    }
    report = _latest_event(session, case, "jag_report_recorded")
    applicant = _applicant(session, case)
    recs = _recommendations(session, case)
    return {
        "letter": letter,
        "trigger": trigger,
        "data": dict(data),
        "reference": case.reference,
        "issued_on": issued_on,
        "received_on": case.application_on,
        "applicant_name": applicant.name if applicant else "Sir or Madam",
        "recipient_lines": address_lines(applicant),
        "locality_name": locality_name,
        "partnership_name": partnership,
        "area_name": area.name,
        "sender": sender(area, case.locality_id),
        "contact": named_contact(session, case),
        "status": status_route(area, case),
        "promised": promised,
        "involvement": case.involvement,
        "findings": paragraphs(report.data.get("findings", "") if report else ""),
        "response": paragraphs(data.get("summary", "")),
        "recommendations": [r for r in recs if r["status"] != "withdrawn"],
        # After a re-review: what the new report withdrew, and why.
        "withdrawn": [r for r in recs if r["status"] == "withdrawn"],
        "appeal": _appeal(session, case, area, trigger, issued_on, promised),
        "signposting": area.signposting,
        "assessment": _assessment(case),
        "rules": {
            "incidents": area.threshold.incidents,
            "complainants": area.threshold.complainants,
            "hate": area.threshold.hate_incident_route,
            "window_months": area.threshold.window_months,
        },
        "signed_by": signed_by or "",
    }


def _recommendations(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Recommendation)
        .where(Recommendation.case_id == case.id)
        .order_by(col(Recommendation.seq))
    ).all()
    return [
        {
            "seq": r.seq,
            "recipient_body": r.recipient_body,
            "action": r.action.rstrip(". "),
            "owner": r.owner,
            "due_on": r.due_on,
            "status": r.status,
            "note": r.note,
            "reason": r.change_reason,
        }
        for r in rows
    ]


def _appeal(
    session: Session,
    case: Case,
    area: registry.AreaConfig,
    trigger: str,
    issued_on: date,
    promised: Mapping[str, date],
) -> dict[str, Any]:
    """How to appeal this letter's decision, or that it is final.

    A decision opens an appeal window when the workflow says so (the appeal_window clock);
    a response after an upheld appeal has been re-reviewed, so it is final (LLR procedure).
    """
    scale = area.timescale("appeal_window", case.locality_id)
    unit = UNIT_WORDS.get(scale.unit, scale.unit.replace("_", " "))
    # After an upheld appeal the new response is final where the area's procedure says so.
    reviewed_again = _latest_event(session, case, "appeal_upheld") is not None
    final_by_area = area.re_review_response_final and reviewed_again
    final = "appeal_window" not in promised or (trigger == "response_issued" and final_by_area)
    return {
        "open": not final,
        "final": final,
        "grounds": [APPEAL_GROUNDS.get(g, g.replace("_", " ")) for g in area.appeal_grounds],
        "period": f"{scale.amount} {unit}{'' if scale.amount == 1 else 's'}",
        # The same date the engine opens as the appeal_window deadline on this event.
        "deadline": promised.get("appeal_window")
        or workdays.due_date(issued_on, scale.amount, scale.unit),
    }


def _assessment(case: Case) -> dict[str, int]:
    """How many of the reports on the application met the rules (the computed assessment)."""
    reports = (case.threshold_assessment or {}).get("reports") or []
    return {"reports": len(reports), "counted": sum(1 for r in reports if r.get("counted"))}


def _latest_event(session: Session, case: Case, *triggers: str) -> AuditEvent | None:
    return session.exec(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, col(AuditEvent.trigger).in_(triggers))
        .order_by(desc(col(AuditEvent.version)))
    ).first()


KIT = LetterKit(
    templates=resources.files(__package__).joinpath("templates", "letters"),
    context=letter_context,
    titles=TITLES,
)
