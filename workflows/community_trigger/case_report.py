"""What the CSP chair reads before issuing the response: the JAG report and the victim's words.

The staff case page shows this beside the case summary, so the chair writes the response with
the review's findings, each agency's account, the meeting, the recommendations, and what the
victim told us (the impact on them, the outcome they want, how to reach them) in front of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, desc
from sqlalchemy import select as sa_select
from sqlmodel import Session

from engine.access import Actor
from engine.letters import named_contact, paragraphs
from engine.models import AuditEvent, Case, Party
from workflows.jag_case import ct_link

CONTACT_WAYS = {"email": "Email", "phone": "Phone", "post": "Post"}
PARTS = {
    "attend": "Come to the meeting",
    "representative": "Send someone to speak for them",
    "impact_statement": "Send a written statement about the impact",
    "none": "No part in the meeting",
}


def case_view(session: Session, case: Case, actor: Any, clock: Any) -> dict[str, Any]:
    """What the case as staff read it (API and page) shows of the Community Trigger's own
    row: how the application came in, the threshold as computed and decided, and the
    review meeting's day."""
    meeting = case.review_meeting_on
    return {
        "channel": case.channel,
        "threshold": {"computed": case.threshold_assessment, "decision": case.threshold_decision},
        "review_meeting_on": meeting.isoformat() if meeting else None,
    }


def staff_view(
    session: Session, case: Case, detail: dict[str, Any], actor: Actor
) -> dict[str, Any]:
    """What the Community Trigger's case page shows besides the engine's detail: the
    application's summary, the threshold assessment beside each report and its changes,
    the JAG report and the victim's own words, for the CSP chair's response; and the JAG
    cases linked to it that the reader may open, with the actions carrying out its
    recommendations."""
    labels = detail.get("event_labels") or {}
    assessment = case.threshold_assessment or {}
    linked = ct_link.linked_to(session, case.id, actor)  # type: ignore[arg-type]
    return {
        "summary": {
            "involvement": case.involvement,
            "contact_preference": case.contact_preference,
            "vulnerabilities": case.vulnerabilities,
            "accessibility_needs": case.accessibility_needs,
            "impact": case.impact,
            "outcome_wanted": case.outcome_wanted,
            "hate_incident": case.hate_incident,
            "named_contact": named_contact(session, case),
        },
        "threshold_reports": _report_findings(detail["incidents"], assessment),
        "threshold_explanation": assessment.get("explanation", ""),
        # Incidents and reports added after intake: what the assessment said before and after.
        "threshold_changes": [
            {**c, "label": labels.get(c.get("event", ""), c.get("event", ""))}
            for c in reversed(assessment.get("changes", []))
        ],
        "jag_report": jag_report(session, case),
        "victim": victim_view(session, case),
        "linked_jag_cases": linked,
        "carried_out_by": carried_out_by(linked),
    }


def carried_out_by(linked: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Recommendation number -> the JAG actions carrying it out (of the linked cases the
    reader may open), each with its case's reference."""
    found: dict[int, list[dict[str, Any]]] = {}
    for jag in linked:
        for action in jag["actions"]:
            found.setdefault(action["recommendation"], []).append(
                {**action, "reference": jag["reference"]}
            )
    return found


def _report_findings(incidents: list[dict[str, Any]], assessment: dict[str, Any]) -> list[Any]:
    """Each report beside the assessment's verdict on it (reports are numbered in order)."""
    findings = {f["index"]: f for f in assessment.get("reports", [])}
    reports = [(i, r) for i in incidents for r in i["reports"]]
    out = []
    for index, (incident, report) in enumerate(reports):
        found = findings.get(index, {})
        out.append(
            {
                "incident": incident["seq"],
                **report,
                "counted": found.get("counted"),
                "reason": found.get("reason", ""),
            }
        )
    return out


def jag_report(session: Session, case: Case) -> dict[str, Any] | None:
    """The latest JAG report and review meeting as recorded (None before the report)."""
    report = _latest(session, case, "jag_report_recorded")
    if report is None:
        return None
    meeting = _latest(session, case, "review_meeting_held")
    data, held = report.data or {}, (meeting.data if meeting else {}) or {}
    return {
        "recorded_on": report.occurred_at.date().isoformat(),
        "recorded_by": report.actor_label,
        "findings": paragraphs(data.get("findings", "")),
        "agency_summaries": [
            {"agency": agency, "summary": paragraphs(text)}
            for agency, text in (data.get("agency_summaries") or {}).items()
        ],
        "meeting": {
            "held_on": held.get("held_on"),
            "attendees": held.get("attendees", []),
            "victim_part": PARTS.get(held.get("victim_involvement", ""), ""),
            "not_invited_reason": held.get("not_invited_reason"),
        }
        if meeting
        else None,
    }


def victim_view(session: Session, case: Case) -> dict[str, Any]:
    """What the victim (or the applicant for them) told us, and how to reach the applicant."""
    parties = session.connection().execute(_PARTIES, {"p_case": case.id}).all()
    applicant = next((p for p in parties if p.kind == "applicant"), None)
    victim = next((p for p in parties if p.kind == "victim"), applicant)
    return {
        "victim_name": victim.name if victim else "",
        "impact": paragraphs(case.impact),
        "outcome_wanted": paragraphs(case.outcome_wanted),
        "involvement": PARTS.get(case.involvement or "", "Not given"),
        "applicant": {
            "name": applicant.name,
            "role": (applicant.role or "victim").replace("_", " "),
            "email": applicant.email,
            "phone": applicant.phone,
            "address": ", ".join(x for x in (applicant.address, applicant.postcode) if x),
            "contact_by": CONTACT_WAYS.get(case.contact_preference, case.contact_preference),
            "texts_safe": case.texts_safe,
        }
        if applicant
        else None,
    }


_AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]
_PARTY = Party.__table__  # type: ignore[attr-defined]
# Built once: the case page asks them on every view (plain rows, read only).
_LATEST = (
    sa_select(_AUDIT.c.occurred_at, _AUDIT.c.actor_label, _AUDIT.c.data)
    .where(_AUDIT.c.case_id == bindparam("l_case"), _AUDIT.c.trigger == bindparam("l_trigger"))
    .order_by(desc(_AUDIT.c.version))
    .limit(1)
)
_PARTIES = sa_select(_PARTY).where(_PARTY.c.case_id == bindparam("p_case")).order_by(_PARTY.c.id)


def _latest(session: Session, case: Case, trigger: str) -> Any:
    """The case's latest event of this kind (when, by whom, its data), or None."""
    found = session.connection().execute(_LATEST, {"l_case": case.id, "l_trigger": trigger})
    return found.first()
